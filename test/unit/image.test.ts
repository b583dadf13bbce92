// The pure parts of image handling: config conversion (planner/image-config.ts),
// the tar reader, entry names, LAYOUT:REF and platforms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imageToSpec, resolveUser } from '../../planner/image-config.js';
import { TarReader, tarHeader, TAR_END, type TarEntry } from '../../cli/image/tar.js';
import { splitName } from '../../cli/image/tree.js';
import { parseImageArg, parsePlatform, platformMatches } from '../../cli/image/layout.js';
import { PlancError } from '../../schemas/error.js';

const base = { ociVersion: '1.2.0', process: { args: ['sh'], env: ['PATH=/usr/bin:/bin', 'TERM=xterm'], cwd: '/', user: { uid: 0, gid: 0 } }, root: { path: 'rootfs' } };

test('conversion: Entrypoint then Cmd; image Env first, defaults only for names it lacks; WorkingDir; base untouched', () => {
  const { spec, notes } = imageToSpec({ config: { Entrypoint: ['/e'], Cmd: ['a', 'b'], Env: ['PATH=/x', 'A=1'], WorkingDir: 'rel/dir' } }, base, { passwd: null, group: null });
  const p = spec.process as Record<string, unknown>;
  assert.deepEqual(p.args, ['/e', 'a', 'b']);
  assert.deepEqual(p.env, ['PATH=/x', 'A=1', 'TERM=xterm']);
  assert.equal(p.cwd, '/rel/dir');
  assert.deepEqual(notes, ['WorkingDir "rel/dir" is relative: process.cwd is "/rel/dir"']);
  assert.deepEqual(base.process.args, ['sh'], 'the base spec is not changed');
});

test('conversion: no Entrypoint or Cmd keeps the default args, with a note', () => {
  const { spec, notes } = imageToSpec({ config: {} }, base, { passwd: null, group: null });
  assert.deepEqual((spec.process as { args: string[] }).args, ['sh']);
  assert.deepEqual(notes, ['the image sets neither Entrypoint nor Cmd: process.args is planc\'s default ["sh"]']);
});

test('conversion: annotations from os/architecture/variant/author/created/StopSignal/ExposedPorts; Labels win', () => {
  const { spec } = imageToSpec(
    { os: 'linux', architecture: 'arm', variant: 'v7', author: 'me', created: '2024-01-02T03:04:05Z', 'os.features': ['a', 'b'], config: { StopSignal: 'SIGINT', ExposedPorts: { '53/udp': {} }, Labels: { 'org.opencontainers.image.author': 'label', x: 'y' } } },
    base,
    { passwd: null, group: null },
  );
  assert.deepEqual(spec.annotations, {
    'org.opencontainers.image.os': 'linux',
    'org.opencontainers.image.architecture': 'arm',
    'org.opencontainers.image.variant': 'v7',
    'org.opencontainers.image.author': 'label',
    'org.opencontainers.image.created': '2024-01-02T03:04:05Z',
    'org.opencontainers.image.os.features': 'a,b',
    'org.opencontainers.image.stopSignal': 'SIGINT',
    'org.opencontainers.image.exposedPorts': '53/udp',
    x: 'y',
  });
});

test('conversion: malformed fields are errors that point into the image config', () => {
  const cases: [unknown, string, RegExp][] = [
    [{ config: { Cmd: 'sh' } }, '/config/Cmd', /list of strings/],
    [{ config: { Env: ['NOEQUALS'] } }, '/config/Env/0', /is not NAME=value/],
    [{ config: { Labels: { a: 1 } } }, '/config/Labels', /must map strings to strings/],
    [{ config: { User: 5 } }, '/config/User', /must be a string/],
    [[], '', /not a JSON object/],
  ];
  for (const [image, where, re] of cases) {
    assert.throws(() => imageToSpec(image, base, { passwd: null, group: null }, 'image config X'), (e: unknown) => e instanceof PlancError && e.where === where && e.file === 'image config X' && re.test(e.message));
  }
});

