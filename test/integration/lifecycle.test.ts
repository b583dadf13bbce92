// Container lifecycle through the CLI: run, create/start/state/kill/delete, list.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cgroupDir, cgroupDirsOf, cgroupHierarchies, gated, leftovers, NEEDS_ROOT, Planc, uniqueId, verifyAudit, verifyStartedAudit, waitFor } from '../helpers/planc.js';

const pc = new Planc();
after(() => pc.cleanup());
const skip = NEEDS_ROOT;

const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !['Z', 'X'].includes(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]!);
  } catch {
    return false;
  }
};

test('run: exits with the container status (sh -c "exit 3" → 3)', { skip }, async (t) => {
  const id = pc.id(t);
  // This bundle is made by make-bundle.sh with the args on its command line.
  const bundle = pc.bundle(['sh', '-c', 'exit 3'], undefined, { fresh: true });
  const plain = pc.run(['run', '--bundle', bundle, id]);
  assert.equal(plain.code, 3, `run exit code (stderr: ${plain.stderr})`);
  assert.equal(plain.stderr, '');
  leftovers(pc.root, id, bundle);

  // The same through the gate, so the audit of the run can be checked while it is alive.
  const id2 = pc.id(t);
  const b2 = pc.bundle(gated('exit 3'));
  const r = await pc.runGated(id2, b2);
  assert.equal(r.code, 3, `gated run exit code (stderr: ${r.stderr})`);
  assert.ok(r.audit, 'the run was audited');
  leftovers(pc.root, id2, b2);
});

test('run: the container status 0 and stdout/stderr pass through', { skip }, async (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(gated('echo hello; echo oops >&2'));
  const r = await pc.runGated(id, bundle);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'hello\n');
  assert.equal(r.stderr, 'oops\n');
  leftovers(pc.root, id, bundle);
});

test('create → state created → start → running → kill KILL → stopped (pid 0) → delete → nothing left', { skip }, async (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['sleep', '100']);
  const pidFile = join(bundle, 'container.pid');
  const c = pc.ok(['create', '--bundle', bundle, '--pid-file', pidFile, id]);
  assert.equal(c.stdout, '');
  assert.equal(c.stderr, '');

  const created = pc.state(id);
  assert.equal(created.status, 'created');
  assert.equal(created.id, id);
  assert.equal(created.bundle, bundle);
  assert.equal(created.rootfs, join(bundle, 'rootfs'));
  assert.equal(created.ociVersion, '1.2.0');
  assert.equal(created.owner, 'root');
  assert.match(String(created.created), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/, 'created is RFC 3339');
  assert.ok(!('annotations' in created), 'annotations omitted when empty');
  assert.ok(Number.isInteger(created.pid) && created.pid > 0, `pid ${created.pid}`);
  assert.ok(alive(created.pid), 'the init of a created container is alive');

  const pidText = readFileSync(pidFile, 'utf8');
  assert.match(pidText, /^[0-9]+$/, `pid file is a bare decimal pid without newline: ${JSON.stringify(pidText)}`);
  assert.equal(Number(pidText), created.pid);
  assert.ok(existsSync(pc.stateFiles(id).fifo), 'exec.fifo exists while created');
  verifyAudit(pc.root, id, { expect: 'created' });
  // The init waits inside the container's cgroup already (conmon opens memory.oom_control at create).
  assert.ok(readFileSync(cgroupDir('memory', `planc/${id}/cgroup.procs`), 'utf8').split('\n').includes(String(created.pid)));

  pc.ok(['start', id]);
  assert.equal(pc.state(id).status, 'running');
  assert.equal(pc.state(id).pid, created.pid);
  assert.ok(!existsSync(pc.stateFiles(id).fifo), 'start removes exec.fifo');
  await verifyStartedAudit(pc.root, id);

  pc.ok(['kill', id, 'KILL']);
  await pc.waitExited(created.pid);
  const stopped = pc.state(id);
  assert.equal(stopped.status, 'stopped');
  assert.equal(stopped.pid, 0);

  pc.finish(id, bundle);
  const gone = pc.run(['state', id]);
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /container does not exist/);
});

