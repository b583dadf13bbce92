import { resolve } from 'node:path';
import { PlancError } from '../../schemas/error.js';
import { defineVerb } from '../verb.js';
import { kill, statusOf } from '../../executor/lifecycle.js';
import { signalNumber } from '../../executor/proc.js';
import { loadRecord } from '../../executor/state.js';

export default defineVerb({
  summary: 'send a signal (default TERM) to the container init',
  args: {
    id: { description: 'the container id', required: true },
    signal: { description: 'signal: number, name or SIG-name', default: 'TERM' },
  },
  flags: { all: { type: 'boolean', char: 'a', description: 'signal every process in the container' } },
  run(args, flags) {
    const root = resolve(flags.root);
    const sig = signalNumber(args.signal);
    const rec = loadRecord(root, args.id);
    if (statusOf(root, rec) === 'stopped') throw new PlancError('bad-state', 'container not running', { where: args.id });
    kill(rec, sig, flags.all ?? false);
  },
});
