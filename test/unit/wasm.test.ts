// The planner as WebAssembly (docs/wasm.md): the artifact plans every config
// to the same bytes and digest as the in-process planner, fails with the same
// errors, and the planner it embeds needs nothing but ECMAScript. The artifact
// is built fresh from the current sources into a temporary directory (a
// fraction of a second), so a stale dist/planner.wasm never decides a test.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import vm from 'node:vm';
import { parseJson } from '../../planner/json.js';
import { planCreate, type PlanOptions } from '../../planner/plan.js';
import { digestOf, encodePlan, planJson } from '../../planner/encode.js';
import { defaultHostFacts } from '../../planner/host-facts.js';
import { base64, type WasmResult } from '../../planner/wasm-entry.js';
import { PlancError } from '../../schemas/error.js';
import type { HostFacts } from '../../schemas/generated/hostfacts.js';
import { loadWasmPlanner, type WasmPlanner } from '../../cli/wasm-engine.js';
import { planBundleWith } from '../../cli/planning.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const FIXTURES = new URL('./fixtures/', import.meta.url);
const fixtureNames = readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).sort();
const fixtureText = (file: string) => readFileSync(new URL(file, FIXTURES), 'utf8');

const base = defaultHostFacts('box', '/bundles/box', '/run/planc');
const FACTS: Record<string, HostFacts> = {
  'cgroup v1': base,
  'cgroup v2': { ...base, cgroup: { version: 2, root: '/sys/fs/cgroup' } },
  rootless: { ...base, rootless: true, cgroup: { version: 2, root: '/sys/fs/cgroup' } },
  'systemd, no pivot': { ...base, systemdCgroup: true, noPivot: true },
};

let dir: string;
let artifact: string;
let wasm: WasmPlanner;

function buildArtifact(out: string, ...extra: string[]): Buffer {
  execFileSync(process.execPath, [`${ROOT}scripts/build-wasm.mjs`, '--out', out, '--quiet', ...extra], { stdio: ['ignore', 'inherit', 'inherit'] });
  return readFileSync(out);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'planc-wasm-'));
  artifact = join(dir, 'planner.wasm');
  buildArtifact(artifact, '--emit-js', join(dir, 'planner.js'));
  wasm = await loadWasmPlanner(artifact);
});

