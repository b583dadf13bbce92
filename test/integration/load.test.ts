// Load: many create → start → delete lifecycles through the CLI, in parallel and
// as a soak, then a search for everything a lifecycle could leak: mounts,
// cgroups (every hierarchy), entries under --root, processes and zombies, the
// test process's own fds, and the system's allocated file handles.
// Only the CLI is used, so the test holds whatever the state dir looks like inside.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpus } from 'node:os';
import { readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { cgroupDirsNamed, mountsUnder, NEEDS_ROOT, Planc, processesInCgroupsOf, rootLeftovers, sleep, uniqueId } from '../helpers/planc.js';

const pc = new Planc();
after(() => pc.cleanup());
const skip = NEEDS_ROOT;

/** Run one planc verb; throw with its stderr unless it exits 0 silently. Its output files are removed (a soak makes thousands). */
async function planc(args: string[]): Promise<void> {
  const r = await pc.spawn(args, { timeout: 60_000 }).done;
  rmSync(r.stdoutFile, { force: true });
  rmSync(r.stderrFile, { force: true });
  if (r.code !== 0 || r.stderr !== '') throw new Error(`planc ${args.join(' ')} exited ${r.code ?? r.signal}: ${r.stderr.trim()}`);
}

/** One lifecycle of a container running `true`: create, start, wait for its init to exit, delete (no --force). Returns ms. */
async function cycle(id: string, bundle: string): Promise<number> {
  const t0 = performance.now();
  const pidFile = pc.scratchPath(`${id}.pid`);
  await planc(['create', '--pid-file', pidFile, '--bundle', bundle, id]);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  rmSync(pidFile);
  assert.ok(pid > 0, `create of ${id} wrote a pid`);
  await planc(['start', id]);
  await pc.waitExited(pid, 30_000);
  await planc(['delete', id]);
  return performance.now() - t0;
}

// ---------------------------------------------------------------------------
// Leak accounting

function mountinfoLines(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean);
}

/** The test process's open fds, as `fd -> target`. */
function ownFds(): Map<string, string> {
  const out = new Map<string, string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      out.set(fd, readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      // the fd readdir itself used, already closed
    }
  }
  return out;
}

/** Allocated file handles, system-wide (first field of /proc/sys/fs/file-nr). */
function fileHandles(): number {
  return Number(readFileSync('/proc/sys/fs/file-nr', 'utf8').split(/\s+/)[0]);
}

/**
 * Slack for the system-wide file-handle count. It is honest only up to: the kernel
 * keeps it in a per-CPU counter whose read may be off by up to 32 per CPU either
 * way, final fput of a closed file can be deferred to a workqueue, and anything
 * else running on the host opens and closes files meanwhile. So it catches a
 * per-cycle leak only when cycles outnumber this slack (the soak), not a few
 * handles over 50 cycles; the test's own fds and every leaked process are counted exactly above it.
 */
const FILE_HANDLE_SLACK = 2 * 2 * 32 * cpus().length;

/** Zombie children of this test process. */
function zombieChildren(): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state === 'Z' && Number(ppid) === process.pid) out.push(Number(name));
  }
  return out;
}

interface Baseline {
  mounts: Set<string>;
  fds: Map<string, string>;
  fileHandles: number;
}

function baseline(): Baseline {
  return { mounts: new Set(mountinfoLines()), fds: ownFds(), fileHandles: fileHandles() };
}

interface Leaks {
  mounts: string[];
  cgroups: string[];
  state: string[];
  processes: string[];
  zombies: string[];
  fds: string[];
  fileHandles: { before: number; after: number };
  ownFds: { before: number; after: number };
}

/** Everything the lifecycles of `ids` on `bundles` left behind, against `before` (taken after a warm-up). */
async function survey(before: Baseline, ids: string[], bundles: string[]): Promise<Leaks> {
  // fds of exited children and deferred fputs settle asynchronously: give them a moment.
  let fds = ownFds();
  let handles = fileHandles();
  for (let k = 0; k < 50 && (fds.size > before.fds.size || handles > before.fileHandles + FILE_HANDLE_SLACK); k++) {
    await sleep(100);
    fds = ownFds();
    handles = fileHandles();
  }
  const idSet = new Set(ids);
  const lines = mountinfoLines();
  const mounts = lines.filter((l) => !before.mounts.has(l) || [...idSet].some((id) => l.includes(id)));
  for (const b of bundles) for (const m of mountsUnder(b)) if (!mounts.some((l) => l.split(' ')[4] === m)) mounts.push(`mount under a bundle: ${m}`);
  const cgroups = [...cgroupDirsNamed(idSet).values()].flat();
  const state = rootLeftovers(pc.root, ids);
  const procs = processesInCgroupsOf(idSet, { zombies: true });
  const zombies = [...zombieChildren().map((p) => `pid ${p} (child of the test process)`), ...procs.filter((p) => p.state === 'Z').map((p) => `pid ${p.pid} (in the cgroup of ${p.id})`)];
  const processes = procs.filter((p) => p.state !== 'Z').map((p) => `pid ${p.pid} ${p.state} (in the cgroup of ${p.id})`);
  const newFds = [...fds].filter(([fd, target]) => before.fds.get(fd) !== target).map(([fd, target]) => `fd ${fd} -> ${target}`);
  return { mounts, cgroups, state, processes, zombies, fds: newFds, fileHandles: { before: before.fileHandles, after: handles }, ownFds: { before: before.fds.size, after: fds.size } };
}

