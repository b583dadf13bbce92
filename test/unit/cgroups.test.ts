// Where the container's cgroup is: never the root, never a path that climbs
// with "..", never a name with control characters; a cgroup the host's own
// processes live in is planned only with a `shared-cgroup` warning (lint: error).
// Config in → error, plan or warnings out; expected values are literal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseJson, type Json } from '../../planner/json.js';
import { planCreate } from '../../planner/plan.js';
import { cgroupPathOf, systemdToPath } from '../../planner/cgroups.js';
import { explainLines } from '../../planner/explain.js';
import { defaultHostFacts } from '../../planner/host-facts.js';
import { lintPlan } from '../../planner/lint.js';
import { PlancError } from '../../schemas/error.js';
import validatePolicy from '../../schemas/generated/validate-policy.js';
import type { Plan } from '../../schemas/generated/plan.js';
import type { HostFacts } from '../../schemas/generated/hostfacts.js';

const base = (): any => parseJson(readFileSync(new URL('./fixtures/default.json', import.meta.url), 'utf8'));
const facts = (over: Partial<HostFacts> = {}): HostFacts => ({ ...defaultHostFacts('box', '/bundles/box', '/run/planc'), ...over });
const V2 = { cgroup: { version: 2 as const, root: '/sys/fs/cgroup' } };

function withPath(cgroupsPath: string | undefined): Json {
  const c = base();
  if (cgroupsPath === undefined) delete c.linux.cgroupsPath;
  else c.linux.cgroupsPath = cgroupsPath;
  return c;
}

function planOf(cgroupsPath: string | undefined, over: Partial<HostFacts> = {}): Plan {
  return planCreate(withPath(cgroupsPath), facts(over));
}

function errorOf(cgroupsPath: string | undefined, over: Partial<HostFacts> = {}): PlancError {
  try {
    planOf(cgroupsPath, over);
  } catch (e) {
    assert.ok(e instanceof PlancError, `expected a PlancError, got ${e}`);
    return e;
  }
  assert.fail(`cgroupsPath ${JSON.stringify(cgroupsPath)} should have been refused`);
}

const sharedWarnings = (p: Plan) => p.warnings.filter((w) => w.code === 'shared-cgroup');

test('the root cgroup is refused, however it is spelled', () => {
  for (const path of ['/', '//', '/.', '/./', '.', './', '///././/']) {
    const e = errorOf(path);
    assert.equal(e.code, 'invalid-config', path);
    assert.equal(e.where, '/linux/cgroupsPath', path);
    assert.equal(e.message, `cgroupsPath ${JSON.stringify(path)} is the root cgroup, which holds every process of the host: the container needs a cgroup of its own`);
  }
  assert.equal(errorOf('/').oneLine('/b/config.json'), '/b/config.json: /linux/cgroupsPath: cgroupsPath "/" is the root cgroup, which holds every process of the host: the container needs a cgroup of its own');
  // The same on a cgroup v2 host.
  assert.equal(errorOf('/', V2).code, 'invalid-config');
});

test('".." is refused wherever it is, even where it would not climb above the root', () => {
  for (const path of ['../../system.slice', '/a/..', '/a/../b', '..', '/..', 'a/../../b', '/planc/box/..', '/x/../']) {
    const e = errorOf(path);
    assert.equal(e.code, 'invalid-config', path);
    assert.equal(e.where, '/linux/cgroupsPath', path);
    assert.equal(e.message, `cgroupsPath ${JSON.stringify(path)} contains "..": runc cleans ".." away and would use another cgroup than the one written; planc refuses rather than guess`);
  }
  // A name that merely contains dots is a name.
  assert.deepEqual(planOf('/a/..b/c...').cgroupPaths.slice(0, 1), ['/sys/fs/cgroup/cpu/a/..b/c...']);
});

test('NUL and control characters in cgroupsPath are refused, naming the character', () => {
  // NUL is refused for every string of the config, before planning looks at it.
  const nul = errorOf('/a\u0000b');
  assert.deepEqual([nul.code, nul.where, nul.message], ['invalid-config', '/linux/cgroupsPath', 'contains a NUL byte (\\u0000): the kernel would see the string cut short there']);
  assert.throws(() => cgroupPathOf('/a\u0000b', 'box', false), { message: 'cgroupsPath "/a\\u0000b" contains the control character 0x00: not a usable cgroup name' });
  const cases: [string, string][] = [['/a\nb', '0a'], ['/a\tb', '09'], ['/a\u001fb', '1f'], ['/a\u007fb', '7f'], ['\u0001', '01']];
  for (const [path, hex] of cases) {
    const e = errorOf(path);
    assert.equal(e.code, 'invalid-config');
    assert.equal(e.where, '/linux/cgroupsPath');
    assert.equal(e.message, `cgroupsPath ${JSON.stringify(path)} contains the control character 0x${hex}: not a usable cgroup name`);
  }
});

