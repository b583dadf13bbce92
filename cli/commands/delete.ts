import { isPlancError, PlancError } from '../../schemas/error.js';
import { defineVerb } from '../verb.js';
import { idArg } from '../flags.js';
import { openTrail, remainsOfCrashedCreate, statusOf, teardown } from '../state/lifecycle.js';
import { loadSignKey } from '../audit/trail.js';
import { type ContainerDir, checkId } from '../state/gate.js';
import { openContainer, readRecord } from '../state/store.js';
import { planWithHooks, runPoststop } from '../state/hooks.js';
import { reportWarning } from '../report.js';

/** The container's directory, locked; null for --force on a container that does not exist (runc exits 0 then). */
function lockedDir(root: string, id: string, force: boolean): ContainerDir | null {
  try {
    const dir = openContainer(root, id);
    dir.lock();
    return dir;
  } catch (e) {
    if (force && isPlancError(e) && e.code === 'not-found') return null;
    throw e;
  }
}

export default defineVerb({
  summary: 'delete a container: stop what is left, remove its cgroups and state',
  args: idArg,
  flags: { force: { type: 'boolean', char: 'f', description: 'kill a running container first; an unknown id is not an error' } },
  run(args, flags) {
    checkId(args.id); // an invalid id is an error even with --force: it names nothing planc could have made
    const signKey = loadSignKey(flags['audit-sign-key'] ?? process.env.PLANC_AUDIT_SIGN_KEY);
    const dir = lockedDir(flags.root, args.id, flags.force ?? false);
    if (!dir) return;
    const rec = readRecord(dir);
    const warn = (m: string) => reportWarning(m, { file: flags.log, format: flags['log-format'] });
    // Read before teardown removes it: the poststop hooks run once the container is gone.
    const hooked = planWithHooks(dir);
    if (!rec && !flags.force) throw new PlancError('bad-state', 'container was never fully created; delete --force removes what it left', { where: args.id });
    const status = rec ? statusOf(dir, rec) : 'creating';
    // The spec: deleting a container that is not stopped MUST fail and leave it be — a created
    // one too (runc deletes it; see docs/linux-fields.md). --force stops it first.
    if (!flags.force && status !== 'stopped') {
      throw new PlancError('bad-state', `cannot delete container ${args.id} that is not stopped: ${status}`);
    }
    // The delete is planned into the container's trail, recorded action by action, then the
    // poststop hooks (for a crashed create: once a hook ran), and the trail closed.
    const trail = openTrail(dir);
    const hooksRan = rec !== null || (trail?.bytes().includes('"op":"hook.') ?? false);
    try {
      // No record under the lock: a create that crashed. Clean up what its executor recorded making.
      teardown(dir, rec ?? remainsOfCrashedCreate(dir), 'delete', {
        trail,
        signKey,
        extra: { status, force: flags.force ?? false },
        beforeClose: () => {
          if (hooksRan) runPoststop(hooked, rec, warn, trail);
        },
      });
    } finally {
      trail?.release();
    }
  },
});
