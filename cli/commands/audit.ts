import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PlancError } from '../../schemas/error.js';
import { defineVerb } from '../verb.js';
import { verifyAudit } from '../../planner/audit.js';
import { decodePlan } from '../../planner/encode.js';
import { digest } from '../digest.js';
import { FILES, openContainer } from '../state/store.js';

interface Trail {
  plan: Buffer | null;
  audit: Buffer | null;
  /** The exec fifo exists until `start`: until then the init has applied everything up to the wait. */
  waiting: boolean;
}

/** A directory the caller names (a copy of a state directory): read as given. */
function trailAt(dir: string): Trail {
  const read = (name: string) => {
    try {
      return readFileSync(`${dir}/${name}`);
    } catch {
      return null;
    }
  };
  return { plan: read(FILES.plan), audit: read(FILES.audit), waiting: existsSync(`${dir}/${FILES.fifo}`) };
}

export default defineVerb({
  summary: "verify a container's audit log against the plan it was created from",
  args: { id: { description: 'container id, or the path of a state directory (plan.msgpack + audit.jsonl)' } },
  flags: {
    dir: { type: 'string', description: 'a state directory (plan.msgpack + audit.jsonl) instead of a container id' },
    json: { type: 'boolean', description: 'print the report as JSON' },
  },
  run(args, flags) {
    if (!flags.dir && args.id === undefined) throw new PlancError('invalid-argument', 'give a container id, a state directory or --dir');
    // `planc audit ID|DIR`: a path (it has a slash) is a state directory, anything else a container id.
    const given = flags.dir ?? (args.id!.includes('/') ? args.id : undefined);
    let trail: Trail;
    if (given) trail = trailAt(resolve(given));
    else {
      const dir = openContainer(flags.root, args.id!);
      trail = { plan: dir.read(FILES.plan), audit: dir.read(FILES.audit), waiting: dir.has(FILES.fifo) };
    }
    if (!trail.plan) throw new PlancError('not-found', given ? 'no plan.msgpack in this directory' : 'container does not exist', given ? { file: given } : { where: args.id });
    const report = verifyAudit(decodePlan(trail.plan), digest(trail.plan), trail.audit?.toString('utf8') ?? '', trail.waiting ? 'created' : 'started');
    if (flags.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    else process.stdout.write(`${report.ok ? 'ok' : 'FAILED'}: ${report.applied} applied, ${report.skipped} skipped, ${report.problems.length} problems\n${report.problems.map((p) => `  ${p}\n`).join('')}`);
    if (!report.ok) process.exitCode = 1;
  },
});
