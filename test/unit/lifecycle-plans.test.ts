// The small plans of update and teardown (planner/lifecycle.ts); kill, pause and resume are
// planned by the native front (test/integration/native-front.test.ts checks their plans):
// facts in, plan out, literal; every plan matches schemas/lifecycle.schema.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type LifecycleFacts, planTeardown, planUpdateWrites } from '../../planner/lifecycle.js';
import validateLifecycle from '../../schemas/generated/validate-lifecycle.js';

const made = { path: '/sys/fs/cgroup/pids/planc/c1', ino: 41, made: true };
const joined = { path: '/sys/fs/cgroup/memory/shared', ino: 42, made: false };
const facts = (over: Partial<LifecycleFacts> = {}): LifecycleFacts => ({ containerId: 'c1', stateDir: '/run/planc/c1', init: { pid: 4321, startTime: '99' }, cgroups: [made, joined], ...over });
const valid = <T>(p: T): T => {
  assert.ok(validateLifecycle(p), JSON.stringify(validateLifecycle.errors));
  return p;
};

test('teardown: SIGKILL the init, empty and remove the cgroups planc made, remove the state; a paused one killed before it is thawed', () => {
  assert.deepEqual(valid(planTeardown(facts(), 'delete')), {
    planVersion: 1,
    kind: 'delete',
    containerId: 'c1',
    actions: [
      { op: 'signal', why: 'runtime:delete', pid: 4321, startTime: '99', signal: 9, name: 'SIGKILL' },
      { op: 'cgroup.kill', why: 'runtime:delete', path: made.path, ino: 41 },
      { op: 'cgroup.remove', why: 'runtime:delete', path: made.path, ino: 41 },
      { op: 'state.remove', why: 'runtime:delete', path: '/run/planc/c1' },
    ],
  });
  assert.deepEqual(valid(planTeardown(facts({ paused: true }), 'undo')).actions.map((a) => `${a.op}${a.op === 'freezer' ? ` ${a.state}` : ''}`), ['signal', 'cgroup.signal', 'freezer THAWED', 'cgroup.kill', 'cgroup.remove', 'state.remove']);
  assert.equal(valid(planTeardown(facts(), 'exit')).actions[0]!.why, 'runtime:run');
  assert.deepEqual(valid(planTeardown(facts({ init: null, cgroups: [] }), 'undo')).actions, [{ op: 'state.remove', why: 'runtime:undo', path: '/run/planc/c1' }]);
});

test('update is a plan of its own', () => {
  assert.deepEqual(valid(planUpdateWrites({ containerId: 'c1' }, [{ why: '--pids-limit', path: made.path, file: 'pids.max', value: '10' }])).actions, [{ op: 'cgroup.write', why: '--pids-limit', path: made.path, file: 'pids.max', value: '10' }]);
});
