// The hooks the CLI runs itself (planner/hooks.ts has where each hook runs):
// poststop, by `planc delete` (and a foreground `planc run`) once the
// container is destroyed, in the runtime's namespaces, which are planc's own;
// a poststop failure is a warning. (poststart, and what a startContainer or
// poststart failure does, are the native front's: cli/native/poststart.c.)
// Each hook is one planned action with one audit record, in the container's
// trail (cli/audit/trail.ts), written before the next hook runs.
import { type SpawnSyncOptions, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, constants as C, openSync, readSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Plan } from '../../schemas/generated/plan.js';
import type { HookAction } from '../../planner/hooks.js';
import { appendCallerLog } from '../caller-files.js';
import { errnoWords } from '../errno.js';
import { nowMicros, type Trail } from '../audit/trail.js';
import type { ContainerDir } from './gate.js';
import { type ContainerRecord, FILES, readPlan } from './store.js';

type Stage = 'start' | 'delete';
export interface Planned {
  i: number;
  action: HookAction;
}
interface Outcome {
  ok: boolean;
  errno?: number;
  msg?: string;
}

const ETIMEDOUT = 110;
const ECANCELED = 125;

/** The plan of a container, read only when it has hooks at all (most have none: `start` stays one read). */
export function planWithHooks(dir: ContainerDir): Plan | null {
  const raw = dir.read(FILES.plan);
  // Op names are plain strings in msgpack: without "hook." anywhere there is no hook action.
  if (!raw || raw.indexOf('hook.') < 0) return null;
  const plan = readPlan(dir);
  return plan && plan.actions.some((a) => a.op.startsWith('hook.')) ? plan : null;
}

export function hooksOf(plan: Plan | null, stage: Stage): Planned[] {
  const out: Planned[] = [];
  plan?.actions.forEach((a, i) => {
    if (a.stage === stage) out.push({ i, action: a as HookAction });
  });
  return out;
}

/** A private file for the hook's stdout and stderr: unlike a pipe, a process the hook leaves behind cannot hold us up. */
function outputFile(): number {
  const path = join(tmpdir(), `planc-hook-${randomBytes(8).toString('hex')}`);
  const fd = openSync(path, C.O_RDWR | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o600);
  unlinkSync(path);
  return fd;
}

/** What the hook wrote (the start of it), as one line. */
function said(fd: number): string {
  const buf = Buffer.alloc(512);
  const n = readSync(fd, buf, 0, buf.length, 0);
  const text = buf.subarray(0, n).toString('utf8').replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  return text ? `: ${text}` : '';
}

/**
 * Run one hook: its own session (so a timeout kills what it started too), exactly
 * its argv and environment, the state JSON on stdin with the pid added (none once stopped).
 */
export function runHook(name: string, a: HookAction, pid: number | undefined): Outcome {
  const state = JSON.stringify(pid === undefined ? a.state : { ...a.state, pid });
  // The planner refused an environment that sets a name twice: as a map it is exactly what was given.
  const env = Object.fromEntries(a.env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  const out = outputFile();
  try {
    // detached: a new session (spawnSync takes it, though its type does not say so).
    const opts: SpawnSyncOptions & { detached: boolean } = {
      argv0: a.args[0],
      env,
      input: state,
      stdio: ['pipe', out, out],
      detached: true,
      ...(a.timeout ? { timeout: a.timeout * 1000 } : {}),
      killSignal: 'SIGKILL',
    };
    const r = spawnSync(a.path, a.args.slice(1), opts);
    const err = r.error as NodeJS.ErrnoException | undefined;
    if (err?.code === 'ETIMEDOUT' && r.pid) {
      try {
        process.kill(-r.pid, 'SIGKILL');
      } catch {
        // the group is gone already
      }
      return { ok: false, errno: ETIMEDOUT, msg: `${name} hook ${a.path}: killed after its timeout of ${a.timeout} s${said(out)}` };
    }
    // A hook may exit without reading its stdin: EPIPE is its choice, not a failure.
    if (err && !(err.code === 'EPIPE' && r.status !== null)) {
      return { ok: false, errno: typeof err.errno === 'number' ? -err.errno : ECANCELED, msg: `${name} hook ${a.path}: ${errnoWords(err)}` };
    }
    if (r.status === 0) return { ok: true };
    const how = r.status !== null ? `exited with status ${r.status}` : `killed by signal ${r.signal}`;
    return { ok: false, errno: ECANCELED, msg: `${name} hook ${a.path}: ${how}${said(out)}` };
  } finally {
    closeSync(out);
  }
}

const NAMES: Record<HookAction['op'], string> = {
  'hook.prestart': 'prestart',
  'hook.create-runtime': 'createRuntime',
  'hook.create-container': 'createContainer',
  'hook.start-container': 'startContainer',
  'hook.poststart': 'poststart',
  'hook.poststop': 'poststop',
};

function record(p: Planned, o: Outcome): Record<string, unknown> {
  return { i: p.i, op: p.action.op, stage: p.action.stage, r: o.ok ? 'ok' : 'error', t: nowMicros(), ...(o.ok ? {} : { errno: o.errno, msg: o.msg }) };
}

/**
 * Runs hooks in order, each record written as it ends, before the next hook (a record that
 * cannot be written stops them: audit fails closed). A poststart failure stops the rest and is
 * returned; a poststop failure is handed to `warn` and the rest still run.
 */
function runAll(hooks: Planned[], pid: number | undefined, log: (rec: Record<string, unknown>) => void, warn: (msg: string) => void): { failed: Planned; outcome: Outcome } | null {
  for (const p of hooks) {
    const o = runHook(NAMES[p.action.op], p.action, pid);
    log(record(p, o));
    if (o.ok) continue;
    if (p.action.stage !== 'delete') return { failed: p, outcome: o };
    warn(o.msg!);
  }
  return null;
}

/**
 * poststop: after the container and its state directory are gone, before its trail
 * is closed (teardown's beforeClose), the records go into the trail — and, tagged as
 * every exported record is, to the operator's --audit-log. Failures are warnings
 * (runtime.md, step 13).
 */
export function runPoststop(plan: Plan | null, rec: Pick<ContainerRecord, 'id' | 'planDigest' | 'auditLog'> | null, warn: (msg: string) => void, trail: Pick<Trail, 'append'> | null): void {
  const hooks = hooksOf(plan, 'delete');
  if (hooks.length === 0) return;
  const log = (r: Record<string, unknown>) => {
    trail?.append(r);
    if (!rec?.auditLog) return;
    appendCallerLog('--audit-log', rec.auditLog, `{"container":${JSON.stringify(rec.id)},"planDigest":${JSON.stringify(rec.planDigest)},` + JSON.stringify(r).slice(1) + '\n');
  };
  runAll(hooks, undefined, log, warn);
}

/** Did any create-time hook run? Then a failed create continues at the spec's step 12: destroyed, then poststop. */
export function createHooksRan(plan: Plan, indices: Iterable<number>): boolean {
  for (const i of indices) if (plan.actions[i]?.op.startsWith('hook.')) return true;
  return false;
}
