// What a JSON Schema cannot say exactly, checked by the planner: 64-bit
// integer ranges on exact values, NUL bytes, lone surrogates, strict UTF-8,
// and what the kernel takes as a host name. Config in → one error out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { decodeUtf8, parseJson, parseJsonBytes, parseJsonExact } from '../../planner/json.js';
import { readdirSync } from 'node:fs';
import { planCreate } from '../../planner/plan.js';
import { defaultHostFacts } from '../../planner/host-facts.js';
import { PlancError } from '../../schemas/error.js';

const baseText = readFileSync(new URL('./fixtures/default.json', import.meta.url), 'utf8');
const facts = defaultHostFacts('box', '/bundles/box', '/run/planc');

/** The default fixture with `edit` applied, as JSON text; `raw` then rewrites the text (for numbers JSON.stringify cannot write). */
function configText(edit: (c: any) => void, raw: (t: string) => string = (t) => t): string {
  const c = JSON.parse(baseText);
  edit(c);
  return raw(JSON.stringify(c));
}

function errorOf(text: string): { code: string; where?: string; message: string } {
  try {
    planCreate(parseJson(text, '/b/config.json'), facts);
  } catch (e) {
    assert.ok(e instanceof PlancError, `expected a PlancError, got ${(e as Error)?.stack ?? e}`);
    return { code: e.code, where: e.where, message: e.message };
  }
  assert.fail('the config should have been refused');
}

const plans = (text: string) => planCreate(parseJson(text), facts);

test('integers beyond what their runtime-spec type holds are refused at their pointer, exactly at the boundary', () => {
  const setRaw = (edit: (c: any) => void, from: string, to: string) => configText(edit, (t) => {
    assert.ok(t.includes(from), `${from} in the config text`);
    return t.replace(from, to);
  });
  const rlimit = (c: any) => (c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1, hard: 7 }]);
  const mem = (c: any) => (c.linux.resources.memory = { limit: 7 });
  const cases: [string, string, string, { code: string; where: string; message: string }][] = [
    ['rlimit hard 2^64', '"hard":7', '"hard":18446744073709551616', { code: 'invalid-config', where: '/process/rlimits/0/hard', message: '18446744073709551616 is out of range: must be <= 18446744073709551615 (uint64)' }],
    ['rlimit hard 1e20 (a double)', '"hard":7', '"hard":1e20', { code: 'invalid-config', where: '/process/rlimits/0/hard', message: '100000000000000000000 is out of range: must be <= 18446744073709551615 (uint64)' }],
    ['rlimit hard 10^30', '"hard":7', '"hard":1000000000000000000000000000000', { code: 'invalid-config', where: '/process/rlimits/0/hard', message: '1000000000000000000000000000000 is out of range: must be <= 18446744073709551615 (uint64)' }],
    ['memory limit 2^63', '"limit":7', '"limit":9223372036854775808', { code: 'invalid-config', where: '/linux/resources/memory/limit', message: '9223372036854775808 is out of range: must be <= 9223372036854775807 (int64)' }],
  ];
  for (const [what, from, to, expected] of cases) {
    const edit = what.startsWith('memory') ? mem : rlimit;
    assert.deepEqual(errorOf(setRaw(edit, from, to)), expected, what);
  }
  // The largest values of each type plan, and keep every digit.
  const maxRlimit = plans(setRaw(rlimit, '"hard":7', '"hard":18446744073709551615'));
  assert.deepEqual(maxRlimit.actions.find((a) => a.op === 'rlimit'), { stage: 'init', op: 'rlimit', why: '/process/rlimits/0', resource: 'RLIMIT_NOFILE', soft: '1', hard: '18446744073709551615' });
  const maxMem = plans(setRaw(mem, '"limit":7', '"limit":9223372036854775807'));
  assert.ok(maxMem.actions.some((a) => a.op === 'cgroup.write' && a.file === 'memory.limit_in_bytes' && a.value === '9223372036854775807'));
  // int32 and the dev_t fields.
  assert.deepEqual(errorOf(configText((c) => (c.process.scheduler = { policy: 'SCHED_FIFO', priority: 2147483648 }))),
    { code: 'invalid-config', where: '/process/scheduler/priority', message: '2147483648 is out of range: must be <= 2147483647 (int32)' });
  assert.deepEqual(errorOf(configText((c) => (c.linux.devices = [{ path: '/dev/x', type: 'c', major: 4096, minor: 0 }]))),
    { code: 'invalid-config', where: '/linux/devices/0/major', message: '4096 is out of range: must be <= 4095 (a Linux device major, 12 bits)' });
  assert.deepEqual(errorOf(configText((c) => (c.linux.devices = [{ path: '/dev/x', type: 'c', major: 1, minor: 1048576 }]))),
    { code: 'invalid-config', where: '/linux/devices/0/minor', message: '1048576 is out of range: must be <= 1048575 (a Linux device minor, 20 bits)' });
  const dev = plans(configText((c) => (c.linux.devices = [{ path: '/dev/x', type: 'c', major: 4095, minor: 1048575 }])));
  assert.ok(dev.actions.some((a) => a.op === 'mknod' && a.path === '/dev/x' && a.major === 4095 && a.minor === 1048575));
  // Below an int64's minimum, in an array under a wildcard.
  assert.deepEqual(errorOf(setRaw((c) => (c.linux.resources.devices = [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: -1, minor: 3, access: 'rw' }]), '"major":-1', '"major":-9223372036854775809')),
    { code: 'invalid-config', where: '/linux/resources/devices/1/major', message: 'must be >= -1' });
  // Fields the schema bounds (uint32, oomScoreAdj) are refused by the schema for values past 2^53, never rounded into range.
  assert.deepEqual(errorOf(setRaw((c) => (c.process.user.uid = 7), '"uid":7', '"uid":9007199254740993')), { code: 'invalid-config', where: '/process/user/uid', message: 'must be <= 4294967295' });
  assert.deepEqual(errorOf(setRaw((c) => (c.process.oomScoreAdj = 7), '"oomScoreAdj":7', '"oomScoreAdj":-9007199254740993')), { code: 'invalid-config', where: '/process/oomScoreAdj', message: 'must be >= -1000' });
});

