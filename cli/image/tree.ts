// Applying layer entries to a rootfs that nothing else writes to. A layer is
// input from whoever made the image, so no name in it is ever joined into a
// path: each entry is split into components ("..", absolute names and NULs
// refused), every directory on the way is opened from its parent's fd with
// O_NOFOLLOW|O_DIRECTORY (a symlink planted by an earlier layer, or by this
// one, is refused, never followed), and the entry is made as one name in
// its parent's fd with the *at calls of fsat.ts. Existing names are removed
// and made anew (O_EXCL), never written through. Whiteouts (.wh.NAME and
// the opaque .wh..wh..opq) remove what lower layers left, as the OCI layer
// spec says.
import { chmodSync, closeSync, fchmodSync, fchownSync, fstatSync, futimesSync, lstatSync, readdirSync, writeSync } from 'node:fs';
import { PlancError } from '../../schemas/error.js';
import * as at from './fsat.js';
import type { EntrySink, TarEntry } from './tar.js';

const DIR_OPEN = at.O_RDONLY | at.O_DIRECTORY | at.O_NOFOLLOW;
/** Directory fds kept open between entries (most layers write one directory after another). */
const DIR_CACHE_MAX = 1024;
/** xattrs a layer may carry that mean nothing on this host (the build host's SELinux label, NFSv4 ACLs). */
const IGNORED_XATTRS = new Set(['security.selinux', 'system.nfs4_acl']);

/** A binary string (one char per byte) shown as the UTF-8 text it most likely is, quoted. */
export function shown(name: string): string {
  return JSON.stringify(Buffer.from(name, 'latin1').toString('utf8'));
}

/** A path for Node's fs calls: /proc/self/fd/N/<name>, byte for byte. */
function procPath(fd: number, name?: string): Buffer {
  const head = Buffer.from(`/proc/self/fd/${fd}${name === undefined ? '' : '/'}`, 'latin1');
  return name === undefined ? head : Buffer.concat([head, Buffer.from(name, 'latin1')]);
}

/**
 * An entry name as path components inside the rootfs: "./" prefixes, "." and
 * empty components and trailing slashes dropped; [] is the rootfs itself.
 * Absolute names, ".." and NUL bytes are refused — a layer that needs them
 * is trying to write outside the rootfs.
 */
export function splitName(name: string, what = ''): string[] {
  const subject = what ? `${what} ${shown(name)} ` : '';
  if (name.includes('\0')) throw new PlancError('invalid-argument', `${subject}contains a NUL byte`);
  if (name.startsWith('/')) throw new PlancError('invalid-argument', `${subject}is absolute; a layer names files relative to its root, and planc does not write outside the rootfs`);
  const out: string[] = [];
  for (const c of name.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') throw new PlancError('invalid-argument', `${subject}climbs out with ".."; planc does not write outside the rootfs`);
    out.push(c);
  }
  return out;
}

export interface UnpackNotes {
  /** Device nodes not made (only root can mknod them; a rootless container bind-mounts its devices). */
  devicesSkipped: number;
  /** Entries owned by someone else than root in the image whose owner could not be kept (not root). */
  ownersLost: number;
  /** xattr name → [count, why] for those that could not be set. */
  xattrsLost: Map<string, [number, string]>;
  /** xattrs deliberately not applied. */
  xattrsIgnored: Map<string, number>;
  /** Whiteouts applied (files and opaque directories). */
  whiteouts: number;
}

interface DirMeta {
  mtime: number;
  /** Set when the final mode must wait until the end (not root: a directory we still write into). */
  mode?: number;
}

export class Rootfs {
  private dirs = new Map<string, number>();
  /** Paths this layer made or changed: whiteouts only hide what lower layers left. */
  private touched = new Set<string>();
  private dirMeta = new Map<string, DirMeta>();
  private label = '';
  private name = '';
  readonly notes: UnpackNotes = { devicesSkipped: 0, ownersLost: 0, xattrsLost: new Map(), xattrsIgnored: new Map(), whiteouts: 0 };

