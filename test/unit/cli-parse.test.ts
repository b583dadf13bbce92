// The fast path and oclif must read the same argv the same way: whatever
// fastParse accepts, oclif parses to identical args and flags; what it
// declines (null) is left to oclif's errors and help.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Parser } from '@oclif/core';
import { VERBS } from '../../cli/commands.js';
import { fastParse } from '../../cli/fast.js';
import { commandOf } from '../../cli/oclif.js';
import { rewriteArgv } from '../../cli/main.js';

const CASES: Record<string, string[][]> = {
  create: [['c1'], ['--bundle', '/b', 'c1'], ['-b', '/b', '--pid-file=/p', 'c1'], ['--preserve-fds', '2', '--no-pivot', 'c1'], ['c1', '--root', '/r', '--log-format', 'json'], ['--no-new-keyring', '-b', 'x', 'c1']],
  run: [['-d', 'c1'], ['--detach', '--bundle=/b', 'c1'], ['--preserve-fds=0', 'c1']],
  kill: [['c1'], ['c1', 'KILL'], ['c1', '9'], ['--all', 'c1', 'SIGTERM'], ['-a', 'c1']],
  delete: [['c1'], ['--force', 'c1'], ['-f', 'c1']],
  list: [[], ['--format', 'json'], ['-f', 'table'], ['-q'], ['--format=json', '--root=/x']],
  state: [['c1'], ['--root', '/r', 'c1']],
  start: [['c1']],
  plan: [[], ['--digest'], ['--format', 'msgpack', '-o', '/tmp/x'], ['--run', '--id', 'z', '-b', '/b']],
  explain: [['--json'], ['-b', '/b', '--run']],
  spec: [[], ['--rootless', '-b', '/b']],
  audit: [['c1'], ['--dir', '/d', '--json']],
};

// Malformed: the fast path must step aside so oclif reports them.
const DECLINED: [string, string[]][] = [
  ['create', []], ['create', ['--bogus', 'c1']], ['create', ['--bundle']], ['create', ['--bundle', '--pid-file', 'x', 'c1']],
  ['create', ['--preserve-fds', 'many', 'c1']], ['create', ['--preserve-fds', '-1', 'c1']], ['list', ['--format', 'yaml']],
  ['state', ['a', 'b']], ['state', ['--help']], ['state', ['-x', 'c1']],
];

test('fast parse and oclif parse agree on every well-formed call', async () => {
  for (const [id, cases] of Object.entries(CASES)) {
    const verb = (await VERBS[id]!()).default;
    const cmd = commandOf(verb);
    for (const argv of cases) {
      const fast = fastParse(verb, argv);
      assert.ok(fast, `${id} ${argv.join(' ')}: the fast path should accept it`);
      const full = await Parser.parse(argv, { flags: { ...cmd.baseFlags, ...cmd.flags }, args: cmd.args, strict: cmd.strict });
      const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
      assert.deepEqual(defined(fast.flags), defined(full.flags as Record<string, unknown>), `${id} ${argv.join(' ')}: flags differ`);
      assert.deepEqual(defined(fast.args), defined(full.args as Record<string, unknown>), `${id} ${argv.join(' ')}: args differ`);
    }
  }
});

test('the fast path declines what oclif must report', async () => {
  for (const [id, argv] of DECLINED) {
    const verb = (await VERBS[id]!()).default;
    assert.equal(fastParse(verb, argv), null, `${id} ${argv.join(' ')} should go to oclif`);
    const cmd = commandOf(verb);
    if (!argv.includes('--help')) {
      await assert.rejects(Parser.parse(argv, { flags: { ...cmd.baseFlags, ...cmd.flags }, args: cmd.args, strict: cmd.strict }), `${id} ${argv.join(' ')}: oclif should reject it too`);
    }
  }
});

test('global flags before the verb move behind it, in both spellings', () => {
  assert.deepEqual(rewriteArgv(['--root', '/r', '--log-format=json', '--debug', 'state', 'c1']), ['state', '--root', '/r', '--log-format=json', '--debug', 'c1']);
  assert.deepEqual(rewriteArgv(['--rootless', 'true', '--systemd-cgroup', 'create', '-b', 'x', 'c']), ['create', '--systemd-cgroup', '-b', 'x', 'c']);
  assert.deepEqual(rewriteArgv(['--rootless=auto', 'list']), ['list']);
  assert.deepEqual(rewriteArgv([]), ['--help']);
});
