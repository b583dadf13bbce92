// `planc exec`: plan a process in a running container (planner/exec.ts) and
// hand it over. The container's lock is taken before its state is read and
// held until the process runs, so no delete races the setup. Applying the
// plan — the exec's trail beside the container's, the executor, --pid-file,
// the --audit-log export and, in the foreground, the wait for the process
// with signals forwarded to it — is the native front's (cli/native/apply.c),
// which this process becomes, the locked state directory passed on.
import { explainLines } from '../planner/explain.js';
import { digest as digestOf } from './digest.js';
import { type ExecContainer, type ExecInputFlags, type PlannedExec, planExecWith } from './exec-inputs.js';
import { becomeApply } from './native-front.js';
import { nodeHostIO } from './node-host-io.js';
import { checkPreservedFds } from './preserved-fds.js';
import { debug } from './report.js';
import type { ContainerDir } from './state/gate.js';
import { statusOf } from './state/lifecycle.js';
import { FILES, loadRecord, openContainer } from './state/store.js';

export interface ExecCliFlags extends ExecInputFlags {
  root: string;
  'pid-file'?: string;
  'preserve-fds': number;
  'dry-run'?: boolean;
  debug?: boolean;
  log?: string;
  'log-format'?: string;
}

/** An exec's plan, as `plan`/`explain --process` and `exec` use it. */
export interface PlannedExecOf extends PlannedExec {
  digest: string;
}

/**
 * The exec's plan, for the container whose state directory is open (and locked, when it is to be
 * applied). Also what `plan`/`explain --process` show; `relayCheck` as planExecWith's.
 */
export function planExecIn(dir: ContainerDir, flags: ExecInputFlags, args: string[], setConfigPath: (p: string) => void, relayCheck = false): PlannedExecOf {
  const container = (): ExecContainer => {
    const rec = loadRecord(dir);
    return { id: dir.id, path: dir.path, status: statusOf(dir, rec), target: { pid: rec.pid, startTime: rec.startTime, cgroups: rec.cgroups }, stored: dir.read(FILES.plan) };
  };
  const planned = planExecWith(nodeHostIO, flags, args, container, setConfigPath, relayCheck);
  return { ...planned, digest: digestOf(planned.bytes) };
}

/** `plan`/`explain --process P --id ID`: the plan an exec of process.json into that container would run. */
export function planExecOfProcess(root: string, id: string, processFile: string, detach: boolean, setConfigPath: (p: string) => void): PlannedExecOf {
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
    const planned = planExecIn(dir, flags, args, setConfigPath, !flags['dry-run']);
    const { plan, bytes, digest } = planned;
    debug(`${id}: exec plan ${digest}, ${plan.actions.length} actions`, flags);
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
