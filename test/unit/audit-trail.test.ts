// The audit verifier (planner/audit.ts) on trails built here the way the
// executor and planc write them: a hash chain anchored in the plan bytes.
// Each kind of tampering is named at its first broken link; a faithful trail
// of every kind of life (created, started and deleted, failed and undone,
// killed) verifies. Hashes here come from node:crypto, not from the
// verifier's own sha256.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey, generateKeyPairSync, sign, verify as verifySig } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseJson } from '../../planner/json.js';
import { planCreate } from '../../planner/plan.js';
import { encodePlan } from '../../planner/encode.js';
import { defaultHostFacts } from '../../planner/host-facts.js';
import { verifyTrail, type VerifyOptions } from '../../planner/audit.js';
import validateAudit from '../../schemas/generated/validate-audit.js';

const config = parseJson(readFileSync(new URL('./fixtures/default.json', import.meta.url), 'utf8'));
const plan = planCreate(config, defaultHostFacts('box', '/bundles/box', '/run/planc'));
const planBytes = encodePlan(plan);
const otherPlan = encodePlan(planCreate(config, defaultHostFacts('box', '/bundles/other', '/run/planc')));
const hex = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
const T = 1_700_000_000_000_000;
const wait = plan.actions.findIndex((a) => a.op === 'execfifo.wait');
const exec = plan.actions.findIndex((a) => a.op === 'exec');
const by = { uid: 0, pid: 4242, command: 'planc delete box', parent: { pid: 1, command: 'containerd-shim' } };

/** Chain records as the writers do: "n" first, "prev" last, the header's prev the plan's sha256. */
function chain(recs: object[], planFor: Uint8Array = planBytes): string[] {
  const lines: string[] = [];
  let prev = hex(planFor);
  recs.forEach((r, n) => {
    const line = JSON.stringify({ n, ...r, prev });
    lines.push(line);
    prev = hex(line);
  });
  return lines;
}
const text = (lines: string[]) => Buffer.from(lines.map((l) => l + '\n').join(''));

const header = { trail: 'planc-audit/1', planDigest: `sha256:${hex(planBytes)}`, containerId: 'box', actions: plan.actions.length, t: T };
const act = (i: number, r = 'ok', extra: object = {}) => ({ i, op: plan.actions[i]!.op, stage: plan.actions[i]!.stage, r, t: T + i, ...extra });
/** The executor's part of a create that waits for start. */
const created = () => [header, ...plan.actions.slice(0, wait).map((_, i) => act(i))];
/** …then started: the wait, the exec pending, confirmed by `start`. */
const started = () => [...created(), act(wait), act(exec, 'pending'), act(exec, 'ok', { by: 'start' })];
const facts = { containerId: 'box', stateDir: '/run/planc/box', init: { pid: 4321, startTime: '123456' }, cgroups: [{ path: '/sys/fs/cgroup/pids/planc/box', ino: 77, made: true }] };
/** The plan `planc kill` (the native front) writes for facts like these: a literal, as the front makes it. */
const killPlan = (all: boolean) => ({
  planVersion: 1,
  kind: 'kill',
  containerId: 'box',
  actions: [
    ...(all ? [{ op: 'freezer', why: 'runtime:kill --all', state: 'FROZEN' }] : []),
    { op: 'signal', why: all ? 'runtime:kill --all' : 'runtime:kill', pid: 4321, startTime: '123456', signal: 15, name: 'SIGTERM' },
    ...(all
      ? [
          { op: 'cgroup.signal', why: 'runtime:kill --all', path: '/sys/fs/cgroup/pids/planc/box', ino: 77, signal: 15, name: 'SIGTERM' },
          { op: 'freezer', why: 'runtime:kill --all', state: 'THAWED' },
        ]
      : []),
  ],
});
/** The plan the native front's teardown (cli/native/teardown.c) writes for facts like these: a literal, as the front makes it. */
const teardownPlan = (kind: 'delete' | 'undo' | 'exit', has: { init: boolean; cgroups: boolean }) => {
  const why = kind === 'exit' ? 'runtime:run' : `runtime:${kind}`;
  const cg = { path: '/sys/fs/cgroup/pids/planc/box', ino: 77 };
  return {
    planVersion: 1,
    kind,
    containerId: 'box',
    actions: [
      ...(has.init ? [{ op: 'signal', why, pid: 4321, startTime: '123456', signal: 9, name: 'SIGKILL' }] : []),
      ...(has.cgroups ? [{ op: 'cgroup.kill', why, ...cg }, { op: 'cgroup.remove', why, ...cg }] : []),
      { op: 'state.remove', why, path: '/run/planc/box' },
    ],
  };
};
/** A small plan and a record per action. */
function lifecycle(p: { actions: { op: string }[] }, at: number, extra: object = {}): object[] {
  return [{ plan: p, by, t: T + 1000, ...extra }, ...p.actions.map((a, i) => ({ of: at, i, op: a.op, r: 'ok', t: T + 1001 + i }))];
}
/** Started, killed, deleted, closed. */
function lifeLines(): string[] {
  const recs: object[] = started();
  const kill = killPlan(false);
  recs.push(...lifecycle(kill, recs.length));
  const del = teardownPlan('delete', { init: false, cgroups: true });
  recs.push(...lifecycle(del, recs.length, { status: 'stopped' }));
  recs.push({ final: true, t: T + 2000 });
  return chain(recs);
}

