// `planc exec` into real containers: a second process in every namespace and
// cgroup of the container, with the container's (or the given) credentials,
// its exit status passed through; --detach/--pid-file, --process, --cgroup,
// --preserve-fds; runc's 126/127 words; bad input as one clear line with
// nothing left; its audit trail. Where runc behaves the same, the same bundle
// and calls run under runc too and must give the same observations.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodePlan } from '../../planner/encode.js';
import { cgroupDir, NEEDS_ROOT, Planc, type Result, sha256, uniqueId, verifyStartedAudit, waitFor } from '../helpers/planc.js';
import { runcBinary } from '../helpers/runc.js';

const pc = new Planc();
const RUNC = runcBinary();
const runcRoot = pc.scratchPath('runc-root');
mkdirSync(runcRoot, { recursive: true });
const runcIds: string[] = [];
after(() => {
  for (const id of runcIds) runc(['delete', '--force', id]);
  pc.cleanup();
});
const skip = NEEDS_ROOT;
// The skip gate checks "needs runc" against the machine itself (test/skip-allowlist.json).
const skipRunc = NEEDS_ROOT || (RUNC === null && 'needs runc');

let calls = 0;
/** runc with a private --root; output through files (a detached process keeps its stdio). */
function runc(args: string[]): Result {
  const n = ++calls;
  const stdoutFile = pc.scratchPath(`runc-out-${n}`);
  const stderrFile = pc.scratchPath(`runc-err-${n}`);
  const fds = [openSync(stdoutFile, 'w+'), openSync(stderrFile, 'w+')];
  try {
    const r = spawnSync(RUNC!, ['--root', runcRoot, ...args], { stdio: ['ignore', fds[0]!, fds[1]!], timeout: 20_000 });
    return { code: r.status, signal: r.signal, stdout: readFileSync(stdoutFile, 'utf8'), stderr: readFileSync(stderrFile, 'utf8'), stdoutFile, stderrFile };
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}

/** A running container (run -d) of `sleep 1000`; its id, init pid and bundle. */
async function running(t: Parameters<Planc['id']>[0], mutate?: (c: any) => void) {
  const id = pc.id(t, 'ex');
  const bundle = pc.bundle(['sleep', '1000'], mutate);
  pc.ok(['run', '-d', '--bundle', bundle, id]);
  await verifyStartedAudit(pc.root, id);
  return { id, bundle, pid: pc.state(id).pid };
}

/** The same bundle under runc (run -d), for the differential tests. */
function runcRunning(bundle: string): { id: string; pid: number } {
  const id = uniqueId('exr');
  runcIds.push(id);
  const r = runc(['run', '-d', '--bundle', bundle, id]);
  assert.equal(r.code, 0, `runc run: ${r.stderr}`);
  return { id, pid: JSON.parse(runc(['state', id]).stdout).pid as number };
}

const NAMESPACES = ['mnt', 'pid', 'net', 'ipc', 'uts', 'cgroup'];
const nsOf = (pid: number) => Object.fromEntries(NAMESPACES.map((n) => [n, readlinkSync(`/proc/${pid}/ns/${n}`)]));
const statusLines = (text: string, keys: string[]) => text.split('\n').filter((l) => keys.some((k) => l.startsWith(`${k}:`))).join('\n');
const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !['Z', 'X'].includes(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]!);
  } catch {
    return false;
  }
};

