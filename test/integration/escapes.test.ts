// Escape classes, written from the public descriptions of runc's CVEs: each
// test asserts that the protection holds and, where a deliberately weakened
// executor can be built (build/test/planc-exec-weak-*, see
// executor/native/build.sh: each loses exactly one protection), that the same
// attack succeeds against it, so the test would catch the protection being
// lost. Every test leaves nothing behind.
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, rmdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Action, Plan } from '../../schemas/generated/plan.js';
import { insertAction, planOf, runPlan, testExecutor } from '../helpers/executor.js';
import { auditProblems, type Config, EXECUTOR, gated, leftovers, mountsUnder, NEEDS_ROOT, openGate, Planc, readConfig, sha256, uniqueId, variantInstall, type VariantInstall, waitFor, writeConfig } from '../helpers/planc.js';

const skip = NEEDS_ROOT;
const pc = new Planc();
const variants = new Map<string, { install: VariantInstall; planc: Planc }>();
/** The world whose executor is build/test/planc-exec-`variant` (made once, on first use). */
function world(variant: string): Planc {
  let v = variants.get(variant);
  if (!v) {
    const install = variantInstall(variant);
    variants.set(variant, (v = { install, planc: new Planc({ planc: install.planc }) }));
  }
  return v.planc;
}
after(() => {
  pc.cleanup();
  for (const v of variants.values()) v.planc.cleanup();
});

