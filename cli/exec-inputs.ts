// Planning `planc exec` over the read-only HostIO (cli/host-io.ts): the process
// (exec --process's process.json, or the command and exec's flags), the
// container as its state directory says (status, record, stored plan), this
// host's cgroup layout, and the checks made before anything runs. One
// implementation for the Node CLI (cli/exec.ts, over node:fs) and for the
// native front's embedded engine (cli/native/engine/entry.ts, over C), so both
// plan and refuse alike. Reading the state directory itself is the caller's
// (through the gate): this gets what was read.
import type { Plan } from '../schemas/generated/plan.js';
import validatePlan from '../schemas/generated/validate-plan.js';
import { PlancError } from '../schemas/error.js';
import { decodePlan, encodePlan } from '../planner/encode.js';
import { type ExecFlags, type ExecTarget, planExecProcess } from '../planner/exec.js';
import { type Json, parseJsonBytes } from '../planner/json.js';
import { cgroupLayout, mounts } from './host-facts-core.js';
import { resolvePath, type HostIO } from './host-io.js';
import { checkConsoleSocketWith, checkRelayTerminalWith } from './plan-inputs.js';

/** exec's flags, as the CLI parses them (cli/commands/exec.ts) and the front passes them on. */
export interface ExecInputFlags {
  process?: string;
  detach?: boolean;
  tty?: boolean;
  'console-socket'?: string;
  cwd?: string;
  env?: string[];
  user?: string;
  'additional-gids'?: string[];
  cap?: string[];
  'no-new-privs'?: boolean;
  apparmor?: string;
  'process-label'?: string;
  cgroup?: string[];
  'ignore-paused'?: boolean;
}

/** The container, as read through the gate from its state directory. */
export interface ExecContainer {
  id: string;
  /** The state directory, for messages. */
  path: string;
  status: 'created' | 'running' | 'paused' | 'stopped';
  /** The init and cgroups its record names. */
  target: ExecTarget;
  /** plan.msgpack's bytes; null when there is none. */
  stored: Uint8Array | null;
}

export interface PlannedExec {
  plan: Plan;
  bytes: Uint8Array;
  /** Where errors with a pointer point: process.json, or the container's config.json. */
  configPath: string;
  /** The container is paused (exec --ignore-paused): the process starts frozen. */
  paused: boolean;
}

const MAX_PROCESS_JSON = 1 << 20;

/**
 * The stored plan.msgpack, decoded and checked against the plan schema: a plan for this container,
 * or an error naming the file (`file`: its path, for messages).
 */
export function checkStoredPlan(bytes: Uint8Array, file: string, id: string): Plan {
  let plan: unknown;
  try {
    plan = decodePlan(bytes);
  } catch (e) {
    throw new PlancError('bad-state', `${file} does not decode (${(e as Error).message}); left alone`);
  }
  if (!validatePlan(plan) || plan.containerId !== id) throw new PlancError('bad-state', `${file} is not a plan for ${id}; left alone`);
  return plan;
}

function readProcessFile(io: HostIO, path: string): Json {
  let bytes: Uint8Array;
  try {
    bytes = io.readBytes(path);
  } catch (e) {
    throw new PlancError('not-found', io.errnoWords(e), { file: path });
  }
  if (bytes.length > MAX_PROCESS_JSON) throw new PlancError('invalid-config', `larger than ${MAX_PROCESS_JSON} bytes: not a process.json`, { file: path });
  return parseJsonBytes(bytes, path);
}

/**
 * The exec's plan. `container` is asked for once the process and the console socket were checked (the order
 * errors have always come in); `relayCheck`: a foreground terminal needs planc's own to relay to (not for a dry
 * run, which relays nothing).
 */
export function planExecWith(io: HostIO, flags: ExecInputFlags, args: string[], container: () => ExecContainer, setConfigPath: (p: string) => void, relayCheck: boolean): PlannedExec {
  const processFile = flags.process === undefined ? undefined : resolvePath(io, flags.process);
  const doc = processFile === undefined ? undefined : readProcessFile(io, processFile);
  const socket = flags['console-socket'] === undefined ? undefined : checkConsoleSocketWith(io, flags['console-socket']);
  const c = container();
  if (c.status === 'stopped') throw new PlancError('bad-state', 'cannot exec in a stopped container', { where: c.id });
  if (c.status === 'paused' && !flags['ignore-paused']) throw new PlancError('bad-state', 'cannot exec in a paused container (use --ignore-paused to override)', { where: c.id });
  if (c.stored === null) throw new PlancError('bad-state', `${c.path} has no plan.msgpack: the container's process settings are unknown; left alone`);
  const stored = checkStoredPlan(c.stored, `${c.path}/plan.msgpack`, c.id);
  const configPath = processFile ?? `${stored.bundle}/config.json`;
  setConfigPath(configPath);
  const execFlags: ExecFlags = {
    cwd: flags.cwd,
    env: flags.env,
    user: flags.user,
    additionalGids: flags['additional-gids'],
    cap: flags.cap,
    noNewPrivs: flags['no-new-privs'],
    tty: flags.tty,
    apparmor: flags.apparmor,
    processLabel: flags['process-label'],
  };
  const plan = planExecProcess(stored, c.target, {
    args,
    ...(doc === undefined ? {} : { process: doc }),
    flags: execFlags,
    detach: flags.detach ?? false,
    ...(socket === undefined ? {} : { consoleSocket: socket }),
    ...(flags.cgroup ? { cgroup: flags.cgroup } : {}),
    cgroupLayout: () => cgroupLayout(io, mounts(io)),
  });
  if (relayCheck && plan.actions.some((a) => a.op === 'console.relay')) checkRelayTerminalWith(io);
  return { plan, bytes: encodePlan(plan), configPath, paused: c.status === 'paused' };
}
