import { isPlancError } from '../../schemas/error.js';
import { defineVerb } from '../verb.js';
import { idArg } from '../flags.js';
import { exportAudit } from '../state/audit-export.js';
import { start } from '../state/lifecycle.js';
import { loadRecord, openContainer } from '../state/store.js';
import { afterRelease, failedStart, initFailure, planWithHooks } from '../state/hooks.js';
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
    const warn = (m: string) => reportWarning(m, { file: flags.log, format: flags['log-format'] });
    try {
      start(dir, rec); // returns once the exec is confirmed in the trail
    } catch (e) {
      // With hooks, a start whose init failed (a startContainer hook, the exec) destroys the container and runs poststop (runtime.md).
      if (hooked && isPlancError(e) && e.code === 'exec-failed') throw failedStart(dir, rec, hooked, initFailure(dir), warn);
      throw e;
    }
    // startContainer hooks ran between the release and the exec; poststart runs after it.
    if (hooked) afterRelease(dir, rec, hooked, warn);
    exportAudit(dir, rec);
  },
});
