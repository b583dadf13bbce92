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
import { planCreate, type PlanOptions } from '../planner/plan.js';
import { hostPathsOf } from '../planner/host-paths.js';
import { decodePlan, encodePlan } from '../planner/encode.js';
import { digest } from './digest.js';
import { gatherHostFacts } from './host-facts.js';
import { checkId } from './state/gate.js';
import { readBundle } from './bundle.js';
import type { Json } from '../planner/json.js';

export interface Planned {
  plan: Plan;
  bytes: Uint8Array;
  digest: string;
  /** The config, for what planning leaves to the caller (annotations, terminal, the resources the record keeps). */
  config: { process?: { terminal?: boolean }; annotations?: Record<string, string>; linux?: { resources?: Record<string, unknown> } };
}

export interface PlanningFlags {
  bundle?: string;
  id: string;
  root: string;
  'no-pivot'?: boolean;
  /** Plan `run`: the init does not wait for `start`. */
  run?: boolean;
  /** With run: plan `run --detach` (planc does not wait for the container). */
  detach?: boolean;
  /** Plan as if the bundle lived here (diff: two versions of one bundle, wherever they are checked out). */
  bundleAs?: string;
  /** Host facts from a profile instead of this machine (see hostProfile). */
  host?: string;
  'systemd-cgroup'?: boolean;
  /** create/run: where a terminal's pty master goes (already checked, cli/console-socket.ts). */
  'console-socket'?: string;
}

export function planBundle(flags: PlanningFlags, onConfig: (p: string) => void): Planned {
  const { bundle, facts } = readInputs(flags, onConfig);
  const plan = planCreate(bundle.config, facts, planOptions(flags));
  const bytes = encodePlan(plan);
  return { plan, bytes, digest: digest(bytes), config: bundle.config as Planned['config'] };
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
  return { plan: decodePlan(bytes), bytes, digest, config: bundle.config as Planned['config'] };
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

function planOptions(flags: PlanningFlags): PlanOptions {
  const opts: PlanOptions = { waitForStart: !flags.run, foreground: (flags.run ?? false) && !flags.detach };
  return flags['console-socket'] === undefined ? opts : { ...opts, consoleSocket: flags['console-socket'] };
}

function readInputs(flags: PlanningFlags, onConfig: (p: string) => void) {
  checkId(flags.id); // the same gate as every verb that names a container, before the bundle is read
  const bundle = readBundle(flags.bundle);
  onConfig(bundle.configPath);
  const dir = flags.bundleAs ?? bundle.dir;
  // Host paths are looked at where the bundle really is; a bundle planned "as if" elsewhere (diff) has none to look at.
  const hostPaths = flags.bundleAs === undefined && (!flags.host || flags.host === 'this') ? hostPathsOf(bundle.config, dir) : [];
  const facts = gatherHostFacts({ id: flags.id, bundle: dir, stateDir: `${resolve(flags.root)}/${flags.id}`, noPivot: flags['no-pivot'] ?? false, systemdCgroup: flags['systemd-cgroup'] ?? false, cgroupsPath: cgroupsPathOf(bundle.config), hostPaths });
  return { bundle, facts: flags.host ? hostProfile(flags.host, facts) : facts };
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

/** linux.cgroupsPath when the config has one (a string), for the rootless cgroup check. */
function cgroupsPathOf(config: Json): string | undefined {
  const linux = typeof config === 'object' && config !== null && !Array.isArray(config) ? config.linux : undefined;
  const p = typeof linux === 'object' && linux !== null && !Array.isArray(linux) ? linux.cgroupsPath : undefined;
  return typeof p === 'string' ? p : undefined;
}
