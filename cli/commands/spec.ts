import { resolve } from 'node:path';
import { defineVerb } from '../verb.js';
import { defaultSpec } from '../default-spec.js';
import { writeCallerFile } from '../caller-files.js';

export default defineVerb({
  summary: 'write a default config.json into the bundle',
  args: {},
  flags: {
    bundle: { type: 'string', char: 'b', description: 'bundle directory to write config.json into (default: current directory)' },
    rootless: { type: 'boolean', description: 'a config for a rootless container (user namespace, no cgroup limits)' },
  },
  run(_args, flags) {
    const path = `${resolve(flags.bundle ?? '.')}/config.json`;
    const spec = defaultSpec(flags.rootless ?? false, process.getuid?.() ?? 0, process.getgid?.() ?? 0);
    // Never replaces a config.json, whatever sits at that name (a symlink included).
    writeCallerFile('spec: config', path, JSON.stringify(spec, null, '\t') + '\n', { exclusive: true });
  },
});
