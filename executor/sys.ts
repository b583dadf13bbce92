// The one system call Node has no API for: waitpid on a process Node did not
// spawn itself (the init is planc's child through CLONE_PARENT). Only the
// failure path of create needs it, so koffi is loaded only there.
import koffi from 'koffi';

const libc = koffi.load('libc.so.6');
const waitpidFn = libc.func('int waitpid(int pid, _Out_ int *status, int options)');

/** Reap a child that was just killed, so no zombie outlives the failed create. */
export function reapSync(pid: number): void {
  const status = [0];
  while (waitpidFn(pid, status, 0) === -1 && koffi.errno() === 4 /* EINTR */);
}
