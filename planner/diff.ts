// What changes in privileged effect between two plans, action by action
// (not line by line): each action has an identity (what it acts on), so a
// reordered config shows no change and a changed limit shows as one change.
import type { Action, Plan } from '../schemas/generated/plan.js';
import { explainAction } from './explain.js';
import { seccompChanges } from './seccomp-plan.js';

export interface PlanChange {
  kind: 'added' | 'removed' | 'changed';
  key: string;
  before?: Action;
  after?: Action;
  /** For changed actions: field → [before, after]. */
  fields?: Record<string, [unknown, unknown]>;
}

export interface PlanDiff {
  changes: PlanChange[];
  /** Mounts both plans make, but in another order (a later mount can hide an earlier one). */
  mountOrder?: { before: string[]; after: string[] };
  warningsAdded: string[];
  warningsRemoved: string[];
}

/** What an action acts on: two actions with the same identity are the same step with maybe other values. */
export function identityOf(a: Action): string {
  switch (a.op) {
    case 'cgroup.create':
    case 'cgroup.join':
    case 'cgroup.open':
    case 'cgroup.attach':
      return `${a.op} ${a.path}`;
    case 'cgroup.write':
      return `${a.op} ${a.path}/${a.file}`;
    case 'ns.join':
    case 'ns.unshare':
      return `${a.op} ${a.ns}`;
    case 'idmap.write':
      return `${a.op} ${a.kind}`;
    case 'mount':
    case 'mount.remount':
    case 'mount.propagation':
    case 'mount.setattr':
    case 'mount.attach':
      return `${a.op} ${a.target}`;
    case 'mount.idmap':
      return `${a.op} ${a.source}`;
    case 'netdev.move':
      return `${a.op} ${a.device}`;
    case 'mknod':
    case 'device.bind':
    case 'symlink':
    case 'mask':
    case 'readonly':
      return `${a.op} ${a.path}`;
    case 'sysctl':
      return `${a.op} ${a.key}`;
    case 'link.up':
      return `${a.op} ${a.name}`;
    case 'rlimit':
      return `${a.op} ${a.resource}`;
    default:
      return a.op;
  }
}

function keyed(plan: Plan): Map<string, Action> {
  const out = new Map<string, Action>();
  const seen = new Map<string, number>();
  for (const a of plan.actions) {
    const id = identityOf(a);
    const n = (seen.get(id) ?? 0) + 1;
    seen.set(id, n);
    out.set(n === 1 ? id : `${id} #${n}`, a);
  }
  return out;
}

export function diffPlans(a: Plan, b: Plan): PlanDiff {
  const before = keyed(a);
  const after = keyed(b);
  const changes: PlanChange[] = [];
  for (const [key, x] of before) {
    const y = after.get(key);
    if (!y) {
      changes.push({ kind: 'removed', key, before: x });
      continue;
    }
    const fields: Record<string, [unknown, unknown]> = {};
    const names = new Set([...Object.keys(x), ...Object.keys(y)]);
    for (const f of [...names].sort()) {
      if (f === 'why') continue; // provenance moves when a config is reordered; the effect does not
      const u = (x as unknown as Record<string, unknown>)[f];
      const v = (y as unknown as Record<string, unknown>)[f];
      if (JSON.stringify(u) !== JSON.stringify(v)) fields[f] = [u, v];
    }
    if (Object.keys(fields).length > 0) changes.push({ kind: 'changed', key, before: x, after: y, fields });
  }
  for (const [key, y] of after) if (!before.has(key)) changes.push({ kind: 'added', key, after: y });
  const mountKeys = (m: Map<string, Action>, other: Map<string, Action>) => [...m.keys()].filter((k) => k.startsWith('mount ') && other.has(k));
  const orderA = mountKeys(before, after);
  const orderB = mountKeys(after, before);
  const mountOrder = orderA.join('\n') !== orderB.join('\n') ? { before: orderA.map((k) => k.slice(6)), after: orderB.map((k) => k.slice(6)) } : undefined;
  const wa = new Set(a.warnings.map((w) => w.message));
  const wb = new Set(b.warnings.map((w) => w.message));
  return { changes, ...(mountOrder ? { mountOrder } : {}), warningsAdded: [...wb].filter((w) => !wa.has(w)), warningsRemoved: [...wa].filter((w) => !wb.has(w)) };
}

export function diffLines(d: PlanDiff): string[] {
  const lines: string[] = [];
  for (const c of d.changes) {
    if (c.kind === 'added') lines.push(`+ ${c.after!.stage} ${explainAction(c.after!)}  ← ${c.after!.why}`);
    else if (c.kind === 'removed') lines.push(`- ${c.before!.stage} ${explainAction(c.before!)}  ← ${c.before!.why}`);
    else if (c.after!.op === 'seccomp.load' && c.before!.op === 'seccomp.load') {
      // A filter changes syscall by syscall, not as one unreadable program and stats field.
      const detail = seccompChanges(c.before!, c.after!);
      lines.push(`~ ${c.after!.stage} seccomp filter: ${detail.length} change${detail.length === 1 ? '' : 's'}  ← ${c.after!.why}`);
      for (const d of detail) lines.push(`    ${d}`);
    } else {
      const what = Object.entries(c.fields!).map(([f, [u, v]]) => `${f}: ${JSON.stringify(u)} → ${JSON.stringify(v)}`).join('; ');
      lines.push(`~ ${c.after!.stage} ${explainAction(c.after!)}  (${what})  ← ${c.after!.why}`);
    }
  }
  if (d.mountOrder) lines.push(`~ mount order: ${d.mountOrder.before.join(', ')} → ${d.mountOrder.after.join(', ')}`);
  for (const w of d.warningsAdded) lines.push(`+ warning: ${w}`);
  for (const w of d.warningsRemoved) lines.push(`- warning: ${w}`);
  return lines;
}
