import { defineVerb } from '../verb.js';
import { idArg } from '../flags.js';
import { exportAfterStart } from '../state/audit-export.js';
import { start } from '../state/lifecycle.js';
import { loadRecord, openContainer } from '../state/store.js';
import { afterRelease, planWithHooks } from '../state/hooks.js';
import { reportWarning } from '../report.js';

export default defineVerb({
  summary: 'start a created container: run its process',
  args: idArg,
  flags: {},
  run(args, flags) {
    const dir = openContainer(flags.root, args.id);
    dir.lock(); // before reading: the record read is the one acted on
    const rec = loadRecord(dir);
    const hooked = planWithHooks(dir);
    start(dir, rec);
    // startContainer hooks run between the release and the exec; poststart after it.
    if (hooked) afterRelease(dir, rec, hooked, (m) => reportWarning(m, { file: flags.log, format: flags['log-format'] }));
    exportAfterStart(dir, rec);
  },
});
