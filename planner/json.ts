// A JSON parser that keeps integers beyond 2^53 exact (as bigint).
// runtime-spec has uint64/int64 fields (memory limits, rlimits, seccomp
// argument values); JSON.parse would silently round them. Everything else
// parses exactly as JSON.parse does.
import { PlancError } from '../schemas/error.js';

export type Json = null | boolean | number | bigint | string | Json[] | { [key: string]: Json };

// OCI configs nest a handful of levels; a cap keeps a hostile file from
// exhausting the stack, with the same error in every JS engine.
const MAX_DEPTH = 128;
const NUMBER = /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;

// Where JSON.parse could give another value than the exact parser: a run of 16 or more digits (an
// integer that may not fit a double), a \uD800–\uDFFF escape or a raw surrogate (a lone one is refused).
// A match only means "take the exact parser", which is always right, only slower.
const NATIVE_UNSAFE = /[0-9]{16}|\\u[dD][89a-fA-F]|[\ud800-\udfff]/;

/**
 * JSON text → value. Most configs hold no huge integer and no surrogate escape, and for them the
 * engine's own JSON.parse gives the same value as the exact parser (same keys in the same order,
 * the last of duplicate keys, "__proto__" as a plain key) and is many times faster — 20× in QuickJS,
 * where the native front plans. Anything else, any syntax error (for its line and column) and any
 * nesting past MAX_DEPTH go to the exact parser.
 */
export function parseJson(text: string, file = 'config.json'): Json {
  if (!NATIVE_UNSAFE.test(text)) {
    let v: Json | undefined;
    try {
      v = JSON.parse(text) as Json;
    } catch {
      v = undefined;
    }
    if (v !== undefined && withinDepth(v, 0)) return v;
  }
  return parseJsonExact(text, file);
}

/** No array or object nested deeper than MAX_DEPTH (the exact parser's limit, counted the same way). */
function withinDepth(v: Json, depth: number): boolean {
  if (v === null || typeof v !== 'object') return true;
  if (depth >= MAX_DEPTH) return false;
  if (Array.isArray(v)) {
    for (const x of v) if (!withinDepth(x, depth + 1)) return false;
  } else {
    for (const k of Object.keys(v)) if (!withinDepth(v[k]!, depth + 1)) return false;
  }
  return true;
}

/** The parser itself, character by character: exact integers, lone surrogates refused, errors with their place. */
export function parseJsonExact(text: string, file = 'config.json'): Json {
  let i = 0;
  let depth = 0;
  const fail = (what: string): never => {
    const before = text.slice(0, i);
    const line = before.split('\n').length;
    const col = i - before.lastIndexOf('\n');
    throw new PlancError('invalid-config', `invalid JSON at line ${line} column ${col}: ${what}`, { file });
  };
  const ws = () => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
  };
  const value = (): Json => {
    ws();
    const c = text[i];
    if (c === '{' || c === '[') {
      if (++depth > MAX_DEPTH) fail(`nested deeper than ${MAX_DEPTH} levels`);
      const v = c === '{' ? object() : array();
      depth--;
      return v;
    }
    if (c === '"') return string();
    if (c === 't' && text.startsWith('true', i)) return (i += 4), true;
    if (c === 'f' && text.startsWith('false', i)) return (i += 5), false;
    if (c === 'n' && text.startsWith('null', i)) return (i += 4), null;
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return number();
    return fail(c === undefined ? 'unexpected end of input' : `unexpected character ${JSON.stringify(c)}`);
  };
  const object = (): Json => {
    const out: { [key: string]: Json } = {};
    i++;
    ws();
    if (text[i] === '}') return i++, out;
    for (;;) {
      ws();
      if (text[i] !== '"') fail('expected a property name');
      const key = string();
      ws();
      if (text[i] !== ':') fail("expected ':'");
      i++;
      // defineProperty: a key named "__proto__" must stay data, not a prototype.
      Object.defineProperty(out, key, { value: value(), enumerable: true, writable: true, configurable: true });
      ws();
      if (text[i] === ',') i++;
      else if (text[i] === '}') return i++, out;
      else fail("expected ',' or '}'");
    }
  };
  const array = (): Json => {
    const out: Json[] = [];
    i++;
    ws();
    if (text[i] === ']') return i++, out;
    for (;;) {
      out.push(value());
      ws();
      if (text[i] === ',') i++;
      else if (text[i] === ']') return i++, out;
      else fail("expected ',' or ']'");
    }
  };
  const string = (): string => {
    const start = i;
    i++;
    let simple = true;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') (simple = false), i++;
      else if (text.charCodeAt(i) < 0x20) fail('control character in string');
      i++;
    }
    if (i >= text.length) fail('unterminated string');
    i++;
    const raw = text.slice(start, i);
    let out: string;
    if (simple) out = raw.slice(1, -1);
    else {
      try {
        out = JSON.parse(raw) as string;
      } catch {
        i = start;
        return fail('invalid escape in string');
      }
    }
    // "\ud800" alone is JSON but no character: it cannot become UTF-8 for the kernel, and other
    // runtimes would swap in U+FFFD, so one config would name different paths in different hands.
    const lone = loneSurrogate(out);
    if (lone >= 0) {
      i = start;
      return fail(`string holds \\u${out.charCodeAt(lone).toString(16)}, half of a UTF-16 surrogate pair, which is not a character`);
    }
    return out;
  };
  const number = (): number | bigint => {
    // Sticky, on the text itself: a number of any length is read whole (a 500-digit one is refused
    // for its value by the range checks, not misreported as a syntax error after a cut).
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m) return fail('invalid number');
    i += m[0].length;
    const n = Number(m[0]);
    if (m[2] === undefined && m[3] === undefined && !Number.isSafeInteger(n)) return BigInt(m[0]);
    return n;
  };
  const result = value();
  ws();
  if (i < text.length) fail('unexpected data after the JSON value');
  return result;
}

