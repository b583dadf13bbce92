import { PlancError } from '../../schemas/error.js';
import { defineVerb } from '../verb.js';
import { kill, openTrail, statusOf } from '../state/lifecycle.js';
import { signalNumber } from '../state/procfs.js';
import { checkId } from '../state/gate.js';
import { loadRecord, openContainer } from '../state/store.js';

export default defineVerb({
  summary: 'send a signal (default TERM) to the container init',
  args: {
    id: { description: 'the container id', required: true },
    signal: { description: 'signal: number, name or SIG-name', default: 'TERM' },
  },
  flags: { all: { type: 'boolean', char: 'a', description: 'signal every process in the container' } },
  run(args, flags) {
    checkId(args.id);
    const sig = signalNumber(args.signal);
    const dir = openContainer(flags.root, args.id);
    // Under the lock: --all freezes and thaws (no pause or resume in between), and the kill's
    // records go into the trail, which has one writer at a time.
    dir.lock();
    const rec = loadRecord(dir);
    // As runc: --all still signals what is left in the cgroups of a stopped container (its init gone, others not).
    if (statusOf(dir, rec) === 'stopped' && !flags.all) throw new PlancError('bad-state', 'container not running', { where: args.id });
    const trail = openTrail(dir);
    try {
      kill(dir, rec, sig, flags.all ?? false, { trail });
    } finally {
      trail?.release();
    }
  },
});
