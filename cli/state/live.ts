// The cgroups of a container that exists, for the verbs the CLI still runs
// on a live container: update and the events stream's OOM watch (pause,
// resume and the freezer in kill and delete are the native front's,
// cli/native/lifecycle.c). Which directory serves which controller comes from this
// host's cgroup mounts; only cgroups the executor reported and that are
// still exactly those (cgroups.ts stillOwned) are used. Every write goes
// through a directory fd opened without following a symlink and checked to
// be that cgroup (same inode, on cgroupfs), so a cgroup removed and made
// again under the same name in between is never written to.
import { closeSync, constants as C, fstatSync, openSync, readdirSync, readFileSync, statfsSync, writeSync } from 'node:fs';
import type { CgroupWriteAction } from '../../schemas/generated/plan.js';
import { PlancError } from '../../schemas/error.js';
import type { LiveCgroups } from '../../planner/live.js';
import { errnoWords } from '../errno.js';
import { type CgroupMount, cgroupMounts } from '../host-facts.js';
import { stillOwned } from './cgroups.js';
import { at } from './gate.js';
import type { OwnedCgroup } from './store.js';

const CGROUP_SUPER_MAGIC = 0x27e0eb;
const CGROUP2_SUPER_MAGIC = 0x63677270;

let mountsSeen: CgroupMount[] | undefined;
/** The host's cgroup mounts, read once per planc process (they do not change under a verb). */
function mounts(): CgroupMount[] {
  return (mountsSeen ??= cgroupMounts());
}

/** The mount a cgroup directory lies in: the longest mountpoint that is it or above it. */
function mountOf(path: string, all: CgroupMount[]): CgroupMount | undefined {
  let best: CgroupMount | undefined;
  for (const m of all) {
    if ((path === m.mountpoint || path.startsWith(m.mountpoint + '/')) && (!best || m.mountpoint.length > best.mountpoint.length)) best = m;
  }
  return best;
}

/**
 * The container's directory per controller: v1 → { memory: …, cpu: …, cpuacct: … } (a
 * co-mounted "cpu,cpuacct" gives both names the same directory); v2 → { '': dir }.
 * Only cgroups still owned (stillOwned) count.
 */
export function controllerDirs(cgroups: readonly OwnedCgroup[]): { version: 1 | 2; dirs: Record<string, string> } {
  const all = mounts();
  const v1: Record<string, string> = {};
  let v2: string | undefined;
  for (const c of cgroups) {
    if (!stillOwned(c)) continue;
    const m = mountOf(c.path, all);
    if (!m) continue;
    if (m.version === 2) v2 ??= c.path;
    else for (const name of m.name.split(',')) if (!name.startsWith('name=')) v1[name] ??= c.path;
  }
  if (Object.keys(v1).length > 0 || v2 === undefined) return { version: 1, dirs: v1 };
  return { version: 2, dirs: { '': v2 } };
}

/** Facts for the update and freezer planners: the directories, their control files, the memory limit in force. */
export function liveFacts(cgroups: readonly OwnedCgroup[]): LiveCgroups {
  const { version, dirs } = controllerDirs(cgroups);
  const files: Record<string, string[]> = {};
  for (const dir of new Set(Object.values(dirs))) {
    try {
      files[dir] = readdirSync(dir);
    } catch {
      files[dir] = []; // removed meanwhile: nothing can be written there
    }
  }
  const facts: LiveCgroups = { version, dirs, files };
  if (version === 1 && dirs.memory) {
    const limit = readControl(dirs.memory, 'memory.limit_in_bytes');
    if (limit !== null && /^[0-9]+$/.test(limit)) facts.memoryLimit = BigInt(limit);
  }
  return facts;
}

/** A control file's contents, trimmed; null when it cannot be read (absent, cgroup gone). */
export function readControl(dir: string, file: string): string | null {
  try {
    return readFileSync(`${dir}/${file}`, 'utf8').trim();
  } catch {
    return null;
  }
}

/** An owned cgroup's directory, open and checked to still be it; control files are written through its fd. */
class CgroupDir {
  private constructor(
    readonly path: string,
    readonly fd: number,
  ) {}

  static open(c: OwnedCgroup): CgroupDir {
    let fd: number;
    try {
      fd = openSync(c.path, C.O_RDONLY | C.O_DIRECTORY | C.O_NOFOLLOW);
    } catch (e) {
      throw new PlancError('bad-state', `cgroup ${c.path}: ${errnoWords(e)}; nothing changed`);
    }
    const st = fstatSync(fd);
    const type = statfsSync(at(fd)).type;
    if (!st.isDirectory() || st.ino !== c.ino || (type !== CGROUP_SUPER_MAGIC && type !== CGROUP2_SUPER_MAGIC)) {
      closeSync(fd);
      throw new PlancError('bad-state', `cgroup ${c.path} is no longer the one planc made for the container; nothing changed`);
    }
    return new CgroupDir(c.path, fd);
  }