/** `KEY=value` lines of an output as a map. */
function kv(out: string): Record<string, string> {
  return Object.fromEntries(out.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

/** create → start → wait → delete of `bundle` in world `w`; the container's output. */
async function runIn(w: Planc, t: TestContext, bundle: string, opts: { extraFds?: number[]; preserve?: number } = {}): Promise<string> {
  const id = w.id(t);
  const args = opts.preserve ? ['--preserve-fds', String(opts.preserve)] : [];
  const c = w.ok(['create', ...args, '--bundle', bundle, id], { extraFds: opts.extraFds });
  const pid = w.state(id).pid;
  w.ok(['start', id]);
  await w.waitExited(pid);
  w.finish(id, bundle);
  return readFileSync(c.stdoutFile, 'utf8');
}

/** Exit 1 with exactly one `planc: ` line containing every part, and nothing of `id` left. */
function failsCleanly(w: Planc, r: { code: number | null; stderr: string }, parts: string[], id: string, bundle: string): void {
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^planc: [^\n]+\n$/, `one error line: ${JSON.stringify(r.stderr)}`);
  for (const p of parts) assert.ok(r.stderr.includes(p), `${JSON.stringify(r.stderr)} should contain ${JSON.stringify(p)}`);
  leftovers(w.root, id, bundle);
}

const addCaps = (c: Config, ...caps: string[]) => {
  for (const set of ['bounding', 'effective', 'permitted'] as const) c.process.capabilities[set].push(...caps);
};

test('the installed executor carries none of the weakened code', { skip }, () => {
  const bytes = readFileSync(EXECUTOR);
  const weak = readFileSync(testExecutor('weak-proc'));
  assert.ok(weak.includes('/proc/self/fd/%d'), 'the weakened build does name fds by /proc/self/fd strings (so the search can find it)');
  assert.ok(!bytes.includes('/proc/self/fd/%d'), `${EXECUTOR} names fds by /proc/self/fd strings`);
});

// ---------------------------------------------------------------------------
// a. Overwriting the runtime binary through /proc/<pid>/exe (CVE-2019-5736 class).
//
// Container B joins the pid namespace of container A while A's init (the executor, waiting
// for start) is its pid 1, and holds /proc/1/exe open, with CAP_SYS_PTRACE to get past the
// init being non-dumpable. Once A has started (the executor's binary no longer runs), B
// reopens the held file for writing through /proc/self/fd, as the published exploit does.
// (The init's own /proc/self/exe is the same file: isolation.test.ts checks it is a memfd.)

async function exeAttack(w: Planc, t: TestContext): Promise<Record<string, string>> {
  const idA = w.id(t);
  const bundleA = w.bundle(['sleep', '100']);
  w.ok(['create', '--bundle', bundleA, idA]);
  const pidA = w.state(idA).pid;
  const idB = w.id(t);
  // Open and hold the init's exe; at the gate (A started), reopen it for writing and append.
  const hold = 'echo exe=$(readlink /proc/1/exe); exec 2>&1; if (exec 3</proc/1/exe); then exec 3</proc/1/exe; echo open=0; else echo open=1; fi';
  const write = 'echo write=$( (echo pwned >> /proc/self/fd/3) 2>&1; echo rc=$?)';
  const bundleB = w.bundle(['sh', '-c', `${hold}; ${gated(write)[2]}`], (c: Config) => {
    c.linux.namespaces = c.linux.namespaces.map((n: { type: string }) => (n.type === 'pid' ? { type: 'pid', path: `/proc/${pidA}/ns/pid` } : n));
    addCaps(c, 'CAP_SYS_PTRACE');
  });
  const c = w.ok(['create', '--bundle', bundleB, idB]);
  const pidB = w.state(idB).pid;
  w.ok(['start', idB]);
  await waitFor('B to hold /proc/1/exe', () => /^open=/m.test(readFileSync(c.stdoutFile, 'utf8')));
  w.ok(['start', idA]);
  await waitFor('A to exec sleep', () => readlinkSync(`/proc/${pidA}/exe`) === '/bin/busybox' || undefined);
  openGate(bundleB);
  await w.waitExited(pidB);
  const out = kv(readFileSync(c.stdoutFile, 'utf8'));
  w.finish(idB, bundleB);
  w.ok(['delete', '--force', idA]);
  leftovers(w.root, idA, bundleA);
  return out;
}

test('a. the runtime binary cannot be overwritten through /proc/<pid>/exe of a waiting init', { skip }, async (t) => {
  const before = sha256(readFileSync(EXECUTOR));
  const v = await exeAttack(pc, t);
  assert.match(v.exe!, /^\/memfd:planc-exec/, `the init runs a sealed copy, not a host file: ${v.exe}`);
  assert.equal(v.open, '0', 'the copy can be opened (the attack gets that far)');
  assert.match(v.write!, /rc=1$/, `writing the copy fails: ${v.write}`);
  assert.equal(sha256(readFileSync(EXECUTOR)), before, `${EXECUTOR} is unchanged`);
});

test('a. (weakened executor, no sealed copy) the same attack overwrites the binary', { skip }, async (t) => {
  const w = world('weak-exe');
  const binary = variants.get('weak-exe')!.install.binary;
  const before = sha256(readFileSync(binary));
  const v = await exeAttack(w, t);
  assert.ok(v.exe!.endsWith('/build/test/planc-exec-weak-exe'), `the init runs the host file: ${v.exe}`);
  assert.equal(v.write, 'rc=0', 'the write succeeds');
  assert.notEqual(sha256(readFileSync(binary)), before, 'the host binary was changed from inside a container');
  assert.equal(readFileSync(binary).subarray(-6).toString(), 'pwned\n', 'the container appended to it');
});

// ---------------------------------------------------------------------------
// b. Mount targets swapped for symlinks by a racing container (CVE-2021-30465 class).
//
// Container A flips a directory of a volume it shares with B between a directory and a symlink
// to a host directory (the sentinel); B, whose config mounts a tmpfs at a path inside that
// volume, is created again and again meanwhile. Resolved in B's root, the symlink names a
// path inside B's rootfs (which does not exist: that create fails); resolved on the host, it
// would make B create and mount on the sentinel.

async function mountRace(w: Planc, t: TestContext, tries: number, stopEarly: boolean) {
  const bundleA = w.bundle(['true']);
  const shared = join(bundleA, 'shared');
  const sentinel = join(bundleA, 'sentinel');
  mkdirSync(shared);
  mkdirSync(sentinel);
  const cfgA = JSON.parse(readFileSync(join(bundleA, 'config.json'), 'utf8'));
  cfgA.process.args = ['sh', '-c', `while :; do rm -rf /shared/x; mkdir /shared/x; rm -rf /shared/x; ln -s ${sentinel} /shared/x; done`];
  cfgA.mounts.push({ destination: '/shared', type: 'bind', source: shared, options: ['rbind', 'rw'] });
  writeFileSync(join(bundleA, 'config.json'), JSON.stringify(cfgA));
  const idA = w.id(t);
  w.ok(['create', '--bundle', bundleA, idA]);
  w.ok(['start', idA]);
  await waitFor('A to start flipping', () => existsSync(join(shared, 'x')) || undefined);

  const bundleB = w.bundle(['true'], (c: Config) => {
    c.mounts.push({ destination: '/vol', type: 'bind', source: shared, options: ['rbind'] });
    c.mounts.push({ destination: '/vol/x/sub', type: 'tmpfs', source: 'tmpfs', options: ['size=64k'] });
  });
  const hostMounts = () => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter(Boolean).sort();
  const before = hostMounts();
  let created = 0;
  let raced = 0;
  let symlinked = 0;
  let escaped = 0;
  for (let k = 0; k < tries && !(stopEarly && escaped); k++) {
    const id = w.id(t);
    const r = w.run(['create', '--bundle', bundleB, id]);
    if (r.code === 0) created++;
    else {
      // The symlink seen in B's root (its target is not in B's rootfs), or the target
      // directory removed by A between its resolution and the mount: one clean line either way.
      assert.match(r.stderr, /^planc: [^\n]*\/mounts\/\d+: mount "tmpfs" on "\/vol\/x\/sub": (open target: )?no such file or directory\n$/, r.stderr);
      raced++;
      if (r.stderr.includes('open target')) symlinked++;
    }
    if (readdirSync(sentinel).length > 0) escaped++;
    assert.deepEqual(mountsUnder(sentinel), [], 'no mount on the host sentinel');
    w.ok(['delete', '--force', id]);
    leftovers(w.root, id, bundleB);
  }
  assert.deepEqual(hostMounts(), before, 'the host mount table is unchanged');
  const leftIn = readdirSync(sentinel);
  w.ok(['delete', '--force', idA]);
  leftovers(w.root, idA, bundleA);
  rmSync(sentinel, { recursive: true, force: true });
  return { created, raced, symlinked, escaped, leftIn };
}

test('b. a racing container swapping a mount target for a symlink never gets a mount outside the rootfs', { skip }, async (t) => {
  const r = await mountRace(pc, t, 20, false);
  t.diagnostic(`20 creates of B: ${r.created} succeeded, ${r.raced} lost the race and failed cleanly (${r.symlinked} on the symlink)`);
  assert.equal(r.escaped, 0, `B created something in the host sentinel: ${r.leftIn.join(', ')}`);
  assert.ok(r.symlinked > 0, `B met the symlink at least once (${r.created} creates succeeded, ${r.raced} failed, ${r.symlinked} on the symlink)`);
});

test('b. (weakened executor, container paths resolved with the host root) the race lands on the host', { skip }, async (t) => {
  const r = await mountRace(world('weak-resolve'), t, 60, true);
  t.diagnostic(`weakened: ${r.created} creates succeeded, ${r.raced} failed before B wrote to the host`);
  assert.ok(r.escaped > 0, `B never wrote to the host sentinel in 60 creates (${r.created} succeeded, ${r.raced} failed)`);
  assert.deepEqual(r.leftIn, ['sub'], 'B created the missing target directory in the host directory the symlink names');
});

// ---------------------------------------------------------------------------
// c. A host fd leaked into the container, used as cwd or through /proc/self/fd (CVE-2024-21626 class).

// What planc's caller hands it: a host directory the container must not reach as its fd 3
// (preserved: the container is meant to get it as fd 3, but never as a working directory),
// and a host file as fd 4 that it is not meant to get.
function hostFds(t: TestContext): number[] {
  const dir = join(pc.root, '..', `host-dir-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'host-marker'), '');
  const fds = [openSync(dir, 'r'), openSync('/etc/hostname', 'r')];
  t.after(() => {
    fds.forEach((fd) => closeSync(fd));
    rmSync(dir, { recursive: true, force: true });
  });
  return fds;
}

const FD_FACTS = 'exec 2>&1; echo fds=$(ls /proc/self/fd | sort -n | tr "\\n" " "); echo cwd=$(readlink /proc/self/cwd); ls -l /proc/self/fd';

/**
 * The fd facts of a container in `variant`'s world, with the fds above passed to planc
 * (fd 3 preserved) and, as a caller that leaks its own fds into the runtime would, the host's
 * /etc/hostname open as fd 9 of the executor itself (Node passes a child nothing but what it
 * is told to, so the wrapper of the variant install opens it).
 */
async function fdFacts(variant: string, t: TestContext): Promise<string> {
  const w = world(variant);
  const install = variants.get(variant)!.install;
  install.setEnv({}, { 9: '/etc/hostname' });
  t.after(() => install.setEnv({}));
  return runIn(w, t, w.bundle(['sh', '-c', FD_FACTS]), { extraFds: hostFds(t), preserve: 1 });
}

test('c. only stdio and the preserved fds reach the container, and its cwd is in the rootfs', { skip }, async (t) => {
  const out = await fdFacts('installed', t);
  // 3 is the preserved fd, 4 is ls's own directory stream.
  assert.match(out, /^fds=0 1 2 3 4$/m, out);
  assert.match(out, /^cwd=\/$/m, out);
  assert.match(out, / 3 -> \S*host-dir-/, 'the preserved fd is the host directory it was given');
  assert.doesNotMatch(out, /\/etc\/hostname|audit\.jsonl|exec\.fifo/, 'no other host file is open');
});

test('c. (weakened executor, inherited fds kept) a host fd the container was not given reaches it', { skip }, async (t) => {
  const out = await fdFacts('weak-fds', t);
  assert.doesNotMatch(out, /^fds=0 1 2 3 4$/m, out);
  assert.match(out, / 9 -> \/etc\/hostname/, `the container holds the executor's inherited fd: ${out}`);
});

test('c. a working directory through /proc/self/fd/N (a preserved host dir) is refused', { skip }, (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['ls'], (c: Config) => (c.process.cwd = '/proc/self/fd/3'));
  const r = pc.run(['create', '--preserve-fds', '1', '--bundle', bundle, id], { extraFds: hostFds(t) });
  failsCleanly(pc, r, ['config.json: /process/cwd: chdir "/proc/self/fd/3": '], id, bundle);
});