test('a NUL byte in any string or key is refused where it is', () => {
  const nul = 'contains a NUL byte (\\u0000): the kernel would see the string cut short there';
  assert.deepEqual(errorOf(configText((c) => (c.process.args = ['sh', 'a\u0000b']))), { code: 'invalid-config', where: '/process/args/1', message: nul });
  assert.deepEqual(errorOf(configText((c) => c.process.env.push('A=b\u0000c'))), { code: 'invalid-config', where: '/process/env/2', message: nul });
  assert.deepEqual(errorOf(configText((c) => (c.mounts[0].destination = '/tmp\u0000/../etc'))), { code: 'invalid-config', where: '/mounts/0/destination', message: nul });
  assert.deepEqual(errorOf(configText((c) => (c.annotations = { 'a/b~c': 'x\u0000' }))), { code: 'invalid-config', where: '/annotations/a~1b~0c', message: nul });
  assert.deepEqual(errorOf(configText((c) => (c.linux.sysctl = { 'net.a\u0000b': '1' }))),
    { code: 'invalid-config', where: '/linux/sysctl/net.a\u0000b', message: 'the property name contains a NUL byte (\\u0000): the kernel would see it cut short there' });
});

test('hostname and domainname: at most 64 bytes, no "/" and no control characters', () => {
  assert.deepEqual(errorOf(configText((c) => (c.hostname = 'a/b'))), { code: 'invalid-config', where: '/hostname', message: 'hostname "a/b" contains "/": not a host name (programs use it in file names and log lines)' });
  assert.deepEqual(errorOf(configText((c) => (c.domainname = 'x\ny'))), { code: 'invalid-config', where: '/domainname', message: 'domainname "x\\ny" contains the control character 0x0a: not a domain name (programs use it in file names and log lines)' });
  assert.deepEqual(errorOf(configText((c) => (c.hostname = 'h'.repeat(65)))), { code: 'invalid-config', where: '/hostname', message: 'hostname is 65 bytes long: the kernel allows at most 64' });
  // Bytes, not characters: 22 × "é€" is 44 characters but 110 bytes of UTF-8.
  assert.deepEqual(errorOf(configText((c) => (c.hostname = 'é€'.repeat(22)))), { code: 'invalid-config', where: '/hostname', message: 'hostname is 110 bytes long: the kernel allows at most 64' });
  const ok = plans(configText((c) => (c.hostname = 'h'.repeat(64))));
  assert.ok(ok.actions.some((a) => a.op === 'hostname' && a.name === 'h'.repeat(64)));
});