test('User: numbers as they are, names from /etc/passwd and /etc/group, errors for names that are not there', () => {
  const users = { passwd: 'root:x:0:0::/:/bin/sh\n# comment\nweb:x:101:102::/:/bin/false\n', group: 'root:x:0:\nweb:x:102:\nadm:x:4:web,root\ndisk:x:6:web\n' };
  assert.deepEqual(resolveUser('web', users), { uid: 101, gid: 102, additionalGids: [4, 6] });
  assert.deepEqual(resolveUser('web:adm', users), { uid: 101, gid: 4 });
  assert.deepEqual(resolveUser('101', users), { uid: 101, gid: 102 });
  assert.deepEqual(resolveUser('5000', users), { uid: 5000, gid: 0 });
  assert.deepEqual(resolveUser('5000:7', users), { uid: 5000, gid: 7 });
  assert.deepEqual(resolveUser('0:disk', users), { uid: 0, gid: 6 });
  assert.throws(() => resolveUser('nobody', users), /no user "nobody" in the image's \/etc\/passwd$/);
  assert.throws(() => resolveUser('web:nogroup', users), /no group "nogroup" in the image's \/etc\/group$/);
  assert.throws(() => resolveUser('nobody', { passwd: null, group: null }), /\(the image has no \/etc\/passwd\)$/);
  assert.throws(() => resolveUser('4294967295', users), /uid 4294967295 is out of range/);
  assert.throws(() => resolveUser(':5', users), /names no user/);
  assert.match(resolveUser('web', undefined).note!, /^process\.user: image user "web" is a name/);
});

/** Feed a tar through the reader in chunks of `step` bytes; entries with their data. */
function read(tar: Buffer, step: number): (TarEntry & { data: string })[] {
  const out: (TarEntry & { data: string })[] = [];
  const r = new TarReader((e) => {
    const rec = { ...e, data: '' };
    out.push(rec);
    return { write: (b) => (rec.data += b.toString('latin1')), end: () => {} };
  });
  for (let i = 0; i < tar.length; i += step) r.push(tar.subarray(i, i + step));
  r.end();
  return out;
}

test('tar: long names, links, xattrs and base-256 numbers survive a write and a read, in any chunking', () => {
  const long = `${'d'.repeat(120)}/${'f'.repeat(150)}`;
  const tar = Buffer.concat([
    tarHeader({ name: long, type: 'file', mode: 0o4755, uid: 3_000_000_000, gid: 7, size: 5, mtime: 1700000000, xattrs: new Map([['user.k', Buffer.from([0, 1, 2])]]) }),
    Buffer.from('hello'),
    Buffer.alloc(507),
    tarHeader({ name: 'l', type: 'symlink', mode: 0o777, uid: 0, gid: 0, size: 0, mtime: 1, linkname: Buffer.from('é'.repeat(60)).toString('latin1') }), // names are binary strings: one char per byte
    tarHeader({ name: 'dev', type: 'char', mode: 0o600, uid: 0, gid: 0, size: 0, mtime: 1, devmajor: 1, devminor: 3 }),
    TAR_END,
  ]);
  for (const step of [1, 7, 512, 100000]) {
    const [f, l, d] = read(tar, step);
    assert.equal(f!.name, long);
    assert.equal(f!.mode, 0o4755);
    assert.equal(f!.uid, 3_000_000_000);
    assert.equal(f!.data, 'hello');
    assert.deepEqual([...f!.xattrs.get('user.k')!], [0, 1, 2]);
    assert.equal(Buffer.from(l!.linkname, 'latin1').toString('utf8'), 'é'.repeat(60));
    assert.deepEqual([d!.type, d!.devmajor, d!.devminor], ['char', 1, 3]);
  }
});

test('tar: truncation, bad checksums and sparse files are errors', () => {
  const one = Buffer.concat([tarHeader({ name: 'f', type: 'file', mode: 0o644, uid: 0, gid: 0, size: 1000, mtime: 0 }), Buffer.alloc(1024)]);
  assert.throws(() => read(one.subarray(0, 700), 512), /the layer's tar stream ends inside entry "f": it is truncated/);
  const bad = Buffer.from(one);
  bad[0] = bad[0]! ^ 0x20;
  assert.throws(() => read(bad, 512), /tar header checksum mismatch after 0 entries/);
  const sparse = tarHeader({ name: 's', type: 'file', mode: 0, uid: 0, gid: 0, size: 0, mtime: 0 });
  sparse.write('S', 156, 'latin1');
  sparse.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of sparse) sum += b;
  sparse.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  assert.throws(() => read(Buffer.concat([sparse, TAR_END]), 512), /GNU sparse files are not supported/);
});

test('entry names: ./ prefixes and empty parts dropped; absolute, .. and NUL refused', () => {
  assert.deepEqual(splitName('./a//b/./c/'), ['a', 'b', 'c']);
  assert.deepEqual(splitName('./'), []);
  assert.throws(() => splitName('/etc/passwd'), /is absolute/);
  assert.throws(() => splitName('a/../../b'), /climbs out with "\.\."/);
  assert.throws(() => splitName('a/..'), /climbs out/);
  assert.throws(() => splitName('a\0b'), /NUL/);
});

test('LAYOUT:REF and platforms', () => {
  assert.deepEqual(parseImageArg('busybox-oci:latest'), { layout: 'busybox-oci', ref: 'latest' });
  assert.deepEqual(parseImageArg('/a/b'), { layout: '/a/b' });
  assert.deepEqual(parseImageArg('/a:b/c'), { layout: '/a:b/c' });
  assert.deepEqual(parsePlatform('linux/arm/v7'), { os: 'linux', architecture: 'arm', variant: 'v7' });
  assert.throws(() => parsePlatform('linux'), /expected os\/architecture/);
  assert.ok(platformMatches({ os: 'linux', architecture: 'arm64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }));
  assert.ok(!platformMatches({ os: 'linux', architecture: 'arm', variant: 'v6' }, { os: 'linux', architecture: 'arm', variant: 'v7' }));
  assert.ok(!platformMatches({ os: 'windows', architecture: 'amd64' }, { os: 'linux', architecture: 'amd64' }));
});
