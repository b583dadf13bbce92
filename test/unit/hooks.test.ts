// Hooks → plan actions (runtime-spec config.md "POSIX-platform Hooks"): config in, plan out,
// expected values literal. The fixture's hooks are the spec's own example.
// run: node --import tsx --test test/unit/hooks.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseJson, type Json } from '../../planner/json.js';
import { planCreate } from '../../planner/plan.js';
import { explainLines, explainSections } from '../../planner/explain.js';
import { defaultHostFacts } from '../../planner/host-facts.js';
import { verifyTrail } from '../../planner/audit.js';
import { createHash } from 'node:crypto';
import { features } from '../../planner/features.js';
import { encodePlan, digestOf } from '../../planner/encode.js';
import validatePlan from '../../schemas/generated/validate-plan.js';
import type { Plan } from '../../schemas/generated/plan.js';

const FIXTURES = new URL('./fixtures/', import.meta.url);
const SNAPSHOTS = new URL('./snapshots/', import.meta.url);
const hooksFixture = (): any => parseJson(readFileSync(new URL('hooks.json', FIXTURES), 'utf8'));
const plan = (cfg: Json, waitForStart = true): Plan => planCreate(cfg, defaultHostFacts('box', '/bundles/box', '/run/planc'), { waitForStart });
const STATE = { ociVersion: '1.2.0', id: 'box', bundle: '/bundles/box', annotations: { 'org.example.team': 'storage' } };

test('each hook becomes one action, with the spec-given status, in config order', () => {
  const hooks = plan(hooksFixture()).actions.filter((a) => a.op.startsWith('hook.'));
  assert.deepEqual(hooks, [
    { stage: 'parent', op: 'hook.prestart', why: '/hooks/prestart/0', path: '/usr/bin/fix-mounts', args: ['fix-mounts', 'arg1', 'arg2'], env: ['key1=value1'], state: { ...STATE, status: 'creating' } },
    { stage: 'parent', op: 'hook.prestart', why: '/hooks/prestart/1', path: '/usr/bin/setup-network', args: ['/usr/bin/setup-network'], env: [], state: { ...STATE, status: 'creating' } },
    { stage: 'parent', op: 'hook.create-runtime', why: '/hooks/createRuntime/0', path: '/usr/bin/fix-mounts', args: ['fix-mounts', 'arg1', 'arg2'], env: ['key1=value1'], state: { ...STATE, status: 'creating' } },
    { stage: 'parent', op: 'hook.create-runtime', why: '/hooks/createRuntime/1', path: '/usr/bin/setup-network', args: ['/usr/bin/setup-network'], env: [], state: { ...STATE, status: 'creating' } },
    { stage: 'init', op: 'hook.create-container', why: '/hooks/createContainer/0', path: '/usr/bin/mount-hook', args: ['-mount', 'arg1', 'arg2'], env: ['key1=value1'], state: { ...STATE, status: 'creating' } },
    { stage: 'init', op: 'hook.start-container', why: '/hooks/startContainer/0', path: '/usr/bin/refresh-ldcache', args: ['/usr/bin/refresh-ldcache'], env: [], state: { ...STATE, status: 'created' } },
    { stage: 'start', op: 'hook.poststart', why: '/hooks/poststart/0', path: '/usr/bin/notify-start', args: ['/usr/bin/notify-start'], env: [], timeout: 5, state: { ...STATE, status: 'running' } },
    { stage: 'delete', op: 'hook.poststop', why: '/hooks/poststop/0', path: '/usr/sbin/cleanup.sh', args: ['cleanup.sh', '-f'], env: [], state: { ...STATE, status: 'stopped' } },
  ]);
});

test('where the hooks sit: after the mounts and the fifo, before pivot_root; startContainer between the wait and the exec; then the CLI stages', () => {
  const ops: string[] = plan(hooksFixture()).actions.map((a) => a.op);
  const around = (op: string, before: number, after: number) => {
    const i = ops.indexOf(op);
    return ops.slice(i - before, i + after + 1);
  };
  assert.deepEqual(around('hook.prestart', 2, 0), ['symlink', 'execfifo.open', 'hook.prestart']);
  assert.deepEqual(around('hook.create-container', 0, 1), ['hook.create-container', 'rootfs.pivot']);
  assert.deepEqual(ops.slice(-6), ['exec.check', 'execfifo.wait', 'hook.start-container', 'exec', 'hook.poststart', 'hook.poststop']);
  // run: no fifo, the startContainer hook right before the exec.
  assert.deepEqual(plan(hooksFixture(), false).actions.map((a) => a.op).slice(-5), ['exec.check', 'hook.start-container', 'exec', 'hook.poststart', 'hook.poststop']);
});

