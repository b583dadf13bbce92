import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PlancError } from '../../schemas/error.js';
import { defineVerb } from '../verb.js';
import { verifyAudit } from '../../planner/audit.js';
import { decodePlan } from '../../planner/encode.js';
import { digest } from '../digest.js';
import { FILES, openContainer } from '../state/store.js';
import { execAuditFile, execPlanFile, execTrails } from '../state/exec-trails.js';
import type { AuditReport } from '../../planner/audit.js';

interface Trail {
  plan: Buffer | null;
  audit: Buffer | null;
  /** The exec fifo exists until `start`: until then the init has applied everything up to the wait. */
  waiting: boolean;
  /** `planc exec` trails beside the container's (cli/state/exec-trails.ts): number, plan, audit log. */
  execs: { n: number; plan: Buffer | null; audit: Buffer | null }[];
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
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    // reported as a missing plan below
  }
  const execs = execTrails({ names: () => names }).map((n) => ({ n, plan: read(execPlanFile(n)), audit: read(execAuditFile(n)) }));
  return { plan: read(FILES.plan), audit: read(FILES.audit), waiting: existsSync(`${dir}/${FILES.fifo}`), execs };
}

function summary(r: AuditReport): string {
  return `${r.ok ? 'ok' : 'FAILED'}: ${r.applied} applied, ${r.skipped} skipped, ${r.problems.length} problems\n${r.problems.map((p) => `  ${p}\n`).join('')}`;
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
      const execs = execTrails(dir).map((n) => ({ n, plan: dir.read(execPlanFile(n)), audit: dir.read(execAuditFile(n)) }));
      trail = { plan: dir.read(FILES.plan), audit: dir.read(FILES.audit), waiting: dir.has(FILES.fifo), execs };
    }
    if (!trail.plan) throw new PlancError('not-found', given ? 'no plan.msgpack in this directory' : 'container does not exist', given ? { file: given } : { where: args.id });
    const report = verifyAudit(decodePlan(trail.plan), digest(trail.plan), trail.audit?.toString('utf8') ?? '', trail.waiting ? 'created' : 'started');
    // Each exec is over once its process runs (or failed to start): its log is checked as ended.
    const execs = trail.execs.map((e) => ({ exec: e.n, ...verifyAudit(decodePlan(e.plan!), digest(e.plan!), e.audit?.toString('utf8') ?? '', 'ended') }));
    if (flags.json) process.stdout.write(JSON.stringify(execs.length ? { ...report, execs } : report, null, 2) + '\n');
    else {
      const lines = execs.map((e) => `exec ${e.exec}: ${summary(e)}${e.failed ? `  the process did not start: ${e.failed}\n` : ''}`);
      process.stdout.write(summary(report) + lines.join(''));
    }
    if (!report.ok || execs.some((e) => !e.ok)) process.exitCode = 1;
  },
});
