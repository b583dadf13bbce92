import { PlancError } from '../../schemas/error.js';
import { defineVerb } from '../verb.js';
import { idArg } from '../flags.js';
import { liveCgroups, statusOf } from '../state/lifecycle.js';
import { setFreezer } from '../state/live.js';
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
    setFreezer(liveCgroups(rec), 'THAWED');
  },
});
