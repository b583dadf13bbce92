// planc image unpack LAYOUT[:REF] BUNDLE — the job of `umoci unpack` and
// `oci-image-tool create`: choose the image, apply its layers in order into
// a rootfs, write config.json from the image config on top of planc's
// default spec. Everything is made in a private temporary directory beside
// the bundle and renamed into place at the end, so a failure (a bad blob, a
// layer that tries to escape, a full disk, Ctrl-C) leaves no partial bundle.
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, fstatSync, mkdtempSync, openSync, readdirSync, readSync, writeSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { PlancError } from '../../schemas/error.js';
import { errnoWords } from '../errno.js';
import { isRootless } from '../rootless.js';
import * as at from './fsat.js';
import { specFromImage } from './config.js';
import { type Compression, type Descriptor, Layout, diffIds, hostPlatform, layerCompression, parseImageArg, parsePlatform, platformText, selectImage, short } from './layout.js';
import { Progress, human } from './progress.js';
import { TarReader } from './tar.js';
import { Rootfs, removeTree } from './tree.js';
import type { UserDb } from '../../planner/image-config.js';

export interface UnpackOptions {
  image: string;
  bundle: string;
  platform?: string;
  rootless?: boolean;
  quiet?: boolean;
}

/** A zstd frame decoder as a stream: fzstd (pure JS), since Node 20's zlib has no zstd. */
async function zstdStream(): Promise<Transform> {
  const { Decompress } = await import('fzstd');
  let out: Transform;
  const d = new Decompress((chunk) => {
    // fzstd keeps its window in the buffers it hands out: copy before queueing.
    if (chunk.length > 0) out.push(Buffer.from(chunk));
  });
  out = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      try {
        d.push(chunk);
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
    flush(cb) {
      try {
        d.push(new Uint8Array(0), true);
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
  });
  return out;
}

/** Hash a whole blob (after a failure, to tell a corrupt blob from a bad layer). */
function blobMatches(layout: Layout, d: Descriptor): boolean {
  let fd: number;
  try {
    fd = layout.openBlob(d, 'blob');
  } catch {
    return false;
  }
  try {
    const [alg] = d.digest.split(':') as [string];
    const hash = createHash(alg);
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) hash.update(buf.subarray(0, n));
    return `${alg}:${hash.digest('hex')}` === d.digest;
  } finally {
    closeSync(fd);
  }
}

/**
 * Stream one layer into the rootfs: blob bytes counted and hashed, decompressed,
 * the tar hashed again (its diff_id) and applied entry by entry.
 */
