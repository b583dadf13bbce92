// --preserve-fds N hands fds 3 … 3+N-1 to the container, and only fds the
// caller really passed may go. Node opens fds of its own before planc's code
// runs — its event loops' epoll, eventfd and io_uring fds, and pipes whose
// both ends it keeps — at the lowest free numbers, so when the caller passed
// fewer than N they sit exactly there. (Node also marks every low fd
// close-on-exec at start, so that flag tells nothing.) An fd is refused when
// it is closed, an anonymous-inode fd, or one end of a pipe whose other end
// this process holds too; every fd Node opens at start is one of these.
// planc's own files (state, audit) are opened after this check, so they can
// only land above the preserved range.
import { readdirSync, readlinkSync } from 'node:fs';
import { PlancError } from '../schemas/error.js';

function link(fd: number | string): string | null {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return null;
  }
}

/** More than any process may hold here (RLIMIT_NOFILE's hard limit is far lower). */
const MAX_PRESERVED = 1 << 20;

export function checkPreservedFds(n: number): void {
  if (n === 0) return;
  if (!Number.isSafeInteger(n) || n > MAX_PRESERVED) throw new PlancError('invalid-argument', `--preserve-fds ${n}: more fds than a process can have`);
  const open = new Map<number, string>();
  for (const name of readdirSync('/proc/self/fd')) {
    const target = link(name);
    if (target !== null) open.set(Number(name), target);
  }
  for (let fd = 3; fd < 3 + n; fd++) {
    const target = open.get(fd);
    const refuse = (why: string) => new PlancError('invalid-argument', `--preserve-fds ${n}: fd ${fd} ${why}`);
    if (target === undefined) throw refuse('is not open; the caller passed fewer fds');
    if (target.startsWith('anon_inode:')) throw refuse(`is ${target}, one of Node's own fds, not one the caller passed`);
    if (target.startsWith('pipe:') && [...open].some(([other, t]) => other !== fd && t === target)) {
      throw refuse("is a pipe whose other end planc holds too: one of Node's own fds, not one the caller passed");
    }
  }
}
