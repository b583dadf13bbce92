// Plans for a container that exists already: `update` (new resource limits
// → cgroup writes; pause and resume are planned by the native front,
// cli/native/freezer-verb.c). Pure like the rest of
// the planner: what the container's live cgroups look like comes in as facts
// (LiveCgroups, gathered by the CLI), and what comes out is cgroup.write
// actions with their provenance, which the CLI applies, `update --dry-run`
// prints, and an audit can record. The control files and values come from
// the same code as create's (cgroups.ts v1Writes/v2Writes), so an update
// writes exactly what a create with those resources would have.
//
// runc 1.1's update semantics are kept, since engines rely on them: a zero
// (or empty string) means "leave as it is", -1 means unlimited, memory
// sizes take k/m/g/t/p suffixes (powers of 1024), and fields runc's update
// does not change are not changed here either — they are reported as notes,
// never silently dropped.
import type { Resources } from '../schemas/generated/config.js';
import type { CgroupWriteAction } from '../schemas/generated/plan.js';
import { isPlancError, PlancError } from '../schemas/error.js';
import { v1Writes, v2Writes, type Write } from './cgroups.js';
import type { Warning } from './context.js';
import { pointer } from './paths.js';

/** The container's cgroups as they are now. */
export interface LiveCgroups {
  version: 1 | 2;
  /** v1: controller name → the container's own directory in that hierarchy; v2: '' → its one directory. */
  dirs: Record<string, string>;
  /** The control files present in each of those directories (by directory). */
  files: Record<string, readonly string[]>;
  /** v1: memory.limit_in_bytes now; decides whether the swap limit must be written before the memory limit. */
  memoryLimit?: bigint;
}

/** Where an update's values came from, so every message names what the caller typed. */
export type UpdateSource = { kind: 'flags' } | { kind: 'file'; name: string };

export interface UpdatePlan {
  /** The writes, in the order they must happen. */
  actions: CgroupWriteAction[];
  /** For each action, the flag or resources-file pointer it came from. */
  inputs: string[];
  /** The container's resources once the update is applied: the current ones with the update merged in. */
  resources: Resources;
  /** What was asked but is not changed by an update (as with runc), and why. */
  notes: string[];
}

type Kind = 'size' | 'uint' | 'int' | 'string';

/** runc 1.1's update flags: where each lands in runtime-spec LinuxResources, and how its value is read. */
export const UPDATE_FLAGS: Record<string, readonly [section: 'memory' | 'cpu' | 'pids' | 'blockIO', field: string, kind: Kind]> = {
  memory: ['memory', 'limit', 'size'],
  'memory-swap': ['memory', 'swap', 'size'],
  'memory-reservation': ['memory', 'reservation', 'size'],
  'kernel-memory': ['memory', 'kernel', 'size'],
  'kernel-memory-tcp': ['memory', 'kernelTCP', 'size'],
  'cpu-share': ['cpu', 'shares', 'uint'],
  'cpu-period': ['cpu', 'period', 'uint'],
  'cpu-quota': ['cpu', 'quota', 'int'],
  'cpu-rt-period': ['cpu', 'realtimePeriod', 'uint'],
  'cpu-rt-runtime': ['cpu', 'realtimeRuntime', 'int'],
  'cpuset-cpus': ['cpu', 'cpus', 'string'],
  'cpuset-mems': ['cpu', 'mems', 'string'],
  'pids-limit': ['pids', 'limit', 'int'],
  'blkio-weight': ['blockIO', 'weight', 'uint'],
};

const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const UNITS = ['', 'k', 'm', 'g', 't', 'p'];

