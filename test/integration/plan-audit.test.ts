// Plans are deterministic, the stored plan is the one `planc plan` prints, and
// the audit log of a container matches it action for action.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { auditProblems, decodePlan, gated, leftovers, NEEDS_ROOT, Planc, sha256, verifyAudit, verifyStartedAudit } from '../helpers/planc.js';

const pc = new Planc();
after(() => pc.cleanup());
const skip = NEEDS_ROOT;

const bytesOf = (r: { stdoutFile: string }) => readFileSync(r.stdoutFile);

test('plan --format json is byte-identical across runs, and so is --digest', { skip }, () => {
  const bundle = pc.bundle(['sh', '-c', 'echo hi'], (c) => (c.linux.resources.memory = { limit: 67108864 }));
  const a = pc.ok(['plan', '--bundle', bundle, '--format', 'json']);
  const b = pc.ok(['plan', '--bundle', bundle, '--format', 'json']);
  assert.ok(a.stdout.length > 1000, 'a real plan was printed');
  assert.equal(a.stdout, b.stdout);
  const d1 = pc.ok(['plan', '--bundle', bundle, '--digest']).stdout;
  const d2 = pc.ok(['plan', '--bundle', bundle, '--digest']).stdout;
  assert.match(d1, /^sha256:[0-9a-f]{64}\n$/);
  assert.equal(d1, d2);
  const parsed = JSON.parse(a.stdout);
  assert.equal(parsed.digest, d1.trim(), 'the JSON carries the same digest');
  assert.ok(parsed.plan.actions.some((x: { op: string; file?: string; value?: string }) => x.op === 'cgroup.write' && x.file === 'memory.limit_in_bytes' && x.value === '67108864'));
});

test('the digest depends on the input: another id or another config gives another digest', { skip }, () => {
  const bundle = pc.bundle(['sh', '-c', 'echo hi']);
  const base = pc.ok(['plan', '--bundle', bundle, '--id', 'one', '--digest']).stdout;
  assert.notEqual(pc.ok(['plan', '--bundle', bundle, '--id', 'two', '--digest']).stdout, base);
  assert.notEqual(pc.ok(['plan', '--bundle', bundle, '--id', 'one', '--run', '--digest']).stdout, base, '--run plans no wait for start');
  const other = pc.bundle(['sh', '-c', 'echo ho']);
  assert.notEqual(pc.ok(['plan', '--bundle', other, '--id', 'one', '--digest']).stdout, base);
});

test('plan --digest is the sha256 of the plan --format msgpack bytes, which decode to the JSON plan', { skip }, () => {
  const bundle = pc.bundle(['sh', '-c', 'echo hi']);
  const digest = pc.ok(['plan', '--bundle', bundle, '--digest']).stdout.trim();
  const msgpack = bytesOf(pc.ok(['plan', '--bundle', bundle, '--format', 'msgpack']));
  assert.ok(msgpack.length > 100);
  assert.equal(sha256(msgpack), digest);
  const json = JSON.parse(pc.ok(['plan', '--bundle', bundle, '--format', 'json']).stdout);
  const decoded = decodePlan(msgpack);
  assert.equal(decoded.actions.length, json.plan.actions.length);
  assert.deepEqual(decoded.actions.map((a) => [a.stage, a.op, a.why]), json.plan.actions.map((a: { stage: string; op: string; why: string }) => [a.stage, a.op, a.why]));
});