function check(bytes: Buffer, opts: VerifyOptions = {}, planFor = planBytes) {
  const v = verifyTrail(planFor, bytes, opts);
  assert.ok(validateAudit({ ok: v.ok, trails: [{ ...v, source: 'test' }] }), `the verdict matches schemas/audit.schema.json: ${JSON.stringify(validateAudit.errors)}`);
  return v;
}

test('a faithful trail verifies: created, started, killed, deleted, closed', () => {
  const c = check(text(chain(created())), { live: 'created' });
  assert.deepEqual(c.problems, []);
  assert.equal(c.state, 'open');
  const s = check(text(chain(started())), { live: 'running' });
  assert.deepEqual(s.problems, []);
  const life = check(text(lifeLines()));
  assert.deepEqual(life.problems, []);
  assert.equal(life.ok, true);
  assert.equal(life.state, 'closed');
  assert.equal(life.applied, exec + 1, 'every action once, the exec counted at its confirmation');
  assert.deepEqual(life.lifecycle.map((l) => [l.kind, l.actions, l.applied]), [['kill', 1, 1], ['delete', 3, 3]]);
  assert.deepEqual(life.deleted, { t: T + 1000, by });
  assert.equal(life.signature, 'unsigned');
  assert.equal(life.head, hex(lifeLines().at(-1)!));
});

test('a created container deleted before start, and a failed create undone, verify', () => {
  const recs: object[] = created();
  recs.push(...lifecycle(teardownPlan('delete', { init: true, cgroups: true }), recs.length), { final: true, t: T + 3000 });
  assert.deepEqual(check(text(chain(recs))).problems, []);
  const failed: object[] = [header, act(0), act(1), act(2, 'error', { errno: 13, msg: 'mkdir: permission denied' })];
  failed.push(...lifecycle(teardownPlan('undo', { init: false, cgroups: true }), failed.length), { final: true, t: T + 3000 });
  const v = check(text(chain(failed)));
  assert.deepEqual(v.problems, []);
  assert.equal(v.failed, `action 2 (cgroup.create, from /linux/cgroupsPath) failed: mkdir: permission denied`);
});