/** A number as the planner's integers are kept: a number when exact, a bigint beyond 2^53. */
function exact(n: bigint): number | bigint {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

function badValue(flag: string, value: string, what: string): PlancError {
  return new PlancError('invalid-argument', `invalid value for --${flag}: ${JSON.stringify(value)} is not ${what}`);
}

/**
 * A memory size as runc reads it (docker's RAMInBytes): "-1" (unlimited), or a number with an
 * optional k, m, g, t or p (powers of 1024, any case, optionally followed by "i" and/or "b").
 */
export function parseSize(flag: string, value: string): bigint {
  if (value === '-1') return -1n;
  const m = /^([0-9]+)(?:\.([0-9]+))? ?([kmgtp])?i?b?$/i.exec(value);
  if (!m) throw badValue(flag, value, 'a size (bytes, or a number with k, m, g, t or p)');
  const frac = m[2] ?? '';
  const mul = 1024n ** BigInt(UNITS.indexOf((m[3] ?? '').toLowerCase()));
  // Exact decimal arithmetic, truncated like runc's float conversion: "1.5g" is 1610612736.
  const n = (BigInt(m[1]! + frac) * mul) / 10n ** BigInt(frac.length);
  if (n > INT64_MAX) throw badValue(flag, value, 'a size that fits in 63 bits');
  return n;
}

function parseInteger(flag: string, value: string, kind: 'uint' | 'int'): bigint {
  const ok = kind === 'uint' ? /^[0-9]+$/ : /^[-+]?[0-9]+$/;
  if (!ok.test(value)) throw badValue(flag, value, kind === 'uint' ? 'an unsigned integer' : 'an integer');
  const n = BigInt(value);
  if (kind === 'uint' ? n > UINT64_MAX : n > INT64_MAX || n < -INT64_MAX - 1n) throw badValue(flag, value, `a ${kind === 'uint' ? 'u' : ''}int64`);
  return n;
}

/** LinuxResources from runc-style update flags (only those given; values as typed, zeros included). */
export function resourcesFromFlags(flags: Readonly<Record<string, string | undefined>>): Resources {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [flag, [section, field, kind]] of Object.entries(UPDATE_FLAGS)) {
    const value = flags[flag];
    if (value === undefined) continue;
    const v = kind === 'string' ? value : exact(kind === 'size' ? parseSize(flag, value) : parseInteger(flag, value, kind));
    (out[section] ??= {})[field] = v;
  }
  return out as Resources;
}

// runtime-spec LinuxResources, field by field: what an update changes (as runc 1.1), and what it leaves alone.
const CHANGED: Record<string, readonly string[]> = {
  memory: ['limit', 'reservation', 'swap'],
  cpu: ['shares', 'quota', 'period', 'realtimeRuntime', 'realtimePeriod', 'cpus', 'mems'],
  pids: ['limit'],
  blockIO: ['weight'],
};
const KEPT: Record<string, readonly string[]> = {
  memory: ['kernel', 'kernelTCP', 'swappiness', 'disableOOMKiller', 'useHierarchy', 'checkBeforeUpdate'],
  cpu: ['burst', 'idle'],
  pids: [],
  blockIO: ['leafWeight', 'weightDevice', 'throttleReadBpsDevice', 'throttleWriteBpsDevice', 'throttleReadIOPSDevice', 'throttleWriteIOPSDevice'],
};
const SECTIONS = ['devices', 'memory', 'cpu', 'pids', 'blockIO', 'hugepageLimits', 'network', 'rdma', 'unified'];

function isZero(v: unknown): boolean {
  return v === 0 || v === 0n || v === '' || v === undefined || v === null;
}

function hasValue(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (v !== null && typeof v === 'object') return Object.values(v).some(hasValue);
  return !isZero(v) && v !== false;
}

/** Name of an input for messages: the flag, or the pointer into the resources file. */
export function inputName(source: UpdateSource, ptr: string): string {
  if (source.kind === 'file') return `${source.name}: ${ptr}`;
  const flag = Object.entries(UPDATE_FLAGS).find(([, [s, f]]) => pointer(s, f) === ptr)?.[0];
  return flag ? `--${flag}` : ptr;
}

/**
 * What an update request actually asks to change: zeros and empty strings dropped (runc's
 * "unchanged"), fields an update does not touch turned into notes. Unknown fields are refused:
 * runc's JSON decoder would drop a misspelt "memroy" without a word.
 */
