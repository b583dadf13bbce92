// What the process inside sees: each test runs a container that prints facts
// about itself, and asserts on them (and, where it helps, on the host's view).
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { cgroupDir, type Config, EXECUTOR, exeLink, gated, leftovers, NEEDS_ROOT, Planc } from '../helpers/planc.js';
import { hierarchyNumber } from '../helpers/cgroupfs.js';

const pc = new Planc();
after(() => pc.cleanup());
const skip = NEEDS_ROOT;

/** Run `script` (stderr folded into stdout) in a fresh container through create/start; return its output. */
async function facts(t: TestContext, script: string, mutate?: (c: Config) => void, beforeStart?: (pid: number, id: string) => void): Promise<string> {
  const id = pc.id(t);
  const bundle = pc.bundle(['sh', '-c', `exec 2>&1; ${script}`], mutate);
  const out = await pc.createStartWait(id, bundle, { beforeStart: (pid) => beforeStart?.(pid, id) });
  pc.finish(id, bundle);
  return out.stdout;
}

/** `KEY=value` lines of an output as a map. */
function kv(out: string): Record<string, string> {
  return Object.fromEntries(out.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

const CAP = { CAP_CHOWN: 0, CAP_KILL: 5, CAP_SETUID: 7, CAP_NET_BIND_SERVICE: 10, CAP_NET_RAW: 13, CAP_AUDIT_WRITE: 29 } as const;
const mask = (caps: string[]) => caps.reduce((m, c) => m | (1n << BigInt(CAP[c as keyof typeof CAP])), 0n);
const statusField = (out: string, name: string) => {
  const m = out.match(new RegExp(`^${name}:\\s*(.*)$`, 'm'));
  assert.ok(m, `${name} is in /proc/self/status: ${out}`);
  return m[1]!.trim();
};

test('the process is pid 1 of its own pid namespace', { skip }, async (t) => {
  // The glob is expanded by pid 1 itself (no command substitution), with no child running.
  const out = kv(await facts(t, 'echo pid=$$; echo ppid=$PPID; set -- /proc/[0-9]*; echo procs=$*'));
  assert.equal(out.pid, '1');
  assert.equal(out.ppid, '0');
  assert.equal(out.procs, '/proc/1', 'no host process is visible');
});

test('hostname is the configured one (uts namespace)', { skip }, async (t) => {
  const name = `it-host-${process.pid}`;
  const out = kv(await facts(t, 'echo h=$(hostname); echo k=$(cat /proc/sys/kernel/hostname)', (c) => (c.hostname = name)));
  assert.equal(out.h, name);
  assert.equal(out.k, name);
});

test('capabilities: the default set (CapEff/CapPrm/CapBnd = 0x20000420) and NoNewPrivs', { skip }, async (t) => {
  const out = await facts(t, 'cat /proc/self/status');
  const want = mask(['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE']);
  assert.equal(want, 0x20000420n);
  for (const f of ['CapEff', 'CapPrm', 'CapBnd']) assert.equal(BigInt('0x' + statusField(out, f)), want, f);
  assert.equal(BigInt('0x' + statusField(out, 'CapInh')), 0n, 'CapInh');
  assert.equal(BigInt('0x' + statusField(out, 'CapAmb')), 0n, 'CapAmb');
  assert.equal(statusField(out, 'NoNewPrivs'), '1');
});

test('capabilities: each set is applied separately (bounding wider than effective)', { skip }, async (t) => {
  // With no_new_privs, root's execve cannot raise permitted beyond what it had (without it, the kernel
  // would give uid 0 its whole bounding set, exactly as under runc).
  const eff = ['CAP_KILL', 'CAP_NET_RAW'];
  const bnd = ['CAP_KILL', 'CAP_NET_RAW', 'CAP_CHOWN', 'CAP_SETUID'];
  const out = await facts(t, 'cat /proc/self/status', (c) => {
    c.process.capabilities = { bounding: bnd, effective: eff, permitted: eff };
    c.process.noNewPrivileges = true;
  });
  assert.equal(BigInt('0x' + statusField(out, 'CapEff')), mask(eff));
  assert.equal(BigInt('0x' + statusField(out, 'CapPrm')), mask(eff));
  assert.equal(BigInt('0x' + statusField(out, 'CapBnd')), mask(bnd));
  assert.equal(statusField(out, 'NoNewPrivs'), '1');
});

test('capabilities: noNewPrivileges false leaves NoNewPrivs 0; an empty set drops everything', { skip }, async (t) => {
  const out = await facts(t, 'cat /proc/self/status', (c) => {
    c.process.capabilities = { bounding: [], effective: [], permitted: [] };
    c.process.noNewPrivileges = false;
  });
  assert.equal(statusField(out, 'NoNewPrivs'), '0');
  for (const f of ['CapEff', 'CapPrm', 'CapBnd', 'CapInh', 'CapAmb']) assert.equal(BigInt('0x' + statusField(out, f)), 0n, f);
});

test('masked paths: files read empty, directories are empty', { skip }, async (t) => {
  // The host has content at each of these, so an unmasked path would show it.
  assert.ok(readFileSync('/proc/timer_list').length > 0 && readdirSync('/sys/firmware').length > 0 && readdirSync('/sys/kernel').length > 0);
  const out = kv(
    await facts(
      t,
      'echo timer_list=$(cat /proc/timer_list | wc -c); echo keys=$(cat /proc/keys | wc -c); ' +
        'echo kcore=$(cat /proc/kcore 2>/dev/null | wc -c); echo firmware=[$(ls -A /sys/firmware)]; echo kernel=[$(ls -A /sys/kernel)]; ' +
        'echo sched=$(cat /proc/sched_debug 2>/dev/null | wc -c)',
      (c) => c.linux.maskedPaths.push('/sys/kernel'),
    ),
  );
  assert.equal(out.timer_list, '0');
  assert.equal(out.keys, '0');
  assert.equal(out.kcore, '0');
  assert.equal(out.sched, '0');
  assert.equal(out.firmware, '[]');
  assert.equal(out.kernel, '[]', 'a masked dir added to the config is empty');
});

test('read-only paths: /proc/sys rejects writes with EROFS', { skip }, async (t) => {
  const out = await facts(t, 'echo x > /proc/sys/kernel/domainname; echo rc=$?; echo x > /proc/sysrq-trigger; echo rc2=$?; grep " /proc/sys " /proc/self/mountinfo');
  assert.match(out, /\/proc\/sys\/kernel\/domainname: Read-only file system/);
  assert.match(out, /^rc=1$/m);
  assert.match(out, /^rc2=1$/m);
  assert.match(out, / \/proc\/sys ro[ ,]/, 'mounted read-only');
});

test('root.readonly true: / rejects writes', { skip }, async (t) => {
  const out = await facts(t, 'touch /x; echo rc=$?', (c) => (c.root.readonly = true));
  assert.match(out, /\/x: Read-only file system/);
  assert.match(out, /^rc=1$/m);
});

test('root.readonly false: / is writable, and writes land in the bundle rootfs', { skip }, async (t) => {
  let bundleRootfs = '';
  const out = await facts(
    t,
    'echo written > /x; echo rc=$?',
    (c) => (c.root.readonly = false),
    (_pid, id) => (bundleRootfs = pc.state(id).rootfs),
  );
  assert.match(out, /^rc=0$/m);
  assert.equal(readFileSync(join(bundleRootfs, 'x'), 'utf8'), 'written\n');
});

test('memory, pids and cpu cgroup limits: inside (cgroup namespace) and on the host', { skip }, async (t) => {
  const host: Record<string, string> = {};
  const out = kv(
    await facts(
      t,
      'echo mem=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes); echo pids=$(cat /sys/fs/cgroup/pids/pids.max); ' +
        'echo shares=$(cat /sys/fs/cgroup/cpu/cpu.shares); echo cg=$(grep memory /proc/self/cgroup)',
      (c) => {
        c.linux.resources.memory = { limit: 67108864 };
        c.linux.resources.pids = { limit: 42 };
        c.linux.resources.cpu = { shares: 512 };
      },
      (pid, id) => {
        const read = (f: string) => readFileSync(f, 'utf8').trim();
        host.mem = read(cgroupDir('memory', `planc/${id}/memory.limit_in_bytes`));
        host.pids = read(cgroupDir('pids', `planc/${id}/pids.max`));
        host.shares = read(cgroupDir('cpu', `planc/${id}/cpu.shares`));
        host.member = String(read(cgroupDir('pids', `planc/${id}/cgroup.procs`)).split('\n').includes(String(pid)));
      },
    ),
  );
  assert.deepEqual(host, { mem: '67108864', pids: '42', shares: '512', member: 'true' });
  assert.equal(out.mem, '67108864');
  assert.equal(out.pids, '42');
  assert.equal(out.shares, '512');
  assert.equal(out.cg, `${hierarchyNumber('memory')}:memory:/`, 'the cgroup namespace makes the container cgroup its root');
});

test('the memory limit is enforced (the OOM killer fires inside the container cgroup)', { skip }, async (t) => {
  const id = pc.id(t);
  const limit = 16 * 1024 * 1024;
  // Holding 64 MiB in a shell variable cannot fit in 16 MiB (memory+swap).
  const bundle = pc.bundle(['sh', '-c', 'x=$(head -c 67108864 /dev/zero | tr "\\0" a); echo survived ${#x}'], (c) => {
    c.linux.resources.memory = { limit, swap: limit };
  });
  const out = await pc.createStartWait(id, bundle);
  const cg = cgroupDir('memory', `planc/${id}`);
  const oom = readFileSync(`${cg}/memory.oom_control`, 'utf8');
  const maxUsage = Number(readFileSync(`${cg}/memory.max_usage_in_bytes`, 'utf8'));
  assert.doesNotMatch(out.stdout, /survived 67108864/);
  assert.match(oom, /^oom_kill [1-9]\d*$/m, `an OOM kill happened in the container cgroup: ${oom}`);
  assert.ok(maxUsage <= limit, `usage peaked at ${maxUsage} > limit ${limit}`);
  pc.finish(id, bundle);
});

test('user: uid/gid 1000 with additionalGids', { skip }, async (t) => {
  const out = await facts(t, 'id; grep -E "^(Uid|Gid|Groups):" /proc/self/status', (c) => {
    c.process.user = { uid: 1000, gid: 1000, additionalGids: [10, 20] };
  });
  assert.match(out, /^uid=1000 gid=1000 groups=10,20$/m);
  assert.match(out, /^Uid:\s+1000\s+1000\s+1000\s+1000$/m);
  assert.match(out, /^Gid:\s+1000\s+1000\s+1000\s+1000$/m);
  assert.match(out, /^Groups:\s+10 20\s*$/m);
});

test('cwd, env and rlimits', { skip }, async (t) => {
  const out = await facts(t, 'echo cwd=$(pwd); echo foo="$FOO"; echo path="$PATH"; echo n=$(ulimit -n); grep "Max open files" /proc/self/limits', (c) => {
    c.process.cwd = '/etc';
    c.process.env.push('FOO=bar baz');
    c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 512, hard: 512 }];
  });
  const v = kv(out);
  assert.equal(v.cwd, '/etc');
  assert.equal(v.foo, 'bar baz');
  assert.equal(v.path, '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  assert.equal(v.n, '512');
  assert.match(out, /^Max open files\s+512\s+512\s+files/m);
});

test('network namespace: only lo, and it is up', { skip }, async (t) => {
  const out = await facts(t, 'echo ifaces=$(ls /sys/class/net); echo flags=$(cat /sys/class/net/lo/flags); ip link');
  const v = kv(out);
  assert.equal(v.ifaces, 'lo');
  assert.equal(Number(v.flags) & 1, 1, `IFF_UP in lo flags ${v.flags}`);
  assert.match(out, /^1: lo: <[^>]*\bUP\b[^>]*>/m);
  assert.doesNotMatch(out, /^2: /m, 'no second link');
});

test('/dev: the default devices and symlinks', { skip }, async (t) => {
  const out = await facts(
    t,
    'for d in null zero full random urandom tty; do echo $d=$(stat -c "%F %t:%T %a" /dev/$d); done; ' +
      'for l in fd stdin stdout stderr ptmx; do echo l$l=$(readlink /dev/$l); done; ' +
      'echo zeros=$(head -c 5 /dev/zero | wc -c); echo nulls=$(cat /dev/null | wc -c); echo hi > /dev/null && echo devnull=ok; ' +
      'echo sda=$(ls /dev/sda /dev/vda /dev/mem 2>/dev/null)',
  );
  const v = kv(out);
  const dev = { null: '1:3', zero: '1:5', full: '1:7', random: '1:8', urandom: '1:9', tty: '5:0' };
  for (const [name, mm] of Object.entries(dev)) {
    const [maj, min] = mm.split(':').map(Number);
    assert.equal(v[name], `character special file ${maj!.toString(16)}:${min!.toString(16)} 666`, `/dev/${name}`);
  }
  assert.equal(v.lfd, '/proc/self/fd');
  assert.equal(v.lstdin, '/proc/self/fd/0');
  assert.equal(v.lstdout, '/proc/self/fd/1');
  assert.equal(v.lstderr, '/proc/self/fd/2');
  assert.equal(v.lptmx, 'pts/ptmx');
  assert.equal(v.zeros, '5');
  assert.equal(v.nulls, '0');
  assert.equal(v.devnull, 'ok');
  assert.equal(v.sda, '', 'no host block devices or /dev/mem');
});

test('host fds do not leak into the container (create and run)', { skip }, async (t) => {
  // Like containerd's shim passing its socket as fd 3: planc gets fds 3 and 4 from its parent.
  const extra = [openSync('/etc/hostname', 'r'), openSync(process.execPath, 'r')];
  t.after(() => extra.forEach((fd) => closeSync(fd)));

  const id = pc.id(t);
  const bundle = pc.bundle(['sh', '-c', 'echo fds=$(ls /proc/self/fd | sort -n | tr "\\n" " "); for f in /proc/self/fd/*; do echo link $f $(readlink $f); done']);
  const out = await pc.createStartWait(id, bundle, { extraFds: extra });
  // ls itself holds one fd (3, its directory stream): 4 and above would be leaked.
  assert.match(out.stdout, /^fds=0 1 2 3$/m, out.stdout);
  assert.doesNotMatch(out.stdout, /\/etc\/hostname|bin\/node/, 'the extra fds are not there under another number');
  pc.finish(id, bundle);

  const id2 = pc.id(t);
  const b2 = pc.bundle(gated('echo fds=$(ls /proc/self/fd | sort -n | tr "\\n" " ")'));
  const r = await pc.runGated(id2, b2, { extraFds: extra });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^fds=0 1 2 3$/m, r.stdout);
  leftovers(pc.root, id2, b2);
});

