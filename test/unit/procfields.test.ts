// Planner unit tests for the fields planned since issue 10 that are neither cgroup resources,
// seccomp nor hooks: recursive mount attributes, tmpcopyup, id-mapped mounts, time namespaces,
// the scheduler, I/O priority, memory policy, personality, execCPUAffinity and netDevices.
// Config in, actions out: every expected value is a literal from runtime-spec or the kernel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseJson, type Json } from '../../planner/json.js';
import { planCreate } from '../../planner/plan.js';
import { explainLines } from '../../planner/explain.js';
import { defaultHostFacts } from '../../planner/host-facts.js';
import { diffLines, diffPlans } from '../../planner/diff.js';
import { features } from '../../planner/features.js';
import { PlancError } from '../../schemas/error.js';
import validatePlan from '../../schemas/generated/validate-plan.js';
import type { Action, Plan } from '../../schemas/generated/plan.js';
import type { HostFacts } from '../../schemas/generated/hostfacts.js';

const base = (): any => parseJson(readFileSync(new URL('./fixtures/default.json', import.meta.url), 'utf8'));
const facts = (over: Partial<HostFacts> = {}): HostFacts => ({ ...defaultHostFacts('box', '/bundles/box', '/run/planc'), ...over });
function plan(fn: (c: any) => void, over: Partial<HostFacts> = {}): Plan {
  const c = base();
  fn(c);
  const p = planCreate(c as Json, facts(over));
  assert.ok(validatePlan(JSON.parse(JSON.stringify(p))), `plan schema: ${JSON.stringify(validatePlan.errors?.slice(0, 2))}`);
  return p;
}
const ops = (p: Plan, ...names: Action['op'][]) => p.actions.filter((a) => names.includes(a.op));
function refused(fn: (c: any) => void, over: Partial<HostFacts> = {}): PlancError {
  try {
    plan(fn, over);
  } catch (e) {
    assert.ok(e instanceof PlancError, `expected a PlancError, got ${e}`);
    return e;
  }
  assert.fail('planning should have failed');
}
const DEFAULT_MOUNTS = 7; // mounts in fixtures/default.json: a mount pushed by a test is /mounts/7
const userns = (c: any) => {
  c.linux.namespaces.push({ type: 'user' });
  c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
};

// ---- recursive mount attributes ------------------------------------------------------------

test('rro, rnosuid, rnoatime: one mount_setattr(AT_RECURSIVE) after the bind, its remount and propagation', () => {
  const p = plan((c) => c.mounts.push({ destination: '/data', type: 'bind', source: 'data', options: ['rbind', 'nosuid', 'rro', 'rnosuid', 'rnoatime', 'rslave'] }));
  const at = p.actions.findIndex((a) => a.op === 'mount' && a.target === '/data');
  assert.deepEqual(p.actions.slice(at, at + 4), [
    { stage: 'init', op: 'mount', why: '/mounts/7', source: '/bundles/box/data', target: '/data', fstype: '', flags: ['bind', 'rec'], data: '', create: 'auto' },
    { stage: 'init', op: 'mount.remount', why: '/mounts/7', target: '/data', flags: ['bind', 'nosuid'] },
    { stage: 'init', op: 'mount.propagation', why: '/mounts/7', target: '/data', propagation: 'rslave' },
    { stage: 'init', op: 'mount.setattr', why: '/mounts/7', target: '/data', set: ['ro', 'nosuid'], clear: [], atime: 'noatime' },
  ]);
  assert.match(explainLines(p).find((l) => l.includes('every mount below'))!, /make \/data and every mount below it read-only, nosuid, noatime {2}← \/mounts\/7$/);
});

