// Build planc: the native executor, the native front and its embedded planner (cc), and the CLI bundle (esbuild).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;

execFileSync('bash', [`${root}executor/native/build.sh`], { stdio: 'inherit' });

// `planc --version` as the CLI prints it (cli/main.ts printVersion: package.json's version and the newest
// runtime-spec version the planner implements), computed here from those same sources for the native front.
const featuresDir = mkdtempSync(join(tmpdir(), 'planc-features-'));
let versions;
try {
  await build({ entryPoints: [`${root}planner/features.ts`], bundle: true, platform: 'node', format: 'cjs', outfile: `${featuresDir}/features.cjs`, logLevel: 'error' });
  const { features } = createRequire(import.meta.url)(`${featuresDir}/features.cjs`);
  const { version } = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
  versions = { PLANC_VERSION: String(version), PLANC_SPEC_VERSION: String(features().ociVersionMax) };
} finally {
  rmSync(featuresDir, { recursive: true, force: true });
}
// Before the front, which links it: the planner the front runs for create/run without Node (cli/native/engine/engine.h): build/engine/libplanc-engine.a
// and its snapshot. QuickJS's C (wasm2c's translation of the npm module) is compiled once, ~25 s; again only when it changes.
execFileSync('sh', [`${root}cli/native/engine/build.sh`], { stdio: 'inherit', env: { ...process.env, NODE: process.execPath } });
// The `planc` command (build/planc): it hands what it does not serve to this node.
execFileSync('sh', [`${root}cli/native/build.sh`], { stdio: 'inherit', env: { ...process.env, NODE: process.execPath, ...versions } });

// Stale chunks from an earlier build would linger next to the new ones.
rmSync(`${root}dist`, { recursive: true, force: true });

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  // koffi carries a native addon; oclif (help, full parsing), js-yaml (lint policies) and
  // QuickJS (--engine wasm) load from node_modules only when a call needs them, so the
  // bundle every verb reads stays small.
  external: ['koffi', '@oclif/core', 'msgpackr-extract', 'js-yaml', 'quickjs-emscripten-core', '@jitl/*'],
  // msgpackr's plain build, as in the browser and WebAssembly bundles: its Node entry probes the
  // disk for an optional native string decoder (~8 ms at every start) that plans do not need.
  alias: { msgpackr: `${root}node_modules/msgpackr/index.js` },
  // Smaller source parses faster at every start; names stay for readable stack traces.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
};

// The CLI as one CommonJS file, which bin/planc.cjs loads with V8's code cache. Modules
// inside stay lazily evaluated; import.meta.url becomes the bundle's own file URL.
await build({
  ...common,
  entryPoints: [`${root}cli/main.ts`],
  outfile: `${root}dist/planc.cjs`,
  format: 'cjs',
  // import() of node: modules and externals becomes require(): a script run from the code cache has no ESM loader hook.
  supported: { 'dynamic-import': false },
  define: { 'import.meta.url': '__planc_url' },
  banner: { js: 'var __planc_url = require("node:url").pathToFileURL(__filename).href;' },
});

// What oclif loads for help and full parsing (package.json "oclif.commands").
await build({ ...common, entryPoints: [`${root}cli/oclif-commands.ts`], outfile: `${root}dist/oclif-commands.js`, format: 'esm' });

// The planner as WebAssembly, dist/planner.wasm (docs/wasm.md): a fraction of a second.
await (await import('./build-wasm.mjs')).writeWasm({ quiet: true });
await (await import('./build-web.mjs')).writeWeb({ quiet: true }); // dist/web/planc-explain.html, the page `planc explain --serve` serves

// Warm the code cache: plan the default config once, keeping what V8 compiled for it.
const warm = mkdtempSync(join(tmpdir(), 'planc-warm-'));
try {
  copyFileSync(`${root}test/unit/fixtures/default.json`, join(warm, 'config.json'));
  execFileSync(process.execPath, [`${root}bin/planc.cjs`, 'plan', '--bundle', warm, '--format', 'msgpack', '--run'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, PLANC_WRITE_CODE_CACHE: '1' },
  });
} finally {
  rmSync(warm, { recursive: true, force: true });
}
