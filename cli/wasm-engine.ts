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
import { newQuickJSWASMModuleFromVariant, newVariant } from 'quickjs-emscripten-core';
import RELEASE_SYNC from '@jitl/quickjs-wasmfile-release-sync';
import { PlancError } from '../schemas/error.js';
import type { WasmError, WasmResult } from '../planner/wasm-entry.js';

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

export interface WasmPlanOptions {
  /** false plans `run` (no exec fifo); default true. */
  waitForStart?: boolean;
  /** `where` of JSON syntax errors in the config (default "config.json"). */
  configFile?: string;
  /** The artifact to load (default dist/planner.wasm). */
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
  /** Plan synchronously in the loaded engine; throws PlancError on the planner's errors. */
  plan(configText: string, factsText: string, opts?: Omit<WasmPlanOptions, 'artifact'>): WasmPlanned;
  dispose(): void;
}

const loaded = new Map<string, Promise<WasmPlanner>>();

/** Load (once per artifact path) the engine with the planner evaluated in it. */
export function loadWasmPlanner(artifact: string = DEFAULT_ARTIFACT): Promise<WasmPlanner> {
  let p = loaded.get(artifact);
  if (!p) {
    p = load(artifact);
    loaded.set(artifact, p);
    p.catch(() => loaded.delete(artifact));
  }
  return p;
}

/** Plan config.json text for the given host facts (JSON text) through the WebAssembly planner. */
export async function planWithWasm(configText: string, factsText: string, opts: WasmPlanOptions = {}): Promise<WasmPlanned> {
  const { artifact, ...rest } = opts;
  return (await loadWasmPlanner(artifact)).plan(configText, factsText, rest);
}

/** The PlancError a structured error record of the artifact stands for. */
export function toPlancError(errors: WasmError[]): PlancError {
  const [first, ...more] = errors;
  if (!first) return new PlancError('system', 'the WebAssembly planner failed without saying why');
  return new PlancError(first.code, first.message, { where: first.where, details: [...first.details, ...more.map((e) => ({ where: e.where ?? '', message: e.message }))] });
}

async function load(artifact: string): Promise<WasmPlanner> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(artifact);
  } catch {
    throw new PlancError('not-found', 'the WebAssembly planner is not built: run `node scripts/build-wasm.mjs`', { where: artifact });
  }
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(bytes);
  } catch (e) {
    throw new PlancError('system', `not a WebAssembly module: ${(e as Error).message}`, { where: artifact });
  }
  const section = (name: string): string => {
    const [s] = WebAssembly.Module.customSections(module, name);
    if (!s) throw new PlancError('system', `not a planc planner artifact: no ${name} section`, { where: artifact });
    return new TextDecoder('utf-8', { fatal: true }).decode(s);
  };
  const script = section('planc.planner');
  const manifest = JSON.parse(section('planc.manifest')) as WasmManifest;
  if (manifest.interfaceVersion !== WASM_INTERFACE_VERSION) {
    throw new PlancError('system', `planner artifact speaks interface ${manifest.interfaceVersion}, this planc speaks ${WASM_INTERFACE_VERSION}: rebuild it with \`node scripts/build-wasm.mjs\``, { where: artifact });
  }

  const quickjs = await newQuickJSWASMModuleFromVariant(newVariant(RELEASE_SYNC, { wasmModule: module }));
  const runtime = quickjs.newRuntime({ memoryLimitBytes: 256 << 20, maxStackSizeBytes: 4 << 20 });
  const ctx = runtime.newContext();
  ctx.unwrapResult(ctx.evalCode(script, 'planc.planner', { type: 'global', strict: true })).dispose();
  const planc = ctx.getProp(ctx.global, 'planc');
  const planJSON = ctx.getProp(planc, 'planJSON');
  planc.dispose();
  if (ctx.typeof(planJSON) !== 'function') throw new PlancError('system', 'the planner script defines no planc.planJSON', { where: artifact });

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

  return {
    manifest,
    script,
    plan(configText, factsText, opts = {}) {
      let text: string;
      try {
        text = call(configText, factsText, JSON.stringify(opts));
      } catch (e) {
        throw new PlancError('system', `the WebAssembly planner failed: ${(e as Error).message}`);
      }
      const result = JSON.parse(text) as WasmResult;
      if (!result.ok) throw toPlancError(result.errors);
      const bytes = new Uint8Array(Buffer.from(result.plan, 'base64'));
      // The digest is the artifact's own; check it against the bytes that crossed the boundary.
      if ('sha256:' + createHash('sha256').update(bytes).digest('hex') !== result.digest) throw new PlancError('system', 'the WebAssembly planner returned a digest that does not match its plan');
      return { bytes, digest: result.digest };
    },
    dispose() {
      planJSON.dispose();
      ctx.dispose();
      runtime.dispose();
      loaded.delete(artifact);
    },
  };
}
