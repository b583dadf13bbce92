// Cgroup planning: where the container's cgroup is, which control files get
// which values, and how the init joins it. Two drivers behind one shape:
// v1 (one directory per controller hierarchy) and v2 (one unified directory).
import { PlancError } from '../schemas/error.js';
import type { PlanContext } from './context.js';
import { add, warn } from './context.js';
import { int, u64 } from './config.js';
import { clean, pointer, under } from './paths.js';

/** A control-file write before the controller is resolved to a directory. */
export interface Write {
  controller: string;
  file: string;
  value: string;
  why: string;
}

const RES = '/linux/resources';

const WHERE = '/linux/cgroupsPath';

/**
 * cgroupsPath → the path inside each hierarchy. Absent: /planc/<id>; relative: below /.
 * The result never names the root cgroup and never contains "..": runc cleans ".." away
 * (so "../../system.slice" quietly becomes "/system.slice"), planc refuses rather than guess
 * which cgroup was meant. A path that is a cgroup hosts always share is planned, with a
 * `shared-cgroup` warning (see noteSharedCgroup).
 */
export function cgroupPathOf(cgroupsPath: string | undefined, id: string, systemd: boolean): string {
  if (cgroupsPath === undefined || cgroupsPath === '') {
    checkId(id);
    return `/planc/${id}`;
  }
  if (systemd) return systemdToPath(cgroupsPath, id);
  checkChars(cgroupsPath, 'cgroupsPath');
  if (cgroupsPath.split('/').includes('..')) {
    throw new PlancError('invalid-config', `cgroupsPath ${JSON.stringify(cgroupsPath)} contains "..": runc cleans ".." away and would use another cgroup than the one written; planc refuses rather than guess`, { where: WHERE });
  }
  const path = clean(cgroupsPath);
  if (path === '/') {
    throw new PlancError('invalid-config', `cgroupsPath ${JSON.stringify(cgroupsPath)} is the root cgroup, which holds every process of the host: the container needs a cgroup of its own`, { where: WHERE });
  }
  return path;
}

/** NUL and control characters have no place in a cgroup name (and NUL would cut the path short in C). */
function checkChars(value: string, what: string, code: 'invalid-config' | 'invalid-argument' = 'invalid-config', where: string | null = WHERE): void {
  const bad = /[\u0000-\u001f\u007f]/.exec(value);
  if (bad) {
    const hex = bad[0].charCodeAt(0).toString(16).padStart(2, '0');
    throw new PlancError(code, `${what} ${JSON.stringify(value)} contains the control character 0x${hex}: not a usable cgroup name`, where === null ? {} : { where });
  }
}

/** One path component taken from input (a systemd unit part, the container id): no "/", no "." or "..", no control characters. */
function checkPart(value: string, what: string, code: 'invalid-config' | 'invalid-argument' = 'invalid-config', where: string | null = WHERE): void {
  checkChars(value, what, code, where);
  const opts = where === null ? {} : { where };
  if (value.includes('/')) throw new PlancError(code, `${what} ${JSON.stringify(value)} contains "/": it would name a cgroup in another place than its own`, opts);
  if (value === '.' || value === '..') {
    throw new PlancError(code, `${what} ${JSON.stringify(value)} is not a name: it would climb out of (or stay at) its place in the cgroup tree, planc refuses rather than guess`, opts);
  }
}

/** The id names the cgroup when cgroupsPath does not: it must be one usable component (the CLI's id gate says more). */
function checkId(id: string): void {
  if (id === '') throw new PlancError('invalid-argument', 'the container id is empty: it cannot name a cgroup');
  checkPart(id, 'the container id', 'invalid-argument', null);
}

/**
 * --systemd-cgroup paths are "slice:prefix:name" (e.g. "system.slice:libpod:abc").
 * Without systemd to ask, we place the cgroup where systemd would:
 * nested slices expand ("a-b.slice" lives in "a.slice/a-b.slice"), the unit is "prefix-name.scope".
 * Each part is a unit name, never a path: a "/" or ".." in one is refused.
 */
