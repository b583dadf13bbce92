// The six hooks on real containers (runtime-spec config.md "POSIX-platform Hooks",
// runtime.md "Lifecycle"): each hook appends a line to a log — its name, the status
// and pid it read on stdin, and the mount and pid namespaces it ran in — and the test
// appends a marker after each verb. The log must be the spec's lifecycle, line for
// line; the same bundle under runc gives the same events (runc < 1.2 runs poststart
// at create: said and checked below). Failing hooks: what fails, what only warns,
// and that nothing is left behind; hooks that time out, with what they started.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Config, leftovers, NEEDS_ROOT, Planc, uniqueId, waitFor } from '../helpers/planc.js';
import { runcBinary } from '../helpers/runc.js';

const pc = new Planc();
after(() => pc.cleanup());
const skip = NEEDS_ROOT;
const RUNC = runcBinary();

// What each hook records. The state is one line of JSON without nested objects but annotations.
const RECORDER = `#!/bin/sh
s=$(cat)
st=$(printf '%s' "$s" | sed -n 's/.*"status":"\\([a-z]*\\)".*/\\1/p')
pid=$(printf '%s' "$s" | sed -n 's/.*"pid":\\([0-9]*\\).*/\\1/p')
echo "$1 $st \${pid:--} $(readlink /proc/self/ns/mnt) $(readlink /proc/self/ns/pid)" >> "$2"
`;
const ENV = ['PATH=/usr/bin:/bin', 'HOOK=1'];

interface Events {
  /** Host directory with the recorder and the log; bound at /events in the container. */
  dir: string;
  log: string;
  mark: (what: string) => void;
  lines: () => string[];
}

function events(): Events {
  const dir = mkdtempSync(join(pc.scratchPath(''), 'events-'));
  writeFileSync(join(dir, 'hook.sh'), RECORDER);
  chmodSync(join(dir, 'hook.sh'), 0o755);
  chmodSync(dir, 0o777);
  const log = join(dir, 'log');
  return {
    dir,
    log,
    mark: (what) => writeFileSync(log, `-- ${what}\n`, { flag: 'a' }),
    lines: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []),
  };
}

/** Every hook records itself; startContainer by its path in the container, /events/hook.sh. */
function recordingHooks(ev: Events): Config['hooks'] {
  const rec = (name: string, inContainer = false) => ({
    path: inContainer ? '/events/hook.sh' : join(ev.dir, 'hook.sh'),
    args: ['hook.sh', name, inContainer ? '/events/log' : ev.log],
    env: ENV,
  });
  return {
    prestart: [rec('prestart')],
    createRuntime: [rec('createRuntime')],
    createContainer: [rec('createContainer')],
    startContainer: [rec('startContainer', true)],
    poststart: [rec('poststart')],
    poststop: [rec('poststop')],
  };
}

function hookBundle(ev: Events, hooks: Config['hooks'], args = ['sleep', '100']): string {
  return pc.bundle(args, (c) => {
    c.hooks = hooks;
    c.mounts.push({ destination: '/events', type: 'bind', source: ev.dir, options: ['rbind', 'rw'] });
  });
}

const ns = (pid: number | 'self', kind: string) => readlinkSync(`/proc/${pid}/ns/${kind}`);
const HOST = { mnt: ns('self', 'mnt'), pid: ns('self', 'pid') };

/** A log line in the words of the spec: pid "init" (the runtime's view), "1" (the container's); namespaces runtime or container. */
function normalize(lines: string[], init: { pid: number; mnt: string; pidns: string }): string[] {
  return lines.map((l) => {
    if (l.startsWith('-- ')) return l;
    const [name, status, pid, mnt, pidns] = l.split(' ');
    const where = (v: string | undefined, host: string, ctr: string) => (v === host ? 'runtime' : v === ctr ? 'container' : `?${v}`);
    return [name, status, pid === String(init.pid) ? 'init' : pid, where(mnt, HOST.mnt, init.mnt), where(pidns, HOST.pid, init.pidns)].join(' ');
  });
}

