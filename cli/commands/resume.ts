import { defineVerb } from '../verb.js';
import { idArg } from '../flags.js';
import { frontGlobals, runFront } from '../native-front.js';

export default defineVerb({
  summary: 'resume every process of a paused container',
  args: idArg,
  flags: {},
  run(args, flags) {
    // Served by the native front (cli/native/freezer-verb.c).
    runFront([...frontGlobals(flags), 'resume', '--', args.id]);
  },
});
