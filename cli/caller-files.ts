// Files planc writes for its caller: --pid-file, plan -o, spec's config.json,
// and the append-only --log and --audit-log. A path the caller gives may sit
// in a directory others can write to, so nothing here follows a symlink at
// the last component or writes through a name someone could have planted:
// whole files are written to an O_EXCL|O_NOFOLLOW temp file with an
// unguessable name and renamed (or linked) into place; logs are opened
// O_APPEND|O_NOFOLLOW and must be regular files (or character devices).
import { randomBytes } from 'node:crypto';
import { closeSync, constants as C, fstatSync, linkSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { PlancError } from '../schemas/error.js';
import { errnoWords } from './errno.js';

function failure(what: string, path: string, e: unknown): PlancError {
  const code = (e as NodeJS.ErrnoException).code;
  const why = code === 'ELOOP' ? 'it is a symbolic link; planc does not write through one' : code === 'EEXIST' ? 'it exists already' : errnoWords(e);
  return new PlancError('invalid-argument', `${what} ${path}: ${why}`);
}

function writeAll(fd: number, data: string | Uint8Array): void {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
}

/**
 * Write a whole file for the caller. `exclusive`: fail if the name exists
 * (spec never replaces a config.json); otherwise replace it atomically.
 */
export function writeCallerFile(what: string, file: string, data: string | Uint8Array, opts: { mode?: number; exclusive?: boolean } = {}): void {
  const path = resolve(file);
  const tmp = `${dirname(path)}/.${basename(path).slice(0, 200)}.${randomBytes(8).toString('hex')}.tmp`;
  let fd: number;
  try {
    fd = openSync(tmp, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, opts.mode ?? 0o644);
  } catch (e) {
    throw failure(what, path, e);
  }
  try {
    writeAll(fd, data);
    closeSync(fd);
    if (opts.exclusive) {
      linkSync(tmp, path); // EEXIST when the name is taken, whatever it is
      unlinkSync(tmp);
    } else renameSync(tmp, path); // replaces a planted symlink itself, never what it points to
  } catch (e) {
    try {
      closeSync(fd);
    } catch {
      // closed above
    }
    unlinkSync(tmp);
    throw failure(what, path, e);
  }
}

/** Open a log for appending: created if missing, never through a symlink; a regular file (or a character device such as /dev/null). */
export function openCallerLog(what: string, file: string): number {
  const path = resolve(file);
  let fd: number;
  try {
    fd = openSync(path, C.O_WRONLY | C.O_APPEND | C.O_CREAT | C.O_NOFOLLOW | C.O_NONBLOCK, 0o600);
  } catch (e) {
    throw failure(what, path, e);
  }
  const st = fstatSync(fd);
  if (!st.isFile() && !st.isCharacterDevice()) {
    closeSync(fd);
    throw new PlancError('invalid-argument', `${what} ${path}: not a regular file`);
  }
  return fd;
}

/** Append to a caller's log in one write. */
export function appendCallerLog(what: string, file: string, text: string): void {
  const fd = openCallerLog(what, file);
  try {
    writeAll(fd, text);
  } finally {
    closeSync(fd);
  }
}
