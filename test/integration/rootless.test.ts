// Rootless, live (issue 13): an ordinary user made for this test with useradd
// builds an image, unpacks it and runs it — a user namespace with its own id
// (or its /etc/subuid ranges, through newuidmap), no cgroup where none is
// delegated (this host's cgroup v1), state under $XDG_RUNTIME_DIR/planc —
// and gets one clear line for each thing it may not do. The users are removed
// afterwards (userdel also drops their /etc/subuid and /etc/subgid entries).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXECUTOR, NEEDS_ROOT, PLANC, REPO } from '../helpers/planc.js';

const skip = NEEDS_ROOT;
const user = `prl${process.pid}`;
const sysUser = `prs${process.pid}`;
let uid = -1;
let scratch = '';
let install = '';
let home = '';
let xdg = '';
const made: string[] = [];

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

before(() => {
  if (NEEDS_ROOT) return;
  // An ordinary user: useradd gives it /etc/subuid and /etc/subgid ranges (login.defs SUB_UID_COUNT).
  sh('useradd', ['-M', '-U', '-s', '/usr/sbin/nologin', user]);
  made.push(user);
  // A system user: no subordinate ids.
  sh('useradd', ['-r', '-M', '-U', '-s', '/usr/sbin/nologin', sysUser]);
  made.push(sysUser);
  uid = Number(sh('id', ['-u', user]).trim());
  scratch = mkdtempSync(join(tmpdir(), 'planc-rootless-'));
  chmodSync(scratch, 0o755);
  // planc as the user can read it: the build (dist/ bundles all but koffi) and make-bundle.sh.
  install = join(scratch, 'planc');
  for (const f of ['bin', 'dist', 'build', 'package.json']) cpSync(join(REPO, f), join(install, f), { recursive: true });
  // koffi and its native addon (a platform package beside it).
  for (const m of readdirSync(join(REPO, 'node_modules')).filter((n) => n === 'koffi' || n === '@koromix')) cpSync(join(REPO, 'node_modules', m), join(install, 'node_modules', m), { recursive: true });
  cpSync(join(REPO, 'scripts/make-bundle.sh'), join(install, 'scripts/make-bundle.sh'));
  assert.ok(existsSync(EXECUTOR) && existsSync(PLANC), 'a build of planc');
  home = join(scratch, 'home');
  xdg = join(home, 'run');
  mkdirSync(xdg, { recursive: true });
  for (const d of [home, xdg]) {
    chownSync(d, uid, uid);
    chmodSync(d, 0o700);
  }
});

after(() => {
  if (NEEDS_ROOT) return;
  // Containers first (the user's own planc deletes them), then the users and everything they had.
  if (xdg && existsSync(join(xdg, 'planc'))) for (const id of readdirSync(join(xdg, 'planc'))) as(user, ['delete', '--force', id]);
  for (const u of made) spawnSync('userdel', [u], { encoding: 'utf8' });
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  for (const f of ['/etc/subuid', '/etc/subgid', '/etc/passwd']) {
    const text = readFileSync(f, 'utf8');
    for (const u of made) assert.ok(!text.split('\n').some((l) => l.startsWith(`${u}:`)), `${u} is left in ${f}`);
  }
});