// runtime.md "Lifecycle", steps 1-13, as the log shows them.
const LIFECYCLE = [
  'prestart creating init runtime runtime', // 3
  'createRuntime creating init runtime runtime', // 4
  'createContainer creating 1 container container', // 5
  '-- created',
  'startContainer created 1 container container', // 6, 7
  'poststart running init runtime runtime', // 8, 9
  '-- started',
  '-- killed', // 10
  'poststop stopped - runtime runtime', // 11-13
  '-- deleted',
];

test('hooks: create/start/kill/delete runs each hook once, in the spec\'s order, namespace and status; the audit log has them', { skip }, async (t) => {
  const ev = events();
  const id = pc.id(t);
  const bundle = hookBundle(ev, recordingHooks(ev));
  pc.ok(['create', '--bundle', bundle, id]);
  const st = pc.state(id);
  const init = { pid: st.pid, mnt: ns(st.pid, 'mnt'), pidns: ns(st.pid, 'pid') };
  assert.notEqual(init.mnt, HOST.mnt);
  ev.mark('created');
  pc.ok(['start', id]);
  ev.mark('started');
  const audit = readFileSync(pc.stateFiles(id).audit, 'utf8');
  for (const op of ['hook.prestart', 'hook.create-runtime', 'hook.create-container', 'hook.start-container', 'hook.poststart']) {
    assert.match(audit, new RegExp(`"op":"${op.replace('.', '\\.')}","stage":"[a-z]+","r":"ok"`), `audit record of ${op}`);
  }
  assert.equal(pc.ok(['audit', id]).stdout.split('\n')[0]!.startsWith('ok: '), true);
  pc.ok(['kill', id, 'KILL']);
  await pc.waitExited(st.pid);
  ev.mark('killed');
  pc.ok(['delete', id]);
  ev.mark('deleted');
  assert.deepEqual(normalize(ev.lines(), init), LIFECYCLE);
  leftovers(pc.root, id, bundle);
});

