// Planner unit tests: config in, plan out. No root, no kernel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { parseJson, type Json } from '../../planner/json.js';
import { planCreate } from '../../planner/plan.js';
import { encodePlan, decodePlan, digestOf, canonical } from '../../planner/encode.js';
import { explainLines, VOCABULARY } from '../../planner/explain.js';
import { defaultHostFacts } from '../../planner/host-facts.js';
import { systemdToPath } from '../../planner/cgroups.js';
import { sha256Hex } from '../../planner/sha256.js';
import { PlancError } from '../../schemas/error.js';
import validatePlan from '../../schemas/generated/validate-plan.js';
import type { Action, Plan } from '../../schemas/generated/plan.js';
import type { HostFacts } from '../../schemas/generated/hostfacts.js';

const FIXTURES = new URL('./fixtures/', import.meta.url);
const SNAPSHOTS = new URL('./snapshots/', import.meta.url);
const fixture = (name: string): Json => parseJson(readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8'));
const facts = (over: Partial<HostFacts> = {}): HostFacts => ({ ...defaultHostFacts('box', '/bundles/box', '/run/planc'), ...over });
const plan = (cfg: Json, over: Partial<HostFacts> = {}, waitForStart = true): Plan => planCreate(cfg, facts(over), { waitForStart });
const ops = (p: Plan, op: Action['op']) => p.actions.filter((a) => a.op === op);
const mutate = (name: string, fn: (c: any) => void): Json => {
  const c = fixture(name) as any;
  fn(c);
  return c;
};
function planError(cfg: Json, over: Partial<HostFacts> = {}): PlancError {
  try {
    plan(cfg, over);
  } catch (e) {
    assert.ok(e instanceof PlancError, `expected a PlancError, got ${e}`);
    return e;
  }
  assert.fail('planning should have failed');
}

test('explain snapshots of the fixture corpus (UPDATE_SNAPSHOTS=1 rewrites them)', () => {
  for (const name of ['default', 'rootless', 'privileged-like', 'runc-1.1-spec', 'procfields', 'hooks-seccomp']) {
    const p = plan(fixture(name));
    const text = explainLines(p).join('\n') + '\n';
    const file = new URL(`${name}.explain.txt`, SNAPSHOTS);
    // Snapshots are committed: a missing one is a failure, never written here unless a developer asks.
    if (process.env.UPDATE_SNAPSHOTS === '1') writeFileSync(file, text);
    assert.ok(existsSync(file), `snapshot ${name}.explain.txt is missing (it is committed; UPDATE_SNAPSHOTS=1 writes it, review the diff)`);
    assert.equal(text, readFileSync(file, 'utf8'), `explain of ${name} changed (UPDATE_SNAPSHOTS=1 rewrites it; review the diff)`);
  }
});

test('every plan of the corpus matches the plan schema', () => {
  for (const name of ['default', 'rootless', 'privileged-like', 'runc-1.1-spec', 'procfields', 'hooks-seccomp']) {
    const p = plan(fixture(name));
    assert.ok(validatePlan(JSON.parse(JSON.stringify(p))), `${name}: ${JSON.stringify(validatePlan.errors?.slice(0, 3))}`);
  }
});

test('plans are deterministic: same bytes, same digest, whatever the key order of the config', () => {
  const a = encodePlan(plan(fixture('privileged-like')));
  const b = encodePlan(plan(fixture('privileged-like')));
  assert.deepEqual(a, b);
  const shuffled = JSON.parse(JSON.stringify(fixture('default')), (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v);
  assert.equal(digestOf(encodePlan(plan(shuffled))), digestOf(encodePlan(plan(fixture('default')))));
  assert.match(digestOf(a), /^sha256:[0-9a-f]{64}$/);
});

test('the digest is the sha256 of the canonical msgpack, and the bytes decode back to the plan', () => {
  const p = plan(fixture('default'));
  const bytes = encodePlan(p);
  assert.equal(digestOf(bytes), 'sha256:' + createHash('sha256').update(bytes).digest('hex'));
  assert.deepEqual(decodePlan(bytes), canonical(p));
});

test('sha256 agrees with node:crypto at block boundaries', () => {
  for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000]) {
    const data = new Uint8Array(n).map((_, i) => (i * 7 + n) & 0xff);
    assert.equal(sha256Hex(data), createHash('sha256').update(data).digest('hex'), `length ${n}`);
  }
});

