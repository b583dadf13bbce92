// Every field of linux.resources, on cgroup v1 and v2 host facts: config in,
// cgroup.write actions out (literal files and values, conversions included),
// or an error naming the field before any action exists. The host facts are
// this VM's as cli/host-facts.ts gathered them (fixtures/hostfacts/vm-v*.json:
// v1 without hugetlb/net_cls/net_prio/rdma, BFQ loaded; the cgroup2 mount
// with hugetlb only), and fuller hosts written here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseJson } from '../../planner/json.js';
import { planCreate } from '../../planner/plan.js';
import { explainLines } from '../../planner/explain.js';
import { blkioToIoWeight, sharesToWeight } from '../../planner/cgroups.js';
import { defaultHostFacts } from '../../planner/host-facts.js';
import { DEFAULT_LEVELS } from '../../planner/lint.js';
import validatePolicy from '../../schemas/generated/validate-policy.js';
import { PlancError } from '../../schemas/error.js';
import validatePlan from '../../schemas/generated/validate-plan.js';
import type { Plan } from '../../schemas/generated/plan.js';
import type { CgroupFacts, HostFacts } from '../../schemas/generated/hostfacts.js';

const FIXTURES = new URL('./fixtures/', import.meta.url);
const hostFacts = (name: string): CgroupFacts => JSON.parse(readFileSync(new URL(`hostfacts/${name}.json`, FIXTURES), 'utf8'));

/** This VM: v1 hierarchies as mounted here (no hugetlb, net_cls, net_prio, rdma), BFQ loaded, CPUs 0-1. */
const VM_V1 = hostFacts('vm-v1');
/** This VM's cgroup2 mount (/sys/fs/cgroup/unified): hugetlb only. */
const VM_V2 = hostFacts('vm-v2');

const file = (name: string) => ({ name, mountpoint: `/sys/fs/cgroup/${name.replace(/^name=/, '').replace(',', '_')}` });
/** A v1 host with every controller, CFQ-era blkio files, hugetlb with reservations. */
const FULL_V1: CgroupFacts = {
  version: 1,
  root: '/sys/fs/cgroup',
  v1Controllers: [
    ...VM_V1.v1Controllers!.filter((c) => c.name !== 'blkio'),
    { ...file('blkio'), files: ['blkio.leaf_weight', 'blkio.leaf_weight_device', 'blkio.throttle.read_bps_device', 'blkio.throttle.read_iops_device', 'blkio.throttle.write_bps_device', 'blkio.throttle.write_iops_device', 'blkio.weight', 'blkio.weight_device', 'cgroup.procs'] },
    { ...file('hugetlb'), files: ['cgroup.procs', 'hugetlb.1GB.limit_in_bytes', 'hugetlb.1GB.rsvd.limit_in_bytes', 'hugetlb.2MB.limit_in_bytes', 'hugetlb.2MB.rsvd.limit_in_bytes'] },
    { ...file('net_cls,net_prio'), files: ['cgroup.procs', 'net_cls.classid', 'net_prio.ifpriomap', 'net_prio.prioidx'] },
    { ...file('rdma'), files: ['cgroup.procs'] },
  ],
  hugepageSizes: ['2MB', '1GB'],
  hugetlbReservations: true,
  bfq: false,
  cpus: '0-7',
  mems: '0-1',
};
/** A pure cgroup v2 host with every controller, without BFQ. */
const FULL_V2: CgroupFacts = {
  version: 2,
  root: '/sys/fs/cgroup',
  v2Controllers: ['cpu', 'cpuset', 'hugetlb', 'io', 'memory', 'misc', 'pids', 'rdma'],
  hugepageSizes: ['2MB', '1GB'],
  hugetlbReservations: true,
  bfq: false,
  cpus: '0-7',
  mems: '0',
};

function configWith(resources: unknown): any {
  const c = parseJson(readFileSync(new URL('default.json', FIXTURES), 'utf8')) as any;
  c.linux.resources = resources;
  return c;
}

function planFor(resources: unknown, cgroup: CgroupFacts): Plan {
  const facts: HostFacts = { ...defaultHostFacts('box', '/bundles/box', '/run/planc'), cgroup };
  const p = planCreate(configWith(resources), facts);
  assert.ok(validatePlan(p), `schema-valid plan: ${JSON.stringify(validatePlan.errors)}`);
  return p;
}

/** The resource writes of a plan, as "path/file=value" (device rules and subtree_control left out unless asked). */
function writes(resources: unknown, cgroup: CgroupFacts, { all = false } = {}): string[] {
  return planFor(resources, cgroup).actions.flatMap((a) =>
    a.op === 'cgroup.write' && (all || (!a.file.startsWith('devices.') && a.file !== 'cgroup.subtree_control')) ? [`${a.path}/${a.file}=${a.value}`] : []);
}

function refusal(resources: unknown, cgroup: CgroupFacts): PlancError {
  try {
    planFor(resources, cgroup);
  } catch (e) {
    assert.ok(e instanceof PlancError, `expected a PlancError, got ${e}`);
    return e;
  }
  assert.fail(`${JSON.stringify(resources)} should have been refused`);
}

/** An error's code, config pointer and message. */
const err = (resources: unknown, cgroup: CgroupFacts) => {
  const e = refusal(resources, cgroup);
  return [e.code, e.where, e.message];
};

/** The plan notes the resource fields gave (the risk notes every plan gets are other tests' business). */
const RESOURCE_NOTES = new Set(['zero-is-unset', 'deprecated', 'hugetlb-rounded', 'unified-overrides']);
const warnings = (resources: unknown, cgroup: CgroupFacts) => planFor(resources, cgroup).warnings.filter((w) => RESOURCE_NOTES.has(w.code)).map((w) => [w.code, w.why, w.message]);

