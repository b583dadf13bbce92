// cgroup.create and cgroups that already exist: planc never shares a cgroup
// with processes it did not start (its teardown kills a cgroup's members), and
// its audit record says which directory it used and whether it made it.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cgroupHierarchies, leftovers, NEEDS_ROOT, Planc, verifyAudit, waitFor } from '../helpers/planc.js';

const skip = NEEDS_ROOT;
const pc = new Planc();
after(() => pc.cleanup());

// The container's memory cgroup as the planner places it (the default cgroupsPath, v1).
const memcg = (id: string) => `/sys/fs/cgroup/memory/planc/${id}`;
const procsOf = (dir: string) => readFileSync(`${dir}/cgroup.procs`, 'utf8').split('\n').filter(Boolean).map(Number);

/** A process planc did not start, placed in `dir` (made here); killed and removed after the test. */
function foreignIn(t: { after: (fn: () => void) => void }, dir: string): ChildProcess {
  mkdirSync(dir, { recursive: true });
  const sleeper = spawn('sleep', ['1000'], { stdio: 'ignore' });
  t.after(() => {
    sleeper.kill('SIGKILL');
    // The cgroup empties once the kill is delivered; only then can it go.
    for (let k = 0; k < 2000 && existsSync(dir); k++) {
      try {
        rmdirSync(dir);
      } catch {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
      }
    }
  });
  writeFileSync(`${dir}/cgroup.procs`, String(sleeper.pid));
  return sleeper;
}

test('a cgroup at the planned path that already has a process: create refuses, the process is untouched', { skip }, async (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['true']);
  const dir = memcg(id);
  const sleeper = foreignIn(t, dir);
  await waitFor('the sleeper in its cgroup', () => procsOf(dir).includes(sleeper.pid!));

  const r = pc.run(['create', '--bundle', bundle, id]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^planc: [^\n]+\n$/, `one error line: ${r.stderr}`);
  assert.ok(
    r.stderr.includes(`config.json: /linux/cgroupsPath: create cgroup "${dir}": it already has 1 process; planc does not share a cgroup with processes it did not start`),
    r.stderr,
  );
  // The foreign process lives on, still in its cgroup, which still exists.
  assert.equal(sleeper.exitCode, null, 'the foreign process was not killed');
  assert.equal(sleeper.signalCode, null, 'the foreign process was not killed');
  process.kill(sleeper.pid!, 0);
  assert.deepEqual(procsOf(dir), [sleeper.pid], 'the foreign process is still in its cgroup');
  // Nothing else: no state dir, no other cgroup of the id (the foreign one is the test's own).
  assert.ok(!existsSync(`${pc.root}/${id}`), 'no state dir');
  const others = ['cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'blkio', 'pids', 'systemd'].map((c) => `/sys/fs/cgroup/${c}/planc/${id}`).filter(existsSync);
  assert.deepEqual(others, [], 'the cgroups planc made before the refusal are removed');

  sleeper.kill('SIGKILL');
  await waitFor('the sleeper to leave its cgroup', () => !procsOf(dir).includes(sleeper.pid!));
  rmdirSync(dir);
  leftovers(pc.root, id, bundle);
});

test('an empty cgroup at the planned path is joined, and its record says planc did not make it', { skip }, async (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['sleep', '100']);
  const dir = memcg(id);
  mkdirSync(dir, { recursive: true });
  t.after(() => existsSync(dir) && rmdirSync(dir));
  const ino = statSync(dir).ino;

  pc.ok(['create', '--bundle', bundle, id]);
  const pid = pc.state(id).pid;
  assert.deepEqual(procsOf(dir), [pid], 'the init is in the cgroup that was there');
  const { plan, records } = verifyAudit(pc.root, id, { expect: 'created' });
  const creates = records.filter((r) => r.op === 'cgroup.create');
  assert.ok(creates.length >= 2, 'one cgroup.create per hierarchy');
  for (const rec of creates) {
    const path = plan.actions[rec.i]!.path as string;
    assert.equal(rec.r, 'ok');
    assert.equal(rec.ino, statSync(path).ino, `${path}: the record names the directory's inode`);
    assert.equal(rec.made, path !== dir, `${path}: made by planc unless it was there before`);
  }
  assert.equal(creates.find((r) => plan.actions[r.i]!.path === dir)?.ino, ino);

  pc.ok(['delete', '--force', id]);
  if (existsSync(dir)) rmdirSync(dir); // the test's own cgroup (planc may rightly leave it)
  leftovers(pc.root, id, bundle);
});