test('uint64 values keep full precision from config.json to the plan', () => {
  const p = plan(fixture('privileged-like'));
  const mem = ops(p, 'cgroup.write').find((a) => a.op === 'cgroup.write' && a.file === 'memory.limit_in_bytes');
  assert.equal(mem && 'value' in mem && mem.value, '9223372036854775807');
  const nproc = ops(p, 'rlimit').find((a) => a.op === 'rlimit' && a.resource === 'RLIMIT_NPROC');
  assert.equal(nproc && 'hard' in nproc && nproc.hard, '18446744073709551615');
});

test("runc's default spec: stages in order, namespaces, pivot, masks and exec last", () => {
  const p = plan(fixture('default'));
  const stages = p.actions.map((a) => a.stage);
  const order = ['host', 'clone', 'parent', 'init'];
  for (let i = 1; i < stages.length; i++) assert.ok(order.indexOf(stages[i]!) >= order.indexOf(stages[i - 1]!), `stage order broken at ${i}`);
  const clone = ops(p, 'clone')[0];
  assert.deepEqual(clone && 'namespaces' in clone && clone.namespaces, ['pid', 'network', 'mount', 'ipc', 'uts']);
  assert.equal(ops(p, 'ns.unshare').length, 1, 'cgroup namespace is unshared after joining the cgroup');
  assert.equal(p.actions.at(-1)!.op, 'exec');
  assert.equal(p.actions.at(-2)!.op, 'execfifo.wait');
  assert.equal(ops(p, 'rootfs.pivot').length, 1);
  assert.equal(ops(p, 'mask').length, 10);
  assert.equal(ops(p, 'readonly').length, 5);
  assert.ok(ops(p, 'mask').every((a) => a.op === 'mask' && (a.path.startsWith('/proc') ? a.expectFs === 'proc' : a.expectFs === 'sysfs')));
  const pivot = p.actions.findIndex((a) => a.op === 'rootfs.pivot');
  assert.ok(p.actions.findIndex((a) => a.op === 'mask') > pivot, 'masks are applied inside the new root');
  assert.ok(p.actions.findIndex((a) => a.op === 'execfifo.open') < pivot, 'the fifo is opened while the host path is reachable');
  assert.deepEqual(p.cgroupPaths.sort(), ['blkio', 'cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'memory', 'pids', 'systemd'].map((c) => `/sys/fs/cgroup/${c}/planc/box`));
});

test('cgroup mount without a cgroup namespace (v1): each hierarchy, cpuset included, is the container\'s own cgroup bound in', () => {
  const p = plan(mutate('default', (c) => (c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== 'cgroup'))));
  const binds = p.actions.filter((a) => a.op === 'mount' && a.target.startsWith('/sys/fs/cgroup/') && a.flags.includes('bind')).map((a) => a.op === 'mount' && [a.target, a.source]);
  assert.deepEqual(binds, ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids', 'systemd'].map((c) => [`/sys/fs/cgroup/${c}`, `/sys/fs/cgroup/${c}/planc/box`]));
});

test('run without a separate start plans no exec fifo', () => {
  const p = plan(fixture('default'), {}, false);
  assert.equal(p.actions.filter((a) => a.op.startsWith('execfifo')).length, 0);
});

test('bind mounts: relative sources resolve in the bundle, flags apply by remount, propagation after', () => {
  const p = plan(fixture('privileged-like'));
  const i = p.actions.findIndex((a) => a.op === 'mount' && a.target === '/data');
  assert.deepEqual(p.actions[i], { stage: 'init', op: 'mount', why: '/mounts/7', source: '/bundles/box/data', target: '/data', fstype: '', flags: ['bind', 'rec'], data: '', create: 'auto' });
  assert.deepEqual(p.actions[i + 1], { stage: 'init', op: 'mount.remount', why: '/mounts/7', target: '/data', flags: ['bind', 'ro', 'nosuid'] });
  assert.deepEqual(p.actions[i + 2], { stage: 'init', op: 'mount.propagation', why: '/mounts/7', target: '/data', propagation: 'rslave' });
});

test('filesystem data options pass through; mount flags do not', () => {
  const p = plan(fixture('default'));
  const dev = p.actions.find((a) => a.op === 'mount' && a.target === '/dev');
  assert.ok(dev && dev.op === 'mount');
  assert.deepEqual([dev.flags, dev.data], [['nosuid', 'strictatime'], 'mode=755,size=65536k']);
});

test('cgroup v1 resources: the right files, in a safe order, under cgroupsPath', () => {
  const p = plan(fixture('privileged-like'));
  const writes = ops(p, 'cgroup.write').map((a) => a.op === 'cgroup.write' && `${a.path}/${a.file}=${a.value}`);
  assert.ok(writes.includes('/sys/fs/cgroup/cpu/default/busy/cpu.shares=512'));
  assert.ok(writes.includes('/sys/fs/cgroup/pids/default/busy/pids.max=100'));
  assert.ok(writes.includes('/sys/fs/cgroup/devices/default/busy/devices.deny=a *:* rwm'));
  assert.ok(writes.includes('/sys/fs/cgroup/devices/default/busy/devices.allow=c 10:229 rw'));
  assert.ok(writes.indexOf('/sys/fs/cgroup/cpu/default/busy/cpu.cfs_period_us=100000') < writes.indexOf('/sys/fs/cgroup/cpu/default/busy/cpu.cfs_quota_us=50000'));
  assert.ok(writes.indexOf('/sys/fs/cgroup/devices/default/busy/devices.deny=a *:* rwm') < writes.indexOf('/sys/fs/cgroup/devices/default/busy/devices.allow=c 10:229 rw'));
});

test('cgroup v2: one directory, controllers delegated along the path, v2 units', () => {
  const p = plan(fixture('privileged-like'), { cgroup: { version: 2, root: '/sys/fs/cgroup' } });
  assert.deepEqual(p.cgroupPaths, ['/sys/fs/cgroup/default/busy']);
  const writes = ops(p, 'cgroup.write').map((a) => a.op === 'cgroup.write' && `${a.path}/${a.file}=${a.value}`);
  assert.ok(writes.includes('/sys/fs/cgroup/cgroup.subtree_control=+cpu +memory +pids'));
  assert.ok(writes.includes('/sys/fs/cgroup/default/cgroup.subtree_control=+cpu +memory +pids'));
  assert.ok(writes.includes('/sys/fs/cgroup/default/busy/cpu.max=50000 100000'));
  assert.ok(writes.includes('/sys/fs/cgroup/default/busy/memory.swap.max=max'));
  // shares 512 → weight 59 (runc's log-quadratic conversion; test/unit/cgroup-resources.test.ts has more)
  assert.ok(writes.includes('/sys/fs/cgroup/default/busy/cpu.weight=59'));
  assert.ok(p.warnings.some((w) => w.code === 'v2-devices'));
});

test('systemd cgroup paths expand slices like systemd', () => {
  assert.equal(systemdToPath('system.slice:libpod:abc', 'x'), '/system.slice/libpod-abc.scope');
  assert.equal(systemdToPath('a-b-c.slice:p:n', 'x'), '/a.slice/a-b.slice/a-b-c.slice/p-n.scope');
  assert.equal(systemdToPath(':planc:', 'id1'), '/system.slice/planc-id1.scope');
  assert.throws(() => systemdToPath('/not/systemd', 'x'), /slice:prefix:name/);
});

test('capabilities: sorted by number, an unknown one is an error (the spec, not runc), ambient needs inheritable', () => {
  const e = planError(mutate('default', (c) => c.process.capabilities.bounding.push('CAP_BOGUS')));
  assert.equal(e.where, '/process/capabilities/bounding/3');
  assert.equal(e.message, 'unknown capability "CAP_BOGUS"');
  const p = plan(mutate('default', (c) => c.process.capabilities.bounding.reverse()));
  const b = ops(p, 'caps.bounding')[0];
  assert.deepEqual(b && b.op === 'caps.bounding' && b.keep, ['CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_AUDIT_WRITE']);
  const runc = plan(fixture('runc-1.1-spec'));
  const caps = ops(runc, 'caps')[0];
  assert.deepEqual(caps && caps.op === 'caps' && caps.ambient, [], 'no inheritable set: nothing can be ambient');
  assert.equal(runc.warnings.filter((w) => w.code === 'ambient-dropped').length, 3);
  const priv = ops(plan(fixture('privileged-like')), 'caps')[0];
  assert.deepEqual(priv && priv.op === 'caps' && priv.ambient, ['CAP_CHOWN', 'CAP_NET_ADMIN', 'CAP_SYS_ADMIN']);
});

test('user namespaces: id maps in the parent stage, devices bound instead of created', () => {
  const p = plan(fixture('rootless'));
  assert.ok(ops(p, 'idmap.write').every((a) => a.stage === 'parent'));
  assert.equal(ops(p, 'mknod').length, 0);
  assert.equal(ops(p, 'device.bind').length, 6);
  const clone = ops(p, 'clone')[0];
  assert.ok(clone && clone.op === 'clone' && clone.namespaces.includes('user'));
});

const BAD: [string, (c: any) => void, RegExp, string][] = [
  ['args not an array', (c) => (c.process.args = 'sh'), /must be array/, '/process/args'],
  ['ociVersion 2', (c) => (c.ociVersion = '2.0.0'), /must match pattern/, '/ociVersion'],
  ['empty args', (c) => (c.process.args = []), /fewer than 1 items/, '/process/args'],
  ['relative cwd', (c) => (c.process.cwd = 'tmp'), /absolute/, '/process/cwd'],
  ['duplicate namespace', (c) => c.linux.namespaces.push({ type: 'pid' }), /listed twice/, '/linux/namespaces/6'],
  ['no mount namespace', (c) => (c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'mount')), /mount namespace/, '/linux/namespaces'],
  ['hostname without uts', (c) => (c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'uts')), /uts namespace/, '/hostname'],
  ['host-wide sysctl', (c) => (c.linux.sysctl = { 'kernel.panic': '1' }), /not namespaced/, '/linux/sysctl/kernel.panic'],
  ['net sysctl without netns', (c) => {
    c.linux.sysctl = { 'net.ipv4.ip_forward': '1' };
    c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'network');
  }, /network namespace/, '/linux/sysctl/net.ipv4.ip_forward'],
  ['soft rlimit above hard', (c) => (c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 10, hard: 5 }]), /above the hard/, '/process/rlimits/0'],
  ['relative mount destination', (c) => c.mounts.push({ destination: 'data', type: 'tmpfs', source: 'tmpfs' }), /absolute/, '/mounts/7/destination'],
  ['tmpcopyup on a bind mount', (c) => c.mounts.push({ destination: '/x', type: 'bind', source: '/x', options: ['rbind', 'tmpcopyup'] }), /tmpcopyup fills a new tmpfs/, '/mounts/7/options/1'],
  ['windows config', (c) => {
    delete c.linux;
    c.windows = { layerFolders: [] };
  }, /windows containers are not supported/, '/windows'],
  ['missing root', (c) => delete c.root, /root.path/, '/root/path'],
  ['seccomp NOTIFY as the default action', (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_NOTIFY' }), /^SCMP_ACT_NOTIFY cannot be the default action: the runtime could not finish starting the container \(runc refuses it too\)$/, '/linux/seccomp/defaultAction'],
  ['seccomp NOTIFY without listenerPath', (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] }), /^SCMP_ACT_NOTIFY needs listenerPath: the seccomp agent socket that receives the notify fd$/, '/linux/seccomp/listenerPath'],
  ['a hook environment setting a name twice', (c) => (c.hooks = { poststart: [{ path: '/bin/true', env: ['A=1', 'B=2', 'A=3'] }] }), /^A is set twice in the environment of this hook$/, '/hooks/poststart/0/env/2'],
  ['createRuntime hooks after joining a user namespace', (c) => {
    c.linux.namespaces.push({ type: 'user', path: '/proc/1/ns/user' });
    c.hooks = { createRuntime: [{ path: '/bin/true' }] };
  }, /^createRuntime hooks run in the runtime's namespaces, which planc cannot return to after joining the existing user namespace \/linux\/namespaces\/\d+\/path$/, '/hooks/createRuntime'],
  ['idmapped mount without gidMappings', (c) => c.mounts.push({ destination: '/m', type: 'bind', source: '/m', options: ['bind', 'idmap'], uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] }), /both uidMappings and gidMappings/, '/mounts/7/gidMappings'],
];

