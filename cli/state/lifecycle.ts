// Container lifecycle after create: status, start, kill, teardown. All of it
// works from the checked state directory, and touches only what is still
// provably the container's: the init (same pid and start time, inside the
// container's cgroup) and the cgroups the executor made (same path and inode
// on cgroupfs). Joined cgroups are never emptied or removed.
import { closeSync, constants as C, fstatSync, readSync, rmdirSync } from 'node:fs';
import { PlancError } from '../../schemas/error.js';
import { cgroupPids, cgroupTree, ownedFromAudit, stillOwned, treePids } from './cgroups.js';
import type { ContainerDir } from './gate.js';
import { isPaused, setFreezer } from './live.js';
import { alive, sleepMs } from './procfs.js';
import { type ContainerRecord, FILES, type OwnedCgroup, readPlan, readRecord } from './store.js';

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

export function statusOf(dir: ContainerDir, rec: ContainerRecord): Status {
  if (!alive(rec.pid, rec.startTime)) return 'stopped';
  // Paused before created, as runc: a created container can be paused too, and is created again after resume.
  if (isPaused(liveCgroups(rec))) return 'paused';
  // The fifo goes when `start` has read it; a start killed in between leaves
  // it behind, so the init must also not have recorded passing it.
  if (dir.has(FILES.fifo) && !dir.read(FILES.audit)?.includes('"op":"execfifo.wait"')) return 'created';
  return 'running';
}

/** The OCI state JSON (runtime.md), as `planc state` prints it. */
export function ociState(dir: ContainerDir, rec: ContainerRecord): Record<string, unknown> {
  const status = statusOf(dir, rec);
  const out: Record<string, unknown> = {
    ociVersion: rec.ociVersion,
    id: rec.id,
    pid: status === 'stopped' ? 0 : rec.pid,
    status,
    bundle: rec.bundle,
    rootfs: rec.rootfs,
    created: rec.created,
    owner: rec.owner,
  };
  if (rec.annotations && Object.keys(rec.annotations).length > 0) out.annotations = rec.annotations;
  return out;
}

/**
 * The state of a container whose create has not finished — in flight (it
 * holds the lock) or killed before it saved the record: `creating`, with no
 * pid, until the create ends or `delete --force` removes what it left.
 */
export function creatingState(dir: ContainerDir): Record<string, unknown> {
  const plan = readPlan(dir);
  if (!plan) throw new PlancError('not-found', 'container does not exist', { where: dir.id });
  return { ociVersion: plan.ociVersion, id: dir.id, pid: 0, status: 'creating', bundle: plan.bundle, rootfs: plan.rootfs };
}

/** The OCI state of whatever is in the directory: a created container, or one still being created. */
export function stateOf(dir: ContainerDir): Record<string, unknown> {
  const rec = readRecord(dir);
  return rec ? ociState(dir, rec) : creatingState(dir);
}

/** One non-blocking read of the exec fifo: 1 when the init's byte was there, 0 when not yet. */
function readFifoByte(fd: number, buf: Buffer): number {
  try {
    return readSync(fd, buf, 0, 1, null);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return 0;
    throw e;
  }
}

/** Release a created container (the caller holds its lock): read the init's byte from the exec fifo, remove the fifo. */
export function start(dir: ContainerDir, rec: ContainerRecord): void {
  const status = statusOf(dir, rec);
  if (status !== 'created') {
    throw new PlancError('bad-state', status === 'stopped' ? 'cannot start a container that has stopped' : `cannot start an already ${status} container`, { where: rec.id });
  }
  // Non-blocking: a blocking open would hang forever if the init died meanwhile.
  const fd = dir.openFile(FILES.fifo, C.O_RDONLY | C.O_NONBLOCK);
  try {
    if (!fstatSync(fd).isFIFO()) throw new PlancError('bad-state', `${dir.path}/${FILES.fifo} is not a fifo; left alone`);
    const buf = Buffer.alloc(1);
    for (;;) {
      if (readFifoByte(fd, buf) > 0) break;
      if (!alive(rec.pid, rec.startTime)) {
        // It may have written its byte, exec'd and exited between our read and this check: read once more.
        if (readFifoByte(fd, buf) > 0) break;
        throw new PlancError('bad-state', 'the container init exited before it was started', { where: rec.id });
      }
      sleepMs(1);
    }
  } finally {
    closeSync(fd);
  }
  dir.unlink(FILES.fifo);
}

