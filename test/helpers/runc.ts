// Where runc is, for the differential tests (planc and runc on the same bundle)
// and for the skip gate's "no runc" condition. No side effects on import.
import { spawnSync } from 'node:child_process';
import { accessSync, closeSync, constants as C, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** runc's path: /usr/sbin/runc (Debian's package), else the first runc on PATH; null when there is none. */
export function runcBinary(): string | null {
  const dirs = ['/usr/sbin', ...(process.env.PATH ?? '').split(':').filter(Boolean)];
  for (const d of dirs) {
    try {
      accessSync(join(d, 'runc'), C.X_OK);
      return join(d, 'runc');
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * `runc run` of a bundle in the foreground, with a private temporary --root, its stdout and
 * stderr captured in files; the container is force-deleted and the root removed afterwards,
 * pass or fail. Callers skip (reason "needs runc", allowed by the gate only where runc is absent)
 * when runcBinary() is null.
 */
export function runcRun(bundle: string, id: string, timeout = 20_000): { code: number | null; stdout: string; stderr: string } {
  const runc = runcBinary();
  if (!runc) throw new Error('runc is not installed: check runcBinary() and skip with "needs runc" first');
  const root = mkdtempSync(join(tmpdir(), 'planc-runc-root-'));
  const out = join(root, 'stdout');
  const err = join(root, 'stderr');
  const fds = [openSync(out, 'w'), openSync(err, 'w')];
  try {
    const r = spawnSync(runc, ['--root', join(root, 'state'), 'run', '--bundle', bundle, id], { stdio: ['ignore', fds[0], fds[1]], timeout, killSignal: 'SIGKILL' });
    if (r.error) throw new Error(`runc run: ${r.error.message}`);
    return { code: r.status, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
  } finally {
    for (const fd of fds) closeSync(fd);
    spawnSync(runc, ['--root', join(root, 'state'), 'delete', '--force', id], { stdio: 'ignore', timeout });
    rmSync(root, { recursive: true, force: true });
  }
}
