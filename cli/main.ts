// planc's entry. runc's global flags come before the verb
// (`planc --root /x --log-format=json create …`); they are moved behind it.
// A well-formed call of a known verb runs without loading oclif (fast.ts);
// everything else — help, unknown verbs, malformed flags — goes to oclif.
import { VERBS } from './commands.js';
import { fastParse, separateCommand } from './fast.js';
import { describeError, logTarget, reportError } from './report.js';

const WITH_VALUE = new Set(['--root', '--log', '--log-format', '--criu']);
const SWITCHES = new Set(['--debug', '--systemd-cgroup']);

/** [verb, ...global flags, ...the verb's own arguments]. */
export function rewriteArgv(argv: string[]): string[] {
  const globals: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    const name = a.split('=')[0]!;
    if (name === '--rootless') {
      // true|false|auto: planc decides by its effective uid either way.
      if (!a.includes('=')) i++;
    } else if (WITH_VALUE.has(name)) {
      globals.push(a);
      if (!a.includes('=') && i + 1 < argv.length) globals.push(argv[++i]!);
    } else if (SWITCHES.has(name)) globals.push(a);
    else break;
  }
  const rest = argv.slice(i);
  return rest.length === 0 ? ['--help', ...globals] : [rest[0]!, ...globals, ...rest.slice(1)];
}

/** @param packageRoot the directory holding package.json (oclif reads it for help) */
export async function main(argv: string[], packageRoot: string): Promise<void> {
  // A reader that went away (`planc … | head`) must not crash planc halfway through a create.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
  if (argv[0] === '--version' || argv[0] === '-v') {
    const { readFileSync } = await import('node:fs');
    const { version } = JSON.parse(readFileSync(`${packageRoot}/package.json`, 'utf8')) as { version: string };
    process.stdout.write(`planc version ${version}\nspec: 1.2.0\n`);
    return;
  }
  const args = rewriteArgv(argv);
  const load = VERBS[args[0]!];
  if (load) {
    const verb = (await load()).default;
    args.splice(1, args.length - 1, ...separateCommand(verb, args.slice(1)));
    const parsed = fastParse(verb, args.slice(1));
    if (parsed) {
      let configPath: string | undefined;
      try {
        await verb.run(parsed.args as never, parsed.flags as never, { setConfigPath: (p) => (configPath = p), rest: parsed.rest });
      } catch (e) {
        reportError(describeError(e, configPath), logTarget(args));
        process.exitCode = 1;
      }
      return;
    }
  }
  const { execute } = await import('@oclif/core');
  await execute({ dir: packageRoot, args });
}
