// The native front (cli/native/front.c) and the CLI's parser must read a hot
// verb's command line the same way. Every shape below goes through both: the
// front's parser alone (build/test/planc-front-parse prints what it would do)
// and the CLI's (main.ts rewriteArgv, then fast.ts fastParse). What the front
// serves, the CLI must parse to the same verb, arguments and flags; what the
// front hands over is the CLI's to parse, refuse or explain — and a shape the
// CLI would refuse or send to oclif (help, unknown, repeated or bad flags) is
// never served by the front.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { VERBS } from '../../cli/commands.js';
import { fastParse, normalizeSwitches, separateCommand } from '../../cli/fast.js';
import { rewriteArgv } from '../../cli/main.js';
import { GLOBAL_FLAGS, type FlagSpec } from '../../cli/verb.js';

const PARSER = new URL('../../build/test/planc-front-parse', import.meta.url).pathname;
const ROOT = process.getuid?.() === 0;

/** Shapes engines and people use: the front serves each (as root; without root, only those naming --root). */
const SERVED: string[][] = [
  ['state', 'c1'],
  ['--root', '/tmp/r', 'state', 'c1'],
  ['--root=/tmp/r', 'state', 'c1'],
  ['state', '--root', '/tmp/r', 'c1'],
  ['--log', '/tmp/l', '--log-format', 'json', 'state', 'c1'],
  ['--log=/tmp/l', '--log-format=text', '--root', '/run/x', 'state', 'c1'],
  ['state', '--', 'c1'],
  ['--debug', 'state', 'c1'],
  ['--systemd-cgroup', '--root', '/r', 'kill', 'c1'],
  ['--audit-dir', '/a', 'kill', 'c1'],
  ['list'],
  ['list', '-q'],
  ['list', '--quiet', '-f', 'json'],
  ['list', '--format=json'],
  ['list', '--format', 'table', '--root', '/r'],
  ['kill', 'c1'],
  ['kill', 'c1', 'KILL'],
  ['kill', 'c1', '9'],
  ['kill', '-a', 'c1', '9'],
  ['kill', '--all', 'c1', 'SIGTERM'],
  ['kill', 'c1', '--all'],
  ['pause', 'c1'],
  ['resume', 'c1'],
  ['--root', '/r', 'resume', '--', 'c1'],
  ['delete', 'c1'],
  ['delete', '-f', 'c1'],
  ['delete', '--force', 'c1'],
  ['delete', 'c1', '--force'],
  ['--audit-sign-key', '/k.pem', 'delete', 'c1'],
  ['delete', '--audit-sign-key=/k.pem', '-f', '--', 'c1'],
  ['start', 'c1'],
  ['--root', '/r', '--log', '/tmp/l', 'start', 'c1'],
  ['start', '--', 'c1'],
  ['ps', 'c1'],
  ['ps', '-f', 'json', 'c1'],
  ['ps', '--format=table', 'c1'],
  ['ps', 'c1', '--format', 'json', '--root', '/r'],
  ['--root', '/r', 'ps', '--', 'c1'],
  ['events', '--stats', 'c1'],
  ['events', 'c1', '--stats'],
  ['--log', '/tmp/l', 'events', '--stats', '--', 'c1'],
  // create and run: planned by the embedded engine, applied by apply.c (a bundle it cannot plan goes to the CLI then).
  ['create', 'c1'],
  ['create', '--bundle', '/b', 'c1'],
  ['create', '-b', '/b', '--pid-file', '/p', 'c1'],
  ['--root', '/r', 'create', '--bundle=/b', '--console-socket', '/s', '--preserve-fds', '3', 'c1'],
  ['create', '--no-pivot', '--no-new-keyring', '--audit-log', '/l', '--', 'c1'],
  ['create', '--preserve-fds=0', 'c1', '--bundle', '/b'],
  ['--systemd-cgroup', '--audit-dir', '/a', 'create', '-b', '/b', 'c1'],
  ['run', '--bundle', '/b', 'c1'],
  ['run', '-d', '--bundle', '/b', 'c1'],
  ['run', '--detach', '--pid-file=/p', '--console-socket=/s', 'c1'],
  ['--root', '/r', 'run', 'c1', '-d', '--preserve-fds', '1234'],
  // exec: planned by the engine from what the front's gate read, applied by apply.c. Flags end at the id; the rest is
  // the command, dashes and all (one "--" right after the id separates it, as in runc's man page).
  ['exec', 'c1', 'true'],
  ['exec', 'c1'],
  ['exec', 'c1', 'sh', '-c', 'ls -l --color=never'],
  ['exec', 'c1', '--', 'sh', '-c', 'exit 3'],
  ['exec', 'c1', '--', '--', 'x'],
  ['exec', '--', 'c1', '--', 'x'],
  ['exec', 'c1', '--env', 'A=1', 'sh'],
  ['exec', '-p', '/p.json', 'c1'],
  ['exec', '--process=/p.json', '--detach', '--pid-file', '/pid', 'c1'],
  ['exec', '--process', '/p.json', '-d', '--pid-file', '/pid', '--console-socket', '/s', '-t', 'c1'],
  ['--root', '/r', '--log', '/l', '--log-format', 'json', 'exec', '-d', '--pid-file=/pid', '--process', '/p.json', 'c1'],
  ['exec', '-e', 'A=1', '--env', 'B=2', '-e', 'C=3', 'c1', 'env'],
  ['exec', '-c', 'CAP_NET_ADMIN', '--cap=CAP_SYS_TIME', '-g', '10', '--additional-gids', '20', 'c1', 'id'],
  ['exec', '--cgroup', 'memory:sub', '--cgroup=cpu:sub', 'c1', 'true'],
  ['exec', '--cwd', '/tmp', '-u', '1000:1000', '--no-new-privs', '--ignore-paused', 'c1', 'pwd'],
  ['exec', '--user=0', '--tty', '--preserve-fds', '2', 'c1', 'sh'],
  ['exec', 'c1', '-'],
  // Values the verb itself refuses are still the verb's to refuse (one line, as the CLI said it).
  ['create', 'bad/id'],
  ['state', 'bad/id'],
  ['kill', 'c1', 'NOSUCHSIG'],
  ['ps', 'bad/id'],
  ['events', '--stats', 'bad/id'],
  ['exec', '--', '--'],
];

