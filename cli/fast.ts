// The fast path: parse a well-formed invocation from the verb's specs without
// loading oclif (oclif alone costs about as much as Node's own start). Anything
// this parser is unsure of — help, unknown or repeated flags, missing or extra
// arguments, bad values — returns null, and oclif parses it instead, so oclif
// stays the authority for errors and help. test/unit/cli-parse.test.ts checks
// both parsers agree on what the fast path accepts.
import { type FlagSpec, GLOBAL_FLAGS, type Verb } from './verb.js';

export interface Parsed {
  args: Record<string, string | undefined>;
  flags: Record<string, string | string[] | number | boolean | undefined>;
  /** Positional arguments after the declared ones (variadic verbs). */
  rest: string[];
}

/**
 * For a variadic verb, flags end at its first positional argument, as with runc (`exec [flags] ID cmd…`):
 * a `--` is put after that argument so both parsers take the rest as arguments, whatever dashes it has.
 */
export function separateCommand(verb: Verb, argv: string[]): string[] {
  if (!verb.variadic) return argv;
  const specs: Record<string, FlagSpec> = { ...GLOBAL_FLAGS, ...verb.flags };
  const byChar = new Map(Object.entries(specs).filter(([, s]) => s.char).map(([k, s]) => [s.char!, k]));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return argv;
    if (!a.startsWith('-') || a === '-') {
      // `exec ID -- cmd` (runc's man page form) keeps its one separator.
      return argv[i + 1] === '--' ? argv : [...argv.slice(0, i + 1), '--', ...argv.slice(i + 1)];
    }
    const name = a.startsWith('--') ? a.slice(2).split('=')[0]! : a.length === 2 ? byChar.get(a[1]!) : undefined;
    const spec = name === undefined ? undefined : specs[name];
    if (spec && spec.type !== 'boolean' && !a.includes('=')) i++; // its value
  }
  return argv;
}

export function fastParse(verb: Verb, argv: string[]): Parsed | null {
  const specs: Record<string, FlagSpec> = { ...GLOBAL_FLAGS, ...verb.flags };
  const byChar = new Map(Object.entries(specs).filter(([, s]) => s.char).map(([k, s]) => [s.char!, k]));
  const flags: Parsed['flags'] = {};
  const positional: string[] = [];
  let onlyArgs = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (onlyArgs || !a.startsWith('-') || a === '-') {
      positional.push(a);
      continue;
    }
    if (a === '--') {
      onlyArgs = true;
      continue;
    }
    let name: string | undefined;
    let value: string | undefined;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      if (eq >= 0) value = a.slice(eq + 1);
    } else if (a.length === 2) name = byChar.get(a[1]!);
    const spec = name === undefined ? undefined : specs[name];
    if (!spec || name === undefined || (name in flags && !('multiple' in spec))) return null;
    if (spec.type === 'boolean') {
      if (value !== undefined) return null;
      flags[name] = true;
      continue;
    }
    if (value === undefined) {
      // A negative number is a value (`--memory-swap -1`), and so is "-" (stdin: `update -r -`), as with runc
      // and oclif; any other dash starts a flag.
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('-') && next !== '-' && !/^-[0-9]/.test(next))) return null;
      value = argv[++i]!;
    }
    if (spec.type === 'integer') {
      if (!/^-?[0-9]+$/.test(value)) return null;
      const n = Number(value);
      if (spec.min !== undefined && n < spec.min) return null;
      flags[name] = n;
    } else if ('multiple' in spec) {
      flags[name] = [...((flags[name] as string[] | undefined) ?? []), value];
    } else {
      if (spec.options && !spec.options.includes(value)) return null;
      flags[name] = value;
    }
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (name in flags) continue;
    // As oclif: an absent switch is undefined, not false.
    flags[name] = spec.type === 'boolean' || 'multiple' in spec ? undefined : spec.default;
  }
  const argNames = Object.keys(verb.args);
  if (positional.length > argNames.length && !verb.variadic) return null;
  const args: Parsed['args'] = {};
  for (const [k, name] of argNames.entries()) {
    const spec = verb.args[name]!;
    const v = positional[k] ?? spec.default;
    if (v === undefined && spec.required) return null;
    args[name] = v;
  }
  return { args, flags, rest: positional.slice(argNames.length) };
}

// Go's strconv.ParseBool, which runc's flag parser uses for `--flag=value` on a switch.
const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/**
 * `--switch=true` / `--switch=false`, which runc accepts for every switch, in the form both
 * parsers read: `--switch`, or nothing. Anything else is left for the parsers to report.
 */
export function normalizeSwitches(verb: Verb, argv: string[]): string[] {
  const specs: Record<string, FlagSpec> = { ...GLOBAL_FLAGS, ...verb.flags };
  const out: string[] = [];
  for (const [k, a] of argv.entries()) {
    const m = /^--([^=]+)=(.*)$/.exec(a);
    if (argv.slice(0, k).includes('--') || !m || specs[m[1]!]?.type !== 'boolean') out.push(a);
    else if (TRUE.has(m[2]!)) out.push(`--${m[1]}`);
    else if (!FALSE.has(m[2]!)) out.push(a);
  }
  return out;
}
