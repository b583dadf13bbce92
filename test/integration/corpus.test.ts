// The bad-input corpus (issue 9): configs and invocations that are wrong in
// every way we could think of, plus wrong-typed and out-of-range fields
// generated from schemas/config.schema.json with fast-check (seeded, so the
// corpus is the same on every run). Each goes through the real CLI as root,
// and each must end the same way: exit 1, exactly one "planc: " line that
// names the config.json and the JSON pointer (for config errors), no stack
// trace or leaked exception, and nothing left behind.
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { leftovers, NEEDS_ROOT, Planc, type Result, uniqueId } from '../helpers/planc.js';

const skip = NEEDS_ROOT;
const pc = new Planc();
const scratch = mkdtempSync(join(tmpdir(), 'planc-corpus-'));
after(() => {
  pc.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

// A fixed seed: the generated part of the corpus is the same on every run. CORPUS_SEED explores others.
const SEED = Number(process.env.CORPUS_SEED ?? 0x9c0de);
const GENERATED = 120;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json } | Raw;
/** A number written into config.json as-is (JSON.stringify cannot write 2^64 or 1e400). */
class Raw {
  constructor(readonly text: string) {}
}

/** JSON text with Raw numbers spliced in. */
function toText(v: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(v, (_k, x) => (x instanceof Raw ? `\u0001raw${raws.push(x.text) - 1}\u0001` : x), '\t');
  return text.replace(/"\\u0001raw(\d+)\\u0001"/g, (_m, k: string) => raws[Number(k)]!);
}

// ---------------------------------------------------------------------------
// The base: a valid config (test/unit/fixtures/default.json) on a shared busybox rootfs.

const BASE = JSON.parse(readFileSync(new URL('../unit/fixtures/default.json', import.meta.url), 'utf8'));

interface World {
  rootfs: string;
  /** Holds `rootfs`: what leftovers() checks for mounts. */
  shared: string;
  base: any;
}

let world: World | undefined;
function setUp(): World {
  if (world) return world;
  const shared = pc.bundle(['true']);
  const rootfs = join(shared, 'rootfs');
  // Cyclic symlinks in the rootfs, for mount destinations, cwd, masked and read-only paths.
  symlinkSync('loop2', join(rootfs, 'loop1'));
  symlinkSync('loop1', join(rootfs, 'loop2'));
  symlinkSync('self', join(rootfs, 'self'));
  mkdirSync(join(rootfs, 'deep'));
  symlinkSync('../deep/down', join(rootfs, 'deep', 'down'));
  // Beside it: a rootfs that is a file, a rootfs that is a symlink loop, and a host source that loops.
  writeFileSync(join(scratch, 'rootfs-file'), 'not a directory\n');
  writeFileSync(join(scratch, 'not-a-socket'), 'a regular file\n');
  symlinkSync('rootfs-loop', join(scratch, 'rootfs-loop'));
  symlinkSync('host-loop', join(scratch, 'host-loop'));
  const base = structuredClone(BASE);
  base.root.path = rootfs;
  base.process.args = ['true'];
  world = { rootfs, shared, base };
  return world;
}

const clone = (): any => structuredClone(setUp().base);

// Bundles the cases run in, one per case in flight: config.json is rewritten for each case.
const CONCURRENCY = 2;
const idle: string[] = [];
const waiting: ((dir: string) => void)[] = [];
function bundleDirs(): void {
  if (idle.length + waiting.length > 0) return;
  for (let k = 0; k < CONCURRENCY; k++) {
    const dir = join(scratch, `bundle-${k}`);
    mkdirSync(dir);
    idle.push(dir);
  }
}
async function withBundle<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = idle.pop() ?? (await new Promise<string>((r) => waiting.push(r)));
  try {
    return await fn(dir);
  } finally {
    const next = waiting.shift();
    if (next) next(dir);
    else idle.push(dir);
  }
}

// ---------------------------------------------------------------------------
// What every rejection must look like.

