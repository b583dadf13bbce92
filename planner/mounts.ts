// Mount planning: config mounts → mount / remount / propagation actions,
// with runc's semantics for bind mounts, sysfs without a network namespace
// and the "cgroup" pseudo-type.
import type { MountAttr, MountFlag, Propagation } from '../schemas/generated/plan.js';
import { PlancError } from '../schemas/error.js';
import { MOUNT_ATTR_TABLE, MOUNT_FLAG_TABLE } from '../schemas/tables.js';
import type { PlanContext } from './context.js';
import { add } from './context.js';
import { checkIdMap } from './namespaces.js';
import { clean, isAbsolute, join, pointer, under, within } from './paths.js';

type Atime = 'relatime' | 'noatime' | 'strictatime';
type Effect =
  | { set: MountFlag }
  | { clear: MountFlag }
  | { propagation: Propagation }
  | { bind: boolean }
  | { ignore: true }
  // Recursive attributes (mount_setattr with AT_RECURSIVE): the mount and every mount below it.
  | { rset: MountAttr }
  | { rclear: MountAttr }
  | { ratime: Atime }
  | { rnoatime: Atime }
  // Id-mapped mount (mount_setattr MOUNT_ATTR_IDMAP); ridmap maps the mounts below a rbind too.
  | { idmap: 'idmap' | 'ridmap' }
  // A new tmpfs that starts with a copy of what the directory it covers held.
  | { copyup: true };

// Option word → effect. Words not listed become filesystem data ("mode=755").
export const MOUNT_OPTIONS: Record<string, Effect> = {
  ro: { set: 'ro' }, rw: { clear: 'ro' },
  nosuid: { set: 'nosuid' }, suid: { clear: 'nosuid' },
  nodev: { set: 'nodev' }, dev: { clear: 'nodev' },
  noexec: { set: 'noexec' }, exec: { clear: 'noexec' },
  sync: { set: 'sync' }, async: { clear: 'sync' },
  dirsync: { set: 'dirsync' },
  mand: { set: 'mand' }, nomand: { clear: 'mand' },
  noatime: { set: 'noatime' }, atime: { clear: 'noatime' },
  nodiratime: { set: 'nodiratime' }, diratime: { clear: 'nodiratime' },
  relatime: { set: 'relatime' }, norelatime: { clear: 'relatime' },
  strictatime: { set: 'strictatime' }, nostrictatime: { clear: 'strictatime' },
  bind: { bind: false }, rbind: { bind: true },
  shared: { propagation: 'shared' }, rshared: { propagation: 'rshared' },
  slave: { propagation: 'slave' }, rslave: { propagation: 'rslave' },
  private: { propagation: 'private' }, rprivate: { propagation: 'rprivate' },
  unbindable: { propagation: 'unbindable' }, runbindable: { propagation: 'runbindable' },
  defaults: { ignore: true },
  rro: { rset: 'ro' }, rrw: { rclear: 'ro' },
  rnosuid: { rset: 'nosuid' }, rsuid: { rclear: 'nosuid' },
  rnodev: { rset: 'nodev' }, rdev: { rclear: 'nodev' },
  rnoexec: { rset: 'noexec' }, rexec: { rclear: 'noexec' },
  rnodiratime: { rset: 'nodiratime' }, rdiratime: { rclear: 'nodiratime' },
  rnosymfollow: { rset: 'nosymfollow' }, rsymfollow: { rclear: 'nosymfollow' },
  // The access-time mode is one value, not a bit: the last option naming it wins. Undoing a
  // mode ("ratime" after "rnoatime") leaves the kernel's default, relatime, as with runc.
  rrelatime: { ratime: 'relatime' }, rnorelatime: { rnoatime: 'relatime' },
  rnoatime: { ratime: 'noatime' }, ratime: { rnoatime: 'noatime' },
  rstrictatime: { ratime: 'strictatime' }, rnostrictatime: { rnoatime: 'strictatime' },
  idmap: { idmap: 'idmap' }, ridmap: { idmap: 'ridmap' },
  tmpcopyup: { copyup: true },
};

