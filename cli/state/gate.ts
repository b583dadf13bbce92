// The one gate between what planc is told (a container id, --root) and the
// state it keeps on disk. An id is checked before any filesystem access. The
// root and each container's directory are opened once, without following a
// symlink, and their owner and mode checked; every later access to a state
// file goes through that directory's fd: /proc/self/fd/N/<name>, which the
// kernel resolves from the open directory exactly as openat(N, name) would,
// with O_NOFOLLOW on the name. No string join can climb out of --root, and
// a state directory planc cannot trust is reported, never destroyed.
import { randomBytes } from 'node:crypto';
import { closeSync, constants as C, fstatSync, lstatSync, openSync, readdirSync, readSync, renameSync, rmdirSync, statfsSync, unlinkSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { PlancError } from '../../schemas/error.js';
import { errnoWords } from '../errno.js';
import { EWOULDBLOCK, tryLockExclusive, unlock } from '../libc.js';
import { sleepMs } from './procfs.js';

export const DEFAULT_ROOT = '/run/planc';

/** runc's id alphabet, but starting with a letter or digit (so no id is ".", ".." or looks like a flag). */
const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/;
/** A directory name: NAME_MAX. */
const ID_MAX = 255;

/** A hostile string shown safely on one line: quoted, escaped, and cut when long. */
export function quote(s: string): string {
  const cut = s.length > 64;
  const q = JSON.stringify(cut ? s.slice(0, 64) : s).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
  return cut ? `${q.slice(0, -1)}…" (${s.length} characters)` : q;
}

/** The id rule, for every verb and flag that names a container (plan/explain --id too). */
export function checkId(id: string | undefined): string {
  if (id === undefined || id === '') throw new PlancError('invalid-argument', 'invalid container id "": it is empty');
  if (id.length > ID_MAX) throw new PlancError('invalid-argument', `invalid container id ${quote(id)}: longer than ${ID_MAX} characters`);
  if (!ID_RE.test(id)) {
    throw new PlancError('invalid-argument', `invalid container id ${quote(id)}: use letters, digits and _ . + - (starting with a letter or digit)`);
  }
  return id;
}

const PROC_SUPER_MAGIC = 0x9fa0;
let procChecked = false;

/** The path through which the kernel resolves `name` relative to the open directory `fd` (as openat would; /proc checked once). */
export function at(fd: number, name?: string): string {
  if (!procChecked) {
    // The fd indirection is only as good as /proc: it must be the kernel's.
    if (statfsSync('/proc/self/fd').type !== PROC_SUPER_MAGIC) throw new PlancError('system', '/proc is not a procfs mount: state directories cannot be opened safely');
    procChecked = true;
  }
  return name === undefined ? `/proc/self/fd/${fd}` : `/proc/self/fd/${fd}/${name}`;
}

function errnoOf(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? '';
}

const DIR_FLAGS = C.O_RDONLY | C.O_DIRECTORY | C.O_NOFOLLOW;

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** A directory planc may keep state in: ours (the effective uid) and writable by nobody else. */
function trusted(fd: number, what: string): void {
  const st = fstatSync(fd);
  const uid = process.geteuid?.() ?? 0;
  if (!st.isDirectory()) throw new PlancError('bad-state', `${what} is not a directory; left alone`);
  if (st.uid !== uid) throw new PlancError('bad-state', `${what} is owned by uid ${st.uid}, not ${uid}; planc does not trust it and left it alone`);
  if ((st.mode & 0o022) !== 0) {
    throw new PlancError('bad-state', `${what} is writable by group or others (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}); planc does not trust it and left it alone`);
  }
}

/** --root, opened and checked. */
export class StateRoot {
  private constructor(
    readonly path: string,
    readonly fd: number,
  ) {}

  /**
   * Open --root; null when it does not exist — there are no containers (a create makes it: the native
   * front's apply, cli/native/gate.c). A symlink as the root itself is refused: state must live where it
   * is said to live.
   */
  static open(flag: string): StateRoot | null {
    if (flag === '' || flag.includes('\0')) throw new PlancError('invalid-argument', `--root ${quote(flag)}: not a usable directory path`);
    const path = resolve(flag);
    const fd = StateRoot.tryOpen(path);
    if (fd === 'ENOENT') return null;
    if (fd === 'ELOOP') throw new PlancError('invalid-argument', `--root ${path}: is a symbolic link; planc keeps state only in a real directory`);
    if (fd === 'ENOTDIR') throw new PlancError('invalid-argument', `--root ${path}: not a directory`);
    if (typeof fd === 'string') throw new PlancError('system', `--root ${path}: ${fd}`);
    try {
      trusted(fd, `--root ${path}`);
    } catch (e) {
      closeSync(fd);
      throw new PlancError('invalid-argument', errnoWords(e));
    }
    return new StateRoot(path, fd);
  }

  private static tryOpen(path: string): number | string {
    try {
      return openSync(path, DIR_FLAGS);
    } catch (e) {
      let code = errnoOf(e);
      // O_DIRECTORY|O_NOFOLLOW on a symlink says ENOTDIR: tell the two apart.
      if (code === 'ENOTDIR' && isSymlink(path)) code = 'ELOOP';
      return code === 'ENOENT' || code === 'ELOOP' || code === 'ENOTDIR' ? code : errnoWords(e);
    }
  }

  /** The ids of the state directories in the root (other entries are not containers). */
  ids(): string[] {
    return readdirSync(at(this.fd)).filter((n) => ID_RE.test(n) && n.length <= ID_MAX).sort();
  }

  close(): void {
    closeSync(this.fd);
  }
}

const LOCK_WAIT_MS = 10_000;

/** One container's state directory, open and checked; its files are reached only through its fd. */
export class ContainerDir {
  private locked = false;

  private constructor(
    readonly root: StateRoot,
    readonly id: string,
    readonly fd: number,
  ) {}

  /** The directory's path, for messages and for what the executor needs by name (the exec fifo). */
  get path(): string {
    return `${this.root.path}/${this.id}`;
  }

  /**
   * Open an existing container's directory: ENOENT is "container does not exist";
   * a symlink, a non-directory or a directory not ours is reported and left alone.
   */
  static open(root: StateRoot, id: string): ContainerDir {
    checkId(id);
    let fd: number;
    try {
      fd = openSync(at(root.fd, id), DIR_FLAGS);
    } catch (e) {
      const code = errnoOf(e);
      if (code === 'ENOENT') throw new PlancError('not-found', 'container does not exist', { where: id });
      if (code === 'ELOOP' || code === 'ENOTDIR') throw new PlancError('bad-state', `state of ${quote(id)} in ${root.path} is not a directory planc made; left alone`);
      throw new PlancError('system', `open state of ${quote(id)}: ${errnoWords(e)}`);
    }
    try {
      trusted(fd, `state directory ${root.path}/${id}`);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    return new ContainerDir(root, id, fd);
  }

  /**
   * Take the container's lock (flock on the directory), waiting up to 10 s for
   * another verb to finish. Held until unlock() or exit; every verb that reads
   * and then changes a container holds it across both.
   */
  lock(): void {
    for (let waited = 0; ; waited += 2) {
      const e = tryLockExclusive(this.fd);
      if (e === 0) break;
      if (e !== EWOULDBLOCK) throw new PlancError('system', `lock container ${quote(this.id)}: errno ${e}`);
      if (waited >= LOCK_WAIT_MS) throw new PlancError('bad-state', 'container is busy: another planc process holds its lock', { where: this.id });
      sleepMs(2);
    }
    this.locked = true;
    // The holder before us may have deleted it: a removed directory has no links.
    if (fstatSync(this.fd).nlink === 0) throw new PlancError('not-found', 'container does not exist', { where: this.id });
  }

  unlock(): void {
    if (this.locked) unlock(this.fd);
    this.locked = false;
  }

  /** Open a file in the directory (never through a symlink). */
  openFile(name: string, flags: number, mode = 0o600): number {
    return openSync(at(this.fd, name), flags | C.O_NOFOLLOW, mode);
  }

  /** The names in the directory (every file planc keeps there: state, plans, audit trails). */
  names(): string[] {
    return readdirSync(at(this.fd));
  }

  has(name: string): boolean {
    try {
      lstatSync(at(this.fd, name));
      return true;
    } catch {
      return false;
    }
  }

  /** A regular file's bytes, or null when it does not exist; at most `max` bytes are accepted. */
  read(name: string, max = 64 << 20): Buffer | null {
    let fd: number;
    try {
      fd = this.openFile(name, C.O_RDONLY | C.O_NONBLOCK);
    } catch (e) {
      if (errnoOf(e) === 'ENOENT') return null;
      if (errnoOf(e) === 'ELOOP') throw new PlancError('bad-state', `${this.path}/${name} is a symbolic link; planc does not follow it`);
      throw new PlancError('system', `read ${this.path}/${name}: ${errnoWords(e)}`);
    }
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) throw new PlancError('bad-state', `${this.path}/${name} is not a regular file`);
      if (st.size > max) throw new PlancError('bad-state', `${this.path}/${name} is larger than ${max} bytes`);
      const buf = Buffer.alloc(st.size);
      let n = 0;
      for (let r; n < buf.length && (r = readSync(fd, buf, n, buf.length - n, null)) > 0; ) n += r;
      return buf.subarray(0, n);
    } finally {
      closeSync(fd);
    }
  }

  /** Replace a file atomically: an O_EXCL temp file written whole, then renamed over the name. */
  write(name: string, data: string | Uint8Array): void {
    const tmp = `.${name}.${randomBytes(6).toString('hex')}.tmp`;
    let fd = -1;
    try {
      fd = this.openFile(tmp, C.O_WRONLY | C.O_CREAT | C.O_EXCL, 0o600);
      const buf = typeof data === 'string' ? Buffer.from(data) : data;
      for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
      closeSync(fd);
      fd = -1;
      renameSync(at(this.fd, tmp), at(this.fd, name));
    } catch (e) {
      if (fd >= 0) closeSync(fd);
      this.unlink(tmp);
      throw new PlancError('system', `write ${this.path}/${name}: ${errnoWords(e)}`);
    }
  }

  unlink(name: string): void {
    try {
      unlinkSync(at(this.fd, name));
    } catch (e) {
      if (errnoOf(e) !== 'ENOENT') throw e;
    }
  }

  /**
   * Remove the directory: its entries (files, the fifo, stray links — never
   * followed), then the directory itself, checking that the name in the root
   * still is the directory we hold.
   */
  remove(): void {
    for (const name of readdirSync(at(this.fd))) {
      if (lstatSync(at(this.fd, name)).isDirectory()) {
        throw new PlancError('bad-state', `${this.path}/${name} is a directory planc did not make; state left in place`);
      }
      this.unlink(name);
    }
    const held = fstatSync(this.fd);
    let named;
    try {
      named = lstatSync(at(this.root.fd, this.id));
    } catch (e) {
      if (errnoOf(e) === 'ENOENT') return;
      throw e;
    }
    if (named.ino !== held.ino || named.dev !== held.dev) throw new PlancError('bad-state', `${this.path} was replaced while planc held it; left alone`);
    rmdirSync(at(this.root.fd, this.id));
  }

  close(): void {
    closeSync(this.fd);
  }
}
