// Planning through the WebAssembly artifact (dist/planner.wasm, docs/wasm.md)
// instead of in-process: `planc plan --engine wasm`. The artifact is QuickJS
// compiled to WebAssembly with the bundled planner in its `planc.planner`
// custom section; this file loads it with quickjs-emscripten, evaluates the
// planner once, and calls planc.planJSON for each plan.
//
// Loaded only by a dynamic import when --engine wasm is given, so that the
// default path never pays for the QuickJS runtime.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { newQuickJSWASMModuleFromVariant, newVariant, type QuickJSHandle, type QuickJSSyncVariant } from 'quickjs-emscripten-core';
import releaseSync from '@jitl/quickjs-wasmfile-release-sync';
import { PlancError } from '../schemas/error.js';
import type { WasmError, WasmPlanOptions as EntryOptions, WasmResult } from '../planner/wasm-entry.js';

// The variant package types every export condition with its CommonJS d.ts; the
// ESM default export (what Node and esbuild load) is the variant itself.
const RELEASE_SYNC = releaseSync as unknown as QuickJSSyncVariant;

/** The interface version of planner/wasm-entry.ts this runner speaks. */
export const WASM_INTERFACE_VERSION = 1;

/** dist/planner.wasm, from cli/ when run from source and from dist/ when bundled. */
export const DEFAULT_ARTIFACT = fileURLToPath(new URL('../dist/planner.wasm', import.meta.url));

export interface WasmManifest {
  interfaceVersion: number;
  engine: { package: string; version: string; sha256: string };
  bundler: { package: string; version: string };
  planner: { section: string; sha256: string; bytes: number };
}

/** planCreate's options, the config's file name for errors, and which artifact to load. */
export interface WasmPlanOptions extends EntryOptions {
  /** The artifact to load (default: $PLANC_WASM, else dist/planner.wasm). */
  artifact?: string;
}

export interface WasmPlanned {
  bytes: Uint8Array;
  digest: string;
}

export interface WasmPlanner {
  readonly manifest: WasmManifest;
  /** The planner script embedded in the artifact. */
  readonly script: string;
  /** The artifact's own call, text in and text out (JSON of planner/wasm-entry.ts's WasmResult). */
  planJSON(configText: string, factsText: string, optionsText: string): string;
  /** Plan synchronously in the loaded engine; throws PlancError on the planner's errors. */
  plan(configText: string, factsText: string, opts?: Omit<WasmPlanOptions, 'artifact'>): WasmPlanned;
  dispose(): void;
}

const loaded = new Map<string, Promise<WasmPlanner>>();

/** Load (once per artifact path) the engine with the planner evaluated in it. */
export function loadWasmPlanner(artifact: string = artifactPath()): Promise<WasmPlanner> {
  let p = loaded.get(artifact);
  if (!p) {
    const forget = () => {
      if (loaded.get(artifact) === p) loaded.delete(artifact);
    };
    p = load(artifact, forget);
    loaded.set(artifact, p);
    p.catch(forget);
  }
  return p;
}

/** Plan config.json text for the given host facts (JSON text) through the WebAssembly planner. */
export async function planWithWasm(configText: string, factsText: string, opts: WasmPlanOptions = {}): Promise<WasmPlanned> {
  const { artifact, ...rest } = opts;
  return (await loadWasmPlanner(artifact)).plan(configText, factsText, rest);
}

/** The artifact planWithWasm loads: $PLANC_WASM if set, else dist/planner.wasm. */
export function artifactPath(): string {
  return process.env.PLANC_WASM || DEFAULT_ARTIFACT;
}

/** The PlancError a structured error record of the artifact stands for. */
export function toPlancError(errors: WasmError[]): PlancError {
  const [first, ...more] = errors;
  if (!first) return new PlancError('system', 'the WebAssembly planner failed without saying why');
  return new PlancError(first.code, first.message, { where: first.where, file: first.file, details: [...first.details, ...more.map((e) => ({ where: e.where ?? '', message: e.message }))] });
}

