// Plans for live containers (planner/live.ts): `update` (runc 1.1's flags and
// semantics → cgroup writes for the container's own directories) and the
// freezer writes of pause/resume. Facts in → writes, merged resources, notes
// or one error out; expected values are literals (kernel file names, runc's
// rules, cgroup v1/v2 units), never recomputed with the planner's formulas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explainUpdate, type LiveCgroups, mergeResources, parseSize, planUpdate, resourcesFromFlags, type UpdateSource } from '../../planner/live.js';
import { parseJson, stringifyJson } from '../../planner/json.js';
import { PlancError } from '../../schemas/error.js';
import type { Resources } from '../../schemas/generated/config.js';

const FLAGS: UpdateSource = { kind: 'flags' };
const FILE: UpdateSource = { kind: 'file', name: 'r.json' };

const MEM = '/sys/fs/cgroup/memory/planc/c1';
const CPU = '/sys/fs/cgroup/cpu/planc/c1';
const PIDS = '/sys/fs/cgroup/pids/planc/c1';
const BLKIO = '/sys/fs/cgroup/blkio/planc/c1';
const FREEZER = '/sys/fs/cgroup/freezer/planc/c1';
const V2DIR = '/sys/fs/cgroup/unified/planc/c1';

/** A v1 container as this project's VM has it: no cpuset cgroup, BFQ's weight file only. */
function v1(over: Partial<LiveCgroups> = {}): LiveCgroups {
  return {
    version: 1,
    dirs: { memory: MEM, cpu: CPU, pids: PIDS, blkio: BLKIO, freezer: FREEZER },
    files: {
      [MEM]: ['memory.limit_in_bytes', 'memory.memsw.limit_in_bytes', 'memory.soft_limit_in_bytes', 'memory.kmem.tcp.limit_in_bytes'],
      [CPU]: ['cpu.shares', 'cpu.cfs_period_us', 'cpu.cfs_quota_us', 'cpu.rt_period_us', 'cpu.rt_runtime_us'],
      [PIDS]: ['pids.max'],
      [BLKIO]: ['blkio.bfq.weight', 'blkio.bfq.weight_device'],
      [FREEZER]: ['freezer.state', 'freezer.self_freezing'],
    },
    memoryLimit: 9223372036854771712n,
    ...over,
  };
}

function v2(files: string[]): LiveCgroups {
  return { version: 2, dirs: { '': V2DIR }, files: { [V2DIR]: files } };
}

/** [file, value, dir] of each write, in order. */
function writes(plan: ReturnType<typeof planUpdate>): [string, string, string][] {
  return plan.actions.map((a) => [a.file, a.value, a.path]);
}

function errorOf(fn: () => unknown): PlancError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PlancError, `expected a PlancError, got ${e}`);
    return e;
  }
  assert.fail('expected an error');
}

test('sizes are read as runc reads them: powers of 1024, any case, optional i/b, -1 unlimited', () => {
  assert.equal(parseSize('memory', '100'), 100n);
  assert.equal(parseSize('memory', '100b'), 100n);
  assert.equal(parseSize('memory', '1k'), 1024n);
  assert.equal(parseSize('memory', '1KiB'), 1024n);
  assert.equal(parseSize('memory', '100M'), 104857600n);
  assert.equal(parseSize('memory', '100m'), 104857600n);
  assert.equal(parseSize('memory', '1.5g'), 1610612736n);
  assert.equal(parseSize('memory', '2 GB'), 2147483648n);
  assert.equal(parseSize('memory', '1t'), 1099511627776n);
  assert.equal(parseSize('memory', '10 '), 10n); // runc's pattern allows the space before a unit that is not there
  assert.equal(parseSize('memory', '-1'), -1n);
  for (const bad of ['', 'abc', '-2', '1x', '1.2.3', 'm', '1 0', '8589934592p']) {
    assert.match(errorOf(() => parseSize('memory', bad)).message, /^invalid value for --memory: /, bad);
  }
});

