// The small plan of update (planner/lifecycle.ts); kill, pause, resume and teardown are
// planned by the native front (test/integration/native-front.test.ts checks their plans):
// plan out, literal; every plan matches schemas/lifecycle.schema.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planUpdateWrites } from '../../planner/lifecycle.js';
import validateLifecycle from '../../schemas/generated/validate-lifecycle.js';

const made = { path: '/sys/fs/cgroup/pids/planc/c1', ino: 41, made: true };
const valid = <T>(p: T): T => {
  assert.ok(validateLifecycle(p), JSON.stringify(validateLifecycle.errors));
  return p;
};

test('update is a plan of its own', () => {
  assert.deepEqual(valid(planUpdateWrites({ containerId: 'c1' }, [{ why: '--pids-limit', path: made.path, file: 'pids.max', value: '10' }])).actions, [{ op: 'cgroup.write', why: '--pids-limit', path: made.path, file: 'pids.max', value: '10' }]);
});
