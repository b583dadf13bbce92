// Planning a bundle, the same way for every verb that does it: `plan`,
// `explain`, `diff`, `create`/`run` (and their --dry-run).
import { resolve } from 'node:path';
import type { Plan } from '../schemas/generated/plan.js';
import { planCreate } from '../planner/plan.js';
import { digestOf, encodePlan } from '../planner/encode.js';
import { gatherHostFacts } from '../executor/host-facts.js';
import { stateDir } from '../executor/state.js';
import { readBundle } from './bundle.js';

export interface Planned {
  plan: Plan;
  bytes: Uint8Array;
  digest: string;
  /** The config, for what planning leaves to the caller (annotations, terminal). */
  config: { process?: { terminal?: boolean }; annotations?: Record<string, string> };
}

export interface PlanningFlags {
  bundle?: string;
  id: string;
  root: string;
  'no-pivot'?: boolean;
  /** Plan `run`: the init does not wait for `start`. */
  run?: boolean;
  'systemd-cgroup'?: boolean;
}

export function planBundle(flags: PlanningFlags, onConfig: (p: string) => void): Planned {
  const bundle = readBundle(flags.bundle);
  onConfig(bundle.configPath);
  const facts = gatherHostFacts({ id: flags.id, bundle: bundle.dir, stateDir: stateDir(resolve(flags.root), flags.id), noPivot: flags['no-pivot'] ?? false, systemdCgroup: flags['systemd-cgroup'] ?? false });
  const plan = planCreate(bundle.config, facts, { waitForStart: !flags.run });
  const bytes = encodePlan(plan);
  return { plan, bytes, digest: digestOf(bytes), config: bundle.config as Planned['config'] };
}