test('no host binary is reachable through /proc/<pid>/exe (before start: a sealed memfd; after: the user program)', { skip }, async (t) => {
  const hostBinaries = [realpathSync(EXECUTOR), realpathSync(process.execPath)];
  let before = '';
  const out = kv(
    await facts(t, 'echo exe=$(readlink /proc/1/exe); echo self=$(readlink /proc/self/exe)', undefined, (pid) => {
      before = exeLink(pid);
    }),
  );
  assert.ok(!hostBinaries.includes(before), `created init's exe is a host binary: ${before}`);
  assert.ok(!existsSync(before), `created init's exe resolves to a host file: ${before}`);
  assert.match(before, /^\/memfd:/, `created init's exe: ${before}`);
  assert.equal(out.exe, '/bin/busybox', 'pid 1 is the user program after exec');
  assert.equal(out.self, '/bin/busybox');
});

test('mount namespace: the container\'s mounts are not visible on the host, and / is the bundle rootfs', { skip }, async (t) => {
  let hostMounts: string[] = ['unset'];
  let rootfs = '';
  const out = await facts(t, 'echo marker=$(ls /.planc-marker 2>&1); cat /proc/self/mountinfo', (c) => (c.root.readonly = true), (_pid, id) => {
    rootfs = pc.state(id).rootfs;
    hostMounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(rootfs));
  });
  assert.deepEqual(hostMounts, [], 'no mount of the container is in the host mount table');
  assert.match(out, /^\d+ \d+ \S+ \S+ \/ ro[ ,]/m, 'the root mount is read-only');
  assert.match(out, / \/proc rw[ ,].* - proc /);
  assert.match(out, / \/sys ro[ ,].* - sysfs /);
  assert.ok(rootfs.length > 0);
});

test('sharing the host network namespace: /sys is the host\'s, bound in, and the cgroup mount below it works', { skip }, async (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['sh', '-c', 'ls /sys/fs/cgroup; cat /sys/fs/cgroup/memory/memory.limit_in_bytes'], (c: Config) => {
    c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== 'network');
  });
  const out = await pc.createStartWait(id, bundle);
  assert.match(out.stdout, /^blkio$/m);
  assert.match(out.stdout, /^memory$/m);
  pc.finish(id, bundle);
});

test('rootfsPropagation "unbindable" is applied to the container\'s root mount (runc refuses it; the spec lists it)', { skip }, async (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['sh', '-c', 'awk \'$5 == "/"\' /proc/self/mountinfo'], (c: Config) => (c.linux.rootfsPropagation = 'unbindable'));
  const out = await pc.createStartWait(id, bundle);
  assert.match(out.stdout, / \/ \S+ [^-]*\bunbindable\b/);
  pc.finish(id, bundle);
});
