// Namespaces: which are new (clone flags), which are joined (setns before
// the clone) and which are shared with the host (a warning, not an error).
import type { Plan } from '../schemas/generated/plan.js';
import { PlancError } from '../schemas/error.js';
import { NAMESPACE_TABLE } from '../schemas/tables.js';
import type { PlanContext } from './context.js';
import { add, warn } from './context.js';
import { pointer } from './paths.js';

type Ns = Plan['namespaces'][number]['type'];
// Every namespace type, in the order they are joined (user first: it owns the others); the
// executor's flags for them come from the same table (schemas/tables.ts).
export const NAMESPACES: Ns[] = NAMESPACE_TABLE.map((n) => n.type);

export function readNamespaces(ctx: PlanContext): Plan['namespaces'] {
  const seen = new Set<string>();
  const out: Plan['namespaces'] = [];
  (ctx.config.linux?.namespaces ?? []).forEach((ns, k) => {
    const why = pointer('linux', 'namespaces', k);
    if (seen.has(ns.type)) throw new PlancError('invalid-config', `namespace ${ns.type} is listed twice`, { where: why });
    seen.add(ns.type);
    out.push(ns.path ? { type: ns.type as Ns, path: ns.path } : { type: ns.type as Ns });
    if (!ns.path) ctx.newNs.add(ns.type);
  });
  if (!seen.has('mount')) throw new PlancError('invalid-config', 'a mount namespace is required (planc never mounts in the host namespace)', { where: '/linux/namespaces' });
  for (const ns of NAMESPACES) {
    if (!seen.has(ns) && ns !== 'user' && ns !== 'time' && ns !== 'cgroup') {
      warn(ctx, 'host-namespace', '/linux/namespaces', `the container shares the host's ${ns} namespace`);
    }
  }
  const lin = ctx.config.linux ?? {};
  if ((lin.uidMappings?.length || lin.gidMappings?.length) && !ctx.newNs.has('user')) {
    throw new PlancError('invalid-config', 'uid/gid mappings need a new user namespace', { where: '/linux/uidMappings' });
  }
  if (ctx.newNs.has('user')) {
    for (const kind of ['uidMappings', 'gidMappings'] as const) {
      if (!lin[kind]?.length) throw new PlancError('invalid-config', 'a new user namespace needs uidMappings and gidMappings', { where: `/linux/${kind}` });
      checkIdMap(lin[kind]!, `/linux/${kind}`);
    }
  }
  if (lin.timeOffsets && Object.keys(lin.timeOffsets).length > 0 && !ctx.newNs.has('time')) {
    throw new PlancError('invalid-config', 'timeOffsets need a new time namespace', { where: '/linux/timeOffsets' });
  }
  return out.sort((a, b) => NAMESPACES.indexOf(a.type) - NAMESPACES.indexOf(b.type));
}

// What the kernel takes in a uid_map/gid_map write (kernel/user_namespace.c): at most 340 ranges,
// none empty, none whose end wraps past the last 32-bit id, none overlapping another on either side.
// It answers any of these with a bare EINVAL at apply time; the plan can say which range and why.
const MAX_EXTENTS = 340;
const LAST_ID = 4294967295;

/** @param base the pointer of the mapping list (/linux/uidMappings, /mounts/3/gidMappings). */
export function checkIdMap(map: { containerID: number; hostID: number; size: number }[], base: string): void {
  const at = (k: number, field?: string) => base + pointer(k, ...(field ? [field] : []));
  if (map.length > MAX_EXTENTS) throw new PlancError('invalid-config', `${map.length} ranges: the kernel takes at most ${MAX_EXTENTS}`, { where: base });
  map.forEach((m, k) => {
    if (m.size === 0) throw new PlancError('invalid-config', 'size is 0: an empty range maps nothing, and the kernel refuses it', { where: at(k, 'size') });
    for (const side of ['containerID', 'hostID'] as const) {
      if (m[side] + m.size > LAST_ID) {
        throw new PlancError('invalid-config', `${side} ${m[side]} + size ${m.size} runs past the last id (${LAST_ID} is not mappable)`, { where: at(k) });
      }
    }
    for (let j = 0; j < k; j++) {
      const o = map[j]!;
      for (const side of ['containerID', 'hostID'] as const) {
        if (m[side] < o[side] + o.size && o[side] < m[side] + m.size) {
          throw new PlancError('invalid-config', `the ${side} range ${m[side]}-${m[side] + m.size - 1} overlaps ${at(j)}`, { where: at(k) });
        }
      }
    }
  });
}

/** Host stage: join existing namespaces (user first: it owns the others). */
export function planJoins(ctx: PlanContext, nss: Plan['namespaces']): void {
  for (const ns of nss) {
    if (!ns.path) continue;
    const k = (ctx.config.linux?.namespaces ?? []).findIndex((n) => n.type === ns.type);
    add(ctx, { stage: 'host', op: 'ns.join', why: pointer('linux', 'namespaces', k, 'path'), ns: ns.type, path: ns.path });
  }
}

/** @param foreground the executor stays the init's parent and exits with its status (`run` without -d). */
export function planClone(ctx: PlanContext, nss: Plan['namespaces'], foreground: boolean): void {
  // The cgroup namespace is unshared by the init after it joined its cgroup, so that cgroup is its root;
  // the time namespace by the init too, since a clone into a new one would freeze its offsets at zero.
  const namespaces = nss.filter((n) => !n.path && n.type !== 'cgroup' && n.type !== 'time').map((n) => n.type);
  add(ctx, { stage: 'clone', op: 'clone', why: '/linux/namespaces', namespaces, parent: foreground ? 'executor' : 'caller' });
}

