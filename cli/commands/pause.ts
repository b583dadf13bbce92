import { PlancError } from '../../schemas/error.js';
import { defineVerb } from '../verb.js';
import { idArg } from '../flags.js';
import { freeze, openTrail, statusOf } from '../state/lifecycle.js';
import { loadRecord, openContainer } from '../state/store.js';

export default defineVerb({
  summary: 'suspend every process of a container (cgroup freezer)',
  args: idArg,
  flags: {},
  run(args, flags) {
    const dir = openContainer(flags.root, args.id);
    dir.lock(); // the status read is the one acted on; no other verb thaws meanwhile
    const rec = loadRecord(dir);
    const status = statusOf(dir, rec);
    // runc's words (engines match on them), with the status that made it so.
    if (status !== 'running' && status !== 'created') throw new PlancError('bad-state', `container not running: it is ${status}`, { where: args.id });
    // Planned and recorded in the container's trail, like every change to it.
    const trail = openTrail(dir);
    try {
      freeze(dir, rec, 'FROZEN', { trail });
    } finally {
      trail?.release();
    }
  },
});
