// What the `events` stream watches besides stats (those come from the native
// front, cli/native/stats.c): the container running out of memory.
import { closeSync, constants as C, openSync, readSync, writeSync } from 'node:fs';
import { eventfd } from '../libc.js';
import { controllerDirs, readControl } from './live.js';
import { stillOwned } from './cgroups.js';
import type { OwnedCgroup } from './store.js';

/** The "oom" count of a v2 memory.events ("key value" lines). */
function oomCount(text: string | null): bigint {
  for (const line of (text ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k === 'oom' && v !== undefined && /^[0-9]+$/.test(v)) return BigInt(v);
  }
  return 0n;
}

/**
 * Watches for the container running out of memory: v1 through an eventfd registered on
 * memory.oom_control (cgroup.event_control), v2 by the "oom" count of memory.events.
 * `check` says how many OOMs happened since the last call; `gone` when the memory cgroup is.
 */
export class OomWatch {
  private efd = -1;
  private lastCount = 0n;

  private constructor(
    private readonly cgroup: OwnedCgroup | undefined,
    private readonly version: 1 | 2,
  ) {}

  static start(cgroups: readonly OwnedCgroup[]): OomWatch {
    const { version, dirs } = controllerDirs(cgroups);
    const dir = version === 1 ? dirs.memory : dirs[''];
    const watch = new OomWatch(cgroups.find((c) => c.path === dir), version);
    if (dir === undefined) return watch;
    if (version === 1) {
      const efd = eventfd();
      let ofd = -1;
      let cfd = -1;
      try {
        ofd = openSync(`${dir}/memory.oom_control`, C.O_RDONLY);
        cfd = openSync(`${dir}/cgroup.event_control`, C.O_WRONLY);
        writeSync(cfd, `${efd} ${ofd}`);
        watch.efd = efd;
      } catch {
        closeSync(efd); // no OOM notification on this cgroup: stats only
      } finally {
        if (ofd >= 0) closeSync(ofd);
        if (cfd >= 0) closeSync(cfd);
      }
    } else {
      watch.lastCount = oomCount(readControl(dir, 'memory.events'));
    }
    return watch;
  }

  /** Is the container's memory cgroup gone (deleted)? Without one, never. */
  gone(): boolean {
    return this.cgroup !== undefined && !stillOwned(this.cgroup);
  }

  /** v2: has the container no process left (cgroup.events "populated 0")? runc's v2 stream ends then. */
  emptied(): boolean {
    return this.version === 2 && this.cgroup !== undefined && readControl(this.cgroup.path, 'cgroup.events')?.split('\n').includes('populated 0') === true;
  }

  /** OOM events since the last call. */
  check(): number {
    if (this.cgroup === undefined) return 0;
    if (this.version === 1) {
      if (this.efd < 0) return 0;
      const buf = Buffer.alloc(8);
      try {
        if (readSync(this.efd, buf, 0, 8, null) !== 8) return 0;
      } catch {
        return 0; // EAGAIN: nothing happened
      }
      // The kernel also signals the eventfd when the cgroup is removed: that is no OOM.
      return this.gone() ? 0 : Number(buf.readBigUInt64LE(0));
    }
    const now = oomCount(readControl(this.cgroup.path, 'memory.events'));
    const n = now > this.lastCount ? Number(now - this.lastCount) : 0;
    this.lastCount = now;
    return n;
  }

  close(): void {
    if (this.efd >= 0) closeSync(this.efd);
    this.efd = -1;
  }
}