for (const [name, fn, message, where] of BAD) {
  test(`bad config is rejected with what and where: ${name}`, () => {
    const e = planError(mutate('default', fn));
    assert.match(e.message, message);
    assert.equal(e.where, where);
  });
}

test('schema errors are all reported, each with its path', () => {
  const e = planError(mutate('default', (c) => {
    c.process.args = 'sh';
    c.process.cwd = 5;
    c.linux.namespaces.push({ type: 'bogus' });
  }));
  const wheres = e.details.map((d) => d.where);
  for (const w of ['/process/args', '/process/cwd', '/linux/namespaces/6/type']) assert.ok(wheres.includes(w), `missing ${w} in ${wheres}`);
  assert.match(e.message, /and \d+ more/);
});

test('JSON errors say line and column; big integers survive; __proto__ stays data', () => {
  assert.throws(() => parseJson('{\n  "a": [1,\n  }', 'x/config.json'), (e: unknown) => e instanceof PlancError && /line 3 column 3/.test(e.message) && e.file === 'x/config.json');
  const v = parseJson('{"big": 18446744073709551615, "small": 42, "neg": -9223372036854775808, "f": 1.5e3}') as Record<string, unknown>;
  assert.equal(v.big, 18446744073709551615n);
  assert.equal(v.small, 42);
  assert.equal(v.neg, -9223372036854775808n);
  assert.equal(v.f, 1500);
  const p = parseJson('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.deepEqual(Object.keys(p), ['__proto__']);
  assert.deepEqual(parseJson('"a\\u00e9\\n"'), 'aé\n');
  assert.throws(() => parseJson('['.repeat(100000)), (e: unknown) => e instanceof PlancError && /nested deeper than 128 levels/.test(e.message));
  assert.deepEqual(parseJson('['.repeat(128) + ']'.repeat(128)), JSON.parse('['.repeat(128) + ']'.repeat(128)));
});

test('the explain vocabulary covers every op in the plan schema', () => {
  const schema = JSON.parse(readFileSync(new URL('../../schemas/plan.schema.json', import.meta.url), 'utf8'));
  const schemaOps = schema.definitions.Action.oneOf.map((a: any) => a.properties.op.const).sort();
  assert.deepEqual(Object.keys(VOCABULARY).sort(), schemaOps);
});


import { diffPlans } from '../../planner/diff.js';

test('diff: by action, not by line — reorders of independent config, changed limits, added mounts, mount order', () => {
  const a = plan(fixture('default'));
  assert.deepEqual(diffPlans(a, plan(fixture('default'))), { changes: [], warningsAdded: [], warningsRemoved: [] });
  const b = plan(mutate('default', (c) => {
    c.linux.resources.memory = { limit: 1000000 };
    c.hostname = 'other';
    c.mounts.push({ destination: '/var/run/docker.sock', type: 'bind', source: '/var/run/docker.sock', options: ['rbind'] });
    c.linux.maskedPaths.reverse();
  }));
  const d = diffPlans(a, b);
  const summary = d.changes.map((c) => `${c.kind} ${c.key}`).sort();
  assert.deepEqual(summary, ['added cgroup.write /sys/fs/cgroup/memory/planc/box/memory.limit_in_bytes', 'added mount /var/run/docker.sock', 'changed hostname']);
  assert.deepEqual(d.changes.find((c) => c.kind === 'changed')!.fields, { name: ['planc', 'other'] });
  assert.equal(d.mountOrder, undefined, 'masks reordered: not a mount-order change');
  const swapped = plan(mutate('default', (c) => ([c.mounts[1], c.mounts[2]] = [c.mounts[2], c.mounts[1]])));
  assert.ok(diffPlans(a, swapped).mountOrder, '/dev/pts before /dev changes what is visible');
});

test('risk warnings name what weakens isolation, and a hardened config has none of them', () => {
  const codes = (p: Plan) => new Set(p.warnings.map((w) => w.code));
  const risky = codes(plan(mutate('default', (c) => {
    c.process.capabilities.bounding.push('CAP_SYS_ADMIN');
    c.mounts.push({ destination: '/host', type: 'bind', source: '/', options: ['rbind'] });
    c.mounts.push({ destination: '/run/containerd.sock', type: 'bind', source: '/run/containerd/containerd.sock', options: ['bind'] });
    c.mounts.find((m: any) => m.type === 'sysfs').options = ['nosuid'];
    c.linux.readonlyPaths = [];
    c.linux.maskedPaths = [];
    c.linux.resources.devices = [{ allow: true, access: 'rwm' }];
    c.root.readonly = false;
    c.process.noNewPrivileges = false;
    c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'network');
  })));
  for (const code of ['dangerous-capability', 'host-root', 'runtime-socket', 'writable-sys', 'writable-proc', 'no-masks', 'devices-allow-all', 'writable-rootfs', 'new-privileges', 'host-namespace', 'no-seccomp', 'root-user']) {
    assert.ok(risky.has(code), `expected a ${code} warning`);
  }
  const hardened = codes(plan(mutate('default', (c) => {
    c.process.user = { uid: 1000, gid: 1000 };
  })));
  assert.deepEqual([...hardened], ['no-seccomp'], 'seccomp is not plannable yet, so every plan says so');
});