test('an executor that could not write even its header: the undo comes first, anchored in the plan, and says why', () => {
  const reason = 'write the audit header: input/output error (/x/1.audit.jsonl): nothing is applied that cannot be recorded, so the create was stopped and undone';
  const undo = teardownPlan('undo', { init: false, cgroups: false });
  const v = check(text(chain([...lifecycle(undo, 0, { reason }), { final: true, t: T }])));
  assert.deepEqual(v.problems, []);
  assert.equal(v.failed, reason);
  const kill = killPlan(false);
  assert.match(check(text(chain([...lifecycle(kill, 0), { final: true, t: T }]))).problems.join('\n'), /line 0 is not the executor's header/);
});

test('a foreground run: the exec confirmed by the executor, the exit recorded, the run taken apart', () => {
  const runPlan = planCreate(config, defaultHostFacts('box', '/bundles/box', '/run/planc'), { waitForStart: false, foreground: true });
  const bytes = encodePlan(runPlan);
  const e = runPlan.actions.length - 1;
  const recs: object[] = [{ ...header, planDigest: `sha256:${hex(bytes)}`, actions: runPlan.actions.length }, ...runPlan.actions.map((a, i) => ({ i, op: a.op, stage: a.stage, r: i === e ? 'pending' : 'ok', t: T }))];
  recs.push({ i: e, op: 'exec', stage: 'init', r: 'ok', t: T, by: 'executor' }, { event: 'exited', signal: 'SIGKILL' });
  recs.push(...lifecycle(teardownPlan('exit', { init: false, cgroups: true }), recs.length), { final: true, t: T });
  const v = check(text(chain(recs, bytes)), {}, bytes);
  assert.deepEqual(v.problems, []);
  assert.deepEqual(v.outcome, { signal: 'SIGKILL' });
});

// Each tampering, and the first broken link it must be named by.
test('tampering is named at its first broken link: edited, removed, reordered, truncated, garbled, appended, a swapped plan', () => {
  const good = lifeLines();
  const k = 5; // a cgroup.create record in the middle
  const cases: [string, Buffer, Uint8Array, { kind: string; line: number; message: RegExp }][] = [
    ['a record edited (its result)', text(good.map((l, n) => (n === k ? l.replace('"r":"ok"', '"r":"skipped"') : l))), planBytes, { kind: 'edited', line: k, message: /^line 5 was changed after it was written/ }],
    ['the header edited (its container id)', text(good.map((l, n) => (n === 0 ? l.replace('"containerId":"box"', '"containerId":"bax"') : l))), planBytes, { kind: 'edited', line: 0, message: /^line 0 was changed/ }],
    ['a record removed', text(good.filter((_, n) => n !== k)), planBytes, { kind: 'removed', line: k, message: /^line 5 is numbered 6: line 5 was removed/ }],
    ['three records removed', text(good.filter((_, n) => n < k || n > k + 2)), planBytes, { kind: 'removed', line: k, message: /lines 5 to 7 were removed/ }],
    ['two records swapped', text(good.map((l, n) => (n === k ? good[k + 1]! : n === k + 1 ? good[k]! : l))), planBytes, { kind: 'reordered', line: k, message: /^line 5 is numbered 6: lines were moved or repeated/ }],
    ['a record repeated', text([...good.slice(0, k + 1), good[k]!, ...good.slice(k + 1)]), planBytes, { kind: 'reordered', line: k + 1, message: /line 6 is numbered 5/ }],
    ['the closing record cut off', text(good.slice(0, -1)), planBytes, { kind: 'truncated', line: good.length - 1, message: /without its closing record/ }],
    ['the delete and close cut off', text(good.slice(0, 20)), planBytes, { kind: 'truncated', line: 20, message: /ends at line 19 without its closing record/ }],
    ['cut in the middle of a record', text(good).subarray(0, text(good).length - 10), planBytes, { kind: 'truncated', line: good.length - 1, message: /cut short/ }],
    ['a garbage line', text([...good.slice(0, k), 'not json', ...good.slice(k)]), planBytes, { kind: 'garbled', line: k, message: /^line 5 is not a JSON record/ }],
    ['a record appended after the close', text([...good, JSON.stringify({ n: good.length, i: 0, op: 'cgroup.create', stage: 'host', r: 'ok', t: T, prev: hex(good.at(-1)!) })]), planBytes, { kind: 'after-close', line: good.length, message: /comes after the closing record/ }],
    ['the plan swapped for another', text(good), otherPlan, { kind: 'plan', line: 0, message: /^the plan is not the one the records were made from: the trail was made from sha256:[0-9a-f]{64}, the stored plan is sha256:/ }],
  ];
  for (const [what, bytes, planFor, want] of cases) {
    const v = check(bytes, {}, planFor);
    assert.equal(v.ok, false, `${what}: must not verify`);
    assert.ok(v.broken, `${what}: a broken link is named`);
    assert.equal(v.broken.kind, want.kind, `${what}: ${v.broken.message}`);
    assert.equal(v.broken.line, want.line, `${what}: ${v.broken.message}`);
    assert.match(v.broken.message, want.message, what);
    assert.equal(v.problems[0], v.broken.message, `${what}: the first problem is the broken link`);
  }
  console.log(`audit: ${cases.length} kinds of tampering named at their first broken link`);
});

test('the closing record signed with Ed25519: valid with the right key; an edited close, a forged signature or another key is caught', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const other = generateKeyPairSync('ed25519');
  const fp = (k: ReturnType<typeof createPublicKey>) => `sha256:${hex(k.export({ format: 'der', type: 'spki' }))}`;
  const good = lifeLines();
  const signed = (lines: string[], key = privateKey) => [...lines, JSON.stringify({ sig: sign(null, Buffer.from(lines.at(-1)!), key).toString('base64'), alg: 'ed25519', key: fp(createPublicKey(key)) })];
  const verify = (pub: ReturnType<typeof createPublicKey>): VerifyOptions['verify'] => (line, s) => verifySig(null, line, pub, Buffer.from(s.sig, 'base64'));
  const ok = check(text(signed(good)), { verify: verify(publicKey) });
  assert.deepEqual(ok.problems, []);
  assert.equal(ok.signature, 'valid');
  assert.equal(ok.signer, fp(publicKey));
  assert.equal(check(text(signed(good))).signature, 'unchecked', 'no key given: signed, not checked');

  // The closing record is the head of the chain: only the signature protects it.
  const editedClose = signed(good);
  editedClose[editedClose.length - 2] = editedClose.at(-2)!.replace(`"t":${T + 2000}`, `"t":${T + 9999}`);
  const cases: [string, string[], VerifyOptions['verify'], RegExp][] = [
    ['the closing record edited after signing', editedClose, verify(publicKey), /signature of the closing record \(line \d+\) does not verify/],
    ['a signature by another key', signed(good, other.privateKey), verify(publicKey), /does not verify/],
    ['a forged signature', [...good, JSON.stringify({ sig: Buffer.alloc(64, 7).toString('base64'), alg: 'ed25519', key: fp(publicKey) })], verify(publicKey), /does not verify/],
    ['no signature where one is required', good, verify(publicKey), /^the trail is not signed$/],
  ];
  for (const [what, lines, v, want] of cases) {
    const r = check(text(lines), { verify: v });
    assert.equal(r.ok, false, what);
    assert.match(r.problems.join('\n'), want, what);
  }
  // Rewriting the whole trail and rechaining it fools a chain (anyone can hash) but not the signature.
  const forged = chain(JSON.parse(`[${good.map((l) => l.replace(/,"prev":"[0-9a-f]{64}"\}$/, '}').replace(/^\{"n":\d+,/, '{')).join(',')}]`).map((r: { r?: string; i?: number }) => (r.i === 5 && r.r ? { ...r, r: 'skipped' } : r)));
  assert.equal(check(text(forged)).broken, undefined, 'a rechained forgery passes the chain');
  const withOldSig = [...forged, signed(good).at(-1)!];
  assert.match(check(text(withOldSig), { verify: verify(publicKey) }).problems.join('\n'), /does not verify/, 'but not the signature of the real trail');
  console.log(`audit: ${cases.length + 1} signature cases`);
});