test('flags → LinuxResources: each flag lands on its runtime-spec field, with the kind of number runc parses', () => {
  const r = resourcesFromFlags({
    memory: '100M', 'memory-swap': '-1', 'memory-reservation': '50m', 'kernel-memory': '1g', 'kernel-memory-tcp': '1m',
    'cpu-share': '512', 'cpu-period': '100000', 'cpu-quota': '-1', 'cpu-rt-period': '1000000', 'cpu-rt-runtime': '950000',
    'cpuset-cpus': '0-1', 'cpuset-mems': '0', 'pids-limit': '-1', 'blkio-weight': '500',
  });
  assert.deepEqual(r, {
    memory: { limit: 104857600, swap: -1, reservation: 52428800, kernel: 1073741824, kernelTCP: 1048576 },
    cpu: { shares: 512, period: 100000, quota: -1, realtimePeriod: 1000000, realtimeRuntime: 950000, cpus: '0-1', mems: '0' },
    pids: { limit: -1 },
    blockIO: { weight: 500 },
  });
  assert.deepEqual(resourcesFromFlags({ 'cpu-share': '18446744073709551615' }), { cpu: { shares: 18446744073709551615n } });
  assert.equal(errorOf(() => resourcesFromFlags({ 'cpu-share': '-5' })).message, 'invalid value for --cpu-share: "-5" is not an unsigned integer');
  assert.equal(errorOf(() => resourcesFromFlags({ 'cpu-quota': '5.5' })).message, 'invalid value for --cpu-quota: "5.5" is not an integer');
  assert.equal(errorOf(() => resourcesFromFlags({ 'pids-limit': '9223372036854775808' })).message, 'invalid value for --pids-limit: "9223372036854775808" is not a int64');
});

test('v1: each resource to its controller directory and file, in create\'s order', () => {
  const plan = planUpdate(undefined, resourcesFromFlags({ memory: '100M', 'memory-reservation': '50M', 'cpu-share': '512', 'cpu-period': '200000', 'cpu-quota': '50000', 'pids-limit': '20' }), v1(), FLAGS);
  assert.deepEqual(writes(plan), [
    ['memory.limit_in_bytes', '104857600', MEM],
    ['memory.soft_limit_in_bytes', '52428800', MEM],
    ['cpu.shares', '512', CPU],
    ['cpu.cfs_period_us', '200000', CPU],
    ['cpu.cfs_quota_us', '50000', CPU],
    ['pids.max', '20', PIDS],
  ]);
  assert.deepEqual(plan.inputs, ['--memory', '--memory-reservation', '--cpu-share', '--cpu-period', '--cpu-quota', '--pids-limit']);
  assert.ok(plan.actions.every((a) => a.op === 'cgroup.write' && a.stage === 'host'));
  assert.deepEqual(plan.actions.map((a) => a.why), ['/linux/resources/memory/limit', '/linux/resources/memory/reservation', '/linux/resources/cpu/shares', '/linux/resources/cpu/period', '/linux/resources/cpu/quota', '/linux/resources/pids/limit']);
  assert.deepEqual(plan.notes, []);
});

test('zero and empty mean "leave as it is" (runc); -1 means unlimited', () => {
  const none = planUpdate(undefined, resourcesFromFlags({ memory: '0', 'cpu-quota': '0', 'pids-limit': '0', 'cpuset-cpus': '', 'blkio-weight': '0' }), v1(), FLAGS);
  assert.deepEqual(writes(none), []);
  const unlimited = planUpdate(undefined, resourcesFromFlags({ 'pids-limit': '-1', 'cpu-quota': '-1' }), v1(), FLAGS);
  assert.deepEqual(writes(unlimited), [['cpu.cfs_quota_us', '-1', CPU], ['pids.max', 'max', PIDS]]);
});

