// From an OCI image to a running container (issue 13): planc image create /
// image unpack, checked against umoci and skopeo, with every kind of layer
// entry, and with layouts and layers that are broken or hostile — each of
// which must fail with one line and leave no bundle (and no temp dir) behind.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { leftovers, NEEDS_ROOT, Planc, readConfig, waitFor } from '../helpers/planc.js';
import { pyTar, sha256, tree, writeLayout, type TarSpec } from '../helpers/image.js';

const pc = new Planc();
const skip = NEEDS_ROOT;
let scratch = '';
before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'planc-image-'));
  chmodSync(scratch, 0o755);
});
after(() => {
  pc.cleanup();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

let seq = 0;
const fresh = (name: string) => join(scratch, `${name}-${++seq}`);

function sh(cmd: string, args: string[], opts: { input?: string } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input: opts.input, maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}${r.error ?? ''}`);
  return r.stdout;
}

/** A busybox bundle (scripts/make-bundle.sh, through the test helper) running `args`. */
function busybox(args: string[]): string {
  return pc.bundle(args);
}

/** Nothing of a failed unpack in `parent`: no bundle, no temp directory. */
function noPartialBundle(bundle: string): void {
  assert.ok(!existsSync(bundle), `${bundle} exists after a failed unpack`);
  const parent = join(bundle, '..');
  const temps = readdirSync(parent).filter((n) => n.includes('.unpack-'));
  assert.deepEqual(temps, [], `temporary directories left in ${parent}`);
}

/** Exit 1 with one error line, the last on stderr (after the lines of layers that were applied before the failure). */
function fails(args: string[], re: RegExp): string {
  const r = pc.run(args);
  assert.equal(r.code, 1, `planc ${args.join(' ')} should fail; stdout: ${r.stdout} stderr: ${r.stderr}`);
  const lines = r.stderr.split('\n').filter(Boolean);
  const errors = lines.filter((l) => l.startsWith('planc: '));
  assert.equal(errors.length, 1, `one error line, got:\n${r.stderr}`);
  assert.equal(lines[lines.length - 1], errors[0], 'the error line is the last');
  for (const l of lines.slice(0, -1)) assert.match(l, /^layer \d+\/\d+ sha256:[0-9a-f]{12}: .* entries$/, 'only progress lines of applied layers come before it');
  assert.match(errors[0]!, re);
  return errors[0]!;
}

test('the seeds’ walkthrough: busybox bundle → planc image create → planc image unpack → planc run', { skip }, async (t) => {
  const src = busybox(['sh', '-c', 'echo hello from the image; id -u']);
  const layout = fresh('busybox-oci');
  pc.ok(['image', 'create', src, `${layout}:latest`]);
  // The layout is what the image spec says: a marker, an index naming the image, content-addressed blobs.
  assert.deepEqual(JSON.parse(readFileSync(join(layout, 'oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' });
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
  assert.equal(index.manifests.length, 1);
  assert.equal(index.manifests[0].mediaType, 'application/vnd.oci.image.manifest.v1+json');
  assert.equal(index.manifests[0].annotations['org.opencontainers.image.ref.name'], 'latest');
  for (const name of readdirSync(join(layout, 'blobs/sha256'))) {
    assert.equal(sha256(readFileSync(join(layout, 'blobs/sha256', name))), `sha256:${name}`, `blob ${name} is stored under its digest`);
  }
  const manifest = JSON.parse(readFileSync(join(layout, 'blobs/sha256', index.manifests[0].digest.slice(7)), 'utf8'));
  assert.equal(manifest.layers.length, 1);
  assert.equal(manifest.layers[0].mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip');
  assert.equal(manifest.config.mediaType, 'application/vnd.oci.image.config.v1+json');

  const bundle = fresh('busybox-bundle');
  const u = pc.ok(['image', 'unpack', `${layout}:latest`, bundle]);
  assert.match(u.stderr, /^layer 1\/1 sha256:[0-9a-f]{12}: .* entries$/m);
  assert.deepEqual(readdirSync(bundle).sort(), ['config.json', 'rootfs']);
  assert.deepEqual(tree(join(bundle, 'rootfs')), tree(join(src, 'rootfs')), 'the unpacked rootfs is the tree the image was made from');
  const config = readConfig(bundle);
  assert.deepEqual(config.process.args, ['sh', '-c', 'echo hello from the image; id -u']);
  assert.equal(config.root.path, 'rootfs');

  const id = pc.id(t, 'img');
  const r = pc.run(['run', '--bundle', bundle, id]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'hello from the image\n0\n');
  leftovers(pc.root, id, bundle);
});

test('a static hello program as an image prints its message', { skip }, async (t) => {
  const work = fresh('hello');
  mkdirSync(join(work, 'bundle/rootfs'), { recursive: true });
  writeFileSync(join(work, 'hello.c'), '#include <stdio.h>\nint main(void) { puts("Hello from planc!"); return 0; }\n');
  sh('cc', ['-static', '-O2', '-o', join(work, 'bundle/rootfs/hello'), join(work, 'hello.c')]);
  pc.ok(['spec', '--bundle', join(work, 'bundle')]);
  const c = readConfig(join(work, 'bundle'));
  c.process.args = ['/hello'];
  writeFileSync(join(work, 'bundle/config.json'), JSON.stringify(c));
  pc.ok(['image', 'create', join(work, 'bundle'), `${join(work, 'hello-world')}:latest`]);
  // The walkthrough's second bundle: an empty directory made first, as with oci-image-tool create.
  mkdirSync(join(work, 'hello-world-bundle'));
  pc.ok(['image', 'unpack', join(work, 'hello-world'), join(work, 'hello-world-bundle')]);
  assert.deepEqual(readdirSync(join(work, 'hello-world-bundle/rootfs')), ['hello']);
  const id = pc.id(t, 'hello');
  const r = pc.run(['run', '--bundle', join(work, 'hello-world-bundle'), id]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'Hello from planc!\n');
});

test('skopeo and umoci read a layout planc made; umoci unpacks it to the tree planc does', { skip }, () => {
  const src = busybox(['sh']);
  const layout = fresh('planc-made');
  pc.ok(['image', 'create', src, `${layout}:v1`]);
  const inspect = JSON.parse(sh('skopeo', ['inspect', `oci:${layout}:v1`]));
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
  const manifest = JSON.parse(readFileSync(join(layout, 'blobs/sha256', index.manifests[0].digest.slice(7)), 'utf8'));
  assert.equal(inspect.Digest, index.manifests[0].digest);
  assert.equal(inspect.Os, 'linux');
  assert.deepEqual(inspect.Layers, [manifest.layers[0].digest]);
  const viaUmoci = fresh('umoci-bundle');
  sh('umoci', ['unpack', '--image', `${layout}:v1`, viaUmoci]);
  const viaPlanc = fresh('planc-bundle');
  pc.ok(['image', 'unpack', `${layout}:v1`, viaPlanc]);
  assert.deepEqual(tree(join(viaPlanc, 'rootfs')), tree(join(viaUmoci, 'rootfs')));
});

/** xattrs of every entry below root (python3, independent of planc). */
function xattrs(root: string): Record<string, Record<string, string>> {
  const py = String.raw`
import os, sys, json
root = sys.argv[1]; out = {}
for d, dirs, files in os.walk(root):
    for n in sorted(dirs + files):
        p = os.path.join(d, n)
        try:
            names = os.listxattr(p, follow_symlinks=False)
        except OSError:
            continue
        if names:
            out[os.path.relpath(p, root)] = {k: os.getxattr(p, k, follow_symlinks=False).hex() for k in sorted(names)}
print(json.dumps(out, sort_keys=True))`;
  return JSON.parse(sh('python3', ['-c', py, root]));
}

test('a layout umoci made (two layers, whiteouts, every kind of entry) unpacks with planc to the tree umoci unpack makes', { skip }, () => {
  const layout = fresh('umoci-made');
  sh('umoci', ['init', '--layout', layout]);
  sh('umoci', ['new', '--image', `${layout}:base`]);
  const b1 = fresh('work1');
  sh('umoci', ['unpack', '--image', `${layout}:base`, b1]);
  const r = join(b1, 'rootfs');
  const py = String.raw`
import os, sys
r = sys.argv[1]
os.makedirs(r + '/etc/app/conf.d'); os.makedirs(r + '/var/lib/data/deep'); os.makedirs(r + '/opt/gone/sub')
open(r + '/etc/app/conf.d/a.conf', 'w').write('a=1\n')
open(r + '/var/lib/data/deep/blob', 'wb').write(bytes(range(256)) * 300)
open(r + '/opt/gone/sub/x', 'w').write('x')
open(r + '/opt/replaced', 'w').write('file first')
os.makedirs(r + '/opt/becomes-file/inner')
open(r + '/usr-bin-tool', 'w').write('#!/bin/sh\necho tool\n'); os.chmod(r + '/usr-bin-tool', 0o4755)
open(r + '/owned', 'w').write('mine'); os.chown(r + '/owned', 1000, 2000); os.chmod(r + '/owned', 0o640)
os.chmod(r + '/var/lib/data', 0o700); os.chown(r + '/var/lib/data', 33, 33)
os.symlink('../etc/app/conf.d/a.conf', r + '/opt/link'); os.symlink('/absolute/target', r + '/opt/dangling')
os.link(r + '/etc/app/conf.d/a.conf', r + '/etc/app/hard')
os.mkfifo(r + '/opt/fifo', 0o600)
os.mknod(r + '/opt/null', 0o20666, os.makedev(1, 3))
os.setxattr(r + '/etc/app/conf.d/a.conf', 'user.planc.test', b'value')
cap = bytes.fromhex('0100000200200000000000000000000000000000')  # VFS_CAP_REVISION_2, effective, CAP_NET_RAW permitted
open(r + '/ping', 'w').write('ping'); os.setxattr(r + '/ping', 'security.capability', cap)
`;
  sh('python3', ['-c', py, r]);
  sh('umoci', ['repack', '--image', `${layout}:v1`, b1]);
  // Layer 2: deletions (file and directory whiteouts), a file that becomes a directory and back, an emptied directory.
  const b2 = fresh('work2');
  sh('umoci', ['unpack', '--image', `${layout}:v1`, b2]);
  const r2 = join(b2, 'rootfs');
  sh('python3', ['-c', String.raw`
import os, sys, shutil
r = sys.argv[1]
os.remove(r + '/etc/app/conf.d/a.conf')
shutil.rmtree(r + '/opt/gone')
os.remove(r + '/opt/replaced'); os.makedirs(r + '/opt/replaced/now-a-dir')
shutil.rmtree(r + '/opt/becomes-file'); open(r + '/opt/becomes-file', 'w').write('now a file')
shutil.rmtree(r + '/var/lib/data/deep'); open(r + '/var/lib/data/new', 'w').write('new')
`, r2]);
  sh('umoci', ['repack', '--image', `${layout}:v2`, b2]);
  for (const tag of ['v1', 'v2']) {
    const viaUmoci = fresh(`umoci-${tag}`);
    sh('umoci', ['unpack', '--image', `${layout}:${tag}`, viaUmoci]);
    const viaPlanc = fresh(`planc-${tag}`);
    pc.ok(['image', 'unpack', `${layout}:${tag}`, viaPlanc]);
    const got = tree(join(viaPlanc, 'rootfs'));
    assert.deepEqual(got, tree(join(viaUmoci, 'rootfs')), `${tag}: planc and umoci unpack the same tree`);
    assert.deepEqual(xattrs(join(viaPlanc, 'rootfs')), xattrs(join(viaUmoci, 'rootfs')), `${tag}: the same xattrs`);
    const byPath = new Map(got.map((e) => [e.path, e]));
    // What the layers said, as literals (not read back from either tool).
    assert.deepEqual(byPath.get('usr-bin-tool'), { path: 'usr-bin-tool', type: 'file', mode: '4755', uid: 0, gid: 0, what: byPath.get('usr-bin-tool')!.what });
    assert.deepEqual({ ...byPath.get('owned'), what: '' }, { path: 'owned', type: 'file', mode: '640', uid: 1000, gid: 2000, what: '' });
    assert.equal(byPath.get('opt/link')?.what, '-> ../etc/app/conf.d/a.conf');
    assert.equal(byPath.get('opt/null')?.what, `dev ${(1 << 8) | 3}`);
    assert.equal(byPath.get('opt/fifo')?.type, 'fifo');
    if (tag === 'v1') {
      assert.match(byPath.get('etc/app/hard')!.what, /links=2$/);
      assert.equal(xattrs(join(viaPlanc, 'rootfs'))['ping']?.['security.capability'], '0100000200200000000000000000000000000000');
    } else {
      for (const gone of ['etc/app/conf.d/a.conf', 'opt/gone', 'var/lib/data/deep']) assert.ok(!byPath.has(gone), `${gone} is whited out`);
      assert.equal(byPath.get('opt/replaced')?.type, 'dir');
      assert.equal(byPath.get('opt/becomes-file')?.type, 'file');
      assert.match(byPath.get('etc/app/hard')!.what, /links=1$/);
    }
  }
});

test('layer semantics: whiteouts and opaque directories, replacements, links, devices, owners, xattrs', { skip }, () => {
  const layout = fresh('semantics');
  writeLayout(layout, {
    layers: [
      {
        tar: pyTar([
          { name: 'etc', type: 'dir' },
          { name: 'etc/keep', data: 'keep' },
          { name: 'etc/drop', data: 'drop' },
          { name: 'opaque', type: 'dir', mode: 0o750, uid: 7, gid: 8 },
          { name: 'opaque/lower-a', data: 'a' },
          { name: 'opaque/lower-dir/x', data: 'x' },
          { name: 'was-dir/inner', data: 'i' },
          { name: 'was-file', data: 'f' },
          { name: 'bin/tool', data: 'tool', mode: 0o4711, uid: 0, gid: 0 },
          { name: 'bin/tool-link', type: 'hardlink', linkname: 'bin/tool' },
          { name: 'dev/console', type: 'char', devmajor: 5, devminor: 1, mode: 0o600 },
          { name: 'dev/loop0', type: 'block', devmajor: 7, devminor: 0, mode: 0o660, gid: 6 },
          { name: 'run/fifo', type: 'fifo', mode: 0o644 },
          { name: 'home/user/file', data: 'u', uid: 1000, gid: 1000, mode: 0o600, xattrs: { 'user.note': 'hi' } },
          { name: 'lnk', type: 'symlink', linkname: '/etc/keep' },
        ]),
      },
      {
        tar: pyTar([
          { name: 'etc/.wh.drop' },
          { name: 'opaque/.wh..wh..opq' },
          { name: 'opaque/upper', data: 'upper' },
          { name: 'was-dir', data: 'now a file' },
          { name: 'was-file', type: 'dir' },
          { name: 'was-file/sub', data: 'now in a dir' },
          { name: '.wh.nothing-there' },
          { name: 'lnk', type: 'symlink', linkname: 'etc/keep' },
        ]),
        compression: 'none',
      },
    ],
  });
  const bundle = fresh('semantics-bundle');
  pc.ok(['image', 'unpack', layout, bundle]);
  const got = tree(join(bundle, 'rootfs')).map((e) => `${e.path} ${e.type} ${e.mode} ${e.uid}:${e.gid} ${e.type === 'file' ? readFileSync(join(bundle, 'rootfs', e.path), 'utf8') + ' ' + e.what.split(' ')[1] : e.what}`);
  assert.deepEqual(got, [
    'bin dir 755 0:0 ',
    'bin/tool file 4711 0:0 tool links=2',
    'bin/tool-link file 4711 0:0 tool links=2',
    'dev dir 755 0:0 ',
    `dev/console char 600 0:0 dev ${(5 << 8) | 1}`,
    `dev/loop0 block 660 0:6 dev ${7 << 8}`,
    'etc dir 755 0:0 ',
    'etc/keep file 644 0:0 keep links=1',
    'home dir 755 0:0 ',
    'home/user dir 755 0:0 ',
    'home/user/file file 600 1000:1000 u links=1',
    'lnk symlink 777 0:0 -> etc/keep',
    'opaque dir 750 7:8 ',
    'opaque/upper file 644 0:0 upper links=1',
    'run dir 755 0:0 ',
    'run/fifo fifo 644 0:0 ',
    'was-dir file 644 0:0 now a file links=1',
    'was-file dir 755 0:0 ',
    'was-file/sub file 644 0:0 now in a dir links=1',
  ]);
  assert.deepEqual(xattrs(join(bundle, 'rootfs')), { 'home/user/file': { 'user.note': Buffer.from('hi').toString('hex') } });
});

test('image config → config.json: Entrypoint+Cmd, Env, WorkingDir, a named User from the image’s passwd, labels and annotations; --rootless', { skip }, () => {
  const layout = fresh('config');
  writeLayout(layout, {
    ref: 'web',
    layers: [{ tar: pyTar([
      { name: 'etc/passwd', data: 'root:x:0:0:root:/root:/bin/sh\nwww:x:33:33:www:/var/www:/bin/false\n' },
      { name: 'etc/group', data: 'root:x:0:\nwww:x:33:\nlogs:x:4:www,root\nstaff:x:50:www\n' },
    ]) }],
    config: {
      Entrypoint: ['/bin/server', '--port', '80'],
      Cmd: ['--verbose'],
      Env: ['PATH=/opt/bin:/bin', 'LANG=C.UTF-8'],
      WorkingDir: '/srv',
      User: 'www',
      Labels: { 'com.example.team': 'web', 'org.opencontainers.image.os': 'from-a-label' },
      StopSignal: 'SIGQUIT',
      ExposedPorts: { '80/tcp': {}, '443/tcp': {} },
      Volumes: { '/data': {} },
    },
  });
  const bundle = fresh('config-bundle');
  const r = pc.ok(['image', 'unpack', `${layout}:web`, bundle]);
  assert.match(r.stderr, /^planc: note: the image declares volume "\/data": not mounted/m);
  const c = readConfig(bundle);
  assert.deepEqual(c.process.args, ['/bin/server', '--port', '80', '--verbose']);
  assert.deepEqual(c.process.env, ['PATH=/opt/bin:/bin', 'LANG=C.UTF-8', 'TERM=xterm']);
  assert.equal(c.process.cwd, '/srv');
  assert.deepEqual(c.process.user, { uid: 33, gid: 33, additionalGids: [4, 50] });
  assert.deepEqual(c.annotations, {
    'org.opencontainers.image.os': 'from-a-label',
    'org.opencontainers.image.architecture': 'amd64',
    'org.opencontainers.image.stopSignal': 'SIGQUIT',
    'org.opencontainers.image.exposedPorts': '80/tcp,443/tcp',
    'com.example.team': 'web',
  });
  assert.ok(c.linux.resources, 'a root config keeps the device cgroup');
  assert.ok(!c.linux.namespaces.some((n: { type: string }) => n.type === 'user'));

  const rootless = fresh('config-rootless');
  pc.ok(['image', 'unpack', '--rootless', `${layout}:web`, rootless]);
  const rc = readConfig(rootless);
  assert.ok(rc.linux.namespaces.some((n: { type: string }) => n.type === 'user'), 'a rootless config has a user namespace');
  assert.deepEqual(rc.linux.uidMappings, [{ containerID: 0, hostID: 0, size: 1 }]);
  assert.equal(rc.linux.resources, undefined);

  const unknownUser = fresh('layout-user');
  writeLayout(unknownUser, { layers: [{ tar: pyTar([{ name: 'etc/passwd', data: 'root:x:0:0::/:/bin/sh\n' }]) }], config: { User: 'nobody-here' } });
  const b = fresh('bundle-user');
  fails(['image', 'unpack', unknownUser, b], /^planc: image config sha256:[0-9a-f]{64}: \/config\/User: User "nobody-here": no user "nobody-here" in the image's \/etc\/passwd$/);
  noPartialBundle(b);
});

test('platforms: nested indexes, this host’s manifest by default, --platform to choose, a clear error when none fits', { skip }, () => {
  const multi = fresh('multi');
  writeLayout(multi, { nested: true, otherPlatforms: ['linux/arm64', 'linux/s390x'], layers: [{ tar: pyTar([{ name: 'which', data: 'amd64' }]) }] });
  const b = fresh('multi-bundle');
  const r = pc.ok(['image', 'unpack', multi, b]);
  assert.match(r.stderr, /\(linux\/amd64, manifest sha256:[0-9a-f]{12}\)/);
  const arm = fresh('multi-arm');
  const r2 = pc.ok(['image', 'unpack', '--platform', 'linux/arm64', multi, arm]);
  assert.match(r2.stderr, /\(linux\/arm64, manifest sha256:[0-9a-f]{12}\)/);
  assert.equal(readConfig(arm).annotations['org.opencontainers.image.architecture'], 'arm64');

  const other = fresh('other-platform');
  writeLayout(other, { architecture: 'riscv64', layers: [{ tar: pyTar([{ name: 'x', data: 'x' }]) }] });
  const b2 = fresh('other-bundle');
  fails(['image', 'unpack', other, b2], /^planc: no manifest for linux\/amd64 in .*other-platform-\d+ \(it has linux\/riscv64\); choose one with --platform$/);
  noPartialBundle(b2);
  fails(['image', 'unpack', '--platform', 'linux', other, b2], /^planc: --platform "linux": expected os\/architecture\[\/variant\]/);
});

test('zstd layers unpack (fzstd), as gzip and plain tar do', { skip }, () => {
  const layout = fresh('zstd');
  const big = 'zstd '.repeat(100_000);
  writeLayout(layout, { layers: [{ tar: pyTar([{ name: 'a/b', data: big }, { name: 'c', type: 'symlink', linkname: 'a/b' }]), compression: 'zstd' }] });
  const b = fresh('zstd-bundle');
  pc.ok(['image', 'unpack', layout, b]);
  assert.equal(readFileSync(join(b, 'rootfs/a/b'), 'utf8'), big);
});

// ---------------------------------------------------------------------------
// Bad input: one clear line each, no bundle, nothing written outside the rootfs.

const simple = (): TarSpec[] => [{ name: 'etc/hostname', data: 'x\n' }];

interface Bad {
  name: string;
  make: (layout: string, outside: string) => void;
  error: RegExp;
  /** The target exists beforehand (a non-empty bundle). */
  bundleExists?: boolean;
  /** Ask for this ref (LAYOUT:REF). */
  ref?: string;
}

const BAD: Bad[] = [
  { name: 'a missing blob', make: (l) => writeLayout(l, { layers: [{ tar: pyTar(simple()), missing: true }] }), error: /^planc: layer 1\/1 sha256:[0-9a-f]{64} is missing from .*\/blobs\/sha256$/ },
  {
    name: 'a digest mismatch',
    make: (l) => writeLayout(l, { layers: [{ tar: pyTar(simple()), compression: 'none', corrupt: (b) => Buffer.concat([b.subarray(0, 600), Buffer.from([b[600]! ^ 1]), b.subarray(601)]) }] }),
    error: /^planc: layer 1\/1 sha256:[0-9a-f]{64} does not match its digest/,
  },
  { name: 'a size mismatch', make: (l) => writeLayout(l, { layers: [{ tar: pyTar(simple()), size: 12 }] }), error: /^planc: layer 1\/1 sha256:[0-9a-f]{64} has \d+ bytes in .*, its descriptor says 12: size mismatch$/ },
  {
    name: 'a truncated gzip',
    make: (l) => {
      const gz = gzipSync(pyTar([{ name: 'big', data: 'z'.repeat(200_000) + Math.random() }]));
      writeLayout(l, { layers: [{ tar: pyTar([{ name: 'big', data: 'unused' }]), blob: gz.subarray(0, gz.length - 40) }] });
    },
    error: /^planc: layer 1\/1 sha256:[0-9a-f]{64}: gzip data is corrupt or truncated \(unexpected end of file\)$/,
  },
  { name: 'an unknown layer media type', make: (l) => writeLayout(l, { layers: [{ tar: pyTar(simple()), mediaType: 'application/vnd.example.layer.v1.tar+lz4' }] }), error: /^planc: layer 1\/1 sha256:[0-9a-f]{64} has media type "application\/vnd.example.layer.v1.tar\+lz4", which planc cannot unpack$/ },
  { name: 'a ref that is not there', make: (l) => writeLayout(l, { ref: 'v1', layers: [{ tar: pyTar(simple()) }] }), error: /^planc: no image "latest" in .* \(it has "v1"\)$/, ref: 'latest' },
  { name: 'a layout without index.json', make: (l) => writeLayout(l, { noIndex: true, layers: [{ tar: pyTar(simple()) }] }), error: /^planc: .* has no index\.json$/ },
  { name: 'a name with ../', make: (l) => writeLayout(l, { layers: [{ tar: pyTar([{ name: 'etc/../../escaped', data: 'x' }]) }] }), error: /^planc: layer 1\/1 sha256:[0-9a-f]{12}: entry "etc\/..\/..\/escaped": climbs out with ".."; planc does not write outside the rootfs$/ },
  { name: 'an absolute name', make: (l, o) => writeLayout(l, { layers: [{ tar: pyTar([{ name: `${o}/abs`, data: 'x' }]) }] }), error: /^planc: layer 1\/1 sha256:[0-9a-f]{12}: entry ".*\/abs": is absolute; a layer names files relative to its root, and planc does not write outside the rootfs$/ },
  {
    name: 'a symlink, then a file through it (two layers)',
    make: (l, o) => writeLayout(l, { layers: [{ tar: pyTar([{ name: 'escape', type: 'symlink', linkname: o }]) }, { tar: pyTar([{ name: 'escape/pwned', data: 'x' }]) }] }),
    error: /^planc: layer 2\/2 sha256:[0-9a-f]{12}: entry "escape\/pwned": "escape" is a symbolic link \(to ".*"\); planc does not write through links a layer made$/,
  },
  {
    name: 'a symlink, then a directory through it (one layer)',
    make: (l) => writeLayout(l, { layers: [{ tar: pyTar([{ name: 'up', type: 'symlink', linkname: '../../..' }, { name: 'up/tmp/pwned/', type: 'dir' }]) }] }),
    error: /^planc: layer 1\/1 sha256:[0-9a-f]{12}: entry "up\/tmp\/pwned\/": "up" is a symbolic link \(to "..\/..\/.."\); planc does not write through links a layer made$/,
  },
  { name: 'a hard link to a path outside', make: (l) => writeLayout(l, { layers: [{ tar: pyTar([{ name: 'passwd', type: 'hardlink', linkname: '../../../etc/passwd' }]) }] }), error: /^planc: layer 1\/1 sha256:[0-9a-f]{12}: entry "passwd": hard link target "..\/..\/..\/etc\/passwd" climbs out with ".."; planc does not write outside the rootfs$/ },
  {
    name: 'a hard link through a symlink',
    make: (l) => writeLayout(l, { layers: [{ tar: pyTar([{ name: 'etcl', type: 'symlink', linkname: '/etc' }, { name: 'shadow', type: 'hardlink', linkname: 'etcl/shadow' }]) }] }),
    error: /^planc: layer 1\/1 sha256:[0-9a-f]{12}: entry "shadow": "etcl" is a symbolic link \(to "\/etc"\); planc does not write through links a layer made$/,
  },
  { name: 'a whiteout through a symlink', make: (l, o) => writeLayout(l, { layers: [{ tar: pyTar([{ name: 'o', type: 'symlink', linkname: o }]) }, { tar: pyTar([{ name: 'o/.wh.sentinel' }]) }] }), error: /^planc: layer 2\/2 sha256:[0-9a-f]{12}: entry "o\/.wh.sentinel": "o" is a symbolic link/ },
  { name: 'a non-empty bundle directory', make: (l) => writeLayout(l, { layers: [{ tar: pyTar(simple()) }] }), error: /^planc: bundle .* exists and is not empty; planc unpacks into a new or empty directory$/, bundleExists: true },
  { name: 'a tar that is not one', make: (l) => writeLayout(l, { layers: [{ tar: Buffer.from('not a tar at all '.repeat(100)), compression: 'none' }] }), error: /^planc: layer 1\/1 sha256:[0-9a-f]{12}: tar header checksum mismatch after 0 entries: the layer is corrupt or not a tar archive$/ },
];

for (const bad of BAD) {
  test(`bad input: ${bad.name} → one error line, no partial bundle, nothing outside touched`, { skip }, () => {
    const layout = fresh('bad-layout');
    const outside = fresh('outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'sentinel'), 'untouched');
    bad.make(layout, outside);
    const bundle = fresh('bad-bundle');
    if (bad.bundleExists) {
      mkdirSync(bundle);
      writeFileSync(join(bundle, 'mine'), 'keep');
    }
    fails(['image', 'unpack', bad.ref ? `${layout}:${bad.ref}` : layout, bundle], bad.error);
    if (bad.bundleExists) assert.equal(readFileSync(join(bundle, 'mine'), 'utf8'), 'keep', 'an existing bundle is left alone');
    else noPartialBundle(bundle);
    assert.deepEqual(readdirSync(outside), ['sentinel'], 'nothing was made outside the rootfs');
    assert.equal(readFileSync(join(outside, 'sentinel'), 'utf8'), 'untouched');
    assert.equal(statSync('/etc/passwd').nlink, 1, '/etc/passwd got no new hard link');
  });
}

test('explain --image and lint --image: what the image would do, from its manifest and config alone (its layer blob may be missing)', { skip }, () => {
  const layout = fresh('explain');
  writeLayout(layout, {
    ref: 'app',
    layers: [{ tar: pyTar(simple()), missing: true }],
    config: { Entrypoint: ['/bin/app'], Cmd: ['--serve'], User: 'app:staff', WorkingDir: '/srv' },
  });
  const j = JSON.parse(pc.ok(['explain', '--json', '--image', `${layout}:app`]).stdout);
  assert.match(j.image.name, /:app \(linux\/amd64, manifest sha256:[0-9a-f]{12}, 1 layer\)$/);
  assert.deepEqual(j.image.notes, [
    'process.user: image user "app" is a name, looked up in the image\'s /etc/passwd when it is unpacked; this plan shows uid 0 in its place; image group "staff" is a name, looked up in the image\'s /etc/group when it is unpacked; this plan shows gid 0 in its place',
  ]);
  const exec = j.actions.filter((a: { op: string }) => a.op === 'exec');
  assert.deepEqual(exec.map((a: { text: string }) => a.text), ['exec "/bin/app" "--serve"']);
  assert.ok(j.actions.some((a: { op: string; text: string }) => a.op === 'chdir' && a.text.includes('/srv')), 'the working directory is planned');
  const text = pc.ok(['explain', '--image', `${layout}:app`]).stdout;
  assert.match(text, /^image .*:app \(linux\/amd64, manifest sha256:[0-9a-f]{12}, 1 layer\)$/m);
  assert.match(text, /^ {2}note: process\.user: image user "app" is a name/m);

  const lint = pc.run(['lint', '--image', `${layout}:app`]);
  assert.equal(lint.code, 0, lint.stderr);
  assert.match(lint.stdout, /^warning: no seccomp filter: every system call is allowed \[no-seccomp\] ← config\.json made from image config sha256:[0-9a-f]{64}: \/linux\/seccomp$/m);
  fails(['explain', '--image', `${layout}:nope`], /^planc: no image "nope" in .* \(it has "app"\)$/);
});

test('SIGTERM or SIGINT in the middle of an unpack leaves no partial bundle', { skip }, async () => {
  const layout = fresh('big');
  // Many files, so the unpack is still running when the signal comes.
  writeLayout(layout, { layers: [{ tar: pyTar(Array.from({ length: 4000 }, (_, i) => ({ name: `d${i % 50}/f${i}`, size: 20_000 }))), compression: 'none' }] });
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    const bundle = fresh('interrupted');
    const p = pc.spawn(['image', 'unpack', layout, bundle]);
    await waitFor('the temporary directory', () => readdirSync(scratch).some((n) => n.startsWith(`.${bundle.split('/').pop()}.unpack-`)), 20_000);
    p.child.kill(sig);
    const r = await p.done;
    assert.equal(r.signal, sig, `planc ends by the ${sig} it was sent (${r.code} ${r.stderr})`);
    noPartialBundle(bundle);
  }
});