test('c. (weakened executor, cwd by path) the container starts in the host directory', { skip }, async (t) => {
  const w = world('weak-fds');
  const bundle = w.bundle(['sh', '-c', 'echo here=$(ls); echo up=$(ls ..)'], (c: Config) => (c.process.cwd = '/proc/self/fd/3'));
  const v = kv(await runIn(w, t, bundle, { extraFds: hostFds(t), preserve: 1 }));
  assert.equal(v.here, 'host-marker', 'the process lists a host directory');
  assert.match(v.up!, /\broot\b/, `and walks up into the host's tree: ${v.up}`);
});

// ---------------------------------------------------------------------------
// Attacks on /proc (d, e) are stopped twice: the planner refuses the config, and the executor,
// handed the plan the planner would have made without that rule (test/helpers/executor.ts),
// still checks every /proc target it protects. Each layer is tested on its own.

/** An attack on /proc: the config mount, and the action planBind emitted for it before the planner refused it (why aside). */
interface ProcAttack {
  mount: { destination: string; type: 'bind'; source: string; options: string[] };
  action: Omit<Extract<Action, { op: 'mount' }>, 'why'>;
}

/** Append `mount` to the bundle's config; its index there. */
function addMount(bundle: string, mount: ProcAttack['mount']): number {
  const config = readConfig(bundle);
  config.mounts.push(mount);
  writeConfig(bundle, config);
  return config.mounts.length - 1;
}

