// The embedded planner the native front calls for create/run (cli/native/engine/,
// engine.h, docs/performance.md "Planning without Node"): QuickJS from npm compiled
// to C with Debian's wasm2c, running the CLI's own planning code with host facts
// gathered inside it. Built here (cli/native/engine/build.sh: incremental, QuickJS's
// C is compiled again only when the module changes), then held to the Node CLI's
// planning on this host by cli/native/engine/parity.ts: the same plan bytes and
// extras, or a refusal (-1) in the same cases, started from the snapshot and cold;
// `planc plan --format msgpack`'s bytes; snapshots failing their checks unused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../../', import.meta.url).pathname;

test('the embedded planner plans byte-identically to the Node CLI, or refuses where it refuses', { timeout: 600_000 }, () => {
  const build = spawnSync('sh', [`${ROOT}cli/native/engine/build.sh`], { encoding: 'utf8', env: { ...process.env, NODE: process.execPath } });
  assert.equal(build.status, 0, `cli/native/engine/build.sh (needs wabt, scripts/setup.sh installs it): ${build.stderr.slice(-2000)}`);
  if (process.geteuid?.() !== 0) {
    // Rootless planning stays in Node: the engine refuses it (the front calls it only as root).
    const dir = mkdtempSync(join(tmpdir(), 'planc-engine-'));
    try {
      mkdirSync(join(dir, 'rootfs'));
      copyFileSync(`${ROOT}test/unit/fixtures/default.json`, join(dir, 'config.json'));
      const r = spawnSync(`${ROOT}build/test/planc-engine-plan`, ['--bundle', dir], { encoding: 'utf8' });
      assert.equal(r.status, 2, r.stdout + r.stderr);
      assert.match(r.stdout, /^not planned: .*rootless/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return;
  }
  const r = spawnSync(process.execPath, ['--import', 'tsx', `${ROOT}cli/native/engine/parity.ts`], { encoding: 'utf8', cwd: ROOT });
  assert.equal(r.status, 0, r.stderr.slice(-2000));
  const m = /parity: ([0-9]+) cases \(([0-9]+) planned, ([0-9]+) refused; ([0-9]+) also started cold\)/.exec(r.stdout);
  assert.ok(m, r.stdout);
  assert.ok(Number(m[1]) >= 200 && Number(m[2]) >= 150 && Number(m[3]) >= 20 && Number(m[4]) >= 40, `every fixture compared: ${r.stdout}`);
});