/** Shapes the front leaves to the CLI. */
const HANDED_OVER: string[][] = [
  [],
  ['--root', '/r', '--version'],
  ['--version', 'extra'],
  ['help', 'state'],
  ['state'],
  ['state', 'a', 'b'],
  ['state', '--help'],
  ['state', '-h'],
  ['state', 'c1', '--unknown'],
  ['--root', 'a', '--root', 'b', 'state', 'c1'],
  ['state', '--root', 'a', '--root', 'b', 'c1'],
  ['--debug=true', 'state', 'c1'],
  ['--rootless', 'true', 'state', 'c1'],
  ['--log-format', 'xml', 'state', 'c1'],
  ['list', '-f', 'yaml'],
  ['list', '-fjson'],
  ['list', 'extra'],
  ['kill', '-9', 'c1'],
  ['kill', 'c1', '9', 'extra'],
  ['kill', '-a', '-a', 'c1'],
  ['pause'],
  ['delete'],
  ['delete', 'c1', 'c2'],
  ['delete', '-f', '-f', 'c1'],
  ['delete', '--force=true', 'c1'],
  ['delete', '-F', 'c1'],
  // The CLI's own internal verbs (cli/container.ts hands a create over to apply) are no verbs without PLANC_FRONT_ONLY=1.
  ['teardown', '--kind=undo', 'c1'],
  ['apply', '--mode=create', '--plan-fd=3', 'c1'],
  ['start'],
  ['start', 'c1', 'c2'],
  ['start', '--all', 'c1'],
  ['ps'],
  ['ps', 'c1', 'c2'],
  ['ps', '-f', 'yaml', 'c1'],
  ['ps', '-fjson', 'c1'],
  ['ps', '-f', 'json', '-f', 'table', 'c1'],
  // events streams (every --interval) unless --stats: the CLI's; --interval is the CLI's to check.
  ['events', 'c1'],
  ['events', '--interval', '1s', 'c1'],
  ['events', '--stats', '--interval', '1s', 'c1'],
  ['events', '--interval=0s', '--stats', 'c1'],
  ['events', '--stats'],
  ['events', '--stats', '--stats', 'c1'],
  ['events', '--stats=true', 'c1'],
  ['events', '-s', 'c1'],
  ['--root', 'state', 'c1'],
  // create/run: --dry-run prints the CLI's explanation, --debug the CLI's digest lines; an --preserve-fds
  // that is not a plain small decimal is the CLI's to parse or refuse.
  ['create', '--dry-run', 'c1'],
  ['--debug', 'create', 'c1'],
  ['run', '--debug', '-d', 'c1'],
  ['create', '--preserve-fds', '01', 'c1'],
  ['create', '--preserve-fds', '-1', 'c1'],
  ['create', '--preserve-fds', 'x', 'c1'],
  ['create', '--preserve-fds', '99999', 'c1'],
  ['create', '--preserve-fds=', 'c1'],
  ['create'],
  ['create', '-b'],
  ['create', 'c1', 'extra'],
  ['create', '--keep', 'c1'],
  ['create', '-b', '/a', '-b', '/b', 'c1'],
  ['run', '-d', '-d', 'c1'],
  ['run', '--detach=true', 'c1'],
  ['run', '--bundle', '/b', 'c1', 'sh'],
  ['run', '--help'],
  // exec: --dry-run and --debug are the CLI's, as are --apparmor and --process-label (refused on this host in its
  // words), a repeated single flag, an unsure --preserve-fds, and no id.
  ['exec', '--dry-run', 'c1', 'true'],
  ['--debug', 'exec', 'c1', 'true'],
  ['exec', '--apparmor', 'p', 'c1', 'true'],
  ['exec', '--process-label', 'l', 'c1', 'true'],
  ['exec', '-u', '0', '-u', '1', 'c1', 'true'],
  ['exec', '-d', '-d', 'c1', 'true'],
  ['exec', '--detach=true', 'c1', 'true'],
  ['exec', '--preserve-fds', '-1', 'c1', 'true'],
  ['exec', '--preserve-fds', '007', 'c1', 'true'],
  ['exec'],
  ['exec', '-e', '-x', 'c1', 'true'],
  ['exec', '-it', 'c1', 'sh'],
  ['exec', '--help'],
  ['nosuchverb', 'c1'],
];