for (const sig of ['9', 'KILL', 'SIGKILL']) {
  test(`kill accepts the signal as ${JSON.stringify(sig)}`, { skip }, async (t) => {
    const id = pc.id(t);
    const bundle = pc.bundle(['sleep', '100']);
    pc.ok(['run', '--detach', '--bundle', bundle, id]);
    const { pid, status } = pc.state(id);
    assert.equal(status, 'running');
    await verifyStartedAudit(pc.root, id);
    const k = pc.run(['kill', id, sig]);
    assert.equal(k.code, 0, k.stderr);
    assert.equal(k.stderr, '');
    // sleep as pid 1 of a pid namespace ignores TERM: only a real SIGKILL stops it.
    await pc.waitExited(pid, 5000);
    assert.equal(pc.state(id).status, 'stopped');
    pc.finish(id, bundle);
  });
}

test('delete of a running container needs --force; without it exit 1 and the container survives', { skip }, async (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['sleep', '100']);
  pc.ok(['run', '-d', '--bundle', bundle, id]);
  await verifyStartedAudit(pc.root, id);
  const { pid } = pc.state(id);

  const d = pc.run(['delete', id]);
  assert.equal(d.code, 1);
  assert.match(d.stderr, /^planc: [^\n]*running[^\n]*\n$/, `one error line naming the state: ${d.stderr}`);
  assert.equal(pc.state(id).status, 'running');
  assert.ok(alive(pid), 'the init survived a refused delete');
  assert.ok(existsSync(cgroupDir('memory', `planc/${id}`)), 'its cgroup survived too');

  const f = pc.run(['delete', '--force', id]);
  assert.equal(f.code, 0, f.stderr);
  assert.ok(!alive(pid), 'delete --force killed the init');
  leftovers(pc.root, id, bundle);
});

test('delete --force of an unknown id exits 0, twice in a row', { skip }, () => {
  const id = uniqueId('never');
  for (let k = 0; k < 2; k++) {
    const r = pc.run(['delete', '--force', id]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, '');
  }
  const plain = pc.run(['delete', id]);
  assert.equal(plain.code, 1, 'without --force an unknown id is an error');
});

test('list: null with no containers, an array / ids / a table otherwise', { skip }, async (t) => {
  const own = new Planc(); // an empty root of its own
  const a = own.id(t, 'list-a');
  const b = own.id(t, 'list-b');
  t.after(() => own.cleanup()); // after hooks run in order: the force-deletes above first
  const empty = own.ok(['list', '--format', 'json']);
  assert.equal(empty.stdout.trim(), 'null');
  assert.equal(own.ok(['list', '-q']).stdout, '');

  const bundle = own.bundle(['sleep', '100']);
  own.ok(['create', '--bundle', bundle, a]);
  own.ok(['run', '-d', '--bundle', bundle, b]);
  await verifyStartedAudit(own.root, b);

  const json = JSON.parse(own.ok(['list', '--format', 'json']).stdout);
  assert.ok(Array.isArray(json));
  assert.deepEqual(json.map((s: { id: string }) => s.id).sort(), [a, b].sort());
  type S = { id: string; status: string; pid: number; bundle: string };
  const byId: Record<string, S> = Object.fromEntries(json.map((s: S) => [s.id, s]));
  assert.equal(byId[a]?.status, 'created');
  assert.equal(byId[b]?.status, 'running');
  assert.equal(byId[a]?.pid, own.state(a).pid);
  assert.equal(byId[a]?.bundle, bundle);

  assert.deepEqual(own.ok(['list', '-q']).stdout.split('\n').filter(Boolean).sort(), [a, b].sort());
  const table = own.ok(['list']).stdout.split('\n').filter(Boolean);
  assert.match(table[0]!, /^ID\s+PID\s+STATUS\s+BUNDLE\s+CREATED\s+OWNER\s*$/);
  assert.equal(table.length, 3);
  assert.ok(table.some((l) => l.startsWith(a + ' ') && /\bcreated\b/.test(l)));

  own.ok(['delete', '--force', a]);
  own.ok(['delete', '--force', b]);
  assert.equal(own.ok(['list', '--format', 'json']).stdout.trim(), 'null');
  leftovers(own.root, a, bundle);
  leftovers(own.root, b, bundle);
});

