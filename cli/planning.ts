// What `plan` and `explain` share: plan a bundle without creating anything.
import { resolve } from 'node:path';
import type { Plan } from '../schemas/generated/plan.js';
import { planCreate } from '../planner/plan.js';
import { digestOf, encodePlan } from '../planner/encode.js';
import { gatherHostFacts } from '../executor/host-facts.js';
import { readBundle } from './bundle.js';

export interface Planned {
  plan: Plan;
  bytes: Uint8Array;
  digest: string;
  configPath: string;
}

export function planBundle(flags: { bundle?: string; id: string; root: string; 'no-pivot'?: boolean; run?: boolean; 'systemd-cgroup'?: boolean }, onConfig: (p: string) => void): Planned {
  const bundle = readBundle(flags.bundle);
  onConfig(bundle.configPath);
  const facts = gatherHostFacts({ id: flags.id, bundle: bundle.dir, stateDir: `${resolve(flags.root)}/${flags.id}`, noPivot: flags['no-pivot'] ?? false, systemdCgroup: flags['systemd-cgroup'] ?? false });
  const plan = planCreate(bundle.config, facts, { waitForStart: !flags.run });
  const bytes = encodePlan(plan);
  return { plan, bytes, digest: digestOf(bytes), configPath: bundle.configPath };
}
