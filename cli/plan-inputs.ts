// Planning a bundle for create/run, over the read-only HostIO (cli/host-io.ts):
// the bundle, the host facts, the plan and the checks `create` makes before
// anything exists. One implementation for the Node CLI (cli/planning.ts,
// cli/container.ts over node:fs) and for the native front's embedded engine
// (cli/native/engine/entry.ts over C), so both refuse and plan alike.
import type { Plan } from '../schemas/generated/plan.js';
import type { HostFacts } from '../schemas/generated/hostfacts.js';
import { PlancError } from '../schemas/error.js';
import { parseJsonBytes, type Json } from '../planner/json.js';
import { planCreate, type PlanOptions } from '../planner/plan.js';
import { hostPathsOf } from '../planner/host-paths.js';
import { encodePlan } from '../planner/encode.js';
import { utf8Length } from '../planner/paths.js';
import { checkTerminal } from '../planner/console.js';
import type { GatherOptions } from './host-facts-core.js';
import { exists, resolvePath, type HostIO } from './host-io.js';

export interface Bundle {
  dir: string;
  configPath: string;
  config: Json;
}

/** A bundle's config.json as exact JSON, with errors that say which file. */
export function readBundleWith(io: HostIO, dirFlag: string | undefined): Bundle {
  const dir = resolvePath(io, dirFlag ?? '.');
  const configPath = `${dir}/config.json`;
  let bytes: Uint8Array;
  try {
    if (io.stat(dir) !== 'directory') throw new PlancError('not-found', 'bundle is not a directory', { file: dir });
    // Bytes, not text: invalid UTF-8 must be refused, not turned into U+FFFD.
    bytes = io.readBytes(configPath);
  } catch (e) {
    if (e instanceof PlancError) throw e;
    const code = (e as { code?: string }).code;
    if (code === 'ENOENT') throw new PlancError('not-found', 'no such file or directory', { file: exists(io, dir) ? configPath : dir });
    throw new PlancError('system', io.errnoWords(e), { file: exists(io, dir) ? configPath : dir });
  }
  return { dir, configPath, config: parseJsonBytes(bytes, configPath) };
}

export function checkRootfsWith(io: HostIO, rootfs: string): void {
  let ok = false;
  try {
    ok = io.stat(rootfs) === 'directory';
  } catch {
    // reported below
  }
  if (!ok) throw new PlancError('not-found', `rootfs ${rootfs} does not exist or is not a directory`, { where: '/root/path' });
}

/** --console-socket: the socket's absolute path, as the plan names it, once it is known to be one. */
export function checkConsoleSocketWith(io: HostIO, path: string): string {
  const abs = resolvePath(io, path);
  let isSocket: boolean;
  try {
    isSocket = io.stat(abs) === 'socket';
  } catch (e) {
    throw new PlancError('invalid-argument', `--console-socket ${abs}: ${io.errnoWords(e)}`);
  }
  if (!isSocket) throw new PlancError('invalid-argument', `--console-socket ${abs}: not a socket`);
  // sun_path holds 107 bytes and a NUL; a longer path could not be connected to at all.
  if (utf8Length(abs) > 107) throw new PlancError('invalid-argument', `--console-socket ${abs}: longer than the 107 bytes an AF_UNIX address holds`);
  return abs;
}

/**
 * A foreground terminal without a socket is relayed to planc's own terminal: there must be one
 * (as runc: one of stdin, stdout and stderr, or the controlling terminal). Without it the
 * container's shell would wait for input nobody can type.
 */
export function checkRelayTerminalWith(io: HostIO, where?: string): void {
  const why = io.noTerminal();
  if (why !== null) {
    throw new PlancError('invalid-argument', `a terminal was asked for, but planc has none to relay it to: stdin, stdout and stderr are not terminals (${why}); give --console-socket with --detach, or set "terminal": false`, { where });
  }
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
  /** Host facts from a profile instead of this machine (cli/planning.ts hostProfile). */
  host?: string;
  'systemd-cgroup'?: boolean;
  /** create/run: where a terminal's pty master goes (already checked, checkConsoleSocketWith). */
  'console-socket'?: string;
}

