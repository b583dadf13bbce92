// Attributes of the container process that it inherits from the init across
// execve: scheduling policy, I/O priority, NUMA memory policy, personality.
// The init sets each on itself while it still has its privileges (before the
// user switch and the capability drop). What the kernel would refuse whatever
// the host is refused here, with the field that asked; what depends on the
// host (rights, NUMA nodes, real-time bandwidth) is the executor's error.
import type { Action } from '../schemas/generated/plan.js';
import { PlancError } from '../schemas/error.js';
import type { PlanContext } from './context.js';
import { add, warn } from './context.js';
import { u64 } from './config.js';
import { MPOL_FLAG_TABLE, SCHED_FLAG_TABLE } from '../schemas/tables.js';

type Of<O extends Action['op']> = Extract<Action, { op: O }>;

// Flags are listed in bit order, the tables' (schemas/tables.ts), which the executor's numbers come from.
const SCHED_FLAGS: Of<'sched.setattr'>['flags'] = SCHED_FLAG_TABLE.map((f) => f.name);

// sched_setattr(2), kernel/sched/deadline.c __checkparam_dl: the smallest runtime is 2^DL_SCALE ns,
// and no time may have its top bit set.
const DL_MIN_RUNTIME = 1024n;
const DL_MAX = 2n ** 63n;

export function planScheduler(ctx: PlanContext): void {
  const s = ctx.config.process?.scheduler;
  if (!s) return;
  const at = (f: string) => `/process/scheduler/${f}`;
  if (s.policy === 'SCHED_ISO') {
    // Listed by runtime-spec, but only the -ck patch set ever had it: sched_setattr answers EINVAL.
    throw new PlancError('unsupported', 'SCHED_ISO is not a Linux scheduling policy (it never left the -ck patches): the kernel refuses it', { where: at('policy') });
  }
  const rt = s.policy === 'SCHED_FIFO' || s.policy === 'SCHED_RR';
  const priority = s.priority ?? 0;
  if (rt && (priority < 1 || priority > 99)) throw new PlancError('invalid-config', `${s.policy} takes a priority from 1 to 99, got ${priority}`, { where: at('priority') });
  if (!rt && priority !== 0) throw new PlancError('invalid-config', `priority is for SCHED_FIFO and SCHED_RR; ${s.policy} takes 0, got ${priority}`, { where: at('priority') });
  const [runtime, deadline, period] = (['runtime', 'deadline', 'period'] as const).map((f) => BigInt(s[f] ?? 0));
  if (s.policy === 'SCHED_DEADLINE') {
    if (deadline === 0n) throw new PlancError('invalid-config', 'SCHED_DEADLINE needs a deadline (nanoseconds, not 0)', { where: at('deadline') });
    if (runtime! < DL_MIN_RUNTIME) throw new PlancError('invalid-config', `SCHED_DEADLINE runtime ${runtime} ns is below the kernel's smallest, ${DL_MIN_RUNTIME} ns`, { where: at('runtime') });
    if (deadline! >= DL_MAX || period! >= DL_MAX) throw new PlancError('invalid-config', `SCHED_DEADLINE times must be below 2^63 ns`, { where: at(deadline! >= DL_MAX ? 'deadline' : 'period') });
    if (runtime! > deadline!) throw new PlancError('invalid-config', `SCHED_DEADLINE needs runtime <= deadline, got ${runtime} > ${deadline}`, { where: at('runtime') });
    if (period !== 0n && period! < deadline!) throw new PlancError('invalid-config', `SCHED_DEADLINE needs deadline <= period, got ${deadline} > ${period}`, { where: at('period') });
  }
  const flags = SCHED_FLAGS.filter((f) => (s.flags ?? []).includes(f));
  add(ctx, {
    stage: 'init', op: 'sched.setattr', why: '/process/scheduler', policy: s.policy, nice: s.nice ?? 0, priority, flags,
    runtime: u64(runtime), deadline: u64(deadline), period: u64(period),
  });
}

export function planIoPriority(ctx: PlanContext): void {
  const io = ctx.config.process?.ioPriority;
  if (io) add(ctx, { stage: 'init', op: 'ioprio.set', why: '/process/ioPriority', class: io.class, priority: io.priority });
}

// The largest node number a kernel can have (CONFIG_NODES_SHIFT is at most 10).
const MAX_NODE = 1023;
// The largest CPU number runc accepts in a CPU list (NR_CPUS is at most 8192).
const MAX_CPU = 8191;