import { explainSections } from '../../planner/explain.js';

test('grouped explain: every action once, stages in order, effects grouped, indices rising within a group', () => {
  const p = plan(fixture('privileged-like'));
  const sections = explainSections(p);
  // No parent stage: the init moves itself into its cgroups; with a user namespace P writes the id maps.
  assert.deepEqual(sections.map((s) => s.stage), ['host', 'clone', 'init']);
  assert.deepEqual(explainSections(plan(fixture('rootless'))).map((s) => s.stage), ['host', 'clone', 'parent', 'init']);
  const indices = sections.flatMap((s) => s.groups.flatMap((g) => g.lines.map((l) => l.index))).sort((a, b) => a - b);
  assert.deepEqual(indices, p.actions.map((_, i) => i));
  for (const s of sections) for (const g of s.groups) for (let k = 1; k < g.lines.length; k++) assert.ok(g.lines[k]!.index > g.lines[k - 1]!.index);
  const init = sections.find((s) => s.stage === 'init')!;
  assert.deepEqual(init.groups.map((g) => g.effect), ['isolation', 'resources', 'filesystem', 'devices', 'privileges', 'process', 'lifecycle']);
});

import { DEFAULT_LEVELS, lintPlan, toSarif } from '../../planner/lint.js';

test('lint: every warning code has a rule, the policy schema lists exactly the rules, levels and allow lists apply', () => {
  const schema = JSON.parse(readFileSync(new URL('../../schemas/policy.schema.json', import.meta.url), 'utf8'));
  assert.deepEqual([...schema.properties.rules.propertyNames.enum].sort(), Object.keys(DEFAULT_LEVELS).sort());
  for (const name of ['default', 'rootless', 'privileged-like', 'runc-1.1-spec', 'procfields', 'hooks-seccomp']) {
    for (const w of plan(fixture(name)).warnings) assert.ok(w.code in DEFAULT_LEVELS, `warning code ${w.code} has no lint rule`);
  }
  const p = plan(fixture('privileged-like'));
  const byRule = (f: ReturnType<typeof lintPlan>) => f.map((x) => `${x.level} ${x.rule}`).sort();
  assert.ok(byRule(lintPlan(p)).includes('error runtime-socket'));
  assert.ok(byRule(lintPlan(p)).includes('error dangerous-capability'));
  const relaxed = lintPlan(p, { rules: { 'dangerous-capability': 'warning', 'no-seccomp': 'off' }, allowHostPaths: ['/var/run/docker.sock'] });
  assert.ok(!relaxed.some((f) => f.level === 'error'), JSON.stringify(relaxed));
  assert.ok(!relaxed.some((f) => f.rule === 'no-seccomp' || f.rule === 'runtime-socket'));
  const onlyAdmin = lintPlan(p, { allowCapabilities: ['CAP_NET_ADMIN'] }).filter((f) => f.rule === 'dangerous-capability');
  assert.deepEqual(onlyAdmin.map((f) => f.why), ['/process/capabilities/bounding/0', '/process/capabilities/effective/0']);
  const sarif = toSarif(lintPlan(p), 'config.json', '0.1.0') as { runs: { results: { ruleId: string; level: string }[] }[] };
  assert.equal(sarif.runs[0]!.results.length, lintPlan(p).length);
});

