// Build dist/planner.wasm: the planner as WebAssembly (docs/wasm.md).
//
// The artifact is QuickJS compiled to WebAssembly (the release-sync build
// shipped in @jitl/quickjs-wasmfile-release-sync, copied byte for byte) with
// two custom sections appended:
//   planc.planner   the planner: planner/wasm-entry.ts and everything it
//                   imports, bundled by esbuild into one ES2020 script
//   planc.manifest  JSON: interface version, engine and esbuild versions,
//                   sha256 of the script and of the engine
// Custom sections are ignored when the module is instantiated, so the engine
// runs unchanged; hosts read the script with WebAssembly.Module.customSections.
// Nothing is downloaded; the output depends only on the sources and the
// locked package versions (no time stamps, no absolute paths).
//
//   node scripts/build-wasm.mjs [--out FILE] [--emit-js FILE] [--quiet]
//   node scripts/build-wasm.mjs --engine-js FILE   (only the native front's planner script, cli/native/engine/entry.ts)
// (scripts/build.mjs runs it too: it takes a fraction of a second.)
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import vm from 'node:vm';
import { build, version as esbuildVersion } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const require = createRequire(import.meta.url);
export const DEFAULT_OUT = `${root}dist/planner.wasm`;

export const ENGINE_PACKAGE = '@jitl/quickjs-wasmfile-release-sync';

// QuickJS has no TextEncoder. msgpackr works without one (it falls back to its
// own UTF-8 loop), but Node's msgpackr writes strings of 64 or more UTF-16
// units with Buffer#utf8Write, which turns a lone surrogate into U+FFFD, while
// its own loop writes the surrogate's 3-byte form. For the same bytes as Node
// on every input, give msgpackr a TextEncoder with the WHATWG semantics
// (lone surrogates → U+FFFD), so it takes the same branch Node takes. It is
// defined only where the engine has none, and only inside the artifact.
const TEXT_ENCODER_POLYFILL = `if (typeof globalThis.TextEncoder === "undefined") {
  globalThis.TextEncoder = class TextEncoder {
    get encoding() { return "utf-8"; }
    encode(s = "") { const b = new Uint8Array(3 * s.length); return b.slice(0, this.encodeInto(s, b).written); }
    encodeInto(s, b) {
      s = String(s); let r = 0, w = 0;
      while (r < s.length) {
        let c = s.charCodeAt(r), n = 1;
        if (c >= 0xd800 && c <= 0xdfff) {
          const d = s.charCodeAt(r + 1);
          if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) { c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00); n = 2; } else c = 0xfffd;
        }
        const len = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
        if (w + len > b.length) break;
        if (len === 1) b[w++] = c;
        else if (len === 2) { b[w++] = 0xc0 | (c >> 6); b[w++] = 0x80 | (c & 63); }
        else if (len === 3) { b[w++] = 0xe0 | (c >> 12); b[w++] = 0x80 | ((c >> 6) & 63); b[w++] = 0x80 | (c & 63); }
        else { b[w++] = 0xf0 | (c >> 18); b[w++] = 0x80 | ((c >> 12) & 63); b[w++] = 0x80 | ((c >> 6) & 63); b[w++] = 0x80 | (c & 63); }
        r += n;
      }
      return { read: r, written: w };
    }
  };
}`;

/**
 * The planner as one script defining the global `planc` (the exports of planner/wasm-entry.ts, or of
 * `entry`: cli/native/engine/entry.ts is the native front's, see cli/native/engine/build.sh).
 */
export async function bundlePlanner(entry = 'planner/wasm-entry.ts') {
  const result = await build({
    absWorkingDir: root,
    entryPoints: [entry],
    bundle: true,
    write: false,
    platform: 'neutral',
    // msgpackr's "default" export condition is its engine-neutral build (no node:module, no native addon).
    mainFields: ['module', 'main'],
    format: 'iife',
    globalName: 'planc',
    target: 'es2020',
    minify: true,
    legalComments: 'none',
    charset: 'utf8',
    banner: { js: TEXT_ENCODER_POLYFILL },
    logLevel: 'warning',
  });
  return result.outputFiles[0].text;
}

function leb128(n) {
  const bytes = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    bytes.push(b);
  } while (n !== 0);
  return Buffer.from(bytes);
}

function customSection(name, payload) {
  const nameBytes = Buffer.from(name, 'utf8');
  const body = Buffer.concat([leb128(nameBytes.length), nameBytes, payload]);
  return Buffer.concat([Buffer.from([0]), leb128(body.length), body]);
}

const sha256 = (b) => createHash('sha256').update(b).digest('hex');

export async function buildWasm() {
  const script = await bundlePlanner();
  const engineWasm = readFileSync(require.resolve(`${ENGINE_PACKAGE}/wasm`));
  const engineVersion = JSON.parse(readFileSync(require.resolve(`${ENGINE_PACKAGE}/package.json`), 'utf8')).version;
  // Evaluate the script once with ECMAScript's globals only, as a smoke test and to read its interface version.
  const ctx = vm.createContext({});
  vm.runInContext(script, ctx, { filename: 'planc.planner' });
  const INTERFACE_VERSION = vm.runInContext('planc.INTERFACE_VERSION', ctx);
  if (typeof INTERFACE_VERSION !== 'number') throw new Error('build-wasm: the planner script does not define planc.INTERFACE_VERSION');
  const scriptBytes = Buffer.from(script, 'utf8');
  const manifest = {
    interfaceVersion: INTERFACE_VERSION,
    entry: 'planc.planJSON(configText, factsText, optionsText)',
    engine: { package: ENGINE_PACKAGE, version: engineVersion, sha256: sha256(engineWasm) },
    bundler: { package: 'esbuild', version: esbuildVersion },
    planner: { section: 'planc.planner', sha256: sha256(scriptBytes), bytes: scriptBytes.length },
  };
  const wasm = Buffer.concat([engineWasm, customSection('planc.planner', scriptBytes), customSection('planc.manifest', Buffer.from(JSON.stringify(manifest), 'utf8'))]);
  if (!WebAssembly.validate(wasm)) throw new Error('build-wasm: the artifact does not validate as WebAssembly');
  return { wasm, script, manifest };
}

/** Build the artifact and write it (atomically) to `out`; `emitJs` also writes the planner script alone. */
export async function writeWasm({ out = DEFAULT_OUT, emitJs, quiet = false } = {}) {
  const started = performance.now();
  const { wasm, script, manifest } = await buildWasm();
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(`${out}.tmp-${process.pid}`, wasm);
  renameSync(`${out}.tmp-${process.pid}`, out);
  if (emitJs) writeFileSync(emitJs, script);
  const ms = Math.round(performance.now() - started);
  if (!quiet) console.log(`build-wasm: ${out.startsWith(root) ? out.slice(root.length) : out} ${wasm.length} bytes (engine ${manifest.engine.package}@${manifest.engine.version}, planner script ${manifest.planner.bytes} bytes), sha256 ${sha256(wasm)} in ${ms} ms`);
  return { out, bytes: wasm.length, sha256: sha256(wasm), manifest };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values: args } = parseArgs({ options: { out: { type: 'string' }, 'emit-js': { type: 'string' }, 'engine-js': { type: 'string' }, quiet: { type: 'boolean' } } });
  if (args['engine-js']) writeFileSync(args['engine-js'], await bundlePlanner('cli/native/engine/entry.ts'));
  else await writeWasm({ out: args.out, emitJs: args['emit-js'], quiet: args.quiet });
}
