// Checking an audit log against the plan it claims to apply: every applied
// action was planned, in plan order, once, with the same op and stage;
// nothing is missing up to where the container got; failures are named. Pure,
// so a reviewer can check a log anywhere the plan can be read.
import type { Action, Plan } from '../schemas/generated/plan.js';

export interface AuditRecord {
  i: number;
  op: string;
  stage: string;
  r: 'ok' | 'skipped' | 'error';
  t?: number;
  errno?: number;
  msg?: string;
  why?: string;
  /** cgroup.create and resctrl.create ok records: the directory's inode, and whether planc made it (executor/PROTOCOL.md). */
  ino?: number;
  made?: boolean;
}

export interface AuditReport {
  ok: boolean;
  applied: number;
  skipped: number;
  problems: string[];
}

/**
 * How far the container is known to have got:
 * - `created`: waiting for start — every action before `execfifo.wait`, none after;
 * - `started`: every action but the delete stage's (poststop hooks run after the log is removed);
 * - `partial`: in flight or failed — order and consistency only.
 */
export type AuditExpectation = 'created' | 'started' | 'partial';

// Actions the executor may find already done or not applicable (a masked path the rootfs lacks).
const MAY_SKIP = new Set<Action['op']>(['mask', 'readonly', 'symlink']);

/**
 * @param digest digest of the plan bytes the log is checked against
 * @param text   audit.jsonl: a header line, then one record per applied action
 */
export function verifyAudit(plan: Plan, digest: string, text: string, expect: AuditExpectation): AuditReport {
  const problems: string[] = [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  else if (text !== '') problems.push('the log does not end with a newline (cut short?)');
  const parse = (line: string, n: number): Record<string, unknown> | null => {
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      problems.push(`line ${n}: not JSON`);
      return null;
    }
  };
  const header = lines.length > 0 ? parse(lines[0]!, 1) : null;
  if (!header) problems.push('no header line');
  else {
    if (header.planDigest !== digest) problems.push(`header names plan ${String(header.planDigest)}, but the plan is ${digest}`);
    if (header.containerId !== plan.containerId) problems.push(`header names container ${String(header.containerId)}, the plan ${plan.containerId}`);
    if (header.actions !== plan.actions.length) problems.push(`header counts ${String(header.actions)} actions, the plan has ${plan.actions.length}`);
  }
  let last = -1;
  let applied = 0;
  let skipped = 0;
  const seen = new Set<number>();
  lines.slice(1).forEach((line, k) => {
    const n = k + 2;
    const rec = parse(line, n) as AuditRecord | null;
    if (!rec) return;
    const planned = Number.isInteger(rec.i) ? plan.actions[rec.i] : undefined;
    if (!planned) return void problems.push(`line ${n}: action ${rec.i} (${rec.op}) is not in the plan`);
    if (planned.op !== rec.op || planned.stage !== rec.stage) {
      return void problems.push(`line ${n}: action ${rec.i} is ${planned.stage} ${planned.op} in the plan, but the log says ${rec.stage} ${rec.op}`);
    }
    if (seen.has(rec.i)) problems.push(`line ${n}: action ${rec.i} recorded twice`);
    else if (rec.i <= last) problems.push(`line ${n}: action ${rec.i} out of order (after ${last})`);
    last = Math.max(last, rec.i);
    seen.add(rec.i);
    if (typeof rec.t !== 'number' || !(rec.t > 0)) problems.push(`line ${n}: action ${rec.i} has no time`);
    if (rec.r === 'ok' && (planned.op === 'cgroup.create' || planned.op === 'resctrl.create')) {
      if (rec.ino !== undefined && !(Number.isSafeInteger(rec.ino) && rec.ino > 0)) problems.push(`line ${n}: action ${rec.i} has a bad cgroup inode ${JSON.stringify(rec.ino)}`);
      if (rec.made !== undefined && typeof rec.made !== 'boolean') problems.push(`line ${n}: action ${rec.i} has a bad "made" ${JSON.stringify(rec.made)}`);
    }
    if (rec.r === 'ok') applied++;
    else if (rec.r === 'skipped') {
      skipped++;
      if (!MAY_SKIP.has(planned.op)) problems.push(`action ${rec.i} (${planned.op}) was skipped, which it may not be`);
    } else if (rec.r === 'error') problems.push(`action ${rec.i} (${planned.op}, from ${planned.why}) failed: ${rec.msg ?? `errno ${rec.errno}`}`);
    else problems.push(`line ${n}: unknown result ${JSON.stringify(rec.r)}`);
  });
  if (expect !== 'partial') {
    // Until start, the init stops at execfifo.wait; after it, every action must be there.
    const wait = plan.actions.findIndex((a) => a.op === 'execfifo.wait');
    if (expect === 'created' && wait < 0) problems.push('the plan has no execfifo.wait: it cannot be waiting for start');
    // The delete stage (poststop hooks) runs only once the container and its log are gone.
    const last = plan.actions.findIndex((a) => a.stage === 'delete');
    const end = expect === 'created' && wait >= 0 ? wait : last >= 0 ? last : plan.actions.length;
    for (let i = 0; i < end; i++) if (!seen.has(i)) problems.push(`action ${i} (${plan.actions[i]!.op}) is missing from the log`);
    for (const i of seen) if (i >= end) problems.push(`action ${i} (${plan.actions[i]!.op}) is recorded, but the container ${expect === 'created' ? 'was not started' : 'was not deleted'}`);
  }
  return { ok: problems.length === 0, applied, skipped, problems };
}