test('an enormous config (10 000 mounts) plans completely, each mount traced to its config path', () => {
  const big = mutate('default', (c) => {
    for (let k = 0; k < 10_000; k++) c.mounts.push({ destination: `/m/${k}`, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', `size=${k + 1}k`] });
  });
  const p = plan(big);
  const mounts = p.actions.filter((a) => a.op === 'mount' && a.target.startsWith('/m/'));
  assert.equal(mounts.length, 10_000);
  assert.deepEqual(mounts[9_999], { stage: 'init', op: 'mount', why: '/mounts/10006', source: 'tmpfs', target: '/m/9999', fstype: 'tmpfs', flags: ['nosuid'], data: 'size=10000k', create: 'dir' });
  assert.match(digestOf(encodePlan(p)), /^sha256:/);
});

test('the hooks-and-seccomp fixture: its filter and its hooks plan', () => {
  const p = plan(fixture('hooks-seccomp'));
  assert.equal(ops(p, 'seccomp.load').length, 1);
  assert.ok(p.actions.some((a) => a.op.startsWith('hook.')));
  assert.equal(validatePlan(p), true);
});

import { features } from '../../planner/features.js';
import { parseOptions } from '../../planner/mounts.js';

test('features says only what the planner accepts: every listed namespace and mount option plans', () => {
  const f = features() as { mountOptions: string[]; linux: { namespaces: string[]; capabilities: string[] } };
  for (const opt of f.mountOptions) assert.doesNotThrow(() => parseOptions([opt], '/mounts/0'), opt);
  for (const ns of f.linux.namespaces) {
    const p = plan(mutate('default', (c) => {
      c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== ns).concat([{ type: ns }]);
      if (ns === 'user') Object.assign(c.linux, { uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] });
    }));
    assert.ok(p.namespaces.some((n) => n.type === ns), ns);
  }
  assert.ok(f.linux.namespaces.includes('time'), 'time namespaces are planned, so advertised');
  assert.equal(f.linux.capabilities.length, 41);
});

