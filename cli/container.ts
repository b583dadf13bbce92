// The part of `create` and `run` that is the same: bundle → plan → executor.
import { writeFileSync, renameSync } from 'node:fs';
import { resolve } from 'node:path';
import { PlancError } from '../schemas/error.js';
import { explainLines } from '../planner/explain.js';
import { applyCreate, type Created } from '../executor/create.js';
import { checkId, claim } from '../executor/state.js';
import { destroy } from '../executor/lifecycle.js';
import { checkRootfs } from './bundle.js';
import { planBundle } from './planning.js';
import { debug } from './report.js';

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

/**
 * Create a container; `onConfig` learns the config path early, for error messages.
 * With --dry-run: everything up to the executor, then print the plan's explanation instead.
 */
export async function createContainer(id: string, flags: CreateFlags, mode: 'create' | 'run' | 'run-detached', onConfig: (path: string) => void): Promise<Created | null> {
  checkId(id);
  const root = resolve(flags.root);
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
  claim(root, id);
  let created: Created | undefined;
  try {
    created = await applyCreate(plan, bytes, digest, { root, preserveFds: flags['preserve-fds'], annotations: config.annotations, auditLog: flags['audit-log'] && resolve(flags['audit-log']) });
    if (flags['pid-file']) writePidFile(resolve(flags['pid-file']), created.record.pid);
    return created;
  } catch (e) {
    // applyCreate undoes its own failures; this also covers a failure after it (the pid file).
    destroy(root, id, created?.record ?? { pid: 0, startTime: '', cgroupPaths: plan.cgroupPaths });
    throw e;
  }
}

/** containerd rejects a pid file with a trailing newline; write it whole or not at all. */
function writePidFile(path: string, pid: number): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, String(pid));
  renameSync(tmp, path);
}