  /**
   * @param fd the rootfs directory, opened by the caller (it stays the caller's to close)
   * @param asRoot owners are applied and device nodes made (effective uid 0)
   */
  constructor(
    readonly fd: number,
    readonly asRoot: boolean,
  ) {}

  /** A new layer: its label prefixes every error; whiteouts in it see only what came before it. */
  beginLayer(label: string): void {
    this.label = label;
    this.touched.clear();
  }

  private fail(msg: string, code: 'invalid-argument' | 'system' = 'invalid-argument'): PlancError {
    return new PlancError(code, `${this.label}: entry ${shown(this.name)}: ${msg}`);
  }

  private sysFail(e: unknown, what: string): PlancError {
    if (e instanceof PlancError) return e;
    const words = e instanceof at.SysError ? at.errnoText(e.errno) : (e as Error).message;
    return this.fail(`${what}: ${words}`, 'system');
  }

  /** Apply one entry; file data goes to the returned sink. */
  entry(e: TarEntry): EntrySink | null {
    this.name = e.name;
    if (this.dirs.size > DIR_CACHE_MAX) this.dropCache();
    let comps: string[];
    try {
      comps = splitName(e.name);
    } catch (err) {
      throw this.fail((err as PlancError).message);
    }
    const leaf = comps[comps.length - 1];
    if (leaf !== undefined && leaf.startsWith('.wh.')) {
      this.whiteout(comps);
      return null;
    }
    if (comps.length === 0) {
      if (e.type !== 'dir') throw this.fail('names the rootfs itself but is not a directory');
      this.dirMetadata(this.fd, '', e);
      return null;
    }
    const rel = comps.join('/');
    const parent = this.dir(comps, comps.length - 1, true)!;
    this.touched.add(rel);
    if (!this.asRoot && (e.uid !== 0 || e.gid !== 0) && e.type !== 'hardlink') this.notes.ownersLost++;
    try {
      switch (e.type) {
        case 'file':
          return this.file(parent, leaf!, rel, e);
        case 'dir':
          this.mkdir(parent, leaf!, rel, e);
          return null;
        case 'symlink':
          this.symlink(parent, leaf!, rel, e);
          return null;
        case 'hardlink':
          this.hardlink(parent, leaf!, rel, e);
          return null;
        case 'char':
        case 'block':
        case 'fifo':
          this.node(parent, leaf!, rel, e);
          return null;
      }
    } catch (err) {
      throw this.sysFail(err, `create ${e.type === 'file' ? 'file' : e.type === 'dir' ? 'directory' : e.type}`);
    }
  }

  /** Set the directories' final modes and times, deepest first (a parent's mtime changes while its children are made). */
  finish(): void {
    const order = [...this.dirMeta.keys()].sort((a, b) => depth(b) - depth(a));
    for (const rel of order) {
      const meta = this.dirMeta.get(rel)!;
      const fd = rel === '' ? this.fd : this.dir(rel.split('/'), rel.split('/').length, false);
      if (fd === null) continue; // removed by a later whiteout
      if (meta.mode !== undefined) fchmodSync(fd, meta.mode);
      futimesSync(fd, meta.mtime, meta.mtime);
    }
    this.dropCache();
  }

  /** Close every cached directory fd (not the rootfs itself). */
  dropCache(): void {
    for (const fd of this.dirs.values()) closeSync(fd);
    this.dirs.clear();
  }

  // -------------------------------------------------------------------------