test('v1 memory and swap: swap first when it rises above the limit in force; unlimited memory takes swap along', () => {
  // Limit in force 100M, new swap 400M > 100M: memsw first, or the kernel refuses the new limit.
  const up = planUpdate(undefined, resourcesFromFlags({ memory: '200M', 'memory-swap': '400M' }), v1({ memoryLimit: 104857600n }), FLAGS);
  assert.deepEqual(writes(up), [['memory.memsw.limit_in_bytes', '419430400', MEM], ['memory.limit_in_bytes', '209715200', MEM]]);
  // Limit in force 1G, new swap 400M: the memory limit must come down first.
  const down = planUpdate(undefined, resourcesFromFlags({ memory: '200M', 'memory-swap': '400M' }), v1({ memoryLimit: 1073741824n }), FLAGS);
  assert.deepEqual(writes(down), [['memory.limit_in_bytes', '209715200', MEM], ['memory.memsw.limit_in_bytes', '419430400', MEM]]);
  const unlimited = planUpdate(undefined, resourcesFromFlags({ memory: '-1' }), v1({ memoryLimit: 104857600n }), FLAGS);
  assert.deepEqual(writes(unlimited), [['memory.memsw.limit_in_bytes', '-1', MEM], ['memory.limit_in_bytes', '-1', MEM]]);
  // Without swap accounting there is no memsw file, and nothing to take along.
  const noSwap = v1();
  noSwap.files[MEM] = ['memory.limit_in_bytes'];
  assert.deepEqual(writes(planUpdate(undefined, resourcesFromFlags({ memory: '-1' }), noSwap, FLAGS)), [['memory.limit_in_bytes', '-1', MEM]]);
});

test('blkio weight goes to BFQ\'s file where CFQ\'s is missing (as runc); a weight no file takes is an error naming the flag', () => {
  assert.deepEqual(writes(planUpdate(undefined, resourcesFromFlags({ 'blkio-weight': '300' }), v1(), FLAGS)), [['blkio.bfq.weight', '300', BLKIO]]);
  const cfq = v1();
  cfq.files[BLKIO] = ['blkio.weight', 'blkio.bfq.weight'];
  assert.deepEqual(writes(planUpdate(undefined, resourcesFromFlags({ 'blkio-weight': '300' }), cfq, FLAGS)), [['blkio.weight', '300', BLKIO]]);
  const neither = v1();
  neither.files[BLKIO] = ['blkio.throttle.read_bps_device'];
  const e = errorOf(() => planUpdate(undefined, resourcesFromFlags({ 'blkio-weight': '300' }), neither, FLAGS));
  assert.equal(e.code, 'unsupported');
  assert.equal(e.message, "--blkio-weight: this host's blkio cgroup has no blkio.weight; nothing changed");
});

test('a controller the container has no cgroup for is an error naming the flag, before anything is written', () => {
  const e = errorOf(() => planUpdate(undefined, resourcesFromFlags({ memory: '100M', 'cpuset-cpus': '0' }), v1(), FLAGS));
  assert.equal(e.message, '--cpuset-cpus: the container has no cpuset cgroup to change on this host; nothing changed');
  const withCpuset = v1();
  withCpuset.dirs.cpuset = '/sys/fs/cgroup/cpuset/planc/c1';
  withCpuset.files['/sys/fs/cgroup/cpuset/planc/c1'] = ['cpuset.cpus', 'cpuset.mems'];
  assert.deepEqual(writes(planUpdate(undefined, resourcesFromFlags({ 'cpuset-cpus': '0-1', 'cpuset-mems': '0' }), withCpuset, FLAGS)), [
    ['cpuset.cpus', '0-1', '/sys/fs/cgroup/cpuset/planc/c1'],
    ['cpuset.mems', '0', '/sys/fs/cgroup/cpuset/planc/c1'],
  ]);
  const noRt = v1();
  noRt.files[CPU] = ['cpu.shares', 'cpu.cfs_period_us', 'cpu.cfs_quota_us'];
  assert.equal(errorOf(() => planUpdate(undefined, resourcesFromFlags({ 'cpu-rt-runtime': '1000' }), noRt, FLAGS)).message, "--cpu-rt-runtime: this host's cpu cgroup has no cpu.rt_runtime_us; nothing changed");
});

