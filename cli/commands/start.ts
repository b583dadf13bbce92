import { defineVerb } from '../verb.js';
import { idArg } from '../flags.js';
import { exportAudit } from '../state/audit-export.js';
import { start } from '../state/lifecycle.js';
import { loadRecord, openContainer } from '../state/store.js';

export default defineVerb({
  summary: 'start a created container: run its process',
  args: idArg,
  flags: {},
  run(args, flags) {
    const dir = openContainer(flags.root, args.id);
    dir.lock(); // before reading: the record read is the one acted on
    const rec = loadRecord(dir);
    start(dir, rec);
    exportAudit(dir, rec); // the exec is confirmed in the trail by now
  },
});
