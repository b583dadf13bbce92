// --console-socket: checked before anything is created, so a path that is
// missing or not a socket is one clear line and leaves nothing behind. The
// executor connects to it (executor/native/tty.c); planc only looks.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { PlancError } from '../schemas/error.js';
import { errnoWords } from './errno.js';

/** The socket's absolute path, as the plan names it. */
export function checkConsoleSocket(path: string): string {
  const abs = resolve(path);
  let isSocket: boolean;
  try {
    isSocket = statSync(abs).isSocket();
  } catch (e) {
    throw new PlancError('invalid-argument', `--console-socket ${abs}: ${errnoWords(e)}`);
  }
  if (!isSocket) throw new PlancError('invalid-argument', `--console-socket ${abs}: not a socket`);
  // sun_path holds 107 bytes and a NUL; a longer path could not be connected to at all.
  if (Buffer.byteLength(abs) > 107) throw new PlancError('invalid-argument', `--console-socket ${abs}: longer than the 107 bytes an AF_UNIX address holds`);
  return abs;
}