test('exec: a second process in the container — its hostname, mount and pid namespace (its init as pid 1), cgroups and capabilities', { skip }, async (t) => {
  const c = await running(t);
  const r = pc.ok(['exec', c.id, 'sh', '-c', 'hostname; tr "\\0" " " </proc/1/cmdline; echo; echo $$; grep -E "^Cap(Eff|Bnd)" /proc/self/status; cat /proc/self/cgroup']);
  const lines = r.stdout.split('\n');
  assert.equal(lines[0], 'planc', 'the container\'s hostname');
  assert.equal(lines[1], 'sleep 1000 ', 'pid 1 is the container\'s init');
  assert.ok(Number(lines[2]) > 1 && Number(lines[2]) < 100, `a pid of the container's pid namespace: ${lines[2]}`);
  // planc spec's capabilities: CAP_KILL (5), CAP_NET_BIND_SERVICE (10), CAP_AUDIT_WRITE (29).
  assert.equal(lines[3], 'CapEff:\t0000000020000420');
  assert.equal(lines[4], 'CapBnd:\t0000000020000420');
  // In the cgroup namespace the container's cgroups are its root.
  for (const l of lines.slice(5).filter((l) => /^[0-9]+:(memory|pids|freezer):/.test(l))) assert.match(l, /:\/$/, l);

  // Seen from the host, a detached exec'd process shares every namespace of the init and sits in its cgroups.
  const pidFile = pc.scratchPath(`pid-${c.id}`);
  const d = pc.ok(['exec', '--detach', '--pid-file', pidFile, c.id, 'sleep', '300']);
  assert.equal(d.stdout, '');
  const text = readFileSync(pidFile, 'utf8');
  assert.match(text, /^[0-9]+$/, 'decimal pid, no newline (as create writes it)');
  const pid = Number(text);
  assert.ok(alive(pid), 'exec --detach returned while the process runs');
  assert.deepEqual(nsOf(pid), nsOf(c.pid));
  for (const controller of ['memory', 'pids', 'freezer', 'devices']) {
    const procs = readFileSync(join(cgroupDir(controller, `planc/${c.id}`), 'cgroup.procs'), 'utf8').split('\n');
    assert.ok(procs.includes(String(pid)), `the exec'd process is in the container's ${controller} cgroup`);
  }
  assert.ok(pc.ok(['ps', c.id]).stdout.includes(String(pid)), 'planc ps lists it');
  // Deleting the container takes the exec'd process with it.
  pc.ok(['delete', '--force', c.id]);
  await waitFor('the exec\'d process to go with the container', () => !alive(pid));
});

test('exec: the exit status passes through, 128+N for a signal; signals to planc reach the process', { skip }, async (t) => {
  const c = await running(t);
  assert.equal(pc.run(['exec', c.id, 'sh', '-c', 'exit 7']).code, 7);
  assert.equal(pc.run(['exec', c.id, 'sh', '-c', 'kill -9 $$']).code, 137);
  assert.equal(pc.run(['exec', c.id, 'true']).code, 0);
  const marker = pc.scratchPath(`trap-${c.id}`);
  const p = pc.spawn(['exec', c.id, 'sh', '-c', 'trap "exit 9" TERM; echo ready; while :; do sleep 0.1; done']);
  await waitFor('the exec\'d shell to be ready', () => readFileSync(p.stdoutFile, 'utf8').includes('ready'));
  p.child.kill('SIGTERM');
  const r = await p.done;
  assert.equal(r.code, 9, `planc forwarded SIGTERM and exited with the trap's status: ${r.stderr}`);
  assert.ok(!existsSync(marker));
});

test('exec flags: --env, --cwd, --user, --additional-gids, --cap, --no-new-privs applied (and the same as runc)', { skip: skipRunc }, async (t) => {
  const c = await running(t, (cfg) => (cfg.process.noNewPrivileges = false));
  const script = 'grep -E "^(Uid|Gid|Groups|CapEff|CapBnd|CapPrm|NoNewPrivs):" /proc/self/status; pwd; echo "FOO=$FOO TERM=$TERM"';
  // (runc refuses two spellings of one flag in a call: "Cannot use two forms of the same flag".)
  const flags = ['--env', 'FOO=bar', '--env', 'TERM=dumb', '--cwd', '/tmp', '--user', '1000:100', '-g', '5', '-g', '7', '--cap', 'CAP_SYS_ADMIN', '--no-new-privs'];
  const p = pc.ok(['exec', ...flags, c.id, 'sh', '-c', script]);
  assert.equal(p.stdout, [
    'Uid:\t1000\t1000\t1000\t1000',
    'Gid:\t100\t100\t100\t100',
    'Groups:\t5 7 ',
    'CapPrm:\t0000000000000000',
    'CapEff:\t0000000000000000',
    // CAP_SYS_ADMIN (21) joins the bounding set; as uid 1000 nothing stays effective.
    'CapBnd:\t0000000020200420',
    'NoNewPrivs:\t1',
    '/tmp',
    'FOO=bar TERM=dumb',
    '',
  ].join('\n'));
  // As root, --cap is effective too.
  assert.equal(statusLines(pc.ok(['exec', '--cap', 'CAP_SYS_ADMIN', c.id, 'cat', '/proc/self/status']).stdout, ['CapEff', 'NoNewPrivs']), 'CapEff:\t0000000020200420\nNoNewPrivs:\t0');
  const r = runcRunning(c.bundle);
  const rr = runc(['exec', ...flags, r.id, 'sh', '-c', script]);
  assert.equal(rr.code, 0, rr.stderr);
  assert.equal(p.stdout, rr.stdout, 'runc gives the exec the same credentials, directory and environment');
});

