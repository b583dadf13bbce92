// planc image create BUNDLE LAYOUT[:REF] — a bundle's rootfs as a one-layer
// image in an OCI image layout (made if missing, else the image is added
// under REF, replacing what had that ref name). The rootfs is walked by
// directory fd, never following a symlink; entries go in byte order so the
// same tree gives the same layer. Blobs are written to O_EXCL temp files in
// blobs/sha256 and renamed to their digest; index.json is replaced
// atomically, so a failure leaves the layout as it was (plus nothing but
// unreferenced blobs at worst).
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { PlancError } from '../../schemas/error.js';
import { readBundle } from '../bundle.js';
import { errnoWords } from '../errno.js';
import * as at from './fsat.js';
import { type Descriptor, MT, REF_ANNOTATION, hostPlatform, parseImageArg, short } from './layout.js';
import { Progress, human } from './progress.js';
import { TAR_END, type WriteEntry, tarHeader, tarPadding } from './tar.js';

export interface CreateOptions {
  bundle: string;
  image: string;
  quiet?: boolean;
}

const DIR_OPEN = at.O_RDONLY | at.O_DIRECTORY | at.O_NOFOLLOW;
const REF_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

function procPath(fd: number, name?: string): Buffer {
  const head = Buffer.from(`/proc/self/fd/${fd}${name === undefined ? '' : '/'}`, 'latin1');
  return name === undefined ? head : Buffer.concat([head, Buffer.from(name, 'latin1')]);
}

function majorOf(rdev: number): number {
  return Number(((BigInt(rdev) >> 8n) & 0xfffn) | ((BigInt(rdev) >> 32n) & ~0xfffn));
}
function minorOf(rdev: number): number {
  return Number((BigInt(rdev) & 0xffn) | ((BigInt(rdev) >> 12n) & ~0xffn));
}

interface Walked {
  skipped: string[];
  entries: number;
}

/** The rootfs as tar bytes, entry by entry, read by fd as the stream is consumed. */
async function* tarOf(rootFd: number, walked: Walked): AsyncGenerator<Buffer> {
  const links = new Map<string, string>();
  const buf = Buffer.allocUnsafe(1 << 20);
  // Not root (as umoci --rootless): what the caller owns is root's in the image, as a rootless container sees it.
  const me = process.geteuid?.() ?? 0;
  const myGid = process.getegid?.() ?? 0;
  const owner = (st: { uid: number; gid: number }) => (me === 0 ? { uid: st.uid, gid: st.gid } : { uid: st.uid === me ? 0 : st.uid, gid: st.gid === myGid ? 0 : st.gid });
  async function* entry(dirFd: number, name: string, rel: string): AsyncGenerator<Buffer> {
    const st = lstatSync(procPath(dirFd, name));
    const base = { mode: st.mode & 0o7777, ...owner(st), mtime: Math.floor(st.mtimeMs / 1000), xattrs: at.lgetxattrsat(dirFd, name) };
    const key = `${st.dev}:${st.ino}`;
    if (!st.isDirectory() && st.nlink > 1) {
      const first = links.get(key);
      if (first !== undefined) {
        walked.entries++;
        yield tarHeader({ ...base, name: rel, type: 'hardlink', size: 0, linkname: first, xattrs: undefined });
        return;
      }
      links.set(key, rel);
    }
    let e: WriteEntry;
    if (st.isFile()) e = { ...base, name: rel, type: 'file', size: st.size };
    else if (st.isDirectory()) e = { ...base, name: `${rel}/`, type: 'dir', size: 0 };
    else if (st.isSymbolicLink()) e = { ...base, name: rel, type: 'symlink', size: 0, linkname: at.readlinkat(dirFd, name) };
    else if (st.isCharacterDevice() || st.isBlockDevice()) e = { ...base, name: rel, type: st.isCharacterDevice() ? 'char' : 'block', size: 0, devmajor: majorOf(st.rdev), devminor: minorOf(st.rdev) };
    else if (st.isFIFO()) e = { ...base, name: rel, type: 'fifo', size: 0 };
    else {
      walked.skipped.push(rel); // a socket: tar has no way to say it
      return;
    }
    walked.entries++;
    if (e.type === 'file') {
      const fd = at.openat(dirFd, name, at.O_RDONLY | at.O_NOFOLLOW | at.O_NONBLOCK);
      try {
        // The size in the header is what we read: a file that changes under us is an error, not a corrupt layer.
        if (fstatSync(fd).size !== e.size) throw new PlancError('bad-state', `rootfs file ${rel} changed while it was read`);
        yield tarHeader(e);
        let left = e.size;
        while (left > 0) {
          const n = readSync(fd, buf, 0, Math.min(buf.length, left), null);
          if (n <= 0) throw new PlancError('bad-state', `rootfs file ${rel} shrank while it was read`);
          left -= n;
          yield Buffer.from(buf.subarray(0, n));
        }
        yield tarPadding(e.size);
      } finally {
        closeSync(fd);
      }
      return;
    }
    yield tarHeader(e);
    if (e.type === 'dir') {
      const fd = at.openat(dirFd, name, DIR_OPEN);
      try {
        yield* children(fd, rel);
      } finally {
        closeSync(fd);
      }
    }
  }
  async function* children(fd: number, rel: string): AsyncGenerator<Buffer> {
    const names = readdirSync(procPath(fd), { encoding: 'buffer' }).sort(Buffer.compare).map((b) => b.toString('latin1'));
    for (const n of names) yield* entry(fd, n, rel === '' ? n : `${rel}/${n}`);
  }
  const st = fstatSync(rootFd);
  walked.entries++;
  yield tarHeader({ name: './', type: 'dir', mode: st.mode & 0o7777, ...owner(st), size: 0, mtime: Math.floor(st.mtimeMs / 1000) });
  yield* children(rootFd, '');
  yield TAR_END;
}