const v1 = (controller: string, f: string, value: string) => `/sys/fs/cgroup/${controller}/planc/box/${f}=${value}`;
const v2 = (f: string, value: string) => `/sys/fs/cgroup/planc/box/${f}=${value}`;
const unified = (f: string, value: string) => `/sys/fs/cgroup/unified/planc/box/${f}=${value}`;

// ---------------------------------------------------------------- memory

test('v1 memory: limit, memory+swap, reservation, TCP buffers, swappiness, OOM killer, hierarchy: the files, limit before memsw', () => {
  const memory = { limit: 67108864, swap: 134217728, reservation: 33554432, kernelTCP: 8388608, swappiness: 10, disableOOMKiller: true, useHierarchy: true };
  assert.deepEqual(writes({ memory }, VM_V1), [
    v1('memory', 'memory.limit_in_bytes', '67108864'),
    v1('memory', 'memory.memsw.limit_in_bytes', '134217728'),
    v1('memory', 'memory.soft_limit_in_bytes', '33554432'),
    v1('memory', 'memory.kmem.tcp.limit_in_bytes', '8388608'),
    v1('memory', 'memory.swappiness', '10'),
    v1('memory', 'memory.oom_control', '1'),
    v1('memory', 'memory.use_hierarchy', '1'),
  ]);
  // -1 is unlimited, written as the kernel takes it; OOM killer left on is the default, nothing to write.
  assert.deepEqual(writes({ memory: { limit: -1, swap: -1, reservation: -1, disableOOMKiller: false } }, VM_V1), [
    v1('memory', 'memory.limit_in_bytes', '-1'),
    v1('memory', 'memory.memsw.limit_in_bytes', '-1'),
    v1('memory', 'memory.soft_limit_in_bytes', '-1'),
  ]);
  // useHierarchy false is planned: Linux 5.x+ refuses it itself (EINVAL), naming the field.
  assert.deepEqual(writes({ memory: { useHierarchy: false } }, VM_V1), [v1('memory', 'memory.use_hierarchy', '0')]);
  // 2^63-1 keeps every digit.
  assert.deepEqual(writes({ memory: { limit: 9223372036854775807n } }, VM_V1), [v1('memory', 'memory.limit_in_bytes', '9223372036854775807')]);
});

test('v1 memory: swap the kernel would refuse is refused at planning time', () => {
  assert.deepEqual(err({ memory: { swap: 134217728 } }, VM_V1), [
    'invalid-config', '/linux/resources/memory/swap',
    'memory.swap 134217728 limits memory+swap, which the kernel keeps at or above the memory limit: set memory.limit too (at most 134217728)',
  ]);
  assert.deepEqual(err({ memory: { limit: -1, swap: 134217728 } }, VM_V1).slice(0, 2), ['invalid-config', '/linux/resources/memory/swap']);
  assert.deepEqual(err({ memory: { limit: 134217728, swap: 67108864 } }, VM_V1), [
    'invalid-config', '/linux/resources/memory/swap', 'memory.swap 67108864 (memory+swap) is below memory.limit 134217728: it must be at least the memory limit',
  ]);
  // Unlimited memory+swap needs no memory limit.
  assert.deepEqual(writes({ memory: { swap: -1 } }, VM_V1), [v1('memory', 'memory.memsw.limit_in_bytes', '-1')]);
  // Equal is allowed: no swap at all.
  assert.deepEqual(writes({ memory: { limit: 1048576, swap: 1048576 } }, VM_V1), [v1('memory', 'memory.limit_in_bytes', '1048576'), v1('memory', 'memory.memsw.limit_in_bytes', '1048576')]);
});

test('v1 memory: a kernel without swap accounting refuses swap, naming the field and why', () => {
  const noSwap: CgroupFacts = {
    ...VM_V1,
    v1Controllers: VM_V1.v1Controllers!.map((c) => (c.name === 'memory' ? { ...c, files: c.files!.filter((f) => !f.startsWith('memory.memsw.')) } : c)),
  };
  assert.deepEqual(err({ memory: { limit: 1048576, swap: 2097152 } }, noSwap), [
    'unsupported', '/linux/resources/memory/swap',
    "this host's memory cgroup hierarchy (/sys/fs/cgroup/memory) has no memory.memsw.limit_in_bytes: swap accounting is off in this kernel (CONFIG_MEMCG_SWAP, or boot with swapaccount=1)",
  ]);
});

test('memory: swappiness is 0-100 (spec); uint64 -1 is old Docker\'s "unset"; kernel memory is a plan note on both versions', () => {
  assert.deepEqual(err({ memory: { swappiness: 101 } }, VM_V1), ['invalid-config', '/linux/resources/memory/swappiness', "memory.swappiness 101 is outside the spec's range of 0 to 100"]);
  assert.deepEqual(writes({ memory: { swappiness: 0 } }, VM_V1), [v1('memory', 'memory.swappiness', '0')]);
  for (const cg of [VM_V1, FULL_V2]) {
    assert.deepEqual(writes({ memory: { swappiness: 18446744073709551615n } }, cg), []);
    assert.deepEqual(warnings({ memory: { swappiness: 18446744073709551615n } }, cg), [
      ['zero-is-unset', '/linux/resources/memory/swappiness', 'memory.swappiness 18446744073709551615 (uint64 -1) is old Docker\'s "not set", as runc reads it: the kernel\'s default stays'],
    ]);
    assert.deepEqual(writes({ memory: { kernel: 1048576 } }, cg), []);
    assert.deepEqual(warnings({ memory: { kernel: 1048576 } }, cg), [['deprecated', '/linux/resources/memory/kernel', 'memory.kernel is not applied: Linux no longer enforces kernel memory limits (v1 ignores memory.kmem.limit_in_bytes, v2 counts kernel memory in memory.max), and runc ignores them too']]);
  }
});

