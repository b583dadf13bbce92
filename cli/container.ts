// The part of `create` and `run` that is the same: bundle → plan → executor.
import { writeFileSync, renameSync } from 'node:fs';
import { resolve } from 'node:path';
import { PlancError } from '../schemas/error.js';
import { planCreate } from '../planner/plan.js';
import { digestOf, encodePlan } from '../planner/encode.js';
import { applyCreate } from '../executor/create.js';
import { gatherHostFacts } from '../executor/host-facts.js';
import { claim, type ContainerRecord, removeStateDir } from '../executor/state.js';
import { checkRootfs, readBundle } from './bundle.js';

export interface CreateFlags {
  root: string;
  bundle?: string;
  'pid-file'?: string;
  'console-socket'?: string;
  'preserve-fds': number;
  'no-pivot'?: boolean;
  'systemd-cgroup'?: boolean;
}

/** Create a container; `onConfig` learns the config path early, for error messages. */
export async function createContainer(id: string, flags: CreateFlags, waitForStart: boolean, onConfig: (path: string) => void): Promise<ContainerRecord> {
  const bundle = readBundle(flags.bundle);
  onConfig(bundle.configPath);
  const root = resolve(flags.root);
  const dir = claim(root, id);
  try {
    const facts = gatherHostFacts({ id, bundle: bundle.dir, stateDir: dir, noPivot: flags['no-pivot'] ?? false, systemdCgroup: flags['systemd-cgroup'] ?? false });
    const plan = planCreate(bundle.config, facts, { waitForStart });
    const terminal = (bundle.config as { process?: { terminal?: boolean } }).process?.terminal === true;
    if (terminal || flags['console-socket']) {
      throw new PlancError('unsupported', 'terminals (process.terminal, --console-socket) are not supported yet; set "terminal": false', { where: '/process/terminal' });
    }
    checkRootfs(plan.rootfs);
    const bytes = encodePlan(plan);
    const annotations = (bundle.config as { annotations?: Record<string, string> }).annotations;
    const rec = await applyCreate(plan, bytes, digestOf(bytes), { root, preserveFds: flags['preserve-fds'], annotations });
    if (flags['pid-file']) writePidFile(resolve(flags['pid-file']), rec.pid);
    return rec;
  } catch (e) {
    // applyCreate cleans up what it started; what is left is the claimed state dir.
    removeStateDir(root, id);
    throw e;
  }
}

/** containerd rejects a pid file with a trailing newline; write it whole or not at all. */
function writePidFile(path: string, pid: number): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, String(pid));
  renameSync(tmp, path);
}
