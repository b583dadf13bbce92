// The dangerous-mount corpus: one fixture per host path that matters
// (test/unit/fixtures/lint/*.json). Each is the default config with a JSON
// patch applied, optionally host facts (what the host has at a path), and the
// literal findings `planc lint` must add to the default config's, in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { parseJson, type Json } from '../../planner/json.js';
import { planCreate } from '../../planner/plan.js';
import { defaultHostFacts } from '../../planner/host-facts.js';
import { type Finding, lintPlan } from '../../planner/lint.js';
import { classifyPath, hostPathsOf } from '../../planner/host-paths.js';
import type { HostFacts } from '../../schemas/generated/hostfacts.js';
import validateHostFacts from '../../schemas/generated/validate-hostfacts.js';
import { applyPatch, type PatchOp } from '../helpers/json-patch.js';

const DIR = new URL('./fixtures/lint/', import.meta.url);
const base = (): Json => parseJson(readFileSync(new URL('../default.json', DIR), 'utf8'));

interface Fixture {
  description: string;
  patch: PatchOp[];
  hostFacts?: Partial<HostFacts>;
  expected: Finding[];
}

const facts = (over: Partial<HostFacts> = {}): HostFacts => ({ ...defaultHostFacts('box', '/bundles/box', '/run/planc'), ...over });
const key = (f: Finding) => JSON.stringify(f);
const baseline = new Set(lintPlan(planCreate(base(), facts())).map(key));
const names = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();

test('the lint corpus covers each dangerous host path', () => {
  assert.equal(names.length, 37, 'fixtures in test/unit/fixtures/lint');
  const rules = new Set(names.flatMap((n) => (JSON.parse(readFileSync(new URL(n, DIR), 'utf8')) as Fixture).expected.map((f) => f.rule)));
  for (const rule of ['host-root', 'host-credentials', 'runtime-state', 'runtime-socket', 'host-kernel-fs', 'block-device', 'container-store', 'host-device', 'host-socket', 'host-path', 'source-outside-bundle', 'rootfs-outside-bundle', 'device-host-bind']) {
    assert.ok(rules.has(rule), `a fixture for ${rule}`);
  }
});

for (const name of names) {
  const fx = JSON.parse(readFileSync(new URL(name, DIR), 'utf8')) as Fixture;
  test(`lint fixture ${name}: ${fx.description}`, () => {
    const f = facts(fx.hostFacts);
    assert.ok(validateHostFacts(JSON.parse(JSON.stringify(f))), `${name}: host facts match the schema: ${JSON.stringify(validateHostFacts.errors)}`);
    const findings = lintPlan(planCreate(applyPatch(base(), fx.patch), f));
    assert.deepEqual(findings.filter((x) => !baseline.has(key(x))), fx.expected);
  });
}

test('a policy may allow a host path: every host-path rule is lifted for the paths it lists, and only for those', () => {
  const fx = JSON.parse(readFileSync(new URL('etc-shadow-writable.json', DIR), 'utf8')) as Fixture;
  const p = planCreate(applyPatch(base(), [...fx.patch, { op: 'add', path: '/mounts/-', value: { destination: '/y', type: 'bind', source: '/var/lib/docker', options: ['rbind'] } }]), facts());
  const rules = (allow: string[]) => lintPlan(p, { allowHostPaths: allow }).filter((x) => !baseline.has(key(x))).map((x) => x.rule);
  assert.deepEqual(rules([]), ['host-credentials', 'container-store']);
  assert.deepEqual(rules(['/etc/shadow']), ['container-store']);
  assert.deepEqual(rules(['/etc/shadow', '/var/lib/docker']), []);
});

test('paths are compared both ways round: below a sensitive path, and above one', () => {
  const code = (p: string) => classifyPath(p)?.code ?? null;
  // The check that used to run the wrong way round: a file below /etc was not a finding.
  assert.equal(code('/etc/shadow'), 'host-credentials');
  assert.equal(code('/etc/ssh/ssh_host_ed25519_key'), 'host-credentials');
  assert.equal(code('/etc'), 'host-credentials');
  assert.equal(code('/var'), 'runtime-socket', '/var holds /var/lib/kubelet/device-plugins/kubelet.sock');
  assert.equal(code('/var/lib'), 'runtime-socket');
  assert.equal(code('/var/run/containerd/containerd.sock'), 'runtime-socket');
  assert.equal(code('/etc/hostname'), 'host-path');
  assert.equal(code('/tmp/data'), null);
  assert.equal(code('/srv/data'), null);
  assert.equal(code('/etcetera'), null, 'a name that only starts like /etc');
  assert.equal(code('/devices'), null);
});

test('hostPathsOf names what the CLI looks at: bind sources and root.path resolved against the bundle, device paths in a user namespace', () => {
  const cfg = {
    root: { path: 'rootfs' },
    mounts: [
      { destination: '/a', type: 'bind', source: '../../etc' },
      { destination: '/b', source: '/srv/x', options: ['rbind', 'ro'] },
      { destination: '/c', type: 'tmpfs', source: 'tmpfs' },
    ],
    linux: { namespaces: [{ type: 'user' }], devices: [{ path: '/dev/fuse' }, { path: 'etc/../shadow' }] },
  };
  assert.deepEqual(hostPathsOf(cfg, '/bundles/box'), ['/bundles/box/rootfs', '/dev/fuse', '/etc', '/shadow', '/srv/x']);
  assert.deepEqual(hostPathsOf({ ...cfg, linux: { devices: cfg.linux.devices } }, '/b'), ['/b/rootfs', '/etc', '/srv/x'], 'no user namespace: devices are made with mknod, not bound');
  assert.deepEqual(hostPathsOf({ mounts: 'nonsense', root: 7 }, '/b'), [], 'a config of the wrong shape names nothing (validation reports it)');
});

test('linux.mountLabel, which this host cannot apply (no SELinux), is a plan note naming its config path, never silence', () => {
  const p = planCreate(applyPatch(base(), [{ op: 'add', path: '/linux/mountLabel', value: 'system_u:object_r:container_file_t:s0' }]), facts());
  assert.deepEqual(lintPlan(p).filter((x) => !baseline.has(key(x))), [{ rule: 'no-selinux', level: 'note', message: 'SELinux is not available on this host: mount label not applied', why: '/linux/mountLabel' }]);
});