export function systemdToPath(spec: string, id: string): string {
  checkChars(spec, 'systemd cgroup path');
  const parts = spec.split(':');
  if (parts.length !== 3) {
    throw new PlancError('invalid-config', `systemd cgroup path must be "slice:prefix:name", got ${JSON.stringify(spec)}`, { where: WHERE });
  }
  const [slice = '', prefix = '', name = ''] = parts;
  checkPart(slice, 'systemd slice');
  checkPart(prefix, 'systemd unit prefix');
  checkPart(name, 'systemd unit name');
  const sliceName = slice === '' ? 'system.slice' : slice;
  if (!sliceName.endsWith('.slice')) throw new PlancError('invalid-config', `systemd slice must end in ".slice": ${JSON.stringify(sliceName)}`, { where: WHERE });
  let dir = '';
  const stems = sliceName.slice(0, -'.slice'.length).split('-');
  if (sliceName !== '-.slice') {
    // As systemd: "a--b.slice", "-a.slice" or ".slice" name no slice (an empty step in the nesting).
    if (stems.some((s) => s === '')) throw new PlancError('invalid-config', `systemd slice ${JSON.stringify(sliceName)} is not a valid slice name (empty part between dashes)`, { where: WHERE });
    for (let k = 1; k <= stems.length; k++) dir += '/' + stems.slice(0, k).join('-') + '.slice';
  }
  if (name === '') checkId(id);
  const unit = name.endsWith('.slice') ? name : `${prefix === '' ? '' : prefix + '-'}${name === '' ? id : name}.scope`;
  return clean(`${dir}/${unit}`);
}

/**
 * Cgroups that a host's own processes (or other engines' containers) live in. A container
 * placed exactly there shares it: its limits would bind the host's services, and a teardown
 * that emptied it would kill them. Paths below these are the usual, private places.
 */
export const SHARED_CGROUPS: readonly string[] = [
  // systemd's top level
  '/init.scope', '/system.slice', '/user.slice', '/machine.slice',
  // Kubernetes (cgroupfs and systemd drivers) and its QoS classes
  '/kubepods', '/kubepods/besteffort', '/kubepods/burstable',
  '/kubepods.slice', '/kubepods.slice/kubepods-besteffort.slice', '/kubepods.slice/kubepods-burstable.slice',
  // other engines' parents: docker, podman, libvirt, lxc
  '/docker', '/libpod_parent', '/machine', '/lxc', '/lxc.payload', '/lxc.monitor',
  // planc's own parent: every planc container's cgroup is below it
  '/planc',
];

/** The `shared-cgroup` warning, when the container's cgroup path is one that hosts always share. */
export function noteSharedCgroup(ctx: PlanContext): void {
  if (!SHARED_CGROUPS.includes(ctx.cgroupPath)) return;
  warn(ctx, 'shared-cgroup', WHERE,
    `cgroup ${ctx.cgroupPath} is shared: the container would share it with processes planc did not start; ` +
      'planc refuses at create time if it has processes, and never kills or removes a cgroup it did not make',
    ctx.cgroupPath);
}

