import { defineVerb } from '../verb.js';
import { idArg } from '../flags.js';
import { frontGlobals, runFront } from '../native-front.js';

export default defineVerb({
  summary: 'print the state of a container as OCI state JSON',
  args: idArg,
  flags: {},
  run(args, flags) {
    // Served by the native front (cli/native/state.c).
    runFront([...frontGlobals(flags), 'state', '--', args.id]);
  },
});