test('recursive options: the later of a pair wins; clearing an access-time mode leaves relatime (as runc)', () => {
  const setattr = (options: string[]) => {
    const p = plan((c) => c.mounts.push({ destination: '/t', type: 'tmpfs', source: 'tmpfs', options }));
    const [a] = ops(p, 'mount.setattr');
    assert.ok(a && a.op === 'mount.setattr');
    return { set: a.set, clear: a.clear, atime: a.atime };
  };
  assert.deepEqual(setattr(['rro', 'rrw']), { set: [], clear: ['ro'], atime: undefined });
  assert.deepEqual(setattr(['rrw', 'rro', 'rnodev', 'rexec', 'rnosymfollow']), { set: ['ro', 'nodev', 'nosymfollow'], clear: ['noexec'], atime: undefined });
  assert.deepEqual(setattr(['rnoatime', 'rstrictatime']), { set: [], clear: [], atime: 'strictatime' });
  assert.deepEqual(setattr(['rnoatime', 'ratime']), { set: [], clear: [], atime: 'relatime' });
  assert.deepEqual(setattr(['rstrictatime', 'ratime']), { set: [], clear: [], atime: 'strictatime' }, 'ratime undoes noatime only');
  assert.deepEqual(setattr(['rnostrictatime']), { set: [], clear: [], atime: 'relatime' });
  assert.deepEqual(setattr(['rdiratime', 'rsuid']), { set: [], clear: ['nosuid', 'nodiratime'], atime: undefined });
  assert.equal(ops(plan((c) => c.mounts.push({ destination: '/t', type: 'tmpfs', source: 'tmpfs', options: ['ro', 'nosuid'] })), 'mount.setattr').length, 0);
});

test('a recursive option on the cgroup mount covers every hierarchy: one action on /sys/fs/cgroup, last', () => {
  const p = plan((c) => (c.mounts.find((m: any) => m.type === 'cgroup').options = ['nosuid', 'rro']));
  const mine = p.actions.filter((a) => a.why === '/mounts/6');
  assert.deepEqual(mine.at(-1), { stage: 'init', op: 'mount.setattr', why: '/mounts/6', target: '/sys/fs/cgroup', set: ['ro'], clear: [] });
  assert.equal(ops(p, 'mount.setattr').length, 1);
});

// ---- tmpcopyup ------------------------------------------------------------------------------

test('tmpcopyup: the tmpfs mount carries copyUp; only for a tmpfs that is not mounted read-only', () => {
  const p = plan((c) => c.mounts.push({ destination: '/etc/skel', type: 'tmpfs', source: 'tmpfs', options: ['tmpcopyup', 'mode=755'] }));
  assert.deepEqual(ops(p, 'mount').at(-1), { stage: 'init', op: 'mount', why: '/mounts/7', source: 'tmpfs', target: '/etc/skel', fstype: 'tmpfs', flags: [], data: 'mode=755', create: 'dir', copyUp: true });
  assert.ok(explainLines(p).some((l) => l.includes('mount tmpfs on /etc/skel (mode=755), filled with a copy of what it covers')));
  const bind = refused((c) => c.mounts.push({ destination: '/x', type: 'bind', source: '/x', options: ['bind', 'tmpcopyup'] }));
  assert.deepEqual([bind.where, bind.message], ['/mounts/7/options/1', 'tmpcopyup fills a new tmpfs, and this mount is "bind"']);
  const ro = refused((c) => c.mounts.push({ destination: '/x', type: 'tmpfs', source: 'tmpfs', options: ['ro', 'tmpcopyup'] }));
  assert.equal(ro.where, '/mounts/7/options/1');
  assert.match(ro.message, /read-only from the start/);
});

// ---- id-mapped mounts -----------------------------------------------------------------------

test('id-mapped bind mount: the copy is made in the host stage before the clone, attached in the init', () => {
  const p = plan((c) => c.mounts.push({
    destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind', 'ridmap', 'ro'],
    uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }], gidMappings: [{ containerID: 0, hostID: 200000, size: 1000 }],
  }));
  const made = p.actions.findIndex((a) => a.op === 'mount.idmap');
  assert.deepEqual(p.actions[made], {
    stage: 'host', op: 'mount.idmap', why: '/mounts/7', source: '/srv/data', recursive: true, idmapRecursive: true,
    uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }], gidMappings: [{ containerID: 0, hostID: 200000, size: 1000 }],
  });
  assert.equal(p.actions[made + 1]!.op, 'clone', 'made right before the clone, after the cgroups and the fifo');
  const at = p.actions.findIndex((a) => a.op === 'mount.attach');
  assert.deepEqual(p.actions.slice(at, at + 2), [
    { stage: 'init', op: 'mount.attach', why: '/mounts/7', detached: made, target: '/data', create: 'auto' },
    { stage: 'init', op: 'mount.remount', why: '/mounts/7', target: '/data', flags: ['bind', 'ro'] },
  ]);
  assert.equal(ops(p, 'mount').filter((a) => a.op === 'mount' && a.target === '/data').length, 0, 'no plain bind of the source');
  const lines = explainLines(p);
  assert.ok(lines.some((l) => l.includes('make an id-mapped copy of /srv/data and the mounts below it for the container: uids 0→100000 (65536), gids 0→200000 (1000), mounts below mapped too')));
  assert.ok(lines.some((l) => l.includes(`attach the id-mapped copy made by action ${made} onto /data`)));
});

