// The rule database: how a list of seccomp rules for one architecture becomes, per syscall,
// either one action or a decision tree over the arguments.
//
// runc and crun hand the rules to libseccomp one by one, and what the container gets is what
// libseccomp makes of them: which rule wins when several name the same syscall is decided
// here, not by the order of the config alone. So this module follows libseccomp 2.5's rule
// database (db.c) in behaviour, written from its documented and observed semantics:
//
//  - A rule without argument conditions on a syscall that already has one is ignored: the
//    first unconditional rule wins.
//  - An unconditional rule replaces whatever conditional rules the syscall had.
//  - Conditional rules are merged into one tree per syscall. Each condition becomes 1-3
//    32-bit comparisons (64-bit ABIs compare the high word, then the low word; 32-bit ABIs
//    only the low word). Nodes at one level are kept sorted (higher argument index first,
//    then EQ/NE/MASKED_EQ before LT/LE before GT/GE, then by value); equal nodes are shared,
//    so rules with a common prefix share it.
//  - Evaluation tries the nodes of a level in order; a branch with neither an action nor a
//    deeper level falls through to the next node of the level, and the end of a level falls
//    through to the node after the parent; the end of the top level is the default action.
//  - Two rules that end in the same comparison with different actions are a conflict
//    (libseccomp: EEXIST, and runc refuses the container).
//  - Before merging, libseccomp prunes: a new rule that an existing shorter one with the same
//    action already covers is dropped, and existing longer ones a new shorter rule covers are
//    removed. This decides which later rules conflict, so it is followed step for step,
//    including its quirks: the match ignores on which branch (true/false) the existing action
//    sits, so a rule can be dropped that is not redundant (e.g. `a1 > 0 && a0 > 5 -> TRAP`
//    after `a1 <= 0 -> TRAP` on a 32-bit ABI). planc keeps libseccomp's result there: the
//    same filter as runc and crun, not a better one.
//  - Nodes are reference-counted as in libseccomp: whether a removal frees nodes steers the
//    pruning, and a node shared by two branches (the next condition after LT/LE/GT/GE) can be
//    linked into a second level by a later merge, which can leave a level list with a cycle;
//    libseccomp then loops forever, planc refuses the profile (see Loop).

import { PlancError } from '../../schemas/error.js';

export type CmpOp =
  | 'SCMP_CMP_NE'
  | 'SCMP_CMP_LT'
  | 'SCMP_CMP_LE'
  | 'SCMP_CMP_EQ'
  | 'SCMP_CMP_GE'
  | 'SCMP_CMP_GT'
  | 'SCMP_CMP_MASKED_EQ';

/** An argument condition as libseccomp stores it: the mask is all ones except for MASKED_EQ. */
export interface Cond {
  arg: number;
  op: CmpOp;
  mask: bigint;
  datum: bigint;
}

/**
 * One comparison the filter makes: `(seccomp_data.args[arg] word & mask) <op> datum`.
 * 'meq' is 'eq' after a mask; kept apart because libseccomp never shares an EQ node with a
 * MASKED_EQ one.
 */
export type KernelOp = 'eq' | 'meq' | 'gt' | 'ge';

export interface Node {
  arg: number;
  /** The high 32 bits of the argument (64-bit ABIs), else the low ones. */
  hi: boolean;
  op: KernelOp;
  /** The rule's operator: orders the nodes of a level. */
  orig: CmpOp;
  mask: number;
  datum: number;
  /** The rule's whole 64-bit value (libseccomp consults it when GT/GE rules collide). */
  full: bigint;
  /** Next level when the comparison holds / fails (any node of that level). */
  t: Node | null;
  f: Node | null;
  /** Action when the comparison holds / fails; null: none (continue). */
  tAct: number | null;
  fAct: number | null;
  /** libseccomp keeps an action value even while its flag is unset (see merge's quirks). */
  tRaw: number;
  fRaw: number;
  prev: Node | null;
  next: Node | null;
  /** Pointers to this node (branches, level neighbours, a syscall's root). */
  ref: number;
}

export interface SyscallEntry {
  nr: number;
  /** Null: `action` applies whatever the arguments. */
  chains: Node | null;
  action: number;
}

const MASK32 = 0xffffffffn;
const lo32 = (v: bigint) => Number(v & MASK32);
const hi32 = (v: bigint) => Number((v >> 32n) & MASK32);

