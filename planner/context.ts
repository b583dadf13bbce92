// What every planning module shares: the config, the host facts, and the
// action list being built. Actions are appended in application order.
import type { Action, Plan } from '../schemas/generated/plan.js';
import type { HostFacts } from '../schemas/generated/hostfacts.js';
import type { Config } from './config.js';

export type Warning = Plan['warnings'][number];

export interface PlanContext {
  config: Config;
  facts: HostFacts;
  rootfs: string;
  /** Namespace types the container gets new (not joined, not shared with the host). */
  newNs: Set<string>;
  /** The container's cgroup path (e.g. /planc/id), relative to each hierarchy's mountpoint. */
  cgroupPath: string;
  /** Config mount index → index of the host-stage action that makes its id-mapped copy (mount.idmap). */
  idmapped: Map<number, number>;
  actions: Action[];
  warnings: Warning[];
}

export function add(ctx: PlanContext, action: Action): void {
  ctx.actions.push(action);
}

export function warn(ctx: PlanContext, code: string, why: string, message: string, subject?: string): void {
  ctx.warnings.push(subject === undefined ? { code, why, message } : { code, why, message, subject });
}