test('idmap without mappings on the mount takes the user namespace\'s; mappings without the option are a plain idmap', () => {
  const p = plan((c) => {
    userns(c);
    c.mounts.push({ destination: '/data', type: 'bind', source: '/srv', options: ['bind', 'idmap'] });
  });
  const [a] = ops(p, 'mount.idmap');
  assert.deepEqual(a, { stage: 'host', op: 'mount.idmap', why: '/mounts/7', source: '/srv', recursive: false, idmapRecursive: false, uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }], gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }] });
  const q = plan((c) => c.mounts.push({ destination: '/d', type: 'bind', source: '/srv', options: ['bind'], uidMappings: [{ containerID: 0, hostID: 5, size: 1 }], gidMappings: [{ containerID: 0, hostID: 6, size: 1 }] }));
  const [b] = ops(q, 'mount.idmap');
  assert.ok(b && b.op === 'mount.idmap' && !b.idmapRecursive && !b.recursive);
});

test('id-mapped mounts refused with what and where', () => {
  const maps = { uidMappings: [{ containerID: 0, hostID: 1000, size: 10 }], gidMappings: [{ containerID: 0, hostID: 1000, size: 10 }] };
  const cases: [string, (c: any) => void, string, RegExp, Partial<HostFacts>?][] = [
    ['idmap without mappings or user namespace', (c) => c.mounts.push({ destination: '/d', type: 'bind', source: '/s', options: ['bind', 'idmap'] }), '/mounts/7/options/1', /needs a user namespace whose mappings it can use/],
    ['only uidMappings', (c) => c.mounts.push({ destination: '/d', type: 'bind', source: '/s', options: ['rbind', 'ridmap'], uidMappings: maps.uidMappings }), '/mounts/7/gidMappings', /both uidMappings and gidMappings/],
    ['an empty gidMappings', (c) => c.mounts.push({ destination: '/d', type: 'bind', source: '/s', options: ['bind'], ...maps, gidMappings: [] }), '/mounts/7/gidMappings', /both uidMappings and gidMappings/],
    ['not a bind mount', (c) => c.mounts.push({ destination: '/d', type: 'tmpfs', source: 'tmpfs', options: ['idmap'], ...maps }), '/mounts/7/options/0', /only bind mounts can be id-mapped by planc, not "tmpfs"/],
    ['overlapping ranges', (c) => c.mounts.push({ destination: '/d', type: 'bind', source: '/s', options: ['bind'], ...maps, uidMappings: [{ containerID: 0, hostID: 1000, size: 10 }, { containerID: 5, hostID: 2000, size: 10 }] }), '/mounts/7/uidMappings/1', /containerID range 5-14 overlaps \/mounts\/7\/uidMappings\/0/],
    ['rootless', (c) => c.mounts.push({ destination: '/d', type: 'bind', source: '/s', options: ['bind', 'idmap'], ...maps }), '/mounts/7/options/1', /rootless runtime/, { rootless: true }],
  ];
  for (const [name, fn, where, message, over] of cases) {
    const e = refused(fn, over);
    assert.equal(e.where, where, name);
    assert.match(e.message, message, name);
  }
});

// ---- time namespaces ------------------------------------------------------------------------

test('time namespace: not a clone flag; the init creates it with the offsets, right after the cgroup namespace', () => {
  const p = plan((c) => {
    c.linux.namespaces.push({ type: 'time' });
    c.linux.timeOffsets = { boottime: { secs: -1, nanosecs: 500000000 }, monotonic: { secs: 86400 } };
  });
  const [clone] = ops(p, 'clone');
  assert.deepEqual(clone && clone.op === 'clone' && clone.namespaces, ['pid', 'network', 'mount', 'ipc', 'uts']);
  assert.ok(p.namespaces.some((n) => n.type === 'time'));
  const at = p.actions.findIndex((a) => a.op === 'timens.create');
  assert.deepEqual(p.actions[at - 1], { stage: 'init', op: 'ns.unshare', why: '/linux/namespaces', ns: 'cgroup' });
  assert.deepEqual(p.actions[at], { stage: 'init', op: 'timens.create', why: '/linux/timeOffsets', offsets: [{ clock: 'monotonic', secs: '86400', nanosecs: 0 }, { clock: 'boottime', secs: '-1', nanosecs: 500000000 }] });
  assert.ok(explainLines(p).some((l) => l.includes('enter a new time namespace with clocks offset: monotonic +86400s, boottime -1s 500000000ns')));
  const plain = plan((c) => c.linux.namespaces.push({ type: 'time' }));
  assert.deepEqual(ops(plain, 'timens.create'), [{ stage: 'init', op: 'timens.create', why: '/linux/namespaces/6', offsets: [] }]);
});

