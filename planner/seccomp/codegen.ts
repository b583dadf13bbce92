// Classic BPF code generation: the decision per architecture and syscall number, as a
// sock_filter program for seccomp(2).
//
// The program is laid out backwards (from its last instruction to its first): every jump
// goes forward, so when a jump is emitted its target is already placed and the distance is
// known. A conditional jump reaches at most 255 instructions; a farther target gets a
// trampoline right after the jump (a copy of the RET when the target is a RET, else a JA).
//
// Shape:
//   ld arch; jeq AUDIT_ARCH_A → section A; jeq AUDIT_ARCH_B → section B; …; ret <bad arch>
//   section: ld nr; binary search over the ranges of syscall numbers (jge), each range
//            ending in a RET or in the argument tree of its syscall.
//   argument tree: ld args[i] word; [and mask]; jeq/jgt/jge datum, per libseccomp's tree.

import type { Node } from './db.js';
import { levelHead, levelNodes } from './db.js';

export interface SockFilter {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

// linux/bpf_common.h, linux/filter.h
export const BPF_LD_W_ABS = 0x20; // BPF_LD | BPF_W | BPF_ABS
export const BPF_ALU_AND_K = 0x54; // BPF_ALU | BPF_AND | BPF_K
export const BPF_JMP_JA = 0x05; // BPF_JMP | BPF_JA
export const BPF_JMP_JEQ_K = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
export const BPF_JMP_JGT_K = 0x25;
export const BPF_JMP_JGE_K = 0x35;
export const BPF_RET_K = 0x06; // BPF_RET | BPF_K
/** BPF_MAXINSNS: the kernel refuses longer programs. */
export const BPF_MAXINSNS = 4096;

// struct seccomp_data { int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]; }
export const OFFSET_NR = 0;
export const OFFSET_ARCH = 4;
/** Offset of one 32-bit word of args[i]; every supported ABI is little-endian (low word first). */
export const argOffset = (arg: number, hi: boolean) => 16 + 8 * arg + (hi ? 4 : 0);

/** Where a jump lands: `label` counts the instructions from that point to the end of the program. */
export interface Target {
  label: number;
  /** Set when the target is a single `ret ret`: a far jump to it becomes a nearby copy. */
  ret?: number;
}

const MAX_JUMP = 255;

export class Assembler {
  private readonly rev: SockFilter[] = [];
  /** The latest copy of each RET, to reuse while it is within reach. */
  private readonly rets = new Map<number, number>();

  get length(): number {
    return this.rev.length;
  }

  private push(code: number, jt: number, jf: number, k: number): Target {
    this.rev.push({ code, jt, jf, k: k >>> 0 });
    return { label: this.rev.length };
  }

  /** Jump distance from the next instruction to `t`. */
  private dist(t: Target): number {
    return this.rev.length - t.label;
  }

  ret(value: number): Target {
    const at = this.rets.get(value);
    if (at !== undefined && this.rev.length - at <= MAX_JUMP) return { label: at, ret: value };
    const t = this.push(BPF_RET_K, 0, 0, value);
    this.rets.set(value, t.label);
    return { label: t.label, ret: value };
  }

  /** A nearby way to reach a far target. */
  private near(t: Target): Target {
    if (t.ret !== undefined) {
      const c = this.push(BPF_RET_K, 0, 0, t.ret);
      this.rets.set(t.ret, c.label);
      return { label: c.label, ret: t.ret };
    }
    return this.push(BPF_JMP_JA, 0, 0, this.dist(t));
  }

  /** `t`, made the instruction right after whatever is emitted next. */
  private adjacent(t: Target): Target {
    if (t.label === this.rev.length) return t;
    return t.ret !== undefined ? this.push(BPF_RET_K, 0, 0, t.ret) : this.push(BPF_JMP_JA, 0, 0, this.dist(t));
  }

  /** A conditional jump on the accumulator; needs no instruction when both branches meet. */
  cond(code: number, k: number, t: Target, f: Target): Target {
    if (t.label === f.label) return t;
    for (;;) {
      if (this.dist(t) > MAX_JUMP) t = this.near(t);
      else if (this.dist(f) > MAX_JUMP) f = this.near(f);
      else break;
    }
    return this.push(code, this.dist(t), this.dist(f), k);
  }

  /** An instruction that falls through to `next` (a load or an ALU operation). */
  then(code: number, k: number, next: Target): Target {
    this.adjacent(next);
    return this.push(code, 0, 0, k);
  }

  /** The finished program, starting at `entry`. */
  finish(entry: Target): SockFilter[] {
    this.adjacent(entry);
    return this.rev.slice().reverse();
  }
}

/** The code of one syscall's argument tree, falling through to `fall` when no rule matches. */
export function emitTree(asm: Assembler, chains: Node, fall: Target): Target {
  const memo = new Map<Node, Map<number, Target>>();
  const level = (first: Node, out: Target): Target => {
    const head = levelHead(first);
    let byFall = memo.get(head);
    const known = byFall?.get(out.label);
    if (known) return known;
    const nodes = levelNodes(head);
    let cont = out;
    for (let i = nodes.length - 1; i >= 0; i--) {
      const n = nodes[i]!;
      const branch = (next: Node | null, act: number | null): Target => (next ? level(next, cont) : act !== null ? asm.ret(act) : cont);
      const f = branch(n.f, n.fAct);
      const t = branch(n.t, n.tAct);
      const code = n.op === 'gt' ? BPF_JMP_JGT_K : n.op === 'ge' ? BPF_JMP_JGE_K : BPF_JMP_JEQ_K;
      const cmp = asm.cond(code, n.datum, t, f);
      if (cmp.label === t.label && t.label === f.label) {
        cont = cmp; // both outcomes meet: nothing to compare
        continue;
      }
      const masked = n.mask === 0xffffffff ? cmp : asm.then(BPF_ALU_AND_K, n.mask, cmp);
      cont = asm.then(BPF_LD_W_ABS, argOffset(n.arg, n.hi), masked);
    }
    if (!byFall) memo.set(head, (byFall = new Map()));
    byFall.set(out.label, cont);
    return cont;
  };
  return level(chains, fall);
}

/** A piecewise-constant outcome over the 32-bit syscall numbers: [first, last, key] ranges, sorted, covering 0..2^32-1. */
export type Segments<K> = Array<[number, number, K]>;

/** Binary search over `segs` with jge on the number in the accumulator; `leaf` emits the code of an outcome. */
export function emitDispatch<K>(asm: Assembler, segs: Segments<K>, leaf: (key: K) => Target): Target {
  const go = (i: number, j: number): Target => {
    if (i === j) return leaf(segs[i]![2]);
    const mid = (i + j + 1) >> 1;
    const upper = go(mid, j);
    const lower = go(i, mid - 1);
    return asm.cond(BPF_JMP_JGE_K, segs[mid]![0], upper, lower);
  };
  return go(0, segs.length - 1);
}
