import { defineVerb } from '../verb.js';
import { idArg } from '../flags.js';
import { frontGlobals, runFront } from '../native-front.js';

export default defineVerb({
  summary: 'delete a container: stop what is left, remove its cgroups and state',
  args: idArg,
  flags: { force: { type: 'boolean', char: 'f', description: 'kill a running container first; an unknown id is not an error' } },
  run(args, flags) {
    // Served by the native front (cli/native/delete.c, teardown.c).
    runFront([...frontGlobals(flags), 'delete', ...(flags.force ? ['--force'] : []), '--', args.id]);
  },
});