test('time offsets: refused without a new time namespace, and beyond the kernel\'s range (KTIME_SEC_MAX)', () => {
  const e1 = refused((c) => (c.linux.timeOffsets = { monotonic: { secs: 1 } }));
  assert.deepEqual([e1.where, e1.message], ['/linux/timeOffsets', 'timeOffsets need a new time namespace']);
  const e2 = refused((c) => {
    c.linux.namespaces.push({ type: 'time', path: '/proc/1/ns/time' });
    c.linux.timeOffsets = { monotonic: { secs: 1 } };
  });
  assert.equal(e2.where, '/linux/timeOffsets', 'a joined time namespace has its offsets already');
  const e3 = refused((c) => {
    c.linux.namespaces.push({ type: 'time' });
    c.linux.timeOffsets = { boottime: { secs: -9223372037 } };
  });
  assert.deepEqual([e3.where, e3.message], ['/linux/timeOffsets/boottime/secs', '-9223372037 s is out of range: the kernel takes offsets from -9223372036 to 9223372036 s']);
  // The largest the kernel could take is kept exactly.
  const p = plan((c) => {
    c.linux.namespaces.push({ type: 'time' });
    c.linux.timeOffsets = { monotonic: { secs: 9223372036 } };
  });
  assert.deepEqual(ops(p, 'timens.create').map((a) => a.op === 'timens.create' && a.offsets), [[{ clock: 'monotonic', secs: '9223372036', nanosecs: 0 }]]);
});

// ---- scheduler ------------------------------------------------------------------------------

test('scheduler: sched.setattr before the user switch, after the rlimits, with the spec\'s defaults', () => {
  const p = plan((c) => (c.process.scheduler = { policy: 'SCHED_BATCH', nice: 5, flags: ['SCHED_FLAG_RESET_ON_FORK'] }));
  const at = p.actions.findIndex((a) => a.op === 'sched.setattr');
  assert.deepEqual(p.actions[at], { stage: 'init', op: 'sched.setattr', why: '/process/scheduler', policy: 'SCHED_BATCH', nice: 5, priority: 0, flags: ['SCHED_FLAG_RESET_ON_FORK'], runtime: '0', deadline: '0', period: '0' });
  assert.equal(p.actions[at - 1]!.op, 'rlimit');
  assert.equal(p.actions[at + 1]!.op, 'caps.bounding');
  assert.ok(explainLines(p).some((l) => l.includes('schedule with SCHED_BATCH, nice 5 [reset-on-fork]')));
  const dl = plan((c) => (c.process.scheduler = { policy: 'SCHED_DEADLINE', runtime: 1000000, deadline: 10000000, period: 20000000 }));
  assert.deepEqual(ops(dl, 'sched.setattr')[0], { stage: 'init', op: 'sched.setattr', why: '/process/scheduler', policy: 'SCHED_DEADLINE', nice: 0, priority: 0, flags: [], runtime: '1000000', deadline: '10000000', period: '20000000' });
  assert.ok(explainLines(dl).some((l) => l.includes('schedule with SCHED_DEADLINE, runtime 1000000 ns in every 20000000 ns, deadline 10000000 ns')));
  const rr = plan((c) => (c.process.scheduler = { policy: 'SCHED_RR', priority: 99 }));
  assert.ok(explainLines(rr).some((l) => l.includes('schedule with SCHED_RR, priority 99')));
});

