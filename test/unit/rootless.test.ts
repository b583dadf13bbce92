// Planning without root (issue 13): cgroups only where delegated, id maps
// from the caller's own id or its /etc/subuid ranges through newuidmap, and
// one clear error for each thing that is missing. Pure: host facts are literals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { HostFacts } from '../../schemas/generated/hostfacts.js';
import { defaultHostFacts } from '../../planner/host-facts.js';
import { planCreate } from '../../planner/plan.js';
import { lintPlan } from '../../planner/lint.js';
import { PlancError } from '../../schemas/error.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const rootlessConfig = (): any => JSON.parse(readFileSync(new URL('./fixtures/rootless.json', import.meta.url), 'utf8'));

const ids = (over: Partial<NonNullable<HostFacts['ids']>> = {}): NonNullable<HostFacts['ids']> => ({
  uid: 1000,
  gid: 1000,
  user: 'alice',
  subuid: [{ start: 100000, count: 65536 }],
  subgid: [{ start: 100000, count: 65536 }],
  newuidmap: '/usr/bin/newuidmap',
  newgidmap: '/usr/bin/newgidmap',
  ...over,
});

const facts = (over: Partial<HostFacts> = {}): HostFacts => ({ ...defaultHostFacts('box', '/bundles/box', '/run/user/1000/planc'), rootless: true, cgroupWritable: false, ids: ids(), ...over });

function fails(config: unknown, f: HostFacts, where: string, message: string): void {
  assert.throws(
    () => planCreate(config as never, f),
    (e: unknown) => {
      assert.ok(e instanceof PlancError, String(e));
      assert.equal(e.where, where);
      assert.equal(e.message, message);
      return true;
    },
  );
}

test('rootless without a delegated cgroup: no cgroup actions, a note (lint rule rootless-no-cgroup)', () => {
  const plan = planCreate(rootlessConfig(), facts());
  assert.deepEqual(plan.actions.filter((a) => a.op.startsWith('cgroup.')), []);
  assert.deepEqual(plan.cgroupPaths, []);
  const w = plan.warnings.find((x) => x.code === 'rootless-no-cgroup');
  assert.deepEqual(w, {
    code: 'rootless-no-cgroup',
    why: '/linux/cgroupsPath',
    message: "rootless: the cgroups under /sys/fs/cgroup are not writable by this user (not delegated): the container gets no cgroup of its own and stays in the caller's, without limits",
  });
  assert.equal(lintPlan(plan).find((f) => f.rule === 'rootless-no-cgroup')?.level, 'note');
});

test('rootless with a delegated (writable) cgroup v2 subtree: the cgroup is made as for root', () => {
  const plan = planCreate(rootlessConfig(), facts({ cgroupWritable: true, cgroup: { version: 2, root: '/sys/fs/cgroup' } }));
  assert.deepEqual(plan.actions.filter((a) => a.op === 'cgroup.create').map((a) => (a as { path: string }).path), ['/sys/fs/cgroup/planc/box']);
  assert.ok(!plan.warnings.some((x) => x.code === 'rootless-no-cgroup'));
});

test('rootless without a delegated cgroup refuses a limit, naming it', () => {
  const c = rootlessConfig();
  c.linux.resources = { memory: { limit: 1 << 26 } };
  fails(c, facts(), '/linux/resources/memory/limit', 'rootless: this limit needs a cgroup, and the cgroups under /sys/fs/cgroup are not delegated to this user (on cgroup v2, run planc in a delegated subtree, e.g. a systemd unit with Delegate=yes)');
});

test("rootless: the caller's own id is written directly (setgroups denied first); subuid ranges go through newuidmap/newgidmap", () => {
  const own = planCreate(rootlessConfig(), facts()).actions.filter((a) => a.op === 'idmap.write');
  assert.deepEqual(own, [
    { stage: 'parent', op: 'idmap.write', why: '/linux/uidMappings', kind: 'uid', map: [{ containerID: 0, hostID: 1000, size: 1 }] },
    { stage: 'parent', op: 'idmap.write', why: '/linux/gidMappings', kind: 'gid', map: [{ containerID: 0, hostID: 1000, size: 1 }], setgroups: 'deny' },
  ]);
  const c = rootlessConfig();
  c.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }, { containerID: 1, hostID: 100000, size: 65536 }];
  c.linux.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }, { containerID: 1, hostID: 100000, size: 65536 }];
  const sub = planCreate(c, facts()).actions.filter((a) => a.op === 'idmap.write');
  assert.deepEqual(sub, [
    { stage: 'parent', op: 'idmap.write', why: '/linux/uidMappings', kind: 'uid', map: c.linux.uidMappings, helper: '/usr/bin/newuidmap' },
    { stage: 'parent', op: 'idmap.write', why: '/linux/gidMappings', kind: 'gid', map: c.linux.gidMappings, helper: '/usr/bin/newgidmap' },
  ]);
});

test('rootless: ids that are not the caller’s, no subuid entry, no newuidmap, user namespaces disabled, no user namespace — one error each', () => {
  const outside = rootlessConfig();
  outside.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }, { containerID: 1, hostID: 200000, size: 10 }];
  fails(outside, facts(), '/linux/uidMappings/1', "rootless: host uids 200000-200009 are not this user's to map; it may map only uid 1000 and /etc/subuid's ranges for alice (100000-165535)");

  const other = rootlessConfig();
  other.linux.uidMappings = [{ containerID: 0, hostID: 0, size: 1 }];
  fails(other, facts({ ids: ids({ subuid: [] }) }), '/linux/uidMappings/0', "rootless: host uids 0-0 are not this user's to map; it may map only uid 1000: /etc/subuid has no entry for alice");

  const wide = rootlessConfig();
  wide.linux.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }, { containerID: 1, hostID: 100000, size: 1000 }];
  fails(wide, facts({ ids: ids({ newgidmap: undefined }) }), '/linux/gidMappings', "rootless: mapping more than the caller's own gid needs newgidmap, which is not installed (Debian: apt-get install uidmap)");

  fails(rootlessConfig(), facts({ ids: ids({ usernsDisabled: 'kernel.unprivileged_userns_clone is 0' }) }), '/linux/namespaces', 'rootless: user namespaces are disabled on this host (kernel.unprivileged_userns_clone is 0)');

  const noUserns = rootlessConfig();
  noUserns.linux.namespaces = noUserns.linux.namespaces.filter((n: { type: string }) => n.type !== 'user');
  delete noUserns.linux.uidMappings;
  delete noUserns.linux.gidMappings;
  fails(noUserns, facts(), '/linux/namespaces', 'rootless: without root the container needs a new user namespace (`planc spec --rootless` writes a config with one)');
});

test('rootless: devices are bound from the host, never made', () => {
  const plan = planCreate(rootlessConfig(), facts());
  assert.equal(plan.actions.filter((a) => a.op === 'mknod').length, 0);
  assert.deepEqual(plan.actions.filter((a) => a.op === 'device.bind').map((a) => (a as { path: string }).path), ['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty']);
});