export function requestedChanges(request: Resources, source: UpdateSource, notes: string[]): Resources {
  const delta: Record<string, unknown> = {};
  const req = request as Record<string, unknown>;
  for (const key of Object.keys(req)) {
    if (!SECTIONS.includes(key)) throw new PlancError('invalid-argument', `${inputName(source, pointer(key))}: unknown resource (runtime-spec LinuxResources has ${SECTIONS.join(', ')})`);
  }
  for (const [section, fields] of Object.entries(CHANGED)) {
    const given = req[section] as Record<string, unknown> | undefined;
    if (given === undefined || given === null) continue;
    if (typeof given !== 'object' || Array.isArray(given)) throw new PlancError('invalid-argument', `${inputName(source, pointer(section))}: must be an object`);
    const out: Record<string, unknown> = {};
    for (const [field, v] of Object.entries(given)) {
      if (fields.includes(field)) {
        if (!isZero(v)) out[field] = v;
      } else if (KEPT[section]!.includes(field)) {
        if (hasValue(v)) notes.push(`${inputName(source, pointer(section, field))}: not changed by update (as with runc); it keeps its value from create`);
      } else {
        throw new PlancError('invalid-argument', `${inputName(source, pointer(section, field))}: unknown field of ${section}`);
      }
    }
    if (Object.keys(out).length > 0) delta[section] = out;
  }
  const unified = req.unified as Record<string, string> | undefined;
  if (unified && Object.keys(unified).length > 0) delta.unified = unified;
  for (const section of ['devices', 'hugepageLimits', 'network', 'rdma']) {
    if (hasValue(req[section])) notes.push(`${inputName(source, pointer(section))}: not changed by update (as with runc); it keeps its value from create`);
  }
  return delta as Resources;
}

/** `base` with `over` merged in, section by section (a section's fields replace, unified keys add). */
export function mergeResources(base: Resources | undefined, over: Resources): Resources {
  const out: Record<string, unknown> = { ...(base ?? {}) };
  for (const [k, v] of Object.entries(over)) {
    const old = out[k];
    out[k] = v !== null && typeof v === 'object' && !Array.isArray(v) && old !== null && typeof old === 'object' && !Array.isArray(old) ? { ...old, ...v } : v;
  }
  return out as Resources;
}

const RES = '/linux/resources';

