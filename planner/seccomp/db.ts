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
//    (libseccomp: EEXIST, and runc refuses the container); a shorter rule subsumes a longer
//    one with the same action.
//
// Left out: libseccomp's pruning pass (_db_tree_prune), which removes sub-trees made
// redundant by a later rule with the same action. It only removes paths whose verdict the
// new rule gives anyway; the differential tests against libseccomp check that.

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
  prev: Node | null;
  next: Node | null;
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
  return { arg, hi, op, orig, mask, datum: (datum & mask) >>> 0, full, t: null, f: null, tAct: null, fAct: null, prev: null, next: null };
}

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
        cur[0]!.f = cur[1]!;
        cur[1]!.t = cur[2]!;
        break;
      }
      default: {
        // EQ, NE (same comparisons, opposite outcome) and MASKED_EQ: both words equal.
        const op: KernelOp = c.op === 'SCMP_CMP_MASKED_EQ' ? 'meq' : 'eq';
        cur = [node(c.arg, true, op, c.op, mh, hi32(c.datum), c.datum), node(c.arg, false, op, c.op, ml, lo32(c.datum), c.datum)];
        cur[0]!.t = cur[1]!;
      }
    }
    if (prevOp === null) head = cur[0]!;
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
      prev[0]!.t = next;
      prev[2]!.t = next;
      break;
    case 'SCMP_CMP_LE':
    case 'SCMP_CMP_LT':
      prev[1]!.f = next;
      prev[2]!.f = next;
      break;
    case 'SCMP_CMP_NE':
      prev[0]!.f = next;
      prev[1]!.f = next;
      break;
    default:
      prev[1]!.t = next;
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
    if (prev === null) head = n;
    else if (onTrue) prev.t = n;
    else prev.f = n;
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

/** Merge chain `n` into the level that `get()` points into. */
function merge(get: () => Node, set: (n: Node) => void, n: Node): void {
  let x = get();
  const seen = new Set<Node>();
  for (;;) {
    if (seen.has(x)) throw new Loop();
    seen.add(x);
    if (same(x, n)) {
      if (n.tAct !== null) {
        if (x.tAct === null) {
          if (!allActions(x.t, n.tAct)) throw new Conflict();
          x.t = null;
          x.tAct = n.tAct;
        } else if (n.tAct !== x.tAct) {
          // libseccomp keeps the action of the larger 64-bit value on a shared high-word node.
          if (n.hi && n.full > x.full) x.tAct = n.tAct;
          if (isLeaf(x) || isLeaf(n)) throw new Conflict();
        }
      }
      if (n.fAct !== null) {
        if (x.fAct === null) {
          if (!allActions(x.f, n.fAct)) throw new Conflict();
          x.f = null;
          x.fAct = n.fAct;
        } else if (n.fAct !== x.fAct) {
          // Sic: libseccomp 2.5 updates the true-branch action here.
          if (n.hi && n.full < x.full) x.tAct = n.tAct;
          if (isLeaf(x) || isLeaf(n)) throw new Conflict();
        }
      }
      const xx = x;
      if (n.t) {
        if (xx.t) merge(() => xx.t!, (v) => (xx.t = v), n.t);
        else if (xx.tAct === null) xx.t = n.t;
        else return; // the existing rule is shorter: it already decides
      }
      if (n.f) {
        if (xx.f) merge(() => xx.f!, (v) => (xx.f = v), n.f);
        else if (xx.fAct === null) xx.f = n.f;
        else return;
      }
      return;
    }
    if (!less(x, n)) {
      if (x.next === null) {
        x.next = n;
        n.prev = x;
        return;
      }
      x = x.next;
    } else {
      n.prev = x.prev;
      n.next = x;
      if (x.prev) x.prev.next = n;
      x.prev = n;
      if (get() === x) set(n);
      return;
    }
  }
}

/** The rules of one architecture (libseccomp: one struct db_filter). */
export class ArchDb {
  readonly entries = new Map<number, SyscallEntry>();
  constructor(readonly bits: 32 | 64) {}

  /**
   * Add a rule. `conds` holds at most one condition per argument, in argument order.
   * Throws a conflict error (libseccomp's EEXIST) when it contradicts an earlier rule.
   */
  add(nr: number, action: number, conds: readonly Cond[]): void {
    const chains = this.bits === 64 ? chain64(conds, action) : chain32(conds, action);
    const e = this.entries.get(nr);
    if (!e) {
      this.entries.set(nr, { nr, chains, action });
      return;
    }
    if (e.chains === null) return; // an unconditional rule is already there: it wins
    if (chains === null) {
      e.chains = null;
      e.action = action;
      return;
    }
    const ee = e;
    merge(() => ee.chains!, (v) => (ee.chains = v), chains);
    checkAcyclic(ee.chains);
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
