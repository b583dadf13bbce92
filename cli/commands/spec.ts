import { Flags } from '@oclif/core';
import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PlancError } from '../../schemas/error.js';
import { PlancCommand } from '../base.js';
import { defaultSpec } from '../default-spec.js';

export default class Spec extends PlancCommand {
  static override summary = 'write a default config.json into the bundle';
  static override flags = {
    bundle: Flags.string({ char: 'b', description: 'bundle directory to write config.json into (default: current directory)' }),
    rootless: Flags.boolean({ description: 'a config for a rootless container (user namespace, no cgroup limits)' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Spec);
    const path = `${resolve(flags.bundle ?? '.')}/config.json`;
    if (existsSync(path)) throw new PlancError('exists', 'config.json exists; remove it first', { where: path });
    writeFileSync(path, JSON.stringify(defaultSpec(Boolean(flags.rootless), process.getuid?.() ?? 0, process.getgid?.() ?? 0), null, '\t') + '\n');
  }
}