test('exec --process process.json: the file says everything (args, env, cwd, user, capabilities, terminal)', { skip }, async (t) => {
  const c = await running(t);
  const file = pc.scratchPath(`process-${c.id}.json`);
  writeFileSync(file, JSON.stringify({
    terminal: false,
    user: { uid: 33, gid: 44, additionalGids: [55] },
    args: ['sh', '-c', 'id; pwd; echo "$GREETING"; grep -E "^(CapBnd|NoNewPrivs):" /proc/self/status'],
    env: ['PATH=/bin', 'GREETING=hello from process.json'],
    cwd: '/etc',
    capabilities: { bounding: ['CAP_CHOWN'], effective: [], permitted: [] },
    noNewPrivileges: true,
  }));
  const r = pc.ok(['exec', '--process', file, c.id]);
  assert.equal(r.stdout, 'uid=33 gid=44 groups=55\n/etc\nhello from process.json\nCapBnd:\t0000000000000001\nNoNewPrivs:\t1\n');
  // The plan planc exec runs is the one plan --process shows, with its digest.
  const planned = pc.ok(['plan', '--process', file, '--id', c.id, '--digest']).stdout.trim();
  // Exec trails are kept in the durable audit store, beside the container's (docs/audit.md).
  const trails = readdirSync(join(pc.auditDir, c.id)).filter((n) => /^1\.exec-[0-9]+\.plan\.msgpack$/.test(n)).sort((a, b) => parseInt(a.slice(7)) - parseInt(b.slice(7)));
  assert.equal(sha256(readFileSync(join(pc.auditDir, c.id, trails.at(-1)!))), planned);
  const explained = pc.ok(['explain', '--process', file, '--id', c.id, '--flat']).stdout;
  assert.match(explained, /^exec plan sha256:[0-9a-f]{64} for ex-/);
  assert.match(explained, /run as uid 33 gid 44 groups 55  ← process\.json:\/user/);
});