/** Plan an update of a live container. `current` is what it runs with now (create's resources and earlier updates). */
export function planUpdate(current: Resources | undefined, request: Resources, live: LiveCgroups, source: UpdateSource): UpdatePlan {
  const notes: string[] = [];
  const delta = requestedChanges(request, source, notes) as Resources & { memory?: Record<string, unknown>; cpu?: Record<string, unknown> };
  const name = (why: string) => inputName(source, why.startsWith(RES) ? why.slice(RES.length) : why);
  const writes: Write[] = [];

  const mem = delta.memory;
  if (mem) {
    // runc: unlimited memory with no word on swap means unlimited swap too (where swap is accounted).
    const hasSwapFile = live.version === 1 ? (live.files[live.dirs.memory ?? ''] ?? []).includes('memory.memsw.limit_in_bytes') : true;
    if (mem.limit !== undefined && BigInt(mem.limit as number) === -1n && mem.swap === undefined && hasSwapFile) mem.swap = -1;
  }
  const merged = mergeResources(current, delta) as Resources & { memory?: Record<string, unknown>; cpu?: Record<string, unknown> };
  if (live.version === 2) {
    // v2 keeps quota and period in one file (cpu.max), and swap apart from memory: the value
    // written needs the other half, which an update may not repeat — take it from what is in force.
    const cpu = delta.cpu;
    if (cpu && (cpu.quota !== undefined) !== (cpu.period !== undefined)) {
      if (cpu.quota === undefined && merged.cpu?.quota !== undefined) cpu.quota = merged.cpu.quota;
      if (cpu.period === undefined && merged.cpu?.period !== undefined) cpu.period = merged.cpu.period;
    }
    if (mem?.swap !== undefined && BigInt(mem.swap as number) !== -1n && mem.limit === undefined) {
      const limit = merged.memory?.limit;
      if (limit === undefined || BigInt(limit as number) < 0n) {
        throw new PlancError('invalid-argument', `${name(`${RES}/memory/swap`)}: a swap limit needs a memory limit on cgroup v2 (memory.swap.max counts swap alone); give the memory limit too`);
      }
      mem.limit = limit;
    }
  }

  // cpuset: its own files, and in v1 its own hierarchy (written here, where the update names the live directories).
  const rest: Record<string, unknown> = { ...delta };
  if (delta.cpu) {
    const { cpus, mems, ...cpu } = delta.cpu;
    for (const [f, v] of [['cpus', cpus], ['mems', mems]] as const) {
      if (v !== undefined) writes.push({ controller: 'cpuset', file: `cpuset.${f}`, value: String(v), why: `${RES}/cpu/${f}` });
    }
    if (Object.keys(cpu).length > 0) rest.cpu = cpu;
    else delete rest.cpu;
  }
  const warnings: Warning[] = [];
  const ctx = { config: { ociVersion: '1.0.0', linux: { resources: rest as Resources } }, warnings };
  try {
    writes.push(...(live.version === 1 ? v1Writes(ctx) : v2Writes(ctx)));
  } catch (e) {
    if (isPlancError(e) && e.where?.startsWith(RES)) throw new PlancError(e.code === 'unsupported' ? 'unsupported' : 'invalid-argument', `${name(e.where)}: ${e.message}`);
    throw e;
  }
  for (const w of warnings) notes.push(`${name(w.why)}: ${w.message}`);
  // Whatever was asked must land somewhere: a field this cgroup version has no file for is an error, not a no-op.
  const asked = Object.entries(delta).flatMap(([section, v]) => (section === 'unified' ? [] : Object.keys(v as object).map((f) => `${RES}/${section}/${f}`)));
  const cpuMax = writes.some((w) => w.file === 'cpu.max');
  for (const why of asked) {
    const landed = writes.some((w) => w.why === why) || (cpuMax && (why === `${RES}/cpu/quota` || why === `${RES}/cpu/period`));
    if (!landed) throw new PlancError('unsupported', `${name(why)}: cannot be set on cgroup v${live.version} (it has no such control file); nothing changed`);
  }

  const actions: CgroupWriteAction[] = [];
  const inputs: string[] = [];
  for (const w of writes) {
    const controller = live.version === 1 ? w.controller : '';
    const dir = live.dirs[controller];
    if (dir === undefined) {
      throw new PlancError('unsupported', `${name(w.why)}: the container has no ${live.version === 1 ? `${w.controller} cgroup` : 'cgroup'} to change on this host; nothing changed`);
    }
    const present = live.files[dir] ?? [];
    let file = w.file;
    // As runc: without CFQ the weight lives in BFQ's files.
    if (!present.includes(file) && (file === 'blkio.weight' || file === 'blkio.weight_device') && present.includes(file.replace('blkio.', 'blkio.bfq.'))) file = file.replace('blkio.', 'blkio.bfq.');
    if (!present.includes(file)) {
      const v2Controller = live.version === 2 ? file.split('.')[0] : '';
      const why = live.version === 2 ? `the ${v2Controller} controller is not enabled for the container's cgroup (no ${file})` : `this host's ${w.controller} cgroup has no ${file}`;
      throw new PlancError('unsupported', `${name(w.why)}: ${why}; nothing changed`);
    }
    actions.push({ op: 'cgroup.write', stage: 'host', why: w.why, path: dir, file, value: w.value });
    inputs.push(name(w.why));
  }

  // v1 checks memory+swap against the memory limit at each write: raise swap first when the new swap is above the limit in force.
  const limitAt = actions.findIndex((a) => a.file === 'memory.limit_in_bytes');
  const swapAt = actions.findIndex((a) => a.file === 'memory.memsw.limit_in_bytes');
  if (live.version === 1 && limitAt >= 0 && swapAt > limitAt) {
    const swap = BigInt(actions[swapAt]!.value);
    if (swap === -1n || live.memoryLimit === undefined || live.memoryLimit < swap) {
      const [a] = actions.splice(swapAt, 1);
      const [i] = inputs.splice(swapAt, 1);
      actions.splice(limitAt, 0, a!);
      inputs.splice(limitAt, 0, i!);
    }
  }
  return { actions, inputs, resources: merged, notes };
}

/** The update plan in words: one line per write with the input it came from, then the notes. */
export function explainUpdate(plan: UpdatePlan): string[] {
  const width = String(Math.max(plan.actions.length - 1, 0)).length;
  const lines = plan.actions.map((a, k) => `${String(k).padStart(width)} host   set ${a.file} = ${a.value} in ${a.path}  ← ${plan.inputs[k]}`);
  for (const n of plan.notes) lines.push(`note: ${n}`);
  return lines;
}
