// Planning a bundle, the same way for every verb that does it: `plan`,
// `explain`, `diff`, `create`/`run` (and their --dry-run).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import type { Plan } from '../schemas/generated/plan.js';
import type { HostFacts } from '../schemas/generated/hostfacts.js';
import validateHostFacts from '../schemas/generated/validate-hostfacts.js';
import { PlancError } from '../schemas/error.js';
import { defaultHostFacts } from '../planner/host-facts.js';
import { planCreate } from '../planner/plan.js';
import { decodePlan, encodePlan } from '../planner/encode.js';
import { digest } from './digest.js';
import { gatherHostFacts } from './host-facts.js';
import type { GatherOptions } from './host-facts-core.js';
import { checkId } from './state/gate.js';
import { nodeHostIO } from './node-host-io.js';
import { cgroupsPathOf, planBundleOn, planOptions, readInputsWith, type PlannedConfig, type PlanningFlags } from './plan-inputs.js';
import type { Json } from '../planner/json.js';

export type { PlanningFlags } from './plan-inputs.js';

export interface Planned {
  plan: Plan;
  bytes: Uint8Array;
  digest: string;
  /** The config, for what planning leaves to the caller (annotations, terminal, the resources the record keeps). */
  config: PlannedConfig;
}

export function planBundle(flags: PlanningFlags, onConfig: (p: string) => void): Planned {
  checkId(flags.id); // the same gate as every verb that names a container, before the bundle is read
  const planned = planBundleOn(nodeHostIO, flags, onConfig, gatherFor(flags));
  return { ...planned, digest: digest(planned.bytes) };
}

/**
 * planBundle with `--engine`: js plans in-process, wasm through the WebAssembly
 * artifact (cli/wasm-engine.ts, docs/wasm.md), whose runtime is imported only then.
 */
export async function planBundleWith(engine: string | undefined, flags: PlanningFlags, onConfig: (p: string) => void): Promise<Planned> {
  if (engine !== 'wasm') return planBundle(flags, onConfig);
  const { bundle, facts } = readInputs(flags, onConfig);
  const { planWithWasm } = await import('./wasm-engine.js');
  // The artifact parses the config text itself (readBundle's parse only checked it).
  const { bytes, digest } = await planWithWasm(readFileSync(bundle.configPath, 'utf8'), JSON.stringify(facts), { ...planOptions(flags), configFile: bundle.configPath });
  return { plan: decodePlan(bytes), bytes, digest, config: bundle.config as PlannedConfig };
}

/**
 * Plan a config that is not in a bundle on disk: an image's, before it is unpacked
 * (`explain --image`). The bundle it would be unpacked to is --bundle (default: here).
 */
export function planConfig(config: Json, flags: PlanningFlags): Omit<Planned, 'config'> {
  checkId(flags.id);
  const dir = resolve(flags.bundle ?? '.');
  const base = gatherHostFacts({ id: flags.id, bundle: dir, stateDir: `${resolve(flags.root)}/${flags.id}`, noPivot: flags['no-pivot'] ?? false, systemdCgroup: flags['systemd-cgroup'] ?? false, cgroupsPath: cgroupsPathOf(config) });
  const plan = planCreate(config, flags.host ? hostProfile(flags.host, base) : base, planOptions(flags));
  const bytes = encodePlan(plan);
  return { plan, bytes, digest: digest(bytes) };
}

function readInputs(flags: PlanningFlags, onConfig: (p: string) => void) {
  checkId(flags.id); // the same gate as every verb that names a container, before the bundle is read
  return readInputsWith(nodeHostIO, flags, onConfig, gatherFor(flags));
}

/** This host's facts, or --host's profile over them. */
function gatherFor(flags: PlanningFlags): (opts: GatherOptions) => HostFacts {
  return (opts) => (flags.host ? hostProfile(flags.host, gatherHostFacts(opts)) : gatherHostFacts(opts));
}

/**
 * A plan made on a laptop can be reviewed for a server: the host's cgroup layout and rootless
 * mode come from a built-in profile or a file, checked against schemas/hostfacts.schema.json.
 */
function hostProfile(host: string, base: HostFacts): HostFacts {
  const v1 = defaultHostFacts(base.containerId, base.bundle).cgroup;
  const builtin: Record<string, Partial<HostFacts>> = {
    this: {},
    'cgroup-v1': { cgroup: v1, rootless: false },
    'cgroup-v2': { cgroup: { version: 2, root: '/sys/fs/cgroup' }, rootless: false },
  };
  let profile = builtin[host];
  const path = resolve(host);
  if (!profile) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new PlancError('not-found', `no host profile ${JSON.stringify(host)}: not cgroup-v1, cgroup-v2, this, or a readable file (${(e as NodeJS.ErrnoException).code})`, { file: path });
    }
    try {
      profile = (/\.ya?ml$/i.test(path) ? (createRequire(import.meta.url)('js-yaml') as { load(t: string): unknown }).load(text) : JSON.parse(text)) as Partial<HostFacts>;
    } catch (e) {
      throw new PlancError('invalid-argument', `host profile is not valid JSON/YAML: ${(e as Error).message.split('\n')[0]}`, { file: path });
    }
  }
  const facts = { ...base, ...profile, containerId: base.containerId, bundle: base.bundle, stateDir: base.stateDir };
  if (!validateHostFacts(facts)) {
    const errs = (validateHostFacts.errors ?? []).filter((e) => e.keyword !== 'if').map((e) => `${e.instancePath || '/'}: ${e.message}`);
    throw new PlancError('invalid-argument', `host profile: ${errs.join('; ')}`, { file: path });
  }
  return facts;
}
