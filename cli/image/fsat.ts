// Filesystem calls relative to an open directory: openat, mkdirat, symlinkat,
// linkat, unlinkat, mknodat, fchownat, utimensat, renameat2 and the xattr
// calls, bound with koffi (Node has none of them). Image unpacking writes
// every entry as one name inside a directory fd it opened itself, never
// through a path string, so a name from a layer cannot climb out of the
// rootfs or be redirected through a symlink (see cli/image/tree.ts).
//
// Names are "binary strings": one char per byte (latin1), so a layer's file
// names reach the kernel byte for byte, valid UTF-8 or not.
import type koffiType from 'koffi';
import { constants as OS } from 'node:os';
import { libcHandle } from '../libc.js';

interface Fns {
  koffi: typeof koffiType;
  openat: (dirfd: number, path: string | Buffer, flags: number, mode: number) => number;
  mkdirat: (dirfd: number, path: string | Buffer, mode: number) => number;
  symlinkat: (target: string | Buffer, dirfd: number, path: string | Buffer) => number;
  linkat: (olddirfd: number, oldpath: string | Buffer, newdirfd: number, newpath: string | Buffer, flags: number) => number;
  unlinkat: (dirfd: number, path: string | Buffer, flags: number) => number;
  mknodat: (dirfd: number, path: string | Buffer, mode: number, dev: bigint) => number;
  fchownat: (dirfd: number, path: string | Buffer, uid: number, gid: number, flags: number) => number;
  utimensat: (dirfd: number, path: string | Buffer, times: BigInt64Array, flags: number) => number;
  renameat2: (olddirfd: number, oldpath: string | Buffer, newdirfd: number, newpath: string | Buffer, flags: number) => number;
  fsetxattr: (fd: number, name: string, value: Buffer, size: number, flags: number) => number;
  lsetxattr: (path: string | Buffer, name: string, value: Buffer, size: number, flags: number) => number;
  llistxattr: (path: string | Buffer, list: Buffer | null, size: number) => number;
  lgetxattr: (path: string | Buffer, name: string | Buffer, value: Buffer | null, size: number) => number;
  readlinkat: (dirfd: number, path: string | Buffer, buf: Buffer, size: number) => number;
}

let fns: Fns | undefined;

function load(): Fns {
  if (fns) return fns;
  const { koffi, lib } = libcHandle();
  fns = {
    koffi,
    openat: lib.func('int openat(int dirfd, const char *path, int flags, uint32_t mode)'),
    mkdirat: lib.func('int mkdirat(int dirfd, const char *path, uint32_t mode)'),
    symlinkat: lib.func('int symlinkat(const char *target, int dirfd, const char *path)'),
    linkat: lib.func('int linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags)'),
    unlinkat: lib.func('int unlinkat(int dirfd, const char *path, int flags)'),
    mknodat: lib.func('int mknodat(int dirfd, const char *path, uint32_t mode, uint64_t dev)'),
    fchownat: lib.func('int fchownat(int dirfd, const char *path, uint32_t uid, uint32_t gid, int flags)'),
    utimensat: lib.func('int utimensat(int dirfd, const char *path, const int64_t *times, int flags)'),
    renameat2: lib.func('int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags)'),
    fsetxattr: lib.func('int fsetxattr(int fd, const char *name, const void *value, size_t size, int flags)'),
    lsetxattr: lib.func('int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)'),
    llistxattr: lib.func('intptr_t llistxattr(const char *path, _Out_ uint8_t *list, size_t size)'),
    lgetxattr: lib.func('intptr_t lgetxattr(const char *path, const char *name, _Out_ uint8_t *value, size_t size)'),
    readlinkat: lib.func('intptr_t readlinkat(int dirfd, const char *path, _Out_ uint8_t *buf, size_t size)'),
  };
  return fns;
}

export const O_RDONLY = 0;
export const O_WRONLY = 1;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_NOFOLLOW = 0o400000;
export const O_DIRECTORY = 0o200000;
export const O_CLOEXEC = 0o2000000;
export const O_PATH = 0o10000000;
export const O_NONBLOCK = 0o4000;
export const AT_SYMLINK_NOFOLLOW = 0x100;
export const AT_REMOVEDIR = 0x200;
export const RENAME_NOREPLACE = 1;
/** utimensat: leave this time as it is. */
const UTIME_OMIT = (1n << 30n) - 2n;

export const S_IFMT = 0o170000;
export const S_IFREG = 0o100000;
export const S_IFDIR = 0o040000;
export const S_IFLNK = 0o120000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;

const ERRNO_NAME = new Map<number, string>(Object.entries(OS.errno).map(([k, v]) => [v, k]));

/** A failed call: its errno as a number and Node's name for it (ENOENT, ELOOP, …). */
export class SysError extends Error {
  constructor(
    readonly errno: number,
    readonly call: string,
  ) {
    super(`${call}: ${errnoText(errno)}`);
  }
  get code(): string {
    return ERRNO_NAME.get(this.errno) ?? `errno ${this.errno}`;
  }
}

const WORDS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EEXIST: 'file exists',
  ELOOP: 'too many levels of symbolic links',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  EPERM: 'operation not permitted',
  EACCES: 'permission denied',
  ENOSPC: 'no space left on device',
  ENOTEMPTY: 'directory not empty',
  EXDEV: 'invalid cross-device link',
  EMLINK: 'too many links',
  ENAMETOOLONG: 'file name too long',
  EINVAL: 'invalid argument',
  EOPNOTSUPP: 'operation not supported',
  ENOTSUP: 'operation not supported',
  EROFS: 'read-only file system',
  EDQUOT: 'disk quota exceeded',
};

