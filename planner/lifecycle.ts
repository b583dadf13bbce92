// The small plans of what happens to a container after create that the CLI
// still applies itself: delete, the undo of a failed create, the end of a
// foreground run, update (kill, pause and resume are planned by the native
// front, cli/native/). Pure like
// planCreate: the CLI gathers the facts (is the init still the container's,
// which cgroups are still the ones the executor made) and these functions
// say what to do about them, in order. The plan goes into the container's
// audit trail whole, before its first action; each action then gets a record
// (docs/audit.md).
import type { LifecycleAction, LifecyclePlan } from '../schemas/generated/lifecycle.js';

export type { LifecycleAction, LifecyclePlan };

export interface LifecycleFacts {
  containerId: string;
  stateDir: string;
  /** The init, when it is alive and provably the container's (same start time, in its cgroup); else null. */
  init: { pid: number; startTime: string } | null;
  /** The container's cgroups that are still the directories the executor reported (same path and inode). */
  cgroups: { path: string; ino: number; made: boolean }[];
  /** Its cgroup is frozen by a pause. */
  paused?: boolean;
}

const SIGKILL = 9;

/** `planc update`: the cgroup writes planner/live.ts made from the new resources, in order, with their provenance. */
export function planUpdateWrites(f: Pick<LifecycleFacts, 'containerId'>, writes: { why: string; path: string; file: string; value: string }[]): LifecyclePlan {
  return { planVersion: 1, kind: 'update', containerId: f.containerId, actions: writes.map((w) => ({ op: 'cgroup.write', why: w.why, path: w.path, file: w.file, value: w.value })) };
}

/**
 * Take a container apart: SIGKILL the init, empty and remove the cgroups
 * planc made (a joined cgroup is left as it was), remove the state
 * directory. The audit trail is never part of it.
 */
export function planTeardown(f: LifecycleFacts, kind: 'delete' | 'undo' | 'exit'): LifecyclePlan {
  const why = `runtime:${kind === 'exit' ? 'run' : kind}`;
  const made = f.cgroups.filter((c) => c.made);
  const actions: LifecycleAction[] = [
    ...(f.init ? [{ op: 'signal' as const, why, pid: f.init.pid, startTime: f.init.startTime, signal: SIGKILL, name: 'SIGKILL' }] : []),
    // A frozen process does not die until thawed: kill everything first, then thaw, so no
    // process of a paused container runs a single instruction more.
    ...(f.paused ? [...made.map((c) => ({ op: 'cgroup.signal' as const, why, path: c.path, ino: c.ino, signal: SIGKILL, name: 'SIGKILL' })), { op: 'freezer' as const, why, state: 'THAWED' as const }] : []),
    ...made.map((c) => ({ op: 'cgroup.kill' as const, why, path: c.path, ino: c.ino })),
    ...made.map((c) => ({ op: 'cgroup.remove' as const, why, path: c.path, ino: c.ino })),
    { op: 'state.remove', why, path: f.stateDir },
  ];
  return { planVersion: 1, kind, containerId: f.containerId, actions };
}