test('create: the stored plan is byte-identical to `plan --id <id> --root <root>`, and the audit log verifies', { skip }, async (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['sleep', '100']);
  pc.ok(['create', '--bundle', bundle, id]);
  const files = pc.stateFiles(id);
  const stored = readFileSync(files.plan);
  const planned = bytesOf(pc.ok(['plan', '--bundle', bundle, '--id', id, '--format', 'msgpack']));
  assert.ok(stored.equals(planned), `stored plan.msgpack ${sha256(stored)} != planc plan --format msgpack ${sha256(planned)}`);
  assert.equal(sha256(stored), pc.ok(['plan', '--bundle', bundle, '--id', id, '--digest']).stdout.trim());
  const { plan, records } = verifyAudit(pc.root, id, { expect: 'created' });
  assert.equal(plan.containerId, id);
  assert.equal(JSON.parse(readFileSync(files.state, 'utf8')).planDigest, sha256(stored), 'state.json names the same plan');
  // Before start, the init has not passed the wait.
  assert.ok(!records.some((r) => r.op === 'exec' || r.op === 'execfifo.wait'));

  pc.ok(['start', id]);
  const after = await verifyStartedAudit(pc.root, id);
  assert.equal(after.records.at(-1)!.op, 'exec');
  assert.ok(readFileSync(files.plan).equals(stored), 'start does not change the stored plan');
  pc.ok(['delete', '--force', id]);
  leftovers(pc.root, id, bundle);
});

test('run: the stored plan digest equals `plan --run --id <id> --root <root>` and the audit log verifies', { skip }, async (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(gated('exit 0'), (c) => (c.linux.resources.pids = { limit: 50 }));
  const runDigest = pc.ok(['plan', '--run', '--bundle', bundle, '--id', id, '--digest']).stdout.trim();
  const r = await pc.runGated(id, bundle);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.audit, 'the run was audited');
  const { plan, planBytes, records } = r.audit;
  assert.equal(sha256(planBytes), runDigest, 'foreground run stored the plan `plan --run` prints');
  assert.notEqual(pc.ok(['plan', '--bundle', bundle, '--id', id, '--digest']).stdout.trim(), runDigest, 'a run plan is not the create plan');
  assert.ok(!plan.actions.some((a) => a.op === 'execfifo.wait'), 'run plans no wait for start');
  // Every action was applied by P or C, in plan order.
  assert.deepEqual(records.map((rec) => rec.i), plan.actions.map((_, i) => i));
  assert.ok(records.some((rec) => rec.op === 'cgroup.write' && rec.r === 'ok'));
  leftovers(pc.root, id, bundle);
});

test('run --detach: the stored plan is `plan --run --detach --id <id> --root <root>`, and the audit log verifies', { skip }, async (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['sleep', '100']);
  pc.ok(['run', '--detach', '--bundle', bundle, id]);
  const { planBytes } = await verifyStartedAudit(pc.root, id);
  const detached = bytesOf(pc.ok(['plan', '--run', '--detach', '--bundle', bundle, '--id', id, '--format', 'msgpack']));
  assert.ok(Buffer.from(planBytes).equals(detached), `stored ${sha256(planBytes)} != plan --run --detach ${sha256(detached)}`);
  const header = JSON.parse(readFileSync(pc.stateFiles(id).audit, 'utf8').split('\n')[0]!);
  assert.equal(header.planDigest, sha256(detached));
  pc.ok(['delete', '--force', id]);
  leftovers(pc.root, id, bundle);
});

test('plan --engine wasm gives the same bytes as --engine js (create, run, run --detach)', { skip }, () => {
  const bundle = pc.bundle(['sh', '-c', 'echo hi'], (c) => (c.linux.resources.memory = { limit: 67108864 }));
  const probe = pc.run(['plan', '--bundle', bundle, '--engine', 'wasm', '--digest']);
  // scripts/build.mjs always builds dist/planner.wasm: a missing WebAssembly planner is a failure.
  assert.equal(probe.code, 0, `plan --engine wasm works: ${probe.stderr.trim()}`);
  for (const mode of [[], ['--run'], ['--run', '--detach']]) {
    const js = bytesOf(pc.ok(['plan', '--bundle', bundle, '--id', 'same', ...mode, '--engine', 'js', '--format', 'msgpack']));
    const wasm = bytesOf(pc.ok(['plan', '--bundle', bundle, '--id', 'same', ...mode, '--engine', 'wasm', '--format', 'msgpack']));
    assert.equal(sha256(wasm), sha256(js), `plan ${mode.join(' ') || '(create)'}: wasm and js engines disagree`);
  }
});

