// The Node-free planner (cli/native/engine/, docs/performance.md "Planning
// without Node"): QuickJS from npm compiled to C with Debian's wasm2c, the
// planner script linked in, started fresh and from its memory snapshot. It is
// built here (it is not part of the default build: 20 s of compiling) and must
// give, for every fixture config under several host-fact sets and plan
// options, exactly the result text of dist/planner.wasm in Node, and the
// in-process planner's digest (cli/native/engine/parity.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const ROOT = new URL('../../', import.meta.url).pathname;

test('planc-engine plans byte-identically to the WebAssembly and in-process planners', { timeout: 600_000 }, () => {
  const build = spawnSync('sh', [`${ROOT}cli/native/engine/build.sh`], { encoding: 'utf8' });
  assert.equal(build.status, 0, `cli/native/engine/build.sh (needs wabt, scripts/setup.sh installs it): ${build.stderr.slice(-2000)}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', `${ROOT}cli/native/engine/parity.ts`], { encoding: 'utf8', cwd: ROOT });
  assert.equal(r.status, 0, r.stderr.slice(-2000));
  const m = /parity: ([0-9]+) cases \(([0-9]+) planned/.exec(r.stdout);
  assert.ok(m, r.stdout);
  assert.ok(Number(m[1]) >= 80 && Number(m[2]) >= 70, `every fixture compared: ${r.stdout}`);
});
