// Compiles runtime-spec `linux.seccomp` into a classic BPF program for seccomp(2), in pure
// TypeScript (no libseccomp, no I/O): the same filter runc or crun would load, computed at plan
// time so that it can be shown, diffed and digested before anything runs.
//
// API
//   compileSeccomp(seccomp, { native, enosys?, where? }) -> SeccompResult
//     seccomp  the config's linux.seccomp object; integers may be number or bigint (planner/json.ts
//              keeps uint64 values exact as bigint).
//     native   the architecture the plan is for ('x86_64' | 'aarch64'). Its ABI is always in the
//              filter, listed or not (libseccomp adds the native arch to every filter).
//     enosys   runc's -ENOSYS stub (default true): with a non-permissive default action, a syscall
//              numbered above the highest one the profile names (per ABI) fails with ENOSYS rather
//              than the default action, so programs fall back from syscalls newer than the profile.
//     where    JSON pointer of the object in config.json, for errors and warnings.
//   Returns (all plain numbers, strings and arrays: canonical-encoding and digest friendly):
//     program   sock_filter[]: {code, jt, jf, k}, at most 4096 instructions
//     flags     SECCOMP_FILTER_FLAG_* bits for seccomp(SECCOMP_SET_MODE_FILTER, flags, prog)
//     listener  true when a rule uses SCMP_ACT_NOTIFY: the flags include NEW_LISTENER, and the fd
//               seccomp(2) returns goes to listenerPath with the container state
//     warnings  [{where, message}]: unknown syscall names (skipped, as runc does), architectures
//               without a table here, flags without effect
//     stats     what the filter does, for explain/diff/lint: see SeccompStats
//   Throws PlancError for what runc, libseccomp or the spec refuse: unknown actions, operators or
//   flags, errnoRet on an action without data, conflicting rules, NOTIFY as the default action or
//   on write(2), NOTIFY without listenerPath, listenerMetadata without listenerPath.
//
// Semantics (checked against libseccomp 2.5.4 + runc by test/unit/seccomp-differential.test.ts):
//   - the filter is libseccomp's for the rules runc adds: one rule per syscall name in config
//     order; a rule whose action equals the default action is skipped; a rule whose args name the
//     same argument twice becomes one rule per arg (OR), otherwise all args must match (AND);
//     rule precedence, merging, pruning and conflicts follow libseccomp's rule database (db.ts),
//     i.e. what libseccomp's own PFC export says the filter does. Where libseccomp 2.5's BPF
//     generator contradicts its PFC (it can drop the syscall-number load, or skip an accumulator
//     reload), planc does what the PFC says; the differential test counts those inputs apart.
//   - names resolve per ABI with libseccomp's tables (syscalls.generated.ts); on x86 the socket
//     and SysV ipc calls match both the direct syscall and socketcall(2)/ipc(2) with argument 0 ==
//     the sub-call, as libseccomp does.
//   - 32-bit ABIs (x86, x32, arm) compare the low 32 bits of arguments only (libseccomp's rule).
//   - any architecture not in the filter gets libseccomp's bad-arch action, SCMP_ACT_KILL
//     (KILL_THREAD): runc does not change it. On x86_64 without x32, x32 syscall numbers are a
//     bad arch too (number -1, which tracers use to skip a syscall, gets the default action).
//     Architectures runtime-spec lists but this compiler has no table for (mips, ppc, s390, …)
//     are left out with a warning: an x86_64 or arm64 kernel never reports them.
//   - flags: LOG, SPEC_ALLOW, WAIT_KILLABLE_RECV as given; none given (the field absent) means
//     SPEC_ALLOW, as runc sets it; TSYNC is accepted without effect (runc ignores it too: the
//     init is single-threaded when it loads the filter); NEW_LISTENER when NOTIFY is used.
//     WAIT_KILLABLE_RECV needs Linux 5.19; the executor's seccomp(2) call reports EINVAL before.
//   - rule sets libseccomp refuses (EEXIST: the same conditions with different actions) or loops
//     on (it never returns, so runc hangs) are refused with a PlancError.

