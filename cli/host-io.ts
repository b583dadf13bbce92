// What planning reads from the host, as a small read-only interface: the
// same planning code (cli/host-facts-core.ts, cli/plan-inputs.ts) runs in
// Node, where cli/node-host-io.ts implements it with node:fs, and inside the
// native front's embedded engine (cli/native/engine/), where C does. Nothing
// here writes, and nothing imports node: modules.
import { join } from '../planner/paths.js';

/** What a path leads to, symlinks followed (stat(2)). */
export type FileType = 'file' | 'directory' | 'socket' | 'block' | 'char' | 'fifo' | 'other';

export interface HostIO {
  /** A file's text (UTF-8); null when it cannot be read. */
  readText(path: string): string | null;
  /** A file's bytes; throws an error whose `code` is the errno name (ENOENT…) when it cannot be read. */
  readBytes(path: string): Uint8Array;
  /** A directory's entries (not . and ..), isFile as readdir's file type says; null when unreadable. */
  readdir(path: string): { name: string; isFile: boolean }[] | null;
  /** What a path leads to; throws as readBytes does when stat fails. */
  stat(path: string): FileType;
  /** The path with every symlink resolved; null when it cannot be. */
  realpath(path: string): string | null;
  /** An environment variable of the planning process. */
  env(name: string): string | undefined;
  /** The working directory relative paths are resolved against (process.cwd()). */
  cwd(): string;
  /** The effective uid (rootless "auto" decides on it). */
  euid: number;
  /** The host's architecture in Node's naming (process.arch): x64, arm64… */
  arch: string;
  /** Why this process has no terminal to relay a container's to (none of fds 0-2 is one and /dev/tty cannot be opened), or null when it has one. */
  noTerminal(): string | null;
  /** A failed read's or stat's error in the kernel's words ("no such file or directory"). */
  errnoWords(e: unknown): string;
}

/** path.resolve: absolute, lexically normalised, relative paths taken from the working directory. */
export function resolvePath(io: HostIO, p: string): string {
  return join(io.cwd(), p);
}

/** Whether stat(2) succeeds on the path (existsSync). */
export function exists(io: HostIO, p: string): boolean {
  try {
    io.stat(p);
    return true;
  } catch {
    return false;
  }
}
