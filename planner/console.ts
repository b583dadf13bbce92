// Terminals (process.terminal): where the pty master goes — the caller's
// console socket, or planc itself when it stays in the foreground — and the
// pty the process gets (executor/native/tty.c). runc's rules for combining a
// terminal, --console-socket and detaching are kept exactly: engines rely on
// them, and a detached container's master has nowhere else to go.
import type { Action } from '../schemas/generated/plan.js';
import { PlancError } from '../schemas/error.js';

export interface TerminalRequest {
  terminal: boolean;
  /** planc will not wait for the process: create, run --detach, exec --detach. */
  detach: boolean;
  socket?: string;
  consoleSize?: { width: number | bigint; height: number | bigint };
}

/** runc's checkTerminal, in its words: a detached terminal needs a socket, and a socket needs a detached terminal. */
export function checkTerminal(r: TerminalRequest, where?: string): void {
  if (r.detach && r.terminal && r.socket === undefined) {
    throw new PlancError('invalid-argument', 'cannot allocate tty if planc will detach without setting console socket (--console-socket)', { where });
  }
  if ((!r.detach || !r.terminal) && r.socket !== undefined) {
    throw new PlancError('invalid-argument', 'cannot use console socket if planc will not detach or allocate tty', { where });
  }
}

/**
 * Host stage: the socket the master will be sent over — before any namespace is joined, so the
 * socket's path is the host's. None for a detached terminal without a socket: planning shows the
 * rest of the plan (the CLI refuses to create it, checkTerminal).
 */
export function consoleHostActions(r: TerminalRequest, why: { terminal: string; socket: string }): Action[] {
  if (!r.terminal) return [];
  if (r.socket !== undefined) return [{ stage: 'host', op: 'console.socket', why: why.socket, path: r.socket }];
  return r.detach ? [] : [{ stage: 'host', op: 'console.relay', why: why.terminal }];
}

/** Init stage: the pty itself. devConsole: the container init's, also bound onto /dev/console (as runc). */
export function consoleCreateAction(r: TerminalRequest, why: string, sizeWhere: string, devConsole: boolean): Action {
  const size: { width?: number; height?: number } = {};
  if (r.consoleSize) {
    for (const k of ['width', 'height'] as const) {
      const v = Number(r.consoleSize[k]);
      // struct winsize holds 16-bit rows and columns.
      if (v > 65535) throw new PlancError('invalid-config', `consoleSize.${k} ${v} is more than a terminal can have (65535)`, { where: `${sizeWhere}/${k}` });
      size[k] = v;
    }
  }
  return { stage: 'init', op: 'console.create', why, ...size, sizeFromTerminal: !r.detach && r.socket === undefined, devConsole };
}
