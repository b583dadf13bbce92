// The native front's trail writer (cli/native/trail.c, through trail.h's API),
// driven by its test program build/test/planc-trail (cli/native/test/trail-main.c)
// on stores and state directories laid out as planc makes them (opened through
// the gate, the records written by Trail): what C appends verifies with planc's verifier
// (planner/audit.ts verifyTrail, what `planc audit` runs), its signature with
// node:crypto and keyFingerprint, tampering is named; its records are byte for
// byte what Trail writes for the same fields; its errors are the TypeScript's
// one lines. Needs build/test/planc-trail (cli/native/build.sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync, verify as verifySig } from 'node:crypto';
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJson } from '../../planner/json.js';
import { planCreate } from '../../planner/plan.js';
import { encodePlan } from '../../planner/encode.js';
import { defaultHostFacts } from '../../planner/host-facts.js';
import { verifyTrail } from '../../planner/audit.js';
import type { LifecyclePlan } from '../../schemas/generated/lifecycle.js';
import { keyFingerprint, loadSignKey, Trail } from '../../cli/audit/trail.js';
import { openTrail } from '../../cli/state/lifecycle.js';
import { ContainerDir, StateRoot } from '../../cli/state/gate.js';
import { isPlancError, type PlancError } from '../../schemas/error.js';

const BIN = new URL('../../build/test/planc-trail', import.meta.url).pathname;
const T = 1_700_000_000_000_000;
const hex = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

const config = parseJson(readFileSync(new URL('./fixtures/default.json', import.meta.url), 'utf8'));
const plan = planCreate(config, defaultHostFacts('box', '/bundles/box', '/run/planc'));
const planBytes = encodePlan(plan);
const wait = plan.actions.findIndex((a) => a.op === 'execfifo.wait');
const exec = plan.actions.findIndex((a) => a.op === 'exec');
const facts = { containerId: 'box', stateDir: '/run/planc/box', init: { pid: 4321, startTime: '123456' }, cgroups: [{ path: '/sys/fs/cgroup/pids/planc/box', ino: 77, made: true }] };

interface Box {
  tmp: string;
  root: string;
  store: string;
  stateDir: string;
  trailPath: string;
  dir: ContainerDir;
}

/**
 * A container as planc leaves it after create (the native front's apply makes it so): its plan and
 * trail in a store (the executor's records written through Trail), its state directory, opened
 * through the gate, with audit.json naming the trail.
 */
function makeBox(id: string, opts: { planBytes?: Uint8Array; records?: object[]; ref?: boolean } = {}): Box {
  const tmp = mkdtempSync(join(tmpdir(), 'planc-ctrail-'));
  const bytes = opts.planBytes ?? planBytes;
  const ref = { dir: join(tmp, 'audit'), id, seq: 1 };
  mkdirSync(join(ref.dir, id), { recursive: true, mode: 0o700 });
  writeFileSync(join(ref.dir, id, '1.plan.msgpack'), bytes, { mode: 0o600 });
  const trailPath = join(ref.dir, id, '1.audit.jsonl');
  const fd = openSync(trailPath, 'a+', 0o600); // O_RDWR|O_APPEND|O_CREAT, as the executor gets it
  const t = Trail.fromFd(fd, trailPath, hex(bytes));
  for (const r of opts.records ?? []) t.append(r as Record<string, unknown>);
  t.release();
  mkdirSync(join(tmp, 'run', id), { recursive: true, mode: 0o700 });
  const root = StateRoot.open(join(tmp, 'run'))!;
  const dir = ContainerDir.open(root, id);
  if (opts.ref !== false) dir.write('audit.json', JSON.stringify(ref));
  return { tmp, root: root.path, store: ref.dir, stateDir: dir.path, trailPath, dir };
}

function done(b: Box): void {
  b.dir.close();
  b.dir.root.close();
  rmSync(b.tmp, { recursive: true, force: true });
}

function ctrail(b: Box, ...cmds: string[]): { status: number | null; out: string[]; err: string } {
  const r = spawnSync(BIN, [b.root, b.dir.id, ...cmds], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout.split('\n').filter(Boolean), err: r.stderr };
}

