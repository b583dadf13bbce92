import { PlancError } from '../../schemas/error.js';
import { defineVerb } from '../verb.js';
import { idArg } from '../flags.js';
import { freeze, openTrail, statusOf } from '../state/lifecycle.js';
import { loadRecord, openContainer } from '../state/store.js';

export default defineVerb({
  summary: 'resume every process of a paused container',
  args: idArg,
  flags: {},
  run(args, flags) {
    const dir = openContainer(flags.root, args.id);
    dir.lock();
    const rec = loadRecord(dir);
    const status = statusOf(dir, rec);
    if (status !== 'paused') throw new PlancError('bad-state', `container not paused: it is ${status}`, { where: args.id });
    // Planned and recorded in the container's trail, like every change to it.
    const trail = openTrail(dir);
    try {
      freeze(dir, rec, 'THAWED', { trail });
    } finally {
      trail?.release();
    }
  },
});