test('exec: a command that cannot run exits 127 or 126 with runc\'s words (what podman maps), and says so in the audit trail', { skip: skipRunc }, async (t) => {
  const c = await running(t);
  const r = runcRunning(c.bundle);
  const cases: [string, number, string][] = [
    ['nosuch', 127, 'exec: "nosuch": executable file not found in $PATH'],
    ['/etc/passwd', 126, 'exec: "/etc/passwd": permission denied'],
    ['/no/such/file', 127, 'exec: "/no/such/file": stat /no/such/file: no such file or directory'],
  ];
  for (const [cmd, code, words] of cases) {
    const p = pc.run(['exec', c.id, cmd]);
    assert.equal(p.code, code, `${cmd}: ${p.stderr}`);
    assert.equal(p.stderr, `planc: ${words}\n`);
    const rr = runc(['exec', r.id, cmd]);
    assert.ok(rr.stderr.includes(words.replace(/"/g, '\\"')), `runc says ${rr.stderr}`);
  }
  // The container's own trail and the execs' check out; the failed ones say where they stopped.
  const audit = pc.run(['audit', '--json', c.id]);
  assert.equal(audit.code, 0, audit.stdout);
  const report = JSON.parse(audit.stdout);
  const execs = report.trails.filter((e: { exec?: number }) => e.exec !== undefined);
  assert.deepEqual(execs.map((e: { exec: number; ok: boolean; failed?: string }) => [e.exec, e.ok, e.failed?.replace(/^action [0-9]+ /, '')]), [
    [1, true, '(exec.check, from cli:args) failed: exec: "nosuch": executable file not found in $PATH'],
    [2, true, '(exec.check, from cli:args) failed: exec: "/etc/passwd": permission denied'],
    [3, true, '(exec.check, from cli:args) failed: exec: "/no/such/file": stat /no/such/file: no such file or directory'],
  ]);
  assert.equal(alive(c.pid), true, 'the container is untouched');
});

test('exec: every trail verifies against its plan, action for action, and --audit-log receives it tagged', { skip }, async (t) => {
  const id = pc.id(t, 'exa');
  const bundle = pc.bundle(['sleep', '1000']);
  const log = pc.scratchPath(`audit-${id}.jsonl`);
  pc.ok(['run', '-d', '--audit-log', log, '--bundle', bundle, id]);
  await verifyStartedAudit(pc.root, id);
  pc.ok(['exec', id, 'true']);
  // Its plan and trail in the durable store; the container's trail names it and records where it ended.
  const planBytes = readFileSync(join(pc.auditDir, id, '1.exec-1.plan.msgpack'));
  const plan = decodePlan(planBytes);
  assert.equal(plan.kind, 'exec');
  const report = JSON.parse(pc.ok(['audit', id, '--json']).stdout) as { trails: { exec?: number; ok: boolean; state: string; applied: number; skipped: number; planDigest: string; problems: string[] }[] };
  const exec1 = report.trails.find((x) => x.exec === 1)!;
  assert.deepEqual([exec1.ok, exec1.state, exec1.applied, exec1.skipped, exec1.planDigest, exec1.problems], [true, 'closed', plan.actions.length, 0, sha256(planBytes), []]);
  // --audit-log: every record of the exec, tagged (the exec twice: pending, then confirmed).
  const tagged = readFileSync(log, 'utf8').split('\n').filter((l) => l.includes('"exec":1'));
  assert.equal(tagged.length, plan.actions.length + 1);
  assert.deepEqual(JSON.parse(tagged[0]!).planDigest, sha256(planBytes));
  assert.match(pc.ok(['audit', id]).stdout, /^ok: [0-9]+ applied, [0-9]+ skipped, 0 problems; \S+ #1, open \(the container is running\); signature unsigned\n {2}\S+\nok: [0-9]+ applied, 0 skipped, 0 problems; \S+ #1 exec 1, closed; signature unsigned\n {2}\S+\/1\.exec-1\.audit\.jsonl\n$/);
});

test('exec --cgroup: into an existing sub-cgroup of one controller (v1), never a missing one; delete empties and removes it', { skip }, async (t) => {
  const c = await running(t);
  const sub = join(cgroupDir('memory', `planc/${c.id}`), 'sub');
  mkdirSync(sub);
  const r = pc.ok(['exec', '--cgroup', 'memory:sub', c.id, 'cat', '/proc/self/cgroup']);
  const lines = r.stdout.split('\n');
  assert.ok(lines.some((l) => /^[0-9]+:memory:\/sub$/.test(l)), r.stdout);
  assert.ok(lines.some((l) => /^[0-9]+:pids:\/$/.test(l)), r.stdout);
  const missing = pc.run(['exec', '--cgroup', 'pids:nosub', c.id, 'true']);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, `planc: exec --cgroup: "${join(cgroupDir('pids', `planc/${c.id}`), 'nosub')}": no such sub-cgroup (it must exist)\n`);
  const unknown = pc.run(['exec', '--cgroup', 'bogus:x', c.id, 'true']);
  assert.equal(unknown.stderr, 'planc: --cgroup: unknown controller bogus: the container has no cgroup in a bogus hierarchy\n');
  assert.equal(pc.run(['exec', '--cgroup', '../..', c.id, 'true']).stderr, 'planc: --cgroup "../..": ".." would leave the container\'s cgroup\n');
  // A process left in the sub-cgroup: delete --force kills it and removes the sub-cgroup with the container's, as runc.
  const pidFile = pc.scratchPath(`sub-pid-${c.id}`);
  pc.ok(['exec', '-d', '--pid-file', pidFile, '--cgroup', 'memory:sub', c.id, 'sleep', '300']);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  assert.ok(readFileSync(join(sub, 'cgroup.procs'), 'utf8').split('\n').includes(String(pid)));
  assert.ok(pc.ok(['ps', c.id]).stdout.includes(`${pid}`), 'ps lists processes of sub-cgroups too');
  pc.ok(['delete', '--force', c.id]);
  assert.ok(!existsSync(sub) && !existsSync(cgroupDir('memory', `planc/${c.id}`)), 'the sub-cgroup went with the container\'s');
  await waitFor('the process in the sub-cgroup to be killed', () => !alive(pid));
});

test('exec --preserve-fds: the caller\'s fd 3 reaches the process, nothing else does', { skip }, async (t) => {
  const c = await running(t);
  const file = pc.scratchPath(`fd-${c.id}`);
  writeFileSync(file, 'preserved\n');
  const fd = openSync(file, 'r');
  try {
    const r = pc.ok(['exec', '--preserve-fds', '1', c.id, 'sh', '-c', 'cat <&3; ls /proc/self/fd | sort -n | tr "\\n" " "'], { extraFds: [fd] });
    // 0-2, the preserved 3, and ls's own directory fd.
    assert.equal(r.stdout, 'preserved\n0 1 2 3 4 ');
  } finally {
    closeSync(fd);
  }
});

test('exec into an unknown, stopped or paused container, or with bad input: one clear line, nothing left', { skip }, async (t) => {
  const oneLine = (r: Result, line: string) => {
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr, `planc: ${line}\n`);
    assert.equal(r.stdout, '');
  };
  oneLine(pc.run(['exec', 'no-such-container', 'true']), 'no-such-container: container does not exist');
  oneLine(pc.run(['exec', '../x', 'true']), 'invalid container id "../x": use letters, digits and _ . + - (starting with a letter or digit)');
  const c = await running(t);
  const entries = () => readdirSync(join(pc.root, c.id)).sort();
  const before = entries();
  const procs = () => readFileSync(join(cgroupDir('pids', `planc/${c.id}`), 'cgroup.procs'), 'utf8');
  const alone = procs();
  const bad = pc.scratchPath('bad-process.json');
  writeFileSync(bad, '{"args": ["true"], "cwd": "relative", "user": {"uid": 0, "gid": 0}}');
  oneLine(pc.run(['exec', '--process', bad, c.id]), `${bad}: /cwd: cwd must be an absolute path, got "relative"`);
  writeFileSync(bad, '{"args": [');
  oneLine(pc.run(['exec', '--process', bad, c.id]), `${bad}: invalid JSON at line 1 column 11: unexpected end of input`);
  oneLine(pc.run(['exec', '--process', pc.scratchPath('none.json'), c.id]), `${pc.scratchPath('none.json')}: no such file or directory`);
  oneLine(pc.run(['exec', c.id]), 'process args cannot be empty: give the command after the container id, or --process');
  oneLine(pc.run(['exec', '-d', '-t', c.id, 'sh']), 'cannot allocate tty if planc will detach without setting console socket (--console-socket)');
  oneLine(pc.run(['exec', '--console-socket', pc.scratchPath('no.sock'), '-d', '-t', c.id, 'sh']), `--console-socket ${pc.scratchPath('no.sock')}: no such file or directory`);
  oneLine(pc.run(['exec', '--console-socket', bad, '-d', '-t', c.id, 'sh']), `--console-socket ${bad}: not a socket`);
  oneLine(pc.run(['exec', '--apparmor', 'x', c.id, 'true']), '--apparmor: AppArmor is not available on this host, so no profile can be applied');
  oneLine(pc.run(['exec', '--user', 'nobody', c.id, 'true']), '--user "nobody": give uid[:gid] as numbers below 4294967295 (names are not looked up)');
  assert.deepEqual(entries(), before, 'no trail for what was refused before planning ended');
  assert.equal(procs(), alone, 'no process was started');

  pc.ok(['pause', c.id]);
  oneLine(pc.run(['exec', c.id, 'true']), `${c.id}: cannot exec in a paused container (use --ignore-paused to override)`);
  pc.ok(['resume', c.id]);
  pc.ok(['kill', c.id, 'KILL']);
  await pc.waitStatus(c.id, 'stopped');
  oneLine(pc.run(['exec', c.id, 'true']), `${c.id}: cannot exec in a stopped container`);
  assert.deepEqual(entries(), before);
});

test('exec --ignore-paused into a paused container: the process starts frozen and runs once the container is resumed (as runc)', { skip }, async (t) => {
  const c = await running(t);
  pc.ok(['pause', c.id]);
  const p = pc.spawn(['exec', '--ignore-paused', c.id, 'echo', 'ran']);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(p.child.exitCode, null, 'the exec waits while the container is frozen');
  pc.ok(['resume', c.id]);
  const r = await p.done;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'ran\n');
});

test('exec: the container\'s seccomp filter applies to the exec\'d process too (the same as runc)', { skip: skipRunc }, async (t) => {
  const seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 95 }] };
  const c = await running(t, (cfg) => (cfg.linux.seccomp = seccomp));
  const script = 'grep -E "^Seccomp(_filters)?:" /proc/self/status; mkdir /dev/shm/x 2>&1; echo "status $?"';
  const p = pc.ok(['exec', c.id, 'sh', '-c', script]);
  assert.equal(p.stdout, "Seccomp:\t2\nSeccomp_filters:\t1\nmkdir: can't create directory '/dev/shm/x': Operation not supported\nstatus 1\n");
  // As another user too (the filter is loaded after the credentials change, with no_new_privs).
  const q = pc.ok(['exec', '--user', '1000', c.id, 'sh', '-c', script]);
  assert.equal(q.stdout, p.stdout);
  const r = runcRunning(c.bundle);
  const rr = runc(['exec', r.id, 'sh', '-c', script]);
  assert.equal(rr.code, 0, rr.stderr);
  assert.equal(rr.stdout, p.stdout);
});