test('scheduler: what every kernel refuses is refused at plan time, with the field', () => {
  const cases: [object, string, RegExp][] = [
    [{ policy: 'SCHED_ISO' }, '/process/scheduler/policy', /SCHED_ISO is not a Linux scheduling policy/],
    [{ policy: 'SCHED_FIFO' }, '/process/scheduler/priority', /^SCHED_FIFO takes a priority from 1 to 99, got 0$/],
    [{ policy: 'SCHED_RR', priority: 100 }, '/process/scheduler/priority', /^SCHED_RR takes a priority from 1 to 99, got 100$/],
    [{ policy: 'SCHED_OTHER', priority: 3 }, '/process/scheduler/priority', /^priority is for SCHED_FIFO and SCHED_RR; SCHED_OTHER takes 0, got 3$/],
    [{ policy: 'SCHED_DEADLINE', runtime: 1000 }, '/process/scheduler/deadline', /needs a deadline/],
    [{ policy: 'SCHED_DEADLINE', runtime: 1023, deadline: 2000 }, '/process/scheduler/runtime', /below the kernel's smallest, 1024 ns/],
    [{ policy: 'SCHED_DEADLINE', runtime: 5000, deadline: 2000 }, '/process/scheduler/runtime', /runtime <= deadline, got 5000 > 2000/],
    [{ policy: 'SCHED_DEADLINE', runtime: 2000, deadline: 5000, period: 4000 }, '/process/scheduler/period', /deadline <= period, got 5000 > 4000/],
    [{ policy: 'SCHED_DEADLINE', runtime: 2000, deadline: 9223372036854775808n, period: 0 }, '/process/scheduler/deadline', /below 2\^63 ns/],
  ];
  for (const [s, where, message] of cases) {
    const e = refused((c) => (c.process.scheduler = s));
    assert.equal(e.where, where, JSON.stringify(s, (_k, v) => (typeof v === 'bigint' ? String(v) : v)));
    assert.match(e.message, message);
  }
});

// ---- ioPriority, memoryPolicy, personality --------------------------------------------------

test('ioPriority: ioprio.set with class and level', () => {
  const p = plan((c) => (c.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 6 }));
  assert.deepEqual(ops(p, 'ioprio.set'), [{ stage: 'init', op: 'ioprio.set', why: '/process/ioPriority', class: 'IOPRIO_CLASS_BE', priority: 6 }]);
  assert.ok(explainLines(p).some((l) => l.includes('set the I/O priority: best-effort, level 6 (0 highest, 7 lowest)')));
});

test('memoryPolicy: the node list becomes node numbers; modes that take no nodes, or need some, are checked', () => {
  const p = plan((c) => (c.linux.memoryPolicy = { mode: 'MPOL_INTERLEAVE', nodes: '3,0-2,7', flags: ['MPOL_F_STATIC_NODES'] }));
  assert.deepEqual(ops(p, 'mempolicy.set'), [{ stage: 'init', op: 'mempolicy.set', why: '/linux/memoryPolicy', mode: 'MPOL_INTERLEAVE', nodes: [0, 1, 2, 3, 7], flags: ['MPOL_F_STATIC_NODES'] }]);
  assert.ok(explainLines(p).some((l) => l.includes('set the NUMA memory policy MPOL_INTERLEAVE on nodes 0-3,7 [MPOL_F_STATIC_NODES]')));
  assert.deepEqual(ops(plan((c) => (c.linux.memoryPolicy = { mode: 'MPOL_LOCAL' })), 'mempolicy.set').map((a) => a.op === 'mempolicy.set' && a.nodes), [[]]);
  const cases: [object, string, RegExp][] = [
    [{ mode: 'MPOL_DEFAULT', nodes: '0' }, '/linux/memoryPolicy/nodes', /^MPOL_DEFAULT takes no nodes, got "0"$/],
    [{ mode: 'MPOL_BIND' }, '/linux/memoryPolicy/nodes', /^MPOL_BIND needs at least one node$/],
    [{ mode: 'MPOL_BIND', nodes: '0-' }, '/linux/memoryPolicy/nodes', /is not a list of nodes/],
    [{ mode: 'MPOL_BIND', nodes: '3-1' }, '/linux/memoryPolicy/nodes', /the range 3-1 runs backwards/],
    [{ mode: 'MPOL_BIND', nodes: '1024' }, '/linux/memoryPolicy/nodes', /node 1024 is out of range: at most 1023/],
    [{ mode: 'MPOL_BIND', nodes: '0', flags: ['MPOL_F_STATIC_NODES', 'MPOL_F_RELATIVE_NODES'] }, '/linux/memoryPolicy/flags', /exclude each other/],
    [{ mode: 'MPOL_PREFERRED', flags: ['MPOL_F_RELATIVE_NODES'] }, '/linux/memoryPolicy/flags', /MPOL_F_RELATIVE_NODES says how to read a node mask/],
    [{ mode: 'MPOL_INTERLEAVE', nodes: '0', flags: ['MPOL_F_NUMA_BALANCING'] }, '/linux/memoryPolicy/flags', /MPOL_F_NUMA_BALANCING goes with MPOL_BIND or MPOL_PREFERRED_MANY/],
  ];
  for (const [mp, where, message] of cases) {
    const e = refused((c) => (c.linux.memoryPolicy = mp));
    assert.equal(e.where, where, JSON.stringify(mp));
    assert.match(e.message, message, JSON.stringify(mp));
  }
});