test('v2 memory: memory.max, memory.low, and swap converted to swap alone (memory+swap − memory)', () => {
  assert.deepEqual(writes({ memory: { limit: 67108864, swap: 134217728, reservation: 33554432 } }, FULL_V2), [
    v2('memory.max', '67108864'),
    v2('memory.swap.max', '67108864'),
    v2('memory.low', '33554432'),
  ]);
  assert.deepEqual(writes({ memory: { limit: 67108864, swap: 67108864 } }, FULL_V2), [v2('memory.max', '67108864'), v2('memory.swap.max', '0')]);
  assert.deepEqual(writes({ memory: { limit: -1, swap: -1, reservation: -1 } }, FULL_V2), [v2('memory.max', 'max'), v2('memory.swap.max', 'max'), v2('memory.low', 'max')]);
  // Always hierarchical: true asks for what v2 is; OOM killer left on is the default.
  assert.deepEqual(writes({ memory: { useHierarchy: true, disableOOMKiller: false, checkBeforeUpdate: true } }, FULL_V2), []);
});

test('v2 memory: what v2 cannot say is refused, naming the field', () => {
  assert.deepEqual(err({ memory: { swap: 134217728 } }, FULL_V2), [
    'unsupported', '/linux/resources/memory/swap',
    'memory.swap 134217728 limits memory+swap, and without a memory limit cgroup v2 has no way to say that (memory.swap.max limits swap alone): set memory.limit too',
  ]);
  assert.deepEqual(err({ memory: { limit: 134217728, swap: 1 } }, FULL_V2)[1], '/linux/resources/memory/swap');
  assert.deepEqual(err({ memory: { kernelTCP: 1048576 } }, FULL_V2), ['unsupported', '/linux/resources/memory/kernelTCP', 'cgroup v2 has no separate limit for TCP buffers: they count in memory.max (set memory.limit)']);
  assert.deepEqual(err({ memory: { swappiness: 10 } }, FULL_V2), ['unsupported', '/linux/resources/memory/swappiness', 'cgroup v2 has no per-cgroup swappiness (only the global vm.swappiness)']);
  assert.deepEqual(err({ memory: { disableOOMKiller: true } }, FULL_V2), [
    'unsupported', '/linux/resources/memory/disableOOMKiller', 'cgroup v2 cannot turn the OOM killer off for a cgroup (memory.oom.group only makes it kill the whole group)',
  ]);
  assert.deepEqual(err({ memory: { useHierarchy: false } }, FULL_V2), ['unsupported', '/linux/resources/memory/useHierarchy', 'cgroup v2 accounting is always hierarchical: it cannot be turned off']);
});

// ---------------------------------------------------------------- cpu

test('v1 cpu: shares, CFS period/quota/burst, idle, realtime, cpuset — files in the order the kernel needs', () => {
  const cpu = { shares: 512, period: 100000, quota: 50000, burst: 10000, idle: 0, realtimePeriod: 1000000, realtimeRuntime: 950000, cpus: '1', mems: '0' };
  assert.deepEqual(writes({ cpu }, VM_V1), [
    v1('cpu', 'cpu.shares', '512'),
    v1('cpu', 'cpu.cfs_period_us', '100000'),
    v1('cpu', 'cpu.cfs_quota_us', '50000'),
    v1('cpu', 'cpu.cfs_burst_us', '10000'),
    v1('cpu', 'cpu.idle', '0'),
    v1('cpu', 'cpu.rt_period_us', '1000000'),
    v1('cpu', 'cpu.rt_runtime_us', '950000'),
    v1('cpuset', 'cpuset.cpus', '1'),
    v1('cpuset', 'cpuset.mems', '0'),
  ]);
  assert.deepEqual(writes({ cpu: { quota: -1 } }, VM_V1), [v1('cpu', 'cpu.cfs_quota_us', '-1')]);
  assert.deepEqual(writes({ cpu: { idle: 1 } }, VM_V1), [v1('cpu', 'cpu.idle', '1')]);
  // An idle group has the minimum weight whatever its shares (cpu.shares then reads 3): both together say two things.
  for (const cg of [VM_V1, FULL_V2]) {
    assert.deepEqual(err({ cpu: { shares: 512, idle: 1 } }, cg), [
      'invalid-config', '/linux/resources/cpu/shares', "cpu.shares 512 would have no effect: cpu.idle 1 gives the cgroup the kernel's minimum weight instead",
    ]);
  }
});

test('v1 cpuset: the cpuset cgroup is made (and joined) inheriting cpus and mems; "" is no cpuset', () => {
  const p = planFor({ cpu: { cpus: '0-1', mems: '0' } }, VM_V1);
  const create = p.actions.find((a) => a.op === 'cgroup.create' && a.path === '/sys/fs/cgroup/cpuset/planc/box');
  assert.deepEqual(create, { stage: 'host', op: 'cgroup.create', why: '/linux/cgroupsPath', path: '/sys/fs/cgroup/cpuset/planc/box', inherit: ['cpuset.cpus', 'cpuset.mems'] });
  assert.ok(p.cgroupPaths.includes('/sys/fs/cgroup/cpuset/planc/box'));
  assert.ok(explainLines(p).some((l) => l.includes("create cgroup /sys/fs/cgroup/cpuset/planc/box (refused if it holds processes); each level without cpuset.cpus or cpuset.mems takes its parent's")));
  // Created before the writes, so the copy from the parent comes first and the config's value last.
  const i = p.actions.indexOf(create!);
  const j = p.actions.findIndex((a) => a.op === 'cgroup.write' && a.file === 'cpuset.cpus');
  assert.ok(i < j);
  assert.deepEqual(writes({ cpu: { cpus: '', mems: '' } }, VM_V1), []);
  // Every other hierarchy is created without inherit.
  assert.ok(p.actions.filter((a) => a.op === 'cgroup.create' && a.path !== create!.path).every((a) => a.op === 'cgroup.create' && a.inherit === undefined));
});

