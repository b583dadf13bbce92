// Reading a bundle: its config.json as exact JSON, with errors that say which file.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { PlancError } from '../schemas/error.js';
import { parseJsonBytes, type Json } from '../planner/json.js';
import { errnoWords } from './errno.js';

export interface Bundle {
  dir: string;
  configPath: string;
  config: Json;
}

export function readBundle(dirFlag: string | undefined): Bundle {
  const dir = resolve(dirFlag ?? '.');
  const configPath = `${dir}/config.json`;
  let bytes: Uint8Array;
  try {
    if (!statSync(dir).isDirectory()) throw new PlancError('not-found', 'bundle is not a directory', { file: dir });
    // Bytes, not text: invalid UTF-8 must be refused, not turned into U+FFFD.
    bytes = readFileSync(configPath);
  } catch (e) {
    if (e instanceof PlancError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new PlancError('not-found', 'no such file or directory', { file: existsSync(dir) ? configPath : dir });
    throw new PlancError('system', errnoWords(e), { file: existsSync(dir) ? configPath : dir });
  }
  return { dir, configPath, config: parseJsonBytes(bytes, configPath) };
}

export function checkRootfs(rootfs: string): void {
  let ok = false;
  try {
    ok = statSync(rootfs).isDirectory();
  } catch {
    // reported below
  }
  if (!ok) throw new PlancError('not-found', `rootfs ${rootfs} does not exist or is not a directory`, { where: '/root/path' });
}