  read(file: string): string {
    return readFileSync(at(this.fd, file), 'utf8').trim();
  }

  /** One write(2) of the value, as the kernel wants control files written; throws with the kernel's errno. */
  write(file: string, value: string): void {
    const fd = openSync(at(this.fd, file), C.O_WRONLY | C.O_NOFOLLOW);
    try {
      writeSync(fd, value);
    } finally {
      closeSync(fd);
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Open every directory the actions write to; each must be one of the container's owned cgroups. */
function openTargets(actions: readonly CgroupWriteAction[], cgroups: readonly OwnedCgroup[]): Map<string, CgroupDir> {
  const open = new Map<string, CgroupDir>();
  try {
    for (const a of actions) {
      if (open.has(a.path)) continue;
      const c = cgroups.find((x) => x.path === a.path);
      if (!c) throw new PlancError('bad-state', `${a.path} is not one of the container's cgroups; nothing changed`);
      open.set(a.path, CgroupDir.open(c));
    }
  } catch (e) {
    for (const d of open.values()) d.close();
    throw e;
  }
  return open;
}

/** What a cgroup write error means, in words that name the input and the file. */
function refusal(input: string, a: CgroupWriteAction, e: unknown, dir: CgroupDir): string {
  const code = (e as NodeJS.ErrnoException).code;
  let words = `the kernel refused ${a.file} = ${a.value}: ${errnoWords(e)}`;
  if (code === 'EBUSY' && a.file === 'memory.limit_in_bytes') {
    // As runc says it: the limit is below what the container uses now.
    const usage = safeRead(dir, 'memory.usage_in_bytes');
    const peak = safeRead(dir, 'memory.max_usage_in_bytes');
    words = `unable to set memory limit to ${a.value} (current usage: ${usage}, peak usage: ${peak})`;
  }
  return `${input}: ${words}`;
}

function safeRead(dir: CgroupDir, file: string): string {
  try {
    return dir.read(file);
  } catch {
    return '?';
  }
}

/**
 * Apply cgroup writes to a live container, all or nothing: each file's value is read before
 * it is written, and when a write fails the earlier ones are put back (last first). cpu.shares
 * is read back, since the kernel clamps it silently (2…262144) — as runc, that is an error.
 */
export function applyWrites(actions: readonly CgroupWriteAction[], inputs: readonly string[], cgroups: readonly OwnedCgroup[], onWrite?: (k: number) => void): void {
  const dirs = openTargets(actions, cgroups);
  const done: { dir: CgroupDir; file: string; old: string }[] = [];
  try {
    for (const [k, a] of actions.entries()) {
      const dir = dirs.get(a.path)!;
      let old: string;
      try {
        old = dir.read(a.file);
      } catch (e) {
        throw new PlancError('system', `${inputs[k]}: read ${a.path}/${a.file}: ${errnoWords(e)}`);
      }
      try {
        dir.write(a.file, a.value);
      } catch (e) {
        throw new PlancError('system', refusal(inputs[k] ?? a.why, a, e, dir), { errno: (e as { errno?: number }).errno });
      }
      done.push({ dir, file: a.file, old: oldValue(a.file, old) });
      if (a.file === 'cpu.shares') {
        const now = dir.read(a.file);
        if (now !== a.value) throw new PlancError('invalid-argument', `${inputs[k]}: the kernel set cpu.shares to ${now}, not ${a.value} (it allows 2 to 262144)`);
      }
      // Its audit record, before the next write (a record that cannot be written puts everything back).
      onWrite?.(k);
    }
  } catch (e) {
    const undone = rollback(done);
    const msg = (e as Error).message;
    throw new PlancError((e as PlancError).code ?? 'system', undone === '' ? `${msg}; nothing changed` : `${msg}; and putting back the earlier values failed: ${undone}`);
  } finally {
    for (const d of dirs.values()) d.close();
  }
}

/** What to write to restore a file from what reading it gave (a few files read differently from how they are written). */
function oldValue(file: string, read: string): string {
  // blkio.bfq.weight reads "default 500" on some kernels and takes "500".
  if (file.endsWith('weight') && read.startsWith('default ')) return read.slice('default '.length);
  return read;
}

function rollback(done: { dir: CgroupDir; file: string; old: string }[]): string {
  const failed: string[] = [];
  for (const { dir, file, old } of done.reverse()) {
    try {
      dir.write(file, old);
    } catch (e) {
      failed.push(`${dir.path}/${file} = ${old}: ${errnoWords(e)}`);
    }
  }
  return failed.join(', ');
}
