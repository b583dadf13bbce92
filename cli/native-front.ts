// The verbs the native front serves (cli/native/, built to build/planc) have
// that one implementation. When such a verb reaches the CLI anyway — a form
// of its command line the front hands over (`--debug=true`, flags oclif
// normalises) — or when another verb needs what it does, the CLI runs the
// front with the arguments said canonically, and never does the work twice.
import { spawnSync } from 'node:child_process';
import { PlancError } from '../schemas/error.js';
import { execWith } from './libc.js';

export const FRONT_PATH = new URL('../build/planc', import.meta.url).pathname;

/** The global flags the front understands, as `--name value` pairs. */
export function frontGlobals(flags: { root?: string; log?: string; 'log-format'?: string; 'audit-dir'?: string; 'audit-sign-key'?: string }): string[] {
  const out: string[] = [];
  for (const name of ['root', 'log', 'log-format', 'audit-dir', 'audit-sign-key'] as const) {
    const v = flags[name];
    if (v !== undefined) out.push(`--${name}=${v}`);
  }
  return out;
}

/** Run the front for a verb, its output and errors going straight to ours; the verb's exit status becomes ours. */
export function runFront(argv: string[]): void {
  const r = spawnSync(FRONT_PATH, argv, { stdio: 'inherit', env: { ...process.env, PLANC_FRONT_ONLY: '1' } });
  if (r.error) throw new PlancError('system', `cannot run planc's native front ${FRONT_PATH}: ${r.error.message}`);
  process.exitCode = r.status ?? 1;
}

/** Run the front and return what it printed; its error line becomes a PlancError. */
export function frontOutput(argv: string[]): string {
  const r = spawnSync(FRONT_PATH, argv, { encoding: 'utf8', env: { ...process.env, PLANC_FRONT_ONLY: '1' } });
  if (r.error) throw new PlancError('system', `cannot run planc's native front ${FRONT_PATH}: ${r.error.message}`);
  if (r.status !== 0) {
    const line = r.stderr.trim().split('\n').at(-1)?.replace(/^planc: /, '') ?? `exit status ${r.status}`;
    throw new PlancError('system', line);
  }
  return r.stdout;
}

/**
 * Become the front's apply step (cli/native/apply.c) once this process has planned: its image replaced (execve),
 * so the pid the caller started stays planc's and no Node waits around. Each of `files` goes on a memfd above the
 * preserved fds and is named to the front by its flag (`plan-fd` → `--plan-fd=N`); `args` are apply's other flags;
 * `keep` are fds of this process the front takes over as they are (the preserved ones always). Never returns.
 */
export function becomeApply(
  flags: Parameters<typeof frontGlobals>[0] & { 'preserve-fds': number; 'pid-file'?: string },
  mode: 'create' | 'run' | 'run-detached' | 'exec',
  id: string,
  files: [flag: string, data: Uint8Array][],
  args: string[],
  keep: number[] = [],
): never {
  const k = flags['preserve-fds'];
  const argv = (fds: number[]) => [
    FRONT_PATH,
    ...frontGlobals(flags),
    'apply',
    `--mode=${mode}`,
    ...files.map(([flag], n) => `--${flag}=${fds[n]}`),
    ...args,
    ...(flags['pid-file'] ? [`--pid-file=${flags['pid-file']}`] : []),
    `--preserve-fds=${k}`,
    '--',
    id,
  ];
  const preserved = Array.from({ length: k }, (_, n) => 3 + n);
  const e = execWith(FRONT_PATH, argv, { ...process.env, PLANC_FRONT_ONLY: '1' }, files.map(([, data]) => data), 3 + k, [...preserved, ...keep]);
  throw new PlancError('system', `cannot run planc's native front ${FRONT_PATH}: errno ${e}`);
}
