import { resolve } from 'node:path';
import { PlancError } from '../../schemas/error.js';
import { defineVerb } from '../verb.js';
import { idArg } from '../flags.js';
import { destroy, statusOf } from '../../executor/lifecycle.js';
import { exists, loadRecord, lockContainer, plannedCgroups, stateDir } from '../../executor/state.js';

export default defineVerb({
  summary: 'delete a container: stop what is left, remove its cgroups and state',
  args: idArg,
  flags: { force: { type: 'boolean', char: 'f', description: 'kill a running container first; an unknown id is not an error' } },
  async run(args, flags) {
    const root = resolve(flags.root);
    if (flags.force && !exists(stateDir(root, args.id))) return;
    let rec;
    try {
      rec = loadRecord(root, args.id);
    } catch (e) {
      // A state dir without a record is a create that crashed: --force cleans up what its plan made.
      if (flags.force) return destroy(root, args.id, { pid: 0, startTime: '', cgroupPaths: plannedCgroups(root, args.id) });
      throw e;
    }
    lockContainer(root, args.id);
    const status = statusOf(root, rec);
    if (!flags.force && (status === 'running' || status === 'paused')) {
      throw new PlancError('bad-state', `cannot delete container ${args.id} that is not stopped: ${status}`);
    }
    destroy(root, args.id, rec);
  },
});
