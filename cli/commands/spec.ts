import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PlancError } from '../../schemas/error.js';
import { defineVerb } from '../verb.js';
import { defaultSpec } from '../default-spec.js';

export default defineVerb({
  summary: 'write a default config.json into the bundle',
  args: {},
  flags: {
    bundle: { type: 'string', char: 'b', description: 'bundle directory to write config.json into (default: current directory)' },
    rootless: { type: 'boolean', description: 'a config for a rootless container (user namespace, no cgroup limits)' },
  },
  run(_args, flags) {
    const path = `${resolve(flags.bundle ?? '.')}/config.json`;
    if (existsSync(path)) throw new PlancError('exists', 'config.json exists; remove it first', { file: path });
    writeFileSync(path, JSON.stringify(defaultSpec(flags.rootless ?? false, process.getuid?.() ?? 0, process.getgid?.() ?? 0), null, '\t') + '\n');
  },
});