/** Where blobs go: blobs/sha256 of the layout, by fd. */
class BlobDir {
  constructor(
    readonly layoutPath: string,
    readonly fd: number,
  ) {}

  /** A new temp file for a blob being written. */
  temp(): { name: string; fd: number } {
    const name = `.tmp-${randomBytes(8).toString('hex')}`;
    return { name, fd: at.openat(this.fd, name, at.O_WRONLY | at.O_CREAT | at.O_EXCL | at.O_NOFOLLOW, 0o644) };
  }

  /** Move a finished temp file to its digest's name (the same content may be there already). */
  commit(tmp: string, digest: string): void {
    const hex = digest.slice('sha256:'.length);
    try {
      at.renameat2(this.fd, tmp, this.fd, hex, at.RENAME_NOREPLACE);
    } catch (e) {
      at.unlinkat(this.fd, tmp);
      if ((e as at.SysError).code !== 'EEXIST') throw e;
    }
  }

  discard(tmp: string): void {
    try {
      at.unlinkat(this.fd, tmp);
    } catch {
      // already gone
    }
  }

  /** A small blob (JSON) from bytes. */
  put(bytes: Buffer, mediaType: string): Descriptor {
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const t = this.temp();
    try {
      for (let off = 0; off < bytes.length; ) off += writeSync(t.fd, bytes, off, bytes.length - off);
    } catch (e) {
      closeSync(t.fd);
      this.discard(t.name);
      throw e;
    }
    closeSync(t.fd);
    this.commit(t.name, digest);
    return { mediaType, digest, size: bytes.length };
  }
}

