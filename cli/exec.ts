// `planc exec`: plan a process in a running container (planner/exec.ts) and
// hand it over. The container's lock is taken before its state is read and
// held until the process runs, so no delete races the setup. Applying the
// plan — the exec's trail beside the container's, the executor, --pid-file,
// the --audit-log export and, in the foreground, the wait for the process
// with signals forwarded to it — is the native front's (cli/native/apply.c),
// which this process becomes, the locked state directory passed on.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Plan } from '../schemas/generated/plan.js';
import { PlancError } from '../schemas/error.js';
import { type ExecFlags, planExecProcess } from '../planner/exec.js';
import { encodePlan } from '../planner/encode.js';
import { explainLines } from '../planner/explain.js';
import { type Json, parseJsonBytes } from '../planner/json.js';
import { checkConsoleSocket, checkRelayTerminal } from './console-socket.js';
import { digest as digestOf } from './digest.js';
import { errnoWords } from './errno.js';
import { cgroupLayout } from './host-facts.js';
import { becomeApply } from './native-front.js';
import { checkPreservedFds } from './preserved-fds.js';
import { debug } from './report.js';
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

/**
 * Run the exec. With --dry-run: the plan's explanation printed instead, and this returns. Otherwise this process
 * becomes the native front, which applies the plan (cli/native/apply.c, `apply --mode=exec`) and exits with the
 * process's status (0 when detached): it never returns.
 */
export async function execInContainer(id: string, args: string[], flags: ExecCliFlags, setConfigPath: (p: string) => void): Promise<void> {
  const dir = openContainer(flags.root, id);
  dir.lock();
  try {
    const planned = planExecIn(dir, flags, args, setConfigPath);
    const { plan, bytes, digest } = planned;
    debug(`${id}: exec plan ${digest}, ${plan.actions.length} actions`, flags);
    if (plan.actions.some((a) => a.op === 'console.relay') && !flags['dry-run']) checkRelayTerminal();
    if (flags['dry-run']) {
      process.stdout.write(`dry run: exec plan ${digest} in ${id}: ${plan.actions.length} actions, none applied\n${explainLines(plan).join('\n')}\n`);
      return;
    }
    checkPreservedFds(flags['preserve-fds']);
    // The rest is the native front's: this process becomes it, so the pid the caller started stays planc's and
    // no Node waits around. The state directory goes along still locked (the lock is its open file's, which the
    // execve keeps); the plan, and the command line the trail records as the exec's caller, on memfds above the
    // preserved fds.
    const caller = Buffer.from(process.argv.slice(2).join('\0'));
    const applyArgs = [`--dir-fd=${dir.fd}`, ...(planned.paused ? ['--paused'] : []), `--config=${planned.configPath}`];
    becomeApply(flags, 'exec', id, [['plan-fd', bytes], ['argv-fd', caller]], applyArgs, [dir.fd]);
  } finally {
    dir.unlock();
    dir.close();
  }
}
