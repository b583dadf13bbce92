// runc, for differential tests: the same bundle run by runc, with its own
// temporary --root, so a test can compare what the container sees under both.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

/** Debian's runc (1.1.5 on the project's machine: it knows runtime-spec 1.0.2, so only older fields compare). */
export const RUNC = '/usr/sbin/runc';

/**
 * `runc run` of a bundle in the foreground, its stdout and stderr captured in files; the
 * container is force-deleted and the private root removed afterwards, pass or fail.
 * A missing runc fails the test: a differential test without its reference proves nothing.
 */
export function runcRun(bundle: string, id: string, timeout = 20_000): { code: number | null; stdout: string; stderr: string } {
  assert.ok(existsSync(RUNC), `${RUNC} is missing: the differential tests compare planc with runc (apt-get install runc)`);
  const root = mkdtempSync(join(tmpdir(), 'planc-runc-root-'));
  const out = join(root, 'stdout');
  const err = join(root, 'stderr');
  const fds = [openSync(out, 'w'), openSync(err, 'w')];
  try {
    const r = spawnSync(RUNC, ['--root', join(root, 'state'), 'run', '--bundle', bundle, id], { stdio: ['ignore', fds[0], fds[1]], timeout, killSignal: 'SIGKILL' });
    if (r.error) throw new Error(`runc run: ${r.error.message}`);
    return { code: r.status, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
  } finally {
    for (const fd of fds) closeSync(fd);
    spawnSync(RUNC, ['--root', join(root, 'state'), 'delete', '--force', id], { stdio: 'ignore', timeout });
    rmSync(root, { recursive: true, force: true });
  }
}