after(() => {
  wasm?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

type Outcome = { bytes: Uint8Array; digest: string } | { error: { code: string; message: string; where?: string; file?: string; details: unknown[] } };

function errorOf(e: unknown): Outcome {
  assert.ok(e instanceof PlancError, `expected a PlancError, got ${(e as Error)?.stack ?? e}`);
  return { error: { code: e.code, message: e.message, where: e.where, file: e.file, details: e.details } };
}

function inNode(configText: string, facts: HostFacts, opts: PlanOptions = {}, file?: string): Outcome {
  try {
    const bytes = encodePlan(planCreate(parseJson(configText, file), facts, opts));
    return { bytes: new Uint8Array(bytes), digest: digestOf(bytes) };
  } catch (e) {
    return errorOf(e);
  }
}

function inWasm(configText: string, facts: HostFacts, opts: PlanOptions = {}, file?: string): Outcome {
  try {
    return wasm.plan(configText, JSON.stringify(facts), file === undefined ? opts : { ...opts, configFile: file });
  } catch (e) {
    return errorOf(e);
  }
}

function assertSame(configText: string, facts: HostFacts, label: string, opts: PlanOptions = {}, file?: string): Outcome {
  const a = inNode(configText, facts, opts, file);
  const b = inWasm(configText, facts, opts, file);
  assert.deepEqual(b, a, `${label}: the WebAssembly planner differs from the in-process one`);
  return a;
}

test('the artifact is a WebAssembly module carrying the planner and a manifest, built reproducibly', () => {
  const bytes = readFileSync(artifact);
  assert.ok(WebAssembly.validate(bytes));
  assert.equal(wasm.manifest.interfaceVersion, 1);
  assert.equal(wasm.manifest.engine.package, '@jitl/quickjs-wasmfile-release-sync');
  assert.equal(wasm.script, readFileSync(join(dir, 'planner.js'), 'utf8'));
  assert.equal(wasm.manifest.planner.bytes, Buffer.byteLength(wasm.script));
  // Same sources, same artifact, byte for byte.
  assert.deepEqual(buildArtifact(join(dir, 'again.wasm')), bytes);
});

test('every fixture plans to the same bytes and digest in Node and through WebAssembly', () => {
  assert.ok(fixtureNames.length >= 4, 'the fixture corpus is there');
  let planned = 0;
  for (const file of fixtureNames) {
    for (const [what, facts] of Object.entries(FACTS)) {
      // create, run --detach, run (foreground)
      for (const opts of [{}, { waitForStart: false }, { waitForStart: false, foreground: true }]) {
        const out = assertSame(fixtureText(file), facts, `${file}, ${what}, ${JSON.stringify(opts)}`, opts);
        if ('bytes' in out) planned++;
      }
    }
    // The fixture itself must plan (not merely fail the same way) with the default facts.
    assert.ok('bytes' in inNode(fixtureText(file), base), `${file} plans with the default host facts`);
  }
  assert.ok(planned >= fixtureNames.length * 2);
});

test('cpu.shares → cpu.weight (floating point: log2 and pow) gives the same weight in QuickJS as in V8', () => {
  // The shares whose exact weight lies nearest an integer (200416), the one that is an integer (1024), and the edges.
  for (const shares of [2, 3, 4, 10, 100, 512, 1024, 2048, 4096, 10000, 100000, 116225, 196547, 200416, 226073, 230091, 262143, 262144]) {
    const cfg = JSON.parse(fixtureText('default.json'));
    cfg.linux.resources.cpu = { shares };
    const out = assertSame(JSON.stringify(cfg), FACTS['cgroup v2']!, `shares ${shares}`);
    assert.ok('bytes' in out, `shares ${shares} plans`);
  }
});

test('strings, numbers and key orders that stress the encoding give the same bytes', () => {
  const cfg = JSON.parse(fixtureText('default.json'));
  const long = 'y'.repeat(80);
  const variants: [string, (c: any) => void][] = [
    // msgpackr writes strings of 64+ UTF-16 units with the engine's UTF-8 encoder (lone surrogates,
    // which would encode differently, are refused by parseJson: see the bad configs below).
    ['non-ASCII, long', (c) => (c.process.args = ['sh', 'x\u00e9' + long, '\u{1F600}'.repeat(70)])],
    ['non-ASCII', (c) => (c.process.env = ['A=é'.repeat(30), 'B=😀'.repeat(40), 'C=' + 'ü'.repeat(300)])],
    ['long string', (c) => (c.process.args = ['sh', 'z'.repeat(70000)])],
    ['annotations with integer-like keys', (c) => (c.annotations = { '10': 'a', '2': 'b', b: 'c', a: 'd', __proto__x: 'e' })],
  ];
  for (const [what, fn] of variants) {
    const c = structuredClone(cfg);
    fn(c);
    const out = assertSame(JSON.stringify(c), base, what);
    assert.ok('bytes' in out, `${what} plans`);
  }
  // Integers past 2^53 stay exact (parseJson keeps them as bigint) in both engines.
  const big = fixtureText('default.json').replace(/"linux"\s*:\s*\{/, '"linux": { "resources": { "memory": { "limit": 18446744073709551615, "swap": 9223372036854775807 }, "pids": { "limit": 9007199254740993 } },');
  assert.notEqual(big, fixtureText('default.json'));
  assertSame(big, { ...base, cgroup: { version: 2, root: '/sys/fs/cgroup' } }, 'big integers');
});

test('a bad config gives the same error list through both', () => {
  const good = JSON.parse(fixtureText('default.json'));
  const edit = (fn: (c: any) => void) => {
    const c = structuredClone(good);
    fn(c);
    return JSON.stringify(c);
  };
  const BAD: Record<string, string> = {
    'not JSON': '{"ociVersion": "1.0.2",',
    'bad escape': '{"ociVersion": "1.0\\q"}',
    'schema, one error': '{"ociVersion": 1}',
    'schema, several errors': edit((c) => ((c.ociVersion = '9'), (c.process.args = 'sh'), (c.mounts[0].destination = 3))),
    'windows container': '{"ociVersion": "1.0.2", "windows": {}}',
    'no root': edit((c) => delete c.root),
    'hostname without uts': edit((c) => ((c.hostname = 'h'), (c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'uts')))),
    'host sysctl': edit((c) => (c.linux.sysctl = { 'kernel.panic': '1' })),
    'rlimit soft > hard': edit((c) => (c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 10, hard: 1 }])),
    '__proto__ key': '{"ociVersion": "1.0.2", "__proto__": {"linux": {}}}',
    'lone surrogate, short': edit((c) => (c.process.args = ['sh', 'x\ud800y', '\udc00'])),
    'lone surrogate, long': edit((c) => (c.process.args = ['sh', 'x\ud800' + 'y'.repeat(80), '\udfff'.repeat(70)])),
    'NUL in an argument': edit((c) => (c.process.args = ['sh', 'a\u0000b'])),
    'int64 field past 2^63 - 1': edit((c) => (c.linux.resources = { memory: { limit: 1 } })).replace('"limit":1', '"limit":9223372036854775808'),
  };
  for (const [what, text] of Object.entries(BAD)) {
    const out = assertSame(text, base, what, {}, '/bundles/box/config.json');
    assert.ok('error' in out, `${what} must fail`);
  }
});