/** The config as what planning leaves to the caller reads it (annotations, terminal, the resources the record keeps). */
export type PlannedConfig = { process?: { terminal?: boolean }; annotations?: Record<string, string>; linux?: { resources?: Record<string, unknown> } };

export function planOptions(flags: PlanningFlags): PlanOptions {
  const opts: PlanOptions = { waitForStart: !flags.run, foreground: (flags.run ?? false) && !flags.detach };
  return flags['console-socket'] === undefined ? opts : { ...opts, consoleSocket: flags['console-socket'] };
}

/** linux.cgroupsPath when the config has one (a string), for the rootless cgroup check. */
export function cgroupsPathOf(config: Json): string | undefined {
  const linux = typeof config === 'object' && config !== null && !Array.isArray(config) ? config.linux : undefined;
  const p = typeof linux === 'object' && linux !== null && !Array.isArray(linux) ? linux.cgroupsPath : undefined;
  return typeof p === 'string' ? p : undefined;
}

/** The bundle and the facts to plan it with; `gather` turns GatherOptions into facts (this host's, or a profile's). */
export function readInputsWith(io: HostIO, flags: PlanningFlags, onConfig: (p: string) => void, gather: (opts: GatherOptions) => HostFacts): { bundle: Bundle; facts: HostFacts } {
  const bundle = readBundleWith(io, flags.bundle);
  onConfig(bundle.configPath);
  const dir = flags.bundleAs ?? bundle.dir;
  // Host paths are looked at where the bundle really is; a bundle planned "as if" elsewhere (diff) has none to look at.
  const hostPaths = flags.bundleAs === undefined && (!flags.host || flags.host === 'this') ? hostPathsOf(bundle.config, dir) : [];
  const facts = gather({ id: flags.id, bundle: dir, stateDir: `${resolvePath(io, flags.root)}/${flags.id}`, noPivot: flags['no-pivot'] ?? false, systemdCgroup: flags['systemd-cgroup'] ?? false, cgroupsPath: cgroupsPathOf(bundle.config), hostPaths });
  return { bundle, facts };
}

/** readInputsWith, planned and encoded (the canonical msgpack bytes; the digest is the caller's sha256 of them). */
export function planBundleOn(io: HostIO, flags: PlanningFlags, onConfig: (p: string) => void, gather: (opts: GatherOptions) => HostFacts): { plan: Plan; bytes: Uint8Array; config: PlannedConfig } {
  const { bundle, facts } = readInputsWith(io, flags, onConfig, gather);
  const plan = planCreate(bundle.config, facts, planOptions(flags));
  return { plan, bytes: encodePlan(plan), config: bundle.config as PlannedConfig };
}

export type CreateMode = 'create' | 'run' | 'run-detached';

/**
 * What `create` and `run` check once the plan is made, before anything exists: runc's terminal
 * rules, a terminal to relay a foreground one to (`relay`: not for a dry run, which relays
 * nothing), and the rootfs.
 */
export function checkCreate(io: HostIO, r: { config: PlannedConfig; plan: Plan; mode: CreateMode; socket?: string; relay: boolean }): void {
  const terminal = r.config.process?.terminal ?? false;
  checkTerminal({ terminal, detach: r.mode !== 'run', socket: r.socket }, '/process/terminal');
  if (terminal && r.mode === 'run' && r.relay) checkRelayTerminalWith(io, '/process/terminal');
  checkRootfsWith(io, r.plan.rootfs);
}

/**
 * What the record keeps of the config (cli/native/apply.c copies it into state.json as written):
 * its annotations when it has any, and linux.resources, which `update` merges into and `state`
 * shows, as runc keeps them. Write it with stringifyJson, so 64-bit limits stay exact.
 */
export function recordExtras(config: PlannedConfig): { annotations?: Record<string, string>; resources?: Record<string, unknown> } {
  return {
    ...(config.annotations && Object.keys(config.annotations).length > 0 ? { annotations: config.annotations } : {}),
    ...(config.linux?.resources ? { resources: config.linux.resources } : {}),
  };
}