test('cpuset lists: the kernel\'s syntax, and only CPUs and nodes this host has', () => {
  assert.deepEqual(err({ cpu: { cpus: '2-3' } }, VM_V1), ['unsupported', '/linux/resources/cpu/cpus', 'CPU 2, 3 are not available on this host (it has CPUs 0-1)']);
  assert.deepEqual(err({ cpu: { mems: '1' } }, VM_V1), ['unsupported', '/linux/resources/cpu/mems', 'memory node 1 is not available on this host (it has memory nodes 0)']);
  assert.deepEqual(err({ cpu: { cpus: 'all' } }, VM_V1), ['invalid-config', '/linux/resources/cpu/cpus', '"all" is not a CPU list: use numbers and ranges like "0-3,7"']);
  assert.deepEqual(err({ cpu: { cpus: '1-0' } }, VM_V1), ['invalid-config', '/linux/resources/cpu/cpus', 'CPU range 1-0 runs backwards']);
  assert.deepEqual(err({ cpu: { cpus: '0,,1' } }, VM_V1)[0], 'invalid-config');
  assert.deepEqual(writes({ cpu: { cpus: '0-3,7', mems: '0-1' } }, FULL_V1), [v1('cpuset', 'cpuset.cpus', '0-3,7'), v1('cpuset', 'cpuset.mems', '0-1')]);
});

test('cpu values the kernel would clamp or refuse are refused at planning time; 0 is "unset", said in the plan', () => {
  assert.deepEqual(err({ cpu: { shares: 1 } }, VM_V1), ['invalid-config', '/linux/resources/cpu/shares', "cpu.shares 1 is outside the kernel's range of 2 to 262144 (it would quietly use 2)"]);
  assert.deepEqual(err({ cpu: { shares: 300000 } }, FULL_V2), ['invalid-config', '/linux/resources/cpu/shares', "cpu.shares 300000 is outside the kernel's range of 2 to 262144 (it would quietly use 262144)"]);
  assert.deepEqual(err({ cpu: { quota: 999 } }, VM_V1), ['invalid-config', '/linux/resources/cpu/quota', "cpu.quota 999 µs is below the kernel's minimum of 1000 (1 ms); -1 means no limit"]);
  assert.deepEqual(err({ cpu: { period: 999 } }, VM_V1), ['invalid-config', '/linux/resources/cpu/period', "cpu.period 999 µs is outside the kernel's range of 1000 (1 ms) to 1000000 (1 s)"]);
  assert.deepEqual(err({ cpu: { period: 1000001 } }, FULL_V2)[1], '/linux/resources/cpu/period');
  assert.deepEqual(err({ cpu: { quota: 50000, burst: 50001 } }, VM_V1), [
    'invalid-config', '/linux/resources/cpu/burst', 'cpu.burst 50001 µs is larger than cpu.quota 50000 µs: the spec requires burst to be no larger than a positive quota',
  ]);
  assert.deepEqual(err({ cpu: { realtimePeriod: 1000, realtimeRuntime: 1001 } }, VM_V1), ['invalid-config', '/linux/resources/cpu/realtimeRuntime', 'cpu.realtimeRuntime 1001 µs is longer than cpu.realtimePeriod 1000 µs']);
  for (const cg of [VM_V1, FULL_V2]) {
    assert.deepEqual(writes({ cpu: { shares: 0, quota: 0, period: 0 } }, cg), []);
    assert.deepEqual(warnings({ cpu: { shares: 0 } }, cg), [['zero-is-unset', '/linux/resources/cpu/shares', 'cpu.shares 0 is read as "not set" (as runc and crun read it): the kernel\'s default stays']]);
  }
});

test('v1 cpu on a kernel without the file: refused naming the field and the kernel feature', () => {
  const oldKernel: CgroupFacts = {
    ...VM_V1,
    v1Controllers: VM_V1.v1Controllers!.map((c) => (c.name === 'cpu' ? { ...c, files: c.files!.filter((f) => !/^cpu\.(rt_|idle|cfs_burst)/.test(f)) } : c)),
  };
  assert.deepEqual(err({ cpu: { burst: 1000 } }, oldKernel), ['unsupported', '/linux/resources/cpu/burst', "this host's cpu cgroup hierarchy (/sys/fs/cgroup/cpu) has no cpu.cfs_burst_us: CFS burst came with Linux 5.14"]);
  assert.deepEqual(err({ cpu: { idle: 1 } }, oldKernel)[2], "this host's cpu cgroup hierarchy (/sys/fs/cgroup/cpu) has no cpu.idle: idle cgroups came with Linux 5.15");
  assert.deepEqual(err({ cpu: { realtimeRuntime: 1000 } }, oldKernel)[2], "this host's cpu cgroup hierarchy (/sys/fs/cgroup/cpu) has no cpu.rt_runtime_us: this kernel has no realtime group scheduling (CONFIG_RT_GROUP_SCHED)");
});

test('v2 cpu: shares → cpu.weight by runc\'s conversion, quota/period → cpu.max, burst after it, idle, cpuset', () => {
  assert.deepEqual(writes({ cpu: { shares: 1024, quota: 50000, period: 100000, burst: 10000, idle: 0, cpus: '0-3', mems: '0' } }, FULL_V2), [
    v2('cpu.weight', '100'),
    v2('cpu.max', '50000 100000'),
    v2('cpu.max.burst', '10000'),
    v2('cpu.idle', '0'),
    v2('cpuset.cpus', '0-3'),
    v2('cpuset.mems', '0'),
  ]);
  assert.deepEqual(writes({ cpu: { quota: 20000 } }, FULL_V2), [v2('cpu.max', '20000 100000')]);
  assert.deepEqual(writes({ cpu: { period: 200000 } }, FULL_V2), [v2('cpu.max', 'max 200000')]);
  assert.deepEqual(writes({ cpu: { quota: -1, period: 50000 } }, FULL_V2), [v2('cpu.max', 'max 50000')]);
  for (const key of ['realtimePeriod', 'realtimeRuntime']) {
    assert.deepEqual(err({ cpu: { [key]: 1000 } }, FULL_V2), ['unsupported', `/linux/resources/cpu/${key}`, 'cgroup v2 has no realtime group scheduling (cpu.rt_* are cgroup v1 files)']);
  }
});

