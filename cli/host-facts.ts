// Gathering HostFacts from this machine: the only place planning inputs
// come from the host. The planner itself never looks.
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import type { CgroupFacts, HostFacts, HostPath } from '../schemas/generated/hostfacts.js';
import { cgroupsWritable, idFacts, isRootless } from './rootless.js';

/** A mount of /proc/self/mountinfo: its filesystem type, where, and its superblock options. */
interface Mount {
  fstype: string;
  mountpoint: string;
  superOpts: string;
}

function mounts(): Mount[] {
  const out: Mount[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const mountpoint = unescape(line.slice(0, sep).split(' ')[4] ?? '');
    const [fstype = '', , superOpts = ''] = line.slice(sep + 3).split(' ');
    out.push({ fstype, mountpoint, superOpts });
  }
  return out;
}

/** A cgroup hierarchy as mounted here: v1 with its controllers (name "cpu,cpuacct", "name=systemd"), or the cgroup2 mount (name ""). */
export interface CgroupMount {
  version: 1 | 2;
  name: string;
  mountpoint: string;
}

/** Every cgroup hierarchy in /proc/self/mountinfo, the first mount of each. */
export function cgroupMounts(all: Mount[] = mounts()): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const { fstype, mountpoint, superOpts } of all) {
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

/**
 * Read the cgroup layout from /proc/self/mountinfo: v1 hierarchies if any are mounted, else v2.
 * On a hybrid host, PLANC_CGROUP_V2=1 chooses the cgroup2 mount (e.g. /sys/fs/cgroup/unified)
 * instead — the container then gets only the controllers that hierarchy has.
 * What each hierarchy offers (its root's files, the v2 controllers, page sizes, cpus) is
 * read here too, so that a setting the host lacks is refused at planning time, naming the field.
 */
export function cgroupLayout(all: Mount[] = mounts()): CgroupFacts {
  const hierarchies = cgroupMounts(all);
  const v1: { name: string; mountpoint: string; files?: string[] }[] = hierarchies.filter((m) => m.version === 1).map(({ name, mountpoint }) => ({ name, mountpoint }));
  const v2 = hierarchies.find((m) => m.version === 2)?.mountpoint ?? null;
  const common = { hugepageSizes: hugepageSizes(), bfq: bfqRegistered() };
  if ((process.env.PLANC_CGROUP_V2 === '1' && v2 !== null) || v1.length === 0) {
    const root = v2 ?? '/sys/fs/cgroup';
    const facts: CgroupFacts = { version: 2, root, ...common };
    const controllers = readWords(`${root}/cgroup.controllers`);
    if (controllers) facts.v2Controllers = controllers;
    // v2 keeps every hugetlb file off the root: reservations came with Linux 5.7, for both versions.
    facts.hugetlbReservations = kernelAtLeast(5, 7);
    const cpus = readTrim(`${root}/cpuset.cpus.effective`);
    const mems = readTrim(`${root}/cpuset.mems.effective`);
    if (cpus !== null) facts.cpus = cpus;
    if (mems !== null) facts.mems = mems;
    return facts;
  }
  for (const c of v1) {
    const files = filesOf(c.mountpoint);
    if (files) c.files = files;
  }
  const first = v1[0]!.mountpoint;
  const facts: CgroupFacts = { version: 1, root: first.slice(0, first.lastIndexOf('/')) || '/', v1Controllers: v1, ...common };
  const hugetlb = v1.find((c) => c.name.split(',').includes('hugetlb'));
  facts.hugetlbReservations = hugetlb?.files?.some((f) => /^hugetlb\.[^.]+\.rsvd\.limit_in_bytes$/.test(f)) ?? false;
  const cpuset = v1.find((c) => c.name.split(',').includes('cpuset'));
  if (cpuset) {
    const cpus = readTrim(`${cpuset.mountpoint}/cpuset.cpus`);
    const mems = readTrim(`${cpuset.mountpoint}/cpuset.mems`);
    if (cpus !== null) facts.cpus = cpus;
    if (mems !== null) facts.mems = mems;
  }
  return facts;
}

/** The regular files of a cgroup directory (its control files), sorted; null when unreadable. */
function filesOf(dir: string): string[] | null {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name).sort();
  } catch {
    return null;
  }
}

