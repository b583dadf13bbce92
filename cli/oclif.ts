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
      const { args, flags } = await this.parse(cmd);
      await verb.run(args as never, flags as never, { setConfigPath: (p) => (this.configPath = p) });
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
