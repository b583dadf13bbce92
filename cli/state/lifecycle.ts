// Container lifecycle after create: status, start, kill, teardown. All of it
// works from the checked state directory, and touches only what is still
// provably the container's: the init (same pid and start time, inside the
// container's cgroup) and the cgroups the executor made (same path and inode
// on cgroupfs). Joined cgroups are never emptied or removed.
//
// kill and teardown are planned (planner/lifecycle.ts, pure) from those
// facts, and the plan goes into the container's audit trail before its first
// action; each action gets its record before the next one runs (fail closed:
// a record that cannot be written stops the verb). They are applied here, by
// planc itself rather than the executor: signals, rmdir and unlink need no
// new process, and docs/audit.md says how that relates to "the executor
// applies every plan".
import type { KeyObject } from 'node:crypto';
import { rmdirSync } from 'node:fs';
import { constants as OS } from 'node:os';
import { isPlancError, PlancError } from '../../schemas/error.js';
import type { LifecycleAction, LifecyclePlan } from '../../schemas/generated/lifecycle.js';
import { planTeardown, planUpdateWrites } from '../../planner/lifecycle.js';
import { trailBytesOf, trailRefOf } from '../audit/store.js';
import { Trail } from '../audit/trail.js';
import { cgroupPids, cgroupTree, ownedFromAudit, stillOwned, treePids } from './cgroups.js';
import type { ContainerDir } from './gate.js';
import { applyWrites, isPaused, setFreezer } from './live.js';
import { alive, sleepMs } from './procfs.js';
import { type ContainerRecord, FILES, type OwnedCgroup, readPlan } from './store.js';
import { frontOutput } from '../native-front.js';

export type Status = 'created' | 'running' | 'paused' | 'stopped';

/** What teardown needs to know of a container; a create that failed half-way has only part of a record. */
export type Remains = Pick<ContainerRecord, 'pid' | 'startTime' | 'cgroups'>;

/** The container's cgroups that are still the ones the executor reported. */
export function liveCgroups(rec: Pick<ContainerRecord, 'cgroups'>): OwnedCgroup[] {
  return rec.cgroups.filter(stillOwned);
}

/**
 * Is the recorded init still the container's process: alive with the recorded
 * start time and, when the container has cgroups, a member of one of them.
 */