test('shares → weight: the points runc\'s own tests fix, and a few between (minimum, default and maximum agree)', () => {
  // opencontainers/cgroups utils_test.go: 1→1, 2→1, 3→2, 1024→100, 262143→10000, 262144→10000, 262145→10000.
  const fixed: [bigint, bigint][] = [[1n, 1n], [2n, 1n], [3n, 2n], [1024n, 100n], [262143n, 10000n], [262144n, 10000n], [262145n, 10000n]];
  // Between them, evaluated with 60-digit decimals (not with the code under test): 10^((l²+125l)/612 − 7/34), l = log2(shares), rounded up.
  const between: [bigint, bigint][] = [[4n, 2n], [10n, 4n], [100n, 17n], [512n, 59n], [2048n, 174n], [4096n, 303n], [10000n, 627n], [100000n, 4340n]];
  for (const [shares, weight] of [...fixed, ...between]) assert.equal(sharesToWeight(shares), weight, `shares ${shares}`);
  assert.deepEqual(writes({ cpu: { shares: 2 } }, FULL_V2), [v2('cpu.weight', '1')]);
  assert.deepEqual(writes({ cpu: { shares: 262144 } }, FULL_V2), [v2('cpu.weight', '10000')]);
});

// ---------------------------------------------------------------- pids

test('pids: 0 is a limit (the spec), -1 is "max", on both versions', () => {
  assert.deepEqual(writes({ pids: { limit: 0 } }, VM_V1), [v1('pids', 'pids.max', '0')]);
  assert.deepEqual(writes({ pids: { limit: -1 } }, VM_V1), [v1('pids', 'pids.max', 'max')]);
  assert.deepEqual(writes({ pids: { limit: 100 } }, VM_V1), [v1('pids', 'pids.max', '100')]);
  assert.deepEqual(writes({ pids: { limit: 0 } }, FULL_V2), [v2('pids.max', '0')]);
  assert.deepEqual(writes({ pids: { limit: -1 } }, FULL_V2), [v2('pids.max', 'max')]);
});

// ---------------------------------------------------------------- blockIO

const THROTTLE = {
  throttleReadBpsDevice: [{ major: 254, minor: 0, rate: 1048576 }],
  throttleWriteBpsDevice: [{ major: 254, minor: 0, rate: 2097152 }],
  throttleReadIOPSDevice: [{ major: 254, minor: 0, rate: 100 }],
  throttleWriteIOPSDevice: [{ major: 254, minor: 0, rate: 0 }, { major: 8, minor: 16, rate: 300 }],
};

test('v1 blkio on this VM: BFQ weights (no CFQ files), throttles; leaf weights refused', () => {
  assert.deepEqual(writes({ blockIO: { weight: 500, weightDevice: [{ major: 254, minor: 0, weight: 300 }], ...THROTTLE } }, VM_V1), [
    v1('blkio', 'blkio.bfq.weight', '500'),
    v1('blkio', 'blkio.bfq.weight_device', '254:0 300'),
    v1('blkio', 'blkio.throttle.read_bps_device', '254:0 1048576'),
    v1('blkio', 'blkio.throttle.write_bps_device', '254:0 2097152'),
    v1('blkio', 'blkio.throttle.read_iops_device', '254:0 100'),
    v1('blkio', 'blkio.throttle.write_iops_device', '254:0 0'),
    v1('blkio', 'blkio.throttle.write_iops_device', '8:16 300'),
  ]);
  assert.deepEqual(err({ blockIO: { leafWeight: 300 } }, VM_V1), [
    'unsupported', '/linux/resources/blockIO/leafWeight', "this host's blkio cgroup hierarchy (/sys/fs/cgroup/blkio) has no blkio.leaf_weight: leaf weights were CFQ's, and CFQ left Linux in 5.0",
  ]);
  assert.deepEqual(err({ blockIO: { weightDevice: [{ major: 8, minor: 0, leafWeight: 300 }] } }, VM_V1)[1], '/linux/resources/blockIO/weightDevice/0/leafWeight');
  assert.deepEqual(err({ blockIO: { weight: 1001 } }, VM_V1), ['invalid-config', '/linux/resources/blockIO/weight', "blockIO.weight 1001 is outside blkio.bfq.weight's range of 1 to 1000"]);
  assert.deepEqual(err({ blockIO: { weightDevice: [{ major: 8, minor: 0 }] } }, VM_V1), [
    'invalid-config', '/linux/resources/blockIO/weightDevice/0', 'a weightDevice entry needs weight or leafWeight (the spec requires at least one)',
  ]);
});

test('v1 blkio: CFQ-era files where the host has them, and a clear refusal where it has no weight file at all', () => {
  assert.deepEqual(writes({ blockIO: { weight: 500, leafWeight: 200, weightDevice: [{ major: 8, minor: 0, weight: 300, leafWeight: 100 }] } }, FULL_V1), [
    v1('blkio', 'blkio.weight', '500'),
    v1('blkio', 'blkio.leaf_weight', '200'),
    v1('blkio', 'blkio.weight_device', '8:0 300'),
    v1('blkio', 'blkio.leaf_weight_device', '8:0 100'),
  ]);
  assert.deepEqual(err({ blockIO: { weight: 5 } }, FULL_V1)[2], "blockIO.weight 5 is outside blkio.weight's range of 10 to 1000");
  const noBfq: CgroupFacts = { ...VM_V1, bfq: false, v1Controllers: VM_V1.v1Controllers!.map((c) => (c.name === 'blkio' ? { ...c, files: c.files!.filter((f) => !f.startsWith('blkio.bfq.')) } : c)) };
  assert.deepEqual(err({ blockIO: { weight: 500 } }, noBfq), [
    'unsupported', '/linux/resources/blockIO/weight',
    "blkio weights need CFQ's blkio.weight (CFQ left Linux in 5.0) or BFQ's blkio.bfq.weight, and this host's blkio hierarchy has neither (is the bfq module loaded?)",
  ]);
  // Throttles need no scheduler.
  assert.deepEqual(writes({ blockIO: { throttleReadBpsDevice: [{ major: 254, minor: 0, rate: 1 }] } }, noBfq), [v1('blkio', 'blkio.throttle.read_bps_device', '254:0 1')]);
  assert.deepEqual(warnings({ blockIO: { weight: 0 } }, VM_V1), [['zero-is-unset', '/linux/resources/blockIO/weight', 'blockIO.weight 0 is read as "not set" (as runc and crun read it): the kernel\'s default stays']]);
});

