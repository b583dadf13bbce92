// Gathering HostFacts from this machine: the only place planning inputs
// come from the host (the planner itself never looks). Pure logic over the
// read-only HostIO (cli/host-io.ts), so that the Node CLI (cli/host-facts.ts)
// and the native front's embedded engine (cli/native/engine/) gather the
// same facts the same way.
import type { CgroupFacts, HostFacts, HostPath } from '../schemas/generated/hostfacts.js';
import type { HostIO } from './host-io.js';

/** A mount of /proc/self/mountinfo: its filesystem type, where, and its superblock options. */
export interface Mount {
  fstype: string;
  mountpoint: string;
  superOpts: string;
}

export function mounts(io: HostIO): Mount[] {
  const text = io.readText('/proc/self/mountinfo');
  // Without it no cgroup could be placed right: planning stops here.
  if (text === null) throw new Error('cannot read /proc/self/mountinfo');
  const out: Mount[] = [];
  for (const line of text.split('\n')) {
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

/** Every cgroup hierarchy among the mounts, the first mount of each. */
export function cgroupMounts(all: Mount[]): CgroupMount[] {
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
 * The cgroup layout: v1 hierarchies if any are mounted, else v2.
 * On a hybrid host, PLANC_CGROUP_V2=1 chooses the cgroup2 mount (e.g. /sys/fs/cgroup/unified)
 * instead — the container then gets only the controllers that hierarchy has.
 * What each hierarchy offers (its root's files, the v2 controllers, page sizes, cpus) is
 * read here too, so that a setting the host lacks is refused at planning time, naming the field.
 */
export function cgroupLayout(io: HostIO, all: Mount[]): CgroupFacts {
  const hierarchies = cgroupMounts(all);
  const v1: { name: string; mountpoint: string; files?: string[] }[] = hierarchies.filter((m) => m.version === 1).map(({ name, mountpoint }) => ({ name, mountpoint }));
  const v2 = hierarchies.find((m) => m.version === 2)?.mountpoint ?? null;
  const common = { hugepageSizes: hugepageSizes(io), bfq: bfqRegistered(io) };
  if ((io.env('PLANC_CGROUP_V2') === '1' && v2 !== null) || v1.length === 0) {
    const root = v2 ?? '/sys/fs/cgroup';
    const facts: CgroupFacts = { version: 2, root, ...common };
    const controllers = readWords(io, `${root}/cgroup.controllers`);
    if (controllers) facts.v2Controllers = controllers;
    // v2 keeps every hugetlb file off the root: reservations came with Linux 5.7, for both versions.
    facts.hugetlbReservations = kernelAtLeast(io, 5, 7);
    const cpus = readTrim(io, `${root}/cpuset.cpus.effective`);
    const mems = readTrim(io, `${root}/cpuset.mems.effective`);
    if (cpus !== null) facts.cpus = cpus;
    if (mems !== null) facts.mems = mems;
    return facts;
  }
  for (const c of v1) {
    const files = filesOf(io, c.mountpoint);
    if (files) c.files = files;
  }
  const first = v1[0]!.mountpoint;
  const facts: CgroupFacts = { version: 1, root: first.slice(0, first.lastIndexOf('/')) || '/', v1Controllers: v1, ...common };
  const hugetlb = v1.find((c) => c.name.split(',').includes('hugetlb'));
  facts.hugetlbReservations = hugetlb?.files?.some((f) => /^hugetlb\.[^.]+\.rsvd\.limit_in_bytes$/.test(f)) ?? false;
  const cpuset = v1.find((c) => c.name.split(',').includes('cpuset'));
  if (cpuset) {
    const cpus = readTrim(io, `${cpuset.mountpoint}/cpuset.cpus`);
    const mems = readTrim(io, `${cpuset.mountpoint}/cpuset.mems`);
    if (cpus !== null) facts.cpus = cpus;
    if (mems !== null) facts.mems = mems;
  }
  return facts;
}

/** The regular files of a cgroup directory (its control files), sorted; null when unreadable. */
function filesOf(io: HostIO, dir: string): string[] | null {
  return io.readdir(dir)?.filter((e) => e.isFile).map((e) => e.name).sort() ?? null;
}

function readTrim(io: HostIO, path: string): string | null {
  return io.readText(path)?.trim() ?? null;
}

function readWords(io: HostIO, path: string): string[] | null {
  const text = readTrim(io, path);
  return text === null ? null : [...new Set(text.split(/\s+/).filter(Boolean))].sort();
}

/** Page sizes as the hugetlb controller names its files: hugepages-2048kB → 2MB, hugepages-1048576kB → 1GB. */
function hugepageSizes(io: HostIO): string[] {
  const out: { kb: number; name: string }[] = [];
  for (const { name: n } of io.readdir('/sys/kernel/mm/hugepages') ?? []) {
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
function bfqRegistered(io: HostIO): boolean {
  return (io.readdir('/sys/block') ?? []).some(({ name: d }) => (readTrim(io, `/sys/block/${d}/queue/scheduler`) ?? '').split(/\s+/).some((s) => s.replace(/[[\]]/g, '') === 'bfq'));
}

function kernelAtLeast(io: HostIO, major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(readTrim(io, '/proc/sys/kernel/osrelease') ?? '');
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
export function lookAtHostPaths(io: HostIO, paths: string[]): Record<string, HostPath> {
  const out: Record<string, HostPath> = {};
  for (const path of paths) {
    let type: HostPath['type'] = 'missing';
    let resolved: string | undefined;
    try {
      type = io.stat(path);
      resolved = io.realpath(path) ?? undefined;
    } catch {
      // missing, or a dangling or looping symlink: nothing to judge but the name
    }
    out[path] = resolved !== undefined && resolved !== path ? { type, resolved } : { type };
  }
  return out;
}

/** runc's global --rootless true|false|auto (auto: rootless when not run as root). */
export function rootlessFrom(mode: string, euid: number): boolean | null {
  if (mode === 'true') return true;
  if (mode === 'false') return false;
  if (mode !== 'auto') return null;
  return euid !== 0;
}

export interface GatherOptions {
  id: string;
  bundle: string;
  stateDir: string;
  noPivot: boolean;
  systemdCgroup: boolean;
  /** the config's linux.cgroupsPath (rootless: whether its cgroups could be made) */
  cgroupsPath?: string;
  hostPaths?: string[];
}

/** What only a rootless planc needs: the caller gives it (cli/rootless.ts), or refuses to plan rootless. */
export type RootlessFacts = (cgroup: CgroupFacts, opts: GatherOptions) => Pick<HostFacts, 'cgroupWritable' | 'ids'>;

export function gatherHostFacts(io: HostIO, opts: GatherOptions, rootless: boolean, rootlessFacts: RootlessFacts): HostFacts {
  const all = mounts(io);
  const cgroup = cgroupLayout(io, all);
  const facts: HostFacts = {
    arch: nativeArch(io.arch),
    containerId: opts.id,
    bundle: opts.bundle,
    stateDir: opts.stateDir,
    cgroup,
    rootless,
    noPivot: opts.noPivot,
    systemdCgroup: opts.systemdCgroup,
    ...(rootless ? rootlessFacts(cgroup, opts) : {}),
    ...(opts.hostPaths?.length ? { hostPaths: lookAtHostPaths(io, opts.hostPaths) } : {}),
  };
  const resctrl = all.find((m) => m.fstype === 'resctrl');
  if (resctrl) facts.resctrl = resctrl.mountpoint;
  return facts;
}

/** The host's native architecture (process.arch's naming), as seccomp names its audit arch. */
export function nativeArch(arch: string): 'x86_64' | 'aarch64' {
  if (arch === 'x64') return 'x86_64';
  if (arch === 'arm64') return 'aarch64';
  throw new Error(`planc supports x86_64 and aarch64 hosts, not ${arch}`);
}
