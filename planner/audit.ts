// Checking an audit trail against the plan it claims to apply (docs/audit.md).
//
// The trail is a hash chain: every line carries "n", its line number, and
// "prev", the sha256 of the line before it — of the plan bytes, for the
// header. So the first line whose link does not hold is named: the plan
// swapped, a line edited, removed, reordered, the end cut off. Then the
// records are checked for what they say: every create action recorded in
// plan order with the same op and stage, the exec pending and then confirmed,
// each later small plan (kill, delete, …) written whole before its records,
// which follow it action for action; a closing record ends the trail, and
// may be signed. Pure, so a reviewer can check a trail anywhere the plan can
// be read; the signature itself is checked by the caller's crypto.
import type { Action, Plan } from '../schemas/generated/plan.js';
import type { TrailReport } from '../schemas/generated/audit.js';
import type { LifecyclePlan } from '../schemas/generated/lifecycle.js';
import validateLifecycle from '../schemas/generated/validate-lifecycle.js';
import { decodePlan } from './encode.js';
import { sha256Hex } from './sha256.js';
import { decodeUtf8 } from './json.js';

export type TrailVerdict = Omit<TrailReport, 'source' | 'seq' | 'live'>;

export interface VerifyOptions {
  /**
   * The container still exists with this trail, in this status: its trail is
   * open, and it must have got exactly as far as the status says (`created`:
   * up to the wait for start; `running`, `stopped`, `paused`: everything, the
   * exec confirmed; `creating`: a create in flight, order only).
   */
  live?: string;
  /** Checks the closing record's signature (the caller's Ed25519): given, an unsigned trail is a problem. */
  verify?: (line: Uint8Array, sig: { sig: string; alg: string; key: string }) => boolean;
  /**
   * An exec's trail has no closing record: the container's trail closes it, with the line
   * count and the last line's hash it had once the exec ran (its `exec` end line). Given,
   * the trail must end exactly there.
   */
  anchor?: { lines: number; head: string };
  /** The container's trail names each exec: its begin (plan digest) and end (anchor) lines, for the exec trails' checks. */
  onExec?: (e: { n: number; planDigest?: string; lines?: number; head?: string; started?: boolean }) => void;
}

type Rec = Record<string, unknown>;

// Actions the executor may find already done or not applicable (a masked path the rootfs lacks).
const MAY_SKIP = new Set<Action['op']>(['mask', 'readonly', 'symlink']);


/** The lines of a trail (without their newlines), and whether the last was cut before its newline. */
function splitLines(bytes: Uint8Array): { lines: Uint8Array[]; cut: boolean } {
  const lines: Uint8Array[] = [];
  let start = 0;
  for (let k = 0; k < bytes.length; k++) {
    if (bytes[k] !== 0x0a) continue;
    lines.push(bytes.subarray(start, k));
    start = k + 1;
  }
  const cut = start < bytes.length;
  if (cut) lines.push(bytes.subarray(start));
  return { lines, cut };
}

function parse(line: Uint8Array): Rec | null {
  try {
    const v = JSON.parse(decodeUtf8(line)) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : null;
  } catch {
    // not UTF-8, or not JSON: a garbled line
    return null;
  }
}

const isInt = (v: unknown): v is number => Number.isSafeInteger(v);

