// Which cgroups belong to a container, checked against cgroupfs each time
// planc is about to act on them. The executor reports, for every cgroup it
// creates, the directory's inode and whether it made it or joined an empty
// one that existed (executor/PROTOCOL.md); teardown and kill act only on
// directories that are still exactly those, so a stale, edited or planted
// record cannot point them at another cgroup.
import { existsSync, lstatSync, statfsSync } from 'node:fs';
import type { Plan } from '../../schemas/generated/plan.js';
import type { OwnedCgroup } from '../../schemas/generated/record.js';

const CGROUP_SUPER_MAGIC = 0x27e0eb;
const CGROUP2_SUPER_MAGIC = 0x63677270;
// linux.intelRdt groups are directories of resctrl, owned the same way (their tasks are not
// listed in a cgroup.procs, so they are never signalled through them, only removed).
const RDTGROUP_SUPER_MAGIC = 0x7655821;

/** An executor record (report line or audit.jsonl line) of a cgroup.create. */
interface CgroupRecord {
  i?: unknown;
  op?: unknown;
  r?: unknown;
  ino?: unknown;
  made?: unknown;
}

/**
 * The cgroup (or resctrl group) a cgroup.create or resctrl.create record stands for, if it is
 * well-formed and matches the plan. A resctrl group counts as made (removed on delete) only
 * when it is the container's own: the spec keeps a group named by closID, even one planc made.
 */
export function ownedFromRecord(plan: Plan, rec: CgroupRecord): OwnedCgroup | null {
  if ((rec.op !== 'cgroup.create' && rec.op !== 'resctrl.create') || rec.r !== 'ok' || typeof rec.i !== 'number') return null;
  const action = plan.actions[rec.i];
  if ((action?.op !== 'cgroup.create' && action?.op !== 'resctrl.create') || action.op !== rec.op) return null;
  if (!Number.isSafeInteger(rec.ino) || (rec.ino as number) < 1 || typeof rec.made !== 'boolean') return null;
  const made = rec.made && (action.op === 'cgroup.create' || action.exists === 'refuse');
  return { path: action.path, ino: rec.ino as number, made };
}

/**
 * The planned cgroups an executor that died may have made without living to
 * record them: absent before it ran (`before`), present now. Only a create
 * whose planc survived its executor can tell, so only it asks.
 */
export function unrecordedCgroups(plan: Plan, before: Set<string>, recorded: OwnedCgroup[]): OwnedCgroup[] {
  const out: OwnedCgroup[] = [];
  for (const a of plan.actions) {
    if ((a.op !== 'cgroup.create' && !(a.op === 'resctrl.create' && a.exists === 'refuse')) || before.has(a.path) || recorded.some((r) => r.path === a.path)) continue;
    try {
      const st = lstatSync(a.path);
      const c = { path: a.path, ino: st.ino, made: true };
      if (st.isDirectory() && stillOwned(c)) out.push(c);
    } catch {
      // not made
    }
  }
  return out;
}

/** Which planned cgroup directories exist already (before the executor runs). */
export function existingCgroups(plan: Plan): Set<string> {
  return new Set(plan.actions.flatMap((a) => ((a.op === 'cgroup.create' || a.op === 'resctrl.create') && existsSync(a.path) ? [a.path] : [])));
}

/** Is this still the cgroup the executor reported: a clean absolute path, a directory on cgroupfs, the same inode? */
export function stillOwned(c: OwnedCgroup): boolean {
  if (!c.path.startsWith('/') || c.path.split('/').some((p) => p === '.' || p === '..')) return false;
  try {
    const st = lstatSync(c.path);
    if (!st.isDirectory() || st.ino !== c.ino) return false;
    const type = statfsSync(c.path).type;
    return type === CGROUP_SUPER_MAGIC || type === CGROUP2_SUPER_MAGIC || type === RDTGROUP_SUPER_MAGIC;
  } catch {
    return false;
  }
}