export function errnoText(errno: number): string {
  const name = ERRNO_NAME.get(errno);
  return (name && WORDS[name]) ?? name ?? `errno ${errno}`;
}

// A binary string that is plain ASCII goes to koffi as is (it encodes strings
// as UTF-8, which for ASCII is the same bytes); anything else as its bytes.
// eslint-disable-next-line no-control-regex
const ASCII = /^[\x01-\x7f]*$/;
function c(name: string): string | Buffer {
  if (ASCII.test(name)) return name;
  const b = Buffer.alloc(name.length + 1);
  b.write(name, 'latin1');
  return b;
}

function check(rc: number | bigint, call: string): number {
  if (rc === -1 || rc === -1n) throw new SysError(load().koffi.errno(), call);
  return Number(rc);
}

export function openat(dirfd: number, name: string, flags: number, mode = 0): number {
  return check(load().openat(dirfd, c(name), flags | O_CLOEXEC, mode), 'openat');
}

/** openat that returns the errno instead of throwing (for expected misses). */
export function tryOpenat(dirfd: number, name: string, flags: number, mode = 0): number | SysError {
  const f = load();
  const fd = f.openat(dirfd, c(name), flags | O_CLOEXEC, mode);
  return fd >= 0 ? fd : new SysError(f.koffi.errno(), 'openat');
}

export function mkdirat(dirfd: number, name: string, mode: number): void {
  check(load().mkdirat(dirfd, c(name), mode), 'mkdirat');
}

export function symlinkat(target: string, dirfd: number, name: string): void {
  check(load().symlinkat(c(target), dirfd, c(name)), 'symlinkat');
}

/** A hard link; never follows a symlink at the old name (linkat without AT_SYMLINK_FOLLOW). */
export function linkat(olddirfd: number, oldname: string, newdirfd: number, newname: string): void {
  check(load().linkat(olddirfd, c(oldname), newdirfd, c(newname), 0), 'linkat');
}

export function unlinkat(dirfd: number, name: string, flags = 0): void {
  check(load().unlinkat(dirfd, c(name), flags), 'unlinkat');
}

/** glibc's makedev: the 64-bit dev_t of Linux. */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}

export function mknodat(dirfd: number, name: string, mode: number, dev: bigint): void {
  check(load().mknodat(dirfd, c(name), mode, dev), 'mknodat');
}

/** chown of the name itself (a symlink is not followed). */
export function lchownat(dirfd: number, name: string, uid: number, gid: number): void {
  check(load().fchownat(dirfd, c(name), uid, gid, AT_SYMLINK_NOFOLLOW), 'fchownat');
}

/** Set the modification time (atime too, to the same value) of the name itself; seconds with fraction. */
export function lutimesat(dirfd: number, name: string, mtime: number): void {
  const sec = Math.floor(mtime);
  const nsec = Math.round((mtime - sec) * 1e9);
  const t = new BigInt64Array([BigInt(sec), BigInt(nsec), BigInt(sec), BigInt(nsec)]);
  check(load().utimensat(dirfd, c(name), t, AT_SYMLINK_NOFOLLOW), 'utimensat');
}

/** The same on an open fd (utimensat with a NULL path is futimens). */
export function futimens(fd: number, mtime: number): void {
  const sec = Math.floor(mtime);
  const nsec = Math.round((mtime - sec) * 1e9);
  const t = new BigInt64Array([BigInt(sec), BigInt(nsec), BigInt(sec), BigInt(nsec)]);
  check(load().utimensat(fd, null as unknown as string, t, 0), 'futimens');
}

export { UTIME_OMIT };

export function renameat2(olddirfd: number, oldname: string, newdirfd: number, newname: string, flags: number): void {
  check(load().renameat2(olddirfd, c(oldname), newdirfd, c(newname), flags), 'renameat2');
}

export function fsetxattr(fd: number, name: string, value: Buffer): void {
  check(load().fsetxattr(fd, name, value, value.length, 0), 'fsetxattr');
}

/** setxattr on a symlink itself, named through its directory's fd. */
export function lsetxattrat(dirfd: number, name: string, attr: string, value: Buffer): void {
  check(load().lsetxattr(c(`/proc/self/fd/${dirfd}/${name}`), attr, value, value.length, 0), 'lsetxattr');
}

/** Every xattr of the name itself (not followed): name → value. Empty when the filesystem has none. */
export function lgetxattrsat(dirfd: number, name: string): Map<string, Buffer> {
  const f = load();
  const path = c(`/proc/self/fd/${dirfd}/${name}`);
  const out = new Map<string, Buffer>();
  const size = Number(f.llistxattr(path, null, 0));
  if (size <= 0) return out;
  const list = Buffer.alloc(size);
  const n = check(f.llistxattr(path, list, size), 'llistxattr');
  for (const attr of list.subarray(0, n).toString('latin1').split('\0').filter(Boolean)) {
    const len = Number(f.lgetxattr(path, c(attr), null, 0));
    if (len < 0) continue; // removed meanwhile
    const value = Buffer.alloc(len);
    const got = Number(f.lgetxattr(path, c(attr), value, len));
    if (got >= 0) out.set(attr, value.subarray(0, got));
  }
  return out;
}

/** A symlink's target, as a binary string. */
export function readlinkat(dirfd: number, name: string): string {
  const buf = Buffer.alloc(4097);
  const n = check(load().readlinkat(dirfd, c(name), buf, buf.length), 'readlinkat');
  return buf.subarray(0, n).toString('latin1');
}
