// Crashes (issue 9): planc or its executor killed with SIGKILL at every step
// of create, start and delete; a full disk under --root; a cgroup write the
// kernel refuses with EPERM or ENOMEM. Afterwards `state` tells the truth and
// `delete --force` removes everything.
//
// The kills come from strace's fault injection (inject=SYSCALL:signal=KILL):
// the process dies on entering the chosen system call, so each step is hit
// exactly, without any fault-injection code in planc itself. The executor's
// steps are its audit records: it writes its header, then one record after
// each action, each with a writev of its own (planc's records are write()s),
// so dying at its K-th writev means dying right after action K-2 was
// applied, unrecorded.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodePlan, leftovers, NEEDS_ROOT, Planc, type Result, trailPath, variantInstall, waitFor } from '../helpers/planc.js';

const pc = new Planc();
// The executor's test build, which can pause before an action (PLANC_TEST_PAUSE_AT).
const faults = variantInstall('faults');
const fc = new Planc({ planc: faults.planc });
after(() => {
  pc.cleanup();
  fc.cleanup();
});
const skip = NEEDS_ROOT;

/** strace as a wrapper that kills the process entering `syscall` for the `when`-th time (per process). */
function killAt(syscall: string, when: number, opts: { follow?: boolean; path?: string } = {}): string[] {
  return ['strace', '-qq', '-o', '/dev/null', ...(opts.follow ? ['-f'] : []), ...(opts.path ? ['-P', opts.path] : []), '-e', `trace=${syscall}`, '-e', `inject=${syscall}:signal=KILL:when=${when}`, '--'];
}

/** What `state` says: a status, or the one error line. */
function stateOf(id: string): string {
  const r = pc.run(['state', id]);
  if (r.code === 0) return JSON.parse(r.stdout).status;
  assert.match(r.stderr, /^planc: [^\n]+\n$/, `state fails with one line: ${r.stderr}`);
  return r.stderr.trim();
}

