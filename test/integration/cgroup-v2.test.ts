// The cgroup v2 driver, live: on a v1 hybrid host (like this one) the container
// goes into the cgroup2 hierarchy wherever mountinfo shows it, e.g.
// /sys/fs/cgroup/unified (PLANC_CGROUP_V2=1), which has the core v2 files but
// no v1-owned controllers. Where that mount is comes from the tests' own reading
// of mountinfo (test/helpers/cgroupfs.ts), not from the runtime's.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { hierarchyOf } from '../helpers/cgroupfs.js';
import { cgroupDir, gated, leftovers, NEEDS_ROOT, openGate, Planc, waitFor } from '../helpers/planc.js';

const pc = new Planc();
after(() => pc.cleanup());
const env = { ...process.env, PLANC_CGROUP_V2: '1' };
// The skip gate checks this reason against mountinfo itself (test/skip-allowlist.json).
const skip = NEEDS_ROOT || (hierarchyOf('cgroup2') === undefined && 'needs a cgroup2 mount');

test('v2: one cgroup directory, unified writes applied, a cgroup namespace rooted there, removed on delete', { skip }, async (t) => {
  const id = pc.id(t);
  const dir = cgroupDir('cgroup2', `planc/${id}`);
  const bundle = pc.bundle(gated('cat /proc/self/cgroup; cat /sys/fs/cgroup/cgroup.procs; cat /sys/fs/cgroup/cgroup.max.depth'), (c) => {
    c.linux.resources = { unified: { 'cgroup.max.depth': '5' } };
  });
  const r = pc.spawn(['run', '--bundle', bundle, id], { env });
  await waitFor(`cgroup ${dir}`, () => existsSync(`${dir}/cgroup.procs`) && readFileSync(`${dir}/cgroup.procs`, 'utf8').trim().length > 0);
  assert.equal(readFileSync(`${dir}/cgroup.max.depth`, 'utf8').trim(), '5');
  const plan = JSON.parse(pc.ok(['plan', '--run', '--bundle', bundle, '--id', id, '--format', 'json'], { env }).stdout);
  assert.deepEqual(plan.plan.cgroupPaths, [dir]);
  openGate(bundle);
  const done = await r.done;
  assert.equal(done.code, 0, done.stderr);
  assert.match(done.stdout, /^0::\/$/m, 'the container sees its cgroup as the root of its cgroup namespace');
  assert.match(done.stdout, /^1$/m, 'its own cgroup.procs holds its pid 1');
  assert.match(done.stdout, /^5$/m, 'and the unified write');
  assert.equal(existsSync(dir), false, 'run removed the cgroup on exit');
  leftovers(pc.root, id, bundle);
});