test('what the records say: wrong ops, a missing action, an unconfirmed exec, a small plan not followed', () => {
  const base = started();
  const problems = (recs: object[], opts: VerifyOptions = { live: 'running' }) => check(text(chain(recs)), opts).problems.join('\n');
  assert.match(problems(base.map((r, n) => (n === 3 ? { ...r, op: 'hostname' } : r))), /line 3: action 2 is host cgroup.create in the plan, but the record says host hostname/);
  assert.match(problems(base.filter((_, n) => n !== 4)), /line 4: action 4 recorded, but action 3 is missing before it/);
  assert.match(problems(base.slice(0, -1)), /the exec \(action \d+\) is pending: its outcome was never recorded/);
  assert.match(problems(created(), { live: 'running' }), /the container was started, but its exec \(action \d+\) is missing/);
  assert.match(problems([...created(), act(wait)], { live: 'created' }), /execfifo.wait\) is recorded, but the container was not started/);
  assert.match(problems(base.map((r, n) => (n === 6 ? { ...r, r: 'skipped', why: 'x' } : r))), /action 5 \(cgroup.create\) was skipped, which it may not be/);
  assert.match(problems([...base, { i: plan.actions.length, op: 'mount', stage: 'init', r: 'ok', t: T }]), /not in the plan/);
  // A kill --all plan (freeze, signal the init, signal the cgroup, thaw) whose record names another action.
  const kill = killPlan(true);
  assert.deepEqual(kill.actions.map((a) => a.op), ['freezer', 'signal', 'cgroup.signal', 'freezer']);
  const recs: object[] = [...base, { plan: kill, by, t: T }];
  recs.push({ of: base.length, i: 2, op: 'signal', r: 'ok', t: T });
  assert.match(problems(recs), /action 2 of the kill plan is cgroup.signal, the record says signal/);
  assert.match(problems(recs), /action 2 of the kill plan recorded where action 0 was due/);
  // A closed trail whose delete plan stops half-way without a failure.
  const half: object[] = [...base, { plan: teardownPlan('delete', { init: true, cgroups: true }), by, t: T }, { of: base.length, i: 0, op: 'signal', r: 'ok', t: T }, { final: true, t: T }];
  assert.match(problems(half, {}), /the delete plan of line \d+ has records for 1 of its 4 actions/);
  // A plan that is not a plan planc makes.
  assert.match(problems([...base, { plan: { kind: 'delete', actions: [{ op: 'rm -rf /' }] }, by, t: T }]), /not a plan planc makes/);
});