test('JSON text: lone surrogates and bytes that are not UTF-8 are refused with their place', () => {
  const fails = (f: () => unknown, message: string) => assert.throws(f, (e: unknown) => e instanceof PlancError && e.code === 'invalid-config' && e.message === message && e.file === '/b/config.json');
  fails(() => parseJson('{\n  "hostname": "a\\ud800"\n}', '/b/config.json'), 'invalid JSON at line 2 column 15: string holds \\ud800, half of a UTF-16 surrogate pair, which is not a character');
  fails(() => parseJson('["\\udc00\\ud83d"]', '/b/config.json'), 'invalid JSON at line 1 column 2: string holds \\udc00, half of a UTF-16 surrogate pair, which is not a character');
  assert.deepEqual(parseJson('["\\ud83d\\ude00"]'), ['\u{1F600}']);
  const bytes = (...b: number[]) => new Uint8Array(b);
  const q = 0x22;
  fails(() => parseJsonBytes(bytes(q, 0xff, q), '/b/config.json'), 'invalid JSON at line 1 column 2: byte 0xff at offset 1 is not valid UTF-8');
  fails(() => parseJsonBytes(bytes(0x5b, 0x0a, q, 0xc0, 0xaf, q, 0x5d), '/b/config.json'), 'invalid JSON at line 2 column 2: byte 0xc0 at offset 3 is not valid UTF-8'); // overlong "/"
  fails(() => parseJsonBytes(bytes(q, 0xed, 0xa0, 0x80, q), '/b/config.json'), 'invalid JSON at line 1 column 2: byte 0xed at offset 1 is not valid UTF-8'); // an encoded surrogate
  fails(() => parseJsonBytes(bytes(q, 0xf4, 0x90, 0x80, 0x80, q), '/b/config.json'), 'invalid JSON at line 1 column 2: byte 0xf4 at offset 1 is not valid UTF-8'); // above U+10FFFF
  fails(() => parseJsonBytes(bytes(q, 0xe2, 0x82, q), '/b/config.json'), 'invalid JSON at line 1 column 2: byte 0xe2 at offset 1 is not valid UTF-8'); // cut short
  fails(() => parseJsonBytes(bytes(q, 0x80, q), '/b/config.json'), 'invalid JSON at line 1 column 2: byte 0x80 at offset 1 is not valid UTF-8'); // a lone continuation byte
  // Valid UTF-8 of every length decodes exactly (what TextDecoder gives).
  const text = '"aé€😀\u{10FFFF}"';
  const enc = new TextEncoder().encode(text);
  assert.equal(decodeUtf8(enc), text);
  assert.deepEqual(parseJsonBytes(enc), 'aé€😀\u{10FFFF}');
  const long = new TextEncoder().encode('"' + 'é😀x'.repeat(20000) + '"');
  assert.equal(decodeUtf8(long), new TextDecoder('utf-8', { fatal: true }).decode(long));
});