/** The control-file writes a config's resources ask for, in the order they must be written (also `planc update`'s, see live.ts). */
export function v1Writes(ctx: Pick<PlanContext, 'config' | 'warnings'>): Write[] {
  const r = ctx.config.linux?.resources;
  const out: Write[] = [];
  if (!r) return out;
  const w = (controller: string, file: string, value: string, ...why: (string | number)[]) =>
    out.push({ controller, file, value, why: RES + pointer(...why) });
  if (r.devices) {
    r.devices.forEach((d, k) => w('devices', d.allow ? 'devices.allow' : 'devices.deny', deviceRule(d), 'devices', k));
    // The nodes every container gets (see devices.ts) stay usable whatever the rules said, as with runc.
    for (const rule of DEFAULT_ALLOWED_DEVICES) w('devices', 'devices.allow', rule, 'devices');
  }
  const m = r.memory;
  if (m) {
    if (m.limit !== undefined) w('memory', 'memory.limit_in_bytes', int(m.limit), 'memory', 'limit');
    if (m.swap !== undefined) w('memory', 'memory.memsw.limit_in_bytes', int(m.swap), 'memory', 'swap');
    if (m.reservation !== undefined) w('memory', 'memory.soft_limit_in_bytes', int(m.reservation), 'memory', 'reservation');
    if (m.kernelTCP !== undefined) w('memory', 'memory.kmem.tcp.limit_in_bytes', int(m.kernelTCP), 'memory', 'kernelTCP');
    if (m.swappiness !== undefined) w('memory', 'memory.swappiness', u64(m.swappiness), 'memory', 'swappiness');
    if (m.disableOOMKiller) w('memory', 'memory.oom_control', '1', 'memory', 'disableOOMKiller');
    if (m.kernel !== undefined) {
      ctx.warnings.push({ code: 'deprecated', why: `${RES}/memory/kernel`, message: 'kernel memory limits are deprecated and ignored' });
    }
  }
  const c = r.cpu;
  if (c) {
    if (c.shares !== undefined) w('cpu', 'cpu.shares', u64(c.shares), 'cpu', 'shares');
    // The period goes first: a quota is checked against the current period.
    if (c.period !== undefined) w('cpu', 'cpu.cfs_period_us', u64(c.period), 'cpu', 'period');
    if (c.quota !== undefined) w('cpu', 'cpu.cfs_quota_us', int(c.quota), 'cpu', 'quota');
    if (c.burst !== undefined) w('cpu', 'cpu.cfs_burst_us', u64(c.burst), 'cpu', 'burst');
    if (c.realtimePeriod !== undefined) w('cpu', 'cpu.rt_period_us', u64(c.realtimePeriod), 'cpu', 'realtimePeriod');
    if (c.realtimeRuntime !== undefined) w('cpu', 'cpu.rt_runtime_us', int(c.realtimeRuntime), 'cpu', 'realtimeRuntime');
    if (c.idle !== undefined) w('cpu', 'cpu.idle', int(c.idle), 'cpu', 'idle');
    if (c.cpus !== undefined || c.mems !== undefined) {
      throw new PlancError('unsupported', 'cpuset limits (cpus, mems) are not supported yet', { where: `${RES}/cpu/${c.cpus !== undefined ? 'cpus' : 'mems'}` });
    }
  }
  if (r.pids?.limit !== undefined) {
    const lim = BigInt(r.pids.limit as number | bigint);
    w('pids', 'pids.max', lim > 0n ? String(lim) : 'max', 'pids', 'limit');
  }
  const b = r.blockIO;
  if (b) {
    if (b.weight !== undefined) w('blkio', 'blkio.weight', u64(b.weight), 'blockIO', 'weight');
    if (b.leafWeight !== undefined) w('blkio', 'blkio.leaf_weight', u64(b.leafWeight), 'blockIO', 'leafWeight');
    b.weightDevice?.forEach((d, k) => {
      if (d.weight !== undefined) w('blkio', 'blkio.weight_device', `${d.major}:${d.minor} ${d.weight}`, 'blockIO', 'weightDevice', k);
    });
    const throttles = [
      ['throttleReadBpsDevice', 'blkio.throttle.read_bps_device'],
      ['throttleWriteBpsDevice', 'blkio.throttle.write_bps_device'],
      ['throttleReadIOPSDevice', 'blkio.throttle.read_iops_device'],
      ['throttleWriteIOPSDevice', 'blkio.throttle.write_iops_device'],
    ] as const;
    for (const [key, file] of throttles) {
      b[key]?.forEach((d, k) => w('blkio', file, `${d.major}:${d.minor} ${u64(d.rate)}`, 'blockIO', key, k));
    }
  }
  r.hugepageLimits?.forEach((h, k) => w('hugetlb', `hugetlb.${h.pageSize}.limit_in_bytes`, u64(h.limit), 'hugepageLimits', k));
  if (r.network?.classID !== undefined) w('net_cls', 'net_cls.classid', u64(r.network.classID), 'network', 'classID');
  r.network?.priorities?.forEach((p, k) => w('net_prio', 'net_prio.ifpriomap', `${p.name} ${p.priority}`, 'network', 'priorities', k));
  if (r.unified && Object.keys(r.unified).length > 0) {
    throw new PlancError('unsupported', 'unified (cgroup v2) resources need a cgroup v2 host; this plan is for cgroup v1', { where: `${RES}/unified` });
  }
  return out;
}

/** runc's device cgroup allowances for the default /dev nodes, ptys and tun. */
export const DEFAULT_ALLOWED_DEVICES = [
  'c *:* m', 'b *:* m',
  'c 1:3 rwm', 'c 1:5 rwm', 'c 1:7 rwm', 'c 1:8 rwm', 'c 1:9 rwm', 'c 5:0 rwm',
  'c 5:1 rwm', 'c 5:2 rwm', 'c 136:* rwm', 'c 10:200 rwm',
];

function deviceRule(d: { type?: string; major?: unknown; minor?: unknown; access?: string }): string {
  const num = (n: unknown) => (n === undefined || n === null || Number(n) < 0 ? '*' : String(n));
  return `${d.type ?? 'a'} ${num(d.major)}:${num(d.minor)} ${d.access ?? 'rwm'}`;
}

