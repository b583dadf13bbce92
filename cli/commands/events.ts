import { PlancError } from '../../schemas/error.js';
import { stringifyJson } from '../../planner/json.js';
import { defineVerb } from '../verb.js';
import { idArg, parseDuration } from '../flags.js';
import { frontGlobals, frontOutput, runFront } from '../native-front.js';
import { liveCgroups, statusOf } from '../state/lifecycle.js';
import { OomWatch } from '../state/oom-watch.js';
import { loadRecord, openContainer } from '../state/store.js';

/** How often OOM notifications are looked for between two stats lines. */
const OOM_POLL_MS = 100;

function emitOom(id: string): void {
  process.stdout.write(stringifyJson({ type: 'oom', id }) + '\n');
}

export default defineVerb({
  summary: "print the container's events as JSON lines: its cgroup stats every --interval, and OOM notifications",
  args: idArg,
  flags: {
    interval: { type: 'string', description: 'how often to print stats (a duration: 5s, 500ms, 1m)', default: '5s' },
    stats: { type: 'boolean', description: "print the container's stats once, then exit" },
  },
  run(args, flags) {
    const interval = parseDuration(flags.interval);
    if (interval === null) throw new PlancError('invalid-argument', `invalid value for --interval: ${JSON.stringify(flags.interval)} is not a duration (e.g. 5s, 500ms, 1m30s)`);
    // runc's words for both.
    if (interval <= 0) throw new PlancError('invalid-argument', 'duration interval must be greater than 0');
    // One stats event: the native front's (cli/native/events.c, stats.c), which checks the container is not stopped.
    if (flags.stats) return runFront([...frontGlobals(flags), 'events', '--stats', '--', args.id]);
    const dir = openContainer(flags.root, args.id);
    const rec = loadRecord(dir);
    if (statusOf(dir, rec) === 'stopped') throw new PlancError('bad-state', `container with id ${args.id} is not running`);
    const cgroups = liveCgroups(rec);
    // Each sample of the stream, the same way (without --log: a sample that finds the container gone ends the stream quietly).
    const sample = [`--root=${flags.root}`, 'events', '--stats', '--', args.id];

    // The stream: stats every interval (the first after one interval, as runc), OOMs as they come.
    // It ends when the container's cgroups are gone (deleted), or on v2 when no process is left,
    // as runc's does; and when nobody reads it any more.
    const oom = OomWatch.start(cgroups);
    return new Promise<void>((resolve, reject) => {
      let done = false;
      const finish = (err?: unknown) => {
        if (done) return;
        done = true;
        clearInterval(statsTimer);
        clearInterval(oomTimer);
        oom.close();
        if (err === undefined) resolve();
        else reject(err);
      };
      const everythingGone = () => cgroups.length === 0 || liveCgroups(rec).length === 0;
      const stopped = () => {
        try {
          return statusOf(dir) === 'stopped';
        } catch {
          return true; // deleted meanwhile
        }
      };
      const statsTimer = setInterval(() => {
        if (everythingGone()) return finish();
        let line: string;
        try {
          line = frontOutput(sample);
        } catch (e) {
          // The container stopped or went since the last look: the stream ends, as it does when its cgroups go.
          return finish(stopped() ? undefined : e);
        }
        process.stdout.write(line);
      }, Math.max(interval, 1));
      const oomTimer = setInterval(() => {
        for (let n = oom.check(); n > 0; n--) emitOom(args.id);
        if (oom.gone() || oom.emptied() || everythingGone()) finish();
      }, OOM_POLL_MS);
      process.stdout.on('error', () => finish());
    });
  },
});
