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
  if (!ctx.newNs.has('user')) return;
  const conv = (m: { containerID: number; hostID: number; size: number }) => ({ containerID: m.containerID, hostID: m.hostID, size: m.size });
  add(ctx, { stage: 'parent', op: 'idmap.write', why: '/linux/uidMappings', kind: 'uid', map: (lin.uidMappings ?? []).map(conv) });
  add(ctx, { stage: 'parent', op: 'idmap.write', why: '/linux/gidMappings', kind: 'gid', map: (lin.gidMappings ?? []).map(conv), ...(ctx.facts.rootless ? { setgroups: 'deny' as const } : {}) });
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
