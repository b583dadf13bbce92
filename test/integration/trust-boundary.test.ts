// The trust boundary (issue 9): every id and --root goes through one gate
// before planc touches the disk; state read back from disk is checked before
// planc acts on it; files planc writes for its caller never follow a planted
// symlink; --preserve-fds passes only the caller's fds; every verb that reads
// and then changes a container holds its lock. Each test fails when its
// protection is removed.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, closeSync, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodePlan, leftovers, NEEDS_ROOT, Planc, type Result, sleep, uniqueId } from '../helpers/planc.js';

const pc = new Planc();
after(() => pc.cleanup());
const skip = NEEDS_ROOT;

/** Exit 1 and exactly one `planc: ` line containing every pattern. */
function oneLine(r: Result, ...patterns: (string | RegExp)[]): string {
  assert.equal(r.code, 1, `exit code (stdout ${JSON.stringify(r.stdout)}, stderr ${JSON.stringify(r.stderr)})`);
  assert.match(r.stderr, /^planc: [^\n]+\n$/, `exactly one error line: ${JSON.stringify(r.stderr)}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  for (const p of patterns) {
    if (typeof p === 'string') assert.ok(r.stderr.includes(p), `${JSON.stringify(r.stderr)} should contain ${JSON.stringify(p)}`);
    else assert.match(r.stderr, p);
  }
  return r.stderr.trimEnd();
}

/** Everything under `dir`: each entry's type, mode, owner, link target or content hash. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      const what = st.isSymbolicLink() ? `-> ${readlinkSync(p)}` : st.isDirectory() ? 'dir' : createHash('sha256').update(readFileSync(p)).digest('hex');
      out.push(`${p} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${what}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

/**
 * A world to attack: <top>/parent/{root (the --root), sibling/…, secret},
 * <top>/{above.txt}. An id that climbs out of the root lands on the sentinels.
 */
function sentinelWorld(t: { after(fn: () => void): void }) {
  const top = mkdtempSync(join(tmpdir(), 'planc-it-sentinel-'));
  t.after(() => rmSync(top, { recursive: true, force: true }));
  const parent = join(top, 'parent');
  const root = join(parent, 'root');
  mkdirSync(join(parent, 'sibling', 'deeper'), { recursive: true });
  mkdirSync(root, { mode: 0o700 });
  writeFileSync(join(parent, 'sibling', 'deeper', 'file'), 'sibling');
  writeFileSync(join(parent, 'secret'), 'beside the root');
  writeFileSync(join(top, 'above.txt'), 'above the root');
  // A decoy state dir one level up: `delete --force ../decoy` would find it.
  mkdirSync(join(parent, 'decoy'));
  writeFileSync(join(parent, 'decoy', 'state.json'), '{}');
  return { top, root };
}

const HOSTILE_IDS: [string, string][] = [
  ['..', 'invalid container id ".."'],
  ['.', 'invalid container id "."'],
  ['', 'invalid container id ""'],
  ['../x', 'invalid container id "../x"'],
  ['../decoy', 'invalid container id "../decoy"'],
  ['a/b', 'invalid container id "a/b"'],
  ['/abs', 'invalid container id "/abs"'],
  ['x'.repeat(1000), 'longer than 255 characters'],
  ['a\nb', 'invalid container id "a\\nb"'],
  ['a\tb\x01', 'invalid container id "a\\tb\\u0001"'],
  ['-rf', 'invalid container id "-rf"'],
  ['.hidden', 'invalid container id ".hidden"'],
];

/** Every verb that takes a container id, as a function of the id. */
function verbCalls(bundle: string): [string, (id: string) => string[]][] {
  return [
    ['create', (id) => ['create', '--bundle', bundle, '--', id]],
    ['run', (id) => ['run', '--bundle', bundle, '--', id]],
    ['start', (id) => ['start', '--', id]],
    ['state', (id) => ['state', '--', id]],
    ['kill', (id) => ['kill', '--', id, 'KILL']],
    ['kill --all', (id) => ['kill', '--all', '--', id, 'KILL']],
    ['delete', (id) => ['delete', '--', id]],
    ['delete --force', (id) => ['delete', '--force', '--', id]],
    ['ps', (id) => ['ps', '--', id]],
    ['ps --format json', (id) => ['ps', '--format', 'json', '--', id]],
    ['audit', (id) => ['audit', '--', id]],
    ['plan --id', (id) => ['plan', '--bundle', bundle, `--id=${id}`]],
    ['explain --id', (id) => ['explain', '--bundle', bundle, `--id=${id}`]],
  ];
}

test('hostile ids: every verb refuses them with one line, before touching anything', { skip }, (t) => {
  const world = sentinelWorld(t);
  const bundle = pc.bundle(['true']);
  const before = snapshot(world.top);
  let cases = 0;
  for (const [verb, argv] of verbCalls(bundle)) {
    for (const [id, message] of HOSTILE_IDS) {
      // audit takes a path with a slash as a state directory to verify (read-only): not an id.
      if (verb === 'audit' && id.includes('/')) continue;
      const r = pc.run(['--root', world.root, ...argv(id)], { noRoot: true });
      oneLine(r, message);
      cases++;
    }
  }
  assert.deepEqual(snapshot(world.top), before, 'the sentinel tree is untouched');
  assert.ok(cases >= 140, `${cases} hostile-id calls`);
  console.log(`hostile ids: ${cases} calls over ${verbCalls(bundle).length} verb forms, all refused, sentinel tree untouched`);
});

test('a --root that is a symlink elsewhere is refused by every verb; its target is untouched', { skip }, (t) => {
  const world = sentinelWorld(t);
  const elsewhere = join(world.top, 'elsewhere');
  mkdirSync(elsewhere, { mode: 0o700 });
  mkdirSync(join(elsewhere, 'victim'));
  writeFileSync(join(elsewhere, 'victim', 'state.json'), '{"precious":true}');
  const link = join(world.top, 'link-root');
  symlinkSync(elsewhere, link);
  const bundle = pc.bundle(['true']);
  const before = snapshot(world.top);
  const calls: string[][] = [['list'], ...verbCalls(bundle).filter(([v]) => !v.includes('--id')).map(([, argv]) => argv('victim'))];
  for (const argv of calls) {
    const r = pc.run(['--root', link, ...argv], { noRoot: true });
    oneLine(r, `--root ${link}: is a symbolic link`);
  }
  assert.deepEqual(snapshot(world.top), before);
});

test('a --root that others can write to, or that is not ours, is refused', { skip }, (t) => {
  const world = sentinelWorld(t);
  chmodSync(world.root, 0o777);
  oneLine(pc.run(['--root', world.root, 'state', 'x'], { noRoot: true }), `--root ${world.root}`, 'writable by group or others');
  chmodSync(world.root, 0o700);
  chownSync(world.root, 65534, 65534);
  oneLine(pc.run(['--root', world.root, 'delete', '--force', 'x'], { noRoot: true }), 'owned by uid 65534');
  chownSync(world.root, 0, 0);
});

test('a state directory planc cannot trust is reported, never destroyed', { skip }, (t) => {
  const world = sentinelWorld(t);
  const victim = join(world.top, 'victim');
  mkdirSync(victim);
  writeFileSync(join(victim, 'keep'), 'keep me');
  // The entry for an id is a symlink to a host directory.
  symlinkSync(victim, join(world.root, 'linked'));
  // A directory others can write to.
  mkdirSync(join(world.root, 'open'), { mode: 0o777 });
  chmodSync(join(world.root, 'open'), 0o777);
  writeFileSync(join(world.root, 'open', 'keep'), 'keep');
  // A record that is not JSON, and one that is not a planc record.
  for (const [name, content] of [['garbled', '{not json'], ['foreign', '{"id":"foreign","pid":1}']] as const) {
    mkdirSync(join(world.root, name), { mode: 0o711 });
    writeFileSync(join(world.root, name, 'state.json'), content);
  }
  // state.json as a symlink to a host file.
  mkdirSync(join(world.root, 'linkfile'), { mode: 0o711 });
  symlinkSync('/etc/passwd', join(world.root, 'linkfile', 'state.json'));
  const before = snapshot(world.top);
  const expect: Record<string, string> = {
    linked: 'is not a directory planc made; left alone',
    open: 'writable by group or others',
    garbled: 'is not valid JSON',
    foreign: 'is not a state planc wrote',
    linkfile: 'is a symbolic link; planc does not follow it',
  };
  for (const [id, message] of Object.entries(expect)) {
    for (const verb of [['delete', '--force'], ['delete'], ['state'], ['kill'], ['start']]) {
      oneLine(pc.run(['--root', world.root, ...verb, id], { noRoot: true }), message);
    }
  }
  assert.deepEqual(snapshot(world.top), before, 'nothing was removed or changed');
  // list shows none of them and does not fail.
  const list = pc.run(['--root', world.root, 'list', '--format', 'json'], { noRoot: true });
  assert.equal(list.code, 0, list.stderr);
  assert.equal(list.stdout, 'null\n');
});

/** A process in a cgroup planc did not make, in every v1 hierarchy that has a `pids` or `memory` controller here. */
function foreignSleeper(t: { after(fn: () => void): void }) {
  const name = uniqueId('foreign');
  const dirs = ['pids', 'memory'].map((c) => `/sys/fs/cgroup/${c}/${name}`).filter((d) => existsSync(join(d, '..')));
  assert.ok(dirs.length > 0, 'a v1 pids or memory hierarchy');
  for (const d of dirs) mkdirSync(d);
  const child = spawn('sleep', ['300'], { stdio: 'ignore', detached: true });
  const pid = child.pid!;
  for (const d of dirs) writeFileSync(join(d, 'cgroup.procs'), String(pid));
  t.after(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone: the test has failed on that
    }
    for (let k = 0; k < 200 && dirs.some(existsSync); k++) {
      for (const d of dirs) {
        try {
          rmdirSync(d);
        } catch {
          // busy while the sleeper exits
        }
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  });
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
  return { name, pid, startTime, dirs };
}

function assertAlive(pid: number, dirs: string[]): void {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  assert.notEqual(stat.slice(stat.lastIndexOf(')') + 2)[0], 'Z', `pid ${pid} was killed`);
  for (const d of dirs) {
    assert.ok(existsSync(d), `${d} was removed`);
    assert.ok(readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n').includes(String(pid)), `pid ${pid} left ${d}`);
  }
}

test('planted state naming foreign pids and cgroups: delete --force, kill and ps signal and remove nothing outside the container', { skip }, (t) => {
  const sleeper = foreignSleeper(t);
  const planted = (name: string) => {
    const d = join(pc.root, name);
    mkdirSync(pc.root, { recursive: true, mode: 0o700 });
    mkdirSync(d, { mode: 0o711 });
    return d;
  };
  const record = (id: string, cgroups: unknown[]) => ({
    ociVersion: '1.2.0', id, pid: sleeper.pid, startTime: sleeper.startTime, bundle: '/', rootfs: '/', created: new Date().toISOString(),
    owner: 'root', planDigest: 'sha256:' + '0'.repeat(64), cgroups, pidNamespace: true,
  });
  // 1. A record that names the foreign process and its cgroups (made by "planc", wrong inode).
  const a = planted('planted-record');
  writeFileSync(join(a, 'state.json'), JSON.stringify(record('planted-record', sleeper.dirs.map((path) => ({ path, ino: 1, made: true })))));
  // 2. A record that claims no cgroups at all: the init check must still refuse the foreign pid.
  const b = planted('planted-nocgroup');
  writeFileSync(join(b, 'state.json'), JSON.stringify(record('planted-nocgroup', [])));
  // 3. A crashed create: a real plan (planc's own) whose cgroupsPath is the foreign cgroup,
  //    and an audit log claiming the executor made every cgroup of it.
  const c = planted('planted-plan');
  const bundle = pc.bundle(['true'], (cfg) => (cfg.linux.cgroupsPath = `/${sleeper.name}`));
  pc.ok(['plan', '--bundle', bundle, '--id', 'planted-plan', '--format', 'msgpack', '-o', join(c, 'plan.msgpack')]);
  const plan = decodePlan(readFileSync(join(c, 'plan.msgpack')));
  const creates = plan.actions.flatMap((a, i) => (a.op === 'cgroup.create' ? [{ i, path: String(a.path) }] : []));
  assert.ok(creates.some((x) => sleeper.dirs.includes(x.path)), `the plan names the foreign cgroups: ${creates.map((x) => x.path).join(' ')}`);
  const claims = creates.map(({ i }) => JSON.stringify({ i, op: 'cgroup.create', stage: 'host', r: 'ok', t: 1, ino: 1, made: true }));
  writeFileSync(join(c, 'audit.jsonl'), [JSON.stringify({ planDigest: 'x', containerId: 'planted-plan', actions: plan.actions.length }), ...claims].join('\n') + '\n');

  for (const id of ['planted-record', 'planted-nocgroup']) {
    pc.run(['kill', id, 'KILL']);
    pc.run(['kill', '--all', id, 'KILL']);
    const ps = pc.run(['ps', '--format', 'json', id]);
    assert.ok(!ps.stdout.includes(String(sleeper.pid)), `ps of ${id} does not list the foreign pid: ${ps.stdout}`);
  }
  for (const id of ['planted-record', 'planted-nocgroup', 'planted-plan']) {
    const r = pc.run(['delete', '--force', id]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!existsSync(join(pc.root, id)), `the planted state dir ${id} is gone`);
  }
  assertAlive(sleeper.pid, sleeper.dirs);
});

test('a pid file, log, audit log, plan output or config.json at a planted symlink: the symlink target is never written', { skip }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'planc-it-files-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const target = join(dir, 'target');
  writeFileSync(target, 'precious');
  const link = (name: string) => {
    const p = join(dir, name);
    symlinkSync(target, p);
    return p;
  };
  const bundle = pc.bundle(['true']);

  // --pid-file: the symlink itself is replaced by the pid file.
  const id = pc.id(t);
  const pidFile = link('pid');
  pc.ok(['create', '--bundle', bundle, '--pid-file', pidFile, id]);
  assert.ok(lstatSync(pidFile).isFile(), 'the pid file replaced the symlink');
  assert.equal(readFileSync(pidFile, 'utf8'), String(pc.state(id).pid));
  pc.ok(['delete', '--force', id]);

  // --audit-log at a symlink: refused before anything exists.
  const id2 = pc.id(t);
  oneLine(pc.run(['create', '--bundle', bundle, '--audit-log', link('audit'), id2]), 'is a symbolic link');
  leftovers(pc.root, id2, bundle);

  // --log at a symlink: the error still reaches stderr; nothing is written through the link.
  oneLine(pc.run(['--log', link('log'), 'state', uniqueId('none')]), 'container does not exist');

  // plan -o: the link is replaced by the plan.
  const out = link('plan.json');
  pc.ok(['plan', '--bundle', bundle, '-o', out]);
  assert.ok(lstatSync(out).isFile());
  assert.match(readFileSync(out, 'utf8'), /"digest"/);

  // spec: config.json at a symlink is "exists", never written through.
  const specDir = join(dir, 'spec');
  mkdirSync(specDir);
  symlinkSync(target, join(specDir, 'config.json'));
  oneLine(pc.run(['spec', '--bundle', specDir]), 'exists already');

  assert.equal(readFileSync(target, 'utf8'), 'precious');
  assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.tmp')), [], 'no temp file left');
});

test('--preserve-fds N passes only fds the caller passed', { skip }, (t) => {
  const bundle = pc.bundle(['sh', '-c', 'ls /proc/self/fd']);
  // Nothing passed, 2 asked: fd 3 may well be Node's own (its event loop) — refused.
  const id = pc.id(t);
  oneLine(pc.run(['create', '--preserve-fds', '2', '--bundle', bundle, id]), '--preserve-fds 2: fd 3');
  leftovers(pc.root, id, bundle);
  // One passed, two asked: the second is not the caller's.
  const file = join(pc.root, '..', 'passed');
  writeFileSync(file, 'x');
  const fd = openSync(file, 'r');
  t.after(() => closeSync(fd));
  const id2 = pc.id(t);
  oneLine(pc.run(['create', '--preserve-fds', '2', '--bundle', bundle, id2], { extraFds: [fd] }), '--preserve-fds 2: fd 4');
  leftovers(pc.root, id2, bundle);
  // Exactly what was passed: fine.
  const id3 = pc.id(t);
  pc.ok(['create', '--preserve-fds', '1', '--bundle', bundle, id3], { extraFds: [fd] });
  pc.ok(['delete', '--force', id3]);
});

test('the lock: start waits for a holder of the container lock, and reads the record only after', { skip }, async (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['true']);
  pc.ok(['create', '--bundle', bundle, id]);
  const marker = join(pc.root, '..', `released-${id}`);
  // util-linux flock holds an exclusive flock on the state directory, then marks its release.
  const holder = spawn('flock', ['-x', join(pc.root, id), 'sh', '-c', `sleep 0.5; touch ${marker}`], { stdio: 'ignore' });
  await sleep(100);
  const r = pc.run(['start', id]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(existsSync(marker), 'start returned only after the holder released the lock');
  await new Promise((res) => holder.on('exit', res));
  pc.ok(['delete', '--force', id]);
  leftovers(pc.root, id, bundle);
});

test('two creates of one id race: exactly one wins, the other says it exists, nothing is left', { skip }, async (t) => {
  const bundle = pc.bundle(['sleep', '100']);
  for (let round = 0; round < 5; round++) {
    const id = pc.id(t);
    const [a, b] = await Promise.all([pc.spawn(['create', '--bundle', bundle, id]).done, pc.spawn(['create', '--bundle', bundle, id]).done]);
    const codes = [a.code, b.code].sort();
    assert.deepEqual(codes, [0, 1], `one succeeds: ${a.stderr} | ${b.stderr}`);
    const loser = a.code === 1 ? a : b;
    oneLine(loser, 'already exists');
    assert.equal(pc.state(id).status, 'created');
    pc.ok(['delete', '--force', id]);
    leftovers(pc.root, id, bundle);
  }
});

test('delete --force racing an in-flight create never leaves half a container', { skip }, async (t) => {
  const bundle = pc.bundle(['sleep', '100']);
  for (let round = 0; round < 8; round++) {
    const id = pc.id(t);
    const create = pc.spawn(['create', '--bundle', bundle, id]);
    await sleep(round * 15);
    const del = pc.run(['delete', '--force', id]);
    assert.equal(del.code, 0, del.stderr);
    const c = await create.done;
    if (c.code === 0) {
      // delete came first (nothing to delete) or waited for the lock and removed it whole.
      const st = pc.run(['state', id]);
      if (st.code === 0) assert.equal(JSON.parse(st.stdout).status, 'created');
      else oneLine(st, 'container does not exist');
    } else oneLine(c, id);
    pc.ok(['delete', '--force', id]);
    leftovers(pc.root, id, bundle);
  }
});
