// The verbs the native front serves (cli/native/, built to build/planc) have
// that one implementation. When such a verb reaches the CLI anyway — a form
// of its command line the front hands over (`--debug=true`, flags oclif
// normalises) — or when another verb needs what it does, the CLI runs the
// front with the arguments said canonically, and never does the work twice.
import { spawnSync } from 'node:child_process';
import { PlancError } from '../schemas/error.js';

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

/** What a create knows it made before its record exists: what the undo of a failed create takes apart. */
export interface FrontRemains {
  pid: number;
  startTime: string;
  cgroups: { path: string; ino: number; made: boolean }[];
  auditLog?: string;
  planDigest?: string;
  /** The create finished: the poststop hooks run (else only once the trail shows a hook ran). */
  finished?: boolean;
}

/** A finished container's remains, from its record as this process holds it. */
export function remainsOfRecord(rec: Pick<FrontRemains, 'pid' | 'startTime' | 'cgroups' | 'auditLog'> & { planDigest: string }): FrontRemains {
  return { pid: rec.pid, startTime: rec.startTime, cgroups: rec.cgroups, ...(rec.auditLog ? { auditLog: rec.auditLog } : {}), planDigest: rec.planDigest, finished: true };
}

/**
 * Take a container apart with the front's teardown (cli/native/teardown.c, the one
 * implementation; `planc delete` is the same code): the undo of a failed create or start
 * ('undo'), the end of a foreground run ('exit'). The caller holds the directory's lock:
 * its fd goes to the front, which then holds the same lock (flock is the open file's).
 * Poststop warnings are said here as ours; a failure is thrown, as the front's one line said it.
 */
export function frontTeardown(
  dir: { fd: number; id: string; root: { path: string } },
  kind: 'undo' | 'exit',
  warn: (msg: string) => void,
  opts: { signKey?: string; remains?: FrontRemains; reason?: string; bestEffort?: boolean } = {},
): void {
  const argv = [...frontGlobals({ root: dir.root.path, 'audit-sign-key': opts.signKey }), 'teardown', `--kind=${kind}`, '--dir-fd=3'];
  if (opts.remains) argv.push(`--remains=${JSON.stringify(opts.remains)}`);
  if (opts.reason !== undefined) argv.push(`--reason=${opts.reason}`);
  if (opts.bestEffort) argv.push('--best-effort');
  argv.push('--', dir.id);
  frontOnDir(dir, argv, warn);
}

/**
 * Run an internal verb of the front on a container whose directory this process holds
 * locked: the directory's fd goes with it as fd 3 (--dir-fd=3), so the front holds the same
 * lock (flock is the open file's) and no other planc steps in between. Warnings are said
 * here as ours; a failure is thrown, as the front's one line said it.
 */
export function frontOnDir(dir: { fd: number }, argv: string[], warn: (msg: string) => void): void {
  const r = spawnSync(FRONT_PATH, argv, { encoding: 'utf8', stdio: ['ignore', 'inherit', 'pipe', dir.fd], env: { ...process.env, PLANC_FRONT_ONLY: '1' } });
  if (r.error) throw new PlancError('system', `cannot run planc's native front ${FRONT_PATH}: ${r.error.message}`);
  const lines = r.stderr.split('\n').filter(Boolean);
  for (const l of lines) if (l.startsWith('planc: warning: ')) warn(l.slice('planc: warning: '.length));
  if (r.status !== 0) {
    const line = lines.filter((l) => !l.startsWith('planc: warning: ')).at(-1)?.replace(/^planc: /, '');
    throw new PlancError('system', line ?? (r.signal ? `planc's native front was killed by ${r.signal}` : `planc's native front exited with status ${r.status}`));
  }
}
