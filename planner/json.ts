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

export function parseJson(text: string, file = 'config.json'): Json {
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
  const chunks: string[] = [];
  let units: number[] = [];
  let line = 1;
  let lineStart = 0;
  const bad = (at: number): never => {
    throw new PlancError('invalid-config', `invalid JSON at line ${line} column ${at - lineStart + 1}: byte 0x${bytes[at]!.toString(16).padStart(2, '0')} at offset ${at} is not valid UTF-8`, { file });
  };
  const cont = (at: number) => at < bytes.length && (bytes[at]! & 0xc0) === 0x80;
  for (let k = 0; k < bytes.length; ) {
    const b = bytes[k]!;
    let cp: number;
    let len: number;
    if (b < 0x80) {
      cp = b;
      len = 1;
      if (b === 0x0a) {
        line++;
        lineStart = k + 1;
      }
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
    if (units.length >= 8192) {
      chunks.push(String.fromCharCode(...units));
      units = [];
    }
  }
  chunks.push(String.fromCharCode(...units));
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