interface FrontParse {
  handOff?: boolean;
  verb?: string;
  args?: string[];
  /** A variadic verb's command (exec ID cmd…). */
  rest?: string[];
  flags?: Record<string, string | boolean | string[]>;
}

function front(argv: string[]): FrontParse {
  const r = spawnSync(PARSER, argv, { encoding: 'utf8' });
  assert.equal(r.status, 0, `planc-front-parse ${argv.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout) as FrontParse;
}

/** What the CLI makes of it: the verb, its positional arguments as given, and its flags as given (defaults left out). */
async function cli(argv: string[]): Promise<{ verb: string; args: string[]; rest?: string[]; flags: Record<string, unknown> } | null> {
  const rewritten = rewriteArgv(argv);
  const load = VERBS[rewritten[0]!];
  if (!load) return null;
  const verb = (await load()).default;
  // As main.ts: a variadic verb's command separated first.
  const rest = normalizeSwitches(verb, separateCommand(verb, rewritten.slice(1)));
  const parsed = fastParse(verb, rest);
  if (!parsed) return null;
  const positional = rest.filter((a, k) => !a.startsWith('-') || rest.slice(0, k).includes('--') || a === '-');
  const specs: Record<string, FlagSpec> = { ...GLOBAL_FLAGS, ...verb.flags };
  const flags: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(parsed.flags)) {
    if (value === undefined) continue;
    const spec = specs[name]!;
    const given = rest.some((a) => a === `--${name}` || a.startsWith(`--${name}=`) || (spec.char !== undefined && a === `-${spec.char}`));
    // The front passes an integer on as the decimal it was given (create's --preserve-fds).
    if (given) flags[name] = spec.type === 'integer' ? String(value) : value;
  }
  const argNames = Object.keys(verb.args);
  const args = argNames.map((n) => parsed.args[n]).filter((v, k) => v !== undefined && positional.includes(v as string) && k < argNames.length) as string[];
  return { verb: rewritten[0]!, args, ...(verb.variadic ? { rest: parsed.rest } : {}), flags };
}

test('the front parser is built', () => {
  assert.ok(existsSync(PARSER), `${PARSER} (cli/native/build.sh builds it)`);
});

test('every shape the front serves, the CLI parses to the same verb, arguments and flags', async () => {
  for (const argv of SERVED) {
    const f = front(argv);
    const namesRoot = argv.some((a) => a === '--root' || a.startsWith('--root='));
    if (!ROOT && !namesRoot) {
      assert.deepEqual(f, { handOff: true }, `${argv.join(' ')}: without root and --root the CLI finds the rootless state`);
      continue;
    }
    assert.ok(!f.handOff, `the front serves: planc ${argv.join(' ')}`);
    const c = await cli(argv);
    assert.ok(c, `the CLI's fast path parses it too: planc ${argv.join(' ')}`);
    assert.equal(f.verb, c.verb, `verb of: planc ${argv.join(' ')}`);
    assert.deepEqual(f.args, c.args, `arguments of: planc ${argv.join(' ')}`);
    assert.deepEqual(f.rest, c.rest, `command of: planc ${argv.join(' ')}`);
    assert.deepEqual(f.flags, c.flags, `flags of: planc ${argv.join(' ')}`);
  }
});

test('what the front hands over is the CLI\'s: help, version, planning verbs, and every malformed or unsure form', async () => {
  for (const argv of HANDED_OVER) assert.deepEqual(front(argv), { handOff: true }, `the front hands over: planc ${argv.join(' ')}`);
  // And never the other way round: a hot-verb shape the CLI's fast path declines (oclif's errors and help), the front declines too.
  for (const argv of HANDED_OVER) {
    const c = await cli(argv);
    if (c === null) assert.deepEqual(front(argv), { handOff: true });
  }
});

test('--version alone is the front\'s (its text generated at build from the CLI\'s own sources); any other form is the CLI\'s', () => {
  for (const v of ['--version', '-v']) assert.deepEqual(front([v]), { verb: '--version', args: [], flags: {} });
});
