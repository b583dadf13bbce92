import { spawnSync } from 'node:child_process';
import { defineVerb } from '../verb.js';
import { idArg } from '../flags.js';
import { containerPids } from '../state/lifecycle.js';
import { loadRecord, openContainer } from '../state/store.js';

export default defineVerb({
  summary: 'list the processes running in a container (json: their host pids)',
  args: idArg,
  flags: { format: { type: 'string', char: 'f', options: ['table', 'json'], default: 'table', description: 'table (ps -ef lines) or json (an array of pids)' } },
  run(args, flags) {
    const pids = containerPids(loadRecord(openContainer(flags.root, args.id)));
    // containerd's shim parses one JSON line; runc prints null for none, and so do we.
    if (flags.format === 'json') return void process.stdout.write(JSON.stringify(pids.length ? pids : null) + '\n');
    const ps = spawnSync('ps', ['-ef'], { encoding: 'utf8' });
    const [header = '', ...lines] = (ps.stdout ?? '').split('\n');
    const mine = new Set(pids.map(String));
    process.stdout.write([header, ...lines.filter((l) => mine.has(l.trim().split(/\s+/)[1] ?? ''))].join('\n') + '\n');
  },
});