function node(arg: number, hi: boolean, op: KernelOp, orig: CmpOp, mask: number, datum: number, full: bigint): Node {
  return { arg, hi, op, orig, mask, datum: (datum & mask) >>> 0, full, t: null, f: null, tAct: null, fAct: null, tRaw: 0, fRaw: 0, prev: null, next: null, ref: 0 };
}

/** Take a reference (libseccomp's _db_node_get). */
function hold<T extends Node | null>(n: T): T {
  if (n) n.ref++;
  return n;
}

/** A pointer to a node held somewhere (a branch, a syscall's root, a local), to update in place. */
interface Slot {
  get(): Node | null;
  set(n: Node | null): void;
}
const local = (n: Node | null): Slot & { n: Node | null } => ({ n, get() { return this.n; }, set(v) { this.n = v; } });
const branch = (x: Node, side: 't' | 'f'): Slot => ({ get: () => x[side], set: (v) => (x[side] = v) });

/** A chain (one node per level) for a rule on a 64-bit ABI; null when every condition is a tautology. */
function chain64(conds: readonly Cond[], action: number): Node | null {
  let head: Node | null = null;
  let prev: Node[] = [];
  let prevOp: CmpOp | null = null;
  for (const c of conds) {
    // MASKED_EQ with an empty mask is always true: no comparison at all.
    if (c.op === 'SCMP_CMP_MASKED_EQ' && c.mask === 0n) continue;
    const mh = hi32(c.mask);
    const ml = lo32(c.mask);
    let cur: Node[];
    switch (c.op) {
      case 'SCMP_CMP_GT':
      case 'SCMP_CMP_GE':
      case 'SCMP_CMP_LE':
      case 'SCMP_CMP_LT': {
        // hi > H: decided; hi == H: the low word decides (> for GT/LE, >= for GE/LT).
        const lowOp: KernelOp = c.op === 'SCMP_CMP_GT' || c.op === 'SCMP_CMP_LE' ? 'gt' : 'ge';
        cur = [
          node(c.arg, true, 'gt', c.op, mh, hi32(c.datum), c.datum),
          node(c.arg, true, 'eq', c.op, mh, hi32(c.datum), c.datum),
          node(c.arg, false, lowOp, c.op, ml, lo32(c.datum), c.datum),
        ];
        cur[0]!.f = hold(cur[1]!);
        cur[1]!.t = hold(cur[2]!);
        break;
      }
      default: {
        // EQ, NE (same comparisons, opposite outcome) and MASKED_EQ: both words equal.
        const op: KernelOp = c.op === 'SCMP_CMP_MASKED_EQ' ? 'meq' : 'eq';
        cur = [node(c.arg, true, op, c.op, mh, hi32(c.datum), c.datum), node(c.arg, false, op, c.op, ml, lo32(c.datum), c.datum)];
        cur[0]!.t = hold(cur[1]!);
      }
    }
    if (prevOp === null) head = hold(cur[0]!);
    else link(prev, prevOp, cur[0]!);
    prev = cur;
    prevOp = c.op;
  }
  if (prevOp === null) return null;
  // Where the last condition "accepts", the rule's action applies.
  switch (prevOp) {
    case 'SCMP_CMP_GT':
    case 'SCMP_CMP_GE':
      prev[0]!.tAct = action;
      prev[2]!.tAct = action;
      break;
    case 'SCMP_CMP_LE':
    case 'SCMP_CMP_LT':
      prev[1]!.fAct = action;
      prev[2]!.fAct = action;
      break;
    case 'SCMP_CMP_NE':
      prev[0]!.fAct = action;
      prev[1]!.fAct = action;
      break;
    default:
      prev[1]!.tAct = action;
  }
  return head;
}

/** Hang the next condition's first node where the previous condition accepts. */
function link(prev: Node[], op: CmpOp, next: Node): void {
  switch (op) {
    case 'SCMP_CMP_GT':
    case 'SCMP_CMP_GE':
      prev[0]!.t = hold(next);
      prev[2]!.t = hold(next);
      break;
    case 'SCMP_CMP_LE':
    case 'SCMP_CMP_LT':
      prev[1]!.f = hold(next);
      prev[2]!.f = hold(next);
      break;
    case 'SCMP_CMP_NE':
      prev[0]!.f = hold(next);
      prev[1]!.f = hold(next);
      break;
    default:
      prev[1]!.t = hold(next);
  }
}