/** The container's init, if its state names one: is it alive (not a zombie)? */
function initAlive(id: string): boolean {
  const r = pc.run(['state', id]);
  if (r.code !== 0) return false;
  const pid = JSON.parse(r.stdout).pid as number;
  if (!pid) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

/** After a crash: state is one of `allowed`, then delete --force leaves nothing. */
function recovers(id: string, bundle: string, allowed: RegExp, what: string): string {
  const st = stateOf(id);
  assert.match(st, allowed, `${what}: state says ${st}`);
  const d = pc.run(['delete', '--force', id]);
  assert.equal(d.code, 0, `${what}: delete --force: ${d.stderr}`);
  leftovers(pc.root, id, bundle);
  return st;
}

function killed(r: Result, what: string): void {
  assert.ok(r.code === 137 || r.signal === 'SIGKILL' || r.code === 1, `${what}: planc was killed or failed (code ${r.code}, signal ${r.signal}, stderr ${r.stderr})`);
}

test('the executor killed after each of its host-side actions, before recording it: planc removes everything', { skip }, async (t) => {
  const bundle = pc.bundle(['sleep', '100']);
  // The executor's first process (P) writes the trail's header, then applies and records the
  // host, clone and parent actions; strace counts writev calls per process, so P's K-th is its
  // header (K = 1) or its record K-1.
  const probe = pc.id(t);
  pc.ok(['create', '--bundle', bundle, probe]);
  const records = readFileSync(trailPath(pc.root, probe), 'utf8').trim().split('\n').slice(1).map((l) => JSON.parse(l));
  pc.ok(['delete', '--force', probe]);
  const hostSide = records.filter((r) => r.stage !== undefined && r.stage !== 'init').length;
  assert.ok(hostSide >= 10, `${hostSide} host-side records`);
  for (let k = 1; k <= hostSide + 1; k++) {
    const id = pc.id(t);
    const r = pc.run(['create', '--bundle', bundle, id], { wrap: killAt('writev', k, { follow: true, path: trailPath(pc.root, id, 1) }) });
    assert.equal(r.code, 1, `executor killed at its write ${k}: create must fail (stderr ${r.stderr})`);
    assert.match(r.stderr, /^planc: the executor exited with status 128 before the container was ready\n$/, `killed at write ${k}`);
    recovers(id, bundle, /container does not exist/, `executor killed at its write ${k}`);
  }
  console.log(`crash: executor killed at its header and after each of ${hostSide} host-side actions (unrecorded): nothing left behind`);
});

test('the executor (P, or the init C) killed while paused before each kind of action: planc removes everything', { skip }, async (t) => {
  const bundle = fc.bundle(['sleep', '100']);
  const probe = fc.id(t);
  fc.ok(['create', '--bundle', bundle, probe]);
  const plan = decodePlan(readFileSync(join(fc.root, probe, 'plan.msgpack')));
  fc.ok(['delete', '--force', probe]);
  // The first action of each op, in plan order: the faults build sleeps 10 s before it.
  // (Up to the wait for start: what comes after it runs at `start`, not during create.)
  const wait = plan.actions.findIndex((a) => a.op === 'execfifo.wait');
  const firsts = plan.actions.flatMap((a, i) => (i <= wait && plan.actions.findIndex((b) => b.op === a.op) === i ? [{ i, op: a.op, stage: a.stage }] : []));
  for (const { i, op, stage } of firsts) {
    const id = fc.id(t);
    faults.setEnv({ PLANC_TEST_PAUSE_AT: op });
    const p = fc.spawn(['create', '--bundle', bundle, id]);
    const audit = trailPath(fc.root, id, 1);
    // Paused: every action before it is recorded, and some executor process sleeps.
    await waitFor(`the records before ${op}`, () => existsSync(audit) && readFileSync(audit, 'utf8').trim().split('\n').length >= i + 1, 10_000);
    const sleeper = await waitFor(`an executor process paused before ${op}`, () => pausedExecutor(p.child.pid!), 10_000);
    process.kill(sleeper, 'SIGKILL');
    const r = await p.done;
    assert.equal(r.code, 1, `${op} (${stage}): ${r.stderr}`);
    assert.match(r.stderr, /^planc: [^\n]+\n$/);
    recovers(id, bundle, /container does not exist/, `executor killed before ${op}`);
  }
  console.log(`crash: executor killed paused before each of ${firsts.length} kinds of action (host, clone, parent and init), nothing left behind`);
});

/** A child of planc (the executor P, or the init C, which CLONE_PARENT makes planc's child too) asleep in the faults build's pause. */
function pausedExecutor(planc: number): number | undefined {
  const kids = readFileSync(`/proc/${planc}/task/${planc}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return kids.find((k) => {
    try {
      // clock_nanosleep (x86_64 230, aarch64 115), where sleep() waits.
      const nr = readFileSync(`/proc/${k}/syscall`, 'utf8').split(' ')[0];
      return nr === (process.arch === 'arm64' ? '115' : '230');
    } catch {
      return false;
    }
  });
}

test('planc killed at each of its own create steps: state tells the truth, delete --force removes the rest', { skip }, async (t) => {
  const bundle = pc.bundle(['sleep', '100']);
  // planc's steps: claim (mkdir, flock, renameat2), the plan written (rename 1), the way to the audit trail (rename 2),
  // the record saved (rename 3), the pid file (rename 4).
  // (The claim-stage kills come last: every create sweeps abandoned claims, so theirs must still be there at the end.)
  const steps: [string, number, RegExp][] = [
    ['rename', 1, /^creating$|container does not exist/],
    ['rename', 2, /^creating$/],
    ['rename', 3, /^creating$/],
    ['rename', 4, /^created$/],
    ['mkdir', 1, /container does not exist/],
    ['flock', 1, /container does not exist/],
    ['renameat2', 1, /container does not exist/],
  ];
  for (const [syscall, when, allowed] of steps) {
    const id = pc.id(t);
    const r = pc.run(['create', '--bundle', bundle, '--pid-file', join(pc.root, '..', `pid-${id}`), id], { wrap: killAt(syscall, when) });
    killed(r, `${syscall}#${when}`);
    recovers(id, bundle, allowed, `planc killed at ${syscall}#${when}`);
  }
  // An abandoned claim (killed between mkdir and rename) is swept by the next create.
  assert.ok(readdirSync(pc.root).some((n) => n.startsWith('.creating-')), 'the kills at mkdir/flock/renameat2 left claims behind');
  const next = pc.id(t);
  pc.ok(['create', '--bundle', bundle, next]);
  assert.deepEqual(readdirSync(pc.root).filter((n) => n.startsWith('.creating-')), [], 'abandoned claims are swept');
  pc.ok(['delete', '--force', next]);
  leftovers(pc.root, next, bundle);
});

test('planc killed while its executor runs: the container is `creating`, delete --force removes it', { skip }, async (t) => {
  const bundle = pc.bundle(['sleep', '100']);
  for (const lines of [3, 12, 25]) {
    const id = pc.id(t);
    const audit = trailPath(pc.root, id, 1);
    // The executor is slowed down by tracing every write; planc is killed once `lines` records exist.
    const p = pc.spawn(['create', '--bundle', bundle, id], { wrap: ['strace', '-qq', '-o', '/dev/null', '-f', '-e', 'trace=write,writev,mount', '-e', 'inject=mount:delay_exit=20000', '--'] });
    await waitFor(`${lines} audit lines`, () => existsSync(audit) && readFileSync(audit, 'utf8').split('\n').length > lines, 10_000);
    // strace's tracee, planc (which planned as node and applies as the native front, one process): strace's only child.
    const node = Number(execFileSync('pgrep', ['-P', String(p.child.pid)], { encoding: 'utf8' }).trim().split('\n')[0]);
    process.kill(node, 'SIGKILL');
    // The executor goes on without planc (its init then waits for start, still traced): the
    // container is `creating` — the record was never saved — until delete --force removes it.
    await waitFor('the executor to finish setting up', () => readFileSync(audit, 'utf8').includes('"op":"exec.check"'), 10_000);
    recovers(id, bundle, /^creating$/, `planc killed after ${lines} records`);
    await p.done;
  }
});