test('v2 io: weights converted to io.weight (or as-is to io.bfq.weight), throttles to io.max lines, leaf weights refused', () => {
  // runc's line from blkio (10-1000) to io.weight (1-10000): 10→1, 500→4950, 1000→10000.
  assert.equal(blkioToIoWeight(10n), 1n);
  assert.equal(blkioToIoWeight(500n), 4950n);
  assert.equal(blkioToIoWeight(1000n), 10000n);
  assert.deepEqual(writes({ blockIO: { weight: 500, weightDevice: [{ major: 8, minor: 0, weight: 1000 }], ...THROTTLE } }, FULL_V2), [
    v2('io.weight', '4950'),
    v2('io.weight', '8:0 10000'),
    v2('io.max', '254:0 rbps=1048576'),
    v2('io.max', '254:0 wbps=2097152'),
    v2('io.max', '254:0 riops=100'),
    v2('io.max', '254:0 wiops=max'),
    v2('io.max', '8:16 wiops=300'),
  ]);
  assert.deepEqual(writes({ blockIO: { weight: 500, weightDevice: [{ major: 8, minor: 0, weight: 5 }] } }, { ...FULL_V2, bfq: true }), [
    v2('io.bfq.weight', '500'),
    v2('io.bfq.weight', '8:0 5'),
  ]);
  assert.deepEqual(err({ blockIO: { weight: 5 } }, FULL_V2), ['invalid-config', '/linux/resources/blockIO/weight', 'weight 5 is outside the blkio range of 10 to 1000 that converts to io.weight']);
  assert.deepEqual(err({ blockIO: { leafWeight: 10 } }, FULL_V2), ['unsupported', '/linux/resources/blockIO/leafWeight', "cgroup v2 has no leaf weights (they were CFQ's, and CFQ left Linux in 5.0)"]);
  assert.deepEqual(err({ blockIO: { weightDevice: [{ major: 8, minor: 0, weight: 10, leafWeight: 10 }] } }, FULL_V2)[1], '/linux/resources/blockIO/weightDevice/0/leafWeight');
});

// ---------------------------------------------------------------- hugetlb

test('hugepageLimits: v1 limit_in_bytes (+ rsvd), v2 max (+ rsvd.max); sizes checked against the host', () => {
  const hugepageLimits = [{ pageSize: '2MB', limit: 209715200 }, { pageSize: '1GB', limit: 1073741824 }];
  assert.deepEqual(writes({ hugepageLimits }, FULL_V1), [
    '/sys/fs/cgroup/hugetlb/planc/box/hugetlb.2MB.limit_in_bytes=209715200',
    '/sys/fs/cgroup/hugetlb/planc/box/hugetlb.2MB.rsvd.limit_in_bytes=209715200',
    '/sys/fs/cgroup/hugetlb/planc/box/hugetlb.1GB.limit_in_bytes=1073741824',
    '/sys/fs/cgroup/hugetlb/planc/box/hugetlb.1GB.rsvd.limit_in_bytes=1073741824',
  ]);
  assert.deepEqual(writes({ hugepageLimits }, FULL_V2), [
    v2('hugetlb.2MB.max', '209715200'), v2('hugetlb.2MB.rsvd.max', '209715200'),
    v2('hugetlb.1GB.max', '1073741824'), v2('hugetlb.1GB.rsvd.max', '1073741824'),
  ]);
  // Without reservation accounting (before Linux 5.7), faults only.
  assert.deepEqual(writes({ hugepageLimits: [hugepageLimits[0]] }, { ...FULL_V2, hugetlbReservations: false }), [v2('hugetlb.2MB.max', '209715200')]);
  assert.deepEqual(err({ hugepageLimits: [{ pageSize: '64KB', limit: 65536 }] }, FULL_V2), ['unsupported', '/linux/resources/hugepageLimits/0/pageSize', 'this host has no 64KB huge pages (it has 2MB, 1GB)']);
  assert.deepEqual(warnings({ hugepageLimits: [{ pageSize: '2MB', limit: 3145728 }] }, FULL_V2), [
    ['hugetlb-rounded', '/linux/resources/hugepageLimits/0/limit', 'hugetlb limit 3145728 is not a whole number of 2MB pages: the kernel rounds it down to 2097152'],
  ]);
});

test('this VM: no v1 hugetlb hierarchy, so hugepageLimits are refused on v1; its cgroup2 mount has hugetlb and takes them', () => {
  assert.deepEqual(err({ hugepageLimits: [{ pageSize: '2MB', limit: 2097152 }] }, VM_V1), [
    'unsupported', '/linux/resources/hugepageLimits/0',
    'the hugetlb cgroup controller is not available on this host (no v1 hierarchy has it; mounted: cpu, cpuacct, cpuset, memory, devices, freezer, blkio, pids, name=systemd)',
  ]);
  assert.deepEqual(writes({ hugepageLimits: [{ pageSize: '2MB', limit: 2097152 }] }, VM_V2, { all: true }), [
    '/sys/fs/cgroup/unified/cgroup.subtree_control=+hugetlb',
    '/sys/fs/cgroup/unified/planc/cgroup.subtree_control=+hugetlb',
    unified('hugetlb.2MB.max', '2097152'),
    unified('hugetlb.2MB.rsvd.max', '2097152'),
  ]);
});