// The artifact's path goes into messages, not `where`: a `where` starting with
// '/' is reported as a JSON pointer into config.json.
/** Load the artifact; `forget` drops it from the cache (on dispose, or once it is unusable). */
async function load(artifact: string, forget: () => void): Promise<WasmPlanner> {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = new Uint8Array(readFileSync(artifact));
  } catch {
    throw new PlancError('not-found', `the WebAssembly planner ${artifact} is not built: run \`node scripts/build-wasm.mjs\``);
  }
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(bytes);
  } catch (e) {
    throw new PlancError('system', `${artifact} is not a WebAssembly module: ${(e as Error).message}`);
  }
  const section = (name: string): string => {
    const [s] = WebAssembly.Module.customSections(module, name);
    if (!s) throw new PlancError('system', `${artifact} is not a planc planner artifact: no ${name} section`);
    return new TextDecoder('utf-8', { fatal: true }).decode(s);
  };
  const script = section('planc.planner');
  const manifest = JSON.parse(section('planc.manifest')) as WasmManifest;
  if (manifest.interfaceVersion !== WASM_INTERFACE_VERSION) {
    throw new PlancError('system', `${artifact} speaks interface ${manifest.interfaceVersion}, this planc speaks ${WASM_INTERFACE_VERSION}: rebuild it with \`node scripts/build-wasm.mjs\``);
  }

  const quickjs = await newQuickJSWASMModuleFromVariant(newVariant(RELEASE_SYNC, { wasmModule: module }));
  // QuickJS recursion also uses the host's native stack (wasm frames run on it): past
  // about 512 KiB of QuickJS stack, V8 overflows first and the engine is left in an
  // unknown state. 256 KiB makes QuickJS throw first, with room to spare; it is enough
  // for JSON nested ~500 deep (a real config.json nests fewer than 10).
  const runtime = quickjs.newRuntime({ memoryLimitBytes: 256 << 20, maxStackSizeBytes: 256 << 10 });
  const ctx = runtime.newContext();
  let planJSON: QuickJSHandle;
  try {
    ctx.unwrapResult(ctx.evalCode(script, 'planc.planner', { type: 'global', strict: true })).dispose();
    const planc = ctx.getProp(ctx.global, 'planc');
    planJSON = ctx.getProp(planc, 'planJSON');
    planc.dispose();
    if (ctx.typeof(planJSON) !== 'function') throw new Error('the planner script defines no planc.planJSON');
  } catch (e) {
    ctx.dispose();
    runtime.dispose();
    throw new PlancError('system', `the WebAssembly planner ${artifact} did not start: ${(e as Error).message}`);
  }

  const call = (...args: string[]): string => {
    const handles = args.map((a) => ctx.newString(a));
    try {
      const result = ctx.unwrapResult(ctx.callFunction(planJSON, ctx.undefined, ...handles));
      try {
        return ctx.getString(result);
      } finally {
        result.dispose();
      }
    } finally {
      for (const h of handles) h.dispose();
    }
  };

  let broken: string | undefined;
  const planner: WasmPlanner = {
    manifest,
    script,
    planJSON(configText, factsText, optionsText) {
      if (broken) throw new PlancError('system', `the WebAssembly planner is unusable after an earlier failure (${broken})`);
      try {
        return call(configText, factsText, optionsText);
      } catch (e) {
        // planJSON catches everything inside the engine, so this came from the host
        // (say V8's own stack limit) mid-call: never reuse this engine instance.
        broken = (e as Error).message;
        forget();
        throw new PlancError('system', `the WebAssembly planner failed: ${broken}`);
      }
    },
    plan(configText, factsText, opts = {}) {
      const result = JSON.parse(planner.planJSON(configText, factsText, JSON.stringify(opts))) as WasmResult;
      if (!result.ok) throw toPlancError(result.errors);
      const bytes = new Uint8Array(Buffer.from(result.plan, 'base64'));
      // The digest is the artifact's own; check it against the bytes that crossed the boundary.
      if ('sha256:' + createHash('sha256').update(bytes).digest('hex') !== result.digest) throw new PlancError('system', 'the WebAssembly planner returned a digest that does not match its plan');
      return { bytes, digest: result.digest };
    },
    dispose() {
      forget();
      if (broken) return; // an interrupted engine may not survive its own teardown; leave it to the GC
      planJSON.dispose();
      ctx.dispose();
      runtime.dispose();
    },
  };
  return planner;
}