export function verifyTrail(planBytes: Uint8Array, trailBytes: Uint8Array, opts: VerifyOptions = {}): TrailVerdict {
  const problems: string[] = [];
  const planHash = sha256Hex(planBytes);
  const planDigest = `sha256:${planHash}`;
  let plan: Plan | null = null;
  try {
    plan = decodePlan(planBytes);
    if (!Array.isArray(plan?.actions)) throw new Error('no actions');
  } catch (e) {
    plan = null;
    problems.push(`the stored plan does not decode (${(e as Error).message}): the records cannot be checked against it`);
  }
  const { lines, cut } = splitLines(trailBytes);
  const hashes = lines.map((l) => sha256Hex(l));
  const recs = lines.map(parse);
  const verdict: TrailVerdict = {
    ok: false,
    planDigest,
    state: 'empty',
    lines: lines.length,
    applied: 0,
    skipped: 0,
    problems,
    lifecycle: [],
    signature: 'unsigned',
  };
  if (plan) verdict.containerId = plan.containerId;
  if (lines.length === 0) {
    problems.push('the trail is empty: the executor wrote not even its header');
    return verdict;
  }
  verdict.head = hashes.at(-1)!;

  // The closing record, and at most a signature after it.
  const final = recs.findIndex((r) => r?.final === true && r.n !== undefined);
  const sigLine = final >= 0 && final + 1 < lines.length ? recs[final + 1] : null;
  const isSig = (r: Rec | null | undefined): boolean => r != null && typeof r.sig === 'string' && r.n === undefined;

  // 1. The chain: the first link that does not hold.
  const breakAt = (line: number, kind: NonNullable<TrailVerdict['broken']>['kind'], message: string) => {
    if (!verdict.broken) verdict.broken = { line, kind, message };
  };
  const chainEnd = final >= 0 ? final + 1 : lines.length;
  for (let k = 0; k < chainEnd && !verdict.broken; k++) {
    const r = recs[k];
    if (!r) {
      if (k === lines.length - 1 && cut) breakAt(k, 'truncated', `line ${k} is cut short: the trail was truncated in the middle of a record`);
      else breakAt(k, 'garbled', `line ${k} is not a JSON record: it was edited or damaged`);
      break;
    }
    if (r.n !== k) {
      // Numbered ahead: lines were removed, unless the missing one turns up later (moved).
      if (isInt(r.n) && r.n > k && !recs.slice(k + 1).some((x) => x?.n === k)) breakAt(k, 'removed', `line ${k} is numbered ${r.n}: ${r.n - k === 1 ? `line ${k} was removed` : `lines ${k} to ${r.n - 1} were removed`}`);
      else breakAt(k, 'reordered', `line ${k} is numbered ${JSON.stringify(r.n)}: lines were moved or repeated`);
      break;
    }
    const want = k === 0 ? planHash : hashes[k - 1];
    if (r.prev !== want) {
      if (k === 0) breakAt(0, 'plan', `the plan is not the one the records were made from: the trail was made from sha256:${String(r.prev)}, the stored plan is ${planDigest}`);
      else breakAt(k - 1, 'edited', `line ${k - 1} was changed after it was written: line ${k} was chained to other contents`);
    }
  }
  if (!verdict.broken && final >= 0) {
    for (let k = final + 1; k < lines.length; k++) {
      if (k === final + 1 && isSig(recs[k])) continue;
      breakAt(k, 'after-close', `line ${k} comes after the closing record (line ${final})`);
      break;
    }
  }
  if (opts.anchor) {
    // An exec's trail ends where the container's trail says it ended.
    const a = opts.anchor;
    if (final >= 0) breakAt(final, 'after-close', `line ${final} is a closing record, which an exec's trail does not have`);
    else if (lines.length > a.lines) breakAt(a.lines, 'after-close', `line ${a.lines} comes after the end the container's trail recorded (${a.lines} lines)`);
    else if (lines.length < a.lines) breakAt(lines.length, 'truncated', `the trail ends at line ${lines.length - 1}, but the container's trail recorded ${a.lines} lines: its end was cut off`);
    else if (hashes.at(-1) !== a.head) breakAt(lines.length - 1, 'edited', `line ${lines.length - 1} was changed after it was written: the container's trail recorded another last line`);
    verdict.state = 'closed';
  } else if (final >= 0) verdict.state = 'closed';
  else if (opts.live) verdict.state = 'open';
  else {
    verdict.state = 'truncated';
    breakAt(lines.length, 'truncated', `the trail ends at line ${lines.length - 1} without its closing record: its end was cut off, or the container was never deleted`);
  }
  if (verdict.broken) problems.push(verdict.broken.message);

  // The signature over the closing record.
  if (sigLine && isSig(sigLine)) {
    const sig = sigLine as { sig: string; alg: string; key: string };
    verdict.signer = typeof sig.key === 'string' ? sig.key : undefined;
    if (!opts.verify) verdict.signature = 'unchecked';
    else {
      verdict.signature = sig.alg === 'ed25519' && opts.verify(lines[final]!, sig) ? 'valid' : 'invalid';
      if (verdict.signature === 'invalid') problems.push(`the signature of the closing record (line ${final}) does not verify with the given key`);
    }
  } else if (opts.verify) problems.push(final >= 0 ? 'the trail is not signed' : 'the trail has no closing record to carry a signature');

  // 2. What the records say.
  const header = recs[0];
  if (header && header.trail === 'planc-audit/1') {
    verdict.created = isInt(header.t) ? header.t : undefined;
    if (header.planDigest !== planDigest && verdict.broken?.kind !== 'plan') problems.push(`the header names plan ${String(header.planDigest)}, but the stored plan is ${planDigest}`);
    if (plan) {
      if (header.containerId !== plan.containerId) problems.push(`the header names container ${JSON.stringify(header.containerId)}, the plan ${JSON.stringify(plan.containerId)}`);
      if (header.actions !== plan.actions.length) problems.push(`the header counts ${String(header.actions)} actions, the plan has ${plan.actions.length}`);
    }
  } else if (!(header?.plan && typeof header.reason === 'string')) {
    // (An undo may come first: the executor could not write even its header, and said why.)
    problems.push('line 0 is not the executor\'s header: the trail does not start where a create starts');
  }

  const createSeen = new Map<number, string>(); // index → last result
  let lastCreate = -1;
  const lastOf = new Map<string, number>(); // the CLI's stages: the last index recorded
  let createFailed = false;
  const plans = new Map<number, { plan: LifecyclePlan; next: number; stopped: boolean; entry: TrailVerdict['lifecycle'][number] }>();
  const end = final >= 0 ? final : lines.length;
  for (let k = header?.trail === 'planc-audit/1' ? 1 : 0; k <= end && k < lines.length; k++) {
    const r = recs[k];
    if (!r) continue;
    const at = `line ${k}`;
    if (k === final) {
      if (!isInt(r.t)) problems.push(`${at}: the closing record has no time`);
      continue;
    }
    if (isInt(r.of)) {
      const p = plans.get(r.of);
      if (!p) {
        problems.push(`${at}: a record of line ${r.of}, which is no plan`);
        continue;
      }
      if (p.stopped) problems.push(`${at}: a record of the ${p.plan.kind} plan after its failed action`);
      const action = p.plan.actions[r.i as number];
      if (!isInt(r.i) || !action) {
        problems.push(`${at}: action ${String(r.i)} is not in the ${p.plan.kind} plan of line ${r.of}`);
        continue;
      }
      if (r.i !== p.next) problems.push(`${at}: action ${r.i} of the ${p.plan.kind} plan recorded where action ${p.next} was due`);
      if (r.op !== action.op) problems.push(`${at}: action ${r.i} of the ${p.plan.kind} plan is ${action.op}, the record says ${String(r.op)}`);
      if (!isInt(r.t)) problems.push(`${at}: no time`);
      p.next = Math.max(p.next, r.i + 1);
      if (r.r === 'ok' || r.r === 'skipped') p.entry.applied++;
      else if (r.r === 'error') p.stopped = true;
      else problems.push(`${at}: unknown result ${JSON.stringify(r.r)}`);
      continue;
    }
    if (r.plan !== undefined) {
      if (!validateLifecycle(r.plan)) {
        problems.push(`${at}: not a plan planc makes (${validateLifecycle.errors?.[0]?.instancePath || '/'} ${validateLifecycle.errors?.[0]?.message})`);
        continue;
      }
      if (plan && r.plan.containerId !== plan.containerId) problems.push(`${at}: a ${r.plan.kind} plan for container ${r.plan.containerId}`);
      const entry: TrailVerdict['lifecycle'][number] = { line: k, kind: r.plan.kind, actions: r.plan.actions.length, applied: 0 };
      if (isInt(r.t)) entry.t = r.t;
      if (r.by && typeof r.by === 'object') entry.by = r.by as TrailVerdict['lifecycle'][number]['by'];
      plans.set(k, { plan: r.plan, next: 0, stopped: false, entry });
      // An undo says why the create failed: the error record, or (a record that could not be written) only this.
      if (r.plan.kind === 'undo' && typeof r.reason === 'string') verdict.failed ??= r.reason;
      verdict.lifecycle.push(entry);
      continue;
    }
    if (r.exec !== null && typeof r.exec === 'object') {
      const e = r.exec as { n?: unknown; planDigest?: unknown; lines?: unknown; head?: unknown; started?: unknown };
      if (!isInt(e.n) || !(typeof e.planDigest === 'string' || (isInt(e.lines) && typeof e.head === 'string'))) problems.push(`${at}: not an exec record planc writes`);
      else opts.onExec?.({ n: e.n, ...(typeof e.planDigest === 'string' ? { planDigest: e.planDigest } : { lines: e.lines as number, head: e.head as string, started: e.started === true }) });
      continue;
    }
    if (r.event === 'exited') {
      verdict.outcome = isInt(r.code) ? { code: r.code } : { signal: String(r.signal) };
      continue;
    }
    if (!isInt(r.i)) {
      problems.push(`${at}: not a record planc writes`);
      continue;
    }
    // A record of the create plan.
    if (!plan) continue;
    const planned = plan.actions[r.i];
    if (!planned) {
      problems.push(`${at}: action ${r.i} (${String(r.op)}) is not in the plan`);
      continue;
    }
    if (planned.op !== r.op || planned.stage !== r.stage) {
      problems.push(`${at}: action ${r.i} is ${planned.stage} ${planned.op} in the plan, but the record says ${String(r.stage)} ${String(r.op)}`);
      continue;
    }
    // Setup (host … init), then what the CLI runs itself: after the exec (poststart hooks), after the teardown (poststop).
    const group = planned.stage === 'start' || planned.stage === 'delete' ? planned.stage : 'setup';
    // The executor stops at a failure: nothing of the plan's setup comes after one.
    if (group === 'setup' && createFailed) problems.push(`${at}: action ${r.i} recorded after a failed action`);
    const before = createSeen.get(r.i);
    const last = group === 'setup' ? lastCreate : (lastOf.get(group) ?? plan.actions.findIndex((a) => a.stage === group) - 1);
    if (before === 'pending' && planned.op === 'exec' && (r.r === 'ok' || r.r === 'error')) {
      // the exec's outcome, after its pending record
    } else if (before !== undefined) problems.push(`${at}: action ${r.i} recorded twice`);
    else if (r.i <= last) problems.push(`${at}: action ${r.i} out of order (after ${last})`);
    else if (r.i !== last + 1 && !(group === 'setup' && createFailed)) problems.push(`${at}: action ${r.i} recorded, but ${last + 1 === r.i - 1 ? `action ${last + 1} is` : `actions ${last + 1} to ${r.i - 1} are`} missing before it`);
    if (group === 'setup') lastCreate = Math.max(lastCreate, r.i);
    else lastOf.set(group, Math.max(last, r.i));
    createSeen.set(r.i, String(r.r));
    if (!isInt(r.t) || r.t <= 0) problems.push(`${at}: action ${r.i} has no time`);
    // cgroup.create and resctrl.create ok records: the directory's inode, and whether planc made it (executor/PROTOCOL.md).
    if (r.r === 'ok' && (planned.op === 'cgroup.create' || planned.op === 'resctrl.create')) {
      if (r.ino !== undefined && !(isInt(r.ino) && r.ino > 0)) problems.push(`${at}: action ${r.i} has a bad cgroup inode ${JSON.stringify(r.ino)}`);
      if (r.made !== undefined && typeof r.made !== 'boolean') problems.push(`${at}: action ${r.i} has a bad "made" ${JSON.stringify(r.made)}`);
    }
    if (r.r === 'ok') verdict.applied++;
    else if (r.r === 'pending') {
      if (planned.op !== 'exec') problems.push(`${at}: action ${r.i} (${planned.op}) recorded pending, which only an exec is`);
    } else if (r.r === 'skipped') {
      verdict.skipped++;
      if (!MAY_SKIP.has(planned.op)) problems.push(`${at}: action ${r.i} (${planned.op}) was skipped, which it may not be`);
    } else if (r.r === 'error') {
      // A poststop hook that fails is a warning (runtime.md): recorded, not a failure of the container.
      if (group === 'setup') createFailed = true;
      if (group !== 'delete') verdict.failed ??= `action ${r.i} (${planned.op}, from ${planned.why}) failed: ${typeof r.msg === 'string' ? r.msg : `errno ${String(r.errno)}`}`;
    } else problems.push(`${at}: unknown result ${JSON.stringify(r.r)}`);
  }

  // 3. How far the create got, against what became of the container.
  if (plan) {
    const wait = plan.actions.findIndex((a) => a.op === 'execfifo.wait');
    const exec = plan.actions.findIndex((a) => a.op === 'exec');
    const undone = verdict.lifecycle.some((l) => l.kind === 'undo');
    const execState = exec >= 0 ? createSeen.get(exec) : undefined;
    if (opts.live === 'created') {
      if (wait < 0) problems.push('the plan has no execfifo.wait: it cannot be waiting for start');
      else {
        if (lastCreate < wait - 1) problems.push(`the container waits for start, but the trail ends its create at action ${lastCreate} (of ${wait - 1} before the wait)`);
        if (lastCreate >= wait) problems.push(`action ${wait} (execfifo.wait) is recorded, but the container was not started`);
      }
    } else if (opts.live && opts.live !== 'creating') {
      if (execState !== 'ok') problems.push(execState === 'pending' ? `the exec (action ${exec}) is pending: its outcome was never recorded` : `the container was started, but its exec (action ${exec}) is ${execState === undefined ? 'missing from the trail' : 'recorded as failed'}`);
      // Started: the poststart hooks ran after the exec.
      plan.actions.forEach((a, i) => {
        if (execState === 'ok' && a.stage === 'start' && !createSeen.has(i)) problems.push(`action ${i} (${a.op}) is missing from the trail: the container was started`);
      });
    } else if (!opts.live && !createFailed && !undone && verdict.state === 'closed') {
      // Deleted: it was created (everything up to the wait for start), and if it was started, its exec confirmed.
      const needed = wait >= 0 ? wait - 1 : exec;
      if (lastCreate < needed) problems.push(plan.kind === 'exec' ? `the exec ended, but its plan is recorded only up to action ${lastCreate} of ${needed}` : `the container was deleted, but its create is recorded only up to action ${lastCreate} of ${needed}`);
      if (execState === 'pending') problems.push(`the exec (action ${exec}) is pending: its outcome was never recorded`);
    }
    if (createFailed && !undone && verdict.state === 'closed' && plan.kind !== 'exec') problems.push('the create failed, but the trail has no undo of it');
    // The poststop hooks run once the container is gone: not while it lives; after a delete (or the end of a run), every one.
    const ended = verdict.lifecycle.some((l) => l.kind === 'delete' || l.kind === 'exit');
    plan.actions.forEach((a, i) => {
      if (a.stage !== 'delete') return;
      if (opts.live && createSeen.has(i)) problems.push(`action ${i} (${a.op}) is recorded, but the container was not deleted`);
      if (!opts.live && verdict.state === 'closed' && ended && !undone && !createSeen.has(i)) problems.push(`action ${i} (${a.op}) is missing from the trail: the container was deleted`);
    });
  }
  // A closed trail has every small plan recorded whole (or stopped at a failure).
  if (verdict.state === 'closed') {
    for (const p of plans.values()) {
      if (!p.stopped && p.next < p.plan.actions.length) problems.push(`the ${p.plan.kind} plan of line ${p.entry.line} has records for ${p.next} of its ${p.plan.actions.length} actions`);
    }
  }
  const deletion = [...plans.values()].reverse().find((p) => p.plan.kind === 'delete' && !p.stopped && p.next === p.plan.actions.length);
  if (deletion && deletion.entry.by && deletion.entry.t !== undefined) verdict.deleted = { t: deletion.entry.t, by: deletion.entry.by };
  verdict.ok = problems.length === 0;
  return verdict;
}
