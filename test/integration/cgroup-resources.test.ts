// linux.resources on this host, live: one real container per group of fields,
// asserting what the host's cgroup files say and what the process inside sees
// (its own cgroup files through the cgroup namespace, its CPU mask, how fast
// it may read a disk, whether it may fork). Then what this host lacks: refused
// before anything exists, or refused by the kernel and undone, one line naming
// the field. The v2 driver on the cgroup2 mount (PLANC_CGROUP_V2=1), and runc
// on the same configs for a differential of the files both write.
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cgroupDir, type Config, leftovers, NEEDS_ROOT, Planc, readConfig, waitFor, writeConfig } from '../helpers/planc.js';
import { hierarchyOf } from '../helpers/cgroupfs.js';
import { runcBinary } from '../helpers/runc.js';

const pc = new Planc();
after(() => pc.cleanup());
const skip = NEEDS_ROOT;

const read = (path: string) => readFileSync(path, 'utf8').trim();

/** `KEY=value` lines of an output as a map. */
function kv(out: string): Record<string, string> {
  return Object.fromEntries(out.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

interface Run {
  /** The container's output (stderr folded in). */
  out: string;
  /** What `host` read while the container waited to start. */
  host: Record<string, string>;
}

/**
 * create → read the host's cgroup files (the init waits in its cgroups) → start → wait →
 * delete, nothing left. `host(id)` returns the file readings to keep.
 */
async function live(t: TestContext, script: string, mutate: (c: Config, id: string) => void, host: (id: string) => Record<string, string>): Promise<Run> {
  const id = pc.id(t);
  const bundle = pc.bundle(['sh', '-c', `exec 2>&1; ${script}`], (c) => mutate(c, id));
  let seen: Record<string, string> = {};
  const r = await pc.createStartWait(id, bundle, { beforeStart: () => (seen = host(id)) });
  pc.finish(id, bundle);
  return { out: r.stdout, host: seen };
}

/** The host file of `controller` for the container's default cgroup (planc/<id>). */
const cg = (controller: string, id: string, file: string) => read(cgroupDir(controller, `planc/${id}/${file}`));

/** The last CPU and memory node of the host's root cpuset: always there, and (with two or more CPUs) not all of them. */
function lastOf(list: string): string {
  const last = list.split(',').at(-1)!;
  return last.split('-').at(-1)!;
}

test('cpuset: the CPUs and memory nodes the process may use, in the host files and from inside; the parent filled first', { skip }, async (t) => {
  const cpu = lastOf(read(cgroupDir('cpuset', 'cpuset.cpus')));
  const mem = lastOf(read(cgroupDir('cpuset', 'cpuset.mems')));
  const r = await live(
    t,
    'grep -E "^(Cpus|Mems)_allowed_list" /proc/self/status | tr -d "\\t" | tr : =; echo cpus=$(cat /sys/fs/cgroup/cpuset/cpuset.cpus); echo mems=$(cat /sys/fs/cgroup/cpuset/cpuset.mems)',
    (c) => (c.linux.resources.cpu = { cpus: cpu, mems: mem }),
    (id) => ({ cpus: cg('cpuset', id, 'cpuset.cpus'), mems: cg('cpuset', id, 'cpuset.mems'), parentCpus: read(cgroupDir('cpuset', 'planc/cpuset.cpus')) }),
  );
  assert.deepEqual(r.host, { cpus: cpu, mems: mem, parentCpus: read(cgroupDir('cpuset', 'cpuset.cpus')) });
  const v = kv(r.out);
  assert.equal(v.Cpus_allowed_list, cpu, r.out);
  assert.equal(v.Mems_allowed_list, mem, r.out);
  assert.equal(v.cpus, cpu);
  assert.equal(v.mems, mem);
});

test('memory: limit, memory+swap, reservation, swappiness, OOM killer off, TCP buffers', { skip }, async (t) => {
  const files = ['memory.limit_in_bytes', 'memory.memsw.limit_in_bytes', 'memory.soft_limit_in_bytes', 'memory.swappiness', 'memory.kmem.tcp.limit_in_bytes'];
  const r = await live(
    t,
    `for f in ${files.join(' ')}; do echo $f=$(cat /sys/fs/cgroup/memory/$f); done; echo oom=$(grep oom_kill_disable /sys/fs/cgroup/memory/memory.oom_control)`,
    (c) => (c.linux.resources.memory = { limit: 67108864, swap: 134217728, reservation: 33554432, swappiness: 7, disableOOMKiller: true, kernelTCP: 8388608 }),
    (id) => ({ ...Object.fromEntries(files.map((f) => [f, cg('memory', id, f)])), oom: cg('memory', id, 'memory.oom_control').split('\n')[0]! }),
  );
  const want = {
    'memory.limit_in_bytes': '67108864',
    'memory.memsw.limit_in_bytes': '134217728',
    'memory.soft_limit_in_bytes': '33554432',
    'memory.swappiness': '7',
    'memory.kmem.tcp.limit_in_bytes': '8388608',
    oom: 'oom_kill_disable 1',
  };
  assert.deepEqual(r.host, want);
  assert.deepEqual(kv(r.out), want);
});

test('cpu: shares, CFS period/quota/burst, idle and realtime; a busy loop runs into the quota (idle 1: see the differential)', { skip }, async (t) => {
  // Realtime time is handed down the tree: placed right below the hierarchy's root (which has
  // 950 ms of every second to give), not below planc/ (which gives none).
  const files = ['cpu.shares', 'cpu.cfs_period_us', 'cpu.cfs_quota_us', 'cpu.cfs_burst_us', 'cpu.idle', 'cpu.rt_period_us', 'cpu.rt_runtime_us'];
  const r = await live(
    t,
    `for f in ${files.join(' ')}; do echo $f=$(cat /sys/fs/cgroup/cpu/$f); done; i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; grep -E "^nr_(throttled|bursts) " /sys/fs/cgroup/cpu/cpu.stat | tr " " =`,
    (c, id) => {
      c.linux.cgroupsPath = `/${id}`;
      c.linux.resources.cpu = { shares: 512, period: 50000, quota: 10000, burst: 5000, idle: 0, realtimePeriod: 1000000, realtimeRuntime: 10000 };
    },
    (id) => Object.fromEntries(files.map((f) => [f, read(cgroupDir('cpu', `${id}/${f}`))])),
  );
  const want = { 'cpu.shares': '512', 'cpu.cfs_period_us': '50000', 'cpu.cfs_quota_us': '10000', 'cpu.cfs_burst_us': '5000', 'cpu.idle': '0', 'cpu.rt_period_us': '1000000', 'cpu.rt_runtime_us': '10000' };
  assert.deepEqual(r.host, want);
  const v = kv(r.out);
  for (const [f, value] of Object.entries(want)) assert.equal(v[f], value, f);
  // Past 10 ms of every 50 ms the group runs on its burst (5 ms saved up) or is throttled: the kernel counts both.
  assert.ok(Number(v.nr_throttled) + Number(v.nr_bursts) > 0, `the loop ran into the quota (${r.out})`);
});

test('pids: 0 is a limit (the spec), and a small limit stops forks from inside', { skip }, async (t) => {
  // With pids.max 0 the init still runs (joining is not forking) but cannot fork: cat is exec'd directly.
  const id = pc.id(t);
  const zero = pc.bundle(['cat', '/sys/fs/cgroup/pids/pids.max'], (c) => (c.linux.resources.pids = { limit: 0 }));
  let host = '';
  const r0 = await pc.createStartWait(id, zero, { beforeStart: () => (host = cg('pids', id, 'pids.max')) });
  pc.finish(id, zero);
  assert.equal(host, '0');
  assert.equal(r0.stdout.trim(), '0');

  // Four tasks at most: the shell and three sleeps; the other forks fail.
  const r = await live(
    t,
    // Only builtins besides the sleeps; the shell gives up at the first fork the kernel refuses.
    'read max < /sys/fs/cgroup/pids/pids.max; echo max=$max; for i in 1 2 3 4 5 6; do sleep 2 & echo started=$i; done',
    (c) => (c.linux.resources.pids = { limit: 4 }),
    (i) => ({ max: cg('pids', i, 'pids.max') }),
  );
  assert.deepEqual(r.host, { max: '4' });
  const v = kv(r.out);
  assert.equal(v.max, '4');
  assert.match(r.out, /can't fork/i, r.out);
  // The shell and three sleeps are the four tasks.
  assert.equal(v.started, '3', r.out);
});

/** The whole disk the host's / is on (major:minor), from mountinfo and sysfs. */
function rootDisk(): { major: number; minor: number } {
  const line = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === '/')!;
  let dev = line.split(' ')[2]!;
  // A partition's disk is its parent in sysfs.
  if (existsSync(`/sys/dev/block/${dev}/partition`)) dev = read(`/sys/dev/block/${dev}/../dev`);
  const [major, minor] = dev.split(':').map(Number) as [number, number];
  return { major, minor };
}

/** A loop device over an 8 MiB file of the test's own, detached after the test (a disk the container may read). */
function loopDevice(t: TestContext): { path: string; major: number; minor: number } {
  const img = pc.scratchPath(`disk-${process.pid}-${Date.now()}.img`);
  writeFileSync(img, Buffer.alloc(8 << 20, 1));
  const r = spawnSync('losetup', ['--find', '--show', img], { encoding: 'utf8' });
  assert.equal(r.status, 0, `losetup (util-linux) makes the test's disk: ${r.stderr}${r.error ?? ''}`);
  const path = r.stdout.trim();
  t.after(() => {
    spawnSync('losetup', ['--detach', path]);
    rmSync(img, { force: true });
  });
  const [major, minor] = read(`/sys/block/${path.slice('/dev/'.length)}/dev`).split(':').map(Number) as [number, number];
  return { path, major, minor };
}

test('blkio: BFQ weight and throttles in the host files; a direct read of a disk is held to the read limit', { skip }, async (t) => {
  const { major, minor } = loopDevice(t);
  const dev = `${major}:${minor}`;
  const files = ['blkio.bfq.weight', 'blkio.throttle.read_bps_device', 'blkio.throttle.write_iops_device'];
  const r = await live(
    t,
    // 3 MiB at 1 MiB/s, bypassing the page cache (v1 throttles only direct I/O, as the spec notes).
    `for f in ${files.join(' ')}; do echo $f=$(cat /sys/fs/cgroup/blkio/$f); done; ` +
      'a=$(cut -d" " -f1 /proc/uptime); dd if=/dev/disk0 of=/dev/null bs=65536 count=48 iflag=direct; echo dd=$?; b=$(cut -d" " -f1 /proc/uptime); echo took=$a:$b',
    (c) => {
      c.linux.resources.blockIO = { weight: 500, throttleReadBpsDevice: [{ major, minor, rate: 1048576 }], throttleWriteIOPSDevice: [{ major, minor, rate: 100 }] };
      c.linux.devices = [{ path: '/dev/disk0', type: 'b', major, minor, fileMode: 0o400, uid: 0, gid: 0 }];
      c.linux.resources.devices.push({ allow: true, type: 'b', major, minor, access: 'r' });
    },
    (id) => Object.fromEntries(files.map((f) => [f, cg('blkio', id, f)])),
  );
  assert.deepEqual(r.host, { 'blkio.bfq.weight': '500', 'blkio.throttle.read_bps_device': `${dev} 1048576`, 'blkio.throttle.write_iops_device': `${dev} 100` });
  const v = kv(r.out);
  assert.equal(v['blkio.throttle.read_bps_device'], `${dev} 1048576`);
  assert.equal(v.dd, '0', r.out);
  const [a, b] = v.took!.split(':').map(Number) as [number, number];
  assert.ok(b - a >= 1.5, `3 MiB at 1 MiB/s took ${(b - a).toFixed(2)} s`);
});

/** One error line, naming config.json and the field; nothing of the container left. */
function refusedCleanly(args: string[], id: string, bundle: string, where: string, fragment: string, env?: NodeJS.ProcessEnv): void {
  const r = pc.run(args, env ? { env } : {});
  assert.equal(r.code, 1, `${args[0]} exit code (stderr: ${r.stderr})`);
  assert.match(r.stderr, /^planc: [^\n]+\n$/, `exactly one error line: ${JSON.stringify(r.stderr)}`);
  assert.ok(r.stderr.includes(`${join(bundle, 'config.json')}: ${where}: `), `names the field: ${r.stderr}`);
  assert.ok(r.stderr.includes(fragment), `says why (${fragment}): ${r.stderr}`);
  leftovers(pc.root, id, bundle);
}

// What this host lacks, by the host facts: refused at planning time.
const PLANNING_REFUSALS: [string, (c: Config) => void, string, string][] = [
  ['hugepageLimits (no v1 hugetlb hierarchy)', (c) => (c.linux.resources.hugepageLimits = [{ pageSize: '2MB', limit: 2097152 }]), '/linux/resources/hugepageLimits/0', 'the hugetlb cgroup controller is not available on this host'],
  ['network.classID (no net_cls)', (c) => (c.linux.resources.network = { classID: 1048577 }), '/linux/resources/network/classID', 'the net_cls cgroup controller is not available on this host'],
  ['network.priorities (no net_prio)', (c) => (c.linux.resources.network = { priorities: [{ name: 'lo', priority: 1 }] }), '/linux/resources/network/priorities/0', 'the net_prio cgroup controller is not available on this host'],
  ['rdma (no rdma controller)', (c) => (c.linux.resources.rdma = { mlx5_0: { hcaHandles: 1 } }), '/linux/resources/rdma/mlx5_0', 'the rdma cgroup controller is not available on this host'],
  ['blockIO.leafWeight (CFQ only)', (c) => (c.linux.resources.blockIO = { leafWeight: 500 }), '/linux/resources/blockIO/leafWeight', 'has no blkio.leaf_weight'],
  ['intelRdt (no resctrl)', (c) => (c.linux.intelRdt = { closID: 'x', schemata: ['L3:0=1'] }), '/linux/intelRdt', 'none is mounted'],
  ['a CPU the host does not have', (c) => (c.linux.resources.cpu = { cpus: '4095' }), '/linux/resources/cpu/cpus', 'CPU 4095 is not available on this host'],
  ['unified on cgroup v1', (c) => (c.linux.resources.unified = { 'memory.high': '1G' }), '/linux/resources/unified', 'need a cgroup v2 host'],
];

test('what this host lacks is refused before anything exists: one line naming the field, nothing left (create and run)', { skip }, (t) => {
  for (const [what, mutate, where, fragment] of PLANNING_REFUSALS) {
    const id = pc.id(t);
    const bundle = pc.bundle(['true'], mutate);
    for (const verb of ['create', 'run']) {
      t.diagnostic(`${verb}: ${what}`);
      refusedCleanly([verb, '--bundle', bundle, id], id, bundle, where, fragment);
    }
  }
});

test('what only the kernel can refuse is refused when written, named, and undone: nothing left', { skip }, (t) => {
  const { major, minor } = rootDisk();
  const cases: [(c: Config) => void, string, string][] = [
    // Linux 5.x+ keeps memory accounting hierarchical and refuses 0.
    [(c) => (c.linux.resources.memory = { useHierarchy: false }), '/linux/resources/memory/useHierarchy', 'cgroup write "memory.use_hierarchy" = "0": invalid argument'],
    // BFQ's per-device weight needs BFQ as the disk's scheduler (this disk uses another).
    [(c) => (c.linux.resources.blockIO = { weightDevice: [{ major, minor, weight: 300 }] }), '/linux/resources/blockIO/weightDevice/0/weight', 'blkio.bfq.weight_device'],
  ];
  const scheduler = read(`/sys/dev/block/${major}:${minor}/queue/scheduler`);
  for (const [mutate, where, fragment] of cases) {
    if (where.includes('weightDevice') && /\[bfq\]/.test(scheduler)) continue; // that disk would accept it
    const id = pc.id(t);
    const bundle = pc.bundle(['true'], mutate);
    refusedCleanly(['create', '--bundle', bundle, id], id, bundle, where, fragment);
  }
});

// ---------------------------------------------------------------- the v2 driver on this host's cgroup2 mount

const V2 = { ...process.env, PLANC_CGROUP_V2: '1' };

test('v2 (cgroup2 mount): hugepageLimits → hugetlb.<size>.max and .rsvd.max, seen from inside; hugetlb enabled on the way', { skip }, async (t) => {
  const v2root = hierarchyOf('cgroup2')?.mountpoint;
  assert.ok(v2root, 'this host has a cgroup2 mount');
  const subtree = (dir: string) => read(join(dir, 'cgroup.subtree_control'));
  const before = { root: subtree(v2root), planc: existsSync(join(v2root, 'planc')) ? subtree(join(v2root, 'planc')) : '' };
  // Enabling a controller is left in place (as runc leaves it); the test puts back what it found.
  t.after(() => {
    for (const [dir, was] of [[join(v2root, 'planc'), before.planc], [v2root, before.root]] as const) {
      if (!was.split(' ').includes('hugetlb') && existsSync(dir)) {
        try {
          writeFileSync(join(dir, 'cgroup.subtree_control'), '-hugetlb');
        } catch {
          // another cgroup below uses it now
        }
      }
    }
  });
  const id = pc.id(t);
  const limit = 4 * 2097152;
  const bundle = pc.bundle(['sh', '-c', 'echo max=$(cat /sys/fs/cgroup/hugetlb.2MB.max); echo rsvd=$(cat /sys/fs/cgroup/hugetlb.2MB.rsvd.max); echo gb=$(cat /sys/fs/cgroup/hugetlb.1GB.max)'], (c) => {
    c.linux.resources = { hugepageLimits: [{ pageSize: '2MB', limit }], unified: { 'hugetlb.1GB.max': '0' } };
  });
  const dir = join(v2root, 'planc', id);
  const r = pc.spawn(['run', '--bundle', bundle, id], { env: V2 });
  const done = await r.done;
  assert.equal(done.code, 0, done.stderr);
  assert.deepEqual(kv(done.stdout), { max: String(limit), rsvd: String(limit), gb: '0' });
  assert.ok(subtree(v2root).split(' ').includes('hugetlb'));
  assert.ok(subtree(join(v2root, 'planc')).split(' ').includes('hugetlb'));
  assert.equal(existsSync(dir), false, 'run removed the cgroup');
  // The plan says the same, write by write.
  const plan = JSON.parse(pc.ok(['plan', '--run', '--bundle', bundle, '--id', id, '--format', 'json'], { env: V2 }).stdout);
  const writes = plan.plan.actions.filter((a: { op: string }) => a.op === 'cgroup.write').map((a: { path: string; file: string; value: string }) => `${a.path}/${a.file}=${a.value}`);
  assert.deepEqual(writes, [
    `${v2root}/cgroup.subtree_control=+hugetlb`,
    `${v2root}/planc/cgroup.subtree_control=+hugetlb`,
    `${dir}/hugetlb.2MB.max=${limit}`,
    `${dir}/hugetlb.2MB.rsvd.max=${limit}`,
    `${dir}/hugetlb.1GB.max=0`,
  ]);
  leftovers(pc.root, id, bundle);
});

test('v2 (cgroup2 mount): controllers it lacks are refused naming the field, before anything exists', { skip }, (t) => {
  const cases: [(c: Config) => void, string, string][] = [
    [(c) => (c.linux.resources.memory = { limit: 67108864 }), '/linux/resources/memory/limit', 'has no memory controller'],
    [(c) => (c.linux.resources.pids = { limit: 10 }), '/linux/resources/pids/limit', 'has no pids controller'],
    [(c) => (c.linux.resources.cpu = { cpus: '0' }), '/linux/resources/cpu/cpus', 'has no cpuset controller'],
    [(c) => (c.linux.resources.memory = { swappiness: 10 }), '/linux/resources/memory/swappiness', 'cgroup v2 has no per-cgroup swappiness'],
    [(c) => (c.linux.resources.network = { classID: 1 }), '/linux/resources/network/classID', 'cgroup v2 has no net_cls controller'],
  ];
  for (const [mutate, where, fragment] of cases) {
    const id = pc.id(t);
    const bundle = pc.bundle(['true'], mutate);
    refusedCleanly(['create', '--bundle', bundle, id], id, bundle, where, fragment, V2);
  }
});

// ---------------------------------------------------------------- runc on the same configs (v1)

const RUNC = runcBinary();
// The skip gate checks "needs runc" against the machine itself (test/skip-allowlist.json).
const skipDiff = skip || (RUNC === null && 'needs runc');

/** runc with a private --root; its containers are deleted after the test. */
function runc(t: TestContext) {
  const bin = RUNC!;
  const root = mkdtempSync(join(tmpdir(), 'planc-it-runc-'));
  const ids: string[] = [];
  // Output to a file, never a pipe: a detached container keeps runc's stdio open as long as it lives.
  const log = join(root, 'stderr');
  const call = (args: string[]) => {
    const fd = openSync(log, 'w');
    try {
      const r = spawnSync(bin, ['--root', root, ...args], { stdio: ['ignore', fd, fd], timeout: 20_000 });
      return { status: r.status, stderr: readFileSync(log, 'utf8') + (r.error ? String(r.error) : '') };
    } finally {
      closeSync(fd);
    }
  };
  t.after(() => {
    for (const id of ids) call(['delete', '--force', id]);
    rmSync(root, { recursive: true, force: true });
  });
  const version = spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0] ?? '';
  return {
    version,
    /** Start a detached container of `bundle` (its config copied, cgroupsPath planc/<rid>); returns its id. */
    start(bundle: string, rid: string): void {
      const config = readConfig(bundle);
      config.linux.cgroupsPath = `/planc/${rid}`;
      writeConfig(bundle, config);
      ids.push(rid);
      const r = call(['run', '--detach', '--bundle', bundle, rid]);
      assert.equal(r.status, 0, `runc run: ${r.stderr}`);
    },
    delete(rid: string): void {
      const r = call(['delete', '--force', rid]);
      assert.equal(r.status, 0, `runc delete: ${r.stderr}`);
      ids.splice(ids.indexOf(rid), 1);
    },
  };
}

/** [controller, file] pairs both runtimes write for RESOURCES. */
const DIFF_FILES: [string, string][] = [
  ['cpuset', 'cpuset.cpus'], ['cpuset', 'cpuset.mems'],
  ['cpu', 'cpu.shares'], ['cpu', 'cpu.cfs_period_us'], ['cpu', 'cpu.cfs_quota_us'],
  ['memory', 'memory.limit_in_bytes'], ['memory', 'memory.memsw.limit_in_bytes'], ['memory', 'memory.soft_limit_in_bytes'], ['memory', 'memory.swappiness'], ['memory', 'memory.oom_control'],
  ['pids', 'pids.max'],
  ['blkio', 'blkio.bfq.weight'], ['blkio', 'blkio.throttle.read_bps_device'], ['blkio', 'blkio.throttle.write_iops_device'],
];

test('differential: runc and planc write the same cgroup files for the same resources (v1)', { skip: skipDiff }, async (t) => {
  const r = runc(t);
  const { major, minor } = rootDisk();
  const cpu = lastOf(read(cgroupDir('cpuset', 'cpuset.cpus')));
  const resources = (c: Config) => {
    c.linux.resources.cpu = { cpus: cpu, mems: '0', shares: 512, period: 50000, quota: 25000 };
    c.linux.resources.memory = { limit: 67108864, swap: 134217728, reservation: 33554432, swappiness: 7, disableOOMKiller: true };
    c.linux.resources.pids = { limit: 42 };
    c.linux.resources.blockIO = { weight: 500, throttleReadBpsDevice: [{ major, minor, rate: 1048576 }], throttleWriteIOPSDevice: [{ major, minor, rate: 100 }] };
  };
  const id = pc.id(t);
  const rid = `runc-${id}`;
  const ours = pc.bundle(['sleep', '30'], resources);
  const theirs = pc.bundle(['sleep', '30'], resources);
  pc.ok(['create', '--bundle', ours, id]);
  r.start(theirs, rid);
  const files = (name: string) => Object.fromEntries(DIFF_FILES.map(([c, f]) => [f, read(cgroupDir(c, `planc/${name}/${f}`))]));
  const planc = files(id);
  const other = files(rid);
  assert.deepEqual(planc, other, `planc (left) and ${r.version} (right) wrote different values`);
  // And the values are the config's (not both wrong the same way).
  assert.equal(planc['memory.memsw.limit_in_bytes'], '134217728');
  assert.equal(planc['cpu.cfs_quota_us'], '25000');
  assert.equal(planc['blkio.throttle.read_bps_device'], `${major}:${minor} 1048576`);
  pc.ok(['delete', '--force', id]);
  r.delete(rid);
  leftovers(pc.root, id, ours);
  assert.deepEqual(['memory', 'cpu', 'cpuset'].filter((c) => existsSync(cgroupDir(c, `planc/${rid}`))), [], 'runc removed its cgroups');
});

test('differential: where runc 1.1 departs from the spec, planc follows the spec (docs/cgroups.md)', { skip: skipDiff }, async (t) => {
  const r = runc(t);
  const resources = (c: Config) => {
    c.linux.resources.pids = { limit: 0 };
    c.linux.resources.cpu = { idle: 1 };
    c.linux.resources.memory = { kernelTCP: 8388608 };
  };
  const id = pc.id(t);
  const rid = `runc-${id}`;
  // pids.max 0 lets no process fork: both run an init that does not.
  const ours = pc.bundle(['sleep', '30'], resources);
  const theirs = pc.bundle(['sleep', '30'], resources);
  pc.ok(['create', '--bundle', ours, id]);
  r.start(theirs, rid);
  const files = (name: string) => ({
    pids: read(cgroupDir('pids', `planc/${name}/pids.max`)),
    idle: read(cgroupDir('cpu', `planc/${name}/cpu.idle`)),
    tcp: read(cgroupDir('memory', `planc/${name}/memory.kmem.tcp.limit_in_bytes`)),
  });
  // The spec: "0 is a valid limit value … SHOULD be treated as such"; idle 1 is SCHED_IDLE; kernelTCP sets the limit.
  assert.deepEqual(files(id), { pids: '0', idle: '1', tcp: '8388608' });
  if (r.version.startsWith('runc version 1.1.')) {
    // runc 1.1 reads pids 0 as "unset", does not know cpu.idle, and ignores kernel memory settings.
    assert.deepEqual(files(rid), { pids: 'max', idle: '0', tcp: '9223372036854771712' }, r.version);
  }
  pc.ok(['delete', '--force', id]);
  r.delete(rid);
  leftovers(pc.root, id, ours);
});