test('personality: personality.set with the domain; flags (runtime-spec defines none) are refused', () => {
  const p = plan((c) => (c.linux.personality = { domain: 'LINUX32' }));
  assert.deepEqual(ops(p, 'personality.set'), [{ stage: 'init', op: 'personality.set', why: '/linux/personality', domain: 'LINUX32' }]);
  assert.ok(explainLines(p).some((l) => l.includes('run in the LINUX32 execution domain (uname reports a 32-bit machine)')));
  const e = refused((c) => (c.linux.personality = { domain: 'LINUX', flags: ['ADDR_NO_RANDOMIZE'] }));
  assert.deepEqual([e.where, e.message], ['/linux/personality/flags/0', 'personality flag "ADDR_NO_RANDOMIZE": runtime-spec defines no personality flags']);
});

test('the process attributes come in one block: scheduler, I/O priority, memory policy, personality', () => {
  const p = plan((c) => {
    c.process.scheduler = { policy: 'SCHED_IDLE' };
    c.process.ioPriority = { class: 'IOPRIO_CLASS_IDLE', priority: 0 };
    c.linux.memoryPolicy = { mode: 'MPOL_PREFERRED', nodes: '0' };
    c.linux.personality = { domain: 'LINUX' };
  });
  const at = p.actions.findIndex((a) => a.op === 'sched.setattr');
  assert.deepEqual(p.actions.slice(at, at + 5).map((a) => a.op), ['sched.setattr', 'ioprio.set', 'mempolicy.set', 'personality.set', 'caps.bounding']);
});

// ---- execCPUAffinity ------------------------------------------------------------------------

test('execCPUAffinity: checked, no action (runtime-spec: not for the init), and a warning that says so', () => {
  const p = plan((c) => (c.process.execCPUAffinity = { initial: '0-3,7', final: '1' }));
  const base = plan(() => {});
  assert.deepEqual(p.actions, base.actions, 'the init is not affected');
  assert.deepEqual(p.warnings.filter((w) => w.code === 'exec-cpu-affinity'), [{
    code: 'exec-cpu-affinity', why: '/process/execCPUAffinity',
    message: 'execCPUAffinity applies to processes added to the container later, not to its init (runtime-spec); planc has no exec, so it changes nothing here',
  }]);
  const e = refused((c) => (c.process.execCPUAffinity = { final: '5-2' }));
  assert.deepEqual([e.where, e.message], ['/process/execCPUAffinity/final', 'the range 5-2 runs backwards']);
  const big = refused((c) => (c.process.execCPUAffinity = { initial: '8192' }));
  assert.deepEqual([big.where, big.message], ['/process/execCPUAffinity/initial', 'CPU 8192 is out of range: at most 8191']);
});

// ---- netDevices -----------------------------------------------------------------------------

test('netDevices: one netdev.move per device in the parent stage, sorted by host name, after the id maps', () => {
  const p = plan((c) => {
    userns(c);
    c.linux.netDevices = { eth1: { name: 'net%d' }, eth0: {} };
  });
  const moves = ops(p, 'netdev.move');
  assert.deepEqual(moves, [
    { stage: 'parent', op: 'netdev.move', why: '/linux/netDevices/eth0', device: 'eth0', name: 'eth0' },
    { stage: 'parent', op: 'netdev.move', why: '/linux/netDevices/eth1', device: 'eth1', name: 'net%d' },
  ]);
  const first = p.actions.indexOf(moves[0]!);
  assert.equal(p.actions[first - 1]!.op, 'idmap.write');
  assert.ok(explainLines(p).some((l) => l.includes('move the host network interface eth1 into the container\'s network namespace as net%d, with its permanent global addresses, and bring it up')));
});

