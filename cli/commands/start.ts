import { resolve } from 'node:path';
import { defineVerb } from '../verb.js';
import { idArg } from '../flags.js';
import { exportAfterStart } from '../../executor/audit-log.js';
import { start } from '../../executor/lifecycle.js';
import { loadRecord, lockContainer } from '../../executor/state.js';

export default defineVerb({
  summary: 'start a created container: run its process',
  args: idArg,
  flags: {},
  async run(args, flags) {
    const root = resolve(flags.root);
    const rec = loadRecord(root, args.id);
    lockContainer(root, args.id);
    start(root, rec);
    exportAfterStart(root, rec);
  },
});
