// The process model: `run` starts no Node at all (the native front plans it
// with the embedded engine and applies it); a command line the front hands to
// the CLI (here --debug) costs exactly one Node start, which then becomes the
// front to apply the plan — the executor and the container init are native
// either way — and `planc audit` verifies a real container's log through the CLI.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leftovers, NEEDS_ROOT, Planc, PLANC, trailPath, waitFor } from '../helpers/planc.js';

const pc = new Planc();
after(() => pc.cleanup());
const STRACE = ['/usr/bin/strace', '/bin/strace'].find((p) => existsSync(p));

test('run starts no Node process, and one when the CLI plans it (--debug); the executor and the init are native', { skip: NEEDS_ROOT }, (t) => {
  // scripts/setup.sh installs strace: without it this machine is not set up, which is a failure.
  assert.ok(STRACE, 'strace is installed (scripts/setup.sh installs it)');
  const bundle = pc.bundle(['/bin/true']);
  const dir = mkdtempSync(join(tmpdir(), 'planc-strace-'));
  try {
    const cases: [string[], number][] = [[[], 0], [['--debug'], 1]];
    for (const [globals, nodeStarts] of cases) {
      const id = pc.id(t);
      const log = join(dir, `execs-${nodeStarts}`);
      const r: ReturnType<typeof spawnSync> = spawnSync(STRACE!, ['-f', '-qq', '-e', 'trace=execve,execveat', '-e', 'signal=none', '-o', log, PLANC, ...globals, '--root', pc.root, 'run', '--bundle', bundle, id], { stdio: 'ignore', timeout: 60_000 });
      assert.equal(r.status, 0, `planc ${globals.join(' ')} run of /bin/true succeeds under strace`);
      const execs = readFileSync(log, 'utf8').split('\n').filter((l) => /execve(at)?\(/.test(l) && !/= -1 /.test(l));
      const nodes = execs.filter((l) => l.includes(`"${process.execPath}"`) || /execve\("[^"]*\/node"/.test(l));
      assert.equal(nodes.length, nodeStarts, `${nodeStarts} Node start(s) for planc ${globals.join(' ')} run, got:\n${execs.join('\n')}`);
      assert.ok(execs.some((l) => l.includes('planc-exec')), 'the native executor ran');
      assert.ok(execs.some((l) => l.includes('"/bin/true"')), 'the container process was exec’d');
      leftovers(pc.root, id, bundle);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The execve calls a planc command line made, itself and its children (strace -f): the ones that succeeded. */
function execsOf(args: string[], dir: string): string[] {
  const log = join(dir, `execs-${args.join('-').replace(/[^a-z0-9-]/gi, '')}`);
  const r = spawnSync(STRACE!, ['-f', '-qq', '-e', 'trace=execve,execveat', '-e', 'signal=none', '-o', log, PLANC, '--root', pc.root, ...args], { stdio: 'ignore', timeout: 60_000 });
  assert.equal(r.status, 0, `planc ${args.join(' ')} succeeds under strace`);
  return readFileSync(log, 'utf8').split('\n').filter((l) => /execve(at)?\(/.test(l) && !/= -1 /.test(l));
}

test('start starts no Node process: one execve, the native front\'s, and one per poststart hook', { skip: NEEDS_ROOT }, (t) => {
  assert.ok(STRACE, 'strace is installed (scripts/setup.sh installs it)');
  const dir = mkdtempSync(join(tmpdir(), 'planc-strace-'));
  try {
    const plain = pc.id(t);
    const bundle = pc.bundle(['sleep', '100']);
    pc.ok(['create', '--bundle', bundle, plain]);
    const execs = execsOf(['start', plain], dir);
    assert.equal(execs.length, 1, `one execve, got:\n${execs.join('\n')}`);
    assert.match(execs[0]!, new RegExp(`execve\\("${PLANC}"`));
    assert.equal(pc.state(plain).status, 'running');
    // With a poststart hook: the hook is the one other process, run by the front itself.
    const hooked = pc.id(t);
    const hookBundle = pc.bundle(['sleep', '100'], (c) => {
      c.hooks = { poststart: [{ path: '/bin/true', args: ['true'], env: [] }] };
    });
    pc.ok(['create', '--bundle', hookBundle, hooked]);
    const withHook = execsOf(['start', hooked], dir);
    assert.equal(withHook.length, 2, `the front and the hook, got:\n${withHook.join('\n')}`);
    assert.match(withHook[0]!, new RegExp(`execve\\("${PLANC}"`));
    assert.match(withHook[1]!, /execve\("\/bin\/true", \["true"\]/);
    assert.match(readFileSync(trailPath(pc.root, hooked), 'utf8'), /"op":"hook\.poststart","stage":"start","r":"ok"/);
    for (const [id, b] of [[plain, bundle], [hooked, hookBundle]] as const) {
      pc.ok(['delete', '--force', id]);
      leftovers(pc.root, id, b);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('planc audit verifies a created and then a started container, and fails on a tampered log', { skip: NEEDS_ROOT }, (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['sleep', '100']);
  pc.ok(['create', '--bundle', bundle, id]);
  assert.match(pc.ok(['audit', id]).stdout, /^ok: \d+ applied/);
  // start returns once the exec is confirmed in the trail (in the durable store, not the state dir).
  pc.ok(['start', id]);
  const audit = trailPath(pc.root, id);
  const ok = pc.ok(['audit', id, '--json']);
  const report = JSON.parse(ok.stdout);
  assert.equal(report.ok, true, ok.stdout);
  assert.equal(report.trails.length, 1);
  assert.equal(report.trails[0].state, 'open');
  assert.ok(report.trails[0].applied > 50);
  spawnSync('sed', ['-i', 's/"op":"rootfs.pivot"/"op":"rootfs.chroot"/', audit]);
  const bad = pc.run(['audit', id]);
  assert.equal(bad.code, 1);
  // The edit breaks the chain at the edited line, and the record no longer matches the plan.
  assert.match(bad.stdout, /^FAILED: .*\n.*\n {2}line \d+ was changed after it was written: line \d+ was chained to other contents\n/);
  assert.match(bad.stdout, /rootfs.pivot in the plan, but the record says init rootfs.chroot/);
  pc.ok(['delete', '--force', id]);
  leftovers(pc.root, id, bundle);
});

test('--audit-log: one shared file gets every record of each container, tagged with its id and plan digest', { skip: NEEDS_ROOT }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'planc-auditlog-'));
  try {
    const log = join(dir, 'ops.jsonl');
    const ran = pc.id(t, 'ran');
    const made = pc.id(t, 'made');
    pc.ok(['run', '--audit-log', log, '--bundle', pc.bundle(['/bin/true']), ran]);
    const bundle = pc.bundle(['sleep', '100']);
    pc.ok(['create', '--audit-log', log, '--bundle', bundle, made]);
    const planned = JSON.parse(pc.ok(['plan', '--bundle', bundle, '--id', made, '--format', 'json']).stdout) as { digest: string; plan: { actions: unknown[] } };
    pc.ok(['start', made]);
    const recs = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { container: string; planDigest: string; i: number; r: string });
    const of = (id: string) => recs.filter((r) => r.container === id);
    // The exec twice: pending before execve, then confirmed by start.
    assert.deepEqual(of(made).map((r) => r.i), [...planned.plan.actions.map((_, i) => i), planned.plan.actions.length - 1], 'every action of the created-then-started container, once, in order');
    assert.deepEqual(of(made).slice(-2).map((r) => r.r), ['pending', 'ok']);
    assert.ok(of(made).every((r) => r.planDigest === planned.digest));
    assert.ok(of(ran).length > 50 && of(ran).every((r) => r.r !== 'error'));
    assert.equal(of(ran).length + of(made).length, recs.length, 'nothing untagged');
    pc.ok(['delete', '--force', made]);
    leftovers(pc.root, made, bundle);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--preserve-fds N passes the caller’s fds 3…3+N-1 to the container, and no others', { skip: NEEDS_ROOT }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'planc-fds-'));
  try {
    const kept = openSync(join(dir, 'kept'), 'w');
    const dropped = openSync(join(dir, 'dropped'), 'w');
    const id = pc.id(t);
    // ls lists its own directory fd too: with 0–3 taken that is 4, so a leaked fd 4 would show as 5.
    const bundle = pc.bundle(['sh', '-c', 'echo through-fd-3 >&3; ls /proc/self/fd >&3; echo leaked >&4 || true']);
    const r = pc.run(['run', '--preserve-fds', '1', '--bundle', bundle, id], { extraFds: [kept, dropped] });
    closeSync(kept);
    closeSync(dropped);
    assert.equal(r.code, 0, r.stderr);
    const [first, ...fds] = readFileSync(join(dir, 'kept'), 'utf8').trim().split('\n');
    assert.equal(first, 'through-fd-3');
    assert.deepEqual(fds.map(Number), [0, 1, 2, 3, 4], 'stdio, the preserved fd, and ls’s own directory fd');
    assert.equal(readFileSync(join(dir, 'dropped'), 'utf8'), '', 'fd 4 was not preserved');
    leftovers(pc.root, id, bundle);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('after create exits, the container init is a child of the caller’s subreaper (as conmon and containerd-shim expect)', { skip: NEEDS_ROOT }, async (t) => {
  const koffi = (await import('koffi')).default;
  const libc = koffi.load('libc.so.6');
  const prctl = libc.func('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)');
  const waitpid = libc.func('int waitpid(int pid, _Out_ int *status, int options)');
  assert.equal(prctl(36 /* PR_SET_CHILD_SUBREAPER */, 1, 0, 0, 0), 0);
  const id = pc.id(t);
  const bundle = pc.bundle(['sleep', '100']);
  const pidFile = pc.scratchPath(`${id}.pid`);
  pc.ok(['create', '--pid-file', pidFile, '--bundle', bundle, id]);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  const ppid = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
  assert.equal(ppid, process.pid, 'no planc process is left between the caller and the container');
  pc.ok(['start', id]);
  pc.ok(['kill', id, 'KILL']);
  waitpid(pid, [0], 0); // we are its parent now: reap it, as a shim would
  pc.ok(['delete', id]);
  leftovers(pc.root, id, bundle);
});

test('ps --format json lists the container’s host pids as containerd reads them, null once it is gone', { skip: NEEDS_ROOT }, async (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['sh', '-c', 'sleep 100 & sleep 100']);
  const pidFile = pc.scratchPath(`${id}.pid`);
  pc.ok(['run', '--detach', '--pid-file', pidFile, '--bundle', bundle, id]);
  const init = Number(readFileSync(pidFile, 'utf8'));
  const listed = await waitFor('two processes', () => {
    const pids = JSON.parse(pc.ok(['ps', '--format', 'json', id]).stdout) as number[];
    return pids.length === 2 ? pids : undefined;
  });
  assert.ok(listed.includes(init));
  assert.match(pc.ok(['ps', id]).stdout, new RegExp(`^\\S+\\s+${init}\\s`, 'm'), 'the table shows ps -ef lines of its processes');
  pc.ok(['kill', id, 'KILL']);
  await waitFor('no processes', () => pc.ok(['ps', '--format', 'json', id]).stdout.trim() === 'null' || undefined);
  pc.ok(['delete', id]);
  leftovers(pc.root, id, bundle);
});
