import { defineVerb } from '../verb.js';
import { idArg } from '../flags.js';
import { frontGlobals, runFront } from '../native-front.js';

export default defineVerb({
  summary: 'suspend every process of a container (cgroup freezer)',
  args: idArg,
  flags: {},
  run(args, flags) {
    // Served by the native front (cli/native/freezer-verb.c).
    runFront([...frontGlobals(flags), 'pause', '--', args.id]);
  },
});
