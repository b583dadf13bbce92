import { defineVerb } from '../verb.js';
import { stateOf } from '../state/lifecycle.js';
import { ContainerDir } from '../state/gate.js';
import { openRoot } from '../state/store.js';

export default defineVerb({
  summary: 'list containers',
  args: {},
  flags: {
    format: { type: 'string', char: 'f', options: ['table', 'json'], default: 'table', description: 'output format' },
    quiet: { type: 'boolean', char: 'q', description: 'print only container ids' },
  },
  run(_args, flags) {
    const root = openRoot(flags.root);
    const states = (root?.ids() ?? []).flatMap((id) => {
      try {
        const dir = ContainerDir.open(root!, id);
        try {
          return [stateOf(dir)];
        } finally {
          dir.close();
        }
      } catch {
        return []; // just removed, or a directory planc does not trust
      }
    });
    if (flags.quiet) return void process.stdout.write(states.map((s) => `${s.id}\n`).join(''));
    // runc prints null for no containers; clients expect it.
    if (flags.format === 'json') return void process.stdout.write(JSON.stringify(states.length ? states : null) + '\n');
    const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'], ...states.map((s) => [s.id, s.pid, s.status, s.bundle, s.created, s.owner].map(String))];
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    process.stdout.write(rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('   ').trimEnd()).join('\n') + '\n');
  },
});