test('parseJson (JSON.parse where it gives the same value) and the exact parser agree: values, key order, errors', () => {
  /** Same value, same key order at every level, same kinds (bigint or number, -0), own "__proto__" kept as a key. */
  const same = (a: unknown, b: unknown, at: string): void => {
    assert.equal(typeof a, typeof b, at);
    if (Array.isArray(a)) {
      assert.ok(Array.isArray(b), at);
      assert.equal(a.length, (b as unknown[]).length, at);
      a.forEach((x, k) => same(x, (b as unknown[])[k], `${at}/${k}`));
    } else if (a !== null && typeof a === 'object') {
      assert.deepEqual(Object.keys(a), Object.keys(b as object), at);
      assert.equal(Object.getPrototypeOf(a), Object.getPrototypeOf(b), at);
      for (const k of Object.keys(a)) same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${at}/${k}`);
    } else assert.ok(Object.is(a, b), `${at}: ${String(a)} vs ${String(b)}`);
  };
  const outcome = (f: () => unknown) => {
    try {
      return { value: f() };
    } catch (e) {
      return { error: (e as Error).message };
    }
  };
  const fixtures = ['', 'lint/', 'seccomp/'].flatMap((dir) => readdirSync(new URL(`./fixtures/${dir}`, import.meta.url)).filter((f) => f.endsWith('.json')).map((f) => dir + f));
  assert.ok(fixtures.length >= 40, `fixtures: ${fixtures.length}`);
  const texts = [
    ...fixtures.map((f) => readFileSync(new URL(`./fixtures/${f}`, import.meta.url), 'utf8')),
    '{"b":1,"a":2,"b":3}', // duplicates: the last value, in the first one's place
    '{"__proto__":{"x":1},"y":[]}',
    '{"2":0,"1":0,"a":0}', // integer-like keys first, in both
    '[-0, 0.0, 1e400, -1e400, 1.5e-320, 9007199254740991, 9007199254740992, 18446744073709551615, 1234567890123456.5]',
    '["\\ud800 is text here", "\\u0041", "\u00e9\u20ac", "\\ud83d\\ude00"]',
    ' \t\r\n{ "a" : [ ] , "b" : { } } \n',
    '['.repeat(128) + ']'.repeat(128),
    '['.repeat(129) + ']'.repeat(129),
    '{"a":1,}', '[1,]', '{"a" 1}', '"\u0001"', '01', '1.', '+1', '\ufeff{}', '{"a":"\\x"}', 'nul', '"unterminated', '{"a":1} x', '',
    '["\\ud800"]', '["a\ud800b"]',
  ];
  for (const text of texts) {
    const fast = outcome(() => parseJson(text, '/b/config.json'));
    const exact = outcome(() => parseJsonExact(text, '/b/config.json'));
    const label = JSON.stringify(text.slice(0, 60));
    if ('error' in exact) assert.deepEqual(fast, exact, label);
    else {
      assert.ok('value' in fast, `${label}: ${(fast as { error: string }).error}`);
      same(fast.value, exact.value, label);
    }
  }
  // What makes the difference is kept: exact integers past 2^53, refused lone surrogates, the depth cap.
  assert.deepEqual(parseJson('[18446744073709551615, 9007199254740993]'), [18446744073709551615n, 9007199254740993n]);
  assert.throws(() => parseJson('["\\udc00"]'), /half of a UTF-16 surrogate pair/);
  assert.throws(() => parseJson('['.repeat(129) + ']'.repeat(129)), /nested deeper than 128 levels/);
  assert.equal(JSON.stringify(parseJson('{"__proto__":{"x":1}}')), '{"__proto__":{"x":1}}');
  assert.equal(Object.getPrototypeOf(parseJson('{"__proto__":{"x":1}}')), Object.prototype);
});

test('id maps: what the kernel would refuse with a bare EINVAL is refused at the range, with the reason', () => {
  const userns = (uid: unknown[], gid: unknown[] = [{ containerID: 0, hostID: 100000, size: 65536 }]) => configText((c) => {
    c.linux.namespaces.push({ type: 'user' });
    c.linux.uidMappings = uid;
    if (gid.length) c.linux.gidMappings = gid;
  });
  const ok = { containerID: 0, hostID: 100000, size: 65536 };
  assert.deepEqual(errorOf(userns([ok], [])), { code: 'invalid-config', where: '/linux/gidMappings', message: 'a new user namespace needs uidMappings and gidMappings' });
  assert.deepEqual(errorOf(userns([{ containerID: 0, hostID: 100000, size: 0 }])), { code: 'invalid-config', where: '/linux/uidMappings/0/size', message: 'size is 0: an empty range maps nothing, and the kernel refuses it' });
  assert.deepEqual(errorOf(userns([{ containerID: 0, hostID: 4294967295, size: 1 }])), { code: 'invalid-config', where: '/linux/uidMappings/0', message: 'hostID 4294967295 + size 1 runs past the last id (4294967295 is not mappable)' });
  assert.deepEqual(errorOf(userns([{ containerID: 1, hostID: 0, size: 4294967295 }])), { code: 'invalid-config', where: '/linux/uidMappings/0', message: 'containerID 1 + size 4294967295 runs past the last id (4294967295 is not mappable)' });
  assert.deepEqual(errorOf(userns([ok, { containerID: 65535, hostID: 300000, size: 10 }])), { code: 'invalid-config', where: '/linux/uidMappings/1', message: 'the containerID range 65535-65544 overlaps /linux/uidMappings/0' });
  assert.deepEqual(errorOf(userns([ok], [ok, { containerID: 70000, hostID: 100010, size: 1 }])), { code: 'invalid-config', where: '/linux/gidMappings/1', message: 'the hostID range 100010-100010 overlaps /linux/gidMappings/0' });
  const many = Array.from({ length: 341 }, (_, k) => ({ containerID: k, hostID: 100000 + k, size: 1 }));
  assert.deepEqual(errorOf(userns(many)), { code: 'invalid-config', where: '/linux/uidMappings', message: '341 ranges: the kernel takes at most 340' });
  // The limits themselves are fine: 340 ranges, the whole id space but the last id, adjacent ranges.
  assert.ok(plans(userns(many.slice(0, 340))));
  assert.ok(plans(userns([{ containerID: 0, hostID: 0, size: 4294967295 }])));
  assert.ok(plans(userns([{ containerID: 0, hostID: 100000, size: 10 }, { containerID: 10, hostID: 100010, size: 10 }])));
});

test('numbers of any length are read whole; past a double they still fail as out of range, at their pointer', () => {
  const big = '1' + '0'.repeat(500);
  assert.equal(parseJson(`[${big}]`)!.toString(), big);
  const text = configText((c) => (c.process.user.uid = 7), (t) => t.replace('"uid":7', `"uid":${big}`));
  assert.deepEqual(errorOf(text), { code: 'invalid-config', where: '/process/user/uid', message: 'must be <= 4294967295' });
  const rl = configText((c) => (c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1, hard: 7 }]), (t) => t.replace('"hard":7', `"hard":${big}`));
  assert.deepEqual(errorOf(rl), { code: 'invalid-config', where: '/process/rlimits/0/hard', message: `${big} is out of range: must be <= 18446744073709551615 (uint64)` });
});

test('the one error line shows control characters escaped, in the pointer and in the message', () => {
  const e = new PlancError('exec-failed', 'mount "tmpfs" on "/a\nb\u001b[31m\u009b": too many levels of symbolic links', { where: '/linux/sysctl/net.a\tb\u0000' });
  assert.equal(e.oneLine('/b/config.json'), '/b/config.json: /linux/sysctl/net.a\\tb\\u0000: mount "tmpfs" on "/a\\nb\\u001b[31m\\u009b": too many levels of symbolic links');
  // Printable text, including non-ASCII, is left alone; an already escaped JSON string stays as it is.
  assert.equal(new PlancError('invalid-config', 'hostname "é\\n" is wrong', { where: '/hostname' }).oneLine('c.json'), 'c.json: /hostname: hostname "é\\n" is wrong');
  assert.deepEqual(errorOf(configText((c) => (c.linux.sysctl = { 'net.ipv4.a\nb': '1' }))), { code: 'invalid-config', where: '/linux/sysctl/net.ipv4.a\nb', message: 'invalid sysctl name "net.ipv4.a\\nb"' });
  assert.deepEqual(errorOf(configText((c) => (c.linux.sysctl = { 'net.ipv4.conf.a b.forwarding': '1' }))).message, 'invalid sysctl name "net.ipv4.conf.a b.forwarding"');
});
