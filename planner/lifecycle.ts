// The small plans of what happens to a container after create that the CLI
// still applies itself: update (kill, pause, resume, delete, the undo of a
// failed create and the end of a foreground run are planned by the native
// front, cli/native/lifecycle.c and teardown.c). Pure like
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

/** `planc update`: the cgroup writes planner/live.ts made from the new resources, in order, with their provenance. */
export function planUpdateWrites(f: Pick<LifecycleFacts, 'containerId'>, writes: { why: string; path: string; file: string; value: string }[]): LifecyclePlan {
  return { planVersion: 1, kind: 'update', containerId: f.containerId, actions: writes.map((w) => ({ op: 'cgroup.write', why: w.why, path: w.path, file: w.file, value: w.value })) };
}