/** Signs of an exception planc did not mean to throw, even when squeezed onto one line. */
const CRASH: [RegExp, string][] = [
  [/^\s+at /m, 'a stack frame'],
  [/\b(TypeError|RangeError|ReferenceError|SyntaxError|AssertionError|Error):/, 'an uncaught exception prefix'],
  [/Maximum call stack|Cannot read propert|is not a function|is not iterable|Invalid array length|\[object Object\]|\bundefined\b|\bNaN\b/, 'a JavaScript failure message'],
  // Node's fs errors ("ENOENT: no such file or directory, open '/x'") reach the user only when nothing caught them.
  [/\bE[A-Z]{3,}: [^,]+, (open|mkdir|stat|lstat|rename|rmdir|unlink|scandir|readlink|access|write|read|opendir) '/, 'a raw Node fs error'],
];

interface Expect {
  /** The line names config.json (every config error does). */
  config: boolean;
  /** For config errors: the JSON pointer the error must name. */
  where?: string;
  /** Further text the line must contain. */
  says?: (string | RegExp)[];
}

interface Case {
  name: string;
  kind: 'generated' | 'hand-written';
  /** config.json contents (text, or exact bytes); absent: the base config. */
  config?: string | Buffer;
  /** planc's arguments; "{bundle}", "{id}" and "{container}" (the kill target) are filled in. Default: create --bundle {bundle} {id}. */
  argv?: string[];
  /** Run with this --root instead of the private one. */
  root?: string;
  expect: Expect;
  /** A kill case: it aims at the shared live container, which must survive it (checked at the end), not at a fresh id. */
  container?: boolean;
}

function whereOf(line: string, configPath: string): string | undefined {
  const rest = line.slice(`planc: ${configPath}: `.length);
  const m = /^(\/[^:]*): /.exec(rest);
  return m?.[1];
}

function checkRejection(c: Case, r: Result, configPath: string): void {
  assert.equal(r.signal, null, `planc was killed by ${r.signal} (stderr: ${r.stderr})`);
  assert.equal(r.code, 1, `exit code: planc accepted this or failed oddly (stderr: ${JSON.stringify(r.stderr)})`);
  assert.match(r.stderr, /^planc: [^\n]+\n$/, `exactly one "planc: " line on stderr: ${JSON.stringify(r.stderr.slice(0, 2000))}`);
  assert.equal(r.stdout, '', 'nothing on stdout');
  const line = r.stderr.slice(0, -1);
  // Config keys and container paths end up in the line: shown escaped, never as raw control characters.
  assert.doesNotMatch(line, /[\u0000-\u001f\u007f-\u009f]/, `a raw control character in ${JSON.stringify(line)}`);
  for (const [re, what] of CRASH) assert.doesNotMatch(line, re, `${what} in ${JSON.stringify(line)}`);
  if (c.expect.config) {
    assert.ok(line.startsWith(`planc: ${configPath}: `), `the line names ${configPath}: ${JSON.stringify(line)}`);
  }
  if (c.expect.where !== undefined) {
    const where = whereOf(line, configPath);
    assert.ok(where !== undefined, `the line names a JSON pointer: ${JSON.stringify(line)}`);
    assert.equal(where, c.expect.where, `the line names ${c.expect.where}: ${JSON.stringify(line)}`);
  }
  for (const s of c.expect.says ?? []) {
    if (typeof s === 'string') assert.ok(line.includes(s), `${JSON.stringify(line)} should contain ${JSON.stringify(s)}`);
    else assert.match(line, s);
  }
}

// ---------------------------------------------------------------------------
// Generated: one schema-typed field at a time turned into a wrong type or an out-of-range value.

type Schema = { [k: string]: any };
const SCHEMA: Schema = JSON.parse(readFileSync(new URL('../../schemas/config.schema.json', import.meta.url), 'utf8'));

function resolveRef(s: Schema | boolean | undefined): Schema | undefined {
  let cur = s;
  for (let k = 0; k < 10 && cur && typeof cur === 'object' && typeof cur.$ref === 'string'; k++) {
    cur = cur.$ref.replace(/^#\//, '').split('/').reduce((o: any, seg: string) => o?.[seg], SCHEMA);
  }
  return cur && typeof cur === 'object' ? cur : undefined;
}

/** A field of the schema: where it is (array items as '#', map values as '*') and what it must be. */
interface Site {
  path: string[];
  schema: Schema;
  required: boolean;
}

// Other platforms' sections stay out: a Linux runtime only says "unsupported" to them (hand-written cases cover that).
const PLATFORMS = new Set(['windows', 'solaris', 'vm', 'zos', 'freebsd']);

function collectSites(schema: Schema, path: string[], required: boolean, out: Site[]): void {
  const s = resolveRef(schema);
  if (!s || path.length > 7) return;
  if (path.length > 0) out.push({ path, schema: s, required });
  if (path.length === 1 && PLATFORMS.has(path[0]!)) return;
  const req = new Set<string>(s.required ?? []);
  for (const [key, sub] of Object.entries<Schema>(s.properties ?? {})) collectSites(sub, [...path, key], req.has(key), out);
  if (s.items && typeof s.items === 'object') collectSites(s.items, [...path, '#'], false, out);
  if (s.additionalProperties && typeof s.additionalProperties === 'object') collectSites(s.additionalProperties, [...path, '*'], false, out);
}

const SITES: Site[] = [];
collectSites(SCHEMA, [], false, SITES);

type Mutation = { kind: string; value?: Json; remove?: true };
const JSON_TYPES = ['null', 'boolean', 'integer', 'number', 'string', 'array', 'object'] as const;

function typesOf(s: Schema): string[] | undefined {
  if (s.type === undefined) return undefined;
  return Array.isArray(s.type) ? s.type : [s.type];
}

/** fast-check arbitraries of values that the schema refuses at this site, by construction. */
function mutations(site: Site): fc.Arbitrary<Mutation>[] {
  const s = site.schema;
  const out: fc.Arbitrary<Mutation>[] = [];
  const types = typesOf(s);
  if (types) {
    const allowed = (t: string) => types.includes(t) || (t === 'integer' && types.includes('number'));
    const wrong = JSON_TYPES.filter((t) => !allowed(t));
    const valueOf: Record<(typeof JSON_TYPES)[number], fc.Arbitrary<Json>> = {
      null: fc.constant(null),
      boolean: fc.boolean(),
      integer: fc.integer({ min: -1_000_000, max: 1_000_000 }),
      number: fc.double({ min: -1e6, max: 1e6, noNaN: true }).filter((x) => !Number.isInteger(x)),
      string: fc.string({ maxLength: 12 }),
      array: fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 4 })), { maxLength: 3 }),
      object: fc.dictionary(fc.constantFrom('a', 'b', 'x'), fc.integer(), { maxKeys: 2 }),
    };
    if (wrong.length) out.push(fc.constantFrom(...wrong).chain((t) => valueOf[t].map((value) => ({ kind: `wrong type (${t})`, value }))));
  }
  if (types?.includes('integer')) {
    const edges: Json[] = [];
    if (typeof s.minimum === 'number') edges.push(s.minimum - 1, new Raw('-9223372036854775809'), new Raw(`-${2n ** 64n}`));
    if (typeof s.maximum === 'number') edges.push(s.maximum + 1, new Raw('9007199254740993'), new Raw(String(2n ** 64n)), new Raw('1' + '0'.repeat(40)));
    edges.push(new Raw('1e400'));
    out.push(fc.constantFrom(...edges).map((value) => ({ kind: 'out of range', value })));
  }
  if (Array.isArray(s.enum)) {
    const e = s.enum.filter((x: unknown) => typeof x === 'string') as string[];
    if (e.length) {
      out.push(fc.oneof(
        fc.constantFrom(...e).map((x) => x.toUpperCase() === x ? x.toLowerCase() : x.toUpperCase()),
        fc.constantFrom(...e).map((x) => ` ${x}`),
        fc.string({ minLength: 1, maxLength: 10 }),
      ).filter((v) => !e.includes(v)).map((value) => ({ kind: 'not in enum', value })));
    }
  }
  if (typeof s.pattern === 'string') {
    const re = new RegExp(s.pattern, 'u');
    out.push(fc.string({ maxLength: 16 }).filter((v) => !re.test(v)).map((value) => ({ kind: 'pattern mismatch', value })));
  }
  if (typeof s.minLength === 'number' && s.minLength > 0) out.push(fc.constant({ kind: 'too short', value: '' }));
  if (typeof s.minItems === 'number' && s.minItems > 0) out.push(fc.constant({ kind: 'too few items', value: [] }));
  if (s.propertyNames?.minLength > 0) out.push(fc.constant({ kind: 'empty key', value: { '': 'x' } }));
  if (site.required) out.push(fc.constant({ kind: 'required, removed', remove: true as const }));
  return out;
}

