// User namespaces, live: root in the container is an unprivileged id on the
// host; devices are bound from the host (mknod is not allowed there).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { gated, leftovers, NEEDS_ROOT, openGate, Planc, waitFor } from '../helpers/planc.js';

const pc = new Planc();
after(() => pc.cleanup());

test('a user namespace maps container root to host uid 100000; /dev nodes are bound, not created', { skip: NEEDS_ROOT }, async (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(gated('cat /proc/self/uid_map; id -u; echo x > /dev/null && echo dev-null-works'), (c) => {
    c.linux.namespaces.push({ type: 'user' });
    c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  });
  // The init resolves the rootfs as host uid 100000: the (mkdtemp, 0700) directories above it must let it through.
  for (let d = bundle; d !== '/tmp' && d !== '/'; d = dirname(d)) chmodSync(d, 0o755);
  const pidFile = `${pc.root}-${id}.pid`;
  const r = pc.spawn(['run', '--pid-file', pidFile, '--bundle', bundle, id]);
  const pid = await waitFor('the pid file', () => {
    try {
      return Number(readFileSync(pidFile, 'utf8')) || undefined;
    } catch {
      return undefined;
    }
  });
  const hostUids = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^Uid:\s+(.*)$/m)![1]!.split(/\s+/);
  assert.deepEqual(hostUids, ['100000', '100000', '100000', '100000'], 'seen from the host, the container runs as uid 100000');
  const plan = JSON.parse(pc.ok(['plan', '--run', '--bundle', bundle, '--id', id, '--format', 'json']).stdout).plan;
  assert.equal(plan.actions.filter((a: { op: string }) => a.op === 'mknod').length, 0);
  assert.equal(plan.actions.filter((a: { op: string }) => a.op === 'device.bind').length, 6);
  openGate(bundle);
  const done = await r.done;
  assert.equal(done.code, 0, done.stderr);
  assert.match(done.stdout, /^\s+0\s+100000\s+65536$/m);
  assert.match(done.stdout, /^0$/m, 'root inside');
  assert.match(done.stdout, /^dev-null-works$/m);
  leftovers(pc.root, id, bundle);
});

test('create + start in a user namespace: the init (host uid 100000) waits on the start fifo it cannot reach by path, start releases it', { skip: NEEDS_ROOT }, async (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['sh', '-c', 'cat /proc/self/uid_map; id -u'], (c) => {
    c.linux.namespaces.push({ type: 'user' });
    c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  });
  for (let d = bundle; d !== '/tmp' && d !== '/'; d = dirname(d)) chmodSync(d, 0o755);
  // The state dir stays root's and 0700 (as podman's and containerd's are): the fifo is out of the init's reach by path.
  const { stdout, pid } = await pc.createStartWait(id, bundle);
  assert.ok(pid > 0);
  assert.match(stdout, /^\s+0\s+100000\s+65536\n0\n$/);
  pc.finish(id, bundle);
});

test('in a user namespace the init still sets its own oom_score_adj (its /proc files are opened while briefly dumpable)', { skip: NEEDS_ROOT }, async (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['cat', '/proc/self/oom_score_adj'], (c) => {
    c.linux.namespaces.push({ type: 'user' });
    c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    c.process.oomScoreAdj = 123;
  });
  for (let d = bundle; d !== '/tmp' && d !== '/'; d = dirname(d)) chmodSync(d, 0o755);
  const r = pc.run(['run', '--bundle', bundle, id]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '123\n');
  leftovers(pc.root, id, bundle);
});
