import { defineVerb } from '../verb.js';
import { frontGlobals, runFront } from '../native-front.js';

export default defineVerb({
  summary: 'send a signal (default TERM) to the container init',
  args: {
    id: { description: 'the container id', required: true },
    signal: { description: 'signal: number, name or SIG-name', default: 'TERM' },
  },
  flags: { all: { type: 'boolean', char: 'a', description: 'signal every process in the container' } },
  run(args, flags) {
    // Served by the native front (cli/native/kill.c).
    runFront([...frontGlobals(flags), 'kill', ...(flags.all ? ['--all'] : []), '--', args.id, args.signal]);
  },
});