test('ordinary paths plan as before: absolute, relative (below /), repeated slashes and "." folded', () => {
  const dirs = (p: Plan) => p.cgroupPaths.filter((d) => d.startsWith('/sys/fs/cgroup/memory/'));
  assert.deepEqual(dirs(planOf(undefined)), ['/sys/fs/cgroup/memory/planc/box']);
  assert.deepEqual(dirs(planOf('/default/busy')), ['/sys/fs/cgroup/memory/default/busy']);
  assert.deepEqual(dirs(planOf('default/busy')), ['/sys/fs/cgroup/memory/default/busy']);
  assert.deepEqual(dirs(planOf('//default/./busy/')), ['/sys/fs/cgroup/memory/default/busy']);
  assert.deepEqual(planOf('/default/busy', V2).cgroupPaths, ['/sys/fs/cgroup/default/busy']);
  for (const p of [planOf(undefined), planOf('/default/busy'), planOf('/system.slice/mine'), planOf('/docker/abc')]) {
    assert.deepEqual(sharedWarnings(p), []);
  }
});

test('the container id names the default cgroup: an id that is not one component is refused', () => {
  for (const [id, message] of [
    ['..', 'the container id ".." is not a name: it would climb out of (or stay at) its place in the cgroup tree, planc refuses rather than guess'],
    ['.', 'the container id "." is not a name: it would climb out of (or stay at) its place in the cgroup tree, planc refuses rather than guess'],
    ['a/b', 'the container id "a/b" contains "/": it would name a cgroup in another place than its own'],
    ['a\u0000', 'the container id "a\\u0000" contains the control character 0x00: not a usable cgroup name'],
    ['', 'the container id is empty: it cannot name a cgroup'],
  ] as const) {
    const e = errorOf(undefined, { containerId: id });
    assert.equal(e.code, 'invalid-argument', JSON.stringify(id));
    assert.equal(e.where, undefined);
    assert.equal(e.message, message);
  }
});

test('systemd form: each part is a unit name, never a path', () => {
  const sd = { systemdCgroup: true };
  const refused: [string, string][] = [
    ['system.slice:../..:x', 'systemd unit prefix "../.." contains "/": it would name a cgroup in another place than its own'],
    ['system.slice:p:../x', 'systemd unit name "../x" contains "/": it would name a cgroup in another place than its own'],
    ['system.slice:p:..', 'systemd unit name ".." is not a name: it would climb out of (or stay at) its place in the cgroup tree, planc refuses rather than guess'],
    ['system.slice:..:x', 'systemd unit prefix ".." is not a name: it would climb out of (or stay at) its place in the cgroup tree, planc refuses rather than guess'],
    ['..:p:x', 'systemd slice ".." is not a name: it would climb out of (or stay at) its place in the cgroup tree, planc refuses rather than guess'],
    ['../system.slice:p:x', 'systemd slice "../system.slice" contains "/": it would name a cgroup in another place than its own'],
    ['/:p:x', 'systemd slice "/" contains "/": it would name a cgroup in another place than its own'],
    ['a/b.slice:p:x', 'systemd slice "a/b.slice" contains "/": it would name a cgroup in another place than its own'],
    ['system.slice:p\n:x', 'systemd cgroup path "system.slice:p\\n:x" contains the control character 0x0a: not a usable cgroup name'],
    ['-a.slice:p:x', 'systemd slice "-a.slice" is not a valid slice name (empty part between dashes)'],
    ['a--b.slice:p:x', 'systemd slice "a--b.slice" is not a valid slice name (empty part between dashes)'],
    ['a-.slice:p:x', 'systemd slice "a-.slice" is not a valid slice name (empty part between dashes)'],
    ['.slice:p:x', 'systemd slice ".slice" is not a valid slice name (empty part between dashes)'],
    ['/', 'systemd cgroup path must be "slice:prefix:name", got "/"'],
    ['a:b:c:d', 'systemd cgroup path must be "slice:prefix:name", got "a:b:c:d"'],
    ['system:p:x', 'systemd slice must end in ".slice": "system"'],
  ];
  for (const [path, message] of refused) {
    const e = errorOf(path, sd);
    assert.equal(e.code, 'invalid-config', path);
    assert.equal(e.where, '/linux/cgroupsPath', path);
    assert.equal(e.message, message, path);
  }
  assert.throws(() => systemdToPath('system.slice:p:x\u0000', 'box'), { message: 'systemd cgroup path "system.slice:p:x\\u0000" contains the control character 0x00: not a usable cgroup name' });
  // The container id stands in for an empty name: it gets the same checks.
  assert.equal(errorOf('system.slice:planc:', { ...sd, containerId: '..' }).message, 'the container id ".." is not a name: it would climb out of (or stay at) its place in the cgroup tree, planc refuses rather than guess');
  const mem = (p: Plan) => p.cgroupPaths.find((d) => d.startsWith('/sys/fs/cgroup/memory/'));
  assert.equal(mem(planOf('system.slice:libpod:abc', sd)), '/sys/fs/cgroup/memory/system.slice/libpod-abc.scope');
  assert.equal(mem(planOf('a-b.slice:p:n', sd)), '/sys/fs/cgroup/memory/a.slice/a-b.slice/p-n.scope');
  assert.equal(mem(planOf('-.slice:p:n', sd)), '/sys/fs/cgroup/memory/p-n.scope');
  assert.equal(mem(planOf(':planc:', sd)), '/sys/fs/cgroup/memory/system.slice/planc-box.scope');
  assert.deepEqual(sharedWarnings(planOf('system.slice:libpod:abc', sd)), []);
});