  /**
   * The directory made of the first `upto` components, opened component by
   * component without following symlinks. Missing directories are made (0755,
   * as the tar tools do for a parent a layer does not list) when `create`,
   * else null. A symlink or a non-directory on the way is an error.
   */
  private dir(comps: string[], upto: number, create: boolean, notDirIsMissing = false): number | null {
    if (upto === 0) return this.fd;
    const full = upto === comps.length ? comps.join('/') : comps.slice(0, upto).join('/');
    const hit = this.dirs.get(full);
    if (hit !== undefined) return hit;
    let fd = this.fd;
    let key = '';
    for (let i = 0; i < upto; i++) {
      const name = comps[i]!;
      key = i === 0 ? name : `${key}/${name}`;
      const cached = this.dirs.get(key);
      if (cached !== undefined) {
        fd = cached;
        continue;
      }
      let r = at.tryOpenat(fd, name, DIR_OPEN);
      if (r instanceof at.SysError && r.code === 'ENOENT' && create) {
        try {
          at.mkdirat(fd, name, 0o755);
        } catch (e) {
          throw this.sysFail(e, `make parent directory ${shown(key)}`);
        }
        this.touched.add(key);
        r = at.tryOpenat(fd, name, DIR_OPEN);
      }
      if (r instanceof at.SysError) {
        if (r.code === 'ENOENT') return null;
        if (r.code === 'ELOOP' || r.code === 'ENOTDIR') {
          const err = this.notADir(fd, name, key);
          // A file where a whiteout's directory would be: nothing below it to hide. A symlink is never looked through.
          if (notDirIsMissing && !/symbolic link/.test(err.message)) return null;
          throw err;
        }
        throw this.sysFail(r, `open directory ${shown(key)}`);
      }
      this.dirs.set(key, r);
      fd = r;
    }
    return fd;
  }

  private notADir(parent: number, name: string, key: string): PlancError {
    let st;
    try {
      st = lstatSync(procPath(parent, name));
    } catch {
      return this.fail(`${shown(key)} is not a directory`);
    }
    if (st.isSymbolicLink()) {
      let target = '';
      try {
        target = at.readlinkat(parent, name);
      } catch {
        // shown without its target
      }
      return this.fail(`${shown(key)} is a symbolic link${target ? ` (to ${shown(target)})` : ''}; planc does not write through links a layer made`);
    }
    return this.fail(`${shown(key)} is not a directory`);
  }

  /** Forget cached fds of `rel` and everything below it (it is being removed or replaced). */
  private forget(rel: string): void {
    const prefix = rel + '/';
    for (const [k, fd] of this.dirs) {
      if (k === rel || k.startsWith(prefix)) {
        closeSync(fd);
        this.dirs.delete(k);
      }
    }
    for (const k of this.dirMeta.keys()) if (k === rel || k.startsWith(prefix)) this.dirMeta.delete(k);
  }

  /** Remove whatever is at `name` in `parent` (a directory with all it holds); false when nothing was there. */
  private remove(parent: number, name: string, rel: string): boolean {
    try {
      at.unlinkat(parent, name);
      return true;
    } catch (e) {
      const code = (e as at.SysError).code;
      if (code === 'ENOENT') return false;
      if (code !== 'EISDIR') throw e;
    }
    this.forget(rel);
    removeTree(parent, name);
    return true;
  }

  /** Run `make`; if the name is taken, remove what is there and run it once more. */
  private replacing<T>(parent: number, name: string, rel: string, make: () => T): T {
    try {
      return make();
    } catch (e) {
      if ((e as at.SysError).code !== 'EEXIST') throw e;
    }
    this.remove(parent, name, rel);
    return make();
  }