test('what update does not change (as runc) becomes a note, never a write', () => {
  const plan = planUpdate(undefined, resourcesFromFlags({ 'kernel-memory': '1g', 'kernel-memory-tcp': '1m', 'pids-limit': '5' }), v1(), FLAGS);
  assert.deepEqual(writes(plan), [['pids.max', '5', PIDS]]);
  assert.deepEqual(plan.notes, [
    '--kernel-memory: not changed by update (as with runc); it keeps its value from create',
    '--kernel-memory-tcp: not changed by update (as with runc); it keeps its value from create',
  ]);
  // A whole LinuxResources, as containerd's CRI sends it: devices and the rest stay as created.
  const full = planUpdate(undefined, { devices: [{ allow: false, access: 'rwm' }], memory: { limit: 104857600, swappiness: 10 }, blockIO: { weight: 0, throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1000 }] }, pids: { limit: 0 } }, v1(), FILE);
  assert.deepEqual(writes(full), [['memory.limit_in_bytes', '104857600', MEM]]);
  assert.deepEqual(full.notes, [
    'r.json: /memory/swappiness: not changed by update (as with runc); it keeps its value from create',
    'r.json: /blockIO/throttleReadBpsDevice: not changed by update (as with runc); it keeps its value from create',
    'r.json: /devices: not changed by update (as with runc); it keeps its value from create',
  ]);
});

test('a resources file: unknown names are refused (runc would drop a misspelling silently); errors point into the file', () => {
  assert.equal(errorOf(() => planUpdate(undefined, { memroy: { limit: 1 } } as Resources, v1(), FILE)).message, 'r.json: /memroy: unknown resource (runtime-spec LinuxResources has devices, memory, cpu, pids, blockIO, hugepageLimits, network, rdma, unified)');
  assert.equal(errorOf(() => planUpdate(undefined, { memory: { limt: 1 } } as Resources, v1(), FILE)).message, 'r.json: /memory/limt: unknown field of memory');
  assert.equal(errorOf(() => planUpdate(undefined, { memory: 5 } as unknown as Resources, v1(), FILE)).message, 'r.json: /memory: must be an object');
  assert.equal(errorOf(() => planUpdate(undefined, { unified: { 'memory.high': '1G' } }, v1(), FILE)).message, 'r.json: /unified: unified (cgroup v2) resources need a cgroup v2 host; this plan is for cgroup v1');
  assert.deepEqual(writes(planUpdate(undefined, { pids: { limit: 30 } }, v1(), FILE)), [['pids.max', '30', PIDS]]);
});

test('the merged resources: the current ones with the update on top, section by section', () => {
  const current: Resources = { devices: [{ allow: false, access: 'rwm' }], memory: { limit: 104857600, swap: 209715200 }, cpu: { shares: 1024 } };
  const plan = planUpdate(current, resourcesFromFlags({ memory: '200M', 'pids-limit': '10', 'cpu-quota': '0' }), v1(), FLAGS);
  assert.deepEqual(plan.resources, { devices: [{ allow: false, access: 'rwm' }], memory: { limit: 209715200, swap: 209715200 }, cpu: { shares: 1024 }, pids: { limit: 10 } });
  assert.deepEqual(mergeResources(undefined, { unified: { 'memory.high': '1' } }), { unified: { 'memory.high': '1' } });
  assert.deepEqual(mergeResources({ unified: { 'memory.high': '1' } }, { unified: { 'pids.max': '5' } }), { unified: { 'memory.high': '1', 'pids.max': '5' } });
});