test('the audit verifier accepts the real log and rejects every kind of tampering', { skip }, async (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['sleep', '100']);
  pc.ok(['run', '--detach', '--bundle', bundle, id]);
  await verifyStartedAudit(pc.root, id);
  const planBytes = readFileSync(pc.stateFiles(id).plan);
  const text = readFileSync(pc.stateFiles(id).audit, 'utf8');
  pc.ok(['delete', '--force', id]);
  leftovers(pc.root, id, bundle);

  const started = { expect: 'started' as const };
  assert.deepEqual(auditProblems(planBytes, text, started), [], 'the untampered log verifies');

  const lines = text.trimEnd().split('\n');
  const edit = (fn: (ls: string[]) => string[]) => fn([...lines]).join('\n') + '\n';
  const okLine = lines.findIndex((l, k) => k > 0 && /"op":"cgroup\.create"/.test(l));
  const skipped = lines.findIndex((l) => /"r":"skipped"/.test(l));
  assert.ok(okLine > 0 && skipped > 0, 'the log has ok and skipped records to tamper with');

  const tampered: Record<string, string> = {
    'an op renamed': edit((ls) => ((ls[okLine] = ls[okLine]!.replace('"op":"cgroup.create"', '"op":"cgroup.remove"')), ls)),
    'a stage changed': edit((ls) => ((ls[okLine] = ls[okLine]!.replace('"stage":"host"', '"stage":"init"')), ls)),
    'a line dropped': edit((ls) => (ls.splice(okLine, 1), ls)),
    'the exec record dropped': edit((ls) => ls.slice(0, -1)),
    'two lines swapped': edit((ls) => ([ls[okLine], ls[okLine + 1]] = [ls[okLine + 1]!, ls[okLine]!], ls)),
    'a line duplicated': edit((ls) => (ls.splice(okLine, 0, ls[okLine]!), ls)),
    'an index out of range': edit((ls) => [...ls, JSON.stringify({ i: 100000, op: 'exec', stage: 'init', r: 'ok', t: 1 })]),
    'an error record': edit((ls) => ((ls[okLine] = ls[okLine]!.replace('"r":"ok"', '"r":"error","errno":13')), ls)),
    'a required action marked skipped': edit((ls) => ((ls[okLine] = ls[okLine]!.replace('"r":"ok"', '"r":"skipped"')), ls)),
    'another plan digest': edit((ls) => ((ls[0] = ls[0]!.replace(/sha256:[0-9a-f]{4}/, 'sha256:0000')), ls)),
    'another container id': edit((ls) => ((ls[0] = ls[0]!.replace(`"containerId":"${id}"`, '"containerId":"other"')), ls)),
    'a wrong action count': edit((ls) => ((ls[0] = ls[0]!.replace(/"actions":\d+/, '"actions":1')), ls)),
    'a garbage line': edit((ls) => (ls.splice(okLine, 0, 'not json'), ls)),
  };
  for (const [what, bad] of Object.entries(tampered)) {
    assert.notEqual(bad, text, `${what}: the tampering changed the log`);
    assert.ok(auditProblems(planBytes, bad, started).length > 0, `${what}: the verifier must reject it`);
  }
  // A log that is fine for a created container is not fine for a started one, and vice versa.
  const created = edit((ls) => ls.filter((l) => !/"op":"(exec|execfifo\.wait)"/.test(l)));
  assert.ok(auditProblems(planBytes, created, started).length > 0, 'missing exec: not a started container');
  // The plan bytes themselves: one flipped byte changes the digest.
  const flipped = Buffer.from(planBytes);
  flipped[flipped.length - 1] = flipped[flipped.length - 1]! ^ 1;
  assert.ok(auditProblems(flipped, text, started).length > 0, 'a tampered plan.msgpack no longer matches the header digest');
});
