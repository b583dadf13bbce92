// The small plans of kill, pause/resume, update and teardown (planner/lifecycle.ts):
// facts in, plan out, literal; every plan matches schemas/lifecycle.schema.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type LifecycleFacts, planFreezer, planKill, planTeardown, planUpdateWrites } from '../../planner/lifecycle.js';
import validateLifecycle from '../../schemas/generated/validate-lifecycle.js';

const made = { path: '/sys/fs/cgroup/pids/planc/c1', ino: 41, made: true };
const joined = { path: '/sys/fs/cgroup/memory/shared', ino: 42, made: false };
const facts = (over: Partial<LifecycleFacts> = {}): LifecycleFacts => ({ containerId: 'c1', stateDir: '/run/planc/c1', init: { pid: 4321, startTime: '99' }, cgroups: [made, joined], ...over });
const valid = <T>(p: T): T => {
  assert.ok(validateLifecycle(p), JSON.stringify(validateLifecycle.errors));
  return p;
};

test('kill: the init; --all freezes, signals every cgroup planc made (never a joined one), thaws', () => {
  assert.deepEqual(valid(planKill(facts(), 15, 'SIGTERM', false)).actions, [{ op: 'signal', why: 'runtime:kill', pid: 4321, startTime: '99', signal: 15, name: 'SIGTERM' }]);
  assert.deepEqual(valid(planKill(facts(), 9, 'SIGKILL', true)).actions, [
    { op: 'freezer', why: 'runtime:kill --all', state: 'FROZEN' },
    { op: 'signal', why: 'runtime:kill --all', pid: 4321, startTime: '99', signal: 9, name: 'SIGKILL' },
    { op: 'cgroup.signal', why: 'runtime:kill --all', path: made.path, ino: 41, signal: 9, name: 'SIGKILL' },
    { op: 'freezer', why: 'runtime:kill --all', state: 'THAWED' },
  ]);
  // Gone init: nothing to signal but what --all finds.
  assert.deepEqual(valid(planKill(facts({ init: null }), 15, 'SIGTERM', false)).actions, []);
  // Paused: SIGKILL thaws afterwards (a frozen process cannot die); another signal waits for resume.
  assert.deepEqual(valid(planKill(facts({ paused: true }), 9, 'SIGKILL', false)).actions.map((a) => a.op), ['signal', 'freezer']);
  assert.deepEqual(valid(planKill(facts({ paused: true }), 15, 'SIGTERM', true)).actions.map((a) => a.op), ['signal', 'cgroup.signal']);
  assert.equal(valid(planKill(facts(), 0, 'signal 0', false)).actions[0]!.op, 'signal', 'kill 0 checks the init exists');
});

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

test('pause, resume and update are one-line plans of their own', () => {
  assert.deepEqual(valid(planFreezer(facts(), 'FROZEN')), { planVersion: 1, kind: 'pause', containerId: 'c1', actions: [{ op: 'freezer', why: 'runtime:pause', state: 'FROZEN' }] });
  assert.equal(valid(planFreezer(facts(), 'THAWED')).kind, 'resume');
  assert.deepEqual(valid(planUpdateWrites({ containerId: 'c1' }, [{ why: '--pids-limit', path: made.path, file: 'pids.max', value: '10' }])).actions, [{ op: 'cgroup.write', why: '--pids-limit', path: made.path, file: 'pids.max', value: '10' }]);
});