const STRACE = ['/usr/bin/strace', '/bin/strace'].find((p) => existsSync(p));

test('the init moves itself into its cgroups: the executor opens each tasks file before the clone, the init writes 0 to each, nobody writes cgroup.procs', { skip }, (t) => {
  assert.ok(STRACE, 'strace is installed (scripts/setup.sh installs it)');
  const id = pc.id(t);
  // No cgroup namespace, so the init's /proc/self/cgroup shows host paths; a run, so strace ends with it.
  const bundle = pc.bundle(['cat', '/proc/self/cgroup'], (c) => {
    c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== 'cgroup');
  });
  const dir = pc.scratchPath(`${id}-strace`);
  mkdirSync(dir);
  // -ff: one log per process, so no call is split across lines.
  const r = pc.ok(['run', '--bundle', bundle, id], { wrap: [STRACE!, '-ff', '-qq', '-e', 'trace=openat,write,clone3', '-e', 'signal=none', '-o', join(dir, 'log'), '--'] });
  const logs = new Map(readdirSync(dir).map((f) => [Number(f.split('.')[1]), readFileSync(join(dir, f), 'utf8').split('\n')]));

  const { plan, records } = verifyAudit(pc.root, id, { expect: 'closed' });
  const joins = plan.actions.filter((a) => a.op === 'cgroup.join');
  const v1 = cgroupHierarchies().filter((h) => h.version === 1);
  assert.equal(joins.length, v1.length, 'one join per v1 hierarchy of this host');
  assert.ok(joins.every((a) => a.stage === 'init'), 'the joins are the init\'s actions');
  assert.ok(records.filter((r) => r.op === 'cgroup.join').every((r) => r.r === 'ok' && r.stage === 'init'));

  // P: the process whose clone3 made new namespaces; the init: what it returned.
  const cloning = [...logs].filter(([, lines]) => lines.some((l) => /^clone3\(\{flags=[^}]*CLONE_NEWPID/.test(l)));
  assert.equal(cloning.length, 1, 'one process cloned the init');
  const [, pLines] = cloning[0]!;
  const cloneAt = pLines.findIndex((l) => /^clone3\(\{flags=[^}]*CLONE_NEWPID/.test(l));
  const init = Number(/= (\d+)$/.exec(pLines[cloneAt]!)![1]);
  const opened = pLines.slice(0, cloneAt).flatMap((l) => {
    const m = /^openat\(\d+, "tasks", O_WRONLY\|O_NOFOLLOW\|O_CLOEXEC\) += (\d+)$/.exec(l);
    return m ? [m[1]!] : [];
  });
  assert.equal(opened.length, joins.length, `the executor opened one tasks file per cgroup before the clone:\n${pLines.join('\n')}`);
  const written = (logs.get(init) ?? []).flatMap((l) => {
    const m = /^write\((\d+), "0", 1\) += 1$/.exec(l);
    return m ? [m[1]!] : [];
  });
  assert.deepEqual(written, opened, 'the init wrote 0 to each of them, in plan order');
  const procsWrites = [...logs.values()].flat().filter((l) => /cgroup\.procs", O_(WRONLY|RDWR)/.test(l));
  assert.deepEqual(procsWrites, [], 'no cgroup.procs is opened for writing');

  // And it got there: the container's process names its own cgroup in every v1 hierarchy.
  const own = r.stdout.split('\n').filter((l) => /^\d+:[^:]+:/.test(l) && !l.startsWith('0::'));
  assert.equal(own.length, v1.length, r.stdout);
  for (const line of own) assert.ok(line.endsWith(`/planc/${id}`), `the process is in its cgroup: ${line}`);
  leftovers(pc.root, id, bundle);
});