export interface Recursive {
  set: MountAttr[];
  clear: MountAttr[];
  atime?: Atime;
}

export interface ParsedOptions {
  flags: MountFlag[];
  data: string[];
  propagation: Propagation[];
  bind: false | 'bind' | 'rbind';
  /** Attributes for the mount and every mount below it; null when no option asks for any. */
  recursive: Recursive | null;
  /** idmap/ridmap, with the index of the option that asked. */
  idmap: { kind: 'idmap' | 'ridmap'; at: number } | null;
  /** tmpcopyup: the index of the option. */
  copyUp: number | null;
}

// The order attributes are listed in an action: the table's, which the executor's bits come from.
const ATTR_ORDER: MountAttr[] = MOUNT_ATTR_TABLE.map((a) => a.name);

// The order flags are listed in an action: the table's (schemas/tables.ts, which the executor's
// flag bits come from), without bind, rec and remount, which the planner adds itself.
const FLAG_ORDER: MountFlag[] = MOUNT_FLAG_TABLE.filter((f) => f.perMount || f.superblock).map((f) => f.name);

export function parseOptions(options: string[], why: string): ParsedOptions {
  const flags = new Set<MountFlag>();
  const data: string[] = [];
  const propagation: Propagation[] = [];
  let bind: ParsedOptions['bind'] = false;
  const rset = new Set<MountAttr>();
  const rclear = new Set<MountAttr>();
  let atime: Atime | undefined;
  let recursive = false;
  let idmap: ParsedOptions['idmap'] = null;
  let copyUp: number | null = null;
  options.forEach((opt, k) => {
    const e = MOUNT_OPTIONS[opt];
    if (!e) data.push(opt);
    else if ('set' in e) flags.add(e.set);
    else if ('clear' in e) flags.delete(e.clear);
    else if ('propagation' in e) propagation.push(e.propagation);
    else if ('bind' in e) bind = e.bind || bind === 'rbind' ? 'rbind' : 'bind';
    else if ('idmap' in e) idmap = { kind: e.idmap, at: k };
    else if ('copyup' in e) copyUp = k;
    else if ('rset' in e || 'rclear' in e || 'ratime' in e || 'rnoatime' in e) {
      recursive = true;
      if ('rset' in e) (rset.add(e.rset), rclear.delete(e.rset));
      else if ('rclear' in e) (rclear.add(e.rclear), rset.delete(e.rclear));
      else if ('ratime' in e) atime = e.ratime;
      else atime = atime === undefined || atime === e.rnoatime ? 'relatime' : atime;
    }
  });
  const rec: Recursive | null = recursive ? { set: ATTR_ORDER.filter((a) => rset.has(a)), clear: ATTR_ORDER.filter((a) => rclear.has(a)), ...(atime ? { atime } : {}) } : null;
  return { flags: FLAG_ORDER.filter((f) => flags.has(f)), data, propagation, bind, recursive: rec, idmap, copyUp };
}

/**
 * The filesystem a target below /proc or /sys must be on, so an image's symlink or
 * directory cannot pass for the kernel's. Without a network namespace /sys is the
 * host's own tree bound in (see planMounts), where mount points such as /sys/fs/cgroup
 * are tmpfs: below it the host's tree is what it is, and only /proc is checked.
 */
function expectFsOf(target: string, sysFromHost = false): { expectFs?: 'proc' | 'sysfs' } {
  if (target !== '/proc' && within(target, '/proc')) return { expectFs: 'proc' };
  if (target !== '/sys' && within(target, '/sys') && !sysFromHost) return { expectFs: 'sysfs' };
  return {};
}

/** Is /sys the host's, bound in (a sysfs mount without a network namespace of its own)? */
function sysFromHost(ctx: PlanContext): boolean {
  return !ctx.newNs.has('network') && (ctx.config.mounts ?? []).some((m) => m.type === 'sysfs');
}

