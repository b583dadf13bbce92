// Applying a create plan: spawn the native executor (planc-exec), hand it the
// plan over a pipe, turn its reports into progress, and on any failure undo
// everything (see PROTOCOL.md for the fds and the report lines).
import { spawn } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import type { Plan } from '../schemas/generated/plan.js';
import { PlancError } from '../schemas/error.js';
import { exportAudit } from './audit-log.js';
import { destroy } from './lifecycle.js';
import { procStat } from './proc.js';
import { type ContainerRecord, saveRecord, stateDir, writeAtomic } from './state.js';

export const EXECUTOR_PATH = new URL('../build/planc-exec', import.meta.url).pathname;

export interface CreateOptions {
  root: string;
  preserveFds: number;
  annotations?: Record<string, string>;
  /** --audit-log FILE (absolute): also copy audit records there, tagged with the container. */
  auditLog?: string;
}

interface Report {
  i?: number;
  r?: 'ok' | 'skipped' | 'error';
  errno?: number;
  msg?: string;
  pid?: number;
  ready?: number;
}

/**
 * Create the container described by `plan` (whose state dir is already claimed).
 * Resolves with the saved record once the init is ready; rejects after cleaning up.
 */
export interface Created {
  record: ContainerRecord;
  /** The container's exit status, for a foreground run (the executor waits and exits with it). */
  exited: Promise<number | null>;
}

export async function applyCreate(plan: Plan, bytes: Uint8Array, digest: string, opts: CreateOptions): Promise<Created> {
  const dir = stateDir(opts.root, plan.containerId);
  writeAtomic(`${dir}/plan.msgpack`, bytes);
  const auditPath = `${dir}/audit.jsonl`;
  writeFileSync(auditPath, JSON.stringify({ planDigest: digest, containerId: plan.containerId, actions: plan.actions.length }) + '\n', { mode: 0o600 });
  const auditFd = openSync(auditPath, 'a');

  const n = opts.preserveFds;
  const preserved = Array.from({ length: n }, (_, k) => 3 + k);
  const child = spawn(EXECUTOR_PATH, [], {
    stdio: ['inherit', 'inherit', 'inherit', ...preserved, 'pipe', 'pipe', auditFd],
    // The executor gets no host environment: the container's comes from the plan.
    env: {
      PLANC_PLAN_FD: String(3 + n),
      PLANC_REPORT_FD: String(4 + n),
      PLANC_AUDIT_FD: String(5 + n),
      PLANC_PRESERVE_FDS: String(n),
    },
  });
  closeSync(auditFd);

  let pid = 0;
  let ready = false;
  let failure: Report | null = null;
  let interrupted: string | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupted = sig;
    child.kill('SIGKILL');
    if (pid > 0) process.kill(pid, 'SIGKILL');
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);

  const reports = child.stdio[4 + n] as Readable;
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code, sig) => resolve(code ?? (sig ? 128 : null))));
  const spawnError = new Promise<Error>((resolve) => child.on('error', resolve));
  const planPipe = child.stdio[3 + n] as Writable;
  planPipe.on('error', () => {}); // an executor that died early is reported through its exit, not EPIPE
  planPipe.end(bytes);

  let buffered = '';
  reports.setEncoding('utf8');
  for await (const chunk of reports as AsyncIterable<string>) {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (!line) continue;
      const rep = JSON.parse(line) as Report;
      if (rep.pid) pid = rep.pid;
      if (rep.ready) ready = true;
      if (rep.r === 'error' && !failure) failure = rep;
    }
  }
  // A foreground executor stays to wait for the init (PROTOCOL.md): once it is ready, its exit is the container's.
  const foreground = plan.actions.some((a) => a.op === 'clone' && a.parent === 'executor');
  const code = ready && foreground && !interrupted && !failure ? 0 : await Promise.race([exited, spawnError.then((e) => e)]);
  for (const s of signals) process.off(s, onSignal);

  if (code instanceof Error) {
    destroy(opts.root, plan.containerId, null);
    throw new PlancError('system', `cannot run the executor ${EXECUTOR_PATH}: ${code.message}`);
  }
  if (ready && code === 0 && !interrupted) {
    const rec: ContainerRecord = {
      ociVersion: plan.ociVersion,
      id: plan.containerId,
      pid,
      startTime: procStat(pid)?.startTime ?? '',
      bundle: plan.bundle,
      rootfs: plan.rootfs,
      created: new Date().toISOString(),
      owner: userInfo().username,
      ...(opts.annotations && Object.keys(opts.annotations).length > 0 ? { annotations: opts.annotations } : {}),
      planDigest: digest,
      cgroupPaths: plan.cgroupPaths,
      pidNamespace: plan.namespaces.some((ns) => ns.type === 'pid'),
      ...(opts.auditLog ? { auditLog: opts.auditLog } : {}),
    };
    saveRecord(opts.root, rec);
    exportAudit(opts.root, rec);
    return { record: rec, exited };
  }

  // Undo: the init (if it exists) is our child through CLONE_PARENT, so we reap it here.
  const { reapSync } = await import('./sys.js');
  destroy(opts.root, plan.containerId, { pid, startTime: pid > 0 ? procStat(pid)?.startTime ?? '' : '', cgroupPaths: plan.cgroupPaths }, reapSync);
  if (interrupted) throw new PlancError('system', `create interrupted by ${interrupted}; everything it set up was removed`);
  const f: Report = failure ?? {};
  const action = f.i !== undefined ? plan.actions[f.i] : undefined;
  if (action) {
    const where = action.why.startsWith('/') ? action.why : undefined;
    throw new PlancError('exec-failed', f.msg ?? `${action.op} failed`, { where, errno: f.errno });
  }
  throw new PlancError('exec-failed', `the executor exited with status ${code} before the container was ready`);
}
