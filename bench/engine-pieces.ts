// Where the native front's planning time goes (docs/performance.md, "What is
// left between planc and crun"): the pieces of a create's planning timed one
// by one in npm's QuickJS — the module the front's engine is translated from
// by wasm2c — with this host's facts for the bundle.
// Usage: node --import tsx bench/engine-pieces.ts [BUNDLE] [RUNS=20]
// (default bundle: a `runc spec`-like busybox bundle made by scripts/make-bundle.sh).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newQuickJSWASMModuleFromVariant, type QuickJSSyncVariant } from 'quickjs-emscripten-core';
import releaseSync from '@jitl/quickjs-wasmfile-release-sync';
import { bundlePlanner } from '../scripts/build-wasm.mjs';
import { gatherHostFacts } from '../cli/host-facts.js';
import { hostPathsOf } from '../planner/host-paths.js';

const root = new URL('..', import.meta.url).pathname;
const runs = Number(process.argv[3] ?? 20);
let bundle = process.argv[2];
let scratch: string | undefined;
if (!bundle) {
  scratch = mkdtempSync(join(tmpdir(), 'planc-pieces-'));
  bundle = join(scratch, 'bundle');
  execFileSync('bash', [join(root, 'scripts/make-bundle.sh'), bundle, 'true'], {
    stdio: 'ignore',
  });
}
try {
  const configBytes = readFileSync(join(bundle, 'config.json'));
  const config = JSON.parse(configBytes.toString('utf8'));
  const facts = gatherHostFacts({
    id: 'pieces',
    bundle,
    stateDir: '/run/planc/pieces',
    noPivot: false,
    systemdCgroup: false,
    hostPaths: hostPathsOf(config, bundle),
  });
  const script = await bundlePlanner('bench/engine-pieces-entry.ts');
  const module = await newQuickJSWASMModuleFromVariant(releaseSync as unknown as QuickJSSyncVariant);
  const vm = module.newContext();
  vm.unwrapResult(vm.evalCode(script)).dispose();
  const planc = vm.getProp(vm.global, 'planc');
  const fn = vm.getProp(planc, 'pieces');
  const call = (n: number) => {
    const buf = configBytes.buffer.slice(configBytes.byteOffset, configBytes.byteOffset + configBytes.byteLength);
    const args = [vm.newArrayBuffer(buf), vm.newString(JSON.stringify(facts)), vm.newNumber(n)];
    const out = vm.getString(vm.unwrapResult(vm.callFunction(fn, vm.undefined, ...args)));
    for (const a of args) a.dispose();
    return JSON.parse(out) as { planBytes: number; ms: Record<string, number> };
  };
  call(runs); // warm-up: V8 tiers the module's hot functions up first
  const { planBytes, ms } = call(runs);
  console.log(`QuickJS (@jitl/quickjs-wasmfile-release-sync), ${bundle}/config.json, plan ${planBytes} bytes, mean of ${runs} runs:`);
  for (const [name, v] of Object.entries(ms)) console.log(`  ${v.toFixed(2).padStart(7)} ms  ${name}`);
  fn.dispose();
  planc.dispose();
  vm.dispose();
} finally {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}