test('the wasm interface reports bad host facts and options as structured errors', () => {
  const call = (facts: string, options = '') => JSON.parse(wasm.planJSON(fixtureText('default.json'), facts, options)) as WasmResult;
  const ok = call(JSON.stringify(base), '{"waitForStart": false, "configFile": "/b/config.json"}');
  assert.ok(ok.ok && ok.digest === digestOf(Buffer.from(ok.plan, 'base64')));
  const notJson = call('{');
  assert.ok(!notJson.ok && notJson.errors[0]!.code === 'invalid-argument' && notJson.errors[0]!.where === 'host facts');
  const badFacts = call(JSON.stringify({ ...base, cgroup: { version: 3, root: '/x' }, extra: 1 }));
  assert.ok(!badFacts.ok);
  assert.equal(badFacts.errors[0]!.code, 'invalid-argument');
  assert.ok(badFacts.errors[0]!.details.some((d) => d.where === '/cgroup/version'), JSON.stringify(badFacts));
  const badOption = call(JSON.stringify(base), '{"bogus": true}');
  assert.ok(!badOption.ok && /unknown option "bogus"/.test(badOption.errors[0]!.message));
  const badOptionType = call(JSON.stringify(base), '{"waitForStart": "no"}');
  assert.ok(!badOptionType.ok && badOptionType.errors[0]!.code === 'invalid-argument');
  const foreground = call(JSON.stringify(base), '{"waitForStart": false, "foreground": true}');
  const node = inNode(fixtureText('default.json'), base, { waitForStart: false, foreground: true });
  assert.ok(foreground.ok && 'digest' in node && foreground.digest === node.digest);
  // base64 of the glue is RFC 4648.
  for (const n of [0, 1, 2, 3, 4, 5, 255, 256, 1000]) {
    const b = new Uint8Array(Array.from({ length: n }, (_, i) => (i * 37 + n) & 255));
    assert.equal(base64(b), Buffer.from(b).toString('base64'));
  }
});

