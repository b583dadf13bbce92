// Container lifecycle after create: status, update. All of it
// works from the checked state directory, and touches only what is still
// provably the container's: the init (same pid and start time, inside the
// container's cgroup) and the cgroups the executor made (same path and inode
// on cgroupfs). Joined cgroups are never emptied or removed.
//
// start, kill, pause, resume and teardown (delete, the undo of a failed
// create or start, the end of a foreground run) live in the native front
// (cli/native/start.c, lifecycle.c, teardown.c; the TS side calls it through
// cli/native-front.ts). update's writes are planned (planner/lifecycle.ts),
// the plan goes into the trail before its first write, and each write gets
// its record before the next.
import { constants as OS } from 'node:os';
import { PlancError } from '../../schemas/error.js';
import { planUpdateWrites } from '../../planner/lifecycle.js';
import { trailBytesOf, trailRefOf } from '../audit/store.js';
import { Trail } from '../audit/trail.js';
import { stillOwned } from './cgroups.js';
import type { ContainerDir } from './gate.js';
import { applyWrites } from './live.js';
import { alive, sleepMs } from './procfs.js';
import { type ContainerRecord, type OwnedCgroup } from './store.js';
import { frontOutput } from '../native-front.js';

export type Status = 'created' | 'running' | 'paused' | 'stopped';

/** The container's cgroups that are still the ones the executor reported. */
export function liveCgroups(rec: Pick<ContainerRecord, 'cgroups'>): OwnedCgroup[] {
  return rec.cgroups.filter(stillOwned);
}

/**
 * The container's status as the native front tells it (cli/native/status.c is
 * the one implementation: the init's pid and start time, the freezer of the
 * cgroups it made, the exec fifo and the init's records).
 */
export function statusOf(dir: ContainerDir, _rec?: ContainerRecord): Status {
  const state = JSON.parse(frontOutput([`--root=${dir.root.path}`, 'state', '--', dir.id])) as { status: string };
  if (state.status === 'creating') throw new PlancError('not-found', 'container does not exist', { where: dir.id });
  return state.status as Status;
}

const EXEC_RECORDED = /"op":"exec","stage":"init","r":"(pending|error)"/;

/**
 * The container's trail, open at its head; null for a state directory
 * without one. The init writes its last records (the wait's, the exec's)
 * itself once the fifo was opened; when a `start` died before it saw them,
 * the next verb waits (up to 2 s) for them, so two writers never append at once.
 */
export function openTrail(dir: ContainerDir): Trail | null {
  const ref = trailRefOf(dir);
  if (!ref) return null;
  for (let waited = 0; waited < 2000; waited++) {
    const text = trailBytesOf(dir)?.toString('utf8') ?? '';
    if (!text.includes('"op":"execfifo.wait"') || EXEC_RECORDED.test(text)) break;
    sleepMs(1);
  }
  return Trail.open(ref);
}

/** Where a small plan's records go. */
export interface Audit {
  trail: Trail | null;
}

/**
 * `planc update`: the writes planner/live.ts planned, all or nothing
 * (state/live.ts applyWrites), each recorded once it is made; a failed write
 * is recorded with what putting the earlier ones back did.
 */
export function update(dir: ContainerDir, writes: { why: string; path: string; file: string; value: string }[], inputs: string[], cgroups: OwnedCgroup[], audit: Audit): void {
  const plan = planUpdateWrites({ containerId: dir.id }, writes);
  let of = -1;
  if (audit.trail) of = audit.trail.beginPlan(plan, { inputs });
  let done = 0;
  try {
    applyWrites(writes as never, inputs, cgroups, (k) => {
      audit.trail?.record(of, k, 'cgroup.write', 'ok');
      done = k + 1;
    });
  } catch (e) {
    if (done < writes.length) audit.trail?.record(of, done, 'cgroup.write', 'error', { msg: (e as Error).message });
    throw e;
  } finally {
    audit.trail?.flush();
  }
}