export function planMounts(ctx: PlanContext): void {
  (ctx.config.mounts ?? []).forEach((m, k) => {
    const why = pointer('mounts', k);
    const target = mountTarget(m.destination, why);
    const opts = parseOptions(m.options ?? [], why);
    const type = m.type ?? (opts.bind ? 'bind' : '');
    checkProcTarget(target, type, opts, why);
    const copy = copyUp(opts, opts.bind ? 'bind' : type, why);
    const idmapped = ctx.idmapped.get(k);
    if (idmapped !== undefined) {
      add(ctx, { stage: 'init', op: 'mount.attach', why, detached: idmapped, target, create: 'auto', ...expectFsOf(target, sysFromHost(ctx)) });
      return planBindAttrs(ctx, target, opts, why);
    }
    if (type === 'cgroup' && !opts.bind) return planCgroupMount(ctx, target, opts, why);
    if (type === 'sysfs' && !ctx.newNs.has('network') && !opts.bind) {
      // A sysfs mount shows the mounter's network namespace; sharing the host's, runc binds the host /sys instead.
      return planBind(ctx, '/sys', target, { ...opts, bind: 'rbind' }, why);
    }
    if (opts.bind || type === 'bind') {
      if (m.source === undefined) throw new PlancError('invalid-config', 'a bind mount needs a source', { where: why });
      return planBind(ctx, join(ctx.facts.bundle, m.source), target, opts, why);
    }
    add(ctx, { stage: 'init', op: 'mount', why, source: m.source ?? type, target, fstype: type, flags: opts.flags, data: opts.data.join(','), create: 'dir', ...expectFsOf(target, sysFromHost(ctx)), ...(copy ? { copyUp: true } : {}) });
    planPropagation(ctx, target, opts.propagation, why);
    planRecursive(ctx, target, opts.recursive, why);
  });
}

/** tmpcopyup (as runc: tmpfs only): the copy is written into the new tmpfs, so it cannot be mounted read-only. */
function copyUp(opts: ParsedOptions, type: string, why: string): boolean {
  if (opts.copyUp === null) return false;
  const where = `${why}/options/${opts.copyUp}`;
  if (type !== 'tmpfs') throw new PlancError('invalid-config', `tmpcopyup fills a new tmpfs, and this mount is ${JSON.stringify(type || 'a mount without a type')}`, { where });
  if (opts.flags.includes('ro')) throw new PlancError('invalid-config', 'tmpcopyup copies into the new tmpfs, which ro makes read-only from the start (rro after it makes the copy read-only)', { where });
  return true;
}

function mountTarget(destination: string, why: string): string {
  if (!isAbsolute(destination)) {
    throw new PlancError('invalid-config', `mount destination must be absolute, got ${JSON.stringify(destination)}`, { where: `${why}/destination` });
  }
  const target = clean(destination);
  if (target === '/') throw new PlancError('invalid-config', 'a mount onto / would hide the rootfs; use root.path', { where: `${why}/destination` });
  return target;
}

type IdMap = { containerID: number; hostID: number; size: number }[];

/**
 * Host stage, before the clone: an id-mapped mount is made by the runtime, which holds
 * CAP_SYS_ADMIN over the source's filesystem (an init in a user namespace does not). The
 * executor clones the source, gives the copy a user namespace with the mount's mappings and
 * keeps it detached; the init attaches it where the mount belongs (mount.attach). Fills
 * ctx.idmapped: config mount index → index of the action that makes its copy.
 */