/** A chain for a rule on a 32-bit ABI: only the low word of each argument is compared. */
function chain32(conds: readonly Cond[], action: number): Node | null {
  let head: Node | null = null;
  let prev: Node | null = null;
  let onTrue = true;
  for (const c of conds) {
    const mask = lo32(c.mask);
    if (c.op === 'SCMP_CMP_MASKED_EQ' && mask === 0) continue;
    // NE, LT, LE are EQ, GE, GT with the outcome on the false branch.
    let op: KernelOp;
    let t: boolean;
    switch (c.op) {
      case 'SCMP_CMP_NE':
        [op, t] = ['eq', false];
        break;
      case 'SCMP_CMP_LT':
        [op, t] = ['ge', false];
        break;
      case 'SCMP_CMP_LE':
        [op, t] = ['gt', false];
        break;
      case 'SCMP_CMP_GE':
        [op, t] = ['ge', true];
        break;
      case 'SCMP_CMP_GT':
        [op, t] = ['gt', true];
        break;
      case 'SCMP_CMP_MASKED_EQ':
        [op, t] = ['meq', true];
        break;
      default:
        [op, t] = ['eq', true];
    }
    const n = node(c.arg, false, op, c.op, mask, lo32(c.datum), c.datum);
    if (prev === null) head = hold(n);
    else if (onTrue) prev.t = hold(n);
    else prev.f = hold(n);
    prev = n;
    onTrue = t;
  }
  if (prev === null) return null;
  if (onTrue) prev.tAct = action;
  else prev.fAct = action;
  return head;
}

const argPriority = (n: Node) => (n.arg << 1) + (n.hi ? 1 : 0);
function opPriority(op: CmpOp): number {
  switch (op) {
    case 'SCMP_CMP_MASKED_EQ':
    case 'SCMP_CMP_EQ':
    case 'SCMP_CMP_NE':
      return 3;
    case 'SCMP_CMP_LE':
    case 'SCMP_CMP_LT':
      return 2;
    default:
      return 1;
  }
}

function same(a: Node, b: Node): boolean {
  return argPriority(a) === argPriority(b) && a.op === b.op && a.datum === b.datum && a.mask === b.mask;
}

/** libseccomp's level order: a level lists nodes from "greatest" to "least" by this relation. */
function less(a: Node, b: Node): boolean {
  const ap = argPriority(a);
  const bp = argPriority(b);
  if (ap !== bp) return ap < bp;
  const ao = opPriority(a.orig);
  const bo = opPriority(b.orig);
  if (ao !== bo) return ao < bo;
  if (a.orig === 'SCMP_CMP_LE' || a.orig === 'SCMP_CMP_LT') return a.datum > b.datum;
  return a.datum < b.datum;
}

/**
 * Thrown when merging leaves a level list or the tree with a cycle. libseccomp links a rule's
 * node into a second level when two branches of the rule share it (LT/LE/GT/GE conditions
 * followed by another), and its list walks then never end: libseccomp 2.5 hangs on such
 * profiles, so runc and crun never start the container. planc refuses them instead.
 */
class Loop extends Error {}

export function levelHead(n: Node): Node {
  const seen = new Set<Node>();
  while (n.prev) {
    if (seen.has(n)) throw new Loop();
    seen.add(n);
    n = n.prev;
  }
  return n;
}

/** The nodes of the level of `n`, in order. */
export function levelNodes(n: Node): Node[] {
  const out: Node[] = [];
  const seen = new Set<Node>();
  for (let x: Node | null = levelHead(n); x; x = x.next) {
    if (seen.has(x)) throw new Loop();
    seen.add(x);
    out.push(x);
  }
  return out;
}

/** Throws Loop unless every level is a list and no branch leads back to a level above. */
function checkAcyclic(chains: Node | null): void {
  const done = new Set<Node>();
  const onPath = new Set<Node>();
  const visit = (n: Node) => {
    const head = levelHead(n);
    if (done.has(head)) return;
    if (onPath.has(head)) throw new Loop();
    onPath.add(head);
    for (const x of levelNodes(head)) {
      if (x.t) visit(x.t);
      if (x.f) visit(x.f);
    }
    onPath.delete(head);
    done.add(head);
  };
  if (chains) visit(chains);
}

const isLeaf = (n: Node) => n.t === null && n.f === null;
/** The action value libseccomp stores, flagged or not. */
const rawT = (n: Node) => n.tAct ?? n.tRaw;
const rawF = (n: Node) => n.fAct ?? n.fRaw;
/** libseccomp's `x->act_t = value` without touching the flag. */
function setRawT(x: Node, v: number): void {
  if (x.tAct !== null) x.tAct = v;
  else x.tRaw = v;
}

