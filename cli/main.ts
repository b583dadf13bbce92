// planc's entry. runc's global flags come before the verb
// (`planc --root /x --log-format=json create …`); they are moved behind it.
// A well-formed call of a known verb runs without loading oclif (fast.ts);
// help and malformed flags go to oclif; an unknown verb is an error like any other.
import { escapeControls } from '../schemas/error.js';
import { TOPICS, VERBS } from './commands.js';
import { fastParse, normalizeSwitches, separateCommand } from './fast.js';
import { isRootless, rootlessStateRoot, setRootlessMode } from './rootless.js';
import { describeError, logTarget, reportError } from './report.js';

const WITH_VALUE = new Set(['--root', '--log', '--log-format', '--criu', '--audit-dir', '--audit-sign-key']);
const SWITCHES = new Set(['--debug', '--systemd-cgroup']);

/** [verb, ...global flags, ...the verb's own arguments]. */
export function rewriteArgv(argv: string[]): string[] {
  const globals: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    const name = a.split('=')[0]!;
    if (name === '--rootless') {
      // true|false|auto, as runc: auto is rootless when not root (cli/rootless.ts).
      setRootlessMode(a.includes('=') ? a.slice(a.indexOf('=') + 1) : (argv[++i] ?? ''));
    } else if (WITH_VALUE.has(name)) {
      globals.push(a);
      if (!a.includes('=') && i + 1 < argv.length) globals.push(argv[++i]!);
    } else if (SWITCHES.has(name)) {
      // runc takes --debug=true / --debug=false too.
      const value = a.includes('=') ? a.slice(a.indexOf('=') + 1) : 'true';
      if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) globals.push(name);
      else if (!['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) globals.push(a);
    }
    else break;
  }
  const rest = argv.slice(i);
  if (rest.length === 0) return ['--help', ...globals];
  if (rest[0] === 'help') {
    // `planc help [verb]`, as runc has it (`help image unpack` too): oclif's own form is `verb --help`.
    const [w1, w2] = rest.slice(1);
    const id = w1 !== undefined && TOPICS.has(w1) && w2 !== undefined ? `${w1}:${w2}` : w1;
    return [...(id !== undefined && (id in VERBS || TOPICS.has(id)) ? [id] : []), '--help', ...globals];
  }
  // `image unpack …` is the verb 'image:unpack' (oclif's own id for it).
  if (TOPICS.has(rest[0]!) && rest.length > 1 && !rest[1]!.startsWith('-')) return [`${rest[0]}:${rest[1]}`, ...globals, ...rest.slice(2)];
  return [rest[0]!, ...globals, ...rest.slice(1)];
}

/**
 * runc's first lines, which engines parse: "planc version X", then "spec: " and the newest
 * runtime-spec version planc implements (the one `planc features` reports as ociVersionMax).
 */
async function printVersion(packageRoot: string): Promise<void> {
  const { readFileSync } = await import('node:fs');
  const { features } = await import('../planner/features.js');
  const { version } = JSON.parse(readFileSync(`${packageRoot}/package.json`, 'utf8')) as { version: string };
  process.stdout.write(`planc version ${version}\nspec: ${String(features().ociVersionMax)}\n`);
}

/** @param packageRoot the directory holding package.json (oclif reads it for help) */
export async function main(argv: string[], packageRoot: string): Promise<void> {
  // A reader that went away (`planc … | head`) must not crash planc halfway through a create.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
  const args = rewriteArgv(argv);
  if (args[0] === '--version' || args[0] === '-v') return printVersion(packageRoot);
  // Rootless without --root: state under $XDG_RUNTIME_DIR/planc, as runc keeps it (/run/planc is root's).
  try {
    const rootless = isRootless(); // checks a --rootless value whatever the verb
    if (rootless && process.geteuid?.() !== 0 && !args.some((a) => a === '--root' || a.startsWith('--root='))) args.splice(1, 0, '--root', rootlessStateRoot());
  } catch (e) {
    reportError(describeError(e), logTarget(args));
    process.exitCode = 1;
    return;
  }
  const load = VERBS[args[0]!];
  if (load) {
    const verb = (await load()).default;
    // The command of `exec ID cmd…` first: --x=true in it is the command's, not a switch of ours.
    args.splice(1, args.length - 1, ...normalizeSwitches(verb, separateCommand(verb, args.slice(1))));
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
  if (!load && !args[0]!.startsWith('-') && !TOPICS.has(args[0]!)) {
    // Not a verb: said like every other error (one line, and into --log, where containerd's
    // shim and conmon look for the runtime's error), not as oclif's multi-line hint on stderr only.
    reportError(`${escapeControls(args[0]!)}: no such command (planc --help lists them)`, logTarget(args));
    process.exitCode = 1;
    return;
  }
  const { execute } = await import('@oclif/core');
  await execute({ dir: packageRoot, args });
}