/**
 * The plan planc makes for `bundle` as `id`, with the attack's action where the planner put a
 * mount appended to the config: after the actions of the config's other mounts, as
 * /mounts/<their count>. The bundle's config itself stays without it (planc would refuse it).
 */
function attackPlan(w: Planc, bundle: string, id: string, attack: ProcAttack): { plan: Plan; index: number } {
  const k = readConfig(bundle).mounts.length;
  const base = planOf(w, bundle, id);
  const plan = insertAction(base, (a) => /^\/mounts\/\d+$/.test(a.why), { ...attack.action, why: `/mounts/${k}` } as Action);
  const index = plan.actions.findIndex((a) => a.why === `/mounts/${k}`);
  assert.equal(plan.actions.length, base.actions.length + 1);
  return { plan, index };
}

/** Exit 1, stderr exactly `line`, and nothing of `id` left. */
function refused(w: Planc, r: { code: number | null; stderr: string }, line: string, id: string, bundle: string): void {
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stderr, line);
  leftovers(w.root, id, bundle);
}

// ---------------------------------------------------------------------------
// d. /proc or /sys mount targets replaced: a bind of another directory, a symlink.

// The planner refuses a bind over /proc (planner/mounts.ts, checkProcTarget); the executor must
// not rely on that. Handed the plan the planner made before it refused (attackPlan above), it
// applies the bind and then refuses the first read-only path that is not procfs.