/** Open the layout, making it (oci-layout, empty index.json, blobs/sha256) when the directory is missing or empty. */
function openOrMakeLayout(path: string): { fd: number; index: Record<string, unknown> } {
  try {
    mkdirSync(path, { mode: 0o755 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new PlancError('system', `image layout ${path}: ${errnoWords(e)}`);
  }
  let fd: number;
  try {
    fd = openSync(path, DIR_OPEN);
  } catch (e) {
    throw new PlancError('invalid-argument', `image layout ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOTDIR' ? 'not a directory (or a symbolic link)' : errnoWords(e)}`);
  }
  const names = readdirSync(procPath(fd));
  if (names.length === 0) {
    writeAt(fd, 'oci-layout', JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    writeAt(fd, 'index.json', JSON.stringify({ schemaVersion: 2, mediaType: MT.index, manifests: [] }));
  } else if (!names.includes('oci-layout')) {
    closeSync(fd);
    throw new PlancError('invalid-argument', `${path} exists and is not an OCI image layout (no oci-layout file); planc adds images only to a layout or an empty directory`);
  }
  for (const d of ['blobs', 'blobs/sha256']) {
    try {
      at.mkdirat(fd, d, 0o755);
    } catch (e) {
      if ((e as at.SysError).code !== 'EEXIST') throw e;
    }
  }
  const raw = readAt(fd, 'index.json');
  let index: unknown;
  try {
    index = JSON.parse(raw.toString('utf8'));
  } catch {
    closeSync(fd);
    throw new PlancError('invalid-argument', `${path}/index.json is not JSON`);
  }
  if (typeof index !== 'object' || index === null || !Array.isArray((index as { manifests?: unknown }).manifests)) {
    closeSync(fd);
    throw new PlancError('invalid-argument', `${path}/index.json has no manifests list`);
  }
  return { fd, index: index as Record<string, unknown> };
}

function readAt(dirFd: number, name: string): Buffer {
  const fd = at.openat(dirFd, name, at.O_RDONLY | at.O_NOFOLLOW | at.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > 4 << 20) throw new PlancError('invalid-argument', `${name} in the image layout is not a regular file of at most 4 MiB`);
    const b = Buffer.alloc(st.size);
    let n = 0;
    for (let r; n < b.length && (r = readSync(fd, b, n, b.length - n, null)) > 0; ) n += r;
    return b.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** Replace a small file of the layout atomically (temp + rename in the same directory). */
function writeAt(dirFd: number, name: string, text: string): void {
  const tmp = `.${name}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = at.openat(dirFd, tmp, at.O_WRONLY | at.O_CREAT | at.O_EXCL | at.O_NOFOLLOW, 0o644);
  try {
    const b = Buffer.from(text);
    for (let off = 0; off < b.length; ) off += writeSync(fd, b, off, b.length - off);
  } catch (e) {
    closeSync(fd);
    at.unlinkat(dirFd, tmp);
    throw e;
  }
  closeSync(fd);
  at.renameat2(dirFd, tmp, dirFd, name, 0);
}

/** The image config's `config` from the bundle's config.json: what the process runs and how. */
function runConfig(config: Record<string, unknown>): Record<string, unknown> {
  const p = (config.process ?? {}) as { args?: string[]; env?: string[]; cwd?: string; user?: { uid?: number; gid?: number } };
  const out: Record<string, unknown> = {};
  if (p.env?.length) out.Env = p.env;
  if (p.args?.length) out.Cmd = p.args;
  if (p.cwd && p.cwd !== '/') out.WorkingDir = p.cwd;
  if (p.user && (p.user.uid || p.user.gid)) out.User = `${p.user.uid ?? 0}:${p.user.gid ?? 0}`;
  const labels = Object.fromEntries(Object.entries((config.annotations ?? {}) as Record<string, string>).filter(([k]) => !k.startsWith('org.opencontainers.image.')));
  if (Object.keys(labels).length > 0) out.Labels = labels;
  return out;
}

export async function createImage(opts: CreateOptions): Promise<void> {
  const progress = new Progress(opts.quiet ?? false);
  const { layout: layoutArg, ref: refArg } = parseImageArg(opts.image);
  const ref = refArg ?? 'latest';
  if (!REF_RE.test(ref)) throw new PlancError('invalid-argument', `ref name ${JSON.stringify(ref)}: use letters, digits and . _ - (at most 128, not starting with . or -)`);
  const bundle = readBundle(opts.bundle);
  const config = bundle.config as Record<string, unknown>;
  const rootPath = resolve(bundle.dir, ((config.root ?? {}) as { path?: string }).path ?? 'rootfs');
  let rootFd: number;
  try {
    rootFd = openSync(rootPath, at.O_RDONLY | at.O_DIRECTORY);
  } catch (e) {
    throw new PlancError('not-found', `rootfs ${rootPath}: ${errnoWords(e)}`, { where: '/root/path' });
  }
  const layoutPath = resolve(layoutArg);
  const { fd: layoutFd, index } = openOrMakeLayout(layoutPath);
  let blobsFd = -1;
  let tmp: { name: string; fd: number } | undefined;
  try {
    blobsFd = at.openat(layoutFd, 'blobs', DIR_OPEN);
    const sha = at.openat(blobsFd, 'sha256', DIR_OPEN);
    closeSync(blobsFd);
    blobsFd = sha;
    const blobs = new BlobDir(layoutPath, blobsFd);
    const walked: Walked = { skipped: [], entries: 0 };
    const diffHash = createHash('sha256');
    const blobHash = createHash('sha256');
    let rawSize = 0;
    let size = 0;
    tmp = blobs.temp();
    const out = tmp.fd;
    await pipeline(
      Readable.from(tarOf(rootFd, walked)),
      new Transform({
        transform(chunk: Buffer, _e, cb) {
          diffHash.update(chunk);
          rawSize += chunk.length;
          cb(null, chunk);
        },
      }),
      createGzip({ level: 6, chunkSize: 256 << 10 }),
      async (src: AsyncIterable<Buffer>) => {
        for await (const chunk of src) {
          blobHash.update(chunk);
          size += chunk.length;
          for (let off = 0; off < chunk.length; ) off += writeSync(out, chunk, off, chunk.length - off);
        }
      },
    );
    closeSync(tmp.fd);
    const layerDigest = `sha256:${blobHash.digest('hex')}`;
    blobs.commit(tmp.name, layerDigest);
    tmp = undefined;
    const diffId = `sha256:${diffHash.digest('hex')}`;
    const layer: Descriptor = { mediaType: MT.layerGzip, digest: layerDigest, size };

    const platform = hostPlatform();
    // SOURCE_DATE_EPOCH makes the config (and so the image) reproducible.
    const epoch = process.env.SOURCE_DATE_EPOCH;
    const created = new Date(epoch && /^[0-9]+$/.test(epoch) ? Number(epoch) * 1000 : Date.now()).toISOString().replace(/\.000Z$/, 'Z');
    const imageConfig = {
      created,
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant ? { variant: platform.variant } : {}),
      config: runConfig(config),
      rootfs: { type: 'layers', diff_ids: [diffId] },
      history: [{ created, created_by: `planc image create (from ${bundle.dir})` }],
    };
    const configDesc = blobs.put(Buffer.from(JSON.stringify(imageConfig)), MT.config);
    const manifest = { schemaVersion: 2, mediaType: MT.manifest, config: configDesc, layers: [layer], annotations: { 'org.opencontainers.image.created': created } };
    const manifestDesc = blobs.put(Buffer.from(JSON.stringify(manifest)), MT.manifest);
    const manifests = (index.manifests as Descriptor[]).filter((d) => d?.annotations?.[REF_ANNOTATION] !== ref);
    manifests.push({ ...manifestDesc, annotations: { [REF_ANNOTATION]: ref }, platform: { os: platform.os, architecture: platform.architecture, ...(platform.variant ? { variant: platform.variant } : {}) } });
    writeAt(layoutFd, 'index.json', JSON.stringify({ ...index, schemaVersion: 2, mediaType: MT.index, manifests }));
    for (const s of walked.skipped) progress.note(`${s} is a socket: tar cannot hold one, left out`);
    progress.line(`${layoutPath}:${ref}: manifest ${short(manifestDesc.digest)}, one layer ${short(layerDigest)} (${walked.entries} entries, ${human(rawSize)} tar, ${human(size)} gzip)`);
  } catch (e) {
    if (tmp) {
      try {
        closeSync(tmp.fd);
      } catch {
        // closed before the failure
      }
      new BlobDir(layoutPath, blobsFd).discard(tmp.name);
    }
    if (e instanceof at.SysError) throw new PlancError('system', `image create ${layoutPath}: ${e.message}`);
    throw e;
  } finally {
    if (blobsFd >= 0) closeSync(blobsFd);
    closeSync(layoutFd);
    closeSync(rootFd);
  }
}