test('hooks: run (foreground) runs all six in the same order; the container\'s exit ends with poststop', { skip }, async (t) => {
  const ev = events();
  const id = pc.id(t);
  const bundle = hookBundle(ev, recordingHooks(ev), ['sh', '-c', 'readlink /proc/self/ns/mnt > /events/init-mnt; readlink /proc/self/ns/pid > /events/init-pidns; exit 0']);
  const r = pc.run(['run', '--bundle', bundle, id]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  const lines = ev.lines();
  // The pid the runtime hooks read is the init's host pid: the same in all three.
  const pids = new Set(lines.filter((l) => /^(prestart|createRuntime|poststart) /.test(l)).map((l) => l.split(' ')[2]));
  assert.equal(pids.size, 1);
  const init = { pid: Number([...pids][0]), mnt: readFileSync(join(ev.dir, 'init-mnt'), 'utf8').trim(), pidns: readFileSync(join(ev.dir, 'init-pidns'), 'utf8').trim() };
  assert.deepEqual(normalize(lines, init), LIFECYCLE.filter((l) => !l.startsWith('-- ')));
  leftovers(pc.root, id, bundle);
});

test('hooks: argv and environment exactly as configured, nothing inherited (executor and CLI hooks alike)', { skip }, async (t) => {
  const ev = events();
  const id = pc.id(t);
  // /proc/$$/cmdline and environ: what the execve gave the hook, before the shell adds anything.
  const show = (name: string) => ({
    path: '/bin/sh',
    args: [`argv0-${name}`, '-c', `tr '\\0' ' ' < /proc/$$/cmdline > ${ev.dir}/${name}.argv; tr '\\0' ' ' < /proc/$$/environ > ${ev.dir}/${name}.env`],
    env: ['PATH=/usr/bin:/bin', `WHO=${name}`, 'EMPTY='],
  });
  const bundle = hookBundle(ev, { createRuntime: [show('createRuntime')], poststart: [show('poststart')] });
  pc.ok(['create', '--bundle', bundle, id], { env: { ...process.env, LEAK: 'planc-environment' } });
  pc.ok(['start', id], { env: { ...process.env, LEAK: 'planc-environment' } });
  for (const name of ['createRuntime', 'poststart']) {
    const script = `tr '\\0' ' ' < /proc/$$/cmdline > ${ev.dir}/${name}.argv; tr '\\0' ' ' < /proc/$$/environ > ${ev.dir}/${name}.env`;
    assert.equal(readFileSync(join(ev.dir, `${name}.argv`), 'utf8'), `argv0-${name} -c ${script} `);
    assert.equal(readFileSync(join(ev.dir, `${name}.env`), 'utf8'), `PATH=/usr/bin:/bin WHO=${name} EMPTY= `);
  }
  pc.ok(['delete', '--force', id]);
  leftovers(pc.root, id, bundle);
});

const failing = (kind: string, inContainer = false) => ({ path: '/bin/sh', args: ['sh', '-c', `echo ${kind} broke >&2; exit 7`], env: inContainer ? [] : ENV });

for (const kind of ['prestart', 'createRuntime', 'createContainer'] as const) {
  test(`hooks: a failing ${kind} hook fails create, nothing is left, poststop still runs`, { skip }, async (t) => {
    const ev = events();
    const id = pc.id(t);
    const rec = recordingHooks(ev);
    const bundle = hookBundle(ev, { ...rec, [kind]: [...rec[kind], failing(kind)], startContainer: [], poststart: [] });
    const r = pc.run(['create', '--bundle', bundle, id]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `planc: ${bundle}/config.json: /hooks/${kind}/1: ${kind} hook /bin/sh: exited with status 7: ${kind} broke\n`);
    const names = ev.lines().map((l) => l.split(' ').slice(0, 2).join(' '));
    const ran = { prestart: ['prestart creating'], createRuntime: ['prestart creating', 'createRuntime creating'], createContainer: ['prestart creating', 'createRuntime creating', 'createContainer creating'] }[kind];
    assert.deepEqual(names, [...ran, 'poststop stopped']);
    assert.equal(pc.run(['state', id]).code, 1, 'the container does not exist');
    leftovers(pc.root, id, bundle);
  });
}

for (const kind of ['startContainer', 'poststart'] as const) {
  test(`hooks: a failing ${kind} hook fails start; the container is stopped and destroyed, poststop runs`, { skip }, async (t) => {
    const ev = events();
    const id = pc.id(t);
    const rec = recordingHooks(ev);
    const bundle = hookBundle(ev, { ...rec, [kind]: [failing(kind, kind === 'startContainer'), ...rec[kind]] });
    pc.ok(['create', '--bundle', bundle, id]);
    const pid = pc.state(id).pid;
    const r = pc.run(['start', id]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `planc: /hooks/${kind}/0: ${kind} hook /bin/sh: exited with status 7: ${kind} broke\n`);
    await pc.waitExited(pid);
    const names = ev.lines().map((l) => l.split(' ').slice(0, 2).join(' '));
    const before = ['prestart creating', 'createRuntime creating', 'createContainer creating'];
    // The failing hook comes first: the recording hook of its kind does not run.
    assert.deepEqual(names, kind === 'startContainer' ? [...before, 'poststop stopped'] : [...before, 'startContainer created', 'poststop stopped']);
    assert.equal(pc.run(['state', id]).code, 1, 'the container does not exist');
    leftovers(pc.root, id, bundle);
  });
}

test('hooks: a failing poststop hook is a warning: delete succeeds, the next poststop hook runs, nothing is left', { skip }, async (t) => {
  const ev = events();
  const id = pc.id(t);
  const rec = recordingHooks(ev);
  const bundle = hookBundle(ev, { ...rec, poststop: [failing('poststop'), ...rec.poststop] });
  pc.ok(['create', '--bundle', bundle, id]);
  pc.ok(['start', id]);
  pc.ok(['kill', id, 'KILL']);
  await pc.waitExited(pc.state(id).pid);
  const r = pc.run(['delete', id]);
  assert.equal(r.code, 0);
  assert.equal(r.stderr, 'planc: warning: poststop hook /bin/sh: exited with status 7: poststop broke\n');
  assert.equal(ev.lines().at(-1)!.split(' ').slice(0, 2).join(' '), 'poststop stopped');
  leftovers(pc.root, id, bundle);
});

test('hooks: a poststart hook that exits without reading its stdin (a state larger than a pipe holds) does not fail start', { skip }, async (t) => {
  const ev = events();
  const id = pc.id(t);
  const bundle = pc.bundle(['sleep', '100'], (c) => {
    c.annotations = { big: 'x'.repeat(256 * 1024) };
    c.hooks = { poststart: [{ path: '/bin/true', args: ['true'], env: [] }, { path: join(ev.dir, 'hook.sh'), args: ['hook.sh', 'poststart', ev.log], env: ENV }] };
  });
  pc.ok(['create', '--bundle', bundle, id]);
  const r = pc.run(['start', id]);
  assert.equal(r.stderr, '');
  assert.equal(r.code, 0);
  assert.equal(pc.state(id).status, 'running');
  assert.deepEqual(ev.lines().map((l) => l.split(' ').slice(0, 2).join(' ')), ['poststart running']);
  pc.ok(['delete', '--force', id]);
  leftovers(pc.root, id, bundle);
});

/** A hook that starts a background process, notes its pid, and waits: only a timeout ends it. */
const sleeper = (dir: string) => ({ path: '/bin/sh', args: ['sh', '-c', `sleep 100 & echo $! > ${dir}/bg; wait`], env: ENV, timeout: 1 });

async function assertGone(pidFile: string): Promise<void> {
  const pid = Number(await waitFor(`${pidFile}`, () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim()));
  await waitFor(`the hook's background process ${pid} to be killed`, () => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return ['Z', 'X'].includes(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]!);
    } catch {
      return true;
    }
  });
}

