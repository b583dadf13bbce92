// The skip gate: its rules (judge) on literal reports, the real allow-list's
// shape, and the reporter plus check script end to end on a sample test file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AllowEntry, allowListProblems, type Host, judge, NEEDS_ROOT_REASON, type SkipReport } from '../gate/skip-gate.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const asRoot: Host = { uid: 0, conditions: { 'non-root': false, 'no cgroup2 mount': false, 'blkio.weight present': false, 'no runc': false } };
const asDeveloper: Host = { uid: 1000, conditions: { 'non-root': true, 'no cgroup2 mount': false, 'blkio.weight present': false, 'no runc': false } };

const rootOnly: AllowEntry = { file: 'test/integration/*.test.ts', test: '.', reason: '^needs root: ', onlyWhen: 'non-root', why: 'developers are not root' };
const report = (skips: SkipReport['skips'], executed = 10): SkipReport => ({ executed, passed: executed, failed: 0, skipped: skips.filter((s) => s.kind === 'skip').length, todo: skips.filter((s) => s.kind === 'todo').length, skips });
const lifecycleSkip = { file: 'test/integration/lifecycle.test.ts', name: 'run: exits with the container status', kind: 'skip' as const, reason: NEEDS_ROOT_REASON };

test('a skip that is not on the allow-list fails the gate, and is named', () => {
  const v = judge(report([{ file: 'test/unit/x.test.ts', name: 'needs a widget', kind: 'skip', reason: 'no widget' }]), [rootOnly], asDeveloper);
  assert.equal(v.ok, false);
  assert.ok(v.lines.includes('skip-gate: problem: test/unit/x.test.ts > needs a widget: not on the allow-list'), v.lines.join('\n'));
  assert.equal(v.lines.at(-1), 'skip-gate: FAILED (1 problem)');
});

test('a listed skip passes the gate: root-only tests skipped by a developer', () => {
  const v = judge(report([lifecycleSkip]), [rootOnly], asDeveloper);
  assert.equal(v.ok, true, v.lines.join('\n'));
  assert.ok(v.lines.includes(`  [skip] test/integration/lifecycle.test.ts > run: exits with the container status — "${NEEDS_ROOT_REASON}" — allowed by entry 1`), v.lines.join('\n'));
  assert.equal(v.lines.at(-1), 'skip-gate: ok');
});

test('as root, a NEEDS_ROOT skip fails the gate even if an entry would allow it always', () => {
  const always: AllowEntry = { ...rootOnly, onlyWhen: undefined };
  for (const list of [[rootOnly], [always]]) {
    const v = judge(report([lifecycleSkip]), list, asRoot);
    assert.equal(v.ok, false, v.lines.join('\n'));
    assert.ok(v.lines.some((l) => l.includes('a root-only test skipped although the tests run as root')), v.lines.join('\n'));
  }
});

test('an entry whose host condition is false here does not allow the skip', () => {
  const v2: AllowEntry = { file: 'test/integration/cgroup-v2.test.ts', test: '^v2: ', reason: '^needs a cgroup2 mount$', onlyWhen: 'no cgroup2 mount', why: 'pure v1 hosts' };
  const skip = { file: 'test/integration/cgroup-v2.test.ts', name: 'v2: one cgroup directory', kind: 'skip' as const, reason: 'needs a cgroup2 mount' };
  assert.equal(judge(report([skip]), [v2], asRoot).ok, false, 'this host has a cgroup2 mount: the skip is a bug');
  assert.equal(judge(report([skip]), [v2], { uid: 0, conditions: { ...asRoot.conditions, 'no cgroup2 mount': true } }).ok, true);
});

test('file, test name and reason must all match an entry', () => {
  const entry: AllowEntry = { file: 'test/integration/a.test.ts', test: '^exact name$', reason: '^why$', why: 'w' };
  const skip = { file: 'test/integration/a.test.ts', name: 'exact name', kind: 'skip' as const, reason: 'why' };
  assert.equal(judge(report([skip]), [entry], asRoot).ok, true);
  assert.equal(judge(report([{ ...skip, file: 'test/integration/b.test.ts' }]), [entry], asRoot).ok, false);
  assert.equal(judge(report([{ ...skip, name: 'exact name too' }]), [entry], asRoot).ok, false);
  assert.equal(judge(report([{ ...skip, reason: 'another why' }]), [entry], asRoot).ok, false);
  // `*` stays inside one path segment
  assert.equal(judge(report([{ ...skip, file: 'test/integration/sub/a.test.ts' }]), [{ ...entry, file: 'test/integration/*.test.ts' }], asRoot).ok, false);
});