/** Every action reachable in the level of `n` (and below) equals `action`. */
function allActions(n: Node | null, action: number, onPath = new Set<Node>()): boolean {
  if (n === null) return true;
  const head = levelHead(n);
  if (onPath.has(head)) throw new Loop();
  onPath.add(head);
  for (const x of levelNodes(head)) {
    if (x.tAct !== null && x.tAct !== action) return false;
    if (x.fAct !== null && x.fAct !== action) return false;
    if (!allActions(x.t, action, onPath) || !allActions(x.f, action, onPath)) return false;
  }
  onPath.delete(head);
  return true;
}

class Conflict extends Error {}

// --- reference counting (libseccomp's _db_node_put, _db_tree_put, _db_level_clean) ---------
// Freeing only matters for the counts: libseccomp's pruning reads them to decide what to do.

/** Drop the reference `slot` holds; returns how many nodes that frees. */
function release(slot: Slot): number {
  const n = slot.get();
  if (!n) return 0;
  if (--n.ref > 0) return 0;
  let freed = 0;
  // Unlink from the level (the neighbours' references to each other are re-taken).
  const lp = local(n.prev);
  const ln = local(n.next);
  if (lp.n) lp.n.next = null;
  if (ln.n) ln.n.prev = null;
  if (lp.n) freed += release(lp);
  if (ln.n) freed += release(ln);
  if (lp.n) lp.n.next = hold(ln.n);
  if (ln.n) ln.n.prev = hold(lp.n);
  slot.set(lp.n ?? ln.n ?? null);
  freed += releaseTree(local(n.t));
  freed += releaseTree(local(n.f));
  return freed + 1;
}

/** Drop a reference to a tree, and its top level when nothing else points into it. */
function releaseTree(slot: Slot): number {
  let freed = release(slot);
  const n = slot.get();
  if (n) freed += cleanLevel(n);
  return freed;
}

function cleanLevel(n: Node): number {
  const start = levelHead(n);
  for (const x of levelNodes(start)) {
    const links = (x.prev ? 1 : 0) + (x.next ? 1 : 0);
    if (x.ref > links) return 0;
  }
  let freed = 0;
  const cur = local(start);
  const seen = new Set<Node>();
  while (cur.n) {
    if (seen.has(cur.n)) throw new Loop();
    seen.add(cur.n);
    freed += release(cur);
  }
  return freed;
}

const isZombie = (n: Node) => isLeaf(n) && n.tAct === null && n.fAct === null;

/**
 * Remove `target` (and the action-less leaves met on the way) from the tree `slot` points
 * into; returns the nodes freed (libseccomp's _db_tree_remove).
 */
function removeNode(slot: Slot, target: Node): number {
  const top = slot.get();
  if (!top) return 0;
  let freed = 0;
  const seen = new Set<Node>();
  let c: Node | null = levelHead(top);
  while (c) {
    if (seen.has(c)) throw new Loop();
    seen.add(c);
    if (c !== target) {
      freed += removeNode(branch(c, 't'), target);
      freed += removeNode(branch(c, 'f'), target);
    }
    if (c === target || isZombie(c)) {
      if (c === slot.get()) slot.set(c.prev ?? c.next);
      if (c.prev) c.prev.next = c.next;
      if (c.next) c.next.prev = c.prev;
      c.prev = null;
      c.next = null;
      return freed + release(local(c));
    }
    if (freed !== 0) break;
    c = c.next;
  }
  return freed;
}

// --- pruning (libseccomp's _db_tree_prune) ----------------------------------------------------

const MATCH = 0x1;
const MATCH_ONCE = 0x2;
const X_FINISHED = 0x10;
const N_FINISHED = 0x20;
const X_PREFIX = 0x100;
const N_PREFIX = 0x200;
const MATCHSET = MATCH | MATCH_ONCE;
const REDUNDANT = MATCH | X_FINISHED | N_PREFIX;

interface PruneState {
  flags: number;
  action: number;
  entry: SyscallEntry;
}

/**
 * Walk the existing tree (`slot`) along the new chain `n`: remove existing sub-trees the new,
 * shorter rule covers with the same action, or flag the new rule redundant (REDUNDANT in
 * state.flags). Returns the nodes freed.
 */