  private file(parent: number, name: string, rel: string, e: TarEntry): EntrySink {
    const fd = this.replacing(parent, name, rel, () => at.openat(parent, name, at.O_WRONLY | at.O_CREAT | at.O_EXCL | at.O_NOFOLLOW, e.mode & 0o777));
    return {
      write: (data) => {
        try {
          for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off);
        } catch (err) {
          closeSync(fd);
          throw this.sysFail(err, 'write');
        }
      },
      end: () => {
        try {
          if (this.asRoot) fchownSync(fd, e.uid, e.gid);
          // Created with the permission bits already (umask 0); chown cleared set-id bits, so those come after it.
          if (e.mode & 0o7000) fchmodSync(fd, e.mode);
          this.xattrs(e, (k, v) => at.fsetxattr(fd, k, v));
          futimesSync(fd, e.mtime, e.mtime);
        } catch (err) {
          throw this.sysFail(err, 'set owner, mode or time');
        } finally {
          closeSync(fd);
        }
      },
    };
  }

  private mkdir(parent: number, name: string, rel: string, e: TarEntry): void {
    try {
      at.mkdirat(parent, name, 0o700);
    } catch (err) {
      if ((err as at.SysError).code !== 'EEXIST') throw err;
      // An existing directory stays (with what lower layers put in it); anything else is replaced.
      if (!lstatSync(procPath(parent, name)).isDirectory()) {
        this.remove(parent, name, rel);
        at.mkdirat(parent, name, 0o700);
      }
    }
    const fd = this.dir(rel.split('/'), rel.split('/').length, false);
    if (fd === null) throw this.fail('directory vanished while being made', 'system');
    this.dirMetadata(fd, rel, e);
  }

  private dirMetadata(fd: number, rel: string, e: TarEntry): void {
    if (this.asRoot) fchownSync(fd, e.uid, e.gid);
    // Not root: keep our own rwx until the end, or we could not fill it (or remove from it).
    const later = !this.asRoot && (e.mode & 0o700) !== 0o700;
    fchmodSync(fd, later ? e.mode | 0o700 : e.mode);
    this.xattrs(e, (k, v) => at.fsetxattr(fd, k, v));
    this.dirMeta.set(rel, later ? { mtime: e.mtime, mode: e.mode } : { mtime: e.mtime });
  }

  private symlink(parent: number, name: string, rel: string, e: TarEntry): void {
    if (e.linkname === '') throw this.fail('a symbolic link with an empty target');
    this.replacing(parent, name, rel, () => at.symlinkat(e.linkname, parent, name));
    if (this.asRoot) at.lchownat(parent, name, e.uid, e.gid);
    this.xattrs(e, (k, v) => at.lsetxattrat(parent, name, k, v));
    at.lutimesat(parent, name, e.mtime);
  }

  private hardlink(parent: number, name: string, rel: string, e: TarEntry): void {
    let target: string[];
    try {
      target = splitName(e.linkname, 'hard link target');
    } catch (err) {
      throw this.fail((err as PlancError).message);
    }
    if (target.length === 0) throw this.fail('a hard link to the rootfs itself');
    if (target.join('/') === rel) return; // a link to itself: nothing to do
    const tparent = this.dir(target, target.length - 1, false);
    const tname = target[target.length - 1]!;
    if (tparent === null) throw this.fail(`hard link target ${shown(e.linkname)} is not in the rootfs`);
    try {
      this.replacing(parent, name, rel, () => at.linkat(tparent, tname, parent, name));
    } catch (err) {
      const code = (err as at.SysError).code;
      if (code === 'ENOENT') throw this.fail(`hard link target ${shown(e.linkname)} is not in the rootfs`);
      if (code === 'EPERM' && lstatSync(procPath(tparent, tname)).isDirectory()) throw this.fail(`hard link to a directory (${shown(e.linkname)})`);
      throw err;
    }
  }

  private node(parent: number, name: string, rel: string, e: TarEntry): void {
    if (e.type !== 'fifo' && !this.asRoot) {
      this.notes.devicesSkipped++;
      this.touched.delete(rel);
      return;
    }
    const kind = e.type === 'char' ? at.S_IFCHR : e.type === 'block' ? at.S_IFBLK : at.S_IFIFO;
    const dev = e.type === 'fifo' ? 0n : at.makedev(e.devmajor, e.devminor);
    this.replacing(parent, name, rel, () => at.mknodat(parent, name, kind | (e.mode & 0o777), dev));
    if (this.asRoot) at.lchownat(parent, name, e.uid, e.gid);
    at.lutimesat(parent, name, e.mtime);
  }

  private xattrs(e: TarEntry, set: (name: string, value: Buffer) => void): void {
    for (const [k, v] of e.xattrs) {
      if (IGNORED_XATTRS.has(k)) {
        this.notes.xattrsIgnored.set(k, (this.notes.xattrsIgnored.get(k) ?? 0) + 1);
        continue;
      }
      try {
        set(k, v);
      } catch (err) {
        if (!(err instanceof at.SysError)) throw err;
        // Not permitted (not root, or a symlink's user.*) or not supported by this filesystem: reported, not fatal.
        if (!['EPERM', 'EACCES', 'ENOTSUP', 'EOPNOTSUPP'].includes(err.code)) throw err;
        const seen = this.notes.xattrsLost.get(k);
        this.notes.xattrsLost.set(k, [(seen?.[0] ?? 0) + 1, at.errnoText(err.errno)]);
      }
    }
  }

  // -------------------------------------------------------------------------
  // Whiteouts

  private whiteout(comps: string[]): void {
    const leaf = comps[comps.length - 1]!;
    const dirRel = comps.slice(0, -1).join('/');
    const parent = this.dir(comps, comps.length - 1, false, true);
    if (leaf === '.wh..wh..opq') {
      this.notes.whiteouts++;
      if (parent !== null) this.pruneUntouched(parent, dirRel);
      return;
    }
    if (leaf.startsWith('.wh..wh.')) return; // aufs bookkeeping (.wh..wh.plnk and the like), never content
    const target = leaf.slice(4);
    if (target === '' || target === '.' || target === '..') throw this.fail('a whiteout that names no file');
    this.notes.whiteouts++;
    const rel = dirRel ? `${dirRel}/${target}` : target;
    if (parent === null || this.touched.has(rel)) return; // nothing below it, or this layer's own file
    try {
      this.remove(parent, target, rel);
    } catch (e) {
      throw this.sysFail(e, `remove ${shown(rel)}`);
    }
  }

  /** Opaque directory: everything lower layers put below it goes; what this layer made stays. */
  private pruneUntouched(fd: number, rel: string): void {
    for (const child of readdirSync(procPath(fd), { encoding: 'buffer' })) {
      const name = child.toString('latin1');
      const crel = rel ? `${rel}/${name}` : name;
      try {
        if (!this.touched.has(crel)) this.remove(fd, name, crel);
        else if (lstatSync(procPath(fd, name)).isDirectory()) {
          const sub = this.dir(crel.split('/'), crel.split('/').length, false);
          if (sub !== null) this.pruneUntouched(sub, crel);
        }
      } catch (e) {
        throw this.sysFail(e, `remove ${shown(crel)}`);
      }
    }
  }
}

