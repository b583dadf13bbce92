// HostIO (cli/host-io.ts) for the Node CLI: node:fs, process and node:tty.
import { closeSync, openSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { isatty } from 'node:tty';
import type { FileType, HostIO } from './host-io.js';
import { errnoWords } from './errno.js';

export const nodeHostIO: HostIO = {
  readText(path) {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return null;
    }
  },
  readBytes: (path) => readFileSync(path),
  readdir(path) {
    try {
      return readdirSync(path, { withFileTypes: true }).map((e) => ({ name: e.name, isFile: e.isFile() }));
    } catch {
      return null;
    }
  },
  stat(path): FileType {
    const st = statSync(path);
    return st.isFile() ? 'file' : st.isDirectory() ? 'directory' : st.isSocket() ? 'socket' : st.isBlockDevice() ? 'block' : st.isCharacterDevice() ? 'char' : st.isFIFO() ? 'fifo' : 'other';
  },
  realpath(path) {
    try {
      return realpathSync(path);
    } catch {
      return null;
    }
  },
  env: (name) => process.env[name],
  cwd: () => process.cwd(),
  euid: process.geteuid?.() ?? 0,
  arch: process.arch,
  noTerminal() {
    if ([0, 1, 2].some((fd) => isatty(fd))) return null;
    try {
      closeSync(openSync('/dev/tty', 'r'));
      return null;
    } catch (e) {
      return `open /dev/tty: ${errnoWords(e)}`;
    }
  },
  errnoWords,
};