/** The host pids of the container's processes, sorted: members of the cgroups it made, and its init. */
export function containerPids(rec: ContainerRecord): number[] {
  const cgroups = liveCgroups(rec);
  const pids = new Set(cgroups.filter((c) => c.made).flatMap((c) => treePids(c.path)));
  if (initIsOurs(rec, cgroups)) pids.add(rec.pid);
  return [...pids].sort((a, b) => a - b);
}

function signal(pid: number, sig: number | NodeJS.Signals): void {
  // Never the host's init, never ourselves, whatever a cgroup lists.
  if (pid <= 1 || pid === process.pid) return;
  try {
    process.kill(pid, sig);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

const SIGKILL = 9;

/**
 * Signal the init; with --all every process in the cgroups the container made. As runc,
 * --all freezes the container while it lists and signals, so nothing forks past the signal,
 * and SIGKILL to a paused container thaws it (a frozen v1 process cannot die); any other
 * signal leaves a paused container paused, to be delivered on resume.
 */
export function kill(rec: ContainerRecord, sig: number, all: boolean): void {
  const cgroups = liveCgroups(rec);
  const paused = isPaused(cgroups);
  let froze = false;
  if (all && !paused && cgroups.length > 0) {
    try {
      setFreezer(cgroups, 'FROZEN');
      froze = true;
    } catch {
      // no freezer, or it did not freeze in time (and was thawed): signal without it, as runc does
    }
  }
  try {
    const pids = new Set<number>();
    if (initIsOurs(rec, cgroups)) pids.add(rec.pid);
    if (all) for (const c of cgroups) if (c.made) for (const p of treePids(c.path)) pids.add(p);
    for (const pid of pids) signal(pid, sig);
  } finally {
    if (froze || (paused && sig === SIGKILL)) setFreezer(cgroups, 'THAWED');
  }
}

/** Remove cgroup directories (and their sub-cgroups first); one whose last process just exited can be busy for a moment. */
function removeCgroups(cgroups: OwnedCgroup[]): void {
  for (const path of cgroups.flatMap((c) => cgroupTree(c.path))) {
    for (let attempt = 0; ; attempt++) {
      try {
        rmdirSync(path);
        break;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') break;
        if (code === 'EBUSY' && attempt < 1000) {
          sleepMs(1);
          continue;
        }
        throw new PlancError('system', `remove cgroup ${path}: ${(e as Error).message}`);
      }
    }
  }
}

/**
 * What a create that never finished left (no state.json): the cgroups its
 * executor recorded in the audit log, checked against the stored plan.
 */
export function remainsOfCrashedCreate(dir: ContainerDir): Remains {
  const plan = readPlan(dir);
  const audit = dir.read(FILES.audit);
  return { pid: 0, startTime: '', cgroups: plan && audit ? ownedFromAudit(plan, audit.toString('utf8')) : [] };
}

/**
 * Tear a container down completely (the caller holds its lock): kill what
 * runs, wait until the cgroups it made are empty, remove them and the state
 * dir. Safe on half-created containers (delete --force after a crash).
 */
export function teardown(dir: ContainerDir, rec: Remains, reap?: (pid: number) => void): void {
  const cgroups = liveCgroups(rec);
  const made = cgroups.filter((c) => c.made);
  const ours = initIsOurs(rec, cgroups);
  if (ours) signal(rec.pid, 'SIGKILL');
  if (isPaused(cgroups)) {
    // A frozen process does not die until thawed: kill everything first, then thaw, so no
    // process of a paused container runs a single instruction more.
    for (const pid of made.flatMap((c) => treePids(c.path))) signal(pid, 'SIGKILL');
    setFreezer(cgroups, 'THAWED');
  }
  if (ours) reap?.(rec.pid);
  // Without a pid namespace the init's death does not take the rest with it.
  // A killed process leaves its cgroup within a millisecond or two: poll finely, for up to 2 s.
  for (let round = 0; round < 2000; round++) {
    const left = made.flatMap((c) => treePids(c.path));
    if (left.length === 0) break;
    for (const pid of left) signal(pid, 'SIGKILL');
    sleepMs(1);
  }
  removeCgroups(made);
  dir.remove();
}