function depth(rel: string): number {
  if (rel === '') return 0;
  let n = 1;
  for (let i = 0; i < rel.length; i++) if (rel.charCodeAt(i) === 47) n++;
  return n;
}

/**
 * Remove a directory and all it holds, by fd: what it holds is never reached
 * through a path, so a symlink inside it is removed, not followed. Not root, a
 * directory whose final mode kept us out is opened up first (it is ours).
 */
export function removeTree(parent: number, name: string): void {
  let fd = at.tryOpenat(parent, name, DIR_OPEN);
  if (fd instanceof at.SysError && fd.code === 'EACCES') {
    chmodSync(procPath(parent, name), 0o700);
    fd = at.tryOpenat(parent, name, DIR_OPEN);
  }
  if (fd instanceof at.SysError) throw fd;
  try {
    if (process.geteuid?.() !== 0 && (fstatSync(fd).mode & 0o700) !== 0o700) fchmodSync(fd, 0o700);
    for (const child of readdirSync(procPath(fd), { encoding: 'buffer' })) {
      const c = child.toString('latin1');
      try {
        at.unlinkat(fd, c);
      } catch (e) {
        if ((e as at.SysError).code !== 'EISDIR') throw e;
        removeTree(fd, c);
      }
    }
  } finally {
    closeSync(fd);
  }
  at.unlinkat(parent, name, at.AT_REMOVEDIR);
}