import { PlancError } from '../../schemas/error.js';
import {
  ACTION_NAMES, actionValue, describeAction, isActionName, takesData, ENOSYS, SECCOMP_RET_ALLOW, SECCOMP_RET_KILL_THREAD,
  SECCOMP_RET_LOG, SECCOMP_RET_TRACE, type ActionName,
} from './actions.js';
import {
  ARCHES, ARCH_BY_NAME, ARCH_BY_SCMP, OTHER_SCMP_ARCHES, X32_SYSCALL_BIT, knownSyscall, multiplexed, pseudoNumber, syscallsOf,
  syscallNumber, type ArchInfo, type ArchName,
} from './arch.js';
import { Assembler, BPF_JMP_JEQ_K, BPF_LD_W_ABS, BPF_MAXINSNS, OFFSET_ARCH, OFFSET_NR, emitDispatch, emitTree, type Segments, type SockFilter, type Target } from './codegen.js';
import { ArchDb, conflictError, isConflict, isLoop, levelNodes, loopError, type CmpOp, type Cond, type Node, type SyscallEntry } from './db.js';
import { LIBSECCOMP_VERSION, MULTIPLEXED } from './syscalls.generated.js';

export type { SockFilter } from './codegen.js';
export type { ActionName } from './actions.js';
export { describeAction } from './actions.js';
export { LIBSECCOMP_VERSION };

type Num = number | bigint;

