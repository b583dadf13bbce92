// The host's real cgroup layout for tests, read from /proc/self/mountinfo:
// every v1 hierarchy and the cgroup2 mount, wherever they are mounted. Tests
// ask here for host paths (cgroupDir('memory', 'planc/<id>')) instead of
// writing this VM's /sys/fs/cgroup/<controller>/… layout into themselves, and
// the leftover checks search every hierarchy, not only the default parent.
//
// Deliberately independent of executor/host-facts.ts: the tests check the
// runtime's idea of the layout against this one, so it must not be the same code.
// No side effects on import (the skip gate loads it outside the test runner).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CgroupHierarchy {
  version: 1 | 2;
  /** v1: the hierarchy's controllers as in the superblock options ('cpu', 'cpuacct', 'name=systemd'); v2: []. */
  controllers: string[];
  /** Where it is mounted in this mount namespace. */
  mountpoint: string;
  /** The cgroup this mount shows as its top (mountinfo field 4; '/' unless mounted from inside a cgroup namespace or a bind). */
  mountRoot: string;
  /** major:minor of the superblock: several mounts of one hierarchy share it. */
  device: string;
}

// Superblock options of a v1 cgroup mount that are not controllers.
const NOT_CONTROLLERS = new Set(['rw', 'ro', 'clone_children', 'noprefix', 'xattr', 'cpuset_v2_mode', 'favordynmods']);

// mountinfo escapes space, tab, newline and backslash as three octal digits.
function unescapeField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** The cgroup hierarchies in a mountinfo text, one per superblock (the first mount of each). */
export function parseCgroupMounts(mountinfo: string): CgroupHierarchy[] {
  const out: CgroupHierarchy[] = [];
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const fields = line.slice(0, sep).split(' ');
    const [fstype, , superOpts = ''] = line.slice(sep + 3).split(' ');
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    const device = fields[2] ?? '';
    if (out.some((h) => h.device === device)) continue;
    const controllers = fstype === 'cgroup2' ? [] : superOpts.split(',').filter((o) => o && !NOT_CONTROLLERS.has(o) && !o.startsWith('release_agent='));
    out.push({ version: fstype === 'cgroup2' ? 2 : 1, controllers, mountpoint: unescapeField(fields[4] ?? ''), mountRoot: unescapeField(fields[3] ?? '/'), device });
  }
  return out;
}

/** This process's cgroup hierarchies (fresh each call: tests are short, mounts rarely change, but never cache a stale view). */
export function cgroupHierarchies(): CgroupHierarchy[] {
  return parseCgroupMounts(readFileSync('/proc/self/mountinfo', 'utf8'));
}

/** The hierarchy holding a v1 controller ('memory', 'systemd' for name=systemd), or the cgroup2 mount for 'cgroup2'. */
export function hierarchyOf(controller: string, hierarchies = cgroupHierarchies()): CgroupHierarchy | undefined {
  if (controller === 'cgroup2') return hierarchies.find((h) => h.version === 2);
  return hierarchies.find((h) => h.version === 1 && (h.controllers.includes(controller) || h.controllers.includes(`name=${controller}`)));
}

/**
 * Host path of `rel` (a cgroup path relative to the mount, e.g. `planc/<id>` or
 * `planc/<id>/memory.limit_in_bytes`) in the hierarchy of `controller`.
 * Throws when this host has no such hierarchy, so a test fails saying so.
 */
export function cgroupDir(controller: string, rel = ''): string {
  const h = hierarchyOf(controller);
  if (!h) throw new Error(`this host has no ${controller === 'cgroup2' ? 'cgroup2 mount' : `v1 cgroup hierarchy with the ${controller} controller`} (per /proc/self/mountinfo)`);
  return rel ? join(h.mountpoint, rel) : h.mountpoint;
}

/** Search limits: cgroupfs trees are small; a tree bigger than this is reported, never silently half-searched. */
const MAX_DEPTH = 16;
const MAX_DIRS = 100_000;

/**
 * Every directory, in every cgroup hierarchy, whose name is one of `names` — at any
 * depth (a custom cgroupsPath puts a container anywhere). One walk for many names.
 */
export function cgroupDirsNamed(names: Iterable<string>, hierarchies = cgroupHierarchies()): Map<string, string[]> {
  const want = new Set(names);
  const found = new Map<string, string[]>();
  for (const n of want) found.set(n, []);
  let seen = 0;
  for (const h of hierarchies) {
    const stack: [string, number][] = [[h.mountpoint, 0]];
    while (stack.length > 0) {
      const [dir, depth] = stack.pop()!;
      if (depth > MAX_DEPTH) throw new Error(`cgroup tree deeper than ${MAX_DEPTH} at ${dir}: the leftover search would be incomplete`);
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        continue; // removed while we walked
      }
      for (const e of entries) {
        if (!e.isDirectory()) continue;
        const path = join(dir, e.name);
        if (++seen > MAX_DIRS) throw new Error(`more than ${MAX_DIRS} cgroup directories on this host: the leftover search would be incomplete`);
        if (want.has(e.name)) found.get(e.name)!.push(path);
        stack.push([path, depth + 1]);
      }
    }
  }
  return found;
}

/** True when `path` exists (for the skip gate's host conditions). */
export function cgroupFileExists(controller: string, rel: string): boolean {
  const h = hierarchyOf(controller);
  return h !== undefined && existsSync(join(h.mountpoint, rel));
}

/**
 * The number the kernel gave a v1 hierarchy (first field of its /proc/<pid>/cgroup
 * line, e.g. 4 in `4:memory:/`): host-specific, the same inside a container.
 */
export function hierarchyNumber(controller: string): number {
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const [num, controllers] = line.split(':');
    if (controllers?.split(',').some((c) => c === controller || c === `name=${controller}`)) return Number(num);
  }
  throw new Error(`no v1 ${controller} hierarchy in /proc/self/cgroup`);
}