test('hooks: a createRuntime hook past its timeout is killed with what it started; create fails, nothing is left', { skip }, async (t) => {
  const ev = events();
  const id = pc.id(t);
  const bundle = hookBundle(ev, { createRuntime: [sleeper(ev.dir)] });
  const t0 = Date.now();
  const r = pc.run(['create', '--bundle', bundle, id]);
  const took = Date.now() - t0;
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `planc: ${bundle}/config.json: /hooks/createRuntime/0: createRuntime hook /bin/sh: killed after its timeout of 1 s\n`);
  assert.ok(took >= 1000 && took < 10_000, `create took ${took} ms`);
  await assertGone(join(ev.dir, 'bg'));
  leftovers(pc.root, id, bundle);
});

test('hooks: a poststart hook past its timeout is killed with what it started; start fails, the container is destroyed', { skip }, async (t) => {
  const ev = events();
  const id = pc.id(t);
  const bundle = hookBundle(ev, { poststart: [sleeper(ev.dir)] });
  pc.ok(['create', '--bundle', bundle, id]);
  const r = pc.run(['start', id]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'planc: /hooks/poststart/0: poststart hook /bin/sh: killed after its timeout of 1 s\n');
  await assertGone(join(ev.dir, 'bg'));
  leftovers(pc.root, id, bundle);
});

