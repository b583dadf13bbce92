import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PlancError } from '../../schemas/error.js';
import { defineVerb } from '../verb.js';
import { verifyAudit } from '../../planner/audit.js';
import { decodePlan } from '../../planner/encode.js';
import { digest } from '../digest.js';
import { exists, stateDir } from '../../executor/state.js';

export default defineVerb({
  summary: "verify a container's audit log against the plan it was created from",
  args: { id: { description: 'container id, or the path of a state directory (plan.msgpack + audit.jsonl)' } },
  flags: {
    dir: { type: 'string', description: 'a state directory (plan.msgpack + audit.jsonl) instead of a container id' },
    json: { type: 'boolean', description: 'print the report as JSON' },
  },
  run(args, flags) {
    if (!flags.dir && !args.id) throw new PlancError('invalid-argument', 'give a container id, a state directory or --dir');
    // `planc audit ID|DIR`: a path (it has a slash) is a state directory, anything else a container id.
    const given = flags.dir ?? (args.id!.includes('/') ? args.id : undefined);
    const dir = given ? resolve(given) : stateDir(resolve(flags.root), args.id!);
    if (!exists(`${dir}/plan.msgpack`)) throw new PlancError('not-found', given ? 'no plan.msgpack in this directory' : 'container does not exist', given ? { file: given } : { where: args.id });
    const bytes = readFileSync(`${dir}/plan.msgpack`);
    // The exec fifo exists until `start`: until then the init has applied everything up to the wait.
    const upTo = exists(`${dir}/exec.fifo`) ? 'created' : 'started';
    const report = verifyAudit(decodePlan(bytes), digest(bytes), readFileSync(`${dir}/audit.jsonl`, 'utf8'), upTo);
    if (flags.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    else process.stdout.write(`${report.ok ? 'ok' : 'FAILED'}: ${report.applied} applied, ${report.skipped} skipped, ${report.problems.length} problems\n${report.problems.map((p) => `  ${p}\n`).join('')}`);
    if (!report.ok) process.exitCode = 1;
  },
});
