// What engines pass: every global and verb flag in both `--flag value` and
// `--flag=value` forms (containerd and podman use both), switches as
// `--switch=true|false` (Go's flag package takes that), negative numbers as
// values (`update --memory-swap -1`), Go durations for `events --interval`.
// Checked for every verb and flag from the specs themselves, through the
// fast path and oclif alike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Parser } from '@oclif/core';
import { VERBS } from '../../cli/commands.js';
import { fastParse, normalizeSwitches } from '../../cli/fast.js';
import { commandOf } from '../../cli/oclif.js';
import { rewriteArgv } from '../../cli/main.js';
import { parseDuration } from '../../cli/flags.js';
import { type FlagSpec, GLOBAL_FLAGS, type Verb } from '../../cli/verb.js';

/** A value the spec accepts. */
function sample(spec: FlagSpec): string {
  if (spec.type === 'integer') return String(Math.max(spec.min ?? 3, 3));
  if (spec.type === 'string' && 'options' in spec && spec.options) return spec.options[spec.options.length - 1]!;
  return '/some/value';
}

/** The verb's required positional arguments. */
function positionals(verb: Verb): string[] {
  return Object.values(verb.args).filter((a) => a.required).map(() => 'c1');
}

async function oclifParse(verb: Verb, argv: string[]) {
  const cmd = commandOf(verb);
  const r = await Parser.parse(argv, { flags: { ...cmd.baseFlags, ...cmd.flags }, args: cmd.args, strict: cmd.strict });
  return { flags: r.flags as Record<string, unknown>, args: r.args as Record<string, unknown> };
}

const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

test('every flag of every verb: `--flag value` and `--flag=value` parse the same, on the fast path and in oclif', async () => {
  let checked = 0;
  for (const [name, load] of Object.entries(VERBS)) {
    const verb = (await load()).default;
    const specs: Record<string, FlagSpec> = { ...GLOBAL_FLAGS, ...verb.flags };
    for (const [flag, spec] of Object.entries(specs)) {
      const forms: string[][] =
        spec.type === 'boolean'
          ? [[`--${flag}`], [`--${flag}=true`], [`--${flag}=1`]]
          : [[`--${flag}`, sample(spec)], [`--${flag}=${sample(spec)}`]];
      if (spec.char) forms.push(spec.type === 'boolean' ? [`-${spec.char}`] : [`-${spec.char}`, sample(spec)]);
      const results = [];
      for (const form of forms) {
        const argv = normalizeSwitches(verb, [...form, ...positionals(verb)]);
        const fast = fastParse(verb, argv);
        assert.ok(fast, `${name} ${form.join(' ')}: the fast path should take it`);
        const full = await oclifParse(verb, argv);
        assert.deepEqual(defined(fast.flags), defined(full.flags), `${name} ${form.join(' ')}: fast path and oclif differ`);
        results.push(defined(fast.flags));
      }
      for (const r of results.slice(1)) assert.deepEqual(r, results[0], `${name} --${flag}: the forms differ`);
      // A repeatable flag (exec --env) gives its values as a list.
      assert.deepEqual(results[0]![flag], spec.type === 'boolean' ? true : spec.type === 'integer' ? Number(sample(spec)) : 'multiple' in spec ? [sample(spec)] : sample(spec), `${name} --${flag}`);
      checked++;
    }
  }
  // Every verb has at least the six global flags.
  assert.ok(checked >= Object.keys(VERBS).length * 6, `only ${checked} flags checked`);
});

test('switches: `--switch=false` (Go) leaves the switch off; global switches before the verb too', async () => {
  const del = (await VERBS.delete!()).default;
  assert.deepEqual(normalizeSwitches(del, ['--force=false', 'c1']), ['c1']);
  assert.deepEqual(normalizeSwitches(del, ['--force=TRUE', 'c1']), ['--force', 'c1']);
  assert.deepEqual(normalizeSwitches(del, ['--force=maybe', 'c1']), ['--force=maybe', 'c1'], 'not a Go bool: left for the parsers to refuse');
  assert.deepEqual(normalizeSwitches(del, ['--', '--force=true']), ['--', '--force=true'], 'after -- nothing is a flag');
  assert.equal(fastParse(del, normalizeSwitches(del, ['--force=false', 'c1']))!.flags.force, undefined);
  assert.deepEqual(rewriteArgv(['--debug=false', '--systemd-cgroup=true', '--root=/r', 'state', 'c1']), ['state', '--systemd-cgroup', '--root=/r', 'c1']);
  assert.deepEqual(rewriteArgv(['--debug=1', 'list']), ['list', '--debug']);
  assert.deepEqual(rewriteArgv(['--root', '/r', '--version']), ['--version', '--root', '/r']);
});