export function planIdmappedMounts(ctx: PlanContext): void {
  const lin = ctx.config.linux ?? {};
  (ctx.config.mounts ?? []).forEach((m, k) => {
    const why = pointer('mounts', k);
    const opts = parseOptions(m.options ?? [], why);
    const given = m.uidMappings !== undefined || m.gidMappings !== undefined;
    if (!given && !opts.idmap) return;
    const asked = opts.idmap ? `${why}/options/${opts.idmap.at}` : `${why}/${m.uidMappings !== undefined ? 'uidMappings' : 'gidMappings'}`;
    if (ctx.facts.rootless) throw new PlancError('unsupported', 'an id-mapped mount needs CAP_SYS_ADMIN over the source filesystem, which a rootless runtime does not have', { where: asked });
    const type = m.type ?? (opts.bind ? 'bind' : '');
    if (!opts.bind && type !== 'bind') {
      throw new PlancError('invalid-config', `only bind mounts can be id-mapped by planc, not ${JSON.stringify(type || 'a mount without a type')}: it maps an existing tree`, { where: asked });
    }
    if (m.source === undefined) throw new PlancError('invalid-config', 'a bind mount needs a source', { where: why });
    let uid: IdMap, gid: IdMap;
    if (given) {
      // runtime-spec: "If specified, it MUST be specified along with gidMappings" (and the other way round).
      for (const kind of ['uidMappings', 'gidMappings'] as const) {
        if (!m[kind]?.length) throw new PlancError('invalid-config', `an id-mapped mount needs both uidMappings and gidMappings`, { where: `${why}/${kind}` });
        checkIdMap(m[kind]!, `${why}/${kind}`);
      }
      uid = m.uidMappings!;
      gid = m.gidMappings!;
    } else if (ctx.newNs.has('user')) {
      // runtime-spec: without mappings on the mount, the runtime MAY use the container's own.
      uid = lin.uidMappings!;
      gid = lin.gidMappings!;
    } else {
      throw new PlancError('invalid-config', `${opts.idmap!.kind} without uidMappings and gidMappings on the mount needs a user namespace whose mappings it can use`, { where: asked });
    }
    const conv = (map: IdMap) => map.map((x) => ({ containerID: x.containerID, hostID: x.hostID, size: x.size }));
    ctx.idmapped.set(k, ctx.actions.length);
    add(ctx, {
      stage: 'host', op: 'mount.idmap', why, source: join(ctx.facts.bundle, m.source),
      recursive: opts.bind === 'rbind', idmapRecursive: opts.idmap?.kind === 'ridmap', uidMappings: conv(uid), gidMappings: conv(gid),
    });
  });
}

// Files under /proc that may be bound over (lxcfs serves container views of them), as runc allows.
const PROC_FILES = new Set(['/proc/cpuinfo', '/proc/diskstats', '/proc/meminfo', '/proc/stat', '/proc/swaps', '/proc/uptime', '/proc/loadavg', '/proc/slabinfo', '/proc/net/dev', '/proc/sys/kernel/ns_last_pid']);

/**
 * /proc is where masks and read-only paths protect the host: anything but
 * procfs on /proc itself, or any other mount inside it, would hide what they
 * protect (or stand in for it). Refused, as runc does, but for the files
 * lxcfs replaces.
 */
function checkProcTarget(target: string, type: string, opts: ParsedOptions, why: string): void {
  if (target === '/proc' && (type !== 'proc' || opts.bind)) {
    throw new PlancError('invalid-config', `only procfs may be mounted on /proc, not ${JSON.stringify(type || 'a bind mount')}: masked and read-only paths would protect nothing`, { where: why });
  }
  if (target !== '/proc' && within(target, '/proc') && !PROC_FILES.has(target)) {
    throw new PlancError('invalid-config', `a mount inside /proc (${target}) would hide what masked and read-only paths protect; only ${[...PROC_FILES].join(', ')} may be bound over`, { where: why });
  }
}

function planBind(ctx: PlanContext, source: string, target: string, opts: ParsedOptions, why: string): void {
  const rec: MountFlag[] = opts.bind === 'rbind' ? ['rec'] : [];
  add(ctx, { stage: 'init', op: 'mount', why, source, target, fstype: '', flags: ['bind', ...rec], data: '', create: 'auto', ...expectFsOf(target, sysFromHost(ctx)) });
  planBindAttrs(ctx, target, opts, why);
}

function planBindAttrs(ctx: PlanContext, target: string, opts: ParsedOptions, why: string): void {
  // A bind mount ignores flags on creation; they take effect on a remount of the new mount point.
  if (opts.flags.length > 0) add(ctx, { stage: 'init', op: 'mount.remount', why, target, flags: ['bind', ...opts.flags] });
  planPropagation(ctx, target, opts.propagation, why);
  planRecursive(ctx, target, opts.recursive, why);
}

