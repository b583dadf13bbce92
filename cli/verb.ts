// A verb is data plus a function: its flags and args as plain specs, and
// what it does. No oclif import here, so the hot path can run a verb without
// loading oclif (see fast.ts); oclif's command classes are built from the
// same specs (see oclif.ts), so help, validation and parsing agree.

export type FlagSpec =
  | { type: 'boolean'; char?: string; description: string }
  | { type: 'string'; char?: string; description: string; options?: readonly string[]; default?: string }
  /** A flag that may be given many times (runc's slice flags: `exec --env A --env B`): its values in order. */
  | { type: 'string'; multiple: true; char?: string; description: string }
  | { type: 'integer'; char?: string; description: string; min?: number; default?: number };

export interface ArgSpec {
  description: string;
  required?: boolean;
  default?: string;
}

type FlagValue<S extends FlagSpec> = S extends { type: 'boolean' }
  ? boolean | undefined
  : S extends { multiple: true }
    ? string[] | undefined
  : S extends { type: 'integer' }
    ? S extends { default: number } ? number : number | undefined
    : S extends { default: string } ? string : string | undefined;

export type FlagValues<F extends Record<string, FlagSpec>> = { [K in keyof F]: FlagValue<F[K]> };
type ArgValues<A extends Record<string, ArgSpec>> = { [K in keyof A]: A[K] extends { required: true } | { default: string } ? string : string | undefined };

// runc's global flags (--rootless true|false|auto is consumed by bin/planc.cjs).
export const GLOBAL_FLAGS = {
  root: { type: 'string', description: 'root directory for storage of container state', default: '/run/planc' },
  log: { type: 'string', description: 'file to write errors to, as well as stderr' },
  'log-format': { type: 'string', description: 'format of --log records', options: ['text', 'json'], default: 'text' },
  debug: { type: 'boolean', description: 'write debug records' },
  'systemd-cgroup': { type: 'boolean', description: 'cgroupsPath is slice:prefix:name (systemd style)' },
  criu: { type: 'string', description: 'path to criu (checkpoint/restore are not supported)' },
  'audit-dir': { type: 'string', description: 'the durable audit store (default: $PLANC_AUDIT_DIR, else /var/lib/planc/audit; rootless: ~/.local/share/planc/audit); never cleaned by delete' },
  'audit-sign-key': { type: 'string', description: 'Ed25519 private key (PEM) to sign the closing record of each trail with (default: $PLANC_AUDIT_SIGN_KEY)' },
} as const satisfies Record<string, FlagSpec>;

export interface VerbContext {
  /** Tell the error reporter which config file errors with a JSON pointer refer to. */
  setConfigPath(path: string): void;
  /** A variadic verb's positional arguments after its declared ones (`exec ID cmd…`: the command). */
  rest: string[];
}

export interface Verb<F extends Record<string, FlagSpec> = Record<string, FlagSpec>, A extends Record<string, ArgSpec> = Record<string, ArgSpec>> {
  summary: string;
  args: A;
  flags: F;
  /**
   * Extra positional arguments allowed (e.g. `exec ID cmd…`), in ctx.rest. As with runc, flags end at
   * the first positional argument: what follows it belongs to the command (`exec c1 sh -c 'ls'`).
   */
  variadic?: boolean;
  run(args: ArgValues<A>, flags: FlagValues<F & typeof GLOBAL_FLAGS>, ctx: VerbContext): Promise<void> | void;
}

export function defineVerb<const F extends Record<string, FlagSpec>, const A extends Record<string, ArgSpec>>(v: Verb<F, A>): Verb<F, A> {
  return v;
}