const header = { trail: 'planc-audit/1', planDigest: `sha256:${hex(planBytes)}`, containerId: 'box', actions: plan.actions.length, t: T };
const act = (i: number, r = 'ok', extra: object = {}) => ({ i, op: plan.actions[i]!.op, stage: plan.actions[i]!.stage, r, t: T + i, ...extra });
const started = () => [header, ...plan.actions.slice(0, wait).map((_, i) => act(i)), act(wait), act(exec, 'pending'), act(exec, 'ok', { by: 'start' })];

test('the build made the test program', () => {
  assert.ok(existsSync(BIN), `${BIN} exists (cli/native/build.sh)`);
});

/** The kill plan cli/native/kill.c makes for `planc kill box` (TERM) of a container whose init is 4321. */
const killPlan: LifecyclePlan = { planVersion: 1, kind: 'kill', containerId: 'box', actions: [{ op: 'signal', why: 'runtime:kill', pid: 4321, startTime: '123456', signal: 15, name: 'SIGTERM' }] };

test('kill and delete appended by C to a started container\'s trail, closed and signed: planc\'s verifier finds it whole, the signature valid, tampering named', () => {
  const b = makeBox('box', { records: started() });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const keyFile = join(b.tmp, 'audit.key');
  writeFileSync(keyFile, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  try {
    const n = started().length;
    // The plan the front's delete makes for a stopped container with one cgroup it made (a literal).
    const cg = facts.cgroups[0]!;
    const del = {
      planVersion: 1,
      kind: 'delete',
      containerId: 'box',
      actions: [
        { op: 'cgroup.kill', why: 'runtime:delete', path: cg.path, ino: cg.ino },
        { op: 'cgroup.remove', why: 'runtime:delete', path: cg.path, ino: cg.ino },
        { op: 'state.remove', why: 'runtime:delete', path: facts.stateDir },
      ],
    };
    const cmds = ['plan', JSON.stringify(killPlan), 'caller', '{}'];
    killPlan.actions.forEach((a, i) => cmds.push('record', String(n), String(i), a.op, 'ok', '{}'));
    const delAt = n + 1 + killPlan.actions.length;
    cmds.push('plan', JSON.stringify(del), 'caller', '{"status":"stopped","force":false}');
    del.actions.forEach((a, i) => cmds.push('record', String(delAt), String(i), a.op, 'ok', '{}'));
    cmds.push('close', keyFile);
    const before = readFileSync(b.trailPath, 'utf8').split('\n');
    const r = ctrail(b, ...cmds);
    assert.equal(r.err, '');
    assert.equal(r.status, 0);
    assert.deepEqual(r.out, [`of ${n}`, 'ok', `of ${delAt}`, ...del.actions.map(() => 'ok'), 'closed']);

    const bytes = readFileSync(b.trailPath);
    const pub = publicKey;
    const fp = keyFingerprint(pub);
    const verify = (line: Uint8Array, sig: { sig: string; alg: string; key: string }) => sig.key === fp && verifySig(null, line, pub, Buffer.from(sig.sig, 'base64'));
    const v = verifyTrail(planBytes, bytes, { verify });
    assert.deepEqual(v.problems, []);
    assert.equal(v.ok, true);
    assert.equal(v.state, 'closed');
    assert.equal(v.signature, 'valid');
    assert.equal(v.lifecycle.length, 2, 'the kill and the delete plans, each followed action for action');

    const lines = bytes.toString('utf8').split('\n');
    const killRec = JSON.parse(lines[n]!);
    assert.deepEqual(Object.keys(killRec), ['n', 'plan', 'by', 't', 'prev']);
    assert.equal(killRec.n, n, 'the head: the line count');
    assert.equal(killRec.prev, hex(before[n - 1]!), 'the head: the sha256 of the last line');
    assert.deepEqual(killRec.plan, killPlan);
    assert.equal(killRec.by.uid, 0);
    assert.equal(killRec.by.command, 'planc kill box');
    assert.equal(killRec.by.parent.pid, process.pid, 'the parent is this test (it spawned the program)');
    assert.ok(killRec.by.parent.command.includes('native-trail.test.ts'), killRec.by.parent.command);
    assert.deepEqual(Object.keys(JSON.parse(lines[n + 1]!)), ['n', 'of', 'i', 'op', 'r', 't', 'prev']);
    assert.deepEqual(Object.keys(JSON.parse(lines[delAt]!)), ['n', 'plan', 'by', 't', 'status', 'force', 'prev']);
    const sigLine = JSON.parse(lines.at(-2)!);
    assert.deepEqual(Object.keys(sigLine), ['sig', 'alg', 'key']);
    assert.equal(sigLine.alg, 'ed25519');
    assert.equal(sigLine.key, fp, 'the fingerprint is keyFingerprint\'s');
    assert.equal(sigLine.key, keyFingerprint(loadSignKey(keyFile)!), 'of the private key as loadSignKey reads it too');

    // Tampering: a signal changed in C's kill plan; the closing line edited (only its signature sees it).
    const edited = Buffer.from(bytes.toString('utf8').replace('"signal":15', '"signal":9'));
    assert.notDeepEqual(edited, bytes);
    const e = verifyTrail(planBytes, edited, { verify });
    assert.equal(e.ok, false);
    assert.deepEqual(e.broken && { line: e.broken.line, kind: e.broken.kind }, { line: n, kind: 'edited' });
    const closing = lines.at(-3)!;
    const reClosed = Buffer.from(bytes.toString('utf8').replace(closing, closing.replace(/"t":\d+/, '"t":1')));
    const s = verifyTrail(planBytes, reClosed, { verify });
    assert.equal(s.signature, 'invalid');
    assert.equal(s.ok, false);
    const other = generateKeyPairSync('ed25519').publicKey;
    const o = verifyTrail(planBytes, bytes, { verify: (line, sig) => verifySig(null, line, other, Buffer.from(sig.sig, 'base64')) });
    assert.equal(o.signature, 'invalid', 'another key does not verify it');
  } finally {
    done(b);
  }
});

test('a record written by C is byte for byte the one Trail writes for the same fields', () => {
  const small = Buffer.from('plan bytes');
  const by = { uid: 0, pid: 4242, command: 'planc kill "a b"', parent: { pid: 1, command: 'containerd-shim -id x' } };
  const op = 'a"b\\c\n\t\u0001\u001f\u007fé\u2028😀';
  const expected = [
    '{"n":0,"plan":{"planVersion":1,"kind":"kill","containerId":"box","actions":[{"op":"signal","why":"runtime:kill","pid":4321,"startTime":"123456","signal":15,"name":"SIGTERM"}]},"by":{"uid":0,"pid":4242,"command":"planc kill \\"a b\\"","parent":{"pid":1,"command":"containerd-shim -id x"}},"t":1700000000000000,"kept":true,"prev":"38d0287182a74a6879e277b5907da1f0807d24ed2cb56911517de9f9863d5a6a"}',
    '{"n":1,"of":0,"i":0,"op":"a\\"b\\\\c\\n\\t\\u0001\\u001f\u007fé\u2028😀","r":"error","t":1700000000000000,"msg":"no such process","prev":"40698955429c317f8bf78f3ff9a20a1d4446d8636fccdf4bd6a29034313acb5c"}',
    '{"n":2,"final":true,"t":1700000000000000,"prev":"368623cc9713a004db22f7565b1dd5e733b91b4e81c83145ec4ee4402578e4f2"}',
    '',
  ].join('\n');
  const c = makeBox('c1', { planBytes: small });
  const ts = makeBox('c1', { planBytes: small });
  try {
    const r = ctrail(c, 't', String(T), 'plan', JSON.stringify(killPlan), JSON.stringify(by), '{"kept":true}', 'record', '0', '0', op, 'error', '{"msg":"no such process"}', 'close', '-');
    assert.equal(r.err, '');
    assert.deepEqual(r.out, ['of 0', 'ok', 'closed']);
    const t = openTrail(ts.dir)!;
    t.append({ plan: killPlan, by, t: T, kept: true });
    t.append({ of: 0, i: 0, op, r: 'error', t: T, msg: 'no such process' });
    t.append({ final: true, t: T });
    t.release();
    assert.equal(readFileSync(ts.trailPath, 'utf8'), expected);
    assert.equal(readFileSync(c.trailPath, 'utf8'), expected);
  } finally {
    done(c);
    done(ts);
  }
});

test('a line cut by a crash gets its newline, and the chain goes on from it, as Trail.sync does', () => {
  const b = makeBox('c1', { planBytes: Buffer.from('plan bytes') });
  try {
    appendFileSync(b.trailPath, '{"n":0,"trail');
    const r = ctrail(b, 'append', '{"x":1}');
    assert.equal(r.err, '');
    assert.deepEqual(r.out, ['line 1']);
    assert.equal(readFileSync(b.trailPath, 'utf8'), '{"n":0,"trail\n{"n":1,"x":1,"prev":"17138fff5fa187cc2a26760694776188299600d434cb1c19c67c1ef430129b72"}\n');
  } finally {
    done(b);
  }
});

test('the caller: own arguments quoted as quoteArg does, bytes not UTF-8 as U+FFFD, the parent\'s command line cut at 512 UTF-16 units', () => {
  const own = spawnSync(BIN, ['-', '-', 'caller', 'kill', 'a b', '', 'é"', '--signal=KILL'], { encoding: 'utf8' });
  assert.equal(own.status, 0, own.stderr);
  const by = JSON.parse(own.stdout);
  assert.deepEqual(Object.keys(by), ['uid', 'pid', 'command', 'parent']);
  assert.equal(by.command, 'planc kill "a b" "" "é\\"" --signal=KILL');
  assert.equal(by.parent.pid, process.pid);

  const bad = spawnSync('sh', ['-c', `exec "$0" - - caller "$(printf 'a\\377b\\340\\200c\\360\\237\\230')"`, BIN], { encoding: 'utf8' });
  assert.equal(JSON.parse(bad.stdout).command, 'planc "a\ufffdb\ufffd\ufffdc\ufffd"', 'one U+FFFD per maximal invalid subpart, as Node decodes argv');

  // The parent is sh (not exec'ing the last command: "; exit" follows): its command line is
  // sh -c "planc-trail - - caller; exit" planc-trail "xxx…😀…", 49 units before the quote,
  // so the emoji starts at unit 511 and the cut keeps its high surrogate only.
  const env = { ...process.env, PATH: `${new URL('../../build/test', import.meta.url).pathname}:${process.env.PATH}` };
  const arg = `${'x'.repeat(461)}😀tail`;
  const long = spawnSync('sh', ['-c', 'planc-trail - - caller; exit', 'planc-trail', arg], { encoding: 'utf8', env });
  assert.equal(long.status, 0, long.stderr);
  assert.equal(JSON.parse(long.stdout).parent.command, `sh -c "planc-trail - - caller; exit" planc-trail "${'x'.repeat(461)}\ud83d…`);
  assert.ok(long.stdout.includes(`${'x'.repeat(461)}\\ud83d…"`), 'the lone surrogate is written as JSON.stringify writes it');
  // Astral characters count two units each: after the 50 units before them, 230 and "a" and the quote are 512 units,
  // the most kept whole; one character more is cut.
  const wide = spawnSync('sh', ['-c', 'planc-trail - - caller; exit', 'planc-trail', `${'😀'.repeat(230)}a`], { encoding: 'utf8', env });
  assert.equal(JSON.parse(wide.stdout).parent.command, `sh -c "planc-trail - - caller; exit" planc-trail "${'😀'.repeat(230)}a"`);
  const wider = spawnSync('sh', ['-c', 'planc-trail - - caller; exit', 'planc-trail', `${'😀'.repeat(230)}ab`], { encoding: 'utf8', env });
  assert.equal(JSON.parse(wider.stdout).parent.command, `sh -c "planc-trail - - caller; exit" planc-trail "${'😀'.repeat(230)}ab…`);
  // An argument longer than any one read of /proc/PID/cmdline is quoted as a whole (its space is far past the cut).
  const spaced = spawnSync('sh', ['-c', 'planc-trail - - caller; exit', 'planc-trail', `${'x'.repeat(9000)} y`], { encoding: 'utf8', env });
  assert.equal(JSON.parse(spaced.stdout).parent.command, `sh -c "planc-trail - - caller; exit" planc-trail "${'x'.repeat(462)}…`);
});

test('the JSON writer (jb_*): every kind of value, commas and escapes as JSON.stringify writes them', () => {
  const str = 'tab\there "q" \\ \u001b\u007f ü 😀 \u2028';
  const r = spawnSync(BIN, ['-', '-', 'json', str], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const expected = '{"s":"tab\\there \\"q\\" \\\\ \\u001b\u007f ü 😀 \u2028","a":[-9007199254740991,9007199254740991,true,false,null,[],{},["",0]],"k\\"\\n":{"x":0,"y":{}}}\n';
  assert.equal(r.stdout, expected);
  assert.equal(`${JSON.stringify({ s: str, a: [-9007199254740991, 9007199254740991, true, false, null, [], {}, ['', 0]], 'k"\n': { x: 0, y: {} } })}\n`, expected);
});

/** The TypeScript's one line for the same state directory (what planc prints after "planc: "). */
function tsError(b: Box): string {
  try {
    openTrail(b.dir);
  } catch (e) {
    if (isPlancError(e)) return `planc: ${(e as PlancError).oneLine()}\n`;
    throw e;
  }
  return 'no error';
}

test('errors: no trail, a reference planc did not write, a store the gate refuses or that is gone, a trail gone, a symlink or a directory — the TypeScript\'s words', () => {
  const none = makeBox('box', { ref: false });
  try {
    assert.deepEqual(ctrail(none, 'append', '{"x":1}').out, ['no trail']);
    assert.equal(openTrail(none.dir), null);
  } finally {
    done(none);
  }
  const b = makeBox('box', { records: [header] });
  try {
    const ref = (o: object) => b.dir.write('audit.json', JSON.stringify(o));
    const expectError = (expected: string) => {
      const r = ctrail(b, 'append', '{"x":1}');
      assert.equal(r.err, expected);
      assert.equal(r.status, 1);
      assert.equal(tsError(b), expected);
    };
    // JSON.parse takes 1e0 as 1 and the last of a repeated key; path.resolve takes out "." and a trailing slash.
    b.dir.write('audit.json', `{"dir":"/nowhere","seq":1e0,"id":"box","dir":${JSON.stringify(`${b.store}/./`)}}`);
    assert.equal(tsError(b), 'no error');
    assert.deepEqual(ctrail(b, 'append', '{"x":1}').out, ['line 1']);

    for (const bad of [{ dir: b.store, id: 'box', seq: 1.5 }, { dir: b.store, id: 'box', seq: 0 }, { dir: b.store, id: 'box', seq: '1' }, { dir: b.store, id: 'other', seq: 1 }, { dir: 'audit', id: 'box', seq: 1 }, [b.store]]) {
      b.dir.write('audit.json', JSON.stringify(bad));
      expectError(`planc: ${b.stateDir}/audit.json is not a trail reference planc wrote; left alone\n`);
    }
    b.dir.write('audit.json', '{"dir":"/x","id":"box","seq":1,}');
    expectError(`planc: ${b.stateDir}/audit.json is not a trail reference planc wrote; left alone\n`);

    const link = join(b.tmp, 'link');
    symlinkSync(b.store, link);
    ref({ dir: link, id: 'box', seq: 1 });
    expectError(`planc: --audit-dir ${link}: is a symbolic link; planc keeps state only in a real directory\n`);

    ref({ dir: join(b.tmp, 'gone'), id: 'box', seq: 1 });
    expectError(`planc: the audit store ${b.tmp}/gone is gone\n`);

    mkdirSync(join(b.tmp, 'empty'), { mode: 0o700 });
    ref({ dir: join(b.tmp, 'empty'), id: 'box', seq: 1 });
    expectError(`planc: the audit trail ${b.tmp}/empty/box/1.audit.jsonl is gone\n`);

    // The trail's path as the gate resolved the store's.
    ref({ dir: `${b.store}/./`, id: 'box', seq: 2 });
    expectError(`planc: open the audit trail ${b.store}/box/2.audit.jsonl: no such file or directory\n`);
    ref({ dir: b.store, id: 'box', seq: 10_000_000_000 });
    expectError(`planc: open the audit trail ${b.store}/box/10000000000.audit.jsonl: no such file or directory\n`);

    symlinkSync(b.trailPath, `${b.store}/box/3.audit.jsonl`);
    ref({ dir: b.store, id: 'box', seq: 3 });
    expectError(`planc: ${b.store}/box/3.audit.jsonl is a symbolic link; planc does not follow it\n`);

    mkdirSync(`${b.store}/box/4.audit.jsonl`);
    ref({ dir: b.store, id: 'box', seq: 4 });
    expectError(`planc: ${b.store}/box/4.audit.jsonl is not a regular file\n`);

    ref({ dir: b.store, id: 'box', seq: 1 });
    chmodSync(`${b.store}/box`, 0o775);
    expectError(`planc: state directory ${b.store}/box is writable by group or others (mode 0775); planc does not trust it and left it alone\n`);
    chmodSync(`${b.store}/box`, 0o711);
    chmodSync(b.store, 0o757);
    expectError(`planc: --audit-dir ${b.store} is writable by group or others (mode 0757); planc does not trust it and left it alone\n`);
    chmodSync(b.store, 0o700);
  } finally {
    done(b);
  }
});

test('a record that cannot be written is cut back off and named; a sign key planc cannot use is refused in loadSignKey\'s words', () => {
  const b = makeBox('box', { records: [header] });
  try {
    const before = readFileSync(b.trailPath);
    const r = ctrail(b, 'fsize', String(before.length + 20), 'append', `{"x":"${'y'.repeat(100)}"}`);
    assert.equal(r.err, `planc: write the audit record to ${b.trailPath}: file too large\n`);
    assert.equal(r.status, 1);
    assert.deepEqual(readFileSync(b.trailPath), before, 'nothing of the record is left');

    const rsa = join(b.tmp, 'rsa.key');
    writeFileSync(rsa, generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }));
    const missing = join(b.tmp, 'missing.key');
    const ec = join(b.tmp, 'ec.key');
    writeFileSync(ec, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'sec1' }));
    const x25519 = join(b.tmp, 'x25519.key');
    writeFileSync(x25519, generateKeyPairSync('x25519').privateKey.export({ format: 'pem', type: 'pkcs8' }));
    const garbage = join(b.tmp, 'garbage.key');
    writeFileSync(garbage, 'not a key\n');
    const pub = join(b.tmp, 'pub.pem');
    writeFileSync(pub, generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' }));
    const encrypted = join(b.tmp, 'encrypted.key');
    writeFileSync(encrypted, generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'x' }));
    for (const [file, expected] of [
      [rsa, '--audit-sign-key: an rsa key; planc signs with Ed25519'],
      [ec, '--audit-sign-key: an ec key; planc signs with Ed25519'],
      [x25519, '--audit-sign-key: an x25519 key; planc signs with Ed25519'],
      [garbage, '--audit-sign-key: not a private key planc can read (error:1E08010C:DECODER routines::unsupported)'],
      [pub, '--audit-sign-key: not a private key planc can read (error:1E08010C:DECODER routines::unsupported)'],
      [encrypted, '--audit-sign-key: not a private key planc can read (error:07880109:common libcrypto routines::interrupted or cancelled)'],
      [b.tmp, '--audit-sign-key: not a private key planc can read (illegal operation on a directory)'],
      [missing, '--audit-sign-key: not a private key planc can read (no such file or directory)'],
    ] as const) {
      const k = ctrail(b, 'close', file);
      assert.equal(k.err, `planc: ${file}: ${expected}\n`);
      assert.equal(k.status, 1);
      assert.throws(() => loadSignKey(file), (e) => isPlancError(e) && e.code === 'invalid-argument' && e.oneLine() === `${file}: ${expected}`);
    }
    assert.deepEqual(readFileSync(b.trailPath), before, 'a key refused before the closing record is written');
  } finally {
    done(b);
  }
});
