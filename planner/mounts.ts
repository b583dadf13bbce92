// Mount planning: config mounts → mount / remount / propagation actions,
// with runc's semantics for bind mounts, sysfs without a network namespace
// and the "cgroup" pseudo-type.
import type { MountFlag, Propagation } from '../schemas/generated/plan.js';
import { PlancError } from '../schemas/error.js';
import { MOUNT_FLAG_TABLE } from '../schemas/tables.js';
import type { PlanContext } from './context.js';
import { add } from './context.js';
import { clean, isAbsolute, join, pointer, under, within } from './paths.js';

type Effect = { set: MountFlag } | { clear: MountFlag } | { propagation: Propagation } | { bind: boolean } | { ignore: true };

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
};

// Options that need mount_setattr/idmapped mounts: rejected clearly until planned.
const NOT_YET = new Set(['rro', 'rrw', 'rnosuid', 'rsuid', 'rnodev', 'rdev', 'rnoexec', 'rexec', 'rnoatime', 'ratime', 'rnodiratime', 'rdiratime', 'rrelatime', 'rnorelatime', 'rstrictatime', 'rnostrictatime', 'idmap', 'ridmap', 'tmpcopyup']);

export interface ParsedOptions {
  flags: MountFlag[];
  data: string[];
  propagation: Propagation[];
  bind: false | 'bind' | 'rbind';
}

// The order flags are listed in an action: the table's (schemas/tables.ts, which the executor's
// flag bits come from), without bind, rec and remount, which the planner adds itself.
const FLAG_ORDER: MountFlag[] = MOUNT_FLAG_TABLE.filter((f) => f.perMount || f.superblock).map((f) => f.name);

export function parseOptions(options: string[], why: string): ParsedOptions {
  const flags = new Set<MountFlag>();
  const data: string[] = [];
  const propagation: Propagation[] = [];
  let bind: ParsedOptions['bind'] = false;
  options.forEach((opt, k) => {
    if (NOT_YET.has(opt)) throw new PlancError('unsupported', `mount option ${JSON.stringify(opt)} is not supported yet`, { where: `${why}/options/${k}` });
    const e = MOUNT_OPTIONS[opt];
    if (!e) data.push(opt);
    else if ('set' in e) flags.add(e.set);
    else if ('clear' in e) flags.delete(e.clear);
    else if ('propagation' in e) propagation.push(e.propagation);
    else if ('bind' in e) bind = e.bind || bind === 'rbind' ? 'rbind' : 'bind';
  });
  return { flags: FLAG_ORDER.filter((f) => flags.has(f)), data, propagation, bind };
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
    if (!isAbsolute(m.destination)) {
      throw new PlancError('invalid-config', `mount destination must be absolute, got ${JSON.stringify(m.destination)}`, { where: `${why}/destination` });
    }
    const target = clean(m.destination);
    if (target === '/') throw new PlancError('invalid-config', 'a mount onto / would hide the rootfs; use root.path', { where: `${why}/destination` });
    const opts = parseOptions(m.options ?? [], why);
    const type = m.type ?? (opts.bind ? 'bind' : '');
    checkProcTarget(target, type, opts, why);
    if (type === 'cgroup' && !opts.bind) return planCgroupMount(ctx, target, opts, why);
    if (type === 'sysfs' && !ctx.newNs.has('network') && !opts.bind) {
      // A sysfs mount shows the mounter's network namespace; sharing the host's, runc binds the host /sys instead.
      return planBind(ctx, '/sys', target, { ...opts, bind: 'rbind' }, why);
    }
    if (opts.bind || type === 'bind') {
      if (m.source === undefined) throw new PlancError('invalid-config', 'a bind mount needs a source', { where: why });
      return planBind(ctx, join(ctx.facts.bundle, m.source), target, opts, why);
    }
    add(ctx, { stage: 'init', op: 'mount', why, source: m.source ?? type, target, fstype: type, flags: opts.flags, data: opts.data.join(','), create: 'dir', ...expectFsOf(target, sysFromHost(ctx)) });
    planPropagation(ctx, target, opts.propagation, why);
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
  // A bind mount ignores flags on creation; they take effect on a remount of the new mount point.
  if (opts.flags.length > 0) add(ctx, { stage: 'init', op: 'mount.remount', why, target, flags: ['bind', ...opts.flags] });
  planPropagation(ctx, target, opts.propagation, why);
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
    else planBind(ctx, under(cg.root, ctx.cgroupPath), target, { ...opts, bind: 'bind', propagation: [] }, why);
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
      add(ctx, { stage: 'init', op: 'mount', why, source: under(c.mountpoint, c.name === 'cpuset' ? '/' : ctx.cgroupPath), target: sub, fstype: '', flags: ['bind'], data: '', create: 'dir' });
      if (opts.flags.length > 0) add(ctx, { stage: 'init', op: 'mount.remount', why, target: sub, flags: ['bind', ...opts.flags] });
    }
    // A co-mounted hierarchy ("cpu,cpuacct") is also reachable under each controller's name.
    const names = c.name.split(',');
    if (!named && names.length > 1) for (const n of names) add(ctx, { stage: 'init', op: 'symlink', why, path: join(target, n), target: c.name });
  }
  if (opts.flags.includes('ro')) add(ctx, { stage: 'init', op: 'mount.remount', why, target, flags: [...base, 'ro'] });
  planPropagation(ctx, target, opts.propagation, why);
}

/** After pivot_root: read-only and masked paths, as runc orders them. */
export function planPathProtection(ctx: PlanContext): void {
  const linux = ctx.config.linux ?? {};
  (linux.readonlyPaths ?? []).forEach((p, k) => add(ctx, { stage: 'init', op: 'readonly', why: pointer('linux', 'readonlyPaths', k), path: clean(p), ...expectFsOf(clean(p)) }));
  (linux.maskedPaths ?? []).forEach((p, k) => add(ctx, { stage: 'init', op: 'mask', why: pointer('linux', 'maskedPaths', k), path: clean(p), ...expectFsOf(clean(p)) }));
}
