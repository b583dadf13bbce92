// Running the native executor (planc-exec): hand it the plan over a pipe,
// read its report lines, and say how it went. What to do with the outcome
// (save the state, or tear down) is the caller's: this module only speaks
// the protocol of PROTOCOL.md.
import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import type { Plan } from '../schemas/generated/plan.js';
import { PlancError } from '../schemas/error.js';

export const EXECUTOR_PATH = new URL('../build/planc-exec', import.meta.url).pathname;

/** One report line (PROTOCOL.md). */
export interface Report {
  i?: number;
  op?: string;
  r?: 'ok' | 'skipped' | 'error' | 'pending';
  errno?: number;
  msg?: string;
  pid?: number;
  ready?: number;
  ino?: number;
  made?: boolean;
  /** A record the executor could not write (errno): it stopped there. */
  auditError?: number;
  /** Foreground run: setup is over, the executor waits for the container. */
  waiting?: number;
  /** Foreground run: how the container ended (a signal by number). */
  exited?: { code?: number; signal?: number; core?: boolean };
}

/** How a foreground run's container ended. */
export interface Exit {
  code: number;
  signal?: NodeJS.Signals | `signal ${number}`;
}

export interface ExecutorRun {
  /** The init's pid once cloned, else 0. */
  pid: number;
  /** The init reached the exec fifo (create) or its exec (run). */
  ready: boolean;
  /** Every action report, in the order received. */
  reports: Report[];
  /** The first failed action, if any. */
  failure: Report | null;
  /** A record the executor could not write: the run stopped there (fail closed). */
  auditFailure: Report | null;
  /** A signal that interrupted planc while the executor ran. */
  interrupted: NodeJS.Signals | null;
  /** The executor's exit status so far: 0 once a foreground executor is ready (it then waits for the container). */
  code: number | null;
  /** The container's exit status, for a foreground run (the executor waits and exits with it). */
  exited: Promise<Exit | null>;
}

export interface SpawnOptions {
  /** --preserve-fds N: fds 3 … 3+N-1 of planc go to the container (already checked to be the caller's). */
  preserveFds: number;
  /** The container's audit trail, open O_RDWR|O_APPEND: the executor writes its header and records there. */
  auditFd: number;
}

const SIGNAL_NAMES = Object.fromEntries(Object.entries(osConstants.signals).map(([name, n]) => [n, name as NodeJS.Signals]));

export async function runExecutor(plan: Plan, bytes: Uint8Array, opts: SpawnOptions): Promise<ExecutorRun> {
  const n = opts.preserveFds;
  const preserved = Array.from({ length: n }, (_, k) => 3 + k);
  const child = spawn(EXECUTOR_PATH, [], {
    stdio: ['inherit', 'inherit', 'inherit', ...preserved, 'pipe', 'pipe', opts.auditFd],
    // The executor gets no host environment: the container's comes from the plan.
    env: {
      PLANC_PLAN_FD: String(3 + n),
      PLANC_REPORT_FD: String(4 + n),
      PLANC_AUDIT_FD: String(5 + n),
      PLANC_PRESERVE_FDS: String(n),
    },
  });

  const run: ExecutorRun = { pid: 0, ready: false, reports: [], failure: null, auditFailure: null, interrupted: null, code: null, exited: Promise.resolve(null) };
  const onSignal = (sig: NodeJS.Signals) => {
    run.interrupted = sig;
    child.kill('SIGKILL');
    if (run.pid > 0) process.kill(run.pid, 'SIGKILL');
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);

  const reports = child.stdio[4 + n] as Readable;
  const processExit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const spawnError = new Promise<Error>((resolve) => child.on('error', resolve));
  const planPipe = child.stdio[3 + n] as Writable;
  planPipe.on('error', () => {}); // an executor that died early is reported through its exit, not EPIPE
  planPipe.end(bytes);

  // Setup is over at EOF, or (foreground run) at {"waiting":1}; the exit line comes later.
  let exitLine: Report['exited'] | undefined;
  let setupDone!: () => void;
  const setup = new Promise<void>((resolve) => (setupDone = resolve));
  const ended = new Promise<void>((resolve) => reports.on('close', resolve));
  let buffered = '';
  reports.setEncoding('utf8');
  reports.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (!line) continue;
      const rep = JSON.parse(line) as Report;
      if (rep.pid) run.pid = rep.pid;
      if (rep.ready) run.ready = true;
      if (rep.auditError !== undefined && !run.auditFailure) run.auditFailure = rep;
      else if (rep.i !== undefined) run.reports.push(rep);
      if (rep.r === 'error' && !run.failure) run.failure = rep;
      if (rep.waiting) setupDone();
      if (rep.exited) exitLine = rep.exited;
    }
  });
  reports.on('close', () => setupDone());
  await setup;
  // A foreground executor stays to wait for the init (PROTOCOL.md): once it waits, its exit is the container's.
  const foreground = plan.actions.some((a) => a.op === 'clone' && a.parent === 'executor');
  const waiting = run.ready && foreground && !run.interrupted && !run.failure && !run.auditFailure;
  run.exited = waiting
    ? Promise.all([processExit, ended]).then(([p]) => {
        const e = exitLine;
        if (e?.signal !== undefined) return { code: 128 + e.signal, signal: SIGNAL_NAMES[e.signal] ?? (`signal ${e.signal}` as const) };
        if (e?.code !== undefined) return { code: e.code };
        return p.code === null ? null : { code: p.code };
      })
    : Promise.resolve(null);
  const code = waiting ? 0 : await Promise.race([processExit.then((p) => p.code ?? (p.signal ? 128 : null)), spawnError]);
  for (const s of signals) process.off(s, onSignal);
  if (code instanceof Error) throw new PlancError('system', `cannot run the executor ${EXECUTOR_PATH}: ${code.message}`);
  run.code = code;
  return run;
}
