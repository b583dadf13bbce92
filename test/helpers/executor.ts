// Running an executor binary directly, with a plan the test wrote.
//
// The planner refuses configs whose plan would be dangerous, but the executor
// must not depend on that: whoever can hand it a plan (a planner bug, a
// planted plan, another caller) gets only what the executor itself checks.
// These helpers let a test take the real plan planc makes for a bundle, change
// it, and run build/planc-exec (or a build/test/ variant) on it exactly as
// planc does (executor/PROTOCOL.md): plan pipe, report pipe, audit fd,
// PLANC_* variables; then release the init through the exec fifo, wait for it,
// and tear everything down so `leftovers()` can check nothing is left.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import assert from 'node:assert/strict';
import type { Action, Plan } from '../../schemas/generated/plan.js';
import { decodePlan, encodePlan } from '../../planner/encode.js';
import { type AuditRecord, EXECUTOR, type Planc, waitFor } from './planc.js';

/** A test build of the executor (executor/native/build.sh writes them beside the installed one). */
export function testExecutor(variant: string): string {
  const path = join(dirname(EXECUTOR), 'test', `planc-exec-${variant}`);
  if (!existsSync(path)) throw new Error(`no test executor ${path} (run \`node scripts/build.mjs\`)`);
  return path;
}

/** The plan planc makes for `bundle` as container `id` in world `pc` (`planc plan --format msgpack`), decoded. */
export function planOf(pc: Planc, bundle: string, id: string): Plan {
  const file = pc.scratchPath(`plan-${id}.msgpack`);
  pc.ok(['plan', '--bundle', bundle, '--id', id, '--format', 'msgpack', '-o', file]);
  const plan = decodePlan(readFileSync(file));
  rmSync(file);
  return plan;
}

/** `plan` with `action` inserted after the last action `after` matches (a copy; the plan is not changed). */
export function insertAction(plan: Plan, after: (a: Action) => boolean, action: Action): Plan {
  let k = plan.actions.length - 1;
  while (k >= 0 && !after(plan.actions[k]!)) k--;
  assert.ok(k >= 0, 'no action to insert after');
  return { ...plan, actions: [...plan.actions.slice(0, k + 1), action, ...plan.actions.slice(k + 1)] };
}

/** One report line (PROTOCOL.md): an action's result, or the init's pid, or ready. */
export type ReportLine = Partial<AuditRecord> & { pid?: number; ready?: number };

export interface DirectRun {
  /** The executor's exit status (128 + signal if it was killed). */
  code: number | null;
  /** Every report line, in the order received. */
  reports: ReportLine[];
  /** The init's pid (0: never cloned). */
  pid: number;
  /** The init reported ready and was released through the exec fifo. */
  started: boolean;
  /** What the container wrote to its stdout; its stderr with the executor's own. */
  stdout: string;
  stderr: string;
  /** The audit trail the executor wrote (its header line first). */
  audit: string;
  /** The msgpack bytes the executor was handed. */
  planBytes: Uint8Array;
}

/**
 * Run `binary` on `plan` as `planc create` would, then start the container and
 * wait for its init to exit; always tear down what the executor made (the
 * cgroups it reported as made, with whatever lives in them, and the plan's
 * state dir) before returning, pass or fail.
 *
 * The executor runs under `sh -c`: the init is cloned with CLONE_PARENT (a child
 * of the executor's caller), and a caller that outlives it must reap it; Node
 * reaps only the children it spawned, so the test process would collect zombies.
 * sh exits with the executor, as planc does, and the init is reparented. sh gets
 * its own process group, so a hung run is killed as a whole after `timeout` ms.
 */
