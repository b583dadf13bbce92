// The hooks the CLI runs itself (planner/hooks.ts has where each hook runs):
// poststart, by `planc start` (and `planc run`) once the container's process
// was executed, and poststop, by `planc delete` (and a foreground `planc run`)
// once the container is destroyed — both in the runtime's namespaces, which
// are planc's own. And what the spec asks when a hook fails (runtime.md
// "Lifecycle"): a startContainer or poststart failure fails `start`, stops the
// container and destroys it, then runs the poststop hooks; a poststop failure
// is a warning. Each hook is one planned action with one audit record, in the
// container's trail (cli/audit/trail.ts), written before the next hook runs.
import { type SpawnSyncOptions, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, constants as C, openSync, readlinkSync, readSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Plan } from '../../schemas/generated/plan.js';
import { PlancError } from '../../schemas/error.js';
import type { HookAction } from '../../planner/hooks.js';
import { errnoWords } from '../errno.js';
import { trailBytesOf } from '../audit/store.js';
import { nowMicros } from '../audit/trail.js';
import type { ContainerDir } from './gate.js';
import { openTrail } from './lifecycle.js';
import { frontTeardown, remainsOfRecord } from '../native-front.js';
import { alive, sleepMs } from './procfs.js';
import { type ContainerRecord, FILES, readPlan } from './store.js';
import { exportAudit } from './audit-export.js';

type Stage = 'start' | 'delete';
export interface Planned {
  i: number;
  action: HookAction;
}
interface Outcome {
  ok: boolean;
  errno?: number;
  msg?: string;
}

const ETIMEDOUT = 110;
const ECANCELED = 125;

/** The plan of a container, read only when it has hooks at all (most have none: `start` stays one read). */
export function planWithHooks(dir: ContainerDir): Plan | null {
  const raw = dir.read(FILES.plan);
  // Op names are plain strings in msgpack: without "hook." anywhere there is no hook action.
  if (!raw || raw.indexOf('hook.') < 0) return null;
  const plan = readPlan(dir);
  return plan && plan.actions.some((a) => a.op.startsWith('hook.')) ? plan : null;
}

export function hooksOf(plan: Plan | null, stage: Stage): Planned[] {
  const out: Planned[] = [];
  plan?.actions.forEach((a, i) => {
    if (a.stage === stage) out.push({ i, action: a as HookAction });
  });
  return out;
}

/** A private file for the hook's stdout and stderr: unlike a pipe, a process the hook leaves behind cannot hold us up. */
function outputFile(): number {
  const path = join(tmpdir(), `planc-hook-${randomBytes(8).toString('hex')}`);
  const fd = openSync(path, C.O_RDWR | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o600);
  unlinkSync(path);
  return fd;
}

/** What the hook wrote (the start of it), as one line. */
function said(fd: number): string {
  const buf = Buffer.alloc(512);
  const n = readSync(fd, buf, 0, buf.length, 0);
  const text = buf.subarray(0, n).toString('utf8').replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  return text ? `: ${text}` : '';
}

/**
 * Run one hook: its own session (so a timeout kills what it started too), exactly
 * its argv and environment, the state JSON on stdin with the pid added (none once stopped).
 */