// ---------------------------------------------------------------- network, rdma

test('network: net_cls.classid and net_prio.ifpriomap on v1 where mounted; refused on this VM and on every v2 host', () => {
  const network = { classID: 1048577, priorities: [{ name: 'eth0', priority: 500 }, { name: 'eth1', priority: 1000 }] };
  assert.deepEqual(writes({ network }, FULL_V1), [
    '/sys/fs/cgroup/net_cls_net_prio/planc/box/net_cls.classid=1048577',
    '/sys/fs/cgroup/net_cls_net_prio/planc/box/net_prio.ifpriomap=eth0 500',
    '/sys/fs/cgroup/net_cls_net_prio/planc/box/net_prio.ifpriomap=eth1 1000',
  ]);
  assert.deepEqual(err({ network }, VM_V1).slice(0, 2), ['unsupported', '/linux/resources/network/classID']);
  assert.deepEqual(err({ network: { priorities: network.priorities } }, VM_V1).slice(0, 2), ['unsupported', '/linux/resources/network/priorities/0']);
  assert.deepEqual(err({ network: { priorities: [{ name: 'eth 0', priority: 1 }] } }, FULL_V1), [
    'invalid-config', '/linux/resources/network/priorities/0/name', '"eth 0" is not a network interface name (1-15 bytes; no "/", ":" or whitespace; not "." or "..")',
  ]);
  assert.deepEqual(err({ network: { classID: 1 } }, FULL_V2), ['unsupported', '/linux/resources/network/classID', 'cgroup v2 has no net_cls controller: packets are classified with eBPF or tc instead']);
  assert.deepEqual(err({ network: { priorities: network.priorities } }, FULL_V2), ['unsupported', '/linux/resources/network/priorities', 'cgroup v2 has no net_prio controller: priorities are set with eBPF or tc instead']);
});

test('rdma: one rdma.max line per device on v1 and v2 where the controller is; refused where it is not', () => {
  const rdma = { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 }, mlx4_0: { hcaObjects: 1000 } };
  assert.deepEqual(writes({ rdma }, FULL_V1), ['/sys/fs/cgroup/rdma/planc/box/rdma.max=mlx5_1 hca_handle=3 hca_object=10000', '/sys/fs/cgroup/rdma/planc/box/rdma.max=mlx4_0 hca_object=1000']);
  assert.deepEqual(writes({ rdma }, FULL_V2), [v2('rdma.max', 'mlx5_1 hca_handle=3 hca_object=10000'), v2('rdma.max', 'mlx4_0 hca_object=1000')]);
  assert.deepEqual(err({ rdma }, VM_V1).slice(0, 2), ['unsupported', '/linux/resources/rdma/mlx5_1']);
  assert.deepEqual(err({ rdma }, VM_V2), ['unsupported', '/linux/resources/rdma/mlx5_1', 'the cgroup v2 hierarchy at /sys/fs/cgroup/unified has no rdma controller (it has: hugetlb)']);
  assert.deepEqual(err({ rdma: { 'a b': { hcaHandles: 1 } } }, FULL_V2), ['invalid-config', '/linux/resources/rdma/a b', '"a b" is not an RDMA device name']);
});

// ---------------------------------------------------------------- unified, and controllers a v2 host lacks

test('v2 unified: written as given, sorted, last; names checked; only controllers the hierarchy has', () => {
  const p = planFor({ memory: { limit: 1048576 }, unified: { 'memory.max': '2097152', 'cgroup.max.depth': '5', 'io.max': '259:0 rbps=2097152 wiops=120\n253:0 rbps=2097152 wiops=120' } }, FULL_V2);
  assert.deepEqual(p.actions.flatMap((a) => (a.op === 'cgroup.write' ? [`${a.path}/${a.file}=${a.value}`] : [])), [
    '/sys/fs/cgroup/cgroup.subtree_control=+io +memory',
    '/sys/fs/cgroup/planc/cgroup.subtree_control=+io +memory',
    v2('memory.max', '1048576'),
    v2('cgroup.max.depth', '5'),
    v2('io.max', '259:0 rbps=2097152 wiops=120\n253:0 rbps=2097152 wiops=120'),
    v2('memory.max', '2097152'),
  ]);
  assert.deepEqual(p.warnings.filter((w) => RESOURCE_NOTES.has(w.code)).map((w) => [w.code, w.why]), [['unified-overrides', '/linux/resources/unified/memory.max']]);
  for (const key of ['../memory.max', 'memory.max/..', 'memory', '.max', 'Memory.max', 'memory.max\n']) {
    assert.deepEqual(err({ unified: { [key]: '1' } }, FULL_V2).slice(0, 2), ['invalid-config', `/linux/resources/unified/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`], key);
  }
  assert.deepEqual(err({ unified: { 'net_cls.classid': '1' } }, FULL_V2), [
    'invalid-config', '/linux/resources/unified/net_cls.classid', 'unified key net_cls.classid names no cgroup v2 controller (cpu, cpuset, io, memory, hugetlb, pids, rdma, misc, or cgroup.* core files)',
  ]);
  assert.deepEqual(err({ unified: { 'cgroup.procs': '1' } }, FULL_V2), [
    'unsupported', '/linux/resources/unified/cgroup.procs', 'unified may not write cgroup.procs: it moves processes into the container cgroup; the init is the only one planc moves',
  ]);
  for (const key of ['cgroup.threads', 'cgroup.kill', 'cgroup.subtree_control', 'cgroup.type']) assert.equal(err({ unified: { [key]: '1' } }, FULL_V2)[0], 'unsupported', key);
  assert.deepEqual(err({ unified: { 'memory.high': '1G' } }, VM_V2), ['unsupported', '/linux/resources/unified/memory.high', 'the cgroup v2 hierarchy at /sys/fs/cgroup/unified has no memory controller (it has: hugetlb)']);
  // Core files need no controller.
  assert.deepEqual(writes({ unified: { 'cgroup.max.depth': '5' } }, VM_V2, { all: true }), [unified('cgroup.max.depth', '5')]);
  assert.deepEqual(err({ unified: { 'memory.high': '1G' } }, VM_V1), ['unsupported', '/linux/resources/unified', 'unified (cgroup v2) resources need a cgroup v2 host; this plan is for cgroup v1']);
});