export async function runPlan(binary: string, plan: Plan, opts: { timeout?: number } = {}): Promise<DirectRun> {
  const timeout = opts.timeout ?? 10_000;
  const planBytes = encodePlan(plan);
  const fifo = plan.actions.find((a) => a.op === 'execfifo.create')?.path;
  assert.ok(fifo, 'the plan has no exec fifo (not a create plan)');
  // What planc prepares before the executor runs: the state dir and an empty audit trail, open for
  // reading and appending (the executor writes its header and chains its records: PROTOCOL.md).
  mkdirSync(plan.stateDir, { recursive: true, mode: 0o700 });
  const auditPath = join(plan.stateDir, 'audit.jsonl');
  writeFileSync(auditPath, '', { mode: 0o600 });
  const out = mkdtempSync(join(tmpdir(), 'planc-exec-direct-'));
  const fds = [openSync(join(out, 'stdout'), 'w'), openSync(join(out, 'stderr'), 'w'), openSync(auditPath, 'a+')] as const;
  const run: DirectRun = { code: null, reports: [], pid: 0, started: false, stdout: '', stderr: '', audit: '', planBytes };
  try {
    const child = spawn('/bin/sh', ['-c', '"$0"; exit $?', binary], {
      stdio: ['ignore', fds[0], fds[1], 'pipe', 'pipe', fds[2]],
      env: { PLANC_PLAN_FD: '3', PLANC_REPORT_FD: '4', PLANC_AUDIT_FD: '5', PLANC_PRESERVE_FDS: '0' },
      detached: true,
    });
    const exited = new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code, sig) => resolve(code ?? (sig ? 128 : null)));
    });
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), timeout);
    try {
      const planPipe = child.stdio[3] as Writable;
      planPipe.on('error', () => {}); // an executor that died early shows in its exit status
      planPipe.end(planBytes);
      for await (const line of createInterface({ input: child.stdio[4] as Readable })) {
        if (!line) continue;
        const rep = JSON.parse(line) as ReportLine;
        if (rep.pid) run.pid = rep.pid;
        run.reports.push(rep);
      }
      run.code = await exited;
    } finally {
      clearTimeout(timer);
    }
    if (run.reports.some((r) => r.ready)) {
      await release(fifo, run.pid, timeout, auditPath, plan.actions.findIndex((a) => a.op === 'exec'));
      run.started = true;
    }
    if (run.pid > 0) await waitFor(`the init ${run.pid} to exit`, () => !alive(run.pid), timeout);
  } finally {
    fds.forEach((fd) => closeSync(fd));
    run.stdout = readFileSync(join(out, 'stdout'), 'utf8');
    run.stderr = readFileSync(join(out, 'stderr'), 'utf8');
    run.audit = readFileSync(auditPath, 'utf8');
    rmSync(out, { recursive: true, force: true });
    await teardown(plan, run.reports);
  }
  return run;
}

/**
 * `planc start`: read the init's byte from the exec fifo (non-blocking: the init may have died),
 * then its exec's status until the fifo closes, and confirm the pending exec in the trail as
 * `planc start` does (PROTOCOL.md, "The exec, confirmed").
 */
async function release(fifo: string, pid: number, timeout: number, auditPath: string, exec: number): Promise<void> {
  const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const said: number[] = [];
  try {
    const buf = Buffer.alloc(64);
    let first = false;
    await waitFor(`the init ${pid} to write the exec fifo and exec`, () => {
      let n: number;
      try {
        n = readSync(fd, buf);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
        n = -1;
      }
      if (n > 0) {
        said.push(...buf.subarray(first ? 0 : 1, n));
        first = true;
        return false;
      }
      if (n === 0 && first) return true; // every writer gone: the exec closed its end
      assert.ok(first || alive(pid), `the init ${pid} exited before it was started`);
      return false;
    }, timeout);
  } finally {
    closeSync(fd);
  }
  unlinkSync(fifo);
  // 'X' + the chain's head (36 bytes), and nothing after it: the execve took place.
  if (said.length !== 37 || said[0] !== 'X'.charCodeAt(0)) return;
  const text = readFileSync(auditPath);
  const lines = text.toString('utf8').trimEnd().split('\n');
  const prev = createHash('sha256').update(lines.at(-1)!).digest('hex');
  appendFileSync(auditPath, JSON.stringify({ n: lines.length, i: exec, op: 'exec', stage: 'init', r: 'ok', t: Date.now() * 1000, by: 'start', prev }) + '\n');
}

/** Kill what lives in the cgroups the executor reported it made, remove them, remove the state dir. */
async function teardown(plan: Plan, reports: ReportLine[]): Promise<void> {
  const made = reports.flatMap((r) => {
    const a = r.i === undefined ? undefined : plan.actions[r.i];
    return a?.op === 'cgroup.create' && r.r === 'ok' && r.made === true ? [a.path] : [];
  });
  const members = () => made.flatMap((dir) => {
    try {
      return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  });
  await waitFor(`the cgroups ${made.join(', ')} to empty`, () => {
    const left = members().filter((p) => p > 1 && p !== process.pid);
    for (const p of left) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // exited meanwhile
      }
    }
    return left.length === 0;
  }, 5000);
  for (const dir of made) {
    // A cgroup whose last process just exited can be busy for a moment.
    await waitFor(`rmdir ${dir}`, () => {
      try {
        rmdirSync(dir);
        return true;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return true;
        if (code === 'EBUSY') return false;
        throw e;
      }
    }, 5000);
  }
  rmSync(plan.stateDir, { recursive: true, force: true });
}

/** Is `pid` a live process (not a zombie)? */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}
