// The system calls Node has no API for: flock (the per-container lock), eventfd (cgroup v1
// OOM notifications for `events`), and memfd_create, fcntl and execve (a
// create hands its plan to the native front by becoming it).
// koffi is loaded on first use, so verbs that only read state never pay
// for it.
import type koffiType from 'koffi';
import { closeSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';

interface Libc {
  koffi: typeof koffiType;
  flock: (fd: number, op: number) => number;
  eventfd: (initval: number, flags: number) => number;
  memfd_create: (name: string, flags: number) => number;
  fcntl: (fd: number, cmd: number, ...args: unknown[]) => number;
  execve: (path: string, argv: (string | null)[], envp: (string | null)[]) => number;
}

let handle: { koffi: typeof koffiType; lib: ReturnType<typeof koffiType.load> } | undefined;

/** koffi and the C library, loaded once for every binding planc makes (these, and cli/image/fsat.ts's). */
export function libcHandle(): { koffi: typeof koffiType; lib: ReturnType<typeof koffiType.load> } {
  if (handle) return handle;
  const koffi = createRequire(import.meta.url)('koffi') as typeof koffiType;
  handle = { koffi, lib: koffi.load('libc.so.6') };
  return handle;
}

let libc: Libc | undefined;

function load(): Libc {
  if (libc) return libc;
  const { koffi, lib } = libcHandle();
  libc = {
    koffi,
    flock: lib.func('int flock(int fd, int op)'),
    eventfd: lib.func('int eventfd(unsigned int initval, int flags)'),
    memfd_create: lib.func('int memfd_create(const char *name, unsigned int flags)'),
    fcntl: lib.func('int fcntl(int fd, int cmd, ...)'),
    execve: lib.func('int execve(const char *path, const char **argv, const char **envp)'),
  };
  return libc;
}

const EINTR = 4;
export const EWOULDBLOCK = 11;
const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;

/** One non-blocking attempt at an exclusive flock: 0, or the errno. */
export function tryLockExclusive(fd: number): number {
  const l = load();
  for (;;) {
    if (l.flock(fd, LOCK_EX | LOCK_NB) === 0) return 0;
    const e = l.koffi.errno();
    if (e !== EINTR) return e;
  }
}

export function unlock(fd: number): void {
  load().flock(fd, LOCK_UN);
}

const F_DUPFD = 0;
const F_SETFD = 2;

/**
 * Replace this process with `path` (execve): the pid stays, Node is gone. Each of `files` goes in a memfd
 * that outlives the exec, at fds from `minFd` on (below it are fds the caller passes on); their numbers are
 * handed to `argv(fds)`. Node marks every low fd close-on-exec when it starts, so the ones that must reach
 * the new program — stdio and `keep` — are cleared first. Returns only on failure: the errno.
 */
export function execWith(path: string, argv: (fds: number[]) => string[], env: Record<string, string | undefined>, files: Uint8Array[], minFd: number, keep: number[]): number {
  const l = load();
  const fds: number[] = [];
  const fail = () => {
    const e = l.koffi.errno();
    for (const fd of fds) closeSync(fd);
    return e;
  };
  for (const data of files) {
    const made = l.memfd_create('planc-apply', 0);
    if (made < 0) return fail();
    const fd = made >= minFd ? made : l.fcntl(made, F_DUPFD, 'int', minFd);
    if (fd !== made) closeSync(made);
    if (fd < 0) return fail();
    fds.push(fd);
    for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off);
  }
  for (const k of [0, 1, 2, ...keep]) l.fcntl(k, F_SETFD, 'int', 0);
  const envp = Object.entries(env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
  l.execve(path, [...argv(fds), null], [...envp, null]);
  return fail();
}

const EFD_CLOEXEC = 0o2000000;
const EFD_NONBLOCK = 0o4000;

/** A non-blocking, close-on-exec eventfd (for cgroup v1 notifications), or throws with the errno. */
export function eventfd(): number {
  const l = load();
  const fd = l.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) throw Object.assign(new Error(`eventfd: errno ${l.koffi.errno()}`), { errno: l.koffi.errno() });
  return fd;
}