test('negative numbers are values: `update --memory-swap -1`, `--pids-limit -1`, `--cpu-quota=-1`', async () => {
  const update = (await VERBS.update!()).default;
  for (const argv of [['--memory-swap', '-1', 'c1'], ['--pids-limit', '-1', 'c1'], ['--cpu-quota=-1', 'c1'], ['--memory', '-1', '--memory-swap', '-1', 'c1']]) {
    const fast = fastParse(update, argv);
    assert.ok(fast, `update ${argv.join(' ')}`);
    assert.deepEqual(defined(fast.flags), defined((await oclifParse(update, argv)).flags), `update ${argv.join(' ')}`);
    assert.equal(fast.args.id, 'c1');
  }
  assert.equal(fastParse(update, ['--memory', '-1', 'c1'])!.flags.memory, '-1');
  // A dash that is not a number still starts a flag: `--memory --pids-limit 5` lacks a value.
  assert.equal(fastParse(update, ['--memory', '--pids-limit', '5', 'c1']), null);
});

test('the new verbs parse runc\'s invocations', async () => {
  const cases: [string, string[], Record<string, unknown>, Record<string, unknown>][] = [
    ['pause', ['c1'], {}, { id: 'c1' }],
    ['resume', ['c1'], {}, { id: 'c1' }],
    ['events', ['--stats', 'c1'], { stats: true, interval: '5s' }, { id: 'c1' }],
    ['events', ['--interval', '1s', 'c1'], { interval: '1s' }, { id: 'c1' }],
    ['update', ['-r', '-', 'c1'], { resources: '-' }, { id: 'c1' }],
    ['update', ['--resources=/tmp/r.json', 'c1'], { resources: '/tmp/r.json' }, { id: 'c1' }],
    ['update', ['--memory', '100M', '--cpu-share', '512', '--pids-limit', '20', 'c1'], { memory: '100M', 'cpu-share': '512', 'pids-limit': '20' }, { id: 'c1' }],
    ['checkpoint', ['--image-path', '/img', '--leave-running', 'c1'], { 'image-path': '/img', 'leave-running': true }, { id: 'c1' }],
    ['restore', ['-d', '--image-path', '/img', '-b', '/b', 'c1'], { detach: true, 'image-path': '/img', bundle: '/b' }, { id: 'c1' }],
    ['kill', ['--all', 'c1', 'KILL'], { all: true }, { id: 'c1', signal: 'KILL' }],
    ['ps', ['--format', 'json', 'c1'], { format: 'json' }, { id: 'c1' }],
    ['list', ['--format=json'], { format: 'json' }, {}],
  ];
  for (const [name, argv, flags, args] of cases) {
    const verb = (await VERBS[name]!()).default;
    const fast = fastParse(verb, argv);
    assert.ok(fast, `${name} ${argv.join(' ')}`);
    for (const [k, v] of Object.entries(flags)) assert.equal(fast.flags[k], v, `${name} ${argv.join(' ')}: --${k}`);
    for (const [k, v] of Object.entries(args)) assert.equal(fast.args[k], v, `${name} ${argv.join(' ')}: ${k}`);
    assert.deepEqual(defined(fast.flags), defined((await oclifParse(verb, argv)).flags), `${name} ${argv.join(' ')}`);
  }
});

test('Go durations for --interval', () => {
  assert.equal(parseDuration('5s'), 5000);
  assert.equal(parseDuration('1s'), 1000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('1.5h'), 5_400_000);
  assert.equal(parseDuration('250us'), 0.25);
  assert.equal(parseDuration('0'), 0);
  assert.equal(parseDuration('-1s'), -1000);
  for (const bad of ['', '5', 's', '1x', '1 s', '5s ', 'five']) assert.equal(parseDuration(bad), null, bad);
});