/** Fills `bundle`/fakeproc: entries where the real ones would be, and fd links for the old /proc/self/fd/N indirection. */
function fakeProc(bundle: string): ProcAttack {
  mkdirSync(join(bundle, 'fakeproc/sys/kernel'), { recursive: true });
  mkdirSync(join(bundle, 'fakeproc/self/fd'), { recursive: true });
  writeFileSync(join(bundle, 'fakeproc/timer_list'), '');
  for (let n = 0; n < 64; n++) symlinkSync(`/tmp`, join(bundle, 'fakeproc/self/fd', String(n)));
  return {
    mount: { destination: '/proc', type: 'bind', source: 'fakeproc', options: ['rbind'] },
    // What planBind made of that mount: /proc itself had no expectFs.
    action: { stage: 'init', op: 'mount', source: join(bundle, 'fakeproc'), target: '/proc', fstype: '', flags: ['bind', 'rec'], data: '', create: 'auto' },
  };
}

test('d. a plain directory bound over /proc is refused by the planner: one line naming the mount, nothing left', { skip }, (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['true']);
  const k = addMount(bundle, fakeProc(bundle).mount);
  refused(pc, pc.run(['create', '--bundle', bundle, id]),
    `planc: ${bundle}/config.json: /mounts/${k}: only procfs may be mounted on /proc, not "bind": masked and read-only paths would protect nothing\n`, id, bundle);
});

test('d. (executor handed the plan anyway) the bind over /proc goes on, the first read-only path in it is refused: not on proc', { skip }, async () => {
  const id = uniqueId();
  const bundle = pc.bundle(['true']);
  const { plan, index } = attackPlan(pc, bundle, id, fakeProc(bundle));
  const r = await runPlan(EXECUTOR, plan);
  assert.equal(r.reports.find((x) => x.i === index)?.r, 'ok', `the bind over /proc was applied: ${JSON.stringify(r.reports.find((x) => x.i === index))}`);
  const failed = r.reports.filter((x) => x.r === 'error');
  assert.deepEqual(failed.map(({ op, errno, msg }) => ({ op, errno, msg })), [{ op: 'readonly', errno: 18, msg: 'readonly "/proc/sys": not on proc' }], r.stderr);
  assert.equal(plan.actions[failed[0]!.i!]!.why, '/linux/readonlyPaths/3');
  assert.equal(r.code, 1, 'the executor fails');
  assert.equal(r.started, false, 'the init never got ready');
  leftovers(pc.root, id, bundle);
});

test('d. a plain directory bound over /sys: the cgroup mount under it is refused (not sysfs)', { skip }, (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['true'], (c: Config) => {
    const k = c.mounts.findIndex((m: { type: string }) => m.type === 'sysfs');
    c.mounts.splice(k + 1, 0, { destination: '/sys', type: 'bind', source: 'fakesys', options: ['rbind'] });
  });
  mkdirSync(join(bundle, 'fakesys/fs/cgroup'), { recursive: true });
  mkdirSync(join(bundle, 'fakesys/firmware'), { recursive: true });
  const k = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')).mounts.findIndex((m: { type: string }) => m.type === 'cgroup');
  failsCleanly(pc, pc.run(['create', '--bundle', bundle, id]), [`config.json: /mounts/${k}: mount on "/sys/fs/cgroup": not on sysfs`], id, bundle);
});

test('d. (weakened executor, no filesystem check) the same config is accepted', { skip }, async (t) => {
  const w = world('weak-fscheck');
  const bundle = w.bundle(['sh', '-c', 'echo fw=$(stat -f -c %T /sys/firmware)'], (c: Config) => {
    const k = c.mounts.findIndex((m: { type: string }) => m.type === 'sysfs');
    c.mounts.splice(k + 1, 0, { destination: '/sys', type: 'bind', source: 'fakesys', options: ['rbind'] });
  });
  mkdirSync(join(bundle, 'fakesys/fs/cgroup'), { recursive: true });
  mkdirSync(join(bundle, 'fakesys/firmware'), { recursive: true });
  const v = kv(await runIn(w, t, bundle));
  assert.equal(v.fw, 'tmpfs', 'the mask went onto the fake directory');
});

