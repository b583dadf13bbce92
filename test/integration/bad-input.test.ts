// Failures: each one exits 1 with exactly one `planc: ` line on stderr that says
// what and where, and leaves nothing behind.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { cgroupDir, leftovers, NEEDS_ROOT, Planc, type Result, uniqueId, verifyAudit, verifyStartedAudit, waitFor } from '../helpers/planc.js';

const pc = new Planc();
after(() => pc.cleanup());
const skip = NEEDS_ROOT;

/** Exit 1, one `planc: ` line matching every pattern, and nothing of `id` left. */
function failsCleanly(r: Result, patterns: (RegExp | string)[], id?: string, bundle?: string): string {
  assert.equal(r.code, 1, `exit code (stderr: ${r.stderr})`);
  assert.match(r.stderr, /^planc: [^\n]+\n$/, `exactly one error line on stderr: ${JSON.stringify(r.stderr)}`);
  const line = r.stderr.trimEnd();
  for (const p of patterns) {
    if (typeof p === 'string') assert.ok(line.includes(p), `error line ${JSON.stringify(line)} should contain ${JSON.stringify(p)}`);
    else assert.match(line, p);
  }
  if (id) leftovers(pc.root, id, bundle);
  return line;
}

const setArgs = (args: string[]) => (c: any) => (c.process.args = args); // eslint-disable-line @typescript-eslint/no-explicit-any

for (const verb of ['create', 'run']) {
  test(`${verb}: missing bundle dir`, { skip }, (t) => {
    const id = pc.id(t);
    const missing = join(tmpdir(), `planc-it-no-such-bundle-${process.pid}`);
    failsCleanly(pc.run([verb, '--bundle', missing, id]), [missing, /no such file or directory/i], id);
  });
}

test('bundle without config.json', { skip }, (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['true']);
  rmSync(join(bundle, 'config.json'));
  failsCleanly(pc.run(['create', '--bundle', bundle, id]), [join(bundle, 'config.json'), /no such file or directory/i], id, bundle);
});

test('invalid JSON: names config.json and a line and column', { skip }, (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['true']);
  writeFileSync(join(bundle, 'config.json'), '{\n  "ociVersion": "1.2.0",\n  "process": {,\n}\n');
  failsCleanly(pc.run(['create', '--bundle', bundle, id]), [join(bundle, 'config.json'), /line 3\b/, /column \d+/], id, bundle);
});

test('schema-invalid config: process.args a string', { skip }, (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['true'], (c) => (c.process.args = 'sh'));
  failsCleanly(pc.run(['create', '--bundle', bundle, id]), [join(bundle, 'config.json'), '/process/args', 'must be array'], id, bundle);
});

test('missing rootfs dir', { skip }, (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['true'], (c) => (c.root.path = 'no-such-rootfs'));
  failsCleanly(pc.run(['create', '--bundle', bundle, id]), [join(bundle, 'no-such-rootfs'), '/root/path'], id, bundle);
});

for (const verb of ['create', 'run']) {
  test(`${verb}: process.args[0] "/nope" → no such file or directory`, { skip }, (t) => {
    const id = pc.id(t);
    const bundle = pc.bundle(['/nope']);
    failsCleanly(pc.run([verb, '--bundle', bundle, id]), ['/process/args/0', '"/nope"', 'no such file or directory'], id, bundle);
  });

  test(`${verb}: process.args[0] "nope" → executable file not found in $PATH`, { skip }, (t) => {
    const id = pc.id(t);
    const bundle = pc.bundle(['nope', 'arg']);
    failsCleanly(pc.run([verb, '--bundle', bundle, id]), ['/process/args/0', '"nope"', 'executable file not found in $PATH'], id, bundle);
  });
}

test('process.args[0] that is not executable → permission denied', { skip }, (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['/etc/passwd']);
  failsCleanly(pc.run(['create', '--bundle', bundle, id]), ['/process/args/0', '"/etc/passwd"', 'permission denied'], id, bundle);
});

test('invalid container id', { skip }, () => {
  const bundle = pc.bundle(['true']);
  failsCleanly(pc.run(['create', '--bundle', bundle, '../escape']), ['invalid container id', '../escape']);
  assert.ok(!existsSync(join(pc.root, '..', 'escape')), 'nothing was created outside the root');
});

test('process.terminal true without a console socket fails before anything exists (as runc: create detaches)', { skip }, (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['true'], (c) => (c.process.terminal = true));
  failsCleanly(pc.run(['create', '--bundle', bundle, id]), ['/process/terminal', 'cannot allocate tty if planc will detach without setting console socket'], id, bundle);
});

test('duplicate id: the second create fails, the first container is untouched and still deletable', { skip }, async (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['sleep', '100']);
  pc.ok(['create', '--bundle', bundle, id]);
  const before = pc.state(id);
  const files = pc.stateFiles(id);
  const auditBefore = readFileSync(files.audit, 'utf8');
  const planBefore = readFileSync(files.plan);
  const stateBefore = readFileSync(files.state, 'utf8');

  const other = pc.bundle(['true']);
  failsCleanly(pc.run(['create', '--bundle', other, id]), ['already exists', id]);
  failsCleanly(pc.run(['run', '--bundle', other, id]), ['already exists', id]);

  assert.deepEqual(pc.state(id), before);
  assert.equal(readFileSync(files.audit, 'utf8'), auditBefore);
  assert.ok(readFileSync(files.plan).equals(planBefore), "plan.msgpack unchanged");
  assert.equal(readFileSync(files.state, 'utf8'), stateBefore);
  assert.ok(existsSync(files.fifo), 'exec.fifo is still there');
  assert.ok(existsSync(cgroupDir('memory', `planc/${id}`)), 'its cgroup is still there');
  verifyAudit(pc.root, id, { expect: 'created' });

  // Still works: it starts, and then deletes cleanly.
  pc.ok(['start', id]);
  assert.equal(pc.state(id).status, 'running');
  await verifyStartedAudit(pc.root, id);
  pc.ok(['delete', '--force', id]);
  leftovers(pc.root, id, bundle);
});

