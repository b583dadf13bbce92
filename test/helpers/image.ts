// Helpers for the image tests: layer tars written by Python's tarfile (a tar
// writer independent of planc's), OCI image layouts assembled by hand (so a
// test can break any part of one), and a tree listing to compare rootfs
// trees made by different tools.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import assert from 'node:assert/strict';

export interface TarSpec {
  name: string;
  type?: 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';
  data?: string;
  /** Instead of data: this many bytes of "x" (big layers without a big JSON). */
  size?: number;
  mode?: number;
  uid?: number;
  gid?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** PAX SCHILY.xattr.<name> records. */
  xattrs?: Record<string, string>;
  mtime?: number;
}

const PY_TAR = String.raw`
import io, json, sys, tarfile
specs = json.load(sys.stdin)
out = io.BytesIO()
types = {'file': tarfile.REGTYPE, 'dir': tarfile.DIRTYPE, 'symlink': tarfile.SYMTYPE, 'hardlink': tarfile.LNKTYPE,
         'char': tarfile.CHRTYPE, 'block': tarfile.BLKTYPE, 'fifo': tarfile.FIFOTYPE}
with tarfile.open(fileobj=out, mode='w', format=tarfile.PAX_FORMAT) as t:
    for s in specs:
        ti = tarfile.TarInfo(s['name'])
        ti.type = types[s.get('type', 'file')]
        ti.mode = s.get('mode', 0o755 if ti.type == tarfile.DIRTYPE else 0o644)
        ti.uid = s.get('uid', 0)
        ti.gid = s.get('gid', 0)
        ti.mtime = s.get('mtime', 1700000000)
        ti.linkname = s.get('linkname', '')
        ti.devmajor = s.get('devmajor', 0)
        ti.devminor = s.get('devminor', 0)
        if s.get('xattrs'):
            ti.pax_headers = {'SCHILY.xattr.' + k: v for k, v in s['xattrs'].items()}
        data = b'x' * s['size'] if 'size' in s else s.get('data', '').encode()
        if ti.type == tarfile.REGTYPE:
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
        else:
            t.addfile(ti)
sys.stdout.buffer.write(out.getvalue())
`;

/** A tar archive of these entries, written by Python's tarfile (PAX format). */
export function pyTar(entries: TarSpec[]): Buffer {
  const r = spawnSync('python3', ['-c', PY_TAR], { input: JSON.stringify(entries), maxBuffer: 1 << 30 });
  assert.equal(r.status, 0, `python3 tarfile: ${r.stderr}`);
  return r.stdout;
}

export function sha256(b: Buffer | string): string {
  return 'sha256:' + createHash('sha256').update(b).digest('hex');
}

export interface LayerSpec {
  tar: Buffer;
  compression?: 'gzip' | 'none' | 'zstd';
  mediaType?: string;
  /** The blob, when a test wants another than the compressed tar (a truncated gzip); its descriptor matches it. */
  blob?: Buffer;
  /** Change the stored bytes after the descriptor was made from them (a digest mismatch). */
  corrupt?: (blob: Buffer) => Buffer;
  /** The size the descriptor states, when a test wants it wrong. */
  size?: number;
  /** Leave the blob out of blobs/. */
  missing?: boolean;
}

export interface LayoutSpec {
  layers: LayerSpec[];
  /** The image config's `config` section. */
  config?: Record<string, unknown>;
  architecture?: string;
  os?: string;
  ref?: string;
  /** Put the manifest behind a nested index, with this platform on its descriptor. */
  nested?: boolean;
  /** Extra manifests for other platforms, listed before the real one in the (nested) index. */
  otherPlatforms?: string[];
  /** Leave index.json out. */
  noIndex?: boolean;
}

function compress(tar: Buffer, c: LayerSpec['compression']): Buffer {
  if (c === 'none') return tar;
  if (c === 'zstd') {
    const r = spawnSync('zstd', ['-q', '-c'], { input: tar, maxBuffer: 1 << 30 });
    assert.equal(r.status, 0, `zstd: ${r.stderr}`);
    return r.stdout;
  }
  return gzipSync(tar);
}

const LAYER_TYPES = { gzip: 'application/vnd.oci.image.layer.v1.tar+gzip', none: 'application/vnd.oci.image.layer.v1.tar', zstd: 'application/vnd.oci.image.layer.v1.tar+zstd' };

/** Write an OCI image layout by hand; returns the manifest digest. */
export function writeLayout(dir: string, spec: LayoutSpec): string {
  mkdirSync(join(dir, 'blobs/sha256'), { recursive: true });
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const put = (b: Buffer, skip = false) => {
    const d = sha256(b);
    if (!skip) writeFileSync(join(dir, 'blobs/sha256', d.slice(7)), b);
    return d;
  };
  const layerDescs = spec.layers.map((l) => {
    const c = l.compression ?? 'gzip';
    const blob = l.blob ?? compress(l.tar, c);
    const digest = sha256(blob);
    if (!l.missing) writeFileSync(join(dir, 'blobs/sha256', digest.slice(7)), l.corrupt ? l.corrupt(Buffer.from(blob)) : blob);
    return { mediaType: l.mediaType ?? LAYER_TYPES[c], digest, size: l.size ?? blob.length };
  });
  const manifestFor = (arch: string, os: string) => {
    const config = Buffer.from(JSON.stringify({ architecture: arch, os, config: spec.config ?? {}, rootfs: { type: 'layers', diff_ids: spec.layers.map((l) => sha256(l.tar)) } }));
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: put(config), size: config.length }, layers: layerDescs }));
    return { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: put(manifest), size: manifest.length, platform: { architecture: arch, os } };
  };
  const arch = spec.architecture ?? 'amd64';
  const os = spec.os ?? 'linux';
  const main = manifestFor(arch, os);
  const others = (spec.otherPlatforms ?? []).map((p) => manifestFor(p.split('/')[1]!, p.split('/')[0]!));
  const ref = { 'org.opencontainers.image.ref.name': spec.ref ?? 'latest' };
  let top;
  if (spec.nested) {
    const nested = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [...others, main] }));
    top = [{ mediaType: 'application/vnd.oci.image.index.v1+json', digest: put(nested), size: nested.length, annotations: ref }];
  } else {
    top = [...others, main].map((m) => ({ ...m, annotations: ref }));
  }
  if (!spec.noIndex) writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: top }));
  return main.digest;
}

export interface TreeEntry {
  path: string;
  type: string;
  mode: string;
  uid: number;
  gid: number;
  /** Link target, content digest, or device numbers. */
  what: string;
}

/** Every entry below `root`: path, type, mode, owner and what it holds, sorted; hard links share a content digest and show their link count. */
export function tree(root: string): TreeEntry[] {
  const out: TreeEntry[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const p = rel ? `${rel}/${name}` : name;
      const full = join(root, p);
      const st = lstatSync(full);
      const type = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : st.isCharacterDevice() ? 'char' : st.isBlockDevice() ? 'block' : st.isFIFO() ? 'fifo' : 'other';
      const what = type === 'file' ? `${sha256(readFileSync(full)).slice(0, 19)} links=${st.nlink}` : type === 'symlink' ? `-> ${readlinkSync(full)}` : type === 'char' || type === 'block' ? `dev ${st.rdev}` : '';
      out.push({ path: p, type, mode: (st.mode & 0o7777).toString(8), uid: st.uid, gid: st.gid, what });
      if (type === 'dir') walk(p);
    }
  };
  walk('');
  return out;
}
