// linux.intelRdt planned as runtime-spec 1.3 says: refused (naming the field,
// before any action) where no resctrl is mounted — as on this VM — and, where
// one is, the group made, compared or required, its schemata lines in the
// spec's order, the init's pid written to its tasks, a monitoring group below
// it; and the teardown removing only the group the container owns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseJson } from '../../planner/json.js';
import { planCreate } from '../../planner/plan.js';
import { explainLines } from '../../planner/explain.js';
import { defaultHostFacts } from '../../planner/host-facts.js';
import { PlancError } from '../../schemas/error.js';
import validatePlan from '../../schemas/generated/validate-plan.js';
import type { Plan } from '../../schemas/generated/plan.js';

const MOUNT = '/sys/fs/resctrl';

function planOf(intelRdt: unknown, resctrl: string | undefined = MOUNT): Plan {
  const c = parseJson(readFileSync(new URL('./fixtures/default.json', import.meta.url), 'utf8')) as any;
  c.linux.intelRdt = intelRdt;
  const facts = { ...defaultHostFacts('box', '/bundles/box', '/run/planc'), ...(resctrl === undefined ? {} : { resctrl }) };
  const p = planCreate(c, facts);
  assert.ok(validatePlan(p), JSON.stringify(validatePlan.errors));
  return p;
}

/** The resctrl actions, with their stage. */
const rdt = (p: Plan) => p.actions.filter((a) => a.op.startsWith('resctrl.'));

function refusal(intelRdt: unknown, resctrl?: string): PlancError {
  try {
    planOf(intelRdt, resctrl);
  } catch (e) {
    assert.ok(e instanceof PlancError);
    return e;
  }
  assert.fail('should have been refused');
}

test('no resctrl mounted (this VM): refused naming /linux/intelRdt, before any action', () => {
  for (const intelRdt of [{}, { closID: 'g' }, { schemata: ['L3:0=f'] }, { enableMonitoring: true }]) {
    let e: unknown;
    try {
      const c = parseJson(readFileSync(new URL('./fixtures/default.json', import.meta.url), 'utf8')) as any;
      c.linux.intelRdt = intelRdt;
      planCreate(c, defaultHostFacts('box', '/bundles/box'));
    } catch (x) {
      e = x;
    }
    assert.ok(e instanceof PlancError);
    assert.deepEqual([e.code, e.where, e.message], [
      'unsupported', '/linux/intelRdt',
      "linux.intelRdt needs a resctrl filesystem (Intel RDT or AMD QoS), and none is mounted in the runtime's mount namespace (mount -t resctrl resctrl /sys/fs/resctrl): nothing was created",
    ]);
  }
});

test('no closID: a group named after the container, made (never shared), joined, removed on delete', () => {
  const p = planOf({ l3CacheSchema: 'L3:0=7f0;1=1f', memBwSchema: 'MB:0=20;1=70' });
  assert.deepEqual(rdt(p), [
    { stage: 'host', op: 'resctrl.create', why: '/linux/intelRdt', path: '/sys/fs/resctrl/box', exists: 'refuse', schemata: ['L3:0=7f0;1=1f', 'MB:0=20;1=70'] },
    { stage: 'parent', op: 'resctrl.join', why: '/linux/intelRdt', path: '/sys/fs/resctrl/box' },
  ]);
  // After the cgroups, before the start fifo. P moves the init into the group
  // while the init waits; the init then moves itself into its cgroups.
  const ops = p.actions.map((a) => a.op);
  assert.ok(ops.lastIndexOf('cgroup.write') < ops.indexOf('resctrl.create') && ops.indexOf('resctrl.create') < ops.indexOf('execfifo.create'));
  assert.ok(ops.indexOf('resctrl.join') < ops.indexOf('cgroup.join'));
  assert.deepEqual(rdt(planOf({})), [
    { stage: 'host', op: 'resctrl.create', why: '/linux/intelRdt', path: '/sys/fs/resctrl/box', exists: 'refuse' },
    { stage: 'parent', op: 'resctrl.join', why: '/linux/intelRdt', path: '/sys/fs/resctrl/box' },
  ]);
  const lines = explainLines(p);
  assert.ok(lines.includes('22 host   create resctrl group /sys/fs/resctrl/box with schemata: L3:0=7f0;1=1f; MB:0=20;1=70 (removed on delete)  ← /linux/intelRdt'), lines.join('\n'));
  assert.ok(lines.some((l) => l.endsWith('parent move the init into resctrl group /sys/fs/resctrl/box  ← /linux/intelRdt')));
});