export function runHook(name: string, a: HookAction, pid: number | undefined): Outcome {
  const state = JSON.stringify(pid === undefined ? a.state : { ...a.state, pid });
  // The planner refused an environment that sets a name twice: as a map it is exactly what was given.
  const env = Object.fromEntries(a.env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  const out = outputFile();
  try {
    // detached: a new session (spawnSync takes it, though its type does not say so).
    const opts: SpawnSyncOptions & { detached: boolean } = {
      argv0: a.args[0],
      env,
      input: state,
      stdio: ['pipe', out, out],
      detached: true,
      ...(a.timeout ? { timeout: a.timeout * 1000 } : {}),
      killSignal: 'SIGKILL',
    };
    const r = spawnSync(a.path, a.args.slice(1), opts);
    const err = r.error as NodeJS.ErrnoException | undefined;
    if (err?.code === 'ETIMEDOUT' && r.pid) {
      try {
        process.kill(-r.pid, 'SIGKILL');
      } catch {
        // the group is gone already
      }
      return { ok: false, errno: ETIMEDOUT, msg: `${name} hook ${a.path}: killed after its timeout of ${a.timeout} s${said(out)}` };
    }
    // A hook may exit without reading its stdin: EPIPE is its choice, not a failure.
    if (err && !(err.code === 'EPIPE' && r.status !== null)) {
      return { ok: false, errno: typeof err.errno === 'number' ? -err.errno : ECANCELED, msg: `${name} hook ${a.path}: ${errnoWords(err)}` };
    }
    if (r.status === 0) return { ok: true };
    const how = r.status !== null ? `exited with status ${r.status}` : `killed by signal ${r.signal}`;
    return { ok: false, errno: ECANCELED, msg: `${name} hook ${a.path}: ${how}${said(out)}` };
  } finally {
    closeSync(out);
  }
}

const NAMES: Record<HookAction['op'], string> = {
  'hook.prestart': 'prestart',
  'hook.create-runtime': 'createRuntime',
  'hook.create-container': 'createContainer',
  'hook.start-container': 'startContainer',
  'hook.poststart': 'poststart',
  'hook.poststop': 'poststop',
};

function record(p: Planned, o: Outcome): Record<string, unknown> {
  return { i: p.i, op: p.action.op, stage: p.action.stage, r: o.ok ? 'ok' : 'error', t: nowMicros(), ...(o.ok ? {} : { errno: o.errno, msg: o.msg }) };
}

/**
 * Runs hooks in order, each record written as it ends, before the next hook (a record that
 * cannot be written stops them: audit fails closed). A poststart failure stops the rest and is
 * returned; a poststop failure is handed to `warn` and the rest still run.
 */
function runAll(hooks: Planned[], pid: number | undefined, log: (rec: Record<string, unknown>) => void, warn: (msg: string) => void): { failed: Planned; outcome: Outcome } | null {
  for (const p of hooks) {
    const o = runHook(NAMES[p.action.op], p.action, pid);
    log(record(p, o));
    if (o.ok) continue;
    if (p.action.stage !== 'delete') return { failed: p, outcome: o };
    warn(o.msg!);
  }
  return null;
}

/** Did any create-time hook run? Then a failed create continues at the spec's step 12: destroyed, then poststop. */
export function createHooksRan(plan: Plan, indices: Iterable<number>): boolean {
  for (const i of indices) if (plan.actions[i]?.op.startsWith('hook.')) return true;
  return false;
}

/**
 * What the init runs: the executor (its sealed copy, PROTOCOL.md: it has not exec'd the
 * container's process yet), something else (it has), or null when there is no telling —
 * an exiting process has no exe any more while its stat still says it runs.
 */
function execd(pid: number): boolean | null {
  try {
    return !readlinkSync(`/proc/${pid}/exe`).startsWith('/memfd:planc-exec');
  } catch {
    return null;
  }
}

/** Waits until the init has exec'd the process (true) or exited first (false). */
function waitForExec(rec: ContainerRecord): boolean {
  for (let ms = 0.25; ; ms = Math.min(ms * 2, 10)) {
    if (!alive(rec.pid, rec.startTime)) return false;
    if (execd(rec.pid)) return true;
    sleepMs(ms);
  }
}

/** The first failure the init recorded (the create succeeded: one after the release, a startContainer hook or the exec). */
function initFailure(dir: ContainerDir): { i: number; msg: string; errno?: number } | null {
  const text = trailBytesOf(dir)?.toString('utf8') ?? '';
  for (const line of text.split('\n').slice(1)) {
    if (!line) continue;
    try {
      const r = JSON.parse(line) as { i?: number; r?: string; msg?: string; errno?: number };
      if (typeof r.i === 'number' && r.r === 'error') return { i: r.i, msg: r.msg ?? 'failed', errno: r.errno };
    } catch {
      // a line being written: not a failure record
    }
  }
  return null;
}

/**
 * Stop and destroy a container whose start failed, run its poststop hooks, and
 * return the error to throw (runtime.md: "generate an error, stop the container,
 * and continue the lifecycle at step 12").
 */
function destroyAfterFailedStart(dir: ContainerDir, rec: ContainerRecord, error: PlancError, warn: (msg: string) => void): PlancError {
  exportAudit(dir, rec); // the failure's record reaches the --audit-log before the container's own log goes
  frontTeardown(dir, 'undo', warn, { reason: error.message, remains: remainsOfRecord(rec) });
  return error;
}

/**
 * Once the init was released (`start` read its byte; `run`: the create is done):
 * wait for the exec — the startContainer hooks run in between — then run the
 * poststart hooks. Any failure destroys the container and is thrown.
 */
export function afterRelease(dir: ContainerDir, rec: ContainerRecord, plan: Plan, warn: (msg: string) => void): void {
  if (!plan.actions.some((a) => a.op === 'hook.start-container' || a.stage === 'start')) return;
  if (!waitForExec(rec)) {
    const f = initFailure(dir);
    // Exited without a failure record: it exec'd and its process is done already, or it was killed.
    if (f || !/"op":"exec","stage":"init","r":"ok"/.test(trailBytesOf(dir)?.toString('utf8') ?? '')) {
      throw failedStart(dir, rec, plan, f, warn);
    }
  }
  const trail = openTrail(dir);
  let failure;
  try {
    failure = runAll(hooksOf(plan, 'start'), rec.pid, (r) => trail?.append(r), warn);
  } finally {
    trail?.release();
  }
  if (failure) {
    try {
      process.kill(rec.pid, 'SIGKILL');
    } catch {
      // it has exited already
    }
    const err = new PlancError('exec-failed', failure.outcome.msg!, { where: failure.failed.action.why, errno: failure.outcome.errno });
    throw destroyAfterFailedStart(dir, rec, err, warn);
  }
}

/** The error of a start whose init failed (a startContainer hook, the exec), the container destroyed first. */
export function failedStart(dir: ContainerDir, rec: ContainerRecord, plan: Plan, f: { i: number; msg: string; errno?: number } | null, warn: (msg: string) => void): PlancError {
  const where = (i: number) => (plan.actions[i]?.why.startsWith('/') ? plan.actions[i]!.why : undefined);
  const err = new PlancError('exec-failed', f?.msg ?? 'the container init exited before it executed the process', { where: f ? where(f.i) : undefined, errno: f?.errno });
  return destroyAfterFailedStart(dir, rec, err, warn);
}

/** The first failure the init recorded after the release, for a start that failed. */
export { initFailure };
