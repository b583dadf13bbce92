// Checking an audit log against the plan it claims to apply: every applied
// action was planned, in plan order, with the same op and stage; nothing is
// missing up to where the container got; failures are named. Pure, so a
// reviewer can check a log anywhere the plan can be read.
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
}

export interface AuditReport {
  ok: boolean;
  applied: number;
  skipped: number;
  problems: string[];
}

// Actions the executor may find already done or not applicable (a masked path the rootfs lacks).
const MAY_SKIP = new Set<Action['op']>(['mask', 'readonly', 'symlink']);

/**
 * @param digest digest of the plan bytes the log is checked against
 * @param text   audit.jsonl: a header line, then one record per applied action
 * @param upTo   how far the container is known to have got: 'created' (waiting for start) or 'started'
 */
export function verifyAudit(plan: Plan, digest: string, text: string, upTo: 'created' | 'started'): AuditReport {
  const problems: string[] = [];
  const lines = text.split('\n').filter((l) => l.trim() !== '');
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
    if (header.actions !== plan.actions.length) problems.push(`header counts ${String(header.actions)} actions, the plan has ${plan.actions.length}`);
  }
  let last = -1;
  let applied = 0;
  let skipped = 0;
  const seen = new Set<number>();
  lines.slice(1).forEach((line, k) => {
    const rec = parse(line, k + 2) as AuditRecord | null;
    if (!rec) return;
    const planned = Number.isInteger(rec.i) ? plan.actions[rec.i] : undefined;
    if (!planned) return void problems.push(`line ${k + 2}: action ${rec.i} (${rec.op}) is not in the plan`);
    if (planned.op !== rec.op || planned.stage !== rec.stage) {
      return void problems.push(`line ${k + 2}: action ${rec.i} is ${planned.stage} ${planned.op} in the plan, but the log says ${rec.stage} ${rec.op}`);
    }
    if (rec.i <= last) problems.push(`line ${k + 2}: action ${rec.i} out of order (after ${last})`);
    last = Math.max(last, rec.i);
    seen.add(rec.i);
    if (rec.r === 'ok') applied++;
    else if (rec.r === 'skipped') {
      skipped++;
      if (!MAY_SKIP.has(planned.op)) problems.push(`action ${rec.i} (${planned.op}) was skipped, which it may not be`);
    } else problems.push(`action ${rec.i} (${planned.op}, from ${planned.why}) failed: ${rec.msg ?? `errno ${rec.errno}`}`);
  });
  // Until start, the init stops at execfifo.wait; after it, every action must be there.
  const wait = plan.actions.findIndex((a) => a.op === 'execfifo.wait');
  const end = upTo === 'created' && wait >= 0 ? wait : plan.actions.length;
  for (let i = 0; i < end; i++) if (!seen.has(i)) problems.push(`action ${i} (${plan.actions[i]!.op}) is missing from the log`);
  return { ok: problems.length === 0, applied, skipped, problems };
}
