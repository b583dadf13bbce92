// The system calls Node has no API for: flock (the per-container lock),
// renameat2 without replace (claiming an id atomically), waitpid on a
// process Node did not spawn (the init is planc's child through
// CLONE_PARENT) and eventfd (cgroup v1 OOM notifications for `events`).
// koffi is loaded on first use, so verbs that only read state never pay
// for it.
import type koffiType from 'koffi';
import { createRequire } from 'node:module';

interface Libc {
  koffi: typeof koffiType;
  flock: (fd: number, op: number) => number;
  renameat2: (olddirfd: number, oldpath: string, newdirfd: number, newpath: string, flags: number) => number;
  waitpid: (pid: number, status: number[], options: number) => number;
  eventfd: (initval: number, flags: number) => number;
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
    renameat2: lib.func('int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags)'),
    waitpid: lib.func('int waitpid(int pid, _Out_ int *status, int options)'),
    eventfd: lib.func('int eventfd(unsigned int initval, int flags)'),
  };
  return libc;
}

const EINTR = 4;
export const EWOULDBLOCK = 11;
export const EEXIST = 17;
const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;
const RENAME_NOREPLACE = 1;

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

/** rename(2) that fails with EEXIST instead of replacing: 0, or the errno. */
export function renameNoReplace(dirfd: number, from: string, to: string): number {
  const l = load();
  return l.renameat2(dirfd, from, dirfd, to, RENAME_NOREPLACE) === 0 ? 0 : l.koffi.errno();
}

/** Reap a child that was just killed, so no zombie outlives a failed create. */
export function reapSync(pid: number): void {
  const l = load();
  const status = [0];
  while (l.waitpid(pid, status, 0) === -1 && l.koffi.errno() === EINTR);
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