/** v2: one directory, controllers enabled along the way, different file names and units. */
export function v2Writes(ctx: Pick<PlanContext, 'config' | 'warnings'>): Write[] {
  const r = ctx.config.linux?.resources;
  const out: Write[] = [];
  if (!r) return out;
  const w = (file: string, value: string, ...why: (string | number)[]) => out.push({ controller: '', file, value, why: RES + pointer(...why) });
  const m = r.memory;
  if (m?.limit !== undefined) w('memory.max', maxOf(m.limit), 'memory', 'limit');
  if (m?.reservation !== undefined) w('memory.low', maxOf(m.reservation), 'memory', 'reservation');
  if (m?.swap !== undefined) {
    // v1's swap is memory+swap; v2's memory.swap.max is swap alone.
    const swap = BigInt(m.swap as number | bigint);
    const limit = m.limit === undefined ? -1n : BigInt(m.limit as number | bigint);
    w('memory.swap.max', swap < 0n || limit < 0n ? 'max' : String(swap - limit), 'memory', 'swap');
  }
  const c = r.cpu;
  if (c?.shares !== undefined) {
    const s = BigInt(c.shares as number | bigint);
    w('cpu.weight', String(s === 0n ? 100n : 1n + ((s - 2n) * 9999n) / 262142n), 'cpu', 'shares');
  }
  if (c?.quota !== undefined || c?.period !== undefined) {
    w('cpu.max', `${c.quota === undefined || Number(c.quota) < 0 ? 'max' : int(c.quota)} ${c.period === undefined ? '100000' : u64(c.period)}`, 'cpu', c.quota !== undefined ? 'quota' : 'period');
  }
  if (r.pids?.limit !== undefined) w('pids.max', Number(r.pids.limit) > 0 ? int(r.pids.limit) : 'max', 'pids', 'limit');
  for (const [file, value] of Object.entries(r.unified ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (file.includes('/')) throw new PlancError('invalid-config', `unified key must be a file name, got ${JSON.stringify(file)}`, { where: `${RES}/unified` });
    w(file, String(value), 'unified', file);
  }
  if (r.devices && r.devices.length > 0) {
    ctx.warnings.push({ code: 'v2-devices', why: `${RES}/devices`, message: 'device rules on cgroup v2 need an eBPF program, not planned yet: devices are not restricted' });
  }
  return out;
}

function maxOf(v: unknown): string {
  return BigInt(v as number | bigint) < 0n ? 'max' : int(v);
}

/** Host stage: create the cgroup and write limits. Returns the directories the init must join. */
export function planCgroups(ctx: PlanContext): string[] {
  const why = WHERE;
  noteSharedCgroup(ctx);
  const cg = ctx.facts.cgroup;
  if (cg.version === 2) {
    const dir = under(cg.root, ctx.cgroupPath);
    const writes = v2Writes(ctx);
    // Each ancestor must delegate the controllers the limits use.
    const needed = [...new Set(writes.map((x) => x.file.split('.')[0]!).filter((c) => ['cpu', 'memory', 'pids', 'io', 'hugetlb', 'cpuset'].includes(c)))].sort();
    add(ctx, { stage: 'host', op: 'cgroup.create', why, path: dir });
    if (needed.length > 0) {
      const parts = ctx.cgroupPath.split('/').filter(Boolean);
      for (let k = 0; k < parts.length; k++) {
        const ancestor = under(cg.root, parts.slice(0, k).join('/'));
        add(ctx, { stage: 'host', op: 'cgroup.write', why, path: ancestor, file: 'cgroup.subtree_control', value: needed.map((c) => '+' + c).join(' ') });
      }
    }
    for (const x of writes) add(ctx, { stage: 'host', op: 'cgroup.write', why: x.why, path: dir, file: x.file, value: x.value });
    return [dir];
  }
  const controllers = cg.v1Controllers ?? [];
  const hierarchyOf = (name: string) => controllers.find((c) => c.name.split(',').includes(name));
  const writes = v1Writes(ctx);
  for (const x of writes) {
    if (!hierarchyOf(x.controller)) {
      throw new PlancError('unsupported', `the ${x.controller} cgroup controller is not available on this host`, { where: x.why });
    }
  }
  // cpuset needs cpus/mems copied into every new level before anything can join; it is only
  // joined once cpuset limits are supported (see v1Writes).
  const joined = controllers.filter((c) => c.name !== 'cpuset');
  const dirs: string[] = [];
  for (const c of joined) {
    const dir = under(c.mountpoint, ctx.cgroupPath);
    dirs.push(dir);
    add(ctx, { stage: 'host', op: 'cgroup.create', why, path: dir });
  }
  for (const x of writes) {
    add(ctx, { stage: 'host', op: 'cgroup.write', why: x.why, path: under(hierarchyOf(x.controller)!.mountpoint, ctx.cgroupPath), file: x.file, value: x.value });
  }
  return dirs;
}
