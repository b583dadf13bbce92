// The durable audit store, end to end (docs/audit.md): trails outlive their
// containers (after a foreground run, after delete), `planc audit ID | --all
// | PATH` verifies them, a signed trail verifies with the public key only,
// an edited copy is named at its first broken link, and an id used twice has
// two trails.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import validateAudit from '../../schemas/generated/validate-audit.js';
import type { AuditReport } from '../../schemas/generated/audit.js';
import { gated, leftovers, NEEDS_ROOT, openGate, Planc, trailPath } from '../helpers/planc.js';

const pc = new Planc();
after(() => pc.cleanup());
const skip = NEEDS_ROOT;

function audit(args: string[], code = 0): AuditReport {
  const r = pc.run(['audit', ...args, '--json']);
  assert.equal(r.code, code, `planc audit ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  const report = JSON.parse(r.stdout) as AuditReport;
  assert.ok(validateAudit(report), `--json matches schemas/audit.schema.json: ${JSON.stringify(validateAudit.errors)}`);
  return report;
}

test('after a foreground run has exited, its trail is in the store: closed, the exit status recorded, verified', { skip }, async (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(gated('exit 7'));
  const p = pc.spawn(['run', '--bundle', bundle, id]);
  await new Promise((r) => setTimeout(r, 200));
  openGate(bundle);
  const r = await p.done;
  assert.equal(r.code, 7, r.stderr);
  leftovers(pc.root, id, bundle);
  const report = audit([id]);
  assert.equal(report.ok, true, JSON.stringify(report.trails[0]?.problems));
  const [trail] = report.trails;
  assert.equal(trail!.state, 'closed');
  assert.equal(trail!.seq, 1);
  assert.deepEqual(trail!.outcome, { code: 7 });
  assert.deepEqual(trail!.lifecycle.map((l) => l.kind), ['exit']);
  assert.equal(trail!.source, trailPath(pc.root, id, 1));
  const text = pc.ok(['audit', id]).stdout;
  assert.match(text, /^ok: \d+ applied, \d+ skipped, 0 problems; .* #1, closed; exited with status 7; signature unsigned\n/);
});

test('after create, start, kill and delete: the trail names each step and who deleted it; --all and PATH find it too', { skip }, async (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['sleep', '100']);
  pc.ok(['create', '--bundle', bundle, id]);
  assert.equal(audit([id]).trails[0]!.state, 'open');
  assert.equal(audit([id]).trails[0]!.live, 'created');
  pc.ok(['start', id]);
  pc.ok(['kill', id, 'KILL']);
  await pc.waitStatus(id, 'stopped');
  pc.ok(['delete', id]);
  leftovers(pc.root, id, bundle);
  const report = audit([id]);
  assert.equal(report.ok, true, JSON.stringify(report.trails[0]?.problems));
  const trail = report.trails[0]!;
  assert.equal(trail.state, 'closed');
  assert.deepEqual(trail.lifecycle.map((l) => [l.kind, l.actions === l.applied]), [['kill', true], ['delete', true]]);
  assert.ok(trail.deleted, 'who deleted it');
  assert.equal(trail.deleted.by.uid, 0);
  assert.match(trail.deleted.by.command, new RegExp(`^planc --root \\S+ delete ${id}$`));
  assert.equal(trail.deleted.by.parent?.pid, process.pid, 'the caller of planc delete: this test');
  // The same trail through --all and through paths: the trail file, and the id's directory.
  assert.ok(audit(['--all']).trails.some((x) => x.source === trail.source && x.ok));
  assert.deepEqual(audit([trail.source]).trails.map((x) => [x.ok, x.state]), [[true, 'closed']]);
  assert.deepEqual(audit([join(pc.auditDir, id) + '/']).trails.map((x) => x.seq), [1]);
});

test('an id used twice has two trails; planc audit ID verifies both, delete never removes one', { skip }, (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['true']);
  pc.ok(['run', '--bundle', bundle, id]);
  pc.ok(['create', '--bundle', bundle, id]);
  const report = audit([id]);
  assert.deepEqual(report.trails.map((x) => [x.seq, x.state]), [[1, 'closed'], [2, 'open']]);
  pc.ok(['delete', '--force', id]); // created, not stopped: only --force deletes it (the spec)
  assert.deepEqual(audit([id]).trails.map((x) => [x.seq, x.state, x.ok]), [[1, 'closed', true], [2, 'closed', true]]);
  assert.ok(existsSync(trailPath(pc.root, id, 1)) && existsSync(trailPath(pc.root, id, 2)));
});

test('a trail signed at delete verifies with the public key; a copy edited after signing is caught at its first broken link', { skip }, (t) => {
  const keys = pc.scratchPath('keys');
  mkdirSync(keys, { recursive: true });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const other = generateKeyPairSync('ed25519');
  writeFileSync(join(keys, 'sign.pem'), privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  writeFileSync(join(keys, 'verify.pem'), publicKey.export({ format: 'pem', type: 'spki' }));
  writeFileSync(join(keys, 'other.pem'), other.publicKey.export({ format: 'pem', type: 'spki' }));
  const id = pc.id(t);
  const bundle = pc.bundle(['true']);
  pc.ok(['create', '--bundle', bundle, id]);
  pc.ok(['--audit-sign-key', join(keys, 'sign.pem'), 'delete', '--force', id]);
  const good = audit([id, '--verify-key', join(keys, 'verify.pem')]);
  assert.equal(good.ok, true, JSON.stringify(good.trails[0]?.problems));
  assert.equal(good.trails[0]!.signature, 'valid');
  assert.equal(audit([id]).trails[0]!.signature, 'unchecked');
  const wrongKey = audit([id, '--verify-key', join(keys, 'other.pem')], 1);
  assert.match(wrongKey.trails[0]!.problems.join('\n'), /signature of the closing record \(line \d+\) does not verify/);

  // Copies, tampered: a record edited; the closing record edited (only the signature can tell).
  const source = trailPath(pc.root, id, 1);
  const copy = (name: string, edit: (lines: string[]) => void) => {
    const dir = pc.scratchPath(`copy-${name}`);
    mkdirSync(dir, { recursive: true });
    copyFileSync(source.replace(/\.audit\.jsonl$/, '.plan.msgpack'), join(dir, '1.plan.msgpack'));
    const lines = readFileSync(source, 'utf8').trimEnd().split('\n');
    edit(lines);
    writeFileSync(join(dir, '1.audit.jsonl'), lines.join('\n') + '\n');
    return join(dir, '1.audit.jsonl');
  };
  const k = 3;
  const edited = audit([copy('edited', (ls) => (ls[k] = ls[k]!.replace('"r":"ok"', '"r":"skipped"'))), '--verify-key', join(keys, 'verify.pem')], 1);
  assert.deepEqual(edited.trails[0]!.broken, { line: k, kind: 'edited', message: `line ${k} was changed after it was written: line ${k + 1} was chained to other contents` });
  const closeEdited = audit([copy('close', (ls) => (ls[ls.length - 2] = ls.at(-2)!.replace(/"t":\d+/, '"t":1'))), '--verify-key', join(keys, 'verify.pem')], 1);
  assert.equal(closeEdited.trails[0]!.broken, undefined, 'the chain cannot see an edit of its last link');
  assert.equal(closeEdited.trails[0]!.signature, 'invalid');
  const unsigned = audit([copy('unsigned', (ls) => ls.pop()), '--verify-key', join(keys, 'verify.pem')], 1);
  assert.deepEqual(unsigned.trails[0]!.problems, ['the trail is not signed']);
  leftovers(pc.root, id, bundle);
});

test('the store is a real directory planc owns: a symlinked or group-writable --audit-dir is refused in one line, before anything is made', { skip }, (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['true']);
  const real = pc.scratchPath('real-audit');
  mkdirSync(real, { mode: 0o700 });
  const link = pc.scratchPath('link-audit');
  symlinkSync(real, link);
  const r = pc.run(['create', '--bundle', bundle, id], { env: { ...process.env, PLANC_AUDIT_DIR: link } });
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `planc: --audit-dir ${link}: is a symbolic link; planc keeps state only in a real directory\n`);
  const open = pc.scratchPath('open-audit');
  mkdirSync(open, { mode: 0o777 });
  chmodSync(open, 0o777);
  const r2 = pc.run(['--audit-dir', open, 'create', '--bundle', bundle, id]);
  assert.equal(r2.code, 1);
  assert.match(r2.stderr, /^planc: --audit-dir .*open-audit is writable by group or others \(mode 0777\); planc does not trust it and left it alone\n$/);
  leftovers(pc.root, id, bundle);
});

test('a container created with another --audit-dir: its later records go to its own trail, and planc audit ID finds it there', { skip }, (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['sleep', '100']);
  const other = pc.scratchPath('other-audit');
  pc.ok(['--audit-dir', other, 'create', '--bundle', bundle, id]);
  const live = audit([id]);
  assert.deepEqual(live.trails.map((x) => [x.source, x.state, x.live]), [[join(other, id, '1.audit.jsonl'), 'open', 'created']]);
  pc.ok(['delete', '--force', id]); // with the default store: the container's state names its own
  leftovers(pc.root, id, bundle);
  assert.equal(existsSync(join(pc.auditDir, id)), false, 'nothing in the default store');
  const r = pc.run(['--audit-dir', other, 'audit', id, '--json']);
  const report = JSON.parse(r.stdout) as AuditReport;
  assert.deepEqual(report.trails.map((x) => [x.state, x.ok]), [['closed', true]]);
});