/**
 * Recursive attributes come last, as with runc: a bind remount replaces the per-mount flags of the
 * top mount, so "nosuid,rro" must not have its read-only undone by the nosuid remount after it.
 */
function planRecursive(ctx: PlanContext, target: string, rec: Recursive | null, why: string): void {
  if (rec) add(ctx, { stage: 'init', op: 'mount.setattr', why, target, set: rec.set, clear: rec.clear, ...(rec.atime ? { atime: rec.atime } : {}) });
}

function planPropagation(ctx: PlanContext, target: string, props: Propagation[], why: string): void {
  for (const propagation of props) add(ctx, { stage: 'init', op: 'mount.propagation', why, target, propagation });
}

/**
 * "cgroup" is not one filesystem: the container sees a tmpfs with one entry per hierarchy (v1),
 * or the cgroup2 filesystem (v2). With a cgroup namespace each hierarchy is mounted fresh (its root
 * is the container's cgroup); without one, the container's own cgroup directories are bound in.
 */
function planCgroupMount(ctx: PlanContext, target: string, opts: ParsedOptions, why: string): void {
  const cg = ctx.facts.cgroup;
  const cgroupns = ctx.newNs.has('cgroup');
  if (cg.version === 2) {
    if (cgroupns) add(ctx, { stage: 'init', op: 'mount', why, source: 'cgroup2', target, fstype: 'cgroup2', flags: opts.flags, data: '', create: 'dir', ...expectFsOf(target, sysFromHost(ctx)) });
    else planBind(ctx, under(cg.root, ctx.cgroupPath), target, { ...opts, bind: 'bind', propagation: [], recursive: null }, why);
    planRecursive(ctx, target, opts.recursive, why);
    return;
  }
  const base = opts.flags.filter((f) => f !== 'ro');
  add(ctx, { stage: 'init', op: 'mount', why, source: 'tmpfs', target, fstype: 'tmpfs', flags: base, data: 'mode=755', create: 'dir', ...expectFsOf(target, sysFromHost(ctx)) });
  for (const c of cg.v1Controllers ?? []) {
    const named = c.name.startsWith('name=');
    const sub = join(target, named ? c.name.slice('name='.length) : c.name);
    if (cgroupns) {
      add(ctx, { stage: 'init', op: 'mount', why, source: 'cgroup', target: sub, fstype: 'cgroup', flags: opts.flags, data: named ? `none,${c.name}` : c.name, create: 'dir' });
    } else {
      // Every hierarchy, cpuset too, shows the container's own cgroup (planCgroups makes one in each), as runc binds them.
      add(ctx, { stage: 'init', op: 'mount', why, source: under(c.mountpoint, ctx.cgroupPath), target: sub, fstype: '', flags: ['bind'], data: '', create: 'dir' });
      if (opts.flags.length > 0) add(ctx, { stage: 'init', op: 'mount.remount', why, target: sub, flags: ['bind', ...opts.flags] });
    }
    // A co-mounted hierarchy ("cpu,cpuacct") is also reachable under each controller's name.
    const names = c.name.split(',');
    if (!named && names.length > 1) for (const n of names) add(ctx, { stage: 'init', op: 'symlink', why, path: join(target, n), target: c.name });
  }
  if (opts.flags.includes('ro')) add(ctx, { stage: 'init', op: 'mount.remount', why, target, flags: [...base, 'ro'] });
  planPropagation(ctx, target, opts.propagation, why);
  planRecursive(ctx, target, opts.recursive, why);
}

/** After pivot_root: read-only and masked paths, as runc orders them. */
export function planPathProtection(ctx: PlanContext): void {
  const linux = ctx.config.linux ?? {};
  (linux.readonlyPaths ?? []).forEach((p, k) => add(ctx, { stage: 'init', op: 'readonly', why: pointer('linux', 'readonlyPaths', k), path: clean(p), ...expectFsOf(clean(p)) }));
  (linux.maskedPaths ?? []).forEach((p, k) => add(ctx, { stage: 'init', op: 'mask', why: pointer('linux', 'maskedPaths', k), path: clean(p), ...expectFsOf(clean(p)) }));
}
