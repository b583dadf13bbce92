// The few system calls Node has no API for, through koffi. Loaded lazily:
// verbs that only read state never pay for loading the FFI.
import koffi from 'koffi';

const libc = koffi.load('libc.so.6');

const waitpidFn = libc.func('int waitpid(int pid, _Out_ int *status, int options)');
const flockFn = libc.func('int flock(int fd, int op)');
const prctlFn = libc.func('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)');

const LOCK_EX = 2;
const PR_SET_CHILD_SUBREAPER = 36;

/** How a process ended, in shell terms: its exit code, or 128 + the signal that killed it. */
function exitCodeOf(status: number): number {
  const sig = status & 0x7f;
  return sig === 0 ? (status >> 8) & 0xff : 128 + sig;
}

/** Wait for a child (the container init is planc's child through CLONE_PARENT) without blocking the event loop. */
export function waitExit(pid: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const status = [0];
    const again = () =>
      waitpidFn.async(pid, status, 0, (err: unknown, r: number) => {
        if (err) return reject(err);
        if (r === -1) {
          if (koffi.errno() === 4 /* EINTR */) return again();
          return reject(new Error(`waitpid ${pid}: errno ${koffi.errno()}`));
        }
        resolve(exitCodeOf(status[0]!));
      });
    again();
  });
}

/** Reap a child that was just killed (error paths). */
export function reapSync(pid: number): void {
  const status = [0];
  while (waitpidFn(pid, status, 0) === -1 && koffi.errno() === 4);
}

/** An exclusive lock on an open file, released when the process exits. */
export function lockFd(fd: number): void {
  if (flockFn(fd, LOCK_EX) !== 0) throw new Error(`flock: errno ${koffi.errno()}`);
}

export function becomeSubreaper(): void {
  prctlFn(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}
