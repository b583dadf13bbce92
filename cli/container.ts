// The part of `create` and `run` that is planning: bundle → plan, the checks
// that need the config, --dry-run. Applying the plan — the claimed state
// directory, the trail, the executor, the saved state or the undo, a
// foreground run's wait — is the native front's (cli/native/apply.c), which
// this process hands over to by becoming it.
import { explainLines } from '../planner/explain.js';
import { stringifyJson } from '../planner/json.js';
import { checkId } from './state/gate.js';
import { execWith } from './libc.js';
import { checkCreate, recordExtras } from './plan-inputs.js';
import { nodeHostIO } from './node-host-io.js';
import { planBundle } from './planning.js';
import { checkPreservedFds } from './preserved-fds.js';
import { debug } from './report.js';
import { checkConsoleSocket } from './console-socket.js';
import { becomeApply } from './native-front.js';

export interface CreateFlags {
  root: string;
  bundle?: string;
  'pid-file'?: string;
  'console-socket'?: string;
  'preserve-fds': number;
  'no-pivot'?: boolean;
  'systemd-cgroup'?: boolean;
  'dry-run'?: boolean;
  'audit-log'?: string;
  'audit-dir'?: string;
  'audit-sign-key'?: string;
  debug?: boolean;
  log?: string;
  'log-format'?: string;
}

/**
 * Create (or run) a container; `onConfig` learns the config path early, for error messages.
 * With --dry-run: everything up to the executor, then print the plan's explanation instead, and return.
 * Otherwise this process becomes the native front, which applies the plan (cli/native/apply.c): it
 * never returns.
 */
export async function createContainer(id: string, flags: CreateFlags, mode: 'create' | 'run' | 'run-detached', onConfig: (path: string) => void): Promise<void> {
  checkId(id);
  const socket = flags['console-socket'] === undefined ? undefined : checkConsoleSocket(flags['console-socket']);
  const { plan, bytes, digest, config } = planBundle({ ...flags, 'console-socket': socket, id, run: mode !== 'create', detach: mode === 'run-detached' }, onConfig);
  checkCreate(nodeHostIO, { config, plan, mode, socket, relay: !flags['dry-run'] });
  debug(`${id}: plan ${digest}, ${plan.actions.length} actions`, flags);
  for (const w of plan.warnings) debug(`${id}: warning: ${w.message} (${w.why})`, flags);
  if (flags['dry-run']) {
    process.stdout.write(`dry run: plan ${digest} for ${id}: ${plan.actions.length} actions, none applied\n${explainLines(plan).join('\n')}\n`);
    return;
  }
  checkPreservedFds(flags['preserve-fds']);
  // The rest is the native front's (cli/native/apply.c): this process becomes it, so the pid the caller
  // started stays planc's and no Node waits around. The plan goes on a memfd, above the preserved fds.
  const extras = recordExtras(config);
  // The extras go on a memfd too: a config's annotations can be larger than one argument may be (128 KiB).
  const files: [string, Uint8Array][] = [['plan-fd', bytes], ...(Object.keys(extras).length > 0 ? [['extras-fd', Buffer.from(stringifyJson(extras))] as [string, Uint8Array]] : [])];
  becomeApply(flags, mode, id, files, flags['audit-log'] ? [`--audit-log=${flags['audit-log']}`] : []);
}