test('the embedded planner runs with ECMAScript globals only (node:vm) and touches no Node or web API', () => {
  // The QuickJS runs above already prove it (QuickJS has no Buffer, process, require,
  // setTimeout or TextEncoder). Here the same script runs in a bare V8 context whose
  // host globals are traps that record any look-up.
  const HOST_GLOBALS = ['process', 'Buffer', 'require', 'module', 'exports', 'global', '__dirname', '__filename', 'setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask', 'structuredClone', 'TextEncoder', 'TextDecoder', 'atob', 'btoa', 'crypto', 'performance', 'fetch', 'URL', 'navigator', 'self', 'window', 'console', 'WebAssembly'];
  const touched = new Set<string>();
  const ctx = vm.createContext({});
  const g = vm.runInContext('globalThis', ctx) as Record<string, unknown>;
  for (const name of HOST_GLOBALS) {
    delete g[name];
    Object.defineProperty(g, name, {
      configurable: true,
      get: () => (touched.add(name), undefined),
      set: (v: unknown) => Object.defineProperty(g, name, { value: v, writable: true, configurable: true }),
    });
  }
  vm.runInContext(wasm.script, ctx, { filename: 'planc.planner' });
  const planJSON = vm.runInContext('planc.planJSON', ctx) as (c: string, f: string, o: string) => string;
  for (const file of fixtureNames) {
    const r = JSON.parse(planJSON(fixtureText(file), JSON.stringify(base), '')) as WasmResult;
    const node = inNode(fixtureText(file), base);
    assert.ok(r.ok && 'bytes' in node, file);
    assert.equal(r.digest, node.digest, `${file}: digest in a bare V8 context`);
    assert.equal(r.plan, Buffer.from(node.bytes).toString('base64'), `${file}: bytes in a bare V8 context`);
  }
  // Only msgpackr's guarded feature checks look: `typeof Buffer`, and `new TextEncoder()` /
  // `new TextDecoder()` in try blocks (TextEncoder is then the artifact's own polyfill).
  assert.deepEqual([...touched].sort(), ['Buffer', 'TextDecoder', 'TextEncoder']);
  // And the bundled source has no module system of Node's in it.
  assert.doesNotMatch(wasm.script, /\brequire\(|\bimport\(|\bprocess\.(env|argv|platform)|__dirname|import\.meta/);
});

test('planc plan --engine wasm: same plan as --engine js, same errors, runtime loaded only for wasm', async () => {
  const bundle = join(dir, 'bundle');
  mkdirSync(bundle);
  const flags = { bundle, id: 'box', root: '/run/planc' };
  const saved = process.env.PLANC_WASM;
  process.env.PLANC_WASM = artifact;
  try {
    for (const file of fixtureNames) {
      writeFileSync(join(bundle, 'config.json'), fixtureText(file));
      for (const mode of [{}, { run: true }, { run: true, detach: true }]) {
        const js = await planBundleWith('js', { ...flags, ...mode }, () => {});
        const w = await planBundleWith('wasm', { ...flags, ...mode }, () => {});
        assert.ok(Buffer.from(w.bytes).equals(Buffer.from(js.bytes)), `${file}: bytes`);
        assert.equal(w.digest, js.digest, `${file}: digest`);
        assert.equal(planJson(w.plan), planJson(js.plan), `${file}: decoded plan`);
      }
    }
    writeFileSync(join(bundle, 'config.json'), '{"ociVersion": "1.0.2", "linux": {}, "root": {"path": "rootfs"}, "hostname": "h"}');
    const failure = async (engine: string) => {
      try {
        await planBundleWith(engine, flags, () => {});
      } catch (e) {
        return errorOf(e);
      }
      assert.fail(`${engine} should fail`);
    };
    assert.deepEqual(await failure('wasm'), await failure('js'));
  } finally {
    if (saved === undefined) delete process.env.PLANC_WASM;
    else process.env.PLANC_WASM = saved;
  }
  // The default path must not load QuickJS: the engine module is imported dynamically only.
  for (const file of ['cli/planning.ts', 'cli/commands/plan.ts']) {
    const src = readFileSync(`${ROOT}${file}`, 'utf8');
    assert.doesNotMatch(src, /^import[^;]*(wasm-engine|quickjs)/m, `${file} imports the WebAssembly runtime statically`);
  }
  assert.match(readFileSync(`${ROOT}cli/commands/plan.ts`, 'utf8'), /engine: \{ type: 'string', options: \['js', 'wasm'\], default: 'js'/);
});
