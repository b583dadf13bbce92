// The verbs the native front serves (cli/native/) on real containers: each
// (create, run and exec included: the embedded planner) starts no Node process (strace sees exactly one execve, the front's), the
// CLI's path to it (node bin/planc.cjs, what a command line the front hands
// over reaches) prints the same bytes and exits the same way, and the small
// plans kill, pause and resume write into the trail are the ones the spec of
// each verb says, checked against literals.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NEEDS_ROOT, Planc, PLANC, REPO, trailPath } from '../helpers/planc.js';

const pc = new Planc();
after(() => pc.cleanup());
const STRACE = ['/usr/bin/strace', '/bin/strace'].find((p) => existsSync(p));
const CLI = join(REPO, 'bin/planc.cjs');

/** The successful execve calls of one planc command line (strace -f), and its result. */
function execsOf(args: string[]): { execs: string[]; code: number | null } {
  const dir = mkdtempSync(join(tmpdir(), 'planc-front-strace-'));
  try {
    const log = join(dir, 'execs');
    const r = spawnSync(STRACE!, straceArgs(log, args), { stdio: 'ignore', timeout: 30_000, env: { ...process.env, PLANC_AUDIT_DIR: pc.auditDir } });
    return { execs: execsIn(log), code: r.status };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const straceArgs = (log: string, args: string[]) => ['-f', '-qq', '-e', 'trace=execve,execveat', '-e', 'signal=none', '-o', log, PLANC, '--root', pc.root, ...args];
const execsIn = (log: string) => readFileSync(log, 'utf8').split('\n').filter((l) => /execve(at)?\(/.test(l) && !/= -1 /.test(l));

/** The plan lines of a trail, as written. */
function plans(id: string): { kind: string; containerId: string; actions: Record<string, unknown>[] }[] {
  return readFileSync(trailPath(pc.root, id), 'utf8')
    .split('\n')
    .filter((l) => l.includes('"plan":{'))
    .map((l) => (JSON.parse(l) as { plan: { kind: string; containerId: string; actions: Record<string, unknown>[] } }).plan);
}

test('state, list, pause, resume, kill, ps and events --stats start no Node process', { skip: NEEDS_ROOT }, (t) => {
  assert.ok(STRACE, 'strace is installed (scripts/setup.sh installs it)');
  const id = pc.id(t, 'nf');
  pc.ok(['create', '--bundle', pc.bundle(['sleep', '100']), id]);
  pc.ok(['start', id]);
  const shapes = [['state', id], ['list'], ['list', '-f', 'json'], ['pause', id], ['resume', id], ['kill', id, '0'], ['kill', '--all', id, '0'], ['state', 'no-such-container']];
  shapes.push(['ps', '-f', 'json', id], ['ps', '--format', 'json', id], ['events', '--stats', id], ['events', '--stats', 'no-such-container'], ['ps', id]);
  for (const args of shapes) {
    const { execs, code } = execsOf(args);
    assert.equal(code, args.at(-1) === 'no-such-container' ? 1 : 0, `planc ${args.join(' ')} exit status`);
    // The table of ps is `ps -ef`'s lines: the front runs ps (and nothing else).
    const table = args[0] === 'ps' && args.length === 2;
    assert.equal(execs.length, table ? 2 : 1, `planc ${args.join(' ')}: the front's execve${table ? ' and ps\'s' : ''}, got:\n${execs.join('\n')}`);
    assert.match(execs[0]!, /execve\("[^"]*\/bin\/planc"/, 'the first execve is the front itself');
    if (table) assert.match(execs[1]!, /execve\("[^"]*\/ps", \["ps", "-ef"\]/, 'the second is ps -ef');
  }
});

test('planc --version starts no Node and prints what the CLI prints', { skip: NEEDS_ROOT }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'planc-front-strace-'));
  try {
    const log = join(dir, 'execs');
    const r = spawnSync(STRACE!, ['-f', '-qq', '-e', 'trace=execve,execveat', '-e', 'signal=none', '-o', log, PLANC, '--version'], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    const execs = readFileSync(log, 'utf8').split('\n').filter((l) => /execve(at)?\(/.test(l) && !/= -1 /.test(l));
    assert.equal(execs.length, 1, `one execve, the front's:\n${execs.join('\n')}`);
    assert.match(r.stdout, /^planc version [0-9][^\n]*\nspec: 1\.[0-9]+\.[0-9]+\n$/);
    assert.equal(r.stdout, spawnSync(process.execPath, [CLI, '--version'], { encoding: 'utf8' }).stdout, 'the same text as the CLI');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the CLI path prints what the front prints, errors included, and exits the same way', { skip: NEEDS_ROOT }, (t) => {
  const id = pc.id(t, 'nf');
  pc.ok(['create', '--bundle', pc.bundle(['sleep', '100'], (c) => (c.annotations = { b: '2', '10': 'x', a: '1', '9': 'y' })), id]);
  const env = { ...process.env, PLANC_AUDIT_DIR: pc.auditDir };
  for (const args of [['state', id], ['list'], ['list', '-f', 'json'], ['list', '-q'], ['state', 'nope'], ['state', '../x'], ['kill', id, 'NOSIG'], ['resume', id], ['ps', '-f', 'json', id], ['ps', 'nope'], ['events', '--stats', 'nope'], ['events', '--stats', '../x'], ['start', 'nope'], ['start', '../x']]) {
    const viaFront = spawnSync(PLANC, ['--root', pc.root, ...args], { encoding: 'utf8', env });
    // --debug=true: a form the front hands over, so the CLI parses it and calls the front in turn.
    const viaCli = spawnSync(process.execPath, [CLI, '--debug=true', '--root', pc.root, ...args], { encoding: 'utf8', env });
    assert.equal(viaCli.stdout, viaFront.stdout, `stdout of planc ${args.join(' ')}`);
    assert.equal(viaCli.stderr, viaFront.stderr, `stderr of planc ${args.join(' ')}`);
    assert.equal(viaCli.status, viaFront.status, `exit status of planc ${args.join(' ')}`);
  }
  // The OCI state as the spec has it, annotations in the order JSON.parse gives them (index-like keys first).
  const state = JSON.parse(spawnSync(PLANC, ['--root', pc.root, 'state', id], { encoding: 'utf8' }).stdout);
  assert.deepEqual(Object.keys(state), ['ociVersion', 'id', 'pid', 'status', 'bundle', 'rootfs', 'created', 'owner', 'annotations']);
  assert.equal(state.status, 'created');
  assert.deepEqual(Object.keys(state.annotations), ['9', '10', 'b', 'a']);
});

test('kill, pause and resume write the small plans their verbs call for, one record per action', { skip: NEEDS_ROOT }, (t) => {
  const id = pc.id(t, 'nf');
  pc.ok(['create', '--bundle', pc.bundle(['sleep', '100']), id]);
  pc.ok(['start', id]);
  const rec = JSON.parse(readFileSync(join(pc.root, id, 'state.json'), 'utf8')) as { pid: number; startTime: string; cgroups: { path: string; ino: number; made: boolean }[] };
  const made = rec.cgroups.filter((c) => c.made);
  assert.ok(made.length > 0, 'the container has cgroups planc made');
  for (const c of made) assert.equal(statSync(c.path).ino, c.ino, 'the record names the cgroup by its inode');
  const init = { pid: rec.pid, startTime: rec.startTime };
  pc.ok(['kill', id, '0']);
  pc.ok(['pause', id]);
  assert.equal(pc.state(id).status, 'paused');
  pc.ok(['kill', id, 'SIGCONT']);
  assert.equal(pc.state(id).status, 'paused', 'a signal other than KILL leaves a paused container paused');
  pc.ok(['resume', id]);
  pc.ok(['kill', '-a', id, 'USR1']);
  const got = plans(id);
  assert.deepEqual(got, [
    { planVersion: 1, kind: 'kill', containerId: id, actions: [{ op: 'signal', why: 'runtime:kill', ...init, signal: 0, name: 'signal 0' }] },
    { planVersion: 1, kind: 'pause', containerId: id, actions: [{ op: 'freezer', why: 'runtime:pause', state: 'FROZEN' }] },
    { planVersion: 1, kind: 'kill', containerId: id, actions: [{ op: 'signal', why: 'runtime:kill', ...init, signal: 18, name: 'SIGCONT' }] },
    { planVersion: 1, kind: 'resume', containerId: id, actions: [{ op: 'freezer', why: 'runtime:resume', state: 'THAWED' }] },
    {
      planVersion: 1,
      kind: 'kill',
      containerId: id,
      actions: [
        { op: 'freezer', why: 'runtime:kill --all', state: 'FROZEN' },
        { op: 'signal', why: 'runtime:kill --all', ...init, signal: 10, name: 'SIGUSR1' },
        ...made.map((c) => ({ op: 'cgroup.signal', why: 'runtime:kill --all', path: c.path, ino: c.ino, signal: 10, name: 'SIGUSR1' })),
        { op: 'freezer', why: 'runtime:kill --all', state: 'THAWED' },
      ],
    },
  ]);
  // SIGKILL to a paused container thaws it afterwards: a frozen process cannot die.
  pc.ok(['pause', id]);
  pc.ok(['kill', id, 'KILL']);
  assert.deepEqual(plans(id).at(-1)!.actions.map((a) => a.op), ['signal', 'freezer']);
  const audit = pc.run(['audit', id]);
  assert.equal(audit.code, 0, `the trail verifies: ${audit.stdout}${audit.stderr}`);
  // Refusals, in runc's words.
  assert.match(pc.run(['pause', id]).stderr, new RegExp(`^planc: ${id}: container not running: it is stopped\\n$`));
  assert.match(pc.run(['resume', id]).stderr, new RegExp(`^planc: ${id}: container not paused: it is stopped\\n$`));
  assert.match(pc.run(['kill', id]).stderr, new RegExp(`^planc: ${id}: container not running\\n$`));
  assert.equal(pc.run(['kill', id, 'NOSIG']).stderr, 'planc: unknown signal "NOSIG"\n');
});

/** The records of a trail, parsed. */
function records(id: string): Record<string, unknown>[] {
  return readFileSync(trailPath(pc.root, id), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The cgroups planc made for a container, from its record. */
function madeCgroups(id: string): { path: string; ino: number }[] {
  const rec = JSON.parse(readFileSync(join(pc.root, id, 'state.json'), 'utf8')) as { cgroups: { path: string; ino: number; made: boolean }[] };
  return rec.cgroups.filter((c) => c.made).map((c) => ({ path: c.path, ino: c.ino }));
}

test('delete of a stopped container starts no Node process; delete -f of an unknown id neither', { skip: NEEDS_ROOT }, async (t) => {
  assert.ok(STRACE, 'strace is installed (scripts/setup.sh installs it)');
  const id = pc.id(t, 'nf');
  pc.ok(['create', '--bundle', pc.bundle(['true']), id]);
  const pid = pc.state(id).pid;
  pc.ok(['start', id]);
  await pc.waitExited(pid);
  assert.equal(pc.state(id).status, 'stopped');
  for (const [args, code] of [[['delete', id], 0], [['delete', '-f', 'no-such-container'], 0], [['delete', 'no-such-container'], 1]] as const) {
    const { execs, code: got } = execsOf([...args]);
    assert.equal(got, code, `planc ${args.join(' ')} exit status`);
    assert.equal(execs.length, 1, `planc ${args.join(' ')}: one execve (the front's), got:\n${execs.join('\n')}`);
    assert.match(execs[0]!, /execve\("[^"]*\/bin\/planc"/, 'the one execve is the front itself');
  }
  assert.equal(existsSync(join(pc.root, id)), false, 'the state directory is gone');
});

/** No execve in the whole tree ran node: the front planned (the embedded engine) and applied (apply.c) itself. */
function assertNoNode(execs: string[], what: string): void {
  assert.match(execs[0] ?? '', /execve\("[^"]*\/bin\/planc"/, `${what}: the first execve is the front itself`);
  const node = execs.filter((l) => /execve(at)?\([^"]*"[^"]*\/node"/.test(l) || /planc\.cjs/.test(l));
  assert.deepEqual(node, [], `${what}: no Node process, got:\n${execs.join('\n')}`);
  assert.ok(execs.some((l) => /\/planc-exec"/.test(l)), `${what}: the executor ran:\n${execs.join('\n')}`);
}

test('create, run --detach and a foreground run start no Node process: planned in the front, applied by it', { skip: NEEDS_ROOT }, async (t) => {
  assert.ok(STRACE, 'strace is installed (scripts/setup.sh installs it)');
  const bundle = pc.bundle(['true']);
  for (const verb of [['run', '-d'], ['run']]) {
    const id = pc.id(t, 'nfc');
    const { execs, code } = execsOf([...verb, '--bundle', bundle, id]);
    assert.equal(code, 0, `planc ${verb.join(' ')} exit status`);
    assertNoNode(execs, `planc ${verb.join(' ')}`);
    if (verb.length === 2) pc.ok(['delete', '--force', id]);
    else assert.equal(existsSync(join(pc.root, id)), false, 'a foreground run deletes its container');
  }
  // create: strace -f follows the init too, which waits for start.
  const id = pc.id(t, 'nfc');
  const dir = mkdtempSync(join(tmpdir(), 'planc-front-strace-'));
  try {
    const log = join(dir, 'execs');
    const child = spawn(STRACE!, straceArgs(log, ['create', '--bundle', bundle, id]), { stdio: 'ignore', env: { ...process.env, PLANC_AUDIT_DIR: pc.auditDir } });
    const done = new Promise<number | null>((resolve) => child.on('close', resolve));
    for (let i = 0; i < 300 && !existsSync(join(pc.root, id, 'state.json')); i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(pc.state(id).status, 'created');
    pc.ok(['start', id]);
    assert.equal(await done, 0, 'strace (and planc create under it) exit status');
    assertNoNode(execsIn(log), 'planc create');
    pc.ok(['delete', '--force', id]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('delete, and the end of a foreground run, write the teardown plans those call for, one record per action, the trail closed', { skip: NEEDS_ROOT }, async (t) => {
  const sleeper = pc.bundle(['sleep', '100']);
  // Stopped: nothing to kill but what is left in the cgroups planc made.
  const stopped = pc.id(t, 'nf');
  pc.ok(['create', '--bundle', pc.bundle(['true']), stopped]);
  const pid = pc.state(stopped).pid;
  pc.ok(['start', stopped]);
  await pc.waitExited(pid);
  let made = madeCgroups(stopped);
  assert.ok(made.length > 0, 'the container has cgroups planc made');
  pc.ok(['delete', stopped]);
  const del = (why: string, cg: { path: string; ino: number }[], id: string) => [
    ...cg.map((c) => ({ op: 'cgroup.kill', why, path: c.path, ino: c.ino })),
    ...cg.map((c) => ({ op: 'cgroup.remove', why, path: c.path, ino: c.ino })),
    { op: 'state.remove', why, path: join(pc.root, id) },
  ];
  assert.deepEqual(plans(stopped).at(-1), { planVersion: 1, kind: 'delete', containerId: stopped, actions: del('runtime:delete', made, stopped) });
  const recs = records(stopped);
  const at = recs.findIndex((r) => r.plan !== undefined && (r.plan as { kind: string }).kind === 'delete');
  assert.equal(recs[at]!.status, 'stopped');
  assert.equal(recs[at]!.force, false);
  const after = recs.slice(at + 1);
  assert.deepEqual(
    after.map((r) => [r.of, r.i, r.op, r.r]),
    [...del('runtime:delete', made, stopped).map((a, i) => [at, i, a.op, 'ok']), [undefined, undefined, undefined, undefined]],
  );
  assert.equal(after.at(-1)!.final, true, 'the trail is closed');
  // Running, --force: the init first.
  const running = pc.id(t, 'nf');
  pc.ok(['create', '--bundle', sleeper, running]);
  pc.ok(['start', running]);
  let rec = JSON.parse(readFileSync(join(pc.root, running, 'state.json'), 'utf8')) as { pid: number; startTime: string };
  made = madeCgroups(running);
  pc.ok(['delete', '--force', running]);
  const kill = (why: string, r: { pid: number; startTime: string }) => ({ op: 'signal', why, pid: r.pid, startTime: r.startTime, signal: 9, name: 'SIGKILL' });
  assert.deepEqual(plans(running).at(-1), { planVersion: 1, kind: 'delete', containerId: running, actions: [kill('runtime:delete', rec), ...del('runtime:delete', made, running)] });
  // Paused, --force: every process killed before the thaw, so none runs a single instruction more.
  const paused = pc.id(t, 'nf');
  pc.ok(['create', '--bundle', sleeper, paused]);
  pc.ok(['start', paused]);
  pc.ok(['pause', paused]);
  rec = JSON.parse(readFileSync(join(pc.root, paused, 'state.json'), 'utf8')) as { pid: number; startTime: string };
  made = madeCgroups(paused);
  pc.ok(['delete', '-f', paused]);
  assert.deepEqual(plans(paused).at(-1), {
    planVersion: 1,
    kind: 'delete',
    containerId: paused,
    actions: [
      kill('runtime:delete', rec),
      ...made.map((c) => ({ op: 'cgroup.signal', why: 'runtime:delete', path: c.path, ino: c.ino, signal: 9, name: 'SIGKILL' })),
      { op: 'freezer', why: 'runtime:delete', state: 'THAWED' },
      ...del('runtime:delete', made, paused),
    ],
  });
  // A foreground run whose container ended: taken apart by the front's teardown as kind "exit".
  const ran = pc.id(t, 'nf');
  pc.ok(['run', '--bundle', pc.bundle(['true']), ran]);
  const exitPlan = plans(ran).at(-1)!;
  assert.equal(exitPlan.kind, 'exit');
  assert.deepEqual(
    exitPlan.actions.map((a) => [a.op, a.why]),
    [...exitPlan.actions.filter((a) => a.op === 'cgroup.kill').map((a) => ['cgroup.kill', 'runtime:run']), ...exitPlan.actions.filter((a) => a.op === 'cgroup.remove').map((a) => ['cgroup.remove', 'runtime:run']), ['state.remove', 'runtime:run']],
  );
  assert.deepEqual(exitPlan.actions.at(-1), { op: 'state.remove', why: 'runtime:run', path: join(pc.root, ran) });
  for (const id of [stopped, running, paused, ran]) {
    const audit = pc.run(['audit', id]);
    assert.equal(audit.code, 0, `the trail of ${id} verifies: ${audit.stdout}${audit.stderr}`);
    assert.equal(existsSync(join(pc.root, id)), false, `${id}: the state directory is gone`);
  }
});

test('the CLI path of delete says what the front says; the front\'s own teardown is no verb for anyone else', { skip: NEEDS_ROOT }, (t) => {
  const id = pc.id(t, 'nf');
  pc.ok(['create', '--bundle', pc.bundle(['sleep', '100']), id]);
  const env = { ...process.env, PLANC_AUDIT_DIR: pc.auditDir };
  for (const args of [['delete', id], ['delete', 'nope'], ['delete', '-f', 'nope'], ['delete', '../x']]) {
    const viaFront = spawnSync(PLANC, ['--root', pc.root, ...args], { encoding: 'utf8', env });
    const viaCli = spawnSync(process.execPath, [CLI, '--debug=true', '--root', pc.root, ...args], { encoding: 'utf8', env });
    assert.equal(viaCli.stdout, viaFront.stdout, `stdout of planc ${args.join(' ')}`);
    assert.equal(viaCli.stderr, viaFront.stderr, `stderr of planc ${args.join(' ')}`);
    assert.equal(viaCli.status, viaFront.status, `exit status of planc ${args.join(' ')}`);
  }
  assert.equal(pc.run(['delete', id]).stderr, `planc: cannot delete container ${id} that is not stopped: created\n`);
  const r = pc.run(['teardown', '--kind=undo', id]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'planc: teardown: no such command (planc --help lists them)\n');
  assert.equal(pc.state(id).status, 'created', 'the container is left as it was');
  pc.ok(['delete', '-f', id]);
});

/** The exec plans the audit store keeps for a container's first trail, in the order they were made. */
function execPlans(id: string): Buffer[] {
  const dir = join(pc.auditDir, id);
  const seqs = readdirSync(dir)
    .map((f) => /^1\.exec-([0-9]+)\.plan\.msgpack$/.exec(f))
    .filter((m) => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  return seqs.map((n) => readFileSync(join(dir, `1.exec-${n}.plan.msgpack`)));
}

test('exec starts no Node process, and plans byte for byte as the CLI does; what it cannot plan, the CLI reports', { skip: NEEDS_ROOT }, (t) => {
  assert.ok(STRACE, 'strace is installed (scripts/setup.sh installs it)');
  const id = pc.id(t, 'nfx');
  pc.ok(['run', '-d', '--bundle', pc.bundle(['sleep', '100']), id]);
  const env = { ...process.env, PLANC_AUDIT_DIR: pc.auditDir };
  const scratch = mkdtempSync(join(tmpdir(), 'planc-front-exec-'));
  try {
    const processJson = join(scratch, 'process.json');
    writeFileSync(processJson, JSON.stringify({ args: ['sh', '-c', 'exit 0'], cwd: '/tmp', env: ['PATH=/bin', 'X=1'], user: { uid: 0, gid: 0 } }));
    const pidFile = join(scratch, 'pid');
    const shapes: [string[], number][] = [
      [['exec', id, 'true'], 0],
      [['exec', id, 'sh', '-c', 'exit 3'], 3],
      [['exec', id, '--', 'sh', '-c', 'test "$0" = sh'], 0],
      [['exec', '-e', 'A=1', '--env', 'B=2', '--cwd', '/tmp', id, 'sh', '-c', 'test "$A$B$(pwd)" = 12/tmp'], 0],
      [['exec', '-u', '1000:1000', '-g', '10', '--additional-gids', '20', '--no-new-privs', id, 'sh', '-c', 'test "$(id -u)" = 1000'], 0],
      [['exec', '-c', 'CAP_NET_ADMIN', '--cap=CAP_SYS_TIME', id, 'true'], 0],
      [['exec', '-p', processJson, id], 0],
      [['exec', '-d', '--pid-file', pidFile, id, 'sleep', '0'], 0],
      [['exec', id, 'nosuchcommand'], 127],
    ];
    for (const [args, code] of shapes) {
      rmSync(pidFile, { force: true });
      const { execs, code: got } = execsOf(args);
      assert.equal(got, code, `planc ${args.join(' ')} exit status`);
      assertNoNode(execs, `planc ${args.join(' ')}`);
      if (args.includes('--pid-file')) assert.match(readFileSync(pidFile, 'utf8'), /^[1-9][0-9]*$/, '--pid-file holds the pid');
      // The same command line planned by the CLI (node bin/planc.cjs), which then hands over to the same apply step.
      rmSync(pidFile, { force: true });
      const viaCli = spawnSync(process.execPath, [CLI, '--root', pc.root, ...args], { encoding: 'utf8', env });
      assert.equal(viaCli.status, code, `the CLI's planc ${args.join(' ')}: ${viaCli.stderr}`);
      const [front, cli] = execPlans(id).slice(-2);
      assert.ok(front && cli && front.length > 0, 'both execs stored their plans');
      assert.ok(front.equals(cli), `planc ${args.join(' ')}: the front's exec plan is the CLI's, byte for byte`);
    }
    // What the front does not plan itself goes to the CLI whole: the same words, the same status, either way in.
    const refused = [['exec', '--cwd', 'relative', id, 'true'], ['exec', '-p', join(scratch, 'missing.json'), id], ['exec', '-t', id, 'sh'], ['exec', '--preserve-fds', '5', id, 'true'], ['exec', 'nope', 'true'], ['exec', '../x', 'true']];
    for (const args of [...refused, ['pause'], ['exec', id, 'true']]) {
      if (args[0] === 'pause') {
        pc.ok(['pause', id]);
        continue;
      }
      const viaFront = spawnSync(PLANC, ['--root', pc.root, ...args], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] });
      const viaCli = spawnSync(process.execPath, [CLI, '--root', pc.root, ...args], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] });
      assert.notEqual(viaFront.status, 0, `planc ${args.join(' ')} is refused`);
      assert.match(viaFront.stderr, /^planc: .+\n$/, `one line: planc ${args.join(' ')}`);
      assert.equal(viaFront.stderr, viaCli.stderr, `stderr of planc ${args.join(' ')}`);
      assert.equal(viaFront.status, viaCli.status, `exit status of planc ${args.join(' ')}`);
    }
    assert.equal(pc.state(id).status, 'paused', 'the refused execs left the container as it was');
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});
