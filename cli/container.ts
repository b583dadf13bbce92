// The part of `create` and `run` that is the same: bundle → plan → claimed,
// locked state directory → executor → saved state. Any failure after the
// claim tears down exactly what the executor reported making.
import { closeSync, constants as C, writeSync } from 'node:fs';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { PlancError } from '../schemas/error.js';
import { explainLines } from '../planner/explain.js';
import { executorError, runExecutor } from '../executor/spawn.js';
import { existingCgroups, ownedFromRecord, unrecordedCgroups } from './state/cgroups.js';
import { checkId, ContainerDir, StateRoot } from './state/gate.js';
import { type Remains, teardown } from './state/lifecycle.js';
import { procStat } from './state/procfs.js';
import { type ContainerRecord, FILES, type OwnedCgroup, saveRecord } from './state/store.js';
import { exportAudit } from './state/audit-export.js';
import { reapSync } from './libc.js';
import { checkRootfs } from './bundle.js';
import { openCallerLog, writeCallerFile } from './caller-files.js';
import { planBundle } from './planning.js';
import { checkPreservedFds } from './preserved-fds.js';
import { debug } from './report.js';
import { errnoWords } from './errno.js';
import { runPoststop } from './state/hooks.js';
import { reportWarning } from './report.js';

export interface CreateFlags {
  root: string;
  bundle?: string;
  'pid-file'?: string;
  'console-socket'?: string;
  'preserve-fds': number;
  'no-pivot'?: boolean;
  'systemd-cgroup'?: boolean;
  'dry-run'?: boolean;
  'audit-log'?: string;
  debug?: boolean;
  log?: string;
  'log-format'?: string;
}

export interface Created {
  /** The container's state directory, still open and locked by this process. */
  dir: ContainerDir;
  record: ContainerRecord;
  /** The container's exit status, for a foreground run (the executor waits and exits with it). */
  exited: Promise<number | null>;
}

/** The container's audit log, created with its header line: the fd the executor appends its records to. */
function openAudit(dir: ContainerDir, header: string): number {
  let fd = -1;
  try {
    fd = dir.openFile(FILES.audit, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_APPEND, 0o600);
    writeSync(fd, header);
    return fd;
  } catch (e) {
    if (fd >= 0) closeSync(fd);
    throw new PlancError('system', `write ${dir.path}/${FILES.audit}: ${errnoWords(e)}`);
  }
}

/**
 * Create a container; `onConfig` learns the config path early, for error messages.
 * With --dry-run: everything up to the executor, then print the plan's explanation instead.
 */
export async function createContainer(id: string, flags: CreateFlags, mode: 'create' | 'run' | 'run-detached', onConfig: (path: string) => void): Promise<Created | null> {
  checkId(id);
  const { plan, bytes, digest, config } = planBundle({ ...flags, id, run: mode !== 'create', detach: mode === 'run-detached' }, onConfig);
  if (config.process?.terminal || flags['console-socket']) {
    throw new PlancError('unsupported', 'terminals (process.terminal, --console-socket) are not supported yet; set "terminal": false', { where: '/process/terminal' });
  }
  checkRootfs(plan.rootfs);
  debug(`${id}: plan ${digest}, ${plan.actions.length} actions`, flags);
  for (const w of plan.warnings) debug(`${id}: warning: ${w.message} (${w.why})`, flags);
  if (flags['dry-run']) {
    process.stdout.write(`dry run: plan ${digest} for ${id}: ${plan.actions.length} actions, none applied\n${explainLines(plan).join('\n')}\n`);
    return null;
  }
  checkPreservedFds(flags['preserve-fds']);
  // A log planc could not append to would fail the create after the container exists: check it first.
  if (flags['audit-log']) closeSync(openCallerLog('--audit-log', flags['audit-log']));
  const root = StateRoot.open(flags.root, { create: true })!;
  const dir = ContainerDir.claim(root, id);
  // What teardown may touch if anything below fails: grows as the executor reports.
  const remains: Remains = { pid: 0, startTime: '', cgroups: [] };
  try {
    dir.write(FILES.plan, bytes);
    const auditFd = openAudit(dir, JSON.stringify({ planDigest: digest, containerId: plan.containerId, actions: plan.actions.length }) + '\n');
    const before = existingCgroups(plan);
    let run;
    try {
      run = await runExecutor(plan, bytes, { preserveFds: flags['preserve-fds'], auditFd });
    } finally {
      closeSync(auditFd);
    }
    remains.pid = run.pid;
    remains.startTime = procStat(run.pid)?.startTime ?? '';
    remains.cgroups = run.reports.map((r) => ownedFromRecord(plan, r)).filter((c): c is OwnedCgroup => c !== null);
    if (!run.ready || run.code !== 0 || run.interrupted) {
      // An executor killed between a mkdir and its record leaves a cgroup nobody reported.
      if (run.code !== 1) remains.cgroups.push(...unrecordedCgroups(plan, before, remains.cgroups));
      throw executorError(plan, run);
    }
    const record: ContainerRecord = {
      ociVersion: plan.ociVersion,
      id,
      pid: run.pid,
      startTime: remains.startTime,
      bundle: plan.bundle,
      rootfs: plan.rootfs,
      created: new Date().toISOString(),
      owner: userInfo().username,
      ...(config.annotations && Object.keys(config.annotations).length > 0 ? { annotations: config.annotations } : {}),
      planDigest: digest,
      cgroups: remains.cgroups,
      pidNamespace: plan.namespaces.some((ns) => ns.type === 'pid'),
      ...(flags['audit-log'] ? { auditLog: resolve(flags['audit-log']) } : {}),
      // What `update` merges into and `state.json` shows, as runc keeps them.
      ...(config.linux?.resources ? { resources: config.linux.resources } : {}),
    };
    saveRecord(dir, record);
    exportAudit(dir, record);
    if (flags['pid-file']) writeCallerFile('--pid-file', flags['pid-file'], String(record.pid)); // no newline: containerd rejects one
    return { dir, record, exited: run.exited };
  } catch (e) {
    // Once a hook ran, a failed create goes on at the spec's step 12: destroyed, then the poststop hooks.
    const hooksRan = dir.read(FILES.audit)?.includes('"op":"hook.') ?? false;
    // The init (if any) is our child through CLONE_PARENT: reap it so no zombie outlives the failed create.
    teardown(dir, remains, reapSync);
    if (hooksRan) {
      const auditLog = flags['audit-log'] ? resolve(flags['audit-log']) : undefined;
      runPoststop(plan, { id, planDigest: digest, auditLog }, (m) => reportWarning(m, { file: flags.log, format: flags['log-format'] }));
    }
    throw e;
  }
}