test('/proc takes only procfs, and nothing is mounted inside it but the files lxcfs replaces (as runc)', () => {
  const withMount = (m: object) => mutate('default', (c) => c.mounts.push(m));
  const e1 = planError(withMount({ destination: '/proc', type: 'tmpfs', source: 'tmpfs' }));
  assert.equal(e1.where, `/mounts/${(fixture('default') as any).mounts.length}`);
  assert.match(e1.message, /^only procfs may be mounted on \/proc, not "tmpfs"/);
  const e2 = planError(withMount({ destination: '/proc/sys', type: 'bind', source: '/tmp', options: ['rbind'] }));
  assert.match(e2.message, /^a mount inside \/proc \(\/proc\/sys\) would hide/);
  const e3 = planError(withMount({ destination: '/proc/../proc/kcore', type: 'bind', source: '/dev/null', options: ['bind'] }));
  assert.match(e3.message, /\/proc\/kcore/);
  // lxcfs's files are allowed.
  const p = plan(withMount({ destination: '/proc/meminfo', type: 'bind', source: '/var/lib/lxcfs/proc/meminfo', options: ['bind'] }));
  assert.ok(ops(p, 'mount').some((a) => a.op === 'mount' && a.target === '/proc/meminfo'));
});

test('without a network namespace /sys is the host\'s, bound in: the cgroup mount below it is not checked to be sysfs', () => {
  const noNet = mutate('default', (c) => (c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'network')));
  const cg = ops(plan(noNet), 'mount').find((a) => a.op === 'mount' && a.target === '/sys/fs/cgroup');
  assert.ok(cg && cg.op === 'mount');
  assert.equal(cg.expectFs, undefined);
  // With its own network namespace, sysfs is mounted fresh and everything below /sys must be on it.
  const own = ops(plan(fixture('default')), 'mount').find((a) => a.op === 'mount' && a.target === '/sys/fs/cgroup');
  assert.ok(own && own.op === 'mount');
  assert.equal(own.expectFs, 'sysfs');
});

test('rootfsPropagation "unbindable" (which runc refuses): "/" stays private for the rootfs bind, the new root is made unbindable after the pivot', () => {
  const p = plan(mutate('default', (c) => (c.linux.rootfsPropagation = 'unbindable')));
  const first = ops(p, 'rootfs.propagation')[0];
  assert.ok(first && first.op === 'rootfs.propagation' && first.propagation === 'rprivate');
  const pivot = p.actions.findIndex((a) => a.op === 'rootfs.pivot');
  const after = p.actions.findIndex((a) => a.op === 'mount.propagation' && a.target === '/');
  assert.ok(pivot > 0 && after > pivot, 'after the pivot');
  const a = p.actions[after]!;
  assert.deepEqual(a.op === 'mount.propagation' && [a.propagation, a.why], ['unbindable', '/linux/rootfsPropagation']);
});
