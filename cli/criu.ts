// checkpoint and restore need CRIU, which planc does not drive: what the
// caller gets is one line saying why they cannot work here — CRIU missing,
// or CRIU's own check failing on this kernel (with its first error) — never
// "command not found", which engines report as a broken runtime.
import { spawnSync } from 'node:child_process';
import { accessSync, constants as C, statSync } from 'node:fs';
import { join } from 'node:path';
import { PlancError } from '../schemas/error.js';

/** The criu binary --criu names (a path, or a name looked up in PATH), or null when there is none. */
function findCriu(flag: string): string | null {
  const candidates = flag.includes('/') ? [flag] : (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').filter(Boolean).map((d) => join(d, flag));
  for (const c of candidates) {
    try {
      accessSync(c, C.X_OK);
      if (statSync(c).isFile()) return c;
    } catch {
      // not there, or not executable
    }
  }
  return null;
}

/** The first line of criu's output that says what failed. */
function firstError(out: string): string {
  const lines = out.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /^error/i.test(l)) ?? lines[0] ?? 'no output';
}

/** Why `verb` cannot run here, as a PlancError to throw. */
export function criuUnusable(verb: 'checkpoint' | 'restore', criuFlag: string | undefined): PlancError {
  const name = criuFlag || 'criu';
  const criu = findCriu(name);
  if (!criu) {
    const where = name.includes('/') ? `--criu ${name}: no such executable` : 'criu is not installed (not found in PATH)';
    return new PlancError('unsupported', `${verb}: CRIU is not usable here: ${where}; nothing was done`);
  }
  const check = spawnSync(criu, ['check'], { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] });
  if (check.error || check.status !== 0) {
    const why = check.error ? check.error.message : firstError(`${check.stderr}\n${check.stdout}`);
    return new PlancError('unsupported', `${verb}: CRIU is not usable here: \`${criu} check\` failed: ${why}; nothing was done`);
  }
  return new PlancError('unsupported', `${verb}: planc does not drive CRIU (\`${criu} check\` passes here, but checkpoint and restore are not implemented); nothing was done`);
}