function initIsOurs(rec: Remains, cgroups: OwnedCgroup[]): boolean {
  if (rec.pid <= 1 || !alive(rec.pid, rec.startTime)) return false;
  // As root, a process outside every cgroup planc made or joined for the
  // container is never its init, whatever a record says. Without root (no
  // cgroups to make), the kernel's permission checks are the boundary.
  if (rec.cgroups.length === 0) return (process.geteuid?.() ?? 0) !== 0;
  return cgroups.some((c) => cgroupPids(c.path).includes(rec.pid));
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

/** The host pids of the container's processes, sorted: members of the cgroups it made, and its init. */
export function containerPids(rec: ContainerRecord): number[] {
  const cgroups = liveCgroups(rec);
  const pids = new Set(cgroups.filter((c) => c.made).flatMap((c) => treePids(c.path)));
  if (initIsOurs(rec, cgroups)) pids.add(rec.pid);
  return [...pids].sort((a, b) => a - b);
}

/** Signal a process; false when it is gone. */
function signal(pid: number, sig: number | NodeJS.Signals): boolean {
  // Never the host's init, never ourselves, whatever a cgroup lists.
  if (pid <= 1 || pid === process.pid) return false;
  try {
    process.kill(pid, sig);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
    return false;
  }
}

/** The facts a small plan is made from: is the init still the container's, which cgroups are still its own, is it paused. */
function lifecycleFacts(dir: ContainerDir, rec: Remains) {
  const cgroups = liveCgroups(rec);
  return {
    containerId: dir.id,
    stateDir: dir.path,
    init: initIsOurs(rec, cgroups) ? { pid: rec.pid, startTime: rec.startTime } : null,
    cgroups: cgroups.map((c) => ({ path: c.path, ino: c.ino, made: c.made })),
    paused: cgroups.length > 0 && isPaused(cgroups),
  };
}

export const SIGNAL_NAMES: Record<number, string> = Object.fromEntries(Object.entries(OS.signals).map(([name, n]) => [n, name]));

/** Where a small plan's records go, and what happens when one cannot be written. */
export interface Audit {
  trail: Trail | null;
  /**
   * Undoing a failed create goes on when its records cannot be written (what
   * the executor made must not be left behind for want of a record): the
   * first lost record ends the trail there, unclosed. Every other verb stops.
   */
  bestEffort?: boolean;
  /** Fields for the plan's line (delete: the status the container had). */
  extra?: Record<string, unknown>;
  /** Sign the closing record with this key (--audit-sign-key). */
  signKey?: KeyObject;
  /** The first record that could not be written (bestEffort). */
  lost?: PlancError;
  /** Teardown: what to do (and record) once the container is gone, before the trail is closed: the poststop hooks. */
  beforeClose?: () => void;
  /** Teardown: leave the trail open (the caller closes it). */
  keepOpen?: boolean;
}

type Applied = { r: 'ok' | 'skipped'; extra?: Record<string, unknown> };

/**
 * The plan into the trail, then each action applied and recorded before the
 * next. An action that throws is recorded as an error, then the error goes on.
 */
function applyRecorded(plan: LifecyclePlan, audit: Audit, apply: (a: LifecycleAction) => Applied): void {
  let of = -1;
  const write = (fn: () => void) => {
    if (!audit.trail || audit.lost) return;
    try {
      fn();
    } catch (e) {
      if (!audit.bestEffort || !isPlancError(e)) throw e;
      audit.lost = e;
    }
  };
  write(() => (of = audit.trail!.beginPlan(plan, audit.extra)));
  plan.actions.forEach((a, i) => {
    let done: Applied;
    try {
      done = apply(a);
    } catch (e) {
      const msg = isPlancError(e) ? e.message : (e as Error).message;
      write(() => audit.trail!.record(of, i, a.op, 'error', { msg }));
      throw e;
    }
    write(() => audit.trail!.record(of, i, a.op, done.r, done.extra));
  });
}

/** Every process in an owned cgroup signalled (once): how many. */
function signalCgroup(a: { path: string; ino: number; signal: number }): Applied {
  if (!stillOwned({ path: a.path, ino: a.ino, made: true })) return { r: 'skipped', extra: { why: 'no longer the cgroup planc made' } };
  return { r: 'ok', extra: { signalled: treePids(a.path).filter((p) => signal(p, a.signal)).length } };
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

/**
 * Remove a cgroup directory, its sub-cgroups first (exec --cgroup makes processes live in
 * them); one whose last process just exited can be busy for a moment. false when it was gone.
 */
function removeCgroup(top: string): boolean {
  const tree = cgroupTree(top);
  for (const path of tree.slice(0, -1)) removeOne(path);
  return removeOne(top);
}

function removeOne(path: string): boolean {
  for (let attempt = 0; ; attempt++) {
    try {
      rmdirSync(path);
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return false;
      if (code === 'EBUSY' && attempt < 1000) {
        sleepMs(1);
        continue;
      }
      throw new PlancError('system', `remove cgroup ${path}: ${(e as Error).message}`);
    }
  }
}

/**
 * What a create that never finished left (no state.json): the cgroups its
 * executor recorded in the audit trail, checked against the stored plan.
 */
export function remainsOfCrashedCreate(dir: ContainerDir): Remains {
  const plan = readPlan(dir);
  const trail = trailBytesOf(dir);
  return { pid: 0, startTime: '', cgroups: plan && trail ? ownedFromAudit(plan, trail.toString('utf8')) : [] };
}

/**
 * Tear a container down completely (the caller holds its lock): kill what
 * runs, wait until the cgroups it made are empty, remove them and the state
 * dir — planned, recorded action by action, and the trail closed (and signed)
 * at the end. Safe on half-created containers (delete --force after a crash).
 */
export function teardown(dir: ContainerDir, rec: Remains, kind: 'delete' | 'undo' | 'exit', audit: Audit, reap?: (pid: number) => void): void {
  const cgroups = liveCgroups(rec);
  const plan = planTeardown(lifecycleFacts(dir, rec), kind);
  // A frozen init does not die until thawed: reap it only then.
  let unreaped: number | null = null;
  applyRecorded(plan, audit, (a) => {
    switch (a.op) {
      case 'signal': {
        if (!alive(a.pid, a.startTime) || !signal(a.pid, a.signal)) return { r: 'skipped', extra: { why: 'the init is gone' } };
        if (plan.actions.some((x) => x.op === 'freezer')) unreaped = a.pid;
        else reap?.(a.pid);
        return { r: 'ok' };
      }
      case 'cgroup.signal':
        return signalCgroup(a);
      case 'freezer':
        setFreezer(cgroups, a.state);
        if (unreaped !== null) reap?.(unreaped);
        return { r: 'ok' };
      case 'cgroup.kill': {
        if (!stillOwned({ path: a.path, ino: a.ino, made: true })) return { r: 'skipped', extra: { why: 'no longer the cgroup planc made' } };
        // Without a pid namespace the init's death does not take the rest with it.
        // A killed process leaves its cgroup within a millisecond or two: poll finely, for up to 2 s.
        let killed = 0;
        for (let round = 0; round < 2000; round++) {
          const left = treePids(a.path);
          if (left.length === 0) break;
          for (const pid of left) if (signal(pid, 'SIGKILL')) killed++;
          sleepMs(1);
        }
        return { r: 'ok', extra: { killed } };
      }
      case 'cgroup.remove':
        if (!stillOwned({ path: a.path, ino: a.ino, made: true })) return { r: 'skipped', extra: { why: 'no longer the cgroup planc made' } };
        return removeCgroup(a.path) ? { r: 'ok' } : { r: 'skipped', extra: { why: 'already gone' } };
      case 'state.remove':
        dir.remove();
        return { r: 'ok' };
      default:
        throw new PlancError('system', `teardown cannot apply ${a.op}`);
    }
  });
  // What runs once the container is gone (poststop hooks) is recorded before the trail is closed.
  audit.beforeClose?.();
  if (audit.trail && !audit.lost && !audit.keepOpen) {
    try {
      audit.trail.close(audit.signKey);
    } catch (e) {
      if (!audit.bestEffort || !isPlancError(e)) throw e;
      audit.lost = e;
    }
  }
}