test('d. an image whose /sys is a symlink to /proc: sysfs lands on /proc, and the first /proc protection refuses it', { skip }, (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['true']);
  rmdirSync(join(bundle, 'rootfs/sys'));
  symlinkSync('proc', join(bundle, 'rootfs/sys'));
  failsCleanly(pc, pc.run(['create', '--bundle', bundle, id]), ['config.json: /linux/readonlyPaths/0: readonly "/proc/bus": not on proc'], id, bundle);
});

// ---------------------------------------------------------------------------
// e. Masked and read-only paths undone through a fake or symlinked /proc.

// What the container reports about its masked and read-only /proc paths. The mount table is
// read through a child's /proc/<pid>: /proc/1 and /proc/self may be the attacker's directory.
const PROC_FACTS =
  'exec 2>&1; echo timer_list=$(stat -L -c "%F %t:%T" /proc/timer_list); ' +
  'echo sys=$( (echo x > /proc/sys/kernel/domainname) 2>&1; echo rc=$?); ' +
  // not the last command: sh would exec it as pid 1
  `sh -c 'echo decoys=$(grep -c " /decoy/" /proc/$$/mountinfo)'; echo done`;

/**
 * Fills `bundle` with a directory of crafted links to bind over the container's own /proc/self
 * (= /proc/1, the init): after pivot_root, "/proc/self/fd/N" resolved in the container leads
 * to /decoy/N instead of the mask or read-only target held in fd N.
 */
function fakeSelf(bundle: string): ProcAttack {
  mkdirSync(join(bundle, 'fakeself/fd'), { recursive: true });
  for (let n = 0; n < 64; n++) {
    mkdirSync(join(bundle, 'rootfs/decoy', String(n)), { recursive: true });
    symlinkSync(`/decoy/${n}`, join(bundle, 'fakeself/fd', String(n)));
  }
  return {
    mount: { destination: '/proc/self', type: 'bind', source: 'fakeself', options: ['rbind'] },
    // What planBind made of that mount: a target inside /proc had to be on procfs.
    action: { stage: 'init', op: 'mount', source: join(bundle, 'fakeself'), target: '/proc/self', fstype: '', flags: ['bind', 'rec'], data: '', create: 'auto', expectFs: 'proc' },
  };
}

// The weakened executor would also redirect the remount of "/": keep the attack to masks.
const procFactsBundle = () => pc.bundle(['sh', '-c', PROC_FACTS], (c: Config) => (c.root.readonly = false));

test('e. a directory of crafted fd links bound over the init\'s /proc/self is refused by the planner: one line, nothing left', { skip }, (t) => {
  const id = pc.id(t);
  const bundle = procFactsBundle();
  const k = addMount(bundle, fakeSelf(bundle).mount);
  refused(pc, pc.run(['create', '--bundle', bundle, id]),
    `planc: ${bundle}/config.json: /mounts/${k}: a mount inside /proc (/proc/self) would hide what masked and read-only paths protect; only ` +
      '/proc/cpuinfo, /proc/diskstats, /proc/meminfo, /proc/stat, /proc/swaps, /proc/uptime, /proc/loadavg, /proc/slabinfo, /proc/net/dev, /proc/sys/kernel/ns_last_pid may be bound over\n',
    id, bundle);
});

/** The e attack handed straight to `binary`: the container's facts, after checking the attack mount went on. */
async function fakeSelfDirect(binary: string): Promise<Record<string, string>> {
  const id = uniqueId();
  const bundle = procFactsBundle();
  const { plan, index } = attackPlan(pc, bundle, id, fakeSelf(bundle));
  const r = await runPlan(binary, plan);
  assert.equal(r.reports.find((x) => x.i === index)?.r, 'ok', `the bind over /proc/self was applied: ${JSON.stringify(r.reports.find((x) => x.i === index))}`);
  assert.equal(r.code, 0, `the executor succeeds: ${r.stderr}`);
  assert.ok(r.started, 'the container was started');
  assert.deepEqual(auditProblems(r.planBytes, r.audit, { expect: 'started' }), [], 'the audit log verifies against the plan handed over');
  leftovers(pc.root, id, bundle);
  return kv(r.stdout);
}

