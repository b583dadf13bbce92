import { resolve } from 'node:path';
import { defineVerb } from '../verb.js';
import { idArg } from '../flags.js';
import { ociState } from '../../executor/lifecycle.js';
import { loadRecord } from '../../executor/state.js';

export default defineVerb({
  summary: 'print the state of a container as OCI state JSON',
  args: idArg,
  flags: {},
  run(args, flags) {
    const root = resolve(flags.root);
    process.stdout.write(JSON.stringify(ociState(root, loadRecord(root, args.id)), null, 2) + '\n');
  },
});
