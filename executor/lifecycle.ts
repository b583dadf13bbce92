// Container lifecycle after create: status, start, kill, destroy. All of it
// works from the state record, so each verb is one short Node process.
import { closeSync, constants, openSync, readSync, unlinkSync, readFileSync } from 'node:fs';
import { PlancError } from '../schemas/error.js';
import { alive, cgroupPids, removeCgroups, sleepMs } from './proc.js';
import { type ContainerRecord, exists, removeStateDir, stateDir } from './state.js';

export type Status = 'created' | 'running' | 'paused' | 'stopped';

export function statusOf(root: string, rec: ContainerRecord): Status {
  if (!alive(rec.pid, rec.startTime)) return 'stopped';
  if (exists(`${stateDir(root, rec.id)}/exec.fifo`)) return 'created';
  const freezer = rec.cgroupPaths.find((p) => p.includes('/freezer/'));
  if (freezer) {
    try {
      if (readFileSync(`${freezer}/freezer.state`, 'utf8').trim() === 'FROZEN') return 'paused';
    } catch {
      // no freezer file: not paused
    }
  }
  return 'running';
}

/** The OCI state JSON (runtime.md), as `planc state` prints it. */
export function ociState(root: string, rec: ContainerRecord): Record<string, unknown> {
  const status = statusOf(root, rec);
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

/** Release a created container: open the exec fifo, read the init's byte, remove the fifo. */
export function start(root: string, rec: ContainerRecord): void {
  const status = statusOf(root, rec);
  if (status !== 'created') {
    throw new PlancError('bad-state', status === 'stopped' ? 'cannot start a container that has stopped' : `cannot start an already ${status} container`, { where: rec.id });
  }
  const fifo = `${stateDir(root, rec.id)}/exec.fifo`;
  // Non-blocking: a blocking open would hang forever if the init died meanwhile.
  const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const buf = Buffer.alloc(1);
    for (;;) {
      let n = 0;
      try {
        n = readSync(fd, buf, 0, 1, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      }
      if (n > 0) break;
      if (!alive(rec.pid, rec.startTime)) throw new PlancError('bad-state', 'the container init exited before it was started', { where: rec.id });
      sleepMs(1);
    }
  } finally {
    closeSync(fd);
  }
  unlinkSync(fifo);
}

/** The host pids of the container's processes (its cgroup's members), sorted; none when stopped. */
export function containerPids(rec: ContainerRecord): number[] {
  return [...new Set(rec.cgroupPaths.flatMap(cgroupPids))].sort((a, b) => a - b);
}

/** Every process to signal: the init, and with --all (or no pid namespace) everything in its cgroup. */
export function kill(rec: ContainerRecord, signal: number, all: boolean): void {
  const pids = new Set<number>([rec.pid]);
  if (all) for (const p of cgroupPids(rec.cgroupPaths[0] ?? '')) pids.add(p);
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
    }
  }
}

/**
 * Tear a container down completely: kill what runs, wait until its cgroups are empty,
 * remove them and the state dir. Safe on half-created containers (delete --force after a crash).
 */
export function destroy(root: string, id: string, rec: Pick<ContainerRecord, 'pid' | 'startTime' | 'cgroupPaths'> | null, reap?: (pid: number) => void): void {
  if (rec) {
    const live = rec.pid > 0 && alive(rec.pid, rec.startTime);
    if (live) {
      try {
        process.kill(rec.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      reap?.(rec.pid);
    }
    // Without a pid namespace the init's death does not take the rest with it.
    // A killed process leaves its cgroup within a millisecond or two: poll finely, for up to 2 s.
    for (let round = 0; round < 2000; round++) {
      const left = rec.cgroupPaths.flatMap(cgroupPids);
      if (left.length === 0) break;
      for (const pid of left) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // raced with its exit
        }
      }
      sleepMs(1);
    }
    removeCgroups(rec.cgroupPaths);
  }
  removeStateDir(root, id);
}