test('no annotations: the state has none; no hooks: no hook action', () => {
  const cfg = hooksFixture();
  delete cfg.annotations;
  const a = plan(cfg).actions.find((x) => x.op === 'hook.poststop')!;
  assert.deepEqual(a.op === 'hook.poststop' && a.state, { ociVersion: '1.2.0', id: 'box', status: 'stopped', bundle: '/bundles/box' });
  delete cfg.hooks;
  assert.equal(plan(cfg).actions.filter((x) => x.op.startsWith('hook.')).length, 0);
});

test('plans with hooks match the plan schema and are deterministic', () => {
  const p = plan(hooksFixture());
  assert.ok(validatePlan(JSON.parse(JSON.stringify(p))), JSON.stringify(validatePlan.errors?.slice(0, 3)));
  assert.equal(digestOf(encodePlan(p)), digestOf(encodePlan(plan(hooksFixture()))));
});

test('explain: which hook, what it runs, where and when (snapshot, UPDATE_SNAPSHOTS=1 rewrites it)', () => {
  const p = plan(hooksFixture());
  const text = explainLines(p).join('\n') + '\n';
  const file = new URL('hooks.explain.txt', SNAPSHOTS);
  if (process.env.UPDATE_SNAPSHOTS === '1') writeFileSync(file, text);
  assert.ok(existsSync(file), 'snapshot hooks.explain.txt is missing (committed; UPDATE_SNAPSHOTS=1 writes it, review the diff)');
  assert.equal(text, readFileSync(file, 'utf8'));
  // A parent stage between init actions: P applies those hooks while the init waits.
  const stages = explainSections(p).map((s) => s.stage);
  assert.deepEqual(stages, ['host', 'clone', 'init', 'parent', 'init', 'start', 'delete']);
  assert.equal(explainSections(p).at(-2)!.title, 'by `planc start`, once your process runs');
  assert.equal(explainSections(p).at(-1)!.title, 'by `planc delete`, once the container is gone');
});

test('audit: a started container has every action but the poststop hooks, which run after the teardown, before the trail is closed', () => {
  const p = plan(hooksFixture());
  const bytes = encodePlan(p);
  const hex = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
  const chain = (recs: object[]) => {
    let prev = hex(bytes);
    return Buffer.from(recs.map((r, n) => {
      const line = JSON.stringify({ n, ...r, prev });
      prev = hex(line);
      return line + '\n';
    }).join(''));
  };
  const header = { trail: 'planc-audit/1', planDigest: digestOf(bytes), containerId: 'box', actions: p.actions.length, t: 1 };
  const rec = (i: number, r = 'ok') => ({ i, op: p.actions[i]!.op, stage: p.actions[i]!.stage, r, t: 1 });
  const exec = p.actions.findIndex((a) => a.op === 'exec');
  const poststart = p.actions.findIndex((a) => a.op === 'hook.poststart');
  const poststop = p.actions.findIndex((a) => a.op === 'hook.poststop');
  const upTo = (n: number) => Array.from({ length: n }, (_, i) => rec(i));
  const started = [header, ...upTo(exec), rec(exec, 'pending'), rec(exec), rec(poststart)];
  assert.deepEqual(verifyTrail(bytes, chain(started), { live: 'running' }).problems, []);
  assert.deepEqual(verifyTrail(bytes, chain(started.slice(0, -1)), { live: 'running' }).problems, [`action ${poststart} (hook.poststart) is missing from the trail: the container was started`]);
  assert.deepEqual(verifyTrail(bytes, chain([...started, rec(poststop)]), { live: 'running' }).problems, [`action ${poststop} (hook.poststop) is recorded, but the container was not deleted`]);
  // The plan the native front's delete writes for a stopped container without cgroups (cli/native/teardown.c).
  const del = { planVersion: 1, kind: 'delete', containerId: 'box', actions: [{ op: 'state.remove', why: 'runtime:delete', path: '/run/planc/box' }] };
  const by = { uid: 0, pid: 2, command: 'planc delete box' };
  const deleted = (withPoststop: boolean) => [...started, { plan: del, by, t: 1 }, { of: started.length, i: 0, op: 'state.remove', r: 'ok', t: 1 }, ...(withPoststop ? [rec(poststop)] : []), { final: true, t: 1 }];
  assert.deepEqual(verifyTrail(bytes, chain(deleted(true))).problems, []);
  assert.deepEqual(verifyTrail(bytes, chain(deleted(false))).problems, [`action ${poststop} (hook.poststop) is missing from the trail: the container was deleted`]);
  const wait = p.actions.findIndex((a) => a.op === 'execfifo.wait');
  assert.deepEqual(verifyTrail(bytes, chain([header, ...upTo(wait)]), { live: 'created' }).problems, []);
});

test('features lists the six hooks', () => {
  assert.deepEqual((features() as { hooks: string[] }).hooks, ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']);
});
