// `planc exec`: plan a process in a running container (planner/exec.ts),
// record the plan beside the container's (state/exec-trails.ts), hand it to
// the executor, and — in the foreground — wait for the process and exit with
// its status, forwarding signals to it. The container's lock is held from
// reading its state until the process runs, so no delete races the setup.
import { closeSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Plan } from '../schemas/generated/plan.js';
import { isPlancError, PlancError } from '../schemas/error.js';
import { type ExecFlags, planExecProcess } from '../planner/exec.js';
import { encodePlan } from '../planner/encode.js';
import { explainLines } from '../planner/explain.js';
import { type Json, parseJsonBytes } from '../planner/json.js';
import { type ExecutorRun, runExecutor } from '../executor/spawn.js';
import { checkConsoleSocket, checkRelayTerminal } from './console-socket.js';
import { writeCallerFile } from './caller-files.js';
import { digest as digestOf } from './digest.js';
import { errnoWords } from './errno.js';
import { cgroupLayout } from './host-facts.js';
import { checkPreservedFds } from './preserved-fds.js';
import { debug } from './report.js';
import { beginExecTrail, endExecTrail, exportExecAudit } from './state/exec-trails.js';
import type { ContainerDir } from './state/gate.js';
import { statusOf } from './state/lifecycle.js';
import { loadRecord, openContainer, readPlan } from './state/store.js';

export interface ExecCliFlags {
  root: string;
  process?: string;
  detach?: boolean;
  'pid-file'?: string;
  tty?: boolean;
  'console-socket'?: string;
  cwd?: string;
  env?: string[];
  user?: string;
  'additional-gids'?: string[];
  cap?: string[];
  'no-new-privs'?: boolean;
  apparmor?: string;
  'process-label'?: string;
  'preserve-fds': number;
  cgroup?: string[];
  'ignore-paused'?: boolean;
  'dry-run'?: boolean;
  debug?: boolean;
  log?: string;
  'log-format'?: string;
}

export interface PlannedExec {
  plan: Plan;
  bytes: Uint8Array;
  digest: string;
  /** Where errors with a pointer point: process.json, or the container's config.json. */
  configPath: string;
  /** The container is paused (exec --ignore-paused): the process starts frozen. */
  paused: boolean;
}

const MAX_PROCESS_JSON = 1 << 20;

function readProcessFile(path: string): Json {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new PlancError('not-found', errnoWords(e), { file: path });
  }
  if (bytes.length > MAX_PROCESS_JSON) throw new PlancError('invalid-config', `larger than ${MAX_PROCESS_JSON} bytes: not a process.json`, { file: path });
  return parseJsonBytes(bytes, path);
}

/**
 * The exec's plan, for the container whose state directory is open (and locked, when it is to be
 * applied). Also what `plan`/`explain --process` show.
 */
export function planExecIn(dir: ContainerDir, flags: Omit<ExecCliFlags, 'root' | 'preserve-fds'>, args: string[], setConfigPath: (p: string) => void): PlannedExec {
  const processFile = flags.process === undefined ? undefined : resolve(flags.process);
  const doc = processFile === undefined ? undefined : readProcessFile(processFile);
  const socket = flags['console-socket'] === undefined ? undefined : checkConsoleSocket(flags['console-socket']);
  const rec = loadRecord(dir);
  const status = statusOf(dir, rec);
  if (status === 'stopped') throw new PlancError('bad-state', 'cannot exec in a stopped container', { where: rec.id });
  if (status === 'paused' && !flags['ignore-paused']) throw new PlancError('bad-state', 'cannot exec in a paused container (use --ignore-paused to override)', { where: rec.id });
  const container = readPlan(dir);
  if (!container) throw new PlancError('bad-state', `${dir.path} has no plan.msgpack: the container's process settings are unknown; left alone`);
  const configPath = processFile ?? `${container.bundle}/config.json`;
  setConfigPath(configPath);
  const execFlags: ExecFlags = {
    cwd: flags.cwd,
    env: flags.env,
    user: flags.user,
    additionalGids: flags['additional-gids'],
    cap: flags.cap,
    noNewPrivs: flags['no-new-privs'],
    tty: flags.tty,
    apparmor: flags.apparmor,
    processLabel: flags['process-label'],
  };
  const plan = planExecProcess(container, { pid: rec.pid, startTime: rec.startTime, cgroups: rec.cgroups }, {
    args,
    ...(doc === undefined ? {} : { process: doc }),
    flags: execFlags,
    detach: flags.detach ?? false,
    ...(socket === undefined ? {} : { consoleSocket: socket }),
    ...(flags.cgroup ? { cgroup: flags.cgroup } : {}),
    cgroupLayout: cgroupLayout(),
  });
  const bytes = encodePlan(plan);
  return { plan, bytes, digest: digestOf(bytes), configPath, paused: status === 'paused' };
}

