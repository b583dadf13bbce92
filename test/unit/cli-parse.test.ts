// The fast path and oclif must read the same argv the same way: whatever
// fastParse accepts, oclif parses to identical args and flags; what it
// declines (null) is left to oclif's errors and help.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Parser } from '@oclif/core';
import { VERBS } from '../../cli/commands.js';
import { fastParse, separateCommand } from '../../cli/fast.js';
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
  plan: [[], ['--digest'], ['--format', 'msgpack', '-o', '/tmp/x'], ['--run', '--id', 'z', '-b', '/b'], ['--process', '/p.json', '--id', 'c1', '--detach']],
  explain: [['--json'], ['-b', '/b', '--run'], ['-p', '/p.json', '--id', 'c1']],
  spec: [[], ['--rootless', '-b', '/b']],
  audit: [['c1'], ['--dir', '/d', '--json']],
  // Flags end at the id: what follows is the command, dashes and all (-c is also exec's --cap).
  exec: [
    ['c1', 'ls'], ['c1', 'sh', '-c', 'echo -t --env'], ['-t', '-e', 'A=1', '--env', 'B=2', 'c1', 'sh'], ['--cap', 'CAP_KILL', '-c', 'CAP_CHOWN', '-g', '5', 'c1', 'id'],
    ['--process', '/p.json', '--detach', '--pid-file', '/pid', 'c1'], ['-p', '/p.json', '-d', '-t', '--console-socket=/s', 'c1'], ['--cgroup', 'memory:a', '--cgroup', 'pids:b', 'c1', 'true'],
    ['c1', '--', 'ls', '-l'], ['-u', '1000:100', '--cwd', '/tmp', '--no-new-privs', 'c1', 'id', '-u'],
  ],
};

/** Positional arguments past a verb's declared ones, as oclif gives them. */
const restOf = (argv: unknown, declared: number) => (argv as string[]).slice(declared);

// Malformed: the fast path must step aside so oclif reports them.
const DECLINED: [string, string[]][] = [
  ['create', []], ['create', ['--bogus', 'c1']], ['create', ['--bundle']], ['create', ['--bundle', '--pid-file', 'x', 'c1']],
  ['create', ['--preserve-fds', 'many', 'c1']], ['create', ['--preserve-fds', '-1', 'c1']], ['list', ['--format', 'yaml']],
  ['state', ['a', 'b']], ['state', ['--help']], ['state', ['-x', 'c1']],
  ['exec', []], ['exec', ['--bogus', 'c1', 'ls']], ['exec', ['--env']],
];

test('fast parse and oclif parse agree on every well-formed call', async () => {
  for (const [id, cases] of Object.entries(CASES)) {
    const verb = (await VERBS[id]!()).default;
    const cmd = commandOf(verb);
    for (const given of cases) {
      const argv = separateCommand(verb, given); // as main.ts does before either parser
      const fast = fastParse(verb, argv);
      assert.ok(fast, `${id} ${argv.join(' ')}: the fast path should accept it`);
      const full = await Parser.parse(argv, { flags: { ...cmd.baseFlags, ...cmd.flags }, args: cmd.args, strict: cmd.strict });
      const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
      assert.deepEqual(defined(fast.flags), defined(full.flags as Record<string, unknown>), `${id} ${argv.join(' ')}: flags differ`);
      assert.deepEqual(defined(fast.args), defined(full.args as Record<string, unknown>), `${id} ${argv.join(' ')}: args differ`);
      // oclif.ts takes a variadic verb's command from after the separator, as fast.ts does.
      const rest = verb.variadic ? argv.slice(argv.indexOf('--') + 1) : restOf(full.argv, Object.keys(verb.args).length);
      assert.deepEqual(fast.rest, rest, `${id} ${argv.join(' ')}: the command differs`);
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

test('exec: the command starts after the id, whatever its dashes; repeated flags keep every value in order', async () => {
  const verb = (await VERBS.exec!()).default;
  const parse = (argv: string[]) => fastParse(verb, separateCommand(verb, argv));
  assert.deepEqual(parse(['-e', 'A=1', '-e', 'B=2', '--cap', 'CAP_KILL', 'c1', 'sh', '-c', 'ls -e'])?.flags.env, ['A=1', 'B=2']);
  assert.deepEqual(parse(['c1', 'sh', '-c', 'ls -e'])?.flags.cap, undefined);
  assert.deepEqual(parse(['c1', 'sh', '-c', 'ls -e'])?.rest, ['sh', '-c', 'ls -e']);
  assert.deepEqual(parse(['c1', '--', 'ls', '--', 'x'])?.rest, ['ls', '--', 'x']);
  assert.deepEqual(parse(['--root', '/r', '-p', 'x.json', 'c1'])?.args, { id: 'c1' });
  assert.deepEqual(parse(['--root', '/r', '-p', 'x.json', 'c1'])?.rest, []);
});

test('global flags before the verb move behind it, in both spellings', () => {
  assert.deepEqual(rewriteArgv(['--root', '/r', '--log-format=json', '--debug', 'state', 'c1']), ['state', '--root', '/r', '--log-format=json', '--debug', 'c1']);
  assert.deepEqual(rewriteArgv(['--rootless', 'true', '--systemd-cgroup', 'create', '-b', 'x', 'c']), ['create', '--systemd-cgroup', '-b', 'x', 'c']);
  assert.deepEqual(rewriteArgv(['--rootless=auto', 'list']), ['list']);
  assert.deepEqual(rewriteArgv([]), ['--help']);
});
