import { isPlancError, PlancError } from '../../schemas/error.js';
import { defineVerb } from '../verb.js';
import { idArg } from '../flags.js';
import { remainsOfCrashedCreate, statusOf, teardown } from '../state/lifecycle.js';
import { type ContainerDir, checkId } from '../state/gate.js';
import { FILES, openContainer, readRecord } from '../state/store.js';
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
    const dir = lockedDir(flags.root, args.id, flags.force ?? false);
    if (!dir) return;
    const rec = readRecord(dir);
    const warn = (m: string) => reportWarning(m, { file: flags.log, format: flags['log-format'] });
    // Read before teardown removes it: the poststop hooks run once the container is gone.
    const hooked = planWithHooks(dir);
    if (!rec) {
      // No record under the lock: a create that crashed. Clean up what its executor recorded making.
      if (!flags.force) throw new PlancError('bad-state', 'container was never fully created; delete --force removes what it left', { where: args.id });
      const hooksRan = dir.read(FILES.audit)?.includes('"op":"hook.') ?? false;
      teardown(dir, remainsOfCrashedCreate(dir));
      if (hooksRan) runPoststop(hooked, null, warn);
      return;
    }
    const status = statusOf(dir, rec);
    // The spec: deleting a container that is not stopped MUST fail and leave it be — a created
    // one too (runc deletes it; see docs/linux-fields.md). --force stops it first.
    if (!flags.force && status !== 'stopped') {
      throw new PlancError('bad-state', `cannot delete container ${args.id} that is not stopped: ${status}`);
    }
    teardown(dir, rec);
    runPoststop(hooked, rec, warn);
  },
});