test('run --detach returns while the container runs', { skip }, async (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['sleep', '100']);
  const started = Date.now();
  const r = pc.run(['run', '--detach', '--bundle', bundle, id], { timeout: 10_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(Date.now() - started < 10_000, 'run -d did not wait for the container');
  const st = pc.state(id);
  assert.equal(st.status, 'running');
  assert.ok(alive(st.pid));
  await verifyStartedAudit(pc.root, id);
  pc.ok(['delete', '--force', id]);
  leftovers(pc.root, id, bundle);
});

test('a container that exits by itself is stopped, and delete (no --force) removes it', { skip }, async (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['sh', '-c', 'echo done']);
  const out = await pc.createStartWait(id, bundle);
  assert.equal(out.stdout, 'done\n', 'the container writes to create\'s stdout');
  const st = pc.state(id);
  assert.equal(st.status, 'stopped');
  assert.equal(st.pid, 0);
  pc.finish(id, bundle);
});

test('two containers created concurrently both work', { skip }, async (t) => {
  const ids = [pc.id(t, 'conc'), pc.id(t, 'conc')];
  const bundles = [pc.bundle(['sh', '-c', 'echo one']), pc.bundle(['sh', '-c', 'echo two'])];
  const creates = ids.map((id, k) => pc.spawn(['create', '--bundle', bundles[k]!, id]));
  const results = await Promise.all(creates.map((c) => c.done));
  for (const r of results) assert.equal(r.code, 0, r.stderr);
  const states = ids.map((id) => pc.state(id));
  for (const s of states) assert.equal(s.status, 'created');
  assert.notEqual(states[0]!.pid, states[1]!.pid);
  for (const id of ids) verifyAudit(pc.root, id, { expect: 'created' });
  for (const id of ids) pc.ok(['start', id]);
  for (const s of states) await pc.waitExited(s.pid);
  for (const id of ids) await verifyStartedAudit(pc.root, id);
  await waitFor('both outputs', () => readFileSync(creates[0]!.stdoutFile, 'utf8') && readFileSync(creates[1]!.stdoutFile, 'utf8'));
  assert.equal(readFileSync(creates[0]!.stdoutFile, 'utf8'), 'one\n');
  assert.equal(readFileSync(creates[1]!.stdoutFile, 'utf8'), 'two\n');
  ids.forEach((id, k) => pc.finish(id, bundles[k]));
});

test('leftovers() sees every trace of a live container (so its "nothing left" means something)', { skip }, async (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['sleep', '100']);
  pc.ok(['run', '-d', '--bundle', bundle, id]);
  await verifyStartedAudit(pc.root, id);
  assert.throws(() => leftovers(pc.root, id, bundle), /state dir/);
  rmSync(join(pc.root, id), { recursive: true }); // pretend the state is gone: the cgroups are still there
  assert.throws(() => leftovers(pc.root, id, bundle), /cgroup dirs left behind/);
  // Clean up by hand, as delete --force can no longer find it.
  const pid = Number(readFileSync(cgroupDir('pids', `planc/${id}/cgroup.procs`), 'utf8').trim());
  assert.ok(pid > 0);
  process.kill(pid, 'SIGKILL');
  await pc.waitExited(pid);
  for (const d of cgroupDirsOf(id)) rmdirSync(d);
  leftovers(pc.root, id, bundle);
  // Strays anywhere under --root: a file naming the id, an atomic write's temp file, a lock.
  for (const [name, why] of [[`sub/${id}.pid`, `names ${id}`], ['state.json.tmp-4242', 'temp file'], ['lock', 'lock file']] as const) {
    const path = join(pc.root, 'stray-check', name);
    rmSync(join(pc.root, 'stray-check'), { recursive: true, force: true });
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, '');
    assert.throws(() => leftovers(pc.root, id, bundle), (e: Error) => e.message.includes(`${path} (${why})`), `leftovers() reports ${name}`);
  }
  rmSync(join(pc.root, 'stray-check'), { recursive: true, force: true });
  leftovers(pc.root, id, bundle);
});