async function applyLayer(layout: Layout, d: Descriptor, compression: Compression, diffId: string, rootfs: Rootfs, what: string, progress: Progress): Promise<{ entries: number; raw: number }> {
  const fd = layout.openBlob(d, what);
  const [alg] = d.digest.split(':') as [string];
  const blobHash = createHash(alg);
  const diffHash = createHash('sha256');
  let read = 0;
  let raw = 0;
  const tar = new TarReader((e) => rootfs.entry(e));
  progress.start(`${what} ${short(d.digest)}`, d.size);
  // Read at most one byte past the size: a blob that grows under us is caught, not read forever.
  const source = createReadStream('', { fd, start: 0, end: d.size, highWaterMark: 1 << 20 });
  const verify = async function* (src: Readable) {
    for await (const chunk of src as AsyncIterable<Buffer>) {
      read += chunk.length;
      if (read > d.size) throw new PlancError('invalid-argument', `${what} ${d.digest} is longer than its descriptor says (${d.size} bytes): size mismatch`);
      blobHash.update(chunk);
      progress.update(read);
      yield chunk;
    }
    if (read !== d.size) throw new PlancError('invalid-argument', `${what} ${d.digest} ended after ${read} of ${d.size} bytes: size mismatch`);
    const got = `${alg}:${blobHash.digest('hex')}`;
    if (got !== d.digest) throw new PlancError('invalid-argument', `${what} ${d.digest} does not match its digest (its content hashes to ${got})`);
  };
  const apply = async (src: AsyncIterable<Buffer>) => {
    for await (const chunk of src) {
      diffHash.update(chunk);
      raw += chunk.length;
      tar.push(chunk);
    }
  };
  try {
    if (compression === 'none') await pipeline(source, verify, apply);
    else {
      const decompress = compression === 'gzip' ? createGunzip({ chunkSize: 256 << 10 }) : await zstdStream();
      await pipeline(source, verify, decompress, apply);
    }
    tar.end();
  } catch (e) {
    source.destroy();
    progress.clear();
    // A blob that is not what its digest says explains any later failure better than that failure does.
    if (!(e instanceof PlancError) || !/mismatch|does not match/.test(e.message)) {
      if (!blobMatches(layout, d)) throw new PlancError('invalid-argument', `${what} ${d.digest} does not match its digest`);
    }
    // The tar reader's errors do not know which layer they are about.
    if (e instanceof PlancError) throw e.message.startsWith('layer ') ? e : new PlancError(e.code, `${what} ${short(d.digest)}: ${e.message}`);
    const err = e as NodeJS.ErrnoException;
    if (err.code?.startsWith('Z_') || err.code === 'ERR_ZLIB_INITIALIZATION_FAILED' || typeof (err as { code?: unknown }).code === 'number') {
      throw new PlancError('invalid-argument', `${what} ${d.digest}: ${compression} data is corrupt or truncated (${err.message})`);
    }
    throw new PlancError('system', `${what} ${d.digest}: ${errnoWords(e)}`);
  }
  const gotDiff = `sha256:${diffHash.digest('hex')}`;
  if (gotDiff !== diffId) throw new PlancError('invalid-argument', `${what} ${d.digest}: its uncompressed content hashes to ${gotDiff}, the image config says ${diffId} (rootfs.diff_ids): diff_id mismatch`);
  progress.clear();
  return { entries: tar.entries, raw };
}

/**
 * A file of the unpacked rootfs, resolved as the container would see it:
 * symlinks followed but kept inside the rootfs (an absolute target starts
 * at the rootfs, ".." stops there). null when missing.
 */
