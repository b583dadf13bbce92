import { defineVerb } from '../verb.js';
import { idArg } from '../flags.js';
import { ociState } from '../state/lifecycle.js';
import { loadRecord, openContainer } from '../state/store.js';

export default defineVerb({
  summary: 'print the state of a container as OCI state JSON',
  args: idArg,
  flags: {},
  run(args, flags) {
    const dir = openContainer(flags.root, args.id);
    process.stdout.write(JSON.stringify(ociState(dir, loadRecord(dir)), null, 2) + '\n');
  },
});