test('kill without a signal sends TERM', { skip }, async (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.05; done']);
  pc.ok(['run', '-d', '--bundle', bundle, id]);
  await verifyStartedAudit(pc.root, id);
  const { pid } = pc.state(id);
  pc.ok(['kill', id]);
  await pc.waitExited(pid, 5000);
  assert.equal(pc.state(id).status, 'stopped');
  pc.finish(id, bundle);
});

test('kill --all signals every process of the container, plain kill only the init', { skip }, async (t) => {
  const id = pc.id(t);
  // pid 1 of a pid namespace ignores TERM from outside (no handler); its children do not.
  const bundle = pc.bundle(['sh', '-c', 'sleep 100 & sleep 100 & wait; echo children-gone']);
  const c = pc.ok(['create', '--bundle', bundle, id]);
  pc.ok(['start', id]);
  await verifyStartedAudit(pc.root, id);
  const { pid } = pc.state(id);
  const procs = () => readFileSync(cgroupDir('pids', `planc/${id}/cgroup.procs`), 'utf8').split('\n').filter(Boolean);
  await waitFor('the two sleeps', () => procs().length === 3);

  pc.ok(['kill', id, 'TERM']);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(procs().length, 3, 'plain kill TERM reached only the init, which ignores it');
  assert.equal(pc.state(id).status, 'running');

  pc.ok(['kill', '--all', id, 'TERM']);
  await pc.waitExited(pid, 5000);
  assert.equal(readFileSync(c.stdoutFile, 'utf8'), 'children-gone\n');
  assert.equal(pc.state(id).status, 'stopped');
  pc.finish(id, bundle);
});

test('delete (no --force) of a created container fails and leaves it waiting, as the spec says; --force removes it', { skip }, (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['sleep', '100']);
  pc.ok(['create', '--bundle', bundle, id]);
  const { pid } = pc.state(id);
  verifyAudit(pc.root, id, { expect: 'created' });
  const r = pc.run(['delete', id]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `planc: cannot delete container ${id} that is not stopped: created\n`);
  assert.equal(pc.state(id).status, 'created');
  assert.ok(alive(pid), 'the waiting init is untouched');
  pc.ok(['delete', '--force', id]);
  leftovers(pc.root, id, bundle);
  assert.ok(!alive(pid), 'the waiting init was killed');
});

test('annotations appear in state; a custom cgroupsPath is used and removed', { skip }, async (t) => {
  const id = pc.id(t);
  const parent = `planc-it-custom-${process.pid}`;
  t.after(() => {
    for (const h of cgroupHierarchies()) {
      try {
        rmdirSync(join(h.mountpoint, parent));
      } catch {
        // not created under this controller, or already gone
      }
    }
  });
  const bundle = pc.bundle(['sleep', '100'], (c) => {
    c.annotations = { 'org.example.k': 'v' };
    c.linux.cgroupsPath = `/${parent}/${id}`;
  });
  pc.ok(['create', '--bundle', bundle, id]);
  const st = pc.state(id);
  assert.deepEqual(st.annotations, { 'org.example.k': 'v' });
  const custom = cgroupDir('memory', `${parent}/${id}`);
  assert.ok(readFileSync(`${custom}/cgroup.procs`, 'utf8').split('\n').includes(String(st.pid)), 'the init is in the custom cgroup');
  assert.ok(!existsSync(cgroupDir('memory', `planc/${id}`)), 'and not in the default one');
  assert.ok(cgroupDirsOf(id).includes(custom), `the leftover search finds the custom cgroup too (found: ${cgroupDirsOf(id).join(', ')})`);
  pc.ok(['start', id]);
  await verifyStartedAudit(pc.root, id);
  pc.ok(['delete', '--force', id]);
  leftovers(pc.root, id, bundle);
  const left = cgroupHierarchies().filter((h) => existsSync(join(h.mountpoint, parent, id)));
  assert.deepEqual(left, [], 'custom cgroup dirs removed');
});
