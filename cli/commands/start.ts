import { defineVerb } from '../verb.js';
import { idArg } from '../flags.js';
import { frontGlobals, runFront } from '../native-front.js';

export default defineVerb({
  summary: 'start a created container: run its process',
  args: idArg,
  flags: {},
  run(args, flags) {
    // Served by the native front (cli/native/start.c): the release, the exec confirmed, poststart hooks, the --audit-log export.
    runFront([...frontGlobals(flags), 'start', '--', args.id]);
  },
});