test('todo tests count as skips for the gate', () => {
  const v = judge(report([{ file: 'test/unit/x.test.ts', name: 'later', kind: 'todo', reason: 'write it' }]), [], asRoot);
  assert.equal(v.ok, false);
  assert.ok(v.lines.includes('  [todo] test/unit/x.test.ts > later — "write it" — NOT ALLOWED: not on the allow-list'), v.lines.join('\n'));
});

test('zero tests executed fails the gate, with no skip at all', () => {
  const v = judge(report([], 0), [rootOnly], asDeveloper);
  assert.equal(v.ok, false);
  assert.ok(v.lines.includes('skip-gate: problem: no test was executed'), v.lines.join('\n'));
});

test('the allow-list is printed in full, each entry with its reason', () => {
  const v = judge(report([]), [rootOnly], asRoot);
  assert.deepEqual(v.lines.slice(1, 4), [
    'skip-gate: allow-list (1 entries):',
    '  1. test/integration/*.test.ts | test /./ | reason /^needs root: / | only when "non-root" (false here)',
    '     why: developers are not root',
  ]);
});

test('a malformed allow-list fails the gate', () => {
  assert.deepEqual(allowListProblems({}), ['the allow-list is not a JSON array']);
  assert.deepEqual(allowListProblems([{ file: 'a', test: '(', reason: 'r', why: '', onlyWhen: 'sunny' }]), [
    'allow-list entry 1: "why" must be a non-empty string',
    'allow-list entry 1: "test" is not a regular expression: Invalid regular expression: /(/: Unterminated group',
    'allow-list entry 1: "onlyWhen" must be one of "non-root", "no cgroup2 mount", "blkio.weight present", "no runc"',
  ]);
  assert.equal(judge(report([]), [{ file: 'a' }], asRoot).ok, false);
});

test('the committed allow-list is well-formed and never allows a root-only skip as root', () => {
  const list = JSON.parse(readFileSync(join(REPO, 'test/skip-allowlist.json'), 'utf8')) as AllowEntry[];
  assert.deepEqual(allowListProblems(list), []);
  assert.equal(judge(report([lifecycleSkip]), list, asRoot).ok, false);
});

test('reporter and check script end to end: every kind of skip recorded with file, full name and reason', () => {
  const dir = mkdtempSync(join(tmpdir(), 'planc-skip-gate-'));
  // Without this the inner runner would think it is a child of ours and speak its wire protocol.
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  try {
    const out = join(dir, 'skips.json');
    const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=./test/gate/skip-reporter.mjs', `--test-reporter-destination=${out}`, 'test/unit/fixtures/skip-gate/sample.mjs'], { cwd: REPO, env, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /^ℹ tests 6$/m, 'the spec reporter still prints its summary');
    assert.match(r.stdout, /^ℹ skipped 3$/m);
    const file = 'test/unit/fixtures/skip-gate/sample.mjs';
    assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), {
      executed: 3,
      passed: 3,
      failed: 0,
      skipped: 3,
      todo: 1,
      skips: [
        { file, name: 'skipped by option', kind: 'skip', reason: 'no widget here' },
        { file, name: 'skipped at run time', kind: 'skip', reason: 'found no gadget' },
        { file, name: 'not done', kind: 'todo', reason: 'write it' },
        { file, name: 'outer > inner skipped', kind: 'skip', reason: '(no reason given)' },
      ],
    });
    const allow = join(dir, 'allow.json');
    const check = (list: AllowEntry[]) => {
      writeFileSync(allow, JSON.stringify(list));
      return spawnSync(process.execPath, ['--import', 'tsx', 'test/gate/check-skips.ts', out, allow], { cwd: REPO, env, encoding: 'utf8', timeout: 60_000 });
    };
    const none = check([]);
    assert.equal(none.status, 1, none.stdout + none.stderr);
    assert.match(none.stdout, /^skip-gate: 3 tests executed \(3 passed, 0 failed\), 3 skipped, 1 todo; 0 skips allowed, 4 not allowed; uid \d+$/m);
    const all = check([{ file, test: '.', reason: '.', why: 'a sample' }]);
    assert.equal(all.status, 0, all.stdout + all.stderr);
    assert.match(all.stdout, /^skip-gate: ok$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