const MUTABLE = SITES.map((site) => ({ site, arbs: mutations(site) })).filter((x) => x.arbs.length > 0);

// Values that match each pattern of the schema, for building valid parents (the first that matches is used).
const PATTERN_EXAMPLES = ['/x', '1.2.0', 'CAP_KILL', 'MB:0=100', '0', '2MB', 'A=b', 'rw'];

/**
 * The smallest value the schema accepts here: what a missing parent of a mutated field is
 * filled with, so that the mutation is the only thing wrong with the config.
 */
function minimal(schema: Schema | undefined, where: string): Json {
  const s = resolveRef(schema);
  assert.ok(s, `corpus setup: no schema at ${where}`);
  if (Array.isArray(s.enum)) return s.enum[0];
  const type = typesOf(s)?.[0];
  switch (type) {
    case 'object': {
      const out: { [k: string]: Json } = {};
      // Conditionally required fields too (a device of type "c" needs major and minor): 0 is valid for them.
      const required = new Set<string>([...(s.required ?? []), ...(s.then?.required ?? []), ...(s.else?.required ?? [])]);
      for (const key of required) out[key] = minimal(s.properties?.[key], `${where}/${key}`);
      return out;
    }
    case 'array':
      return (s.minItems ?? 0) > 0 ? [minimal(s.items, `${where}/0`)] : [];
    case 'string': {
      if (typeof s.pattern !== 'string') return 'x';
      const re = new RegExp(s.pattern, 'u');
      const example = PATTERN_EXAMPLES.find((x) => re.test(x));
      assert.ok(example !== undefined, `corpus setup: no example for pattern ${s.pattern} at ${where}`);
      return example;
    }
    case 'integer':
    case 'number':
      return Math.max(0, s.minimum ?? 0);
    case 'boolean':
      return false;
    default:
      return null;
  }
}

/** A key the map at this site accepts (propertyNames), for a value added to an absent or empty map. */
function mapKey(s: Schema): string {
  const names = resolveRef(s.propertyNames);
  return Array.isArray(names?.enum) ? names.enum[0] : 'net.corpus';
}

