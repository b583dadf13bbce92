// --console-socket: checked before anything is created, so a path that is
// missing or not a socket is one clear line and leaves nothing behind. The
// executor connects to it (executor/native/tty.c); planc only looks. The
// checks are cli/plan-inputs.ts's, over node:fs here.
import { checkConsoleSocketWith, checkRelayTerminalWith } from './plan-inputs.js';
import { nodeHostIO } from './node-host-io.js';

/** The socket's absolute path, as the plan names it. */
export function checkConsoleSocket(path: string): string {
  return checkConsoleSocketWith(nodeHostIO, path);
}

/** A foreground terminal without a socket needs planc's own terminal to relay it to (checkRelayTerminalWith). */
export function checkRelayTerminal(where?: string): void {
  checkRelayTerminalWith(nodeHostIO, where);
}
