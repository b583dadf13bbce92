// The planner's entry point inside the WebAssembly artifact (dist/planner.wasm,
// see docs/wasm.md). scripts/build-wasm.mjs bundles this file with the rest of
// planner/ into one script that QuickJS evaluates; evaluating it defines the
// global `planc` holding this module's exports (esbuild's iife globalName).
//
// The interface is text in, text out, so that any host that can pass a string
// to QuickJS can call it:
//
//   planJSON(configText, factsText, optionsText) → JSON text of a WasmResult
//
// configText  — config.json as read from the bundle (parsed here with
//               parseJson, so big integers stay exact)
// factsText   — HostFacts as JSON (schemas/hostfacts.schema.json; checked here)
// optionsText — '' or JSON: planCreate's PlanOptions (waitForStart, foreground:
//               booleans) and "configFile" (a string)
//
// Like the rest of planner/ this file uses ECMAScript only: no Node globals,
// no btoa, no clock. (QuickJS has no TextEncoder either; the artifact gives
// msgpackr one ahead of this bundle, see scripts/build-wasm.mjs.)
import { PlancError, type ErrorCode, type ProblemDetail } from '../schemas/error.js';
import type { HostFacts } from '../schemas/generated/hostfacts.js';
import validateHostFactsSchema from '../schemas/generated/validate-hostfacts.js';
import { parseJson } from './json.js';
import { planCreate, type PlanOptions } from './plan.js';
import { digestOf, encodePlan } from './encode.js';

/** Bumped whenever planJSON's arguments or result change shape. */
export const INTERFACE_VERSION = 1;

export interface WasmPlanOptions extends PlanOptions {
  /** Name used as `file` of JSON syntax errors in the config (default "config.json"). */
  configFile?: string;
}

// Every PlanOptions member, so the artifact takes all of them: adding one to
// PlanOptions without listing it here fails the type check below.
const PLAN_OPTIONS = ['waitForStart', 'foreground', 'consoleSocket'] as const;
const STRING_OPTIONS = new Set(['configFile', 'consoleSocket']);
type Unlisted = Exclude<keyof PlanOptions, (typeof PLAN_OPTIONS)[number]>;
const allListed: [Unlisted] extends [never] ? true : Unlisted = true;
void allListed;

export interface WasmError {
  code: ErrorCode;
  message: string;
  where?: string;
  file?: string;
  details: ProblemDetail[];
}

export type WasmResult =
  | { ok: true; digest: string; /** the canonical msgpack plan, base64 */ plan: string }
  | { ok: false; errors: WasmError[] };

type Validator = ((v: unknown) => boolean) & { errors?: { instancePath: string; message?: string; keyword: string }[] | null };

export function planJSON(configText: string, factsText: string, optionsText = ''): string {
  return JSON.stringify(planResult(configText, factsText, optionsText));
}

export function planResult(configText: string, factsText: string, optionsText = ''): WasmResult {
  try {
    const opts = readOptions(optionsText);
    const facts = readFacts(factsText);
    const { configFile = 'config.json', ...planOptions } = opts;
    const config = parseJson(configText, configFile);
    const bytes = encodePlan(planCreate(config, facts, planOptions));
    return { ok: true, digest: digestOf(bytes), plan: base64(bytes) };
  } catch (e) {
    return { ok: false, errors: [toWasmError(e)] };
  }
}

function toWasmError(e: unknown): WasmError {
  if (e instanceof PlancError) {
    const out: WasmError = { code: e.code, message: e.message, details: e.details };
    if (e.where !== undefined) out.where = e.where;
    if (e.file !== undefined) out.file = e.file;
    return out;
  }
  // A planner bug or an engine limit (QuickJS's stack or memory): still an error record, never a crash.
  const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  const hint = /stack/i.test(what) ? ' (is the config nested hundreds of levels deep?)' : '';
  return { code: 'system', message: `planner failed: ${what}${hint}`, details: [] };
}

function readOptions(text: string): WasmPlanOptions {
  if (text.trim() === '') return {};
  const v = parseArgument(text, 'options');
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new PlancError('invalid-argument', 'options must be a JSON object', { where: 'options' });
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    const type = STRING_OPTIONS.has(k) ? 'string' : (PLAN_OPTIONS as readonly string[]).includes(k) ? 'boolean' : null;
    if (type === null) throw new PlancError('invalid-argument', `unknown option ${JSON.stringify(k)}`, { where: 'options' });
    if (o[k] !== undefined && typeof o[k] !== type) throw new PlancError('invalid-argument', `option ${k} must be a ${type}`, { where: 'options' });
  }
  return o as WasmPlanOptions;
}

function readFacts(text: string): HostFacts {
  const v = parseArgument(text, 'host facts');
  const validate = validateHostFactsSchema as Validator;
  if (!validate(v)) {
    const details = (validate.errors ?? []).filter((e) => e.keyword !== 'if').map((e) => ({ where: e.instancePath || '/', message: e.message ?? e.keyword }));
    const first = details[0] ?? { where: '/', message: 'invalid' };
    throw new PlancError('invalid-argument', `invalid host facts: ${first.where}: ${first.message}`, { where: 'host facts', details });
  }
  return v as HostFacts;
}

function parseArgument(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new PlancError('invalid-argument', `${what} are not valid JSON: ${(e as Error).message}`, { where: what });
  }
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_CODES = Array.from(B64, (c) => c.charCodeAt(0));

/** RFC 4648 base64 with padding (QuickJS has no btoa). Written as char codes: string concatenation is slow in QuickJS. */
export function base64(bytes: Uint8Array): string {
  const out = new Uint8Array(Math.ceil(bytes.length / 3) * 4);
  let o = 0;
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = B64_CODES[n >> 18]!;
    out[o++] = B64_CODES[(n >> 12) & 63]!;
    out[o++] = B64_CODES[(n >> 6) & 63]!;
    out[o++] = B64_CODES[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest > 0) {
    const n = (bytes[i]! << 16) | (rest === 2 ? bytes[i + 1]! << 8 : 0);
    out[o++] = B64_CODES[n >> 18]!;
    out[o++] = B64_CODES[(n >> 12) & 63]!;
    out[o++] = rest === 2 ? B64_CODES[(n >> 6) & 63]! : 61; // '='
    out[o++] = 61;
  }
  let text = '';
  for (let k = 0; k < out.length; k += 8192) text += String.fromCharCode.apply(null, out.subarray(k, k + 8192) as unknown as number[]);
  return text;
}