test('v2: cpu.max carries quota and period together, the missing half from what is in force', () => {
  const live = v2(['cpu.max', 'cpu.weight', 'memory.max', 'memory.swap.max', 'memory.low', 'pids.max', 'cgroup.freeze']);
  assert.deepEqual(writes(planUpdate({ cpu: { period: 200000 } }, resourcesFromFlags({ 'cpu-quota': '50000' }), live, FLAGS)), [['cpu.max', '50000 200000', V2DIR]]);
  assert.deepEqual(writes(planUpdate({ cpu: { quota: 50000 } }, resourcesFromFlags({ 'cpu-period': '250000' }), live, FLAGS)), [['cpu.max', '50000 250000', V2DIR]]);
  assert.deepEqual(writes(planUpdate(undefined, resourcesFromFlags({ 'cpu-quota': '-1' }), live, FLAGS)), [['cpu.max', 'max 100000', V2DIR]]);
  // cpu.weight from shares: 2 → 1, 1024 → 39, 262144 → 10000 (runc's conversion).
  // The default maps to the default (runc's current conversion, docs/cgroups.md): 1024 → 100.
  assert.deepEqual(writes(planUpdate(undefined, resourcesFromFlags({ 'cpu-share': '1024' }), live, FLAGS)), [['cpu.weight', '100', V2DIR]]);
  // memory.swap.max is swap alone: total 300M with a 100M limit in force is 200M of swap.
  assert.deepEqual(writes(planUpdate({ memory: { limit: 104857600 } }, resourcesFromFlags({ 'memory-swap': '300M' }), live, FLAGS)), [
    ['memory.max', '104857600', V2DIR],
    ['memory.swap.max', '209715200', V2DIR],
  ]);
  assert.equal(errorOf(() => planUpdate(undefined, resourcesFromFlags({ 'memory-swap': '300M' }), live, FLAGS)).message, '--memory-swap: a swap limit needs a memory limit on cgroup v2 (memory.swap.max counts swap alone); give the memory limit too');
  assert.deepEqual(writes(planUpdate(undefined, resourcesFromFlags({ memory: '-1' }), live, FLAGS)), [['memory.max', 'max', V2DIR], ['memory.swap.max', 'max', V2DIR]]);
  assert.deepEqual(writes(planUpdate(undefined, { unified: { 'pids.max': '7' } }, live, FILE)), [['pids.max', '7', V2DIR]]);
});

test('v2: a controller not enabled for the cgroup, or a v1-only resource, is an error naming the flag', () => {
  const bare = v2(['cgroup.freeze', 'cgroup.procs', 'cpu.stat']); // a cgroup2 mount without memory/pids/cpu controllers
  assert.equal(errorOf(() => planUpdate(undefined, resourcesFromFlags({ memory: '1g' }), bare, FLAGS)).message, "--memory: the memory controller is not enabled for the container's cgroup (no memory.max); nothing changed");
  assert.equal(errorOf(() => planUpdate(undefined, resourcesFromFlags({ 'pids-limit': '5' }), bare, FLAGS)).message, "--pids-limit: the pids controller is not enabled for the container's cgroup (no pids.max); nothing changed");
  const full = v2(['cpu.max', 'cpu.weight', 'memory.max', 'pids.max']);
  assert.equal(errorOf(() => planUpdate(undefined, resourcesFromFlags({ 'cpu-rt-runtime': '5' }), full, FLAGS)).message, '--cpu-rt-runtime: cgroup v2 has no realtime group scheduling (cpu.rt_* are cgroup v1 files)');
  // The blkio weight converts to io.weight (docs/cgroups.md), which needs the io controller.
  assert.equal(errorOf(() => planUpdate(undefined, resourcesFromFlags({ 'blkio-weight': '100' }), full, FLAGS)).message, "--blkio-weight: the io controller is not enabled for the container's cgroup (no io.weight); nothing changed");
});

test('update --dry-run prints each write with the input it came from, then the notes', () => {
  const plan = planUpdate(undefined, resourcesFromFlags({ memory: '100M', 'pids-limit': '20', 'kernel-memory': '1g' }), v1(), FLAGS);
  assert.deepEqual(explainUpdate(plan), [
    `0 host   set memory.limit_in_bytes = 104857600 in ${MEM}  ← --memory`,
    `1 host   set pids.max = 20 in ${PIDS}  ← --pids-limit`,
    'note: --kernel-memory: not changed by update (as with runc); it keeps its value from create',
  ]);
});

test('stringifyJson writes 64-bit integers exactly, and parseJson reads them back exactly', () => {
  const v = { limit: 9223372036854771712n, max: 18446744073709551615n, small: 5, neg: -1n, list: [1n, undefined, 'x'], skip: undefined, s: 'a"b' };
  const text = stringifyJson(v);
  assert.equal(text, '{"limit":9223372036854771712,"max":18446744073709551615,"small":5,"neg":-1,"list":[1,null,"x"],"s":"a\\"b"}');
  assert.deepEqual(parseJson(text), { limit: 9223372036854771712n, max: 18446744073709551615n, small: 5, neg: -1, list: [1, null, 'x'], s: 'a"b' });
});
