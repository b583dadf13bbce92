// The part of `create` and `run` that is the same: bundle → plan → claimed,
// locked state directory → executor → saved state. Any failure after the
// claim tears down exactly what the executor reported making.
import { closeSync } from 'node:fs';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { isPlancError } from '../schemas/error.js';
import { explainLines } from '../planner/explain.js';
import { type Exit, executorError, runExecutor } from '../executor/spawn.js';
import { existingCgroups, ownedFromRecord, unrecordedCgroups } from './state/cgroups.js';
import { checkId, ContainerDir, StateRoot } from './state/gate.js';
import { procStat } from './state/procfs.js';
import { type ContainerRecord, FILES, type OwnedCgroup, saveRecord } from './state/store.js';
import { AuditStore, auditDirOf, TRAIL_REF_FILE, type TrailRef } from './audit/store.js';
import { loadSignKey } from './audit/trail.js';
import { reapSync } from './libc.js';
import { checkCreate } from './plan-inputs.js';
import { nodeHostIO } from './node-host-io.js';
import { openCallerLog, writeCallerFile } from './caller-files.js';
import { planBundle } from './planning.js';
import { checkPreservedFds } from './preserved-fds.js';
import { debug } from './report.js';
import { checkConsoleSocket } from './console-socket.js';
import { type FrontRemains, frontOnDir, frontTeardown } from './native-front.js';
import { reportWarning } from './report.js';

/** The trail's records copied to --audit-log, by the native front (cli/native/lifecycle.c export_audit), under the lock this process holds. */
export function exportAudit(dir: ContainerDir, root: string, warn: (msg: string) => void): void {
  frontOnDir(dir, [`--root=${root}`, 'export-audit', '--dir-fd=3', '--', dir.id], warn);
}

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
  'audit-dir'?: string;
  'audit-sign-key'?: string;
  debug?: boolean;
  log?: string;
  'log-format'?: string;
}

export interface Created {
  /** The container's state directory, still open and locked by this process. */
  dir: ContainerDir;
  record: ContainerRecord;
  /** The container's exit status, for a foreground run (the executor waits and exits with it). */
  exited: Promise<Exit | null>;
  /** The container's audit trail in the durable store. */
  trail: TrailRef;
  /** A foreground terminal: the executor relays planc's terminal and passes window changes on itself. */
  relay: boolean;
}

/**
 * Create a container; `onConfig` learns the config path early, for error messages.
 * With --dry-run: everything up to the executor, then print the plan's explanation instead.
 */
export async function createContainer(id: string, flags: CreateFlags, mode: 'create' | 'run' | 'run-detached', onConfig: (path: string) => void): Promise<Created | null> {
  checkId(id);
  const socket = flags['console-socket'] === undefined ? undefined : checkConsoleSocket(flags['console-socket']);
  const { plan, bytes, digest, config } = planBundle({ ...flags, 'console-socket': socket, id, run: mode !== 'create', detach: mode === 'run-detached' }, onConfig);
  checkCreate(nodeHostIO, { config, plan, mode, socket, relay: !flags['dry-run'] });
  debug(`${id}: plan ${digest}, ${plan.actions.length} actions`, flags);
  for (const w of plan.warnings) debug(`${id}: warning: ${w.message} (${w.why})`, flags);
  if (flags['dry-run']) {
    process.stdout.write(`dry run: plan ${digest} for ${id}: ${plan.actions.length} actions, none applied\n${explainLines(plan).join('\n')}\n`);
    return null;
  }
  checkPreservedFds(flags['preserve-fds']);
  // A log planc could not append to would fail the create after the container exists: check it first.
  if (flags['audit-log']) closeSync(openCallerLog('--audit-log', flags['audit-log']));
  // So is an audit store or a signing key planc cannot use: nothing is created that could not be recorded.
  loadSignKey(flags['audit-sign-key'] ?? process.env.PLANC_AUDIT_SIGN_KEY);
  const store = AuditStore.open(auditDirOf(flags), { create: true })!;
  const root = StateRoot.open(flags.root, { create: true })!;
  const dir = ContainerDir.claim(root, id);
  // What teardown may touch if anything below fails: grows as the executor reports.
  const remains: FrontRemains = { pid: 0, startTime: '', cgroups: [] };
  let trailFd = -1;
  let ref: TrailRef | undefined;
  try {
    dir.write(FILES.plan, bytes);
    ({ ref, fd: trailFd } = store.begin(id, bytes));
    // Before the executor runs: a crash from here on leaves the way to the trail (and the cgroups it records).
    dir.write(TRAIL_REF_FILE, JSON.stringify(ref));
    const before = existingCgroups(plan);
    const run = await runExecutor(plan, bytes, { preserveFds: flags['preserve-fds'], auditFd: trailFd });
    remains.pid = run.pid;
    // An init that already exited and was reaped (a quick foreground run) has no start time to read:
    // '0', which no live process has, so the record stays one the schema accepts and the container reads as stopped.
    remains.startTime = procStat(run.pid)?.startTime || '0';
    remains.cgroups = run.reports.map((r) => ownedFromRecord(plan, r)).filter((c): c is OwnedCgroup => c !== null);
    if (!run.ready || run.code !== 0 || run.interrupted || run.auditFailure) {
      // An executor killed between a mkdir and its record, or stopped because that record could
      // not be written, leaves a cgroup nobody reported.
      if (run.code !== 1 || run.auditFailure) remains.cgroups.push(...unrecordedCgroups(plan, before, remains.cgroups));
      throw executorError(plan, run, store.path(ref));
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
    if (record.auditLog) exportAudit(dir, flags.root, (m) => reportWarning(m, { file: flags.log, format: flags['log-format'] }));
    if (flags['pid-file']) writeCallerFile('--pid-file', flags['pid-file'], String(record.pid)); // no newline: containerd rejects one
    closeSync(trailFd);
    return { dir, record, exited: run.exited, trail: ref, relay: plan.actions.some((a) => a.op === 'console.relay') };
  } catch (e) {
    // Undo what the executor made (the front's teardown, cli/native/teardown.c), recorded in the
    // trail as an undo plan — or, when the trail itself cannot be written, unrecorded: nothing may
    // be left behind for want of a record (--best-effort). Once a hook ran, a failed create goes on
    // at the spec's step 12: destroyed, then the poststop hooks (recorded before the trail is closed).
    if (trailFd >= 0) closeSync(trailFd);
    const auditLog = flags['audit-log'] ? resolve(flags['audit-log']) : undefined;
    frontTeardown(dir, 'undo', (m) => reportWarning(m, { file: flags.log, format: flags['log-format'] }), {
      signKey: flags['audit-sign-key'],
      remains: { ...remains, ...(auditLog ? { auditLog } : {}), planDigest: digest },
      reason: isPlancError(e) ? e.message : String(e),
      bestEffort: true,
    });
    // The init (if any) is our child through CLONE_PARENT: reap it so no zombie outlives the failed
    // create — once it is one (a wait for a live process would never return).
    const init = procStat(remains.pid);
    if (init && (init.state === 'Z' || init.state === 'X')) reapSync(remains.pid);
    throw e;
  } finally {
    store.close();
  }
}
