// Fault injection: make the executor fail at each stage (host, clone, parent,
// init) and interrupt a create half-way; every time planc must exit 1 with one
// line naming the action and its config path, and leave nothing behind.
//
// Faults exist only in the test build of the executor (build/test/planc-exec-faults,
// compiled with -DPLANC_FAULTS). These tests run a private install whose
// build/planc-exec is a wrapper that exports the variables `faults.setEnv` wrote
// and execs that build; the installed executor has no fault code at all.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { EXECUTOR, leftovers, NEEDS_ROOT, Planc, trailPath, waitFor, variantInstall } from '../helpers/planc.js';

const faults = variantInstall('faults');
const pc = new Planc({ planc: faults.planc });
const plain = new Planc();
// The installed executor behind the same wrapper, which hands it the variables directly.
const installed = variantInstall('installed');
const direct = new Planc({ planc: installed.planc });
after(() => {
  pc.cleanup();
  plain.cleanup();
  direct.cleanup();
});

// op → the config path its failure must be reported against
const FAULTS: [string, string][] = [
  ['cgroup.create', '/linux/cgroupsPath'],
  ['cgroup.write', '/linux/resources/devices/0'],
  ['execfifo.create', 'runtime:start'],
  ['clone', '/linux/namespaces'],
  ['cgroup.join', '/linux/cgroupsPath'],
  ['ns.unshare', '/linux/namespaces'],
  ['mount', '/mounts/0'],
  ['mknod', ''],
  ['rootfs.pivot', '/root/path'],
  ['mask', '/linux/maskedPaths/0'],
  ['caps', '/process/capabilities'],
  ['exec.check', '/process/args/0'],
];

for (const [op, where] of FAULTS) {
  test(`a failure at ${op} is reported with its config path and undone`, { skip: NEEDS_ROOT }, (t) => {
    const id = pc.id(t);
    const bundle = pc.bundle(['sleep', '100']);
    faults.setEnv({ PLANC_TEST_FAIL_AT: op });
    const r = pc.run(['create', '--bundle', bundle, id]);
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, new RegExp(`${op.replace('.', '\\.')}: injected failure`));
    if (where.startsWith("/")) assert.ok(lines[0]!.includes(`config.json: ${where}: `), lines[0]!);
    leftovers(pc.root, id, bundle);
  });
}

test('a create interrupted by SIGTERM half-way through the init stage removes what it set up', { skip: NEEDS_ROOT }, async (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['sleep', '100']);
  faults.setEnv({ PLANC_TEST_PAUSE_AT: 'rootfs.pivot' });
  const { child, done, stderrFile } = pc.spawn(['create', '--bundle', bundle, id]);
  // Wait until the init is paused inside its namespaces (its mounts exist, pivot_root not yet).
  const audit = trailPath(pc.root, id);
  await waitFor('the init to get as far as /dev', () => existsSync(audit) && readFileSync(audit, 'utf8').includes('"op":"mknod"'), 30_000);
  child.kill('SIGTERM');
  const r = await done;
  assert.equal(r.code, 1, readFileSync(stderrFile, 'utf8'));
  assert.match(r.stderr, /create interrupted by SIGTERM; everything it set up was removed/);
  leftovers(pc.root, id, bundle);
});

test('the installed executor has no fault injection: no PLANC_TEST code, and the variables change nothing', { skip: NEEDS_ROOT }, (t) => {
  const bytes = readFileSync(EXECUTOR);
  assert.ok(readFileSync(faults.binary).includes('PLANC_TEST_FAIL_AT'), 'the test build does carry it (so the search below can find it)');
  for (const s of ['PLANC_TEST', 'injected failure']) assert.ok(!bytes.includes(s), `${EXECUTOR} contains "${s}"`);
  // Through the CLI, with the variables in planc's own environment: planc does not forward them.
  const id = plain.id(t);
  const bundle = plain.bundle(['sleep', '100']);
  plain.ok(['create', '--bundle', bundle, id], { env: { ...process.env, PLANC_TEST_FAIL_AT: 'mount', PLANC_TEST_PAUSE_AT: 'mount' } });
  assert.equal(plain.state(id).status, 'created');
  plain.ok(['delete', '--force', id]);
  leftovers(plain.root, id, bundle);
  // Handed straight to the installed executor (the wrapper exports them): it ignores them.
  installed.setEnv({ PLANC_TEST_FAIL_AT: 'mount', PLANC_TEST_PAUSE_AT: 'mount' });
  const id2 = direct.id(t);
  const bundle2 = direct.bundle(['sleep', '100']);
  direct.ok(['create', '--bundle', bundle2, id2]);
  assert.equal(direct.state(id2).status, 'created');
  direct.ok(['delete', '--force', id2]);
  leftovers(direct.root, id2, bundle2);
});