test('start killed before and after it released the container: state tells the truth', { skip }, async (t) => {
  const bundle = pc.bundle(['sleep', '100']);
  // Killed on taking the lock: nothing happened, the container still waits and can be started.
  const a = pc.id(t);
  pc.ok(['create', '--bundle', bundle, a]);
  killed(pc.run(['start', a], { wrap: killAt('flock', 1) }), 'start at flock');
  assert.equal(stateOf(a), 'created');
  pc.ok(['start', a]);
  await waitFor('running', () => stateOf(a) === 'running');
  recovers(a, bundle, /^running$/, 'start after a killed start');
  // Killed after the init read its byte, before the fifo was removed (the front removes it with unlinkat): it runs, and says so.
  const b = pc.id(t);
  pc.ok(['create', '--bundle', bundle, b]);
  killed(pc.run(['start', b], { wrap: killAt('unlinkat', 1) }), 'start at unlinkat');
  await waitFor('running despite the stale fifo', () => stateOf(b) === 'running');
  assert.ok(initAlive(b));
  const again = pc.run(['start', b]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already running/);
  recovers(b, bundle, /^running$/, 'start killed at unlinkat');
});

test('delete killed at each of its steps: state tells the truth, delete --force finishes', { skip }, async (t) => {
  const bundle = pc.bundle(['sleep', '100']);
  // delete's steps: the lock, the kill of the init, each cgroup removed, each state file removed, the directory.
  const steps: [string, number][] = [['flock', 1], ['kill', 1], ...[1, 2, 3, 4, 5, 6, 7, 8, 9].map((k) => ['rmdir', k] as [string, number]), ['unlink', 1], ['unlink', 2], ['unlink', 3]];
  for (const [syscall, when] of steps) {
    const id = pc.id(t);
    pc.ok(['run', '-d', '--bundle', bundle, id]);
    killed(pc.run(['delete', '--force', id], { wrap: killAt(syscall, when) }), `delete at ${syscall}#${when}`);
    const st = stateOf(id);
    // Truthful: still running (killed before its kill), stopped, or gone.
    if (st === 'running') assert.ok(initAlive(id), `${syscall}#${when}: running means its init lives`);
    else assert.match(st, /^stopped$|container does not exist|^creating$/, `${syscall}#${when}: ${st}`);
    recovers(id, bundle, /./, `delete killed at ${syscall}#${when}`);
  }
});

test('a full disk under --root: create fails with one line and leaves nothing', { skip }, (t) => {
  const mnt = mkdtempSync(join(tmpdir(), 'planc-it-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'planc-full', mnt]);
  t.after(() => {
    execFileSync('umount', [mnt]);
    rmSync(mnt, { recursive: true, force: true });
  });
  const root = join(mnt, 'root');
  mkdirSync(root, { mode: 0o700 });
  // Fill it up: the plan (tens of KiB) cannot be written.
  try {
    writeFileSync(join(mnt, 'fill'), Buffer.alloc(1 << 20));
  } catch {
    // ENOSPC: full, as wanted
  }
  const bundle = pc.bundle(['true']);
  const id = pc.id(t);
  const r = pc.run(['--root', root, 'create', '--bundle', bundle, id], { noRoot: true });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^planc: [^\n]*no space left on device[^\n]*\n$/i);
  leftovers(root, id, bundle);
  rmSync(join(mnt, 'fill'));
  // With room again, the same root works.
  pc.ok(['--root', root, 'create', '--bundle', bundle, id], { noRoot: true });
  pc.ok(['--root', root, 'delete', '--force', id], { noRoot: true });
  leftovers(root, id, bundle);
});

for (const errno of ['EPERM', 'ENOMEM']) {
  test(`a cgroup write the kernel refuses with ${errno}: one line naming the setting, nothing left`, { skip }, (t) => {
    const bundle = pc.bundle(['true'], (c) => (c.linux.resources = { ...c.linux.resources, memory: { limit: 64 << 20 } }));
    const id = pc.id(t);
    const file = `/sys/fs/cgroup/memory/planc/${id}/memory.limit_in_bytes`;
    const r = pc.run(['create', '--bundle', bundle, id], { wrap: ['strace', '-qq', '-o', '/dev/null', '-f', '-P', file, '-e', 'trace=write', '-e', `inject=write:error=${errno}`, '--'] });
    assert.equal(r.code, 1, r.stderr);
    const words = errno === 'EPERM' ? 'operation not permitted' : 'cannot allocate memory';
    assert.match(r.stderr, new RegExp(`^planc: [^\\n]*config\\.json: /linux/resources/memory/limit: cgroup write "memory\\.limit_in_bytes" = "67108864": ${words}\\n$`));
    assert.match(stateOf(id), /container does not exist/);
    leftovers(pc.root, id, bundle);
  });
}