/** Apply at `path` (creating valid parents for what is missing on the way), returning the JSON pointer changed. */
function applyAt(config: any, path: string[], m: Mutation, pick: number): string {
  let cur = config;
  let schema: Schema | undefined = SCHEMA;
  const ptr: string[] = [];
  for (let k = 0; k < path.length; k++) {
    const seg = path[k]!;
    const last = k === path.length - 1;
    const parent: Schema = resolveRef(schema)!;
    let key: string | number;
    if (seg === '#') {
      assert.ok(Array.isArray(cur), `corpus setup: not an array at /${ptr.join('/')}`);
      key = cur.length > 0 ? pick % cur.length : 0;
      schema = parent.items;
    } else if (seg === '*') {
      const keys = Object.keys(cur);
      key = keys.length > 0 ? keys[pick % keys.length]! : mapKey(parent);
      schema = parent.additionalProperties;
    } else {
      key = seg;
      schema = parent.properties?.[seg];
    }
    ptr.push(String(key).replace(/~/g, '~0').replace(/\//g, '~1'));
    if (last) {
      if (m.remove) delete cur[key];
      else cur[key] = m.value;
    } else {
      if (cur[key] === undefined) cur[key] = minimal(schema, '/' + ptr.join('/'));
      // An empty array on the way gets one valid element for the next step to go into.
      if (Array.isArray(cur[key]) && cur[key].length === 0 && path[k + 1] === '#' && !(k + 1 === path.length - 1)) {
        cur[key].push(minimal(resolveRef(schema)!.items, '/' + ptr.join('/') + '/0'));
      }
      cur = cur[key];
    }
  }
  return '/' + ptr.join('/');
}

function parentOf(pointer: string): string {
  return pointer.slice(0, pointer.lastIndexOf('/')) || '/';
}

function generatedCases(): Case[] {
  const arb = fc.constantFrom(...MUTABLE).chain(({ site, arbs }) => fc.tuple(fc.constant(site), fc.oneof(...arbs), fc.nat()));
  const out: Case[] = [];
  const seen = new Set<string>();
  for (const [site, m, pick] of fc.sample(arb, { seed: SEED, numRuns: GENERATED * 4 })) {
    if (out.length >= GENERATED) break;
    const config = clone();
    const where = applyAt(config, site.path, m, pick);
    const text = toText(config);
    const key = `${where} ${text.length} ${m.kind} ${JSON.stringify(m.value instanceof Raw ? m.value.text : m.value)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const shown = m.remove ? '' : ` = ${m.value instanceof Raw ? m.value.text : JSON.stringify(m.value)}`.slice(0, 60);
    // The schema names the field itself; a removed required field is named by its parent ("must have required property").
    out.push({ name: `${where}: ${m.kind}${shown}`, kind: 'generated', config: text, expect: { config: true, where: m.remove ? parentOf(where) : where } });
  }
  return out;
}

// ---------------------------------------------------------------------------
// Hand-written.

/** The base config changed by `edit`, as text; `raw` then edits the text (for what JSON.stringify cannot write). */
function cfg(edit: (c: any) => void = () => {}, raw?: [string, string]): string {
  const c = clone();
  edit(c);
  let text = toText(c);
  if (raw) {
    assert.ok(text.includes(raw[0]), `corpus setup: ${raw[0]} in the config text`);
    text = text.replace(raw[0], raw[1]);
  }
  return text;
}

const at = (where: string, ...says: (string | RegExp)[]): Expect => ({ config: true, where, says });
const jsonError = (...says: (string | RegExp)[]): Expect => ({ config: true, says: [/: invalid JSON at line \d+ column \d+: /, ...says] });
const invocation = (...says: (string | RegExp)[]): Expect => ({ config: false, says });
const NUL = 'contains a NUL byte';

function handCases(): Case[] {
  const w = setUp();
  const rl = (soft: number, hard: number) => (c: any) => (c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft, hard }]);
  const userns = (c: any) => {
    c.linux.namespaces.push({ type: 'user' });
    c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  };
  const mount = (m: object) => (c: any) => c.mounts.push(m);
  const H: Omit<Case, 'kind'>[] = [];
  const add = (name: string, config: string | Buffer | undefined, expect: Expect, extra: Partial<Case> = {}) => H.push({ name, config, expect, ...extra });

  // Numbers beyond 2^53, where the spec wants int32/uint32/int64/uint64.
  add('uid 2^53 + 1', cfg((c) => (c.process.user.uid = 7), ['"uid": 7', '"uid": 9007199254740993']), at('/process/user/uid', 'must be <= 4294967295'));
  add('gid 2^64', cfg((c) => (c.process.user.gid = 7), ['"gid": 7', '"gid": 18446744073709551616']), at('/process/user/gid', 'must be <= 4294967295'));
  add('additionalGids with 1e10', cfg((c) => (c.process.user.additionalGids = [1, 10000000000])), at('/process/user/additionalGids/1', 'must be <= 4294967295'));
  add('uid 10^40', cfg((c) => (c.process.user.uid = 7), ['"uid": 7', `"uid": 1${'0'.repeat(40)}`]), at('/process/user/uid', 'must be <= 4294967295'));
  add('uid -1', cfg((c) => (c.process.user.uid = -1)), at('/process/user/uid', 'must be >= 0'));
  add('uid 1.5', cfg((c) => (c.process.user.uid = 1.5)), at('/process/user/uid', 'must be integer'));
  add('rlimit soft > hard, both beyond 2^53', cfg(rl(7, 8), ['"hard": 8', '"hard": 9007199254740993']).replace('"soft": 7', '"soft": 18446744073709551615'), at('/process/rlimits/0', 'soft limit is above the hard limit'));
  add('rlimit hard 2^64', cfg(rl(7, 8), ['"hard": 8', '"hard": 18446744073709551616']), at('/process/rlimits/0/hard', 'must be <= 18446744073709551615'));
  add('rlimit soft 1e20 (written as a double)', cfg(rl(7, 8), ['"soft": 7', '"soft": 1e20']), at('/process/rlimits/0/soft', 'must be <= 18446744073709551615'));
  add('rlimit hard 1e400', cfg(rl(7, 8), ['"hard": 8', '"hard": 1e400']), at('/process/rlimits/0/hard', 'must be integer'));
  add('rlimit set twice', cfg((c) => (c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1, hard: 1 }, { type: 'RLIMIT_NOFILE', soft: 2, hard: 2 }])), at('/process/rlimits/1/type', 'set twice'));
  add('rlimit of an unknown resource', cfg((c) => (c.process.rlimits = [{ type: 'RLIMIT_BOGUS', soft: 1, hard: 1 }])), at('/process/rlimits/0/type', 'must be one of'));
  add('oomScoreAdj -(2^53 + 1)', cfg((c) => (c.process.oomScoreAdj = 7), ['"oomScoreAdj": 7', '"oomScoreAdj": -9007199254740993']), at('/process/oomScoreAdj', 'must be >= -1000'));
  add('oomScoreAdj 1001', cfg((c) => (c.process.oomScoreAdj = 1001)), at('/process/oomScoreAdj', 'must be <= 1000'));
  add('memory.limit 2^63 (int64)', cfg((c) => (c.linux.resources.memory = { limit: 7 }), ['"limit": 7', '"limit": 9223372036854775808']), at('/linux/resources/memory/limit', 'must be <= 9223372036854775807'));
  add('cpu.shares 2^64 (uint64)', cfg((c) => (c.linux.resources.cpu = { shares: 7 }), ['"shares": 7', '"shares": 18446744073709551616']), at('/linux/resources/cpu/shares', 'must be <= 18446744073709551615'));
  add('pids.limit -2', cfg((c) => (c.linux.resources.pids = { limit: -2 })), at('/linux/resources/pids/limit', 'must be >= -1'));
  add('umask 2^32', cfg((c) => (c.process.user.umask = 4294967296)), at('/process/user/umask', 'must be <= 4294967295'));
  add('uid map hostID 2^53 + 1', cfg(userns, ['"hostID": 100000', '"hostID": 9007199254740993']), at('/linux/uidMappings/0/hostID', 'must be <= 4294967295'));

  // NUL bytes and text that is not text.
  add('NUL in an argument', cfg((c) => (c.process.args = ['true', 'a\u0000b'])), at('/process/args/1', NUL));
  add('NUL in args[0]', cfg((c) => (c.process.args = ['tr\u0000ue'])), at('/process/args/0', NUL));
  add('NUL in env', cfg((c) => c.process.env.push('A=b\u0000c')), at('/process/env/2', NUL));
  add('NUL in a mount destination', cfg(mount({ destination: '/tmp\u0000/../etc', type: 'tmpfs', source: 'tmpfs' })), at('/mounts/7/destination', NUL));
  add('NUL in cwd', cfg((c) => (c.process.cwd = '/\u0000tmp')), at('/process/cwd', NUL));
  add('NUL in root.path', cfg((c) => (c.root.path = `${w.rootfs}\u0000x`)), at('/root/path', NUL));
  add('NUL in hostname', cfg((c) => (c.hostname = 'a\u0000b')), at('/hostname', NUL));
  add('NUL in a sysctl name', cfg((c) => (c.linux.sysctl = { 'net.ipv4.ip_forward\u0000': '1' })), at('/linux/sysctl/net.ipv4.ip_forward\\u0000', 'property name contains a NUL byte'));
  add('newline in a sysctl name', cfg((c) => (c.linux.sysctl = { 'net.ipv4.a\nb': '1' })), at('/linux/sysctl/net.ipv4.a\\nb', 'invalid sysctl name "net.ipv4.a\\nb"'));
  add('escape sequence in a mount destination below a cyclic symlink', cfg(mount({ destination: '/loop1/a\nb\u001b[31mred\u009b0m', type: 'tmpfs', source: 'tmpfs' })), at('/mounts/7', '/loop1/a\\nb\\u001b[31mred\\u009b0m', 'too many levels of symbolic links'));
  add('lone surrogate escape in hostname', cfg((c) => (c.hostname = 'h'), ['"hostname": "h"', '"hostname": "\\ud800"']), jsonError('half of a UTF-16 surrogate pair'));
  add('invalid escape', cfg((c) => (c.hostname = 'h'), ['"hostname": "h"', '"hostname": "\\x41"']), jsonError('invalid escape'));
  add('raw control character in a string', cfg((c) => (c.hostname = 'h'), ['"hostname": "h"', '"hostname": "a\tb"']), jsonError('control character in string'));
  const bytes = (text: string, find: string, replacement: number[]) => {
    const i = Buffer.from(text).indexOf(find);
    assert.ok(i >= 0);
    return Buffer.concat([Buffer.from(text).subarray(0, i), Buffer.from(replacement), Buffer.from(text).subarray(i + Buffer.byteLength(find))]);
  };
  add('invalid UTF-8 (0xff) in hostname', bytes(cfg((c) => (c.hostname = 'h@h')), '@', [0xff]), jsonError('not valid UTF-8'));
  add('overlong UTF-8 "/" in a mount destination', bytes(cfg(mount({ destination: '/a@etc', type: 'tmpfs', source: 'tmpfs' })), '@', [0xc0, 0xaf]), jsonError('not valid UTF-8'));
  add('UTF-8 cut short in an argument', bytes(cfg((c) => (c.process.args = ['true', 'x@'])), '@', [0xe2, 0x82]), jsonError('not valid UTF-8'));
  add('UTF-8-encoded surrogate in env', bytes(cfg((c) => c.process.env.push('A=@')), '@', [0xed, 0xa0, 0x80]), jsonError('not valid UTF-8'));
  add('a byte-order mark before the JSON', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(cfg())]), jsonError('unexpected character'));

  // Not JSON, or not an object.
  add('empty config.json', '', jsonError('unexpected end of input'));
  add('truncated config.json', cfg().slice(0, 200), jsonError());
  add('trailing garbage', cfg() + '}', jsonError('unexpected data after the JSON value'));
  add('trailing comma', cfg().replace(/\n\}\s*$/, ',\n}'), jsonError('expected a property name'));
  for (const [what, text] of [['null', 'null'], ['an array', '[]'], ['a number', '42'], ['a string', '"config"']] as const) {
    add(`config.json is ${what}`, text, at('/', 'must be object'));
  }

  // Deep nesting, beyond the parser's cap of 128, inside an extension field.
  add('nested 129 deep', cfg((c) => (c.x = 0), ['"x": 0', `"x": ${'['.repeat(129)}${']'.repeat(129)}`]), jsonError('nested deeper than 128 levels'));
  add('nested 100 000 deep', cfg((c) => (c.x = 0), ['"x": 0', `"x": ${'{"a":'.repeat(100_000)}0${'}'.repeat(100_000)}`]), jsonError('nested deeper than 128 levels'));

  // Enormous arrays with one bad entry at the end.
  const N = 100_000;
  add(`${N} mounts, the last relative`, cfg((c) => {
    for (let k = 0; k < N - 1; k++) c.mounts.push({ destination: `/m/${k}`, type: 'tmpfs', source: 'tmpfs' });
    c.mounts.push({ destination: 'relative', type: 'tmpfs', source: 'tmpfs' });
  }), at(`/mounts/${N + 6}/destination`, 'must be absolute'));
  add(`${N} mounts, the last with a numeric destination`, cfg((c) => {
    for (let k = 0; k < N - 1; k++) c.mounts.push({ destination: `/m/${k}`, type: 'tmpfs', source: 'tmpfs' });
    c.mounts.push({ destination: 5, type: 'tmpfs', source: 'tmpfs' });
  }), at(`/mounts/${N + 6}/destination`, 'must be string'));
  add(`${N} env entries, the last without "="`, cfg((c) => {
    for (let k = 0; k < N - 1; k++) c.process.env.push(`V${k}=${k}`);
    c.process.env.push('NOEQUALS');
  }), at(`/process/env/${N + 1}`, 'must match pattern'));
  add(`${N} args, the last with a NUL`, cfg((c) => {
    c.process.args = Array.from({ length: N }, (_, k) => `a${k}`);
    c.process.args[0] = 'true';
    c.process.args[N - 1] = 'x\u0000';
  }), at(`/process/args/${N - 1}`, NUL));
  add(`${N} masked paths, the last relative`, cfg((c) => {
    for (let k = 0; k < N - 1; k++) c.linux.maskedPaths.push(`/proc/m${k}`);
    c.linux.maskedPaths.push('proc/relative');
  }), at(`/linux/maskedPaths/${N + 9}`, 'must match pattern'));

  // Mounts: duplicates that cannot work, bad options, cyclic symlinks in the rootfs.
  add('a second /proc mount hides procfs under a tmpfs (masked paths would protect nothing)', cfg(mount({ destination: '/proc', type: 'tmpfs', source: 'tmpfs' })), at('/mounts/7', 'only procfs may be mounted on /proc'));
  add('a bind mount inside /proc (over /proc/sys)', cfg(mount({ destination: '/proc/sys', type: 'bind', source: w.rootfs, options: ['rbind'] })), at('/mounts/7', 'a mount inside /proc'));
  add('duplicate destination, the second relative', cfg((c) => c.mounts.push({ destination: '/dev/shm', type: 'tmpfs', source: 'shm' }, { destination: 'dev/shm', type: 'tmpfs', source: 'shm' })), at('/mounts/8/destination', 'must be absolute'));
  add('mount onto /', cfg(mount({ destination: '/', type: 'tmpfs', source: 'tmpfs' })), at('/mounts/7/destination', 'would hide the rootfs'));
  add('mount onto /.. (cleans to /)', cfg(mount({ destination: '/..', type: 'tmpfs', source: 'tmpfs' })), at('/mounts/7/destination', 'would hide the rootfs'));
  add('id-mapped bind of a filesystem that has no id-mapped mounts (sysfs)', cfg(mount({ destination: '/x', type: 'bind', source: '/sys/kernel', options: ['bind', 'idmap'], uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }], gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }] })), at('/mounts/7', 'does not support id-mapped mounts'));
  add('tmpcopyup on a bind mount', cfg(mount({ destination: '/x', type: 'bind', source: w.rootfs, options: ['rbind', 'tmpcopyup'] })), at('/mounts/7/options/1', 'tmpcopyup fills a new tmpfs'));
  add('bind mount without a source', cfg(mount({ destination: '/x', type: 'bind', options: ['rbind'] })), at('/mounts/7', 'needs a source'));
  add('bind source missing on the host', cfg(mount({ destination: '/x', type: 'bind', source: join(scratch, 'no-such-source'), options: ['rbind'] })), at('/mounts/7', 'no such file or directory'));
  add('bind source a symlink loop on the host', cfg(mount({ destination: '/x', type: 'bind', source: join(scratch, 'host-loop'), options: ['rbind'] })), at('/mounts/7', 'too many levels of symbolic links'));
  add('mount destination a cyclic symlink in the rootfs', cfg(mount({ destination: '/loop1', type: 'tmpfs', source: 'tmpfs' })), at('/mounts/7', 'too many levels of symbolic links'));
  add('mount destination below a cyclic symlink', cfg(mount({ destination: '/loop2/sub/dir', type: 'tmpfs', source: 'tmpfs' })), at('/mounts/7', 'too many levels of symbolic links'));
  add('mount destination a self-referencing symlink', cfg(mount({ destination: '/self', type: 'tmpfs', source: 'tmpfs' })), at('/mounts/7', 'too many levels of symbolic links'));
  add('mount destination through a symlink into itself', cfg(mount({ destination: '/deep/down/x', type: 'tmpfs', source: 'tmpfs' })), at('/mounts/7', 'too many levels of symbolic links'));
  add('cwd a cyclic symlink', cfg((c) => (c.process.cwd = '/loop1')), at('/process/cwd', 'too many levels of symbolic links'));
  add('cwd below a cyclic symlink', cfg((c) => (c.process.cwd = '/loop2/x')), at('/process/cwd', 'too many levels of symbolic links'));
  add('cwd relative', cfg((c) => (c.process.cwd = 'tmp')), at('/process/cwd', 'absolute'));
  add('masked path a cyclic symlink', cfg((c) => c.linux.maskedPaths.push('/loop1')), at('/linux/maskedPaths/10', 'too many levels of symbolic links'));
  add('read-only path below a cyclic symlink', cfg((c) => c.linux.readonlyPaths.push('/loop1/x')), at('/linux/readonlyPaths/5', 'too many levels of symbolic links'));

  // The rootfs itself.
  add('rootfs is a file', cfg((c) => (c.root.path = join(scratch, 'rootfs-file'))), at('/root/path', 'not a directory'));
  add('rootfs is a symlink loop', cfg((c) => (c.root.path = join(scratch, 'rootfs-loop'))), at('/root/path', 'not a directory'));
  add('rootfs missing', cfg((c) => (c.root.path = join(scratch, 'no-rootfs'))), at('/root/path', 'does not exist'));
  add('root.path empty', cfg((c) => (c.root.path = '')), at('/root/path', 'must NOT have fewer than 1 characters'));
  add('no root', cfg((c) => delete c.root), at('/root/path', 'root.path is required'));

  // Wrong types at every top-level field.
  const top: [string, Json][] = [['ociVersion', 1], ['root', 'rootfs'], ['mounts', {}], ['process', []], ['hostname', 5], ['domainname', {}], ['hooks', []], ['annotations', []], ['linux', 'x']];
  for (const [key, value] of top) add(`top-level ${key} of the wrong type`, cfg((c) => (c[key] = value)), at(`/${key}`, /must be (string|object|array)/));
  add('ociVersion 2.0.0', cfg((c) => (c.ociVersion = '2.0.0')), at('/ociVersion', 'must match pattern'));
  add('no ociVersion', cfg((c) => delete c.ociVersion), at('/', "must have required property 'ociVersion'"));
  add('a windows section instead of linux', cfg((c) => {
    delete c.linux;
    c.windows = { layerFolders: [] };
  }), at('/windows', 'not supported'));
  add('no process', cfg((c) => delete c.process), at('/process', 'process is required'));
  add('args empty', cfg((c) => (c.process.args = [])), at('/process/args', 'must NOT have fewer than 1 items'));
  add('args[0] missing in the rootfs', cfg((c) => (c.process.args = ['/no/such/binary'])), at('/process/args/0', 'no such file or directory'));
  add('terminal true without a console socket', cfg((c) => (c.process.terminal = true)), at('/process/terminal', 'cannot allocate tty if planc will detach without setting console socket'));

  // Namespaces.
  add('unknown namespace type', cfg((c) => c.linux.namespaces.push({ type: 'bogus' })), at('/linux/namespaces/6/type', 'must be one of'));
  add('namespace type in capitals', cfg((c) => c.linux.namespaces.push({ type: 'USER' })), at('/linux/namespaces/6/type', 'must be one of'));
  add('namespace listed twice', cfg((c) => c.linux.namespaces.push({ type: 'pid' })), at('/linux/namespaces/6', 'listed twice'));
  add('no mount namespace', cfg((c) => (c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'mount'))), at('/linux/namespaces', 'mount namespace'));
  add('time offsets without a time namespace', cfg((c) => (c.linux.timeOffsets = { monotonic: { secs: 10 } })), at('/linux/timeOffsets', 'need a new time namespace'));
  add('namespace path relative', cfg((c) => (c.linux.namespaces[0].path = 'proc/1/ns/pid')), at('/linux/namespaces/0/path', 'must match pattern'));
  add('namespace path not a namespace', cfg((c) => (c.linux.namespaces[0].path = join(scratch, 'rootfs-file'))), at('/linux/namespaces/0/path', 'invalid argument'));
  add('namespace path missing', cfg((c) => (c.linux.namespaces[0].path = join(scratch, 'no-ns'))), at('/linux/namespaces/0/path', 'no such file or directory'));

  // Id maps.
  add('user namespace without id maps', cfg((c) => c.linux.namespaces.push({ type: 'user' })), at('/linux/uidMappings', 'needs uidMappings and gidMappings'));
  add('user namespace without gidMappings', cfg((c) => (userns(c), delete c.linux.gidMappings)), at('/linux/gidMappings', 'needs uidMappings and gidMappings'));
  add('id maps without a user namespace', cfg((c) => (c.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }])), at('/linux/uidMappings', 'need a new user namespace'));
  add('id map of size 0', cfg((c) => (userns(c), (c.linux.uidMappings[0].size = 0))), at('/linux/uidMappings/0/size', 'size is 0'));
  add('id map past the last id', cfg((c) => (userns(c), (c.linux.gidMappings[0].hostID = 4294967295))), at('/linux/gidMappings/0', 'runs past the last id'));
  add('overlapping id maps', cfg((c) => (userns(c), c.linux.uidMappings.push({ containerID: 100, hostID: 500000, size: 1 }))), at('/linux/uidMappings/1', 'overlaps /linux/uidMappings/0'));
  add('341 id map ranges', cfg((c) => (userns(c), (c.linux.uidMappings = Array.from({ length: 341 }, (_, k) => ({ containerID: k, hostID: 100000 + k, size: 1 }))))), at('/linux/uidMappings', 'at most 340'));
  add('id map with a negative size', cfg((c) => (userns(c), (c.linux.uidMappings[0].size = -1))), at('/linux/uidMappings/0/size', 'must be >= 0'));

  // Capabilities: names that are not capability names (well-formed unknown ones are ignored with a warning, as runc does).
  for (const [set, name] of [['bounding', 'cap_sys_admin'], ['effective', 'CAP_SYS_ADMIN '], ['permitted', 'SYS_ADMIN'], ['ambient', ''], ['inheritable', 'CAP_1']] as const) {
    add(`capability ${JSON.stringify(name)} in ${set}`, cfg((c) => (c.process.capabilities[set] = [name])), at(`/process/capabilities/${set}/0`, 'must match pattern'));
  }

  // Host and domain names, sysctls, devices, cgroups.
  add('hostname with a slash', cfg((c) => (c.hostname = 'a/b')), at('/hostname', 'contains "/"'));
  add('hostname of 65 bytes', cfg((c) => (c.hostname = 'h'.repeat(65))), at('/hostname', 'at most 64'));
  add('domainname with a newline', cfg((c) => (c.domainname = 'a\nb')), at('/domainname', 'control character'));
  add('hostname without a uts namespace', cfg((c) => (c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'uts'))), at('/hostname', 'uts namespace'));
  add('host-wide sysctl', cfg((c) => (c.linux.sysctl = { 'kernel.panic': '1' })), at('/linux/sysctl/kernel.panic', 'not namespaced'));
  add('sysctl name with a path in it', cfg((c) => (c.linux.sysctl = { 'net.ipv4/../../../proc/sysrq-trigger': '1' })), at('/linux/sysctl/net.ipv4~1..~1..~1..~1proc~1sysrq-trigger', 'invalid sysctl name'));
  add('device path relative', cfg((c) => (c.linux.devices = [{ path: 'dev/x', type: 'c', major: 1, minor: 3 }])), at('/linux/devices/0/path', 'must match pattern'));
  add('device type unknown', cfg((c) => (c.linux.devices = [{ path: '/dev/x', type: 'x', major: 1, minor: 3 }])), at('/linux/devices/0/type', 'must be one of'));
  add('device major beyond dev_t', cfg((c) => (c.linux.devices = [{ path: '/dev/x', type: 'c', major: 4294967297, minor: 3 }])), at('/linux/devices/0/major', 'must be <= 4095'));
  add('device rule access "rwx"', cfg((c) => c.linux.resources.devices.push({ allow: true, type: 'c', major: 1, minor: 3, access: 'rwx' })), at('/linux/resources/devices/1/access', 'must match pattern'));
  add('cgroupsPath "/"', cfg((c) => (c.linux.cgroupsPath = '/')), at('/linux/cgroupsPath', 'root cgroup'));
  add('cgroupsPath climbing to system.slice', cfg((c) => (c.linux.cgroupsPath = '../../system.slice')), at('/linux/cgroupsPath', 'contains ".."'));
  add('cgroupsPath with a newline', cfg((c) => (c.linux.cgroupsPath = '/planc/a\nb')), at('/linux/cgroupsPath', 'control character'));
  add('systemd cgroupsPath with a path in a part', cfg((c) => (c.linux.cgroupsPath = 'system.slice:../..:x')), at('/linux/cgroupsPath', 'contains "/"'), { argv: ['create', '--systemd-cgroup', '--bundle', '{bundle}', '{id}'] });
  add('seccomp with an unknown default action', cfg((c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_BOGUS' })), at('/linux/seccomp/defaultAction', 'must be one of'));
  add('hook with a relative path', cfg((c) => (c.hooks = { createRuntime: [{ path: 'bin/hook' }] })), at('/hooks/createRuntime/0/path', 'must match pattern'));
  add('annotation with an empty key', cfg((c) => (c.annotations = { '': 'x' })), at('/annotations', 'must NOT have fewer than 1 characters'));

  // Invocations: ids, flags, bundles.
  const id = (name: string, value: string) => add(`container id ${name}`, undefined, invocation('invalid container id'), { argv: ['create', '--bundle', '{bundle}', value] });
  id('".."', '..');
  id('"."', '.');
  id('""', '');
  id('"../x"', '../x');
  id('"a/b"', 'a/b');
  id('"/abs"', '/abs');
  id('with a newline', 'a\nb');
  id('with a control character', 'a\u0001b');
  id('with a space', 'a b');
  id('non-ASCII', 'ü');
  id('of 1000 characters', 'x'.repeat(1000));
  add('no id', undefined, invocation('Missing 1 required arg'), { argv: ['create', '--bundle', '{bundle}'] });
  add('two ids', undefined, invocation('Unexpected argument'), { argv: ['create', '--bundle', '{bundle}', '{id}', 'second'] });
  add('unknown flag', undefined, invocation('Nonexistent flag: --bogus'), { argv: ['create', '--bogus', '--bundle', '{bundle}', '{id}'] });
  add('--preserve-fds -1', undefined, invocation('--preserve-fds'), { argv: ['create', '--preserve-fds', '-1', '--bundle', '{bundle}', '{id}'] });
  add('--preserve-fds abc', undefined, invocation('--preserve-fds'), { argv: ['create', '--preserve-fds', 'abc', '--bundle', '{bundle}', '{id}'] });
  add('--preserve-fds 10^20', undefined, invocation('--preserve-fds'), {
    argv: ['create', '--preserve-fds', '99999999999999999999', '--bundle', '{bundle}', '{id}'],
  });
  add('--console-socket that does not exist', undefined, invocation(`--console-socket ${join(scratch, 'console.sock')}: no such file or directory`), { argv: ['create', '--console-socket', join(scratch, 'console.sock'), '--bundle', '{bundle}', '{id}'] });
  add('--console-socket that is not a socket', undefined, invocation(`--console-socket ${join(scratch, 'not-a-socket')}: not a socket`), { argv: ['create', '--console-socket', join(scratch, 'not-a-socket'), '--bundle', '{bundle}', '{id}'] });
  add('--pid-file in a missing directory (after the container exists)', undefined, invocation(join(scratch, 'no-dir', 'pid')), {
    argv: ['create', '--pid-file', join(scratch, 'no-dir', 'pid'), '--bundle', '{bundle}', '{id}'],
  });
  add('--bundle missing', undefined, invocation(join(scratch, 'no-bundle'), 'no such file or directory'), { argv: ['create', '--bundle', join(scratch, 'no-bundle'), '{id}'] });
  add('--bundle is a file', undefined, invocation('not a directory'), { argv: ['create', '--bundle', join(scratch, 'rootfs-file'), '{id}'] });
  add('--bundle is a symlink loop', undefined, invocation(join(scratch, 'rootfs-loop'), 'symbolic links'), {
    argv: ['create', '--bundle', join(scratch, 'rootfs-loop'), '{id}'],
  });
  add('--root is a file', undefined, invocation(join(scratch, 'rootfs-file')), {
    argv: ['create', '--bundle', '{bundle}', '{id}'],
    root: join(scratch, 'rootfs-file'),
  });
  add('--log-format bogus', undefined, invocation('--log-format'), { argv: ['--log-format', 'bogus', 'create', '--bundle', '{bundle}', '{id}'] });

  // Signals, to a live container that ignores USR1 (so a wrongly accepted one does not end it).
  for (const sig of ['SIGFOO', 'FOO', '99', '65', '-1', '0x9', '', '99999999999999999999999', 'SIGRTMAX+1', 'RTMIN+31', 'SIG', '+9', '9.0', '1e1']) {
    add(`kill with signal ${JSON.stringify(sig)}`, undefined, invocation('unknown signal'), { argv: ['kill', '{container}', sig], container: true });
  }
  for (const sig of ['USR1 ', ' 10', '10\n']) {
    add(`kill with signal ${JSON.stringify(sig)}`, undefined, invocation('unknown signal'), { argv: ['kill', '{container}', sig], container: true });
  }
  return H.map((h) => ({ ...h, kind: 'hand-written' as const }));
}

// ---------------------------------------------------------------------------

interface Tally {
  passed: number;
  failed: string[];
}

async function runCase(c: Case, tally: Tally, container: string): Promise<void> {
  const w = setUp();
  await withBundle(async (bundle) => {
    const id = uniqueId('corpus');
    const configPath = join(bundle, 'config.json');
    writeFileSync(configPath, c.config ?? cfg());
    const argv = (c.argv ?? ['create', '--bundle', '{bundle}', '{id}']).map((a) => a.replace('{bundle}', bundle).replace('{id}', id).replace('{container}', container));
    const opts = c.root ? { noRoot: true } : {};
    const p = pc.spawn(c.root ? ['--root', c.root, ...argv] : argv, { ...opts, timeout: 60_000 });
    const r = await p.done;
    if (process.env.CORPUS_VERBOSE === '1') console.log(`${c.name}\n    ${r.code} ${r.stderr.trimEnd().replaceAll(bundle, '{bundle}')}`);
    // Both checks run, so a bad message does not hide a leftover (or the other way round).
    const problems: string[] = [];
    try {
      checkRejection(c, r, configPath);
    } catch (e) {
      problems.push((e as Error).message.split('\n')[0]!);
    }
    try {
      // A case planc wrongly accepted leaves a container: that is reported, then removed for the next case.
      if (!c.container) leftovers(c.root ?? pc.root, id, w.shared);
    } catch (e) {
      problems.push((e as Error).message.split('\n')[0]!);
      if (r.code === 0) pc.run(['delete', '--force', id]);
    }
    if (problems.length === 0) return void tally.passed++;
    tally.failed.push(`${c.name}: ${problems.join('; ')}`);
    assert.fail(problems.join('\n'));
  });
}

test('bad-input corpus: every case is rejected with one clear line and leaves nothing behind', { skip, timeout: 15 * 60_000, concurrency: CONCURRENCY }, async (t: TestContext) => {
  const w = setUp();
  bundleDirs();
  console.log(`bad-input corpus: fast-check seed ${SEED} (set CORPUS_SEED to explore another corpus)`);

  // The control: the base config itself creates a container. Every case below differs from it in one way.
  const controlId = uniqueId('corpus-control');
  await withBundle(async (bundle) => {
    writeFileSync(join(bundle, 'config.json'), cfg());
    pc.ok(['create', '--bundle', bundle, controlId]);
    pc.ok(['delete', '--force', controlId]);
    leftovers(pc.root, controlId, w.shared);
  });

  // The container the signal cases aim at.
  const target = uniqueId('corpus-kill');
  await withBundle(async (bundle) => {
    writeFileSync(join(bundle, 'config.json'), cfg((c) => (c.process.args = ['sh', '-c', 'trap "" USR1; while true; do sleep 1; done'])));
    pc.ok(['create', '--bundle', bundle, target]);
    pc.ok(['start', target]);
  });
  const targetPid = pc.state(target).pid;

  const generated = generatedCases();
  const hand = handCases();
  const cases = [...generated, ...hand];
  const names = new Set<string>();
  for (const c of cases) {
    assert.ok(!names.has(c.name), `corpus case names are unique: ${c.name}`);
    names.add(c.name);
  }
  assert.ok(generated.length === GENERATED, `${generated.length} generated cases`);
  assert.ok(cases.length >= 150, `at least 150 cases, got ${cases.length}`);

  const tally: Tally = { passed: 0, failed: [] };
  const started = Date.now();
  await Promise.all(cases.map((c) => t.test(`[${c.kind}] ${c.name}`, () => runCase(c, tally, target))));

  // The signal cases signalled nothing that ended it, and it still deletes cleanly.
  const st = pc.state(target);
  assert.equal(st.status, 'running', 'the kill target survived every bad signal');
  assert.equal(st.pid, targetPid);
  pc.ok(['delete', '--force', target]);
  leftovers(pc.root, target, w.shared);
  assert.deepEqual(readdirSync(pc.root), [], 'the state root is empty');

  const secs = ((Date.now() - started) / 1000).toFixed(1);
  const counts = `${cases.length} cases (${generated.length} generated, ${hand.length} hand-written)`;
  if (tally.failed.length === 0) console.log(`bad-input corpus: ${counts}, all rejected cleanly (${secs} s)`);
  else console.log(`bad-input corpus: ${counts}, ${tally.passed} rejected cleanly, ${tally.failed.length} failed (${secs} s)`);
  for (const f of tally.failed) console.log(`  FAILED ${f}`);
});
