// planner/exec.ts and planner/console.ts: container plan + record + process in, exec plan out,
// with literal expected actions (no root needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Action, Plan } from '../../schemas/generated/plan.js';
import type { HostFacts } from '../../schemas/generated/hostfacts.js';
import validatePlan from '../../schemas/generated/validate-plan.js';
import { isPlancError, type PlancError } from '../../schemas/error.js';
import { planCreate } from '../../planner/plan.js';
import { type ExecRequest, planExecProcess } from '../../planner/exec.js';
import { checkTerminal } from '../../planner/console.js';
import { defaultHostFacts } from '../../planner/host-facts.js';
import { digestOf, encodePlan } from '../../planner/encode.js';
import { explainLines } from '../../planner/explain.js';
import { type Json, parseJson } from '../../planner/json.js';

const fixture = (name: string): any => parseJson(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8'));
const facts: HostFacts = defaultHostFacts('box', '/bundles/box', '/run/planc');
const container = (mutate?: (c: any) => void): Plan => {
  const c = fixture('default');
  mutate?.(c);
  return planCreate(c as Json, facts);
};
const target = {
  pid: 4242,
  startTime: '987654',
  cgroups: [
    { path: '/sys/fs/cgroup/memory/planc/box', ino: 11 },
    { path: '/sys/fs/cgroup/pids/planc/box', ino: 12 },
  ],
};
const request = (over: Partial<ExecRequest> = {}): ExecRequest => ({ args: ['sh', '-c', 'true'], flags: {}, detach: false, cgroupLayout: () => facts.cgroup, ...over });
const exec = (over: Partial<ExecRequest> = {}, c: Plan = container()) => planExecProcess(c, target, request(over));
const op = <O extends Action['op']>(p: Plan, o: O) => p.actions.filter((a): a is Extract<Action, { op: O }> => a.op === o);
/** op, stage and why of every action: the shape of a plan at a glance. */
const shape = (p: Plan) => p.actions.map((a) => `${a.stage} ${a.op} ← ${a.why}`);

function fails(fn: () => unknown): PlancError {
  try {
    fn();
  } catch (e) {
    if (isPlancError(e)) return e;
    throw e;
  }
  assert.fail('planning should have failed');
}

test('exec ID cmd: the container\'s namespaces and cgroups joined, its process settings reused, the command exec\'d', () => {
  const p = exec();
  assert.equal(p.kind, 'exec');
  assert.deepEqual(shape(p), [
    'host cgroup.open ← runtime:exec',
    'host cgroup.open ← runtime:exec',
    'host ns.enter ← /linux/namespaces',
    'clone clone ← runtime:exec',
    'init cgroup.attach ← runtime:exec',
    'init cgroup.attach ← runtime:exec',
    'init cgroupns.enter ← /linux/namespaces',
    'init rlimit ← /process/rlimits/0',
    'init caps.bounding ← /process/capabilities/bounding',
    'init user ← /process/user',
    'init caps ← /process/capabilities',
    'init no-new-privs ← /process/noNewPrivileges',
    'init chdir ← /process/cwd',
    'init exec.check ← cli:args',
    'init exec ← cli:args',
  ]);
  assert.deepEqual(op(p, 'ns.enter')[0], { stage: 'host', op: 'ns.enter', why: '/linux/namespaces', pid: 4242, startTime: '987654', namespaces: ['pid', 'network', 'mount', 'ipc', 'uts'] });
  assert.deepEqual(op(p, 'cgroup.open')[0], { stage: 'host', op: 'cgroup.open', why: 'runtime:exec', path: '/sys/fs/cgroup/memory/planc/box', ino: 11 });
  assert.deepEqual(op(p, 'clone')[0], { stage: 'clone', op: 'clone', why: 'runtime:exec', namespaces: [], parent: 'executor' });
  assert.deepEqual(op(p, 'exec')[0]!.args, ['sh', '-c', 'true']);
  assert.deepEqual(op(p, 'exec')[0]!.env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm']);
  assert.deepEqual(op(p, 'caps')[0]!.effective, ['CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_AUDIT_WRITE']);
  assert.deepEqual(p.cgroupPaths, []);
  assert.deepEqual(p.namespaces.map((n) => n.path), ['/proc/4242/ns/pid', '/proc/4242/ns/net', '/proc/4242/ns/mnt', '/proc/4242/ns/ipc', '/proc/4242/ns/uts', '/proc/4242/ns/cgroup']);
  assert.ok(validatePlan(JSON.parse(JSON.stringify(p))), JSON.stringify(validatePlan.errors?.slice(0, 3)));
});

test('exec --detach: the process becomes the caller\'s child; nothing waits', () => {
  assert.deepEqual(op(exec({ detach: true }), 'clone')[0], { stage: 'clone', op: 'clone', why: 'cli:--detach', namespaces: [], parent: 'caller' });
});

test('the exec plan has its own digest: deterministic, and bound to the init it joins', () => {
  const a = encodePlan(exec());
  assert.deepEqual(encodePlan(exec()), a);
  assert.notEqual(digestOf(encodePlan(planExecProcess(container(), { ...target, startTime: '987655' }, request()))), digestOf(a));
  assert.notEqual(digestOf(encodePlan(exec({ args: ['ls'] }))), digestOf(a));
});

test('exec flags change the container\'s process as runc does', () => {
  const p = exec({ flags: { cap: ['CAP_SYS_ADMIN', 'CAP_BOGUS'], user: '1000:100', additionalGids: ['5', '7', '5'], cwd: '/tmp', env: ['TERM=dumb', 'FOO=1'], noNewPrivs: true } });
  // --cap: bounding, effective, permitted (not ambient: nothing inheritable); sorted by number.
  assert.deepEqual(op(p, 'caps.bounding')[0], { stage: 'init', op: 'caps.bounding', why: 'cli:--cap', keep: ['CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_ADMIN', 'CAP_AUDIT_WRITE'] });
  assert.deepEqual(op(p, 'caps')[0], { stage: 'init', op: 'caps', why: 'cli:--cap', effective: ['CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_ADMIN', 'CAP_AUDIT_WRITE'], permitted: ['CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_ADMIN', 'CAP_AUDIT_WRITE'], inheritable: [], ambient: [] });
  assert.deepEqual(p.warnings, [{ code: 'unknown-capability', why: 'cli:--cap', message: 'unknown capability CAP_BOGUS ignored' }]);
  assert.deepEqual(op(p, 'user')[0], { stage: 'init', op: 'user', why: 'cli:--user,--additional-gids', uid: 1000, gid: 100, additionalGids: [5, 7], umask: 18 });
  assert.deepEqual(op(p, 'chdir')[0], { stage: 'init', op: 'chdir', why: 'cli:--cwd', path: '/tmp' });
  // --env: a key the container sets keeps its place and takes the new value; a new key is appended.
  assert.deepEqual(op(p, 'exec')[0]!.env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=dumb', 'FOO=1']);
  assert.equal(op(p, 'exec')[0]!.why, 'cli:args,--env');
  assert.equal(op(p, 'no-new-privs').length, 1);
  // --user uid alone keeps the container's gid; --no-new-privs adds the action where the container has none.
  const q = exec({ flags: { user: '33', noNewPrivs: true } }, container((c) => (c.process.noNewPrivileges = false)));
  assert.deepEqual([op(q, 'user')[0]!.uid, op(q, 'user')[0]!.gid], [33, 0]);
  assert.deepEqual(op(q, 'no-new-privs'), [{ stage: 'init', op: 'no-new-privs', why: 'cli:--no-new-privs' }]);
  assert.deepEqual(shape(q).slice(-5), ['init caps ← /process/capabilities', 'init no-new-privs ← cli:--no-new-privs', 'init chdir ← /process/cwd', 'init exec.check ← cli:args', 'init exec ← cli:args']);
});

test('--cap also raises ambient when the container sets inheritable capabilities', () => {
  const c = container((cfg) => (cfg.process.capabilities.inheritable = ['CAP_KILL', 'CAP_SYS_ADMIN']));
  const caps = op(exec({ flags: { cap: ['CAP_SYS_ADMIN', 'CAP_CHOWN'] } }, c), 'caps')[0]!;
  assert.deepEqual(caps.inheritable, ['CAP_KILL', 'CAP_SYS_ADMIN']);
  assert.deepEqual(caps.ambient, ['CAP_SYS_ADMIN']);
});

test('bad exec flags are refused in runc\'s words, naming the flag', () => {
  const cases: [ExecRequest['flags'], string][] = [
    [{ user: 'abc' }, '--user "abc": give uid[:gid] as numbers below 4294967295 (names are not looked up)'],
    [{ user: '1:x' }, '--user "1:x": give uid[:gid] as numbers below 4294967295 (names are not looked up)'],
    [{ user: '4294967295' }, '--user "4294967295": give uid[:gid] as numbers below 4294967295 (names are not looked up)'],
    [{ additionalGids: ['-3'] }, 'additional-gids must be a positive number -3'],
    [{ additionalGids: ['x'] }, '--additional-gids "x": not a number'],
    [{ cwd: 'tmp' }, '--cwd "tmp": cwd must be an absolute path'],
    [{ env: ['NOEQUALS'] }, '--env "NOEQUALS": give KEY=value'],
    [{ apparmor: 'docker-default' }, '--apparmor: AppArmor is not available on this host, so no profile can be applied'],
    [{ processLabel: 'system_u:system_r:container_t' }, '--process-label: SELinux is not available on this host, so no label can be applied'],
  ];
  for (const [flags, message] of cases) assert.equal(fails(() => exec({ flags })).message, message, JSON.stringify(flags));
  assert.equal(fails(() => exec({ args: [] })).message, 'process args cannot be empty: give the command after the container id, or --process');
});

test('terminals: runc\'s rules for -t, --console-socket and --detach', () => {
  assert.equal(fails(() => exec({ detach: true, flags: { tty: true } })).message, 'cannot allocate tty if planc will detach without setting console socket (--console-socket)');
  assert.equal(fails(() => exec({ consoleSocket: '/run/s.sock', flags: { tty: true } })).message, 'cannot use console socket if planc will not detach or allocate tty');
  assert.equal(fails(() => exec({ consoleSocket: '/run/s.sock', detach: true })).message, 'cannot use console socket if planc will not detach or allocate tty');
  // Detached with a socket: connect before joining (a host path), the pty once inside.
  const d = exec({ detach: true, consoleSocket: '/run/s.sock', flags: { tty: true } });
  assert.deepEqual(op(d, 'console.socket'), [{ stage: 'host', op: 'console.socket', why: 'cli:--console-socket', path: '/run/s.sock' }]);
  assert.deepEqual(op(d, 'console.create'), [{ stage: 'init', op: 'console.create', why: 'cli:--tty', sizeFromTerminal: false, devConsole: false }]);
  assert.ok(d.actions.findIndex((a) => a.op === 'console.socket') < d.actions.findIndex((a) => a.op === 'ns.enter'));
  // Foreground: planc relays its own terminal, sized like it.
  const f = exec({ flags: { tty: true } });
  assert.deepEqual(op(f, 'console.relay'), [{ stage: 'host', op: 'console.relay', why: 'cli:--tty' }]);
  assert.deepEqual(op(f, 'console.create'), [{ stage: 'init', op: 'console.create', why: 'cli:--tty', sizeFromTerminal: true, devConsole: false }]);
  assert.deepEqual(shape(f).slice(7, 10), ['init cgroupns.enter ← /linux/namespaces', 'init console.create ← cli:--tty', 'init rlimit ← /process/rlimits/0']);
  // The same rules for create and run, checked before anything exists.
  assert.doesNotThrow(() => checkTerminal({ terminal: true, detach: false }));
  assert.doesNotThrow(() => checkTerminal({ terminal: false, detach: true }));
  assert.equal(fails(() => checkTerminal({ terminal: true, detach: true }, '/process/terminal')).where, '/process/terminal');
});

test('exec --process: process.json says everything; pointers name it; the container fills what it leaves out', () => {
  const doc = { args: ['id', '-u'], cwd: '/srv', user: { uid: 5, gid: 6, additionalGids: [9] }, env: ['A=1'], terminal: false };
  const p = exec({ args: [], process: doc as Json, detach: true });
  assert.deepEqual(shape(p).slice(7), [
    'init rlimit ← /process/rlimits/0',
    'init caps.bounding ← /process/capabilities/bounding',
    'init user ← process.json:/user',
    'init caps ← /process/capabilities',
    'init chdir ← process.json:/cwd',
    'init exec.check ← process.json:/args/0',
    'init exec ← process.json:/args',
  ]);
  assert.deepEqual(op(p, 'exec')[0], { stage: 'init', op: 'exec', why: 'process.json:/args', args: ['id', '-u'], env: ['A=1'] });
  assert.deepEqual(op(p, 'user')[0], { stage: 'init', op: 'user', why: 'process.json:/user', uid: 5, gid: 6, additionalGids: [9], umask: 18 });
  // Its own capabilities and rlimits replace the container's.
  const q = exec({ args: [], process: { ...doc, capabilities: { bounding: ['CAP_CHOWN'], effective: ['CAP_CHOWN'], permitted: ['CAP_CHOWN'] }, rlimits: [{ type: 'RLIMIT_NPROC', soft: 10, hard: 20 }], noNewPrivileges: true } as Json });
  assert.deepEqual(op(q, 'caps.bounding')[0], { stage: 'init', op: 'caps.bounding', why: 'process.json:/capabilities/bounding', keep: ['CAP_CHOWN'] });
  assert.deepEqual(op(q, 'rlimit'), [{ stage: 'init', op: 'rlimit', why: 'process.json:/rlimits/0', resource: 'RLIMIT_NPROC', soft: '10', hard: '20' }]);
  assert.deepEqual(op(q, 'no-new-privs'), [{ stage: 'init', op: 'no-new-privs', why: 'process.json:/noNewPrivileges' }]);
});

test('exec --process: errors point into process.json; process flags and a command are refused beside it', () => {
  assert.deepEqual([fails(() => exec({ args: [], process: { args: [], cwd: '/', user: { uid: 0, gid: 0 } } })).where], ['/args']);
  const cwd = fails(() => exec({ args: [], process: { args: ['x'], cwd: 'rel', user: { uid: 0, gid: 0 } } }));
  assert.deepEqual([cwd.where, cwd.message], ['/cwd', 'cwd must be an absolute path, got "rel"']);
  assert.equal(fails(() => exec({ args: [], process: { args: ['x'], cwd: '/' } })).where, '/user');
  assert.equal(fails(() => exec({ args: [], process: [1] as Json })).message, 'process.json must hold a JSON object (a runtime-spec process)');
  const ok = { args: ['x'], cwd: '/', user: { uid: 0, gid: 0 } };
  assert.equal(fails(() => exec({ args: [], process: ok, flags: { env: ['A=1'] } })).message, '--env cannot be combined with --process: process.json says everything about the process');
  assert.equal(fails(() => exec({ args: [], process: ok, flags: { user: '1' } })).message, '--user cannot be combined with --process: process.json says everything about the process');
  assert.equal(fails(() => exec({ args: ['ls'], process: ok })).message, 'a command ("ls") cannot be combined with --process: process.json gives args');
  // conmon passes --tty with a process.json that has a terminal; one without is a contradiction.
  assert.equal(fails(() => exec({ args: [], process: ok, flags: { tty: true } })).message, '--tty asks for a terminal, but process.json has none ("terminal": false)');
  const t = exec({ args: [], process: { ...ok, terminal: true, consoleSize: { height: 30, width: 100 } }, flags: { tty: true }, detach: true, consoleSocket: '/s' });
  assert.deepEqual(op(t, 'console.create')[0], { stage: 'init', op: 'console.create', why: 'process.json:/terminal', width: 100, height: 30, sizeFromTerminal: false, devConsole: false });
});

test('the container\'s per-process actions keep their place; an exec\'s own oom_score_adj replaces it', () => {
  const c = container((cfg) => (cfg.process.oomScoreAdj = 500));
  const p = exec({}, c);
  assert.deepEqual(shape(p).slice(7, 10), ['init rlimit ← /process/rlimits/0', 'init oom-score-adj ← /process/oomScoreAdj', 'init caps.bounding ← /process/capabilities/bounding']);
  assert.deepEqual(op(p, 'oom-score-adj'), [{ stage: 'init', op: 'oom-score-adj', why: '/process/oomScoreAdj', value: 500 }]);
  const q = exec({ args: [], process: { args: ['x'], cwd: '/', user: { uid: 0, gid: 0 }, oomScoreAdj: -10 } }, c);
  assert.deepEqual(op(q, 'oom-score-adj'), [{ stage: 'init', op: 'oom-score-adj', why: 'process.json:/oomScoreAdj', value: -10 }]);
});

test('--cgroup: one sub-cgroup for every hierarchy, or per controller; never above the container\'s', () => {
  const subs = (p: Plan) => op(p, 'cgroup.open').map((a) => `${a.path}:${a.sub ?? ''}`);
  assert.deepEqual(subs(exec({ cgroup: ['a/b'] })), ['/sys/fs/cgroup/memory/planc/box:a/b', '/sys/fs/cgroup/pids/planc/box:a/b']);
  assert.deepEqual(subs(exec({ cgroup: ['memory:/x/./y/'] })), ['/sys/fs/cgroup/memory/planc/box:x/y', '/sys/fs/cgroup/pids/planc/box:']);
  assert.deepEqual(subs(exec({ cgroup: ['memory,pids:z'] })), ['/sys/fs/cgroup/memory/planc/box:z', '/sys/fs/cgroup/pids/planc/box:z']);
  assert.deepEqual(op(exec({ cgroup: ['pids:z'] }), 'cgroup.attach').map((a) => `${a.path} ← ${a.why}`), ['/sys/fs/cgroup/memory/planc/box ← runtime:exec', '/sys/fs/cgroup/pids/planc/box/z ← cli:--cgroup']);
  const errors: [string[], string][] = [
    [['a', 'b'], 'invalid --cgroup argument: a (missing <controller>: prefix)'],
    [['cpu:x'], '--cgroup: unknown controller cpu: the container has no cgroup in a cpu hierarchy'],
    [['memory:x', 'memory:y'], 'invalid --cgroup argument(s): controller memory specified multiple times'],
    [[':x'], 'invalid --cgroup argument: :x (empty <controller> prefix)'],
    [['../other'], '--cgroup "../other": ".." would leave the container\'s cgroup'],
  ];
  for (const [cgroup, message] of errors) assert.equal(fails(() => exec({ cgroup })).message, message, cgroup.join(' '));
});

test('the host\'s cgroup layout is read only for --cgroup CONTROLLER:path', () => {
  let reads = 0;
  const layout = () => (reads++, facts.cgroup);
  for (const over of [{}, { cgroup: ['a/b'] }, { args: [], process: { args: ['x'], cwd: '/', user: { uid: 0, gid: 0 } } }] as Partial<ExecRequest>[]) exec({ ...over, cgroupLayout: layout });
  assert.equal(reads, 0, 'no --cgroup, one plain path, or a process.json: the layout is not needed');
  exec({ cgroup: ['memory:x'], cgroupLayout: layout });
  assert.equal(reads, 1, 'a controller prefix is looked up in it');
});

test('create with a terminal: the socket before any join, the pty after the pivot (and on /dev/console)', () => {
  const tty = (c: any) => {
    c.process.terminal = true;
    c.process.consoleSize = { height: 24, width: 80 };
  };
  const p = planCreate(fixture('default') as Json, facts, { consoleSocket: '/run/conmon/s.sock' });
  assert.equal(op(p, 'console.create').length, 0, 'no terminal asked, none planned');
  const withTty = (() => {
    const c = fixture('default');
    tty(c);
    return c as Json;
  })();
  const created = planCreate(withTty, facts, { consoleSocket: '/run/conmon/s.sock' });
  assert.deepEqual(op(created, 'console.socket'), [{ stage: 'host', op: 'console.socket', why: 'cli:--console-socket', path: '/run/conmon/s.sock' }]);
  assert.deepEqual(op(created, 'console.create'), [{ stage: 'init', op: 'console.create', why: '/process/terminal', width: 80, height: 24, sizeFromTerminal: false, devConsole: true }]);
  const ops = created.actions.map((a) => a.op);
  assert.equal(ops.indexOf('console.create'), ops.indexOf('rootfs.pivot') + 1);
  assert.ok(ops.indexOf('console.socket') < ops.indexOf('clone'));
  // Foreground run: the relay, sized like planc's terminal.
  const run = planCreate(withTty, facts, { waitForStart: false, foreground: true });
  assert.deepEqual(op(run, 'console.relay'), [{ stage: 'host', op: 'console.relay', why: '/process/terminal' }]);
  assert.equal(op(run, 'console.create')[0]!.sizeFromTerminal, true);
  // Planned for create without a socket: shown, with the warning that create will need one.
  const bare = planCreate(withTty, facts);
  assert.deepEqual(bare.warnings.filter((w) => w.code === 'terminal'), [{ code: 'terminal', why: '/process/terminal', message: 'process.terminal: creating this container needs --console-socket, where its pty master is sent' }]);
  const big = fixture('default');
  big.process.terminal = true;
  big.process.consoleSize = { height: 70000, width: 80 };
  assert.equal(fails(() => planCreate(big as Json, facts)).where, '/process/consoleSize/height');
});

test('explain of an exec plan (snapshot, UPDATE_SNAPSHOTS=1 rewrites it)', () => {
  const p = exec({ flags: { tty: true, env: ['FOO=1'], cap: ['CAP_SYS_ADMIN'] }, cgroup: ['memory:sub'] });
  const text = explainLines(p).join('\n') + '\n';
  const file = new URL('./snapshots/exec.explain.txt', import.meta.url);
  if (process.env.UPDATE_SNAPSHOTS === '1') writeFileSync(file, text);
  assert.ok(existsSync(file), 'snapshot exec.explain.txt is missing (it is committed; UPDATE_SNAPSHOTS=1 writes it, review the diff)');
  assert.equal(text, readFileSync(file, 'utf8'), 'explain of the exec plan changed (UPDATE_SNAPSHOTS=1 rewrites it; review the diff)');
});

test('an exec\'s trail is checked as ended where the container\'s trail says: complete, or stopped by a failure that is its last record', async () => {
  const { verifyTrail } = await import('../../planner/audit.js');
  const { createHash } = await import('node:crypto');
  const hex = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
  const p = exec({ args: ['nosuch'] });
  const bytes = encodePlan(p);
  const header = { trail: 'planc-audit/1', planDigest: digestOf(bytes), containerId: 'box', actions: p.actions.length, t: 1 };
  const rec = (i: number, r = 'ok', extra: object = {}) => ({ i, op: p.actions[i]!.op, stage: p.actions[i]!.stage, r, t: 1700000000000000, ...extra });
  const upTo = (n: number) => Array.from({ length: n }, (_, i) => rec(i));
  const check = p.actions.findIndex((a) => a.op === 'exec.check');
  const last = p.actions.length - 1;
  /** The trail's bytes, and the anchor the container's trail would record for it. */
  const trail = (recs: object[]) => {
    let prev = hex(bytes);
    const lines = recs.map((r, n) => {
      const line = JSON.stringify({ n, ...r, prev });
      prev = hex(line);
      return line;
    });
    return { bytes: Buffer.from(lines.map((l) => l + '\n').join('')), anchor: { lines: lines.length, head: prev } };
  };
  const verify = (recs: object[], anchor?: { lines: number; head: string }) => {
    const t = trail(recs);
    return verifyTrail(bytes, t.bytes, { anchor: anchor ?? t.anchor });
  };
  const complete = verify([header, ...upTo(last), rec(last, 'pending'), rec(last, 'ok', { by: 'executor' })]);
  assert.deepEqual(complete.problems, []);
  assert.equal(complete.applied, p.actions.length);
  const notFound = rec(check, 'error', { errno: 2, msg: 'exec: "nosuch": executable file not found in $PATH' });
  const stopped = verify([header, ...upTo(check), notFound]);
  assert.deepEqual(stopped.problems, []);
  assert.equal(stopped.failed, `action ${check} (exec.check, from cli:args) failed: exec: "nosuch": executable file not found in $PATH`);
  // A failure in the middle, a record missing before the end, an unconfirmed exec, or a trail cut after the container's trail recorded its end: mismatches.
  assert.match(verify([header, ...upTo(check), notFound, rec(check + 1)]).problems.join(), /recorded after a failed action/);
  assert.match(verify([header, ...upTo(check - 1), notFound]).problems.join(), new RegExp(`action ${check} recorded, but action ${check - 1} is missing before it`));
  assert.match(verify([header, ...upTo(last), rec(last, 'pending')]).problems.join(), /the exec \(action \d+\) is pending: its outcome was never recorded/);
  const whole = trail([header, ...upTo(last), rec(last, 'pending'), rec(last, 'ok', { by: 'executor' })]);
  const cut = verifyTrail(bytes, trail([header, ...upTo(last), rec(last, 'pending')]).bytes, { anchor: whole.anchor });
  assert.equal(cut.broken?.kind, 'truncated');
});

test('the container\'s seccomp filter, loaded where runc loads it for the exec: late with no_new_privs, before the privilege drop without', () => {
  const filter = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] };
  const withNnp = container((c) => (c.linux.seccomp = filter));
  const load = op(withNnp, 'seccomp.load')[0]!;
  const p = exec({}, withNnp);
  assert.deepEqual(op(p, 'seccomp.load'), [load], 'the container\'s program, flags and digest, as they are');
  assert.deepEqual(shape(p).slice(-3), ['init seccomp.load ← /linux/seccomp', 'init exec.check ← cli:args', 'init exec ← cli:args']);
  const without = container((c) => {
    c.linux.seccomp = filter;
    c.process.noNewPrivileges = false;
  });
  assert.deepEqual(shape(exec({}, without)).slice(7, 10), ['init rlimit ← /process/rlimits/0', 'init seccomp.load ← /linux/seccomp', 'init caps.bounding ← /process/capabilities/bounding']);
  // The exec's own no_new_privs decides, not the container's.
  assert.deepEqual(shape(exec({ flags: { noNewPrivs: true } }, without)).slice(-3), ['init seccomp.load ← /linux/seccomp', 'init exec.check ← cli:args', 'init exec ← cli:args']);
  const early = exec({ args: [], process: { args: ['x'], cwd: '/', user: { uid: 0, gid: 0 }, noNewPrivileges: false } }, withNnp);
  assert.deepEqual(shape(early).slice(7, 10), ['init rlimit ← /process/rlimits/0', 'init seccomp.load ← /linux/seccomp', 'init caps.bounding ← /process/capabilities/bounding']);
  // A filter that notifies an agent: refused, naming the setting.
  const notify = container((c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/agent.sock', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] }));
  const e = fails(() => exec({}, notify));
  assert.deepEqual([e.code, e.where, e.message], ['unsupported', '/linux/seccomp/listenerPath', 'exec into a container whose seccomp filter notifies an agent (listenerPath) is not supported yet']);
});