test('this VM\'s cgroup2 mount: every field of a controller it lacks is refused, naming the field, before any action', () => {
  const cases: [unknown, string, string][] = [
    [{ memory: { limit: 1048576 } }, '/linux/resources/memory/limit', 'memory'],
    [{ cpu: { shares: 512 } }, '/linux/resources/cpu/shares', 'cpu'],
    [{ cpu: { cpus: '0' } }, '/linux/resources/cpu/cpus', 'cpuset'],
    [{ pids: { limit: 10 } }, '/linux/resources/pids/limit', 'pids'],
    [{ blockIO: { throttleReadBpsDevice: [{ major: 254, minor: 0, rate: 1 }] } }, '/linux/resources/blockIO/throttleReadBpsDevice/0', 'io'],
  ];
  for (const [resources, where, controller] of cases) {
    assert.deepEqual(err(resources, VM_V2), ['unsupported', where, `the cgroup v2 hierarchy at /sys/fs/cgroup/unified has no ${controller} controller (it has: hugetlb)`]);
  }
});

test('unknown host facts (a plan made away from the host) assume the usual files and leave the last word to the kernel', () => {
  const unknown = defaultHostFacts('box', '/bundles/box').cgroup;
  assert.deepEqual(writes({ blockIO: { weight: 500, leafWeight: 500 }, memory: { limit: 1048576, swap: 2097152 }, hugepageLimits: [{ pageSize: '16GB', limit: 0 }] }, {
    ...unknown,
    v1Controllers: [...unknown.v1Controllers!, { name: 'hugetlb', mountpoint: '/sys/fs/cgroup/hugetlb' }],
  }), [
    v1('memory', 'memory.limit_in_bytes', '1048576'),
    v1('memory', 'memory.memsw.limit_in_bytes', '2097152'),
    v1('blkio', 'blkio.weight', '500'),
    v1('blkio', 'blkio.leaf_weight', '500'),
    v1('hugetlb', 'hugetlb.16GB.limit_in_bytes', '0'),
  ]);
  assert.deepEqual(writes({ memory: { limit: 1048576 }, cpu: { cpus: '0-63' } }, { version: 2, root: '/sys/fs/cgroup' }), [v2('memory.max', '1048576'), v2('cpuset.cpus', '0-63')]);
});

test('every plan note the resource fields give is a lint rule the policy schema knows', () => {
  for (const code of RESOURCE_NOTES) {
    assert.ok(code in DEFAULT_LEVELS, code);
    assert.equal(validatePolicy({ rules: { [code]: 'off' } }), true, code);
  }
});

// What explain says for every field a host takes: the host stage of a full config, and the notes.
const SNAPSHOTS = new URL('./snapshots/', import.meta.url);
const THROTTLES_ALL = {
  throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
  throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 2097152 }],
  throttleReadIOPSDevice: [{ major: 8, minor: 0, rate: 100 }],
  throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 0 }],
};
const FULL: [string, unknown, CgroupFacts][] = [
  ['resources-v1', {
    devices: [{ allow: false, access: 'rwm' }],
    memory: { limit: 67108864, swap: 134217728, reservation: 33554432, kernel: -1, kernelTCP: 8388608, swappiness: 10, disableOOMKiller: true, useHierarchy: true },
    cpu: { shares: 512, period: 100000, quota: 50000, burst: 10000, idle: 0, realtimePeriod: 1000000, realtimeRuntime: 10000, cpus: '0-3', mems: '0' },
    pids: { limit: 100 },
    blockIO: { weight: 500, leafWeight: 300, weightDevice: [{ major: 8, minor: 0, weight: 300, leafWeight: 100 }], ...THROTTLES_ALL },
    hugepageLimits: [{ pageSize: '2MB', limit: 209715200 }],
    network: { classID: 1048577, priorities: [{ name: 'eth0', priority: 5 }] },
    rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 } },
  }, FULL_V1],
  ['resources-v2', {
    memory: { limit: 67108864, swap: 134217728, reservation: 33554432, kernel: -1, useHierarchy: true },
    cpu: { shares: 512, period: 100000, quota: 50000, burst: 10000, idle: 0, cpus: '0-3', mems: '0' },
    pids: { limit: 100 },
    blockIO: { weight: 500, weightDevice: [{ major: 8, minor: 0, weight: 300 }], ...THROTTLES_ALL },
    hugepageLimits: [{ pageSize: '2MB', limit: 3145728 }],
    rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 } },
    unified: { 'memory.high': '50331648', 'pids.max': '50' },
  }, FULL_V2],
];

test('explain snapshots of every field on a full v1 and a full v2 host (UPDATE_SNAPSHOTS=1 rewrites them)', () => {
  for (const [name, resources, cgroup] of FULL) {
    const lines = explainLines(planFor(resources, cgroup)).filter((l) => /^\s*\d+ host /.test(l) || /^warning: .*← \/linux\/resources\//.test(l));
    const text = lines.join('\n') + '\n';
    const file = new URL(`${name}.explain.txt`, SNAPSHOTS);
    if (process.env.UPDATE_SNAPSHOTS === '1') writeFileSync(file, text);
    assert.ok(existsSync(file), `snapshot ${name}.explain.txt is missing (it is committed; UPDATE_SNAPSHOTS=1 writes it, review the diff)`);
    assert.equal(text, readFileSync(file, 'utf8'), `explain of ${name} changed (UPDATE_SNAPSHOTS=1 rewrites it; review the diff)`);
  }
});