function prune(slot: Slot, n: Node | null, state: PruneState): number {
  let freed = 0;
  const mine: PruneState = { ...state };
  const finish = (): number => {
    if (mine.flags & MATCH) state.flags |= mine.flags;
    else state.flags &= ~MATCH;
    return freed;
  };
  const top = slot.get();
  if (n === null || top === null) return finish();
  if ((state.flags & MATCHSET) === MATCH_ONCE) return finish();
  let x: Node | null = levelHead(top);
  const seen = new Set<Node>();
  // Descend into one branch of x with a reference held; null when x was freed meanwhile.
  const into = (xx: Node, side: 't' | 'f', nn: Node | null, flags: number, sub: PruneState): Node | null => {
    hold(xx);
    const at = local(xx);
    freed += prune(branch(xx, side), nn, sub);
    freed += release(at);
    return at.n;
  };
  while (x) {
    if (seen.has(x)) throw new Loop();
    seen.add(x);
    const after: Node | null = x.next;
    if (same(x, n)) {
      mine.flags |= MATCHSET;
      if (isLeaf(n)) mine.flags |= N_FINISHED;
      if (isLeaf(x)) mine.flags |= X_FINISHED;
      // Keep the existing node when it decides more than the new one does.
      if ((x.tAct !== null || x.t) && !(n.tAct !== null || n.t)) return finish();
      if ((x.fAct !== null || x.f) && !(n.fAct !== null || n.f)) return finish();
      if (mine.flags & N_FINISHED && mine.flags & X_FINISHED) {
        if ((n.tAct === null) !== (x.tAct === null) || rawT(n) !== rawT(x)) return finish();
        if ((n.fAct === null) !== (x.fAct === null) || rawF(n) !== rawF(x)) return finish();
      }
      let cur: Node | null = x;
      if (n.t) {
        const sub: PruneState = { ...state, flags: state.flags | MATCHSET };
        cur = into(cur, 't', n.t, 0, sub);
        if (sub.flags & MATCH) mine.flags |= sub.flags;
        if (!cur) {
          x = after;
          continue;
        }
      }
      if (n.f) {
        const sub: PruneState = { ...state, flags: state.flags | MATCHSET };
        cur = into(cur, 'f', n.f, 0, sub);
        if (sub.flags & MATCH) mine.flags |= sub.flags;
        if (!cur) {
          x = after;
          continue;
        }
      }
      const sameActions = allActions(cur, mine.action);
      if (sameActions && mine.flags & MATCH && mine.flags & N_FINISHED && mine.flags & X_PREFIX) {
        // The new rule is shorter: the existing longer one goes.
        const root = branchOfEntry(state.entry);
        freed += removeNode(root, cur);
        if (state.entry.chains === null) return finish();
      } else if (sameActions && mine.flags & MATCH && mine.flags & X_FINISHED && mine.flags & N_PREFIX) {
        return finish(); // the new rule is longer: it is redundant
      }
    } else if (less(x, n)) {
      if (state.flags & N_PREFIX) return finish();
      // Look for n deeper in the existing tree.
      for (const side of ['t', 'f'] as const) {
        if (!x[side]) continue;
        const sub: PruneState = { ...state, flags: (state.flags & ~MATCH) | X_PREFIX };
        const cur = into(x, side, n, 0, sub);
        if (sub.flags & MATCH) {
          mine.flags |= sub.flags;
          return finish();
        }
        if (!cur) break;
        x = cur;
      }
    } else {
      if (state.flags & X_PREFIX) return finish();
      // Look for x deeper in the new chain.
      for (const side of ['t', 'f'] as const) {
        if (!n[side]) continue;
        const sub: PruneState = { ...state, flags: (state.flags & ~MATCH) | N_PREFIX };
        hold(x);
        const at = local(x);
        freed += prune(at, n[side], sub);
        freed += release(at);
        if (sub.flags & MATCH) {
          mine.flags |= sub.flags;
          return finish();
        }
        if (!at.n) break;
        x = at.n;
      }
    }
    x = after;
  }
  mine.flags &= ~MATCH; // fell through: no match on this level
  return finish();
}

const branchOfEntry = (e: SyscallEntry): Slot => ({ get: () => e.chains, set: (v) => (e.chains = v) });

// --- merging (libseccomp's _db_tree_add) ------------------------------------------------------

