// `planc lint` on real bundles: the host paths a config names are looked at
// on this host (symlinks followed, sockets and device nodes by type), so a
// harmless-looking name that leads somewhere dangerous is caught. No root.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = new URL('../../bin/planc.cjs', import.meta.url).pathname;
const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), 'planc-lint-paths-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function bundle(name: string, mounts: object[], mutate?: (c: any) => void): string {
  const dir = join(scratch, name);
  mkdirSync(join(dir, 'rootfs'), { recursive: true });
  copyFileSync(join(FIXTURES, 'default.json'), join(dir, 'config.json'));
  const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  c.mounts.push(...mounts);
  mutate?.(c);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(c));
  return dir;
}

function lint(dir: string) {
  const r = spawnSync(process.execPath, [BIN, '--root', join(scratch, 'state'), 'lint', '-b', dir], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, findings: r.stdout.split('\n').filter((l) => l && !/\[(no-seccomp|root-user)\]/.test(l)), stderr: r.stderr };
}

test('lint: a writable bind of /etc/shadow fails with a host-credentials error naming the mount', () => {
  const b = bundle('shadow', [{ destination: '/shadow', type: 'bind', source: '/etc/shadow', options: ['rbind'] }]);
  const r = lint(b);
  assert.equal(r.code, 1, r.stderr);
  assert.deepEqual(r.findings, [`error: host path /etc/shadow is host credentials; it is bound writable into the container [host-credentials] ← ${b}/config.json: /mounts/7`]);
});

test('lint: a source inside the bundle that is a symlink to /etc is judged by where it leads', () => {
  const b = bundle('symlinked', [{ destination: '/data', type: 'bind', source: 'data', options: ['rbind', 'ro'] }]);
  symlinkSync('/etc', join(b, 'data'));
  const r = lint(b);
  assert.equal(r.code, 1, r.stderr);
  assert.deepEqual(r.findings, [`error: host path ${b}/data resolves to /etc, which contains /etc/shadow (host credentials); it is bound read-only into the container [host-credentials] ← ${b}/config.json: /mounts/7`]);
  // The same name as a plain directory of the bundle: the container's own, no finding.
  const plain = bundle('plain', [{ destination: '/data', type: 'bind', source: 'data', options: ['rbind', 'ro'] }]);
  mkdirSync(join(plain, 'data'));
  assert.deepEqual(lint(plain), { code: 0, findings: [], stderr: '' });
});

test('lint: a unix socket bound in is found by its type, whatever its name', async () => {
  const sock = join(scratch, 'app.ctl');
  const server = createServer().listen(sock);
  await new Promise((r) => server.once('listening', r));
  try {
    const b = bundle('socket', [{ destination: '/ctl', type: 'bind', source: sock, options: ['bind'] }]);
    const r = lint(b);
    assert.equal(r.code, 0, 'a socket of no known runtime is a warning');
    assert.deepEqual(r.findings, [`warning: host path ${sock} is a host unix socket: the container can talk to whatever listens on it; it is bound writable into the container [host-socket] ← ${b}/config.json: /mounts/7`]);
  } finally {
    server.close();
  }
});

test('lint: root.path "../../.." (the host\'s /) fails with rootfs-outside-bundle and host-root', () => {
  const b = bundle('escape', [], (c) => (c.root.path = '../../../../../../../..'));
  const r = lint(b);
  assert.equal(r.code, 1, r.stderr);
  assert.deepEqual(r.findings, [
    `warning: root.path "../../../../../../../.." resolves to /, outside the bundle ${b} [rootfs-outside-bundle] ← ${b}/config.json: /root/path`,
    `error: the rootfs is a host path: / is the host's root directory [host-root] ← ${b}/config.json: /root/path`,
  ]);
});
