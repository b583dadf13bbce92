// --console-socket: checked before anything is created, so a path that is
// missing or not a socket is one clear line and leaves nothing behind. The
// executor connects to it (executor/native/tty.c); planc only looks.
import { closeSync, openSync, statSync } from 'node:fs';
import { isatty } from 'node:tty';
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

/**
 * A foreground terminal without a socket is relayed to planc's own terminal: there must be one
 * (as runc: one of stdin, stdout and stderr, or the controlling terminal). Without it the
 * container's shell would wait for input nobody can type.
 */
export function checkRelayTerminal(where?: string): void {
  if ([0, 1, 2].some((fd) => isatty(fd))) return;
  try {
    closeSync(openSync('/dev/tty', 'r'));
  } catch (e) {
    throw new PlancError('invalid-argument', `a terminal was asked for, but planc has none to relay it to: stdin, stdout and stderr are not terminals (open /dev/tty: ${errnoWords(e)}); give --console-socket with --detach, or set "terminal": false`, { where });
  }
}