/** runc's version, e.g. [1, 1, 5]; null when it is not installed. */
function runcVersion(): number[] | null {
  if (!RUNC) return null;
  const r = spawnSync(RUNC, ['--version'], { encoding: 'utf8' });
  const m = /runc version (\d+)\.(\d+)\.(\d+)/.exec(r.stdout ?? '');
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

test('hooks, differential: the same bundle under runc gives the same hook events', { skip: skip || (RUNC ? false : 'needs runc') }, async (t) => {
  const runcPath = RUNC!;
  const root = mkdtempSync(join(tmpdir(), 'planc-it-runc-'));
  const id = uniqueId('runc');
  mkdirSync(join(root, 'state'));
  // runc's output (and the container's, which inherits it) goes to a file: a pipe would stay open while it runs.
  const out = openSync(join(root, 'out'), 'w');
  const runc = (...args: string[]) => {
    const r = spawnSync(runcPath, ['--root', join(root, 'state'), ...args], { stdio: ['ignore', out, out], timeout: 20_000 });
    assert.equal(r.status, 0, `runc ${args.join(' ')}: ${readFileSync(join(root, 'out'), 'utf8')}`);
  };
  t.after(() => {
    spawnSync(runcPath, ['--root', join(root, 'state'), 'delete', '--force', id], { stdio: 'ignore' });
    closeSync(out);
    rmSync(root, { recursive: true, force: true });
  });
  const ev = events();
  const bundle = hookBundle(ev, recordingHooks(ev));
  runc('create', '--bundle', bundle, id);
  const st = JSON.parse(spawnSync(runcPath, ['--root', join(root, 'state'), 'state', id], { encoding: 'utf8' }).stdout);
  const init = { pid: st.pid as number, mnt: ns(st.pid, 'mnt'), pidns: ns(st.pid, 'pid') };
  ev.mark('created');
  runc('start', id);
  ev.mark('started');
  runc('kill', id, 'KILL');
  await pc.waitExited(init.pid);
  ev.mark('killed');
  runc('delete', id);
  ev.mark('deleted');
  const got = normalize(ev.lines(), init);
  // runc before 1.2.0 ran poststart hooks at create, with the container "created" (fixed in runc
  // 1.2.0, release notes: "poststart hooks are now executed after starting the user-specified
  // process"); everything else is the spec's lifecycle, as planc runs it.
  const [major = 0, minor = 0] = runcVersion()!;
  const expected = major === 1 && minor < 2
    ? [...LIFECYCLE.slice(0, 3), 'poststart created init runtime runtime', '-- created', LIFECYCLE[4]!, ...LIFECYCLE.slice(6)]
    : LIFECYCLE;
  assert.deepEqual(got, expected);
  assert.ok(!existsSync(join(root, 'state', id)), 'runc left its state');
});

test('hooks: with joined namespaces, createRuntime still runs in the runtime\'s (the executor goes back to them), the container in the joined ones', { skip }, async (t) => {
  // A first container owns the pid, ipc and uts namespaces the second joins.
  const owner = pc.id(t);
  const ownerBundle = pc.bundle(['sleep', '100']);
  pc.ok(['create', '--bundle', ownerBundle, owner]);
  const ownerPid = pc.state(owner).pid;
  const ev = events();
  const id = pc.id(t);
  const kinds = ['pid', 'ipc', 'uts'];
  const show = `echo ${kinds.map((k) => `$(readlink /proc/self/ns/${k})`).join(' ')} > ${ev.dir}/createRuntime`;
  const bundle = hookBundle(ev, { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', show], env: ENV }] }, ['sleep', '100']);
  const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
  config.linux.namespaces = config.linux.namespaces.map((n: { type: string }) => (kinds.includes(n.type) ? { type: n.type, path: `/proc/${ownerPid}/ns/${n.type}` } : n));
  delete config.hostname; // the uts namespace is the owner's
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(config));
  pc.ok(['create', '--bundle', bundle, id]);
  const pid = pc.state(id).pid;
  for (const k of kinds) {
    assert.equal(ns(pid, k), ns(ownerPid, k), `the container joined the ${k} namespace`);
    assert.notEqual(ns(ownerPid, k), ns('self', k));
  }
  assert.equal(readFileSync(join(ev.dir, 'createRuntime'), 'utf8'), `${kinds.map((k) => ns('self', k)).join(' ')}\n`);
  pc.ok(['delete', '--force', id]);
  pc.ok(['delete', '--force', owner]);
  leftovers(pc.root, id, bundle);
});
