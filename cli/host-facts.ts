// Gathering HostFacts from this machine: the only place planning inputs
// come from the host. The planner itself never looks.
import { readFileSync } from 'node:fs';
import type { HostFacts } from '../schemas/generated/hostfacts.js';

interface CgroupLayout {
  version: 1 | 2;
  root: string;
  v1Controllers?: { name: string; mountpoint: string }[];
}

/**
 * Read the cgroup layout from /proc/self/mountinfo: v1 hierarchies if any are mounted, else v2.
 * On a hybrid host, PLANC_CGROUP_V2=1 chooses the cgroup2 mount (e.g. /sys/fs/cgroup/unified)
 * instead — the container then gets only the controllers that hierarchy has.
 */
export function cgroupLayout(): CgroupLayout {
  const mounts = cgroupMounts();
  const v1 = mounts.filter((m) => m.version === 1).map(({ name, mountpoint }) => ({ name, mountpoint }));
  const v2 = mounts.find((m) => m.version === 2)?.mountpoint ?? null;
  if (process.env.PLANC_CGROUP_V2 === '1' && v2 !== null) return { version: 2, root: v2 };
  if (v1.length > 0) {
    const first = v1[0]!.mountpoint;
    return { version: 1, root: first.slice(0, first.lastIndexOf('/')) || '/', v1Controllers: v1 };
  }
  return { version: 2, root: v2 ?? '/sys/fs/cgroup' };
}

/** A cgroup hierarchy as mounted here: v1 with its controllers (name "cpu,cpuacct", "name=systemd"), or the cgroup2 mount (name ""). */
export interface CgroupMount {
  version: 1 | 2;
  name: string;
  mountpoint: string;
}

/** Every cgroup hierarchy in /proc/self/mountinfo, the first mount of each. */
export function cgroupMounts(): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const mountpoint = unescape(line.slice(0, sep).split(' ')[4] ?? '');
    const [fstype, , superOpts = ''] = line.slice(sep + 3).split(' ');
    if (fstype === 'cgroup2') {
      if (!out.some((m) => m.version === 2)) out.push({ version: 2, name: '', mountpoint });
      continue;
    }
    if (fstype !== 'cgroup') continue;
    const name = superOpts.split(',').filter((o) => o !== 'rw' && o !== 'ro' && !o.startsWith('release_agent') && o !== 'clone_children' && o !== 'noprefix' && o !== 'xattr').join(',');
    if (name && !out.some((c) => c.version === 1 && c.name === name)) out.push({ version: 1, name, mountpoint });
  }
  return out;
}

// mountinfo escapes space, tab, newline and backslash as octal.
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function gatherHostFacts(opts: { id: string; bundle: string; stateDir: string; noPivot: boolean; systemdCgroup: boolean }): HostFacts {
  return {
    containerId: opts.id,
    bundle: opts.bundle,
    stateDir: opts.stateDir,
    cgroup: cgroupLayout(),
    rootless: process.getuid?.() !== 0,
    noPivot: opts.noPivot,
    systemdCgroup: opts.systemdCgroup,
  };
}