/** Index of the first unpaired UTF-16 surrogate in `s`, or -1. */
function loneSurrogate(s: string): number {
  if (!/[\ud800-\udfff]/.test(s)) return -1;
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c < 0xd800 || c > 0xdfff) continue;
    const next = s.charCodeAt(k + 1);
    if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) k++;
    else return k;
  }
  return -1;
}

/**
 * parseJson of a file's bytes. JSON text is UTF-8 (RFC 8259): a byte sequence that is not
 * UTF-8 is refused with its place, where a lenient decoder would turn it into U+FFFD and
 * plan a different path or argument than the file holds.
 */
export function parseJsonBytes(bytes: Uint8Array, file = 'config.json'): Json {
  return parseJson(decodeUtf8(bytes, file), file);
}

/** Strict UTF-8 → string: no overlong forms, no surrogates, nothing above U+10FFFF, nothing cut short. */
export function decodeUtf8(bytes: Uint8Array, file = 'config.json'): string {
  const bad = (at: number): never => {
    // The place is counted only for the error: the loop below keeps no line count.
    let line = 1;
    let lineStart = 0;
    for (let k = 0; k < at; k++) if (bytes[k] === 0x0a) (line++, (lineStart = k + 1));
    throw new PlancError('invalid-config', `invalid JSON at line ${line} column ${at - lineStart + 1}: byte 0x${bytes[at]!.toString(16).padStart(2, '0')} at offset ${at} is not valid UTF-8`, { file });
  };
  // Most configs are all ASCII: the bytes as Latin-1 (native calls, in slices short enough for an
  // argument list) are then the text, found without a loop over every byte in JavaScript.
  let latin1 = '';
  for (let k = 0; k < bytes.length; k += 8192) latin1 += String.fromCharCode.apply(null, bytes.subarray(k, k + 8192) as unknown as number[]);
  const firstHigh = latin1.search(/[\x80-\xff]/);
  if (firstHigh < 0) return latin1;
  const cont = (at: number) => at < bytes.length && (bytes[at]! & 0xc0) === 0x80;
  const chunks: string[] = [latin1.slice(0, firstHigh)];
  let units: number[] = [];
  const flush = () => {
    if (units.length > 0) chunks.push(String.fromCharCode(...units));
    units = [];
  };
  for (let k = firstHigh; k < bytes.length; ) {
    const b = bytes[k]!;
    let cp: number;
    let len: number;
    if (b < 0x80) {
      cp = b;
      len = 1;
    } else if (b >= 0xc2 && b <= 0xdf) {
      if (!cont(k + 1)) bad(k);
      cp = ((b & 0x1f) << 6) | (bytes[k + 1]! & 0x3f);
      len = 2;
    } else if (b >= 0xe0 && b <= 0xef) {
      if (!cont(k + 1) || !cont(k + 2)) bad(k);
      cp = ((b & 0x0f) << 12) | ((bytes[k + 1]! & 0x3f) << 6) | (bytes[k + 2]! & 0x3f);
      len = 3;
      if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)) bad(k);
    } else if (b >= 0xf0 && b <= 0xf4) {
      if (!cont(k + 1) || !cont(k + 2) || !cont(k + 3)) bad(k);
      cp = ((b & 0x07) << 18) | ((bytes[k + 1]! & 0x3f) << 12) | ((bytes[k + 2]! & 0x3f) << 6) | (bytes[k + 3]! & 0x3f);
      len = 4;
      if (cp < 0x10000 || cp > 0x10ffff) bad(k);
    } else {
      return bad(k);
    }
    if (cp < 0x10000) units.push(cp);
    else units.push(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
    k += len;
    if (units.length >= 8192) flush();
  }
  flush();
  return chunks.join('');
}

/** A copy with bigints turned into numbers: for schema validation, where only the range matters. */
export function withNumbers(v: Json): unknown {
  // Beyond a double's range a bigint would become Infinity, which the validator calls "not an
  // integer"; the largest finite double keeps it an integer that fails every range check instead.
  if (typeof v === 'bigint') return Number.isFinite(Number(v)) ? Number(v) : v > 0n ? Number.MAX_VALUE : -Number.MAX_VALUE;
  if (Array.isArray(v)) return v.map(withNumbers);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) Object.defineProperty(out, k, { value: withNumbers(v[k]!), enumerable: true, writable: true });
    return out;
  }
  return v;
}

/**
 * JSON text (compact) of a value that may hold bigints: each is written as its exact digits,
 * which JSON.stringify refuses to do. Undefined members are left out, as JSON.stringify does.
 */
export function stringifyJson(v: unknown): string {
  if (typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : stringifyJson(x))).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const parts: string[] = [];
    for (const [k, x] of Object.entries(v)) if (x !== undefined) parts.push(`${JSON.stringify(k)}:${stringifyJson(x)}`);
    return `{${parts.join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}