const SHARED_MESSAGE = (path: string) =>
  `cgroup ${path} is shared: the container would share it with processes planc did not start; planc refuses at create time if it has processes, and never kills or removes a cgroup it did not make`;

test('a cgroup hosts always share is planned with a shared-cgroup warning', () => {
  const shared = ['/system.slice', '/user.slice', '/init.scope', '/machine.slice', '/kubepods', '/kubepods.slice', '/docker', '/libpod_parent',
    '/kubepods/besteffort', '/kubepods/burstable', '/kubepods.slice/kubepods-besteffort.slice', '/kubepods.slice/kubepods-burstable.slice',
    '/machine', '/lxc', '/lxc.payload', '/lxc.monitor', '/planc'];
  for (const path of shared) {
    assert.deepEqual(sharedWarnings(planOf(path)), [{ code: 'shared-cgroup', why: '/linux/cgroupsPath', message: SHARED_MESSAGE(path), subject: path }], path);
  }
  // Spelled relative or with a trailing slash, it is the same cgroup.
  for (const spelling of ['system.slice', '/system.slice/', '//system.slice']) {
    assert.deepEqual(sharedWarnings(planOf(spelling)).map((w) => w.subject), ['/system.slice'], spelling);
  }
  // The systemd form can name one too: "-.slice" with a unit name that is itself a slice.
  assert.deepEqual(sharedWarnings(planOf('-.slice::system.slice', { systemdCgroup: true })).map((w) => w.subject), ['/system.slice']);
  // Paths below them are private places, and other spellings of the name are other cgroups.
  for (const path of ['/system.slice/foo.service', '/kubepods/besteffort/pod1', '/docker/abc', '/System.slice', '/system.slice2']) {
    assert.deepEqual(sharedWarnings(planOf(path)), [], path);
  }
  // The plan itself is unchanged by the warning: the same directories, on v1 and v2.
  const p = planOf('/system.slice');
  assert.deepEqual(p.cgroupPaths, ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids', 'systemd'].map((c) => `/sys/fs/cgroup/${c}/system.slice`));
  const v2 = planOf('/system.slice', V2);
  assert.deepEqual(v2.cgroupPaths, ['/sys/fs/cgroup/system.slice']);
  assert.equal(sharedWarnings(v2).length, 1);
});

test('shared-cgroup: explain shows it, lint fails on it by default, a policy can lower it', () => {
  const p = planOf('/system.slice');
  assert.ok(explainLines(p).includes(`warning: ${SHARED_MESSAGE('/system.slice')}  ← /linux/cgroupsPath`), 'explain --flat lists the warning');
  assert.ok(explainLines(p).includes(' 0 host   create cgroup /sys/fs/cgroup/cpu/system.slice (refused if it holds processes)  ← /linux/cgroupsPath'));
  assert.deepEqual(lintPlan(p).filter((f) => f.rule === 'shared-cgroup'), [{ rule: 'shared-cgroup', level: 'error', message: SHARED_MESSAGE('/system.slice'), why: '/linux/cgroupsPath' }]);
  assert.deepEqual(lintPlan(p, { rules: { 'shared-cgroup': 'warning' } }).filter((f) => f.rule === 'shared-cgroup').map((f) => f.level), ['warning']);
  assert.deepEqual(lintPlan(p, { rules: { 'shared-cgroup': 'off' } }).filter((f) => f.rule === 'shared-cgroup'), []);
  assert.equal(validatePolicy({ rules: { 'shared-cgroup': 'error' } }), true, 'the policy schema knows the rule');
});