function readTrim(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

function readWords(path: string): string[] | null {
  const text = readTrim(path);
  return text === null ? null : [...new Set(text.split(/\s+/).filter(Boolean))].sort();
}

/** Page sizes as the hugetlb controller names its files: hugepages-2048kB → 2MB, hugepages-1048576kB → 1GB. */
function hugepageSizes(): string[] {
  let names: string[];
  try {
    names = readdirSync('/sys/kernel/mm/hugepages');
  } catch {
    return [];
  }
  const out: { kb: number; name: string }[] = [];
  for (const n of names) {
    const m = /^hugepages-(\d+)kB$/.exec(n);
    if (!m) continue;
    const kb = Number(m[1]);
    // The kernel's own naming (mm/hugetlb_cgroup.c, mem_fmt): whole GB, else whole MB, else KB.
    const name = kb >= 1048576 ? `${Math.floor(kb / 1048576)}GB` : kb >= 1024 ? `${Math.floor(kb / 1024)}MB` : `${kb}KB`;
    out.push({ kb, name });
  }
  return out.sort((a, b) => a.kb - b.kb).map((x) => x.name);
}

/** BFQ registers its blkcg policy when it is loaded; a block device then lists it among its schedulers. */
function bfqRegistered(): boolean {
  let devices: string[];
  try {
    devices = readdirSync('/sys/block');
  } catch {
    return false;
  }
  return devices.some((d) => (readTrim(`/sys/block/${d}/queue/scheduler`) ?? '').split(/\s+/).some((s) => s.replace(/[[\]]/g, '') === 'bfq'));
}

function kernelAtLeast(major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(readTrim('/proc/sys/kernel/osrelease') ?? '');
  return m !== null && (Number(m[1]) > major || (Number(m[1]) === major && Number(m[2]) >= minor));
}

// mountinfo escapes space, tab, newline and backslash as octal.
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/**
 * What the host has at each path (planner/host-paths.ts hostPathsOf): the
 * type it leads to and, when symlinks change it, where. For warnings only:
 * the executor resolves every path itself when it applies the plan.
 */
export function lookAtHostPaths(paths: string[]): Record<string, HostPath> {
  const out: Record<string, HostPath> = {};
  for (const path of paths) {
    let type: HostPath['type'] = 'missing';
    let resolved: string | undefined;
    try {
      const st = statSync(path);
      type = st.isFile() ? 'file' : st.isDirectory() ? 'directory' : st.isSocket() ? 'socket' : st.isBlockDevice() ? 'block' : st.isCharacterDevice() ? 'char' : st.isFIFO() ? 'fifo' : 'other';
      resolved = realpathSync(path);
    } catch {
      // missing, or a dangling or looping symlink: nothing to judge but the name
    }
    out[path] = resolved !== undefined && resolved !== path ? { type, resolved } : { type };
  }
  return out;
}

/** @param cgroupsPath the config's linux.cgroupsPath (rootless: whether its cgroups could be made) */
export function gatherHostFacts(opts: { id: string; bundle: string; stateDir: string; noPivot: boolean; systemdCgroup: boolean; cgroupsPath?: string; hostPaths?: string[] }): HostFacts {
  const all = mounts();
  const cgroup = cgroupLayout(all);
  const rootless = isRootless();
  const facts: HostFacts = {
    arch: nativeArch(),
    containerId: opts.id,
    bundle: opts.bundle,
    stateDir: opts.stateDir,
    cgroup,
    rootless,
    noPivot: opts.noPivot,
    systemdCgroup: opts.systemdCgroup,
    ...(rootless ? { cgroupWritable: cgroupsWritable(cgroup, opts.cgroupsPath, opts.id, opts.systemdCgroup), ids: idFacts() } : {}),
    ...(opts.hostPaths?.length ? { hostPaths: lookAtHostPaths(opts.hostPaths) } : {}),
  };
  const resctrl = all.find((m) => m.fstype === 'resctrl');
  if (resctrl) facts.resctrl = resctrl.mountpoint;
  return facts;
}

/** The host's native architecture, as seccomp names its audit arch: planc runs where Node runs. */
export function nativeArch(): 'x86_64' | 'aarch64' {
  if (process.arch === 'x64') return 'x86_64';
  if (process.arch === 'arm64') return 'aarch64';
  throw new Error(`planc supports x86_64 and aarch64 hosts, not ${process.arch}`);
}