for (const verb of ['state', 'kill', 'delete', 'start']) {
  test(`${verb} of an unknown id → container does not exist`, { skip }, () => {
    const id = uniqueId('unknown');
    failsCleanly(pc.run([verb, id]), ['container does not exist', id], id);
  });
}

test('start of a running container fails and it keeps running', { skip }, async (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['sleep', '100']);
  pc.ok(['run', '-d', '--bundle', bundle, id]);
  await verifyStartedAudit(pc.root, id);
  const { pid } = pc.state(id);
  failsCleanly(pc.run(['start', id]), [id, /running/]);
  const st = pc.state(id);
  assert.equal(st.status, 'running');
  assert.equal(st.pid, pid);
  pc.ok(['delete', '--force', id]);
  leftovers(pc.root, id, bundle);
});

test('kill with an unknown signal fails clearly and signals nothing', { skip }, async (t) => {
  const id = pc.id(t);
  // TERM to this init would end it: so would a bad name mistaken for the default.
  const bundle = pc.bundle(['sh', '-c', 'trap "exit 0" TERM HUP INT USR1; while true; do sleep 0.1; done']);
  pc.ok(['run', '-d', '--bundle', bundle, id]);
  await verifyStartedAudit(pc.root, id);
  for (const bad of ['FOO', 'SIGFOO', '99', '-1']) {
    failsCleanly(pc.run(['kill', id, bad]), ['signal', bad]);
  }
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(pc.state(id).status, 'running');
  pc.ok(['delete', '--force', id]);
  leftovers(pc.root, id, bundle);
});

test('a cgroup write the kernel refuses (a throttle for a device that does not exist) fails create and undoes everything', { skip }, (t) => {
  assert.ok(existsSync(cgroupDir('blkio')), 'a blkio v1 hierarchy');
  // No block device is 4095:4095: the planner cannot know that, the kernel says ENODEV when the file is written.
  const id = pc.id(t);
  const bundle = pc.bundle(['true'], (c) => (c.linux.resources.blockIO = { throttleReadBpsDevice: [{ major: 4095, minor: 4095, rate: 1048576 }] }));
  const where = '/linux/resources/blockIO/throttleReadBpsDevice/0';
  failsCleanly(pc.run(['create', '--bundle', bundle, id]), [join(bundle, 'config.json'), where, 'blkio.throttle.read_bps_device', /no such device/i], id, bundle);
  failsCleanly(pc.run(['run', '--bundle', bundle, id]), [where, 'blkio.throttle.read_bps_device'], id, bundle);
});

test('an error with --log FILE --log-format json writes one JSON error record there', { skip }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'planc-it-log-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'log.json');
  const id = uniqueId('unknown');
  const r = pc.run(['--log', log, '--log-format', 'json', 'state', id]);
  const line = failsCleanly(r, ['container does not exist']);
  const recs = readFileSync(log, 'utf8').trimEnd().split('\n');
  assert.equal(recs.length, 1, `one record: ${recs.join('|')}`);
  const rec = JSON.parse(recs[0]!);
  assert.deepEqual(Object.keys(rec).sort(), ['level', 'msg', 'time']);
  assert.equal(rec.level, 'error');
  assert.equal(`planc: ${rec.msg}`, line, 'the same message as on stderr');
  assert.match(rec.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
  assert.ok(Math.abs(Date.parse(rec.time) - Date.now()) < 60_000, 'time is now');

  // The `=` forms, and a create failure (what containerd reads back), append a second line.
  const bundle = pc.bundle(['/nope']);
  const id2 = pc.id(t);
  failsCleanly(pc.run([`--log=${log}`, '--log-format=json', 'create', '--bundle', bundle, id2]), ['no such file or directory'], id2, bundle);
  const recs2 = readFileSync(log, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.equal(recs2.length, 2);
  assert.equal(recs2[1].level, 'error');
  assert.match(recs2[1].msg, /no such file or directory/);
});

test('SIGTERM to a foreground `planc run` is forwarded to the container, run exits with its status', { skip }, async (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['sh', '-c', 'trap "echo got-term; exit 7" TERM; echo ready; while true; do sleep 0.1; done']);
  const p = pc.spawn(['run', '--bundle', bundle, id]);
  await waitFor('the container to be ready', () => readFileSync(p.stdoutFile, 'utf8').includes('ready'), 10_000);
  await verifyStartedAudit(pc.root, id);
  assert.equal(pc.state(id).status, 'running');
  p.child.kill('SIGTERM');
  const r = await p.done;
  assert.equal(r.code, 7, `run's exit code (signal ${r.signal}, stderr ${r.stderr})`);
  assert.equal(r.stdout, 'ready\ngot-term\n');
  leftovers(pc.root, id, bundle);
});

test('start of a stopped container fails', { skip }, async (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['true']);
  const out = await pc.createStartWait(id, bundle);
  assert.equal(out.stdout, '');
  failsCleanly(pc.run(['start', id]), [id, /stopped/]);
  assert.equal(pc.state(id).status, 'stopped');
  pc.finish(id, bundle);
});