export function planIdMaps(ctx: PlanContext): void {
  const lin = ctx.config.linux ?? {};
  const ids = ctx.facts.ids;
  if (ctx.facts.rootless && ids) {
    // Without root a container can only be made inside a user namespace of its own.
    if (!ctx.newNs.has('user')) throw new PlancError('unsupported', 'rootless: without root the container needs a new user namespace (`planc spec --rootless` writes a config with one)', { where: '/linux/namespaces' });
    if (ids.usernsDisabled) throw new PlancError('unsupported', `rootless: user namespaces are disabled on this host (${ids.usernsDisabled})`, { where: '/linux/namespaces' });
  }
  if (!ctx.newNs.has('user')) return;
  const conv = (m: { containerID: number; hostID: number; size: number }) => ({ containerID: m.containerID, hostID: m.hostID, size: m.size });
  const uidMap = (lin.uidMappings ?? []).map(conv);
  const gidMap = (lin.gidMappings ?? []).map(conv);
  const uidHelper = ctx.facts.rootless && ids ? mapHelper(ids, 'uid', uidMap) : undefined;
  const gidHelper = ctx.facts.rootless && ids ? mapHelper(ids, 'gid', gidMap) : undefined;
  add(ctx, { stage: 'parent', op: 'idmap.write', why: '/linux/uidMappings', kind: 'uid', map: uidMap, ...(uidHelper ? { helper: uidHelper } : {}) });
  // An unprivileged process may write its own single gid only once setgroups is denied; newgidmap decides that itself.
  const deny = ctx.facts.rootless && !gidHelper;
  add(ctx, { stage: 'parent', op: 'idmap.write', why: '/linux/gidMappings', kind: 'gid', map: gidMap, ...(deny ? { setgroups: 'deny' as const } : {}), ...(gidHelper ? { helper: gidHelper } : {}) });
}

type IdFacts = NonNullable<PlanContext['facts']['ids']>;

/**
 * Rootless: a map of just the caller's own id is written directly; anything
 * more must come from the caller's /etc/subuid (subgid) ranges and goes
 * through the setuid newuidmap (newgidmap), which checks the same file.
 */
function mapHelper(ids: IdFacts, kind: 'uid' | 'gid', map: { containerID: number; hostID: number; size: number }[]): string | undefined {
  const own = kind === 'uid' ? ids.uid : ids.gid;
  if (map.length === 1 && map[0]!.hostID === own && map[0]!.size === 1) return undefined;
  const ranges = kind === 'uid' ? ids.subuid : ids.subgid;
  const file = `/etc/sub${kind}`;
  const who = ids.user ?? String(own);
  const field = kind === 'uid' ? 'uidMappings' : 'gidMappings';
  map.forEach((m, k) => {
    const mine = m.hostID === own && m.size === 1;
    const delegated = ranges.some((r) => m.hostID >= r.start && m.hostID + m.size <= r.start + r.count);
    if (!mine && !delegated) {
      const have = ranges.length > 0 ? `${kind} ${own} and ${file}'s ranges for ${who} (${ranges.map((r) => `${r.start}-${r.start + r.count - 1}`).join(', ')})` : `${kind} ${own}: ${file} has no entry for ${who}`;
      throw new PlancError('unsupported', `rootless: host ${kind}s ${m.hostID}-${m.hostID + m.size - 1} are not this user's to map; it may map only ${have}`, { where: pointer('linux', field, k) });
    }
  });
  const helper = kind === 'uid' ? ids.newuidmap : ids.newgidmap;
  if (!helper) throw new PlancError('unsupported', `rootless: mapping more than the caller's own ${kind} needs new${kind}map, which is not installed (Debian: apt-get install uidmap)`, { where: `/linux/${field}` });
  return helper;
}

// include/linux/time64.h KTIME_SEC_MAX: the kernel refuses an offset beyond it (ERANGE), and also one
// that takes the clock below zero or past half of it, which depends on the host's uptime.
const KTIME_SEC_MAX = 9223372036n;

/**
 * Init stage: a new time namespace with the configured clock offsets. The offsets can only be
 * written while no process is in the namespace, so the init unshares it (its children would enter
 * it), writes them, and then enters it itself before anything else runs there.
 */
export function planTimeNamespace(ctx: PlanContext): void {
  if (!ctx.newNs.has('time')) return;
  const given = ctx.config.linux?.timeOffsets ?? {};
  const offsets = (['monotonic', 'boottime'] as const).filter((clock) => given[clock] !== undefined).map((clock) => {
    const o = given[clock]!;
    const secs = BigInt(o.secs ?? 0);
    if (secs > KTIME_SEC_MAX || secs < -KTIME_SEC_MAX) {
      throw new PlancError('invalid-config', `${secs} s is out of range: the kernel takes offsets from -${KTIME_SEC_MAX} to ${KTIME_SEC_MAX} s`, { where: pointer('linux', 'timeOffsets', clock, 'secs') });
    }
    return { clock, secs: String(secs), nanosecs: o.nanosecs ?? 0 };
  });
  const k = (ctx.config.linux?.namespaces ?? []).findIndex((n) => n.type === 'time');
  add(ctx, { stage: 'init', op: 'timens.create', why: offsets.length > 0 ? '/linux/timeOffsets' : pointer('linux', 'namespaces', k), offsets });
}
