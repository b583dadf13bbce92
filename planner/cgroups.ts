// Cgroup planning: where the container's cgroup is, which control files get
// which values, and how the init joins it. Two drivers behind one shape:
// v1 (one directory per controller hierarchy) and v2 (one unified directory).
import { PlancError } from '../schemas/error.js';
import type { PlanContext } from './context.js';
import { add, warn } from './context.js';
import { clean, under } from './paths.js';
import { v1Writes } from './cgroups/v1.js';
import { v2Writes } from './cgroups/v2.js';

export { DEFAULT_ALLOWED_DEVICES, v1Writes } from './cgroups/v1.js';
export { blkioToIoWeight, sharesToWeight, v2Writes } from './cgroups/v2.js';
export type { Write } from './cgroups/common.js';

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

/** Host stage: create the cgroup and write limits. Returns the directories the init must join. */
export function planCgroups(ctx: PlanContext): string[] {
  const why = WHERE;
  noteSharedCgroup(ctx);
  const cg = ctx.facts.cgroup;
  if (ctx.facts.rootless && ctx.facts.cgroupWritable === false) return withoutCgroups(ctx);
  if (cg.version === 2) {
    const dir = under(cg.root, ctx.cgroupPath);
    // Every write is checked against the host before the first action: a refusal leaves nothing behind.
    const writes = v2Writes(ctx);
    // Each ancestor must hand the controllers the limits use down to its children (left enabled afterwards, as runc does).
    const needed = [...new Set(writes.map((x) => x.controller).filter((c) => c !== ''))].sort();
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
  const writes = v1Writes(ctx);
  const dirs: string[] = [];
  for (const c of controllers) {
    const dir = under(c.mountpoint, ctx.cgroupPath);
    dirs.push(dir);
    // A new v1 cpuset has no cpus and no mems, and no task can join it until it has: each new
    // level takes its parent's first (the config's own cpus/mems are written after).
    const cpuset = c.name.split(',').includes('cpuset');
    add(ctx, cpuset ? { stage: 'host', op: 'cgroup.create', why, path: dir, inherit: ['cpuset.cpus', 'cpuset.mems'] } : { stage: 'host', op: 'cgroup.create', why, path: dir });
  }
  for (const x of writes) {
    const h = controllers.find((c) => c.name.split(',').includes(x.controller))!;
    add(ctx, { stage: 'host', op: 'cgroup.write', why: x.why, path: under(h.mountpoint, ctx.cgroupPath), file: x.file, value: x.value });
  }
  return dirs;
}

/**
 * Rootless where no cgroup is delegated to the caller (cgroup v1, or v2 without a
 * writable subtree): as runc --rootless, the container runs in the caller's own
 * cgroups. That is a note, not a failure — unless the config asks for a limit,
 * which only a cgroup can give. Device rules need no cgroup there: in a user
 * namespace no device node can be made, the host's are bound in.
 */
function withoutCgroups(ctx: PlanContext): string[] {
  const cg = ctx.facts.cgroup;
  const limits = cg.version === 2 ? v2Writes(ctx) : v1Writes(ctx).filter((x) => x.controller !== 'devices');
  if (limits.length > 0) {
    throw new PlancError('unsupported', `rootless: this limit needs a cgroup, and the cgroups under ${cg.root} are not delegated to this user (on cgroup v2, run planc in a delegated subtree, e.g. a systemd unit with Delegate=yes)`, { where: limits[0]!.why });
  }
  warn(ctx, 'rootless-no-cgroup', WHERE, `rootless: the cgroups under ${cg.root} are not writable by this user (not delegated): the container gets no cgroup of its own and stays in the caller's, without limits`);
  return [];
}
