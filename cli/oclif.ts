// oclif command classes built from verb specs: oclif gives planc its help,
// its parse errors and the full parser; verbs stay plain data + a function.
import { Args, Command, Flags } from '@oclif/core';
import { type ArgSpec, type FlagSpec, GLOBAL_FLAGS, type Verb } from './verb.js';
import { describeError, logTarget, reportError } from './report.js';

import type { Interfaces } from '@oclif/core';

function toFlag(spec: FlagSpec, helpGroup?: string): Interfaces.Flag<unknown> {
  const common = { description: spec.description, char: spec.char as 'a' | undefined, helpGroup };
  if (spec.type === 'boolean') return Flags.boolean(common) as Interfaces.Flag<unknown>;
  if (spec.type === 'integer') return Flags.integer({ ...common, min: spec.min, default: spec.default }) as Interfaces.Flag<unknown>;
  // Non-greedy: `--env A ID` must not take ID as a second value.
  if ('multiple' in spec) return Flags.string({ ...common, multiple: true, multipleNonGreedy: true }) as Interfaces.Flag<unknown>;
  return Flags.string({ ...common, options: spec.options ? [...spec.options] : undefined, default: spec.default }) as Interfaces.Flag<unknown>;
}

const mapFlags = (specs: Record<string, FlagSpec>, group?: string) => Object.fromEntries(Object.entries(specs).map(([k, s]) => [k, toFlag(s, group)]));
const mapArgs = (specs: Record<string, ArgSpec>) => Object.fromEntries(Object.entries(specs).map(([k, s]) => [k, Args.string({ description: s.description, required: s.required, default: s.default })]));

export function commandOf(verb: Verb): typeof Command {
  const cmd = class extends Command {
    static override summary = verb.summary;
    // A verb's own flag of the same name (spec --rootless) wins over a global one.
    static override baseFlags = mapFlags(Object.fromEntries(Object.entries(GLOBAL_FLAGS).filter(([k]) => !(k in verb.flags))), 'GLOBAL');
    static override flags = mapFlags(verb.flags);
    static override args = mapArgs(verb.args);
    static override strict = !verb.variadic;
    private configPath?: string;

    async run(): Promise<void> {
      const { args, argv, flags } = await this.parse(cmd);
      // A variadic verb's command is everything after the separator main.ts put after its first
      // argument (fast.ts separateCommand), taken from the raw argv: oclif's own argv list may
      // reorder a word that is also one of the verb's flags (`exec -u 1 c1 -- id -u`).
      const sep = this.argv.indexOf('--');
      const rest = verb.variadic && sep >= 0 ? this.argv.slice(sep + 1) : (argv as string[]).slice(Object.keys(verb.args).length);
      await verb.run(args as never, flags as never, { setConfigPath: (p) => (this.configPath = p), rest });
    }

    protected override async catch(err: Error & { code?: string; oclif?: { exit?: number } }): Promise<never> {
      // this.exit(n) and --help are decisions, not errors to report.
      if (err.code === 'EEXIT' || err.oclif?.exit === 0) throw err;
      reportError(describeError(err, this.configPath), logTarget(this.argv));
      return this.exit(1);
    }
  };
  return cmd;
}