test('e. (executor handed the plan anyway) the crafted fd links over /proc/self do not redirect masks or read-only paths', { skip }, async () => {
  const v = await fakeSelfDirect(EXECUTOR);
  assert.equal(v.timer_list, 'character special file 1:3', '/proc/timer_list is masked with /dev/null');
  assert.match(v.sys!, /: Read-only file system rc=1$/, `/proc/sys is read-only: ${v.sys}`);
  assert.equal(v.decoys, '0', 'nothing was mounted on the decoys');
});

test('e. (weakened executor handed the same plan) the masks are undone when mounts go through the container\'s /proc', { skip }, async () => {
  const v = await fakeSelfDirect(testExecutor('weak-proc'));
  assert.match(v.timer_list!, /^regular (empty )?file /, `/proc/timer_list is the kernel's, unmasked: ${v.timer_list}`);
  assert.equal(v.sys, 'rc=0', '/proc/sys is writable');
  assert.ok(Number(v.decoys) > 0, `the masks landed on the decoys: ${v.decoys}`);
});

test('e. an image whose /proc is a symlink: procfs is mounted where it points, and the masks follow it', { skip }, async (t) => {
  const bundle = pc.bundle(['sh', '-c', `echo link=$(readlink /proc); ${PROC_FACTS}`]);
  const rootfs = join(bundle, 'rootfs');
  mkdirSync(join(rootfs, 'altproc'));
  rmdirSync(join(rootfs, 'proc'));
  symlinkSync('altproc', join(rootfs, 'proc'));
  const v = kv(await runIn(pc, t, bundle));
  assert.equal(v.link, 'altproc');
  assert.equal(v.timer_list, 'character special file 1:3');
  assert.match(v.sys!, /: Read-only file system rc=1$/);
  assert.equal(v.decoys, '0');
});

// The runtime's procfs handle (opened before the pivot for every /proc access) is closed before
// execve: while the init waits for start it holds it; the user program does not.
test('the runtime\'s /proc handle does not reach the container process', { skip }, async (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['sleep', '100']);
  pc.ok(['create', '--bundle', bundle, id]);
  const pid = pc.state(id).pid;
  const links = () => readdirSync(`/proc/${pid}/fd`).map((fd) => `${fd} -> ${readlinkSync(`/proc/${pid}/fd/${fd}`)}`);
  const waiting = links();
  assert.ok(waiting.some((l) => l.endsWith(' -> /proc')), `the waiting init holds the handle (so this check can see it): ${waiting.join(', ')}`);
  pc.ok(['start', id]);
  await waitFor('the init to exec sleep', () => !readlinkSync(`/proc/${pid}/exe`).startsWith('/memfd:'));
  const running = links();
  assert.deepEqual(running.map((l) => l.split(' ')[0]), ['0', '1', '2'], `only stdio is open in the container: ${running.join(', ')}`);
  pc.ok(['delete', '--force', id]);
  leftovers(pc.root, id, bundle);
});

// ---------------------------------------------------------------------------
// f. Device cgroup bypass: with the default device rules, a container that may mknod
// (CAP_MKNOD, and "c *:* m" allows it) makes a device it was not given and opens it.
// The device is the host's /dev/kmsg (1:11): opening it for writing needs no capability,
// so only the device rules stand between the container and the host's kernel log. (Block
// devices would be the obvious choice, but this test machine denies them to every process.)

const kmsgBundle = (w: Planc) =>
  w.bundle(['sh', '-c', 'exec 2>&1; mknod /dev/xkmsg c 1 11; echo mknod=$?; echo open=$( (exec 3>/dev/xkmsg) 2>&1; echo rc=$?)'], (c: Config) => addCaps(c, 'CAP_MKNOD'));

test('f. a device outside the default rules made with mknod in the container cannot be opened (EPERM)', { skip }, async (t) => {
  const v = kv(await runIn(pc, t, kmsgBundle(pc)));
  assert.equal(v.mknod, '0', 'mknod is allowed ("c *:* m")');
  assert.match(v.open!, /\/dev\/xkmsg: Operation not permitted rc=\d+$/, `opening fails: ${v.open}`);
});

test('f. (weakened executor, no device rules written) the container opens the host\'s kernel log', { skip }, async (t) => {
  const w = world('weak-devices');
  const v = kv(await runIn(w, t, kmsgBundle(w)));
  assert.equal(v.mknod, '0');
  assert.equal(v.open, 'rc=0', 'opened for writing');
});