test('netDevices: names the kernel would refuse, clashes and a shared network namespace are refused', () => {
  const cases: [(c: any) => void, string, RegExp, Partial<HostFacts>?][] = [
    [(c) => (c.linux.netDevices = { eth0: { name: 'a-very-long-name0' } }), '/linux/netDevices/eth0/name', /must be 1 to 15 bytes long/],
    [(c) => (c.linux.netDevices = { 'eth:0': {} }), '/linux/netDevices/eth:0', /contains ":"/],
    [(c) => (c.linux.netDevices = { eth0: { name: 'my eth' } }), '/linux/netDevices/eth0/name', /contains " "/],
    [(c) => (c.linux.netDevices = { eth0: { name: '..' } }), '/linux/netDevices/eth0/name', /is not a network device name/],
    [(c) => (c.linux.netDevices = { eth0: { name: 'e%d%d' } }), '/linux/netDevices/eth0/name', /a template has exactly one "%d"/],
    [(c) => (c.linux.netDevices = { 'eth%d': {} }), '/linux/netDevices/eth%d', /cannot contain "%"/],
    [(c) => (c.linux.netDevices = { eth0: { name: 'x' }, eth1: { name: 'x' } }), '/linux/netDevices/eth1', /eth1 and eth0 would both be called x/],
    [(c) => {
      c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'network');
      c.linux.netDevices = { eth0: {} };
    }, '/linux/netDevices', /needs a network namespace of the container's own/],
    [(c) => (c.linux.netDevices = { eth0: {} }), '/linux/netDevices', /rootless runtime/, { rootless: true }],
  ];
  for (const [fn, where, message, over] of cases) {
    const e = refused(fn, over);
    assert.equal(e.where, where, message.source);
    assert.match(e.message, message);
  }
});

// ---- features, diff -------------------------------------------------------------------------

test('features: idmap, netDevices, the time namespace, memory policy and the recursive options are advertised', () => {
  const f = features() as any;
  assert.deepEqual(f.linux.mountExtensions, { idmap: { enabled: true } });
  assert.deepEqual(f.linux.netDevices, { enabled: true });
  assert.ok(f.linux.namespaces.includes('time'));
  assert.deepEqual(f.linux.memoryPolicy, {
    modes: ['MPOL_DEFAULT', 'MPOL_PREFERRED', 'MPOL_BIND', 'MPOL_INTERLEAVE', 'MPOL_LOCAL', 'MPOL_PREFERRED_MANY', 'MPOL_WEIGHTED_INTERLEAVE'],
    flags: ['MPOL_F_NUMA_BALANCING', 'MPOL_F_RELATIVE_NODES', 'MPOL_F_STATIC_NODES'],
  });
  for (const o of ['rro', 'rrw', 'rnosuid', 'rsuid', 'rnodev', 'rdev', 'rnoexec', 'rexec', 'rnoatime', 'ratime', 'rnodiratime', 'rdiratime', 'rrelatime', 'rnorelatime', 'rstrictatime', 'rnostrictatime', 'rnosymfollow', 'rsymfollow', 'idmap', 'ridmap', 'tmpcopyup']) {
    assert.ok(f.mountOptions.includes(o), o);
  }
});

test('diff: a changed scheduler and a moved device show as one change each', () => {
  const a = plan((c) => {
    c.process.scheduler = { policy: 'SCHED_OTHER', nice: 0 };
    c.linux.netDevices = { eth0: {} };
  });
  const b = plan((c) => {
    c.process.scheduler = { policy: 'SCHED_OTHER', nice: 10 };
    c.linux.netDevices = { eth0: { name: 'ctr0' } };
  });
  const lines = diffLines(diffPlans(a, b));
  assert.deepEqual(lines.filter((l) => !l.includes('warning')), [
    '~ parent move the host network interface eth0 into the container\'s network namespace as ctr0, with its permanent global addresses, and bring it up  (name: "eth0" → "ctr0")  ← /linux/netDevices/eth0',
    '~ init schedule with SCHED_OTHER, nice 10  (nice: 0 → 10)  ← /process/scheduler',
  ]);
});
