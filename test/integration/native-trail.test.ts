// The native front's trail writer (cli/native/trail.c, through its test
// program build/test/planc-trail) on a real container's trail: a kill plan
// written and recorded by C between planc start and planc delete (the
// TypeScript's) chains into the trail the others keep writing, and `planc
// audit` verifies the whole, signed at delete. Root: real containers.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditReport } from '../../schemas/generated/audit.js';
import type { LifecyclePlan } from '../../schemas/generated/lifecycle.js';
import { loadRecord } from '../../cli/state/store.js';
import { ContainerDir, StateRoot } from '../../cli/state/gate.js';
import { leftovers, NEEDS_ROOT, Planc, REPO, trailPath } from '../helpers/planc.js';

const BIN = join(REPO, 'build/test/planc-trail');
const pc = new Planc();
after(() => pc.cleanup());

test('a kill written by the native trail writer between planc start and planc delete: planc audit verifies the trail, signed at delete', { skip: NEEDS_ROOT }, async (t) => {
  const keys = pc.scratchPath('keys');
  mkdirSync(keys, { recursive: true });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  writeFileSync(join(keys, 'sign.pem'), privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  writeFileSync(join(keys, 'verify.pem'), publicKey.export({ format: 'pem', type: 'spki' }));
  const id = pc.id(t);
  const bundle = pc.bundle(['sleep', '100']);
  pc.ok(['create', '--bundle', bundle, id]);
  pc.ok(['start', id]);

  // The kill plan as cli/native/kill.c makes it for `planc kill ID KILL`, from the container's own record.
  const root = StateRoot.open(pc.root)!;
  const dir = ContainerDir.open(root, id);
  const rec = loadRecord(dir);
  dir.close();
  root.close();
  const plan: LifecyclePlan = { planVersion: 1, kind: 'kill', containerId: id, actions: [{ op: 'signal', why: 'runtime:kill', pid: rec.pid, startTime: rec.startTime, signal: 9, name: 'SIGKILL' }] };

  // C writes the plan; the signal is sent; C (opened afresh, at its own head) records it.
  const before = readFileSync(trailPath(pc.root, id, 1), 'utf8').split('\n').length - 1;
  const p = spawnSync(BIN, [pc.root, id, 'plan', JSON.stringify(plan), 'caller', '{}'], { encoding: 'utf8' });
  assert.equal(p.stderr, '');
  assert.equal(p.stdout, `of ${before}\n`);
  process.kill(rec.pid, 'SIGKILL');
  const r = spawnSync(BIN, [pc.root, id, 'record', String(before), '0', 'signal', 'ok', '{}'], { encoding: 'utf8' });
  assert.equal(r.stderr, '');
  assert.equal(r.stdout, 'ok\n');
  await pc.waitStatus(id, 'stopped');

  pc.ok(['--audit-sign-key', join(keys, 'sign.pem'), 'delete', id]);
  leftovers(pc.root, id, bundle);
  const a = pc.run(['audit', id, '--verify-key', join(keys, 'verify.pem'), '--json']);
  assert.equal(a.code, 0, a.stdout + a.stderr);
  const report = JSON.parse(a.stdout) as AuditReport;
  const trail = report.trails[0]!;
  assert.deepEqual(trail.problems, []);
  assert.equal(trail.state, 'closed');
  assert.equal(trail.signature, 'valid');
  assert.deepEqual(trail.lifecycle.map((l) => [l.kind, l.actions === l.applied]), [['kill', true], ['delete', true]], 'each small plan followed action for action');
  const killLine = JSON.parse(readFileSync(trailPath(pc.root, id, 1), 'utf8').split('\n')[before]!);
  assert.equal(killLine.by.command, `planc kill ${id}`);
  assert.equal(killLine.by.parent.pid, process.pid);
});