/** "0-3,7" → [0, 1, 2, 3, 7]; an empty string is no numbers. */
export function parseList(list: string, max: number, what: string, where: string): number[] {
  const out = new Set<number>();
  if (list === '') return [];
  for (const part of list.split(',')) {
    const m = /^([0-9]+)(?:-([0-9]+))?$/.exec(part);
    if (!m) throw new PlancError('invalid-config', `${JSON.stringify(list)} is not a list of ${what}s such as 0-3,7`, { where });
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) throw new PlancError('invalid-config', `the range ${part} runs backwards`, { where });
    if (hi > max) throw new PlancError('invalid-config', `${what} ${hi} is out of range: at most ${max}`, { where });
    for (let n = lo; n <= hi; n++) out.add(n);
  }
  return [...out].sort((a, b) => a - b);
}

const MPOL_FLAGS: Of<'mempolicy.set'>['flags'] = MPOL_FLAG_TABLE.map((f) => f.name);

export function planMemoryPolicy(ctx: PlanContext): void {
  const mp = ctx.config.linux?.memoryPolicy;
  if (!mp) return;
  const at = (f: string) => `/linux/memoryPolicy/${f}`;
  const nodes = parseList(mp.nodes ?? '', MAX_NODE, 'node', at('nodes'));
  const flags = MPOL_FLAGS.filter((f) => (mp.flags ?? []).includes(f));
  // set_mempolicy(2) and mm/mempolicy.c (mpol_new, sanitize_mpol_flags): what every kernel refuses.
  if ((mp.mode === 'MPOL_DEFAULT' || mp.mode === 'MPOL_LOCAL') && nodes.length > 0) {
    throw new PlancError('invalid-config', `${mp.mode} takes no nodes, got ${JSON.stringify(mp.nodes)}`, { where: at('nodes') });
  }
  if (['MPOL_BIND', 'MPOL_INTERLEAVE', 'MPOL_WEIGHTED_INTERLEAVE', 'MPOL_PREFERRED_MANY'].includes(mp.mode) && nodes.length === 0) {
    throw new PlancError('invalid-config', `${mp.mode} needs at least one node`, { where: at('nodes') });
  }
  if (flags.includes('MPOL_F_STATIC_NODES') && flags.includes('MPOL_F_RELATIVE_NODES')) {
    throw new PlancError('invalid-config', 'MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other', { where: at('flags') });
  }
  const nodeFlag = flags.find((f) => f !== 'MPOL_F_NUMA_BALANCING');
  if (nodeFlag && nodes.length === 0) throw new PlancError('invalid-config', `${nodeFlag} says how to read a node mask, and ${mp.mode} has none`, { where: at('flags') });
  if (flags.includes('MPOL_F_NUMA_BALANCING') && mp.mode !== 'MPOL_BIND' && mp.mode !== 'MPOL_PREFERRED_MANY') {
    throw new PlancError('invalid-config', `MPOL_F_NUMA_BALANCING goes with MPOL_BIND or MPOL_PREFERRED_MANY, not ${mp.mode}`, { where: at('flags') });
  }
  add(ctx, { stage: 'init', op: 'mempolicy.set', why: '/linux/memoryPolicy', mode: mp.mode, nodes, flags });
}

export function planPersonality(ctx: PlanContext): void {
  const p = ctx.config.linux?.personality;
  if (!p) return;
  // runtime-spec: "Currently no flag values are supported." Applying none of what was asked would run
  // another personality than the config says, so a flag is refused rather than ignored.
  if (p.flags?.length) {
    throw new PlancError('invalid-config', `personality flag ${JSON.stringify(p.flags[0])}: runtime-spec defines no personality flags`, { where: '/linux/personality/flags/0' });
  }
  add(ctx, { stage: 'init', op: 'personality.set', why: '/linux/personality', domain: p.domain });
}

/**
 * runtime-spec: execCPUAffinity "is not applicable to the container's init process"; it is the
 * affinity of processes a runtime later starts in the container (runc and crun apply it in
 * `exec` only). planc has no exec verb, so the lists are checked and the plan says it does nothing.
 */
export function checkExecCpuAffinity(ctx: PlanContext): void {
  const aff = ctx.config.process?.execCPUAffinity;
  if (!aff) return;
  for (const f of ['initial', 'final'] as const) {
    if (aff[f] !== undefined) parseList(aff[f]!, MAX_CPU, 'CPU', `/process/execCPUAffinity/${f}`);
  }
  if (aff.initial || aff.final) {
    warn(ctx, 'exec-cpu-affinity', '/process/execCPUAffinity', 'execCPUAffinity applies to processes added to the container later, not to its init (runtime-spec); planc has no exec, so it changes nothing here');
  }
}