/** Merge chain `n` into the level `slot` points into. */
function merge(slot: Slot, n: Node): void {
  let x = slot.get()!;
  const seen = new Set<Node>();
  for (;;) {
    if (seen.has(x)) throw new Loop();
    seen.add(x);
    if (same(x, n)) {
      if (n.tAct !== null) {
        if (x.tAct === null) {
          if (!allActions(x.t, n.tAct)) throw new Conflict();
          release(branch(x, 't'));
          x.t = null;
          x.tAct = n.tAct;
        } else if (n.tAct !== x.tAct) {
          // libseccomp keeps the action of the larger 64-bit value on a shared high-word node.
          if (n.hi && n.full > x.full) setRawT(x, rawT(n));
          if (isLeaf(x) || isLeaf(n)) throw new Conflict();
        }
      }
      if (n.fAct !== null) {
        if (x.fAct === null) {
          if (!allActions(x.f, n.fAct)) throw new Conflict();
          release(branch(x, 'f'));
          x.f = null;
          x.fAct = n.fAct;
        } else if (n.fAct !== x.fAct) {
          // Sic: libseccomp 2.5 updates the true-branch action here.
          if (n.hi && n.full < x.full) setRawT(x, rawT(n));
          if (isLeaf(x) || isLeaf(n)) throw new Conflict();
        }
      }
      if (n.t) {
        if (x.t) merge(branch(x, 't'), n.t);
        else if (x.tAct === null) x.t = hold(n.t);
        else return; // the existing rule is shorter: it already decides
      }
      if (n.f) {
        if (x.f) merge(branch(x, 'f'), n.f);
        else if (x.fAct === null) x.f = hold(n.f);
        else return;
      }
      return;
    }
    if (!less(x, n)) {
      if (x.next === null) {
        n.prev = hold(x);
        x.next = hold(n);
        return;
      }
      x = x.next;
    } else {
      if (x.prev) {
        x.prev.next = hold(n);
        n.prev = x.prev;
        x.prev = hold(n);
        n.next = x;
      } else {
        x.prev = hold(n);
        n.next = hold(x);
      }
      if (slot.get() === x) {
        slot.set(hold(n));
        release(local(x));
      }
      return;
    }
  }
}

/** The rules of one architecture (libseccomp: one struct db_filter). */
export class ArchDb {
  readonly entries = new Map<number, SyscallEntry>();
  constructor(readonly bits: 32 | 64) {}

  /**
   * Add a rule (libseccomp's db_rule_add). `conds` holds at most one condition per argument,
   * in argument order. Throws Conflict (libseccomp's EEXIST) or Loop.
   */
  add(nr: number, action: number, conds: readonly Cond[]): void {
    const chains = this.bits === 64 ? chain64(conds, action) : chain32(conds, action);
    const e = this.entries.get(nr);
    if (!e) {
      this.entries.set(nr, { nr, chains, action });
      return;
    }
    const fresh = local(chains);
    let pruned = false;
    for (;;) {
      if (e.chains === null) {
        // Unconditional already: it wins, unless pruning just emptied the tree.
        if (pruned) {
          e.chains = fresh.n;
          e.action = action;
        } else releaseTree(fresh);
        return;
      }
      if (fresh.n === null) {
        releaseTree(branchOfEntry(e));
        e.chains = null;
        e.action = action;
        return;
      }
      const state: PruneState = { flags: 0, action, entry: e };
      const freed = prune(branchOfEntry(e), fresh.n, state);
      if (freed > 0) {
        pruned = true;
        if (e.chains === null) continue;
      } else if ((state.flags & REDUNDANT) === REDUNDANT) {
        releaseTree(fresh);
        return;
      }
      merge(branchOfEntry(e), fresh.n);
      releaseTree(fresh);
      checkAcyclic(e.chains);
      return;
    }
  }
}

export function isConflict(e: unknown): boolean {
  return e instanceof Conflict;
}

export function isLoop(e: unknown): boolean {
  return e instanceof Loop;
}

/** Thrown when the rules for a syscall make libseccomp's rule merging loop. */
export function loopError(name: string, where: string): PlancError {
  return new PlancError(
    'invalid-config',
    `rules for syscall ${name} cannot be merged: libseccomp's merge of their argument conditions loops (libseccomp 2.5 hangs on them, so runc and crun never start the container)`,
    { where },
  );
}

/** Thrown when a rule conflicts: the same conditions with another action. */
export function conflictError(name: string, where: string): PlancError {
  return new PlancError(
    'invalid-config',
    `rules for syscall ${name} conflict: the same argument conditions with different actions (libseccomp, hence runc and crun, refuse it)`,
    { where },
  );
}
