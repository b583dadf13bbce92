#!/usr/bin/env node
// planc's entry point. runc's global flags come before the verb
// (`planc --root /x --log-format=json create …`); oclif only reads flags after
// the command, so they are moved behind it here.
import { execute } from '@oclif/core';

const WITH_VALUE = new Set(['--root', '--log', '--log-format', '--criu']);
const SWITCHES = new Set(['--debug', '--systemd-cgroup']);

const argv = process.argv.slice(2);
const globals = [];
let i = 0;
for (; i < argv.length; i++) {
  const a = argv[i];
  const name = a.split('=')[0];
  if (name === '--rootless') {
    // true|false|auto: planc decides by its effective uid either way (see machine facts).
    if (!a.includes('=')) i++;
  } else if (WITH_VALUE.has(name)) {
    globals.push(a);
    if (!a.includes('=') && i + 1 < argv.length) globals.push(argv[++i]);
  } else if (SWITCHES.has(name)) {
    globals.push(a);
  } else break;
}
const rest = argv.slice(i);

if (rest.length === 0 || rest[0] === '--version' || rest[0] === '-v') {
  if (rest.length === 0) rest.push('--help');
  else {
    const { readFileSync } = await import('node:fs');
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    process.stdout.write(`planc version ${pkg.version}\nspec: 1.2.0\n`);
    process.exit(0);
  }
}
// Keep the verb (and a two-word topic) first, then the globals, then its own arguments.
await execute({ dir: import.meta.url, args: [rest[0], ...globals, ...rest.slice(1)] });