interface Out {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** planc as `who`, from home, with XDG_RUNTIME_DIR set (no --root: the rootless default). */
function as(who: string, args: string[], opts: { cmd?: string[] } = {}): Out {
  const argv = opts.cmd ?? [process.execPath, join(install, 'bin/planc.cjs'), ...args];
  const r = spawnSync('runuser', ['-u', who, '--', 'env', '-i', `HOME=${home}`, `XDG_RUNTIME_DIR=${xdg}`, 'PATH=/usr/sbin:/usr/bin:/sbin:/bin', ...argv], { cwd: home, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(who: string, args: string[], opts: { cmd?: string[] } = {}): Out {
  const r = as(who, args, opts);
  assert.equal(r.code, 0, `${who}: ${(opts.cmd ?? ['planc', ...args]).join(' ')}: ${r.stderr}`);
  return r;
}

function fails(who: string, args: string[], re: RegExp): void {
  const r = as(who, args);
  assert.equal(r.code, 1, `should fail: planc ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  const lines = r.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, `one error line:\n${r.stderr}`);
  assert.match(lines[0]!, re);
}

/** A busybox bundle the user made (scripts/make-bundle.sh runs `planc spec`; then rootless, with these args). */
function userBundle(name: string, args: string[], mutate?: (c: any) => void): string { // eslint-disable-line @typescript-eslint/no-explicit-any
  const dir = join(home, name);
  ok(user, [], { cmd: ['bash', join(install, 'scripts/make-bundle.sh'), dir] });
  ok(user, [], { cmd: ['rm', join(dir, 'config.json')] });
  ok(user, ['spec', '--rootless', '--bundle', dir]);
  const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  c.process.args = args;
  c.process.terminal = false; // spec asks for a terminal, as runc's; these commands write to planc's stdout
  mutate?.(c);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(c, null, '\t'));
  return dir;
}

const PROBE = ['sh', '-c', 'echo "uid $(id -u)"; cat /proc/self/uid_map; tail -n +3 /proc/net/dev | cut -d: -f1'];

test('as an ordinary user: busybox bundle → image create → image unpack → run, rootless (own uid mapped to root, loopback only, no cgroup)', { skip }, () => {
  const src = userBundle('src', PROBE);
  ok(user, ['image', 'create', src, join(home, 'busybox-oci')]);
  const bundle = join(home, 'busybox-bundle');
  const u = ok(user, ['image', 'unpack', join(home, 'busybox-oci'), bundle]);
  // The user's files went into the image as root's (as umoci --rootless does), so nothing is "owned by others" here.
  assert.deepEqual(u.stderr.split('\n').filter((l) => l.startsWith('planc:')), []);
  assert.match(u.stderr, /rootless config\.json runs \["sh","-c",/);
  const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
  assert.deepEqual(config.linux.uidMappings, [{ containerID: 0, hostID: uid, size: 1 }]);
  assert.ok(config.linux.namespaces.some((n: { type: string }) => n.type === 'network'), 'a private network namespace');

  const explain = ok(user, ['explain', '--bundle', bundle]).stdout;
  assert.match(explain, /rootless: the cgroups under \/sys\/fs\/cgroup are not writable by this user \(not delegated\)/);

  const r = ok(user, ['run', '--bundle', bundle, 'c1']);
  assert.equal(r.stdout.replace(/[ \t]+/g, ' '), `uid 0\n 0 ${uid} 1\n lo\n`);
  assert.equal(r.stderr, '');
  assert.deepEqual(readdirSync(join(xdg, 'planc')), [], 'a foreground run leaves no state under $XDG_RUNTIME_DIR/planc');
});

test('as an ordinary user: create/state/start/delete keep state under $XDG_RUNTIME_DIR/planc', { skip }, () => {
  const bundle = userBundle('lifecycle', ['sh', '-c', 'exit 0']);
  // create's stdio would stay open in the container: give it /dev/null.
  ok(user, [], { cmd: ['sh', '-c', `${process.execPath} ${join(install, 'bin/planc.cjs')} create --bundle ${bundle} c2 </dev/null >/dev/null 2>&1`] });
  assert.ok(existsSync(join(xdg, 'planc/c2/state.json')), 'state.json under $XDG_RUNTIME_DIR/planc/c2');
  assert.equal(JSON.parse(ok(user, ['state', 'c2']).stdout).status, 'created');
  ok(user, ['start', 'c2']);
  for (let k = 0; k < 100 && JSON.parse(ok(user, ['state', 'c2']).stdout).status !== 'stopped'; k++) spawnSync('sleep', ['0.05']);
  ok(user, ['delete', 'c2']);
  assert.ok(!existsSync(join(xdg, 'planc/c2')));
});

test('as an ordinary user: ids from its /etc/subuid and /etc/subgid ranges, mapped through newuidmap/newgidmap', { skip }, () => {
  const sub = readFileSync('/etc/subuid', 'utf8').split('\n').find((l) => l.startsWith(`${user}:`));
  assert.ok(sub, `useradd gave ${user} an /etc/subuid range`);
  const start = Number(sub.split(':')[1]);
  const maps = [{ containerID: 0, hostID: uid, size: 1 }, { containerID: 1, hostID: start, size: 1000 }];
  const subg = Number(readFileSync('/etc/subgid', 'utf8').split('\n').find((l) => l.startsWith(`${user}:`))!.split(':')[1]);
  const bundle = userBundle('subids', ['sh', '-c', 'cat /proc/self/uid_map /proc/self/gid_map'], (c) => {
    c.linux.uidMappings = maps;
    c.linux.gidMappings = [{ containerID: 0, hostID: uid, size: 1 }, { containerID: 1, hostID: subg, size: 1000 }];
  });
  assert.match(ok(user, ['explain', '--bundle', bundle]).stdout, /map uids 0→\d+ \(1\), 1→\d+ \(1000\) through \/usr\/bin\/newuidmap/);
  const r = ok(user, ['run', '--bundle', bundle, 'c3']);
  assert.equal(r.stdout.replace(/[ \t]+/g, ' '), ` 0 ${uid} 1\n 1 ${start} 1000\n 0 ${uid} 1\n 1 ${subg} 1000\n`);
});

test('rootless bad cases: ids that are not the user’s, a user without /etc/subuid, a limit without a delegated cgroup, no user namespace', { skip }, () => {
  const outside = userBundle('outside', ['true'], (c) => {
    c.linux.uidMappings = [{ containerID: 0, hostID: uid, size: 1 }, { containerID: 1, hostID: 10, size: 5 }];
  });
  fails(user, ['run', '--bundle', outside, 'b1'], new RegExp(`^planc: ${outside}/config\\.json: /linux/uidMappings/1: rootless: host uids 10-14 are not this user's to map; it may map only uid ${uid} and /etc/subuid's ranges for ${user} \\(\\d+-\\d+\\)$`));

  const limit = userBundle('limit', ['true'], (c) => {
    c.linux.resources = { pids: { limit: 10 } };
  });
  fails(user, ['run', '--bundle', limit, 'b2'], /^planc: .*\/config\.json: \/linux\/resources\/pids\/limit: rootless: this limit needs a cgroup, and the cgroups under \/sys\/fs\/cgroup are not delegated to this user/);

  const noUserns = userBundle('no-userns', ['true'], (c) => {
    c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== 'user');
    delete c.linux.uidMappings;
    delete c.linux.gidMappings;
  });
  fails(user, ['run', '--bundle', noUserns, 'b3'], /^planc: .*\/config\.json: \/linux\/namespaces: rootless: without root the container needs a new user namespace \(`planc spec --rootless` writes a config with one\)$/);

  // The system user has no subordinate ids: only its own uid may be mapped.
  const sysUid = Number(sh('id', ['-u', sysUser]).trim());
  const sysBundle = join(home, 'sys-bundle');
  ok(user, [], { cmd: ['bash', join(install, 'scripts/make-bundle.sh'), sysBundle] });
  sh('chown', ['-R', `${sysUser}:${sysUser}`, sysBundle]);
  sh('chmod', ['711', home]);
  const c = JSON.parse(readFileSync(join(sysBundle, 'config.json'), 'utf8'));
  c.linux.namespaces.push({ type: 'user' });
  c.linux.uidMappings = [{ containerID: 0, hostID: sysUid, size: 1 }, { containerID: 1, hostID: 100000, size: 10 }];
  c.linux.gidMappings = [{ containerID: 0, hostID: sysUid, size: 1 }];
  delete c.linux.resources;
  writeFileSync(join(sysBundle, 'config.json'), JSON.stringify(c));
  try {
    fails(sysUser, ['--root', join(scratch, 'sys-state'), 'run', '--bundle', sysBundle, 'b4'], new RegExp(`^planc: .*/config\\.json: /linux/uidMappings/1: rootless: host uids 100000-100009 are not this user's to map; it may map only uid ${sysUid}: /etc/subuid has no entry for ${sysUser}$`));
  } finally {
    sh('chmod', ['700', home]);
  }
  assert.deepEqual(readdirSync(join(xdg, 'planc')), [], 'no state left by the refused runs');
});
