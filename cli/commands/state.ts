import { defineVerb } from '../verb.js';
import { idArg } from '../flags.js';
import { stateOf } from '../state/lifecycle.js';
import { openContainer } from '../state/store.js';

export default defineVerb({
  summary: 'print the state of a container as OCI state JSON',
  args: idArg,
  flags: {},
  run(args, flags) {
    process.stdout.write(JSON.stringify(stateOf(openContainer(flags.root, args.id)), null, 2) + '\n');
  },
});