test('closID with schemata: made when missing, compared when present; l3CacheSchema, memBwSchema, then schemata', () => {
  const p = planOf({ closID: 'guaranteed_group', l3CacheSchema: 'L3:0=7f0', memBwSchema: 'MB:0=20', schemata: ['L2:0=f;1=f', 'MB:0=30'] });
  assert.deepEqual(rdt(p), [
    { stage: 'host', op: 'resctrl.create', why: '/linux/intelRdt/closID', path: '/sys/fs/resctrl/guaranteed_group', exists: 'use', schemata: ['L3:0=7f0', 'MB:0=20', 'L2:0=f;1=f', 'MB:0=30'] },
    { stage: 'parent', op: 'resctrl.join', why: '/linux/intelRdt', path: '/sys/fs/resctrl/guaranteed_group' },
  ]);
  assert.ok(explainLines(p).some((l) => l.includes('use resctrl group /sys/fs/resctrl/guaranteed_group, made with schemata: L3:0=7f0; MB:0=20; L2:0=f;1=f; MB:0=30 if missing, else refused unless its schemata match')));
  // Several lines in l3CacheSchema (configs before 1.3): one write each, blank lines dropped.
  assert.deepEqual((rdt(planOf({ closID: 'g', l3CacheSchema: 'L3:0=f\nL2:0=3\n' }))[0] as any).schemata, ['L3:0=f', 'L2:0=3']);
});

test('closID without schemata: the group must exist already; "/" is the default class, joined as it is', () => {
  assert.deepEqual(rdt(planOf({ closID: 'preset' })), [
    { stage: 'host', op: 'resctrl.create', why: '/linux/intelRdt/closID', path: '/sys/fs/resctrl/preset', exists: 'required' },
    { stage: 'parent', op: 'resctrl.join', why: '/linux/intelRdt', path: '/sys/fs/resctrl/preset' },
  ]);
  assert.deepEqual(rdt(planOf({ closID: '/' })), [{ stage: 'parent', op: 'resctrl.join', why: '/linux/intelRdt', path: '/sys/fs/resctrl' }]);
  assert.deepEqual(rdt(planOf({ closID: '/', schemata: ['MB:0=50'] }))[0], { stage: 'host', op: 'resctrl.create', why: '/linux/intelRdt/closID', path: '/sys/fs/resctrl', exists: 'use', schemata: ['MB:0=50'] });
});

test('enableMonitoring: a mon group named after the container below the control group, joined after it', () => {
  assert.deepEqual(rdt(planOf({ closID: 'g', enableMonitoring: true })), [
    { stage: 'host', op: 'resctrl.create', why: '/linux/intelRdt/closID', path: '/sys/fs/resctrl/g', exists: 'required' },
    { stage: 'host', op: 'resctrl.create', why: '/linux/intelRdt/enableMonitoring', path: '/sys/fs/resctrl/g/mon_groups/box', exists: 'refuse' },
    { stage: 'parent', op: 'resctrl.join', why: '/linux/intelRdt', path: '/sys/fs/resctrl/g' },
    { stage: 'parent', op: 'resctrl.join', why: '/linux/intelRdt', path: '/sys/fs/resctrl/g/mon_groups/box' },
  ]);
  const legacy = planOf({ closID: '/', enableCMT: true });
  assert.deepEqual(rdt(legacy).map((a) => (a as { path: string }).path), ['/sys/fs/resctrl/mon_groups/box', '/sys/fs/resctrl', '/sys/fs/resctrl/mon_groups/box']);
  assert.deepEqual(legacy.warnings.filter((w) => w.code === 'deprecated').map((w) => [w.why, w.message]), [
    ['/linux/intelRdt', 'enableCMT and enableMBM (runtime-spec 1.1-1.2) were replaced by enableMonitoring in 1.3: planned as enableMonitoring'],
  ]);
});

test('names and lines the resctrl filesystem would misread are refused', () => {
  for (const closID of ['../x', 'a/b', '.', '..', '', 'a\nb']) {
    const e = refusal({ closID });
    assert.deepEqual([e.code, e.where], ['invalid-config', '/linux/intelRdt/closID'], JSON.stringify(closID));
  }
  assert.equal(refusal({ closID: 'info' }).message, 'closID "info" is a directory of the resctrl filesystem itself, not a group');
  const e = refusal({ schemata: ['L3:0=f\nMB:0=1'] });
  assert.deepEqual([e.code, e.where, e.message], ['invalid-config', '/linux/intelRdt/schemata/0', 'schemata line "L3:0=f\\nMB:0=1" contains a newline or control character: one line per entry']);
  assert.equal(refusal({ l3CacheSchema: '0=7f0' }).where, '/linux/intelRdt/l3CacheSchema');
});