function leakLine(l: Leaks): string {
  return (
    `leaks: mounts ${l.mounts.length}, cgroups ${l.cgroups.length}, state ${l.state.length}, processes ${l.processes.length}, zombies ${l.zombies.length}, fds ${l.fds.length}` +
    ` (own fds ${l.ownFds.before} -> ${l.ownFds.after}; system file handles ${l.fileHandles.before} -> ${l.fileHandles.after}, slack ${FILE_HANDLE_SLACK})`
  );
}

function assertNoLeaks(l: Leaks): void {
  for (const kind of ['mounts', 'cgroups', 'state', 'processes', 'zombies', 'fds'] as const) {
    assert.deepEqual(l[kind], [], `leaked ${kind}:\n  ${l[kind].join('\n  ')}`);
  }
  const grown = l.fileHandles.after - l.fileHandles.before;
  assert.ok(grown <= FILE_HANDLE_SLACK, `system-wide allocated file handles grew by ${grown} (${l.fileHandles.before} -> ${l.fileHandles.after}), more than the slack of ${FILE_HANDLE_SLACK}`);
}

/** Force-delete whatever a failed run left, so one failure does not leak into the next test. */
function forceDeleteAll(ids: string[]): void {
  for (const id of ids) pc.run(['delete', '--force', id]);
}

// ---------------------------------------------------------------------------

test('50 create/start/delete cycles, 10 at a time, all succeed and leak nothing', { skip, timeout: 300_000 }, async () => {
  const parallel = 10;
  const total = 50;
  const bundles = Array.from({ length: parallel }, () => pc.bundle(['true']));
  // Warm-up: the first spawn opens the test process's lasting fds (libuv's signal pipe and the like).
  const warm = uniqueId('load-warm');
  await cycle(warm, bundles[0]!);
  const before = baseline();
  const ids = Array.from({ length: total }, () => uniqueId('load'));
  let next = 0;
  const failures: string[] = [];
  const t0 = performance.now();
  const durations: number[] = [];
  await Promise.all(
    bundles.map(async (bundle) => {
      while (next < total) {
        const id = ids[next++]!;
        try {
          durations.push(await cycle(id, bundle));
        } catch (e) {
          failures.push(`${id}: ${(e as Error).message}`);
        }
      }
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  if (failures.length > 0) forceDeleteAll(ids);
  assert.deepEqual(failures, [], `${failures.length} of ${total} cycles failed`);
  const leaks = await survey(before, [warm, ...ids], bundles);
  const mean = durations.reduce((a, b) => a + b, 0) / durations.length / 1000;
  console.log(`load: ${total} parallel cycles (${parallel} at a time) in ${wall.toFixed(1)} s, ${(wall / total).toFixed(3)} s per cycle of wall time, each cycle ${mean.toFixed(3)} s on average`);
  console.log(`load: ${leakLine(leaks)}`);
  assertNoLeaks(leaks);
});

test('soak: up to 2000 cycles, 2 workers, at most 4 minutes; at least 300 complete and nothing leaks', { skip, timeout: 420_000 }, async () => {
  const workers = 2;
  const maxCycles = 2000;
  const boundMs = 4 * 60_000;
  const minCycles = 300;
  const bundles = Array.from({ length: workers }, () => pc.bundle(['true']));
  const warm = uniqueId('soak-warm');
  await cycle(warm, bundles[0]!);
  const before = baseline();
  const ids: string[] = [];
  let failure: string | undefined;
  let durationSum = 0;
  const t0 = performance.now();
  const deadline = t0 + boundMs;
  await Promise.all(
    bundles.map(async (bundle) => {
      while (failure === undefined && ids.length < maxCycles && performance.now() < deadline) {
        const id = uniqueId('soak');
        const n = ids.push(id);
        try {
          const ms = await cycle(id, bundle); // not `durationSum += await …`: that reads the sum before the wait
          durationSum += ms;
        } catch (e) {
          failure = `cycle ${n} (${id}): ${(e as Error).message}`;
        }
      }
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  if (failure !== undefined) forceDeleteAll(ids);
  assert.equal(failure, undefined, 'every soak cycle succeeds');
  const done = ids.length;
  const why = done >= maxCycles ? `all ${maxCycles} cycles` : `stopped at the ${boundMs / 60_000} min bound`;
  console.log(`soak: ${done} cycles (${workers} workers) in ${wall.toFixed(1)} s, ${why}; ${(wall / done).toFixed(3)} s per cycle of wall time, each cycle ${(durationSum / done / 1000).toFixed(3)} s on average`);
  const leaks = await survey(before, [warm, ...ids], bundles);
  console.log(`soak: ${leakLine(leaks)}`);
  assertNoLeaks(leaks);
  assert.ok(
    done >= minCycles,
    `only ${done} cycles completed in ${wall.toFixed(1)} s (need ${minCycles}): a cycle took ${(durationSum / done / 1000).toFixed(3)} s on average with ${workers} workers — planc got slower, or the machine was busy`,
  );
});