/** `plan`/`explain --process P --id ID`: the plan an exec of process.json into that container would run. */
export function planExecOfProcess(root: string, id: string, processFile: string, detach: boolean, setConfigPath: (p: string) => void): PlannedExec {
  const dir = openContainer(root, id);
  try {
    return planExecIn(dir, { process: processFile, detach }, [], setConfigPath);
  } finally {
    dir.close();
  }
}

/** What status `exec` exits with when it fails: the shell's 127 (not found) and 126 (not executable). */
const EXIT_CODES = new WeakMap<PlancError, number>();

export function exitCodeOf(e: unknown): number | undefined {
  return isPlancError(e) ? EXIT_CODES.get(e) : undefined;
}

function execError(p: PlannedExec, run: ExecutorRun, trailPath: string): PlancError {
  if (run.interrupted) return new PlancError('system', `exec interrupted by ${run.interrupted}; the process was killed`);
  if (run.auditFailure) {
    return new PlancError('audit', `${run.auditFailure.msg ?? 'an audit record could not be written'} (${trailPath}): nothing is applied that cannot be recorded, so the exec was stopped`, { errno: run.auditFailure.auditError });
  }
  const f = run.failure ?? {};
  const action = f.i !== undefined ? p.plan.actions[f.i] : undefined;
  if (!action) return new PlancError('exec-failed', `the executor exited with status ${run.code} before the process started`);
  const why = action.why;
  const at = why.startsWith('process.json:') ? { where: why.slice('process.json:'.length) } : why.startsWith('/') ? { where: why, file: `${p.plan.bundle}/config.json` } : {};
  const err = new PlancError('exec-failed', f.msg ?? `${action.op} failed`, { ...at, errno: f.errno });
  // runc's words for these, which podman maps to the same codes.
  if (action.op === 'exec.check' || action.op === 'exec') EXIT_CODES.set(err, f.errno === 2 ? 127 : 126);
  return err;
}

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

/** Run the exec; resolves with the status planc exits with (0 when detached). */
export async function execInContainer(id: string, args: string[], flags: ExecCliFlags, setConfigPath: (p: string) => void): Promise<number> {
  const dir = openContainer(flags.root, id);
  let run: ExecutorRun;
  let planned: PlannedExec;
  // Signals to planc are the process's from the moment it may run: a signal that comes before its pid
  // is known (or between the executor's end and the wait) is held and delivered then, never lost and
  // never planc's death by the default action.
  let target = 0;
  const held: NodeJS.Signals[] = [];
  const forward = (sig: NodeJS.Signals) => {
    if (target <= 0) return void held.push(sig);
    try {
      process.kill(target, sig);
    } catch {
      // it has just exited
    }
  };
  let signals: NodeJS.Signals[] = [];
  dir.lock();
  try {
    planned = planExecIn(dir, flags, args, setConfigPath);
    const { plan, bytes, digest } = planned;
    debug(`${id}: exec plan ${digest}, ${plan.actions.length} actions`, flags);
    if (plan.actions.some((a) => a.op === 'console.relay') && !flags['dry-run']) checkRelayTerminal();
    if (flags['dry-run']) {
      process.stdout.write(`dry run: exec plan ${digest} in ${id}: ${plan.actions.length} actions, none applied\n${explainLines(plan).join('\n')}\n`);
      return 0;
    }
    checkPreservedFds(flags['preserve-fds']);
    // With a relayed terminal, the pty's size change signals the process itself (executor/native/tty.c).
    if (!flags.detach) {
      signals = plan.actions.some((a) => a.op === 'console.relay') ? FORWARDED.filter((s) => s !== 'SIGWINCH') : FORWARDED;
      for (const s of signals) process.on(s, forward);
    }
    // The exec's trail in the durable store, named in the container's trail before anything runs.
    const trail = beginExecTrail(dir, bytes, digest);
    // Into a paused container the process starts frozen and gets ready only once the container is
    // resumed (as with runc): `planc resume` needs the lock meanwhile.
    if (planned.paused) dir.unlock();
    let ran: ExecutorRun | undefined;
    try {
      ran = await runExecutor(plan, bytes, { preserveFds: flags['preserve-fds'], auditFd: trail.fd });
    } finally {
      closeSync(trail.fd);
      // The container's trail has one writer at a time: the lock again before its closing line.
      if (planned.paused) dir.lock();
      endExecTrail(trail, ran !== undefined && ran.ready && ran.code === 0 && !ran.auditFailure);
    }
    run = ran;
    if (!run.ready || run.code !== 0 || run.interrupted || run.auditFailure) throw execError(planned, run, trail.path);
    if (flags['pid-file']) writeCallerFile('--pid-file', flags['pid-file'], String(run.pid)); // no newline, as create's
    exportExecAudit(loadRecord(dir), trail, digest);
  } catch (e) {
    for (const s of signals) process.off(s, forward);
    throw e;
  } finally {
    dir.unlock();
    dir.close();
  }
  if (flags.detach) return 0;
  target = run.pid;
  for (const sig of held.splice(0)) forward(sig);
  const exit = await run.exited;
  for (const s of signals) process.off(s, forward);
  return exit?.code ?? 1;
}