/** linux.seccomp as config.json has it (integers as number, or bigint beyond 2^53). */
export interface SeccompInput {
  defaultAction: string;
  defaultErrnoRet?: Num;
  architectures?: string[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: Array<{
    names: string[];
    action: string;
    errnoRet?: Num;
    args?: Array<{ index: Num; value: Num; valueTwo?: Num; op: string }>;
  }>;
}

export interface SeccompOptions {
  native: 'x86_64' | 'aarch64';
  enosys?: boolean;
  where?: string;
}

/** A filter outcome: the SCMP_ACT_* name, its datum (ERRNO, TRACE) and the filter's return value. */
export interface Verdict {
  action: Exclude<ActionName, 'SCMP_ACT_KILL'>;
  data?: number;
  ret: number;
  /** "ERRNO(EPERM)", "ALLOW", … */
  text: string;
}

export interface SeccompStats {
  native: string;
  /** ABIs in the filter, in the order the filter checks them. */
  architectures: string[];
  defaultAction: Verdict;
  /** What a syscall of an ABI not in the filter gets. */
  badArchAction: Verdict;
  /** Every syscall of the native ABI (libseccomp's table) that always gets the same verdict, grouped by verdict. */
  byAction: Array<Verdict & { count: number; syscalls: string[] }>;
  /** Native syscalls whose verdict depends on their arguments, with the verdicts they can get. */
  conditional: Array<{ syscall: string; verdicts: Verdict[] }>;
  /** Names libseccomp does not know: skipped. */
  unknownSyscalls: string[];
  /** runc's -ENOSYS stub: per ABI, the highest syscall number the profile names (above it: ENOSYS). Empty when not applied. */
  enosysAbove: Record<string, number>;
  flags: string[];
  instructions: number;
  libseccomp: string;
}

export interface SeccompResult {
  program: SockFilter[];
  flags: number;
  listener: boolean;
  warnings: Array<{ where: string; message: string }>;
  stats: SeccompStats;
}

// linux/seccomp.h
export const SECCOMP_FILTER_FLAG_TSYNC = 1;
export const SECCOMP_FILTER_FLAG_LOG = 2;
export const SECCOMP_FILTER_FLAG_SPEC_ALLOW = 4;
export const SECCOMP_FILTER_FLAG_NEW_LISTENER = 8;
export const SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV = 32;

const FLAG_BITS: Readonly<Record<string, number>> = {
  SECCOMP_FILTER_FLAG_TSYNC: 0, // accepted, no effect (see above)
  SECCOMP_FILTER_FLAG_LOG: SECCOMP_FILTER_FLAG_LOG,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: SECCOMP_FILTER_FLAG_SPEC_ALLOW,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
};

/** What the compiler accepts, for `planc features` (features.md linux.seccomp): read from its own tables. */
export function seccompFeatures(): { actions: string[]; operators: string[]; archs: string[]; knownFlags: string[]; supportedFlags: string[] } {
  return {
    actions: [...ACTION_NAMES],
    operators: [...CMP_OPS],
    archs: ARCHES.map((a) => a.scmp),
    knownFlags: Object.keys(FLAG_BITS),
    // TSYNC is accepted without effect (the init is single-threaded): not "supported" in the sense of doing something.
    supportedFlags: Object.keys(FLAG_BITS).filter((f) => FLAG_BITS[f] !== 0),
  };
}

const CMP_OPS: ReadonlySet<string> = new Set(['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ']);
const U64_MAX = 0xffffffffffffffffn;
/** MAX_ERRNO of include/linux/err.h: the kernel caps a filter's errno there. */
const MAX_ERRNO = 4095;

const ACTION_OF_RET: ReadonlyArray<[number, Verdict['action']]> = [
  [0x80000000, 'SCMP_ACT_KILL_PROCESS'],
  [0x00000000, 'SCMP_ACT_KILL_THREAD'],
  [0x00030000, 'SCMP_ACT_TRAP'],
  [0x00050000, 'SCMP_ACT_ERRNO'],
  [0x7fc00000, 'SCMP_ACT_NOTIFY'],
  [0x7ff00000, 'SCMP_ACT_TRACE'],
  [0x7ffc0000, 'SCMP_ACT_LOG'],
  [0x7fff0000, 'SCMP_ACT_ALLOW'],
];

export function verdictOf(ret: number): Verdict {
  const base = (ret & 0xffff0000) >>> 0;
  const action = ACTION_OF_RET.find(([v]) => v === base)?.[1] ?? 'SCMP_ACT_KILL_THREAD';
  const v: Verdict = { action, ret: ret >>> 0, text: describeAction(ret) };
  if (action === 'SCMP_ACT_ERRNO' || action === 'SCMP_ACT_TRACE') v.data = ret & 0xffff;
  return v;
}

interface Rule {
  name: string;
  action: number;
  conds: Cond[];
  where: string;
}

export function compileSeccomp(input: SeccompInput, opts: SeccompOptions): SeccompResult {
  const where = opts.where ?? '/linux/seccomp';
  const warnings: SeccompResult['warnings'] = [];
  const fail = (at: string, message: string): never => {
    throw new PlancError('invalid-config', message, { where: at });
  };
  const native = ARCH_BY_NAME.get(opts.native);
  if (!native || (opts.native !== 'x86_64' && opts.native !== 'aarch64')) {
    throw new PlancError('unsupported', `seccomp: no support for native architecture ${String(opts.native)}`, { where });
  }
  if (input === null || typeof input !== 'object') fail(where, 'seccomp must be an object');

  // --- actions -------------------------------------------------------------------------------
  const errnoOf = (v: unknown, at: string, action: ActionName): number | undefined => {
    if (v === undefined) return undefined;
    if (!takesData(action)) fail(at, `errnoRet is only for SCMP_ACT_ERRNO and SCMP_ACT_TRACE, not ${action} (runtime-spec: the runtime must fail)`);
    const n = integer(v, at, 0n, 0xffffffffn, fail);
    if (n > 0xffff) warnings.push({ where: at, message: `errnoRet ${n} does not fit the filter's 16-bit datum: the filter returns ${Number(n & 0xffffn)} (as runc)` });
    else if (n > MAX_ERRNO && action === 'SCMP_ACT_ERRNO') warnings.push({ where: at, message: `errnoRet ${n} is above MAX_ERRNO: the kernel returns ${MAX_ERRNO}` });
    return Number(n & 0xffffn);
  };
  const actionAt = (v: unknown, at: string): ActionName => {
    if (!isActionName(v)) return fail(at, `unknown seccomp action ${JSON.stringify(v)}`);
    return v;
  };
  const defaultName = actionAt(input.defaultAction, `${where}/defaultAction`);
  if (defaultName === 'SCMP_ACT_NOTIFY') {
    fail(`${where}/defaultAction`, 'SCMP_ACT_NOTIFY cannot be the default action: the runtime could not finish starting the container (runc refuses it too)');
  }
  const defaultRet = actionValue(defaultName, errnoOf(input.defaultErrnoRet, `${where}/defaultErrnoRet`, defaultName));
  const badArchRet = SECCOMP_RET_KILL_THREAD; // libseccomp's default SCMP_FLTATR_ACT_BADARCH; runc keeps it

  // --- architectures -------------------------------------------------------------------------
  const arches: ArchInfo[] = [native];
  const archList = input.architectures ?? [];
  if (!Array.isArray(archList)) fail(`${where}/architectures`, 'architectures must be an array');
  archList.forEach((a, i) => {
    const at = `${where}/architectures/${i}`;
    const info = ARCH_BY_SCMP.get(a);
    if (info) {
      if (!arches.includes(info)) arches.push(info);
    } else if (OTHER_SCMP_ARCHES.has(a)) {
      warnings.push({ where: at, message: `${a}: no syscall table for it here; left out of the filter (a ${opts.native} kernel never runs that ABI)` });
    } else fail(at, `unknown seccomp architecture ${JSON.stringify(a)}`);
  });

  // --- flags ---------------------------------------------------------------------------------
  let flags = 0;
  const flagNames: string[] = [];
  if (input.flags === undefined) {
    flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
    flagNames.push('SECCOMP_FILTER_FLAG_SPEC_ALLOW');
  } else {
    if (!Array.isArray(input.flags)) fail(`${where}/flags`, 'flags must be an array');
    input.flags.forEach((f, i) => {
      const bit = FLAG_BITS[f];
      if (bit === undefined || !Object.prototype.hasOwnProperty.call(FLAG_BITS, f)) fail(`${where}/flags/${i}`, `unknown seccomp flag ${JSON.stringify(f)}`);
      if (bit === 0) warnings.push({ where: `${where}/flags/${i}`, message: `${f} has no effect: the container's init is single-threaded when it loads the filter (runc ignores it too)` });
      else if (!(flags & bit!)) {
        flags |= bit!;
        flagNames.push(f);
      }
    });
  }

  // --- rules, as runc hands them to libseccomp -----------------------------------------------
  const rules: Rule[] = [];
  const unknown = new Set<string>();
  let listener = false;
  const calls = input.syscalls ?? [];
  if (!Array.isArray(calls)) fail(`${where}/syscalls`, 'syscalls must be an array');
  calls.forEach((call, i) => {
    const at = `${where}/syscalls/${i}`;
    if (call === null || typeof call !== 'object') fail(at, 'a syscalls entry must be an object');
    const actName = actionAt(call.action, `${at}/action`);
    const ret = actionValue(actName, errnoOf(call.errnoRet, `${at}/errnoRet`, actName));
    if (!Array.isArray(call.names) || call.names.length === 0) fail(`${at}/names`, 'names must list at least one syscall');
    const args = call.args ?? [];
    if (!Array.isArray(args)) fail(`${at}/args`, 'args must be an array');
    const conds = args.map((a, j) => condition(a, `${at}/args/${j}`, fail));
    if (actName === 'SCMP_ACT_NOTIFY') {
      listener = true;
      const w = call.names.indexOf('write');
      if (w >= 0) fail(`${at}/names/${w}`, 'SCMP_ACT_NOTIFY cannot be used for write: the runtime needs write(2) after loading the filter (runc refuses it too)');
    }
    // runc: "If two or more arguments have the same condition, revert to old behavior, adding
    // each condition as a separate rule".
    const seen = new Set<number>();
    const repeated = conds.some((c) => (seen.has(c.arg) ? true : (seen.add(c.arg), false)));
    const groups = repeated ? conds.map((c) => [c]) : [conds.slice().sort((a, b) => a.arg - b.arg)];
    call.names.forEach((name, j) => {
      if (typeof name !== 'string' || name === '') fail(`${at}/names/${j}`, 'a syscall name must be a non-empty string');
      if (ret === defaultRet) return; // runc: the rule is redundant, libseccomp would refuse it
      if (!knownSyscall(name)) {
        if (!unknown.has(name)) warnings.push({ where: `${at}/names/${j}`, message: `unknown syscall ${name}: skipped (libseccomp ${LIBSECCOMP_VERSION} does not know it; runc skips it too)` });
        unknown.add(name);
        return;
      }
      for (const g of groups) rules.push({ name, action: ret, conds: g, where: `${at}/names/${j}` });
    });
  });
  if (listener) {
    flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    flagNames.push('SECCOMP_FILTER_FLAG_NEW_LISTENER');
    if (!input.listenerPath) fail(`${where}/listenerPath`, 'SCMP_ACT_NOTIFY needs listenerPath: the seccomp agent socket that receives the notify fd');
  }
  if (input.listenerMetadata !== undefined && !input.listenerPath) {
    fail(`${where}/listenerMetadata`, 'listenerMetadata must not be set without listenerPath (runtime-spec)');
  }
  if ((flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) && !listener) {
    fail(`${where}/flags`, 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV only applies with SCMP_ACT_NOTIFY rules; the kernel refuses it otherwise');
  }

  // --- one rule database per ABI -------------------------------------------------------------
  const dbs = new Map<ArchName, ArchDb>(arches.map((a) => [a.name, new ArchDb(a.bits)]));
  for (const r of rules) {
    for (const a of arches) {
      const db = dbs.get(a.name)!;
      try {
        const mux = multiplexed(a.name, r.name);
        if (mux) {
          // socketcall(SUBCALL, …) / ipc(SUBCALL, …): libseccomp replaces any condition on
          // argument 0 with the sub-call, and keeps the others (though they then test the
          // multiplexer's arguments).
          const conds = [{ arg: 0, op: 'SCMP_CMP_EQ' as CmpOp, mask: U64_MAX, datum: BigInt(mux.subcall) }, ...r.conds.filter((c) => c.arg !== 0)];
          db.add(mux.mux, r.action, conds);
          db.add(mux.direct >= 0 ? mux.direct : pseudoNumber(r.name), r.action, r.conds);
        } else {
          const nr = syscallNumber(a.name, r.name);
          // x86 (libseccomp's abi_rule_add) drops a rule for a syscall it lacks; the others
          // keep it under the pseudo-number.
          if (nr >= 0) db.add(nr, r.action, r.conds);
          else if (!MULTIPLEXED[a.name]) db.add(pseudoNumber(r.name), r.action, r.conds);
        }
      } catch (e) {
        if (isConflict(e)) throw conflictError(r.name, r.where);
        if (isLoop(e)) throw loopError(r.name, r.where);
        throw e;
      }
    }
  }

  // --- runc's -ENOSYS stub -------------------------------------------------------------------
  const enosysAbove: Record<string, number> = {};
  const permissiveDefault = [SECCOMP_RET_ALLOW, SECCOMP_RET_LOG, SECCOMP_RET_TRACE].includes((defaultRet & 0xffff0000) >>> 0);
  // runc means to skip the stub when defaultErrnoRet is ENOSYS, but compares defaultErrnoRet
  // with the whole action value SCMP_ACT_ERRNO(ENOSYS); what it does is what containers get.
  const runcSkips = input.defaultErrnoRet !== undefined && BigInt(input.defaultErrnoRet) === BigInt(actionValue('SCMP_ACT_ERRNO', ENOSYS));
  if ((opts.enosys ?? true) && !permissiveDefault && !runcSkips) {
    for (const a of arches) {
      let max = 0;
      for (const call of calls) for (const name of call.names) max = Math.max(max, stubNumber(a.name, name));
      if (max > 0) enosysAbove[a.name] = max;
    }
  }
  const enosysRet = actionValue('SCMP_ACT_ERRNO', ENOSYS);

  // --- code ----------------------------------------------------------------------------------
  const asm = new Assembler();
  const treeCode = new Map<string, Target>();
  const trees = new Map<string, Node>();
  type Key = string; // "r<ret>" or "t<tree>"
  const keyOf = (e: SyscallEntry): Key => {
    if (e.chains === null) return `r${e.action}`;
    const k = `t${treeKey(e.chains)}`;
    trees.set(k, e.chains);
    return k;
  };
  const leaf = (k: Key): Target => {
    if (k[0] === 'r') return asm.ret(Number(k.slice(1)));
    let t = treeCode.get(k);
    if (!t) treeCode.set(k, (t = emitTree(asm, trees.get(k)!, asm.ret(defaultRet))));
    return t;
  };

  // Sections per seccomp_data.arch value; x86_64 and x32 share one (told apart by the x32 bit).
  const sections: Array<{ audit: number; segs: Segments<Key> }> = [];
  const TOP = 0xffffffff;
  for (const a of arches) {
    if (a.name === 'x32' && arches.some((b) => b.name === 'x86_64')) continue; // folded into x86_64's
    const under: Array<[number, number, Key]> = [];
    const points = new Map<number, Key>();
    const stub: Array<[number, number]> = [];
    const addDb = (name: ArchName) => {
      for (const e of dbs.get(name)!.entries.values()) if (e.nr >= 0) points.set(e.nr, keyOf(e));
    };
    if (a.name === 'x86_64' || a.name === 'x32') {
      const has64 = arches.some((b) => b.name === 'x86_64');
      const has32 = arches.some((b) => b.name === 'x32');
      if (has64) addDb('x86_64');
      if (has32) addDb('x32');
      // libseccomp: an x86_64-only filter treats x32 numbers as a foreign ABI, except -1; an
      // x32-only one treats the x86_64 numbers so.
      if (has64 && !has32) under.push([X32_SYSCALL_BIT, TOP - 1, `r${badArchRet}`]);
      if (has32 && !has64) under.push([0, X32_SYSCALL_BIT - 1, `r${badArchRet}`]);
      // runc's stub splits on the x32 bit: nr & 0x40000000 picks which maximum applies.
      const m64 = enosysAbove.x86_64;
      const m32 = enosysAbove.x32;
      if (has64 && m64 !== undefined) stub.push([m64 + 1, 0x3fffffff], [0x80000000, 0xbfffffff]);
      if (has32 && m32 !== undefined) stub.push([m32 + 1, 0x7fffffff], [0xc0000000, TOP]);
    } else {
      addDb(a.name);
      const m = enosysAbove[a.name];
      if (m !== undefined) stub.push([m + 1, TOP]);
    }
    const over = stub.filter(([lo, hi]) => lo <= hi).map(([lo, hi]): [number, number, Key] => [lo, hi, `r${enosysRet}`]);
    sections.push({ audit: a.audit, segs: segments(`r${defaultRet}`, under, points, over) });
  }

  // Emit backwards: the bad-arch RET, then the sections from the last to the first, then the
  // arch checks from the last to the first.
  const badArch = asm.ret(badArchRet);
  const entries: Target[] = [];
  for (let i = sections.length - 1; i >= 0; i--) {
    const s = sections[i]!;
    const body = emitDispatch(asm, s.segs, leaf);
    entries[i] = s.segs.length === 1 ? body : asm.then(BPF_LD_W_ABS, OFFSET_NR, body);
  }
  let next = badArch;
  for (let i = sections.length - 1; i >= 0; i--) next = asm.cond(BPF_JMP_JEQ_K, sections[i]!.audit, entries[i]!, next);
  const program = asm.finish(asm.then(BPF_LD_W_ABS, OFFSET_ARCH, next));
  if (program.length > BPF_MAXINSNS) {
    throw new PlancError('unsupported', `the seccomp filter needs ${program.length} instructions, more than the kernel's ${BPF_MAXINSNS}`, { where });
  }

  // --- stats ---------------------------------------------------------------------------------
  const nativeSegs = sections.find((s) => s.audit === native.audit)!.segs;
  const groups = new Map<number, string[]>();
  const conditional: SeccompStats['conditional'] = [];
  let seg = 0;
  for (const [nr, name] of syscallsOf(native.name)) {
    while (nativeSegs[seg]![1] < nr) seg++; // both ascending
    const k = nativeSegs[seg]![2];
    if (k[0] === 'r') {
      const r = Number(k.slice(1));
      const g = groups.get(r);
      if (g) g.push(name);
      else groups.set(r, [name]);
    } else {
      conditional.push({ syscall: name, verdicts: [...treeActions(trees.get(k)!, defaultRet)].sort((x, y) => x - y).map(verdictOf) });
    }
  }
  const byAction = [...groups.entries()]
    .sort((x, y) => y[1].length - x[1].length || x[0] - y[0])
    .map(([r, names]) => ({ ...verdictOf(r), count: names.length, syscalls: names.sort() }));
  conditional.sort((x, y) => (x.syscall < y.syscall ? -1 : 1));

  return {
    program,
    flags,
    listener,
    warnings,
    stats: {
      native: native.name,
      architectures: arches.map((a) => a.name),
      defaultAction: verdictOf(defaultRet),
      badArchAction: verdictOf(badArchRet),
      byAction,
      conditional,
      unknownSyscalls: [...unknown].sort(),
      enosysAbove,
      flags: flagNames,
      instructions: program.length,
      libseccomp: LIBSECCOMP_VERSION,
    },
  };
}

/** The number runc's stub takes for a name: libseccomp's resolution without the socketcall rewrite. */
function stubNumber(arch: ArchName, name: string): number {
  if (multiplexed(arch, name)) return -1; // a pseudo-number there: never the maximum
  return syscallNumber(arch, name);
}

function integer(v: unknown, at: string, min: bigint, max: bigint, fail: (at: string, m: string) => never): bigint {
  let b: bigint;
  if (typeof v === 'bigint') b = v;
  else if (typeof v === 'number' && Number.isSafeInteger(v)) b = BigInt(v);
  else return fail(at, `expected an integer, got ${typeof v === 'number' ? v : JSON.stringify(v)}`);
  if (b < min || b > max) fail(at, `${b} is out of range (${min}..${max})`);
  return b;
}

function condition(a: unknown, at: string, fail: (at: string, m: string) => never): Cond {
  if (a === null || typeof a !== 'object') return fail(at, 'an args entry must be an object');
  const o = a as { index?: unknown; value?: unknown; valueTwo?: unknown; op?: unknown };
  const arg = Number(integer(o.index, `${at}/index`, 0n, 5n, fail));
  const value = integer(o.value, `${at}/value`, 0n, U64_MAX, fail);
  const valueTwo = o.valueTwo === undefined ? 0n : integer(o.valueTwo, `${at}/valueTwo`, 0n, U64_MAX, fail);
  if (typeof o.op !== 'string' || !CMP_OPS.has(o.op)) return fail(`${at}/op`, `unknown seccomp operator ${JSON.stringify(o.op)}`);
  const op = o.op as CmpOp;
  // libseccomp: for MASKED_EQ the first operand is the mask and the second the value.
  return op === 'SCMP_CMP_MASKED_EQ' ? { arg, op, mask: value, datum: valueTwo } : { arg, op, mask: U64_MAX, datum: value };
}

/**
 * The outcome of every syscall number 0..2^32-1: `def`, under `under` ranges, under the
 * syscalls of the rule database (`points`), under `over` ranges (runc's stub runs before the
 * libseccomp filter, so it wins). Adjacent numbers with the same outcome share one range.
 */
function segments(def: string, under: Array<[number, number, string]>, points: Map<number, string>, over: Array<[number, number, string]>): Segments<string> {
  // Where the outcome may change; a typed array sorts numerically without a comparator.
  const cuts = new Float64Array(1 + 2 * points.size + 2 * under.length + 2 * over.length);
  let n = 1;
  for (const nr of points.keys()) {
    cuts[n++] = nr;
    cuts[n++] = nr + 1;
  }
  for (const [lo, hi] of under) (cuts[n++] = lo), (cuts[n++] = hi + 1);
  for (const [lo, hi] of over) (cuts[n++] = lo), (cuts[n++] = hi + 1);
  cuts.sort();
  const out: Segments<string> = [];
  for (let i = 0; i < cuts.length; i++) {
    const lo = cuts[i]!;
    if (lo > 0xffffffff || (i > 0 && lo === cuts[i - 1])) continue;
    let j = i + 1;
    while (j < cuts.length && cuts[j] === lo) j++;
    const hi = j < cuts.length ? Math.min(cuts[j]! - 1, 0xffffffff) : 0xffffffff;
    let k: string | undefined;
    for (const [a, b, key] of over) if (lo >= a && hi <= b) k = key;
    if (k === undefined && lo === hi) k = points.get(lo);
    if (k === undefined) for (const [a, b, key] of under) if (lo >= a && hi <= b) k = key;
    k ??= def;
    const last = out[out.length - 1];
    if (last && last[2] === k) last[1] = hi;
    else out.push([lo, hi, k]);
  }
  return out;
}

/** A canonical text of a tree, as the filter evaluates it (shared levels spelled out). */
function treeKey(chains: Node): string {
  const level = (n: Node): string => {
    const parts: string[] = [];
    for (const x of levelNodes(n)) {
      const br = (next: Node | null, act: number | null) => (next ? `(${level(next)})` : act !== null ? String(act) : '-');
      parts.push(`${x.arg}${x.hi ? 'h' : 'l'}${x.op}${x.mask}:${x.datum}?${br(x.t, x.tAct)}:${br(x.f, x.fAct)}`);
    }
    return parts.join(',');
  };
  return level(chains);
}

/** The return values a tree can produce (including the default, reached when nothing matches). */
function treeActions(chains: Node, def: number): Set<number> {
  const out = new Set<number>([def]);
  const seen = new Set<Node>();
  const walk = (n: Node) => {
    for (const x of levelNodes(n)) {
      if (seen.has(x)) continue;
      seen.add(x);
      if (x.tAct !== null) out.add(x.tAct);
      if (x.fAct !== null) out.add(x.fAct);
      if (x.t) walk(x.t);
      if (x.f) walk(x.f);
    }
  };
  walk(chains);
  return out;
}

export { ARCHES };