export function readInRoot(rootFd: number, path: string, max: number): Buffer | null {
  const done: string[] = [];
  let todo = path.split('/');
  let hops = 0;
  const open = (comps: string[], flags: number): number | at.SysError => {
    let fd = rootFd;
    for (let i = 0; i < comps.length; i++) {
      const last = i === comps.length - 1;
      const next = at.tryOpenat(fd, comps[i]!, last ? flags : at.O_PATH | at.O_DIRECTORY | at.O_NOFOLLOW);
      if (fd !== rootFd) closeSync(fd);
      if (next instanceof at.SysError) return next;
      fd = next;
    }
    return fd === rootFd ? at.tryOpenat(rootFd, '.', flags) : fd;
  };
  while (todo.length > 0) {
    const c = todo.shift()!;
    if (c === '' || c === '.') continue;
    if (c === '..') {
      done.pop();
      continue;
    }
    const fd = open([...done, c], at.O_PATH | at.O_NOFOLLOW);
    if (fd instanceof at.SysError) {
      if (fd.code === 'ENOENT' || fd.code === 'ENOTDIR') return null;
      throw new PlancError('system', `read /${path} in the rootfs: ${at.errnoText(fd.errno)}`);
    }
    const st = fstatSync(fd);
    closeSync(fd);
    if (st.isSymbolicLink()) {
      if (++hops > 40) throw new PlancError('invalid-argument', `/${path} in the rootfs: too many levels of symbolic links`);
      const parent = open(done, at.O_PATH | at.O_DIRECTORY);
      if (parent instanceof at.SysError) return null;
      const target = at.readlinkat(parent, c);
      closeSync(parent);
      if (target.startsWith('/')) done.length = 0;
      todo = [...target.split('/'), ...todo];
      continue;
    }
    done.push(c);
  }
  const fd = open(done, at.O_RDONLY | at.O_NOFOLLOW | at.O_NONBLOCK);
  if (fd instanceof at.SysError) return null;
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return null;
    if (st.size > max) throw new PlancError('invalid-argument', `/${path} in the image is larger than ${max} bytes`);
    const buf = Buffer.alloc(st.size);
    let n = 0;
    for (let r; n < buf.length && (r = readSync(fd, buf, n, buf.length - n, null)) > 0; ) n += r;
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

function writeFileAt(dirFd: number, name: string, data: string): void {
  const fd = at.openat(dirFd, name, at.O_WRONLY | at.O_CREAT | at.O_EXCL | at.O_NOFOLLOW, 0o644);
  try {
    const buf = Buffer.from(data);
    for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
  } finally {
    closeSync(fd);
  }
}

/** Where the bundle goes: its parent open, and whether an empty directory is there to be replaced. */
function bundleTarget(bundle: string): { path: string; parent: string; name: string; parentFd: number; replaceEmpty: boolean } {
  const path = resolve(bundle);
  const parent = dirname(path);
  const name = basename(path);
  if (path === '/' || name === '' || name === '.' || name === '..') throw new PlancError('invalid-argument', `bundle ${JSON.stringify(bundle)}: not a directory planc can make`);
  let parentFd: number;
  try {
    parentFd = openSync(parent, at.O_RDONLY | at.O_DIRECTORY);
  } catch (e) {
    throw new PlancError('not-found', `bundle ${path}: its parent directory ${parent}: ${errnoWords(e)}`);
  }
  let replaceEmpty = false;
  const existing = at.tryOpenat(parentFd, name, at.O_RDONLY | at.O_DIRECTORY | at.O_NOFOLLOW);
  if (existing instanceof at.SysError) {
    if (existing.code !== 'ENOENT') {
      closeSync(parentFd);
      const why = existing.code === 'ELOOP' ? 'is a symbolic link' : existing.code === 'ENOTDIR' ? 'exists and is not a directory' : at.errnoText(existing.errno);
      throw new PlancError('exists', `bundle ${path} ${why}; planc unpacks into a new or empty directory`);
    }
  } else {
    const empty = readdirSync(`/proc/self/fd/${existing}`).length === 0;
    closeSync(existing);
    if (!empty) {
      closeSync(parentFd);
      throw new PlancError('exists', `bundle ${path} exists and is not empty; planc unpacks into a new or empty directory`);
    }
    replaceEmpty = true;
  }
  return { path, parent, name, parentFd, replaceEmpty };
}

export async function unpack(opts: UnpackOptions): Promise<void> {
  const progress = new Progress(opts.quiet ?? false);
  const want = opts.platform ? parsePlatform(opts.platform) : hostPlatform();
  const { layout: layoutArg, ref } = parseImageArg(opts.image);
  const layout = Layout.open(layoutArg);
  const asRoot = process.geteuid?.() === 0;
  const rootless = opts.rootless || isRootless();
  let target: ReturnType<typeof bundleTarget> | undefined;
  let tmpName: string | undefined;
  let tmpFd = -1;
  let rootfsFd = -1;
  let rootfs: Rootfs | undefined;
  const oldMask = process.umask(0);
  const cleanup = () => {
    rootfs?.dropCache();
    if (rootfsFd >= 0) closeSync(rootfsFd);
    if (tmpFd >= 0) closeSync(tmpFd);
    rootfsFd = tmpFd = -1;
    if (target && tmpName) {
      try {
        removeTree(target.parentFd, tmpName);
      } catch {
        // reported by the caller's error; a leftover temp dir has a name that says what it is
      }
      tmpName = undefined;
    }
  };
  const onSignal = (sig: NodeJS.Signals) => {
    cleanup();
    process.kill(process.pid, sig);
  };
  try {
    // Everything about the image is checked before the bundle is touched.
    const sel = selectImage(layout, ref, want, opts.platform !== undefined);
    const layers = sel.manifest.layers.map((d, i) => {
      const c = layerCompression(d.mediaType);
      if (c === undefined) throw new PlancError('unsupported', `layer ${i + 1}/${sel.manifest.layers.length} ${d.digest} has media type ${JSON.stringify(d.mediaType)}, which planc cannot unpack`);
      return { d, c };
    });
    const ids = diffIds(sel.config, layers.length);
    target = bundleTarget(opts.bundle);
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, onSignal);
    try {
      tmpName = basename(mkdtempSync(`${target.parent}/.${target.name.slice(0, 100)}.unpack-`));
    } catch (e) {
      throw new PlancError('system', `make a temporary directory in ${target.parent}: ${errnoWords(e)}`);
    }
    tmpFd = at.openat(target.parentFd, tmpName, at.O_RDONLY | at.O_DIRECTORY | at.O_NOFOLLOW);
    at.mkdirat(tmpFd, 'rootfs', 0o755);
    rootfsFd = at.openat(tmpFd, 'rootfs', at.O_RDONLY | at.O_DIRECTORY | at.O_NOFOLLOW);
    rootfs = new Rootfs(rootfsFd, asRoot);
    const started = Date.now();
    let entries = 0;
    for (const [i, { d, c }] of layers.entries()) {
      const what = `layer ${i + 1}/${layers.length}`;
      rootfs.beginLayer(`${what} ${short(d.digest)}`);
      const r = await applyLayer(layout, d, c, ids[i]!, rootfs, what, progress);
      entries += r.entries;
      progress.line(`${what} ${short(d.digest)}: ${human(d.size)}${c === 'none' ? '' : ` ${c}`}, ${human(r.raw)} tar, ${r.entries} entries`);
    }
    rootfs.finish();
    const users: UserDb = { passwd: readInRoot(rootfsFd, 'etc/passwd', 16 << 20)?.toString('utf8') ?? null, group: readInRoot(rootfsFd, 'etc/group', 16 << 20)?.toString('utf8') ?? null };
    const { spec, notes } = specFromImage(sel, rootless, users);
    writeFileAt(tmpFd, 'config.json', JSON.stringify(spec, null, '\t') + '\n');
    try {
      at.renameat2(target.parentFd, tmpName, target.parentFd, target.name, target.replaceEmpty ? 0 : at.RENAME_NOREPLACE);
    } catch (e) {
      const code = (e as at.SysError).code;
      if (code === 'EEXIST' || code === 'ENOTEMPTY') throw new PlancError('exists', `bundle ${target.path} appeared while unpacking; left it alone`);
      throw new PlancError('system', `rename into ${target.path}: ${(e as Error).message}`);
    }
    tmpName = undefined;
    const n = rootfs.notes;
    if (n.whiteouts > 0) progress.line(`whiteouts applied: ${n.whiteouts}`);
    if (n.devicesSkipped > 0) notes.push(`${n.devicesSkipped} device node${n.devicesSkipped > 1 ? 's were' : ' was'} not made: only root can (the container gets its devices from the runtime)`);
    if (n.ownersLost > 0) notes.push(`not root: ${n.ownersLost} entr${n.ownersLost > 1 ? 'ies' : 'y'} owned by other users in the image belong to uid ${process.geteuid?.()} (a rootless container sees them as root's)`);
    for (const [k, [count, why]] of n.xattrsLost) notes.push(`xattr ${k} not kept on ${count} entr${count > 1 ? 'ies' : 'y'}: ${why}`);
    for (const [k, count] of n.xattrsIgnored) notes.push(`xattr ${k} on ${count} entr${count > 1 ? 'ies' : 'y'} not applied (it describes the host that built the image)`);
    for (const note of notes) progress.note(note);
    const args = (spec.process as { args?: string[] }).args;
    progress.line(`unpacked ${sel.ref !== undefined ? `${layout.path}:${sel.ref}` : layout.path} (${platformText(sel.platform)}, manifest ${short(sel.manifestDesc.digest)}) into ${target.path}: ${entries} entries in ${((Date.now() - started) / 1000).toFixed(1)} s; ${rootless ? 'rootless ' : ''}config.json runs ${JSON.stringify(args)}`);
  } catch (e) {
    progress.clear();
    cleanup();
    if (e instanceof PlancError) throw e;
    if (e instanceof at.SysError) throw new PlancError('system', `unpack into ${target?.path ?? opts.bundle}: ${e.message}`);
    throw e;
  } finally {
    process.umask(oldMask);
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeListener(sig, onSignal);
    cleanup();
    if (target) closeSync(target.parentFd);
    layout.close();
  }
}

