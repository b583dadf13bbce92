import { Args, Flags } from '@oclif/core';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PlancError } from '../../schemas/error.js';
import { PlancCommand } from '../base.js';
import { verifyAudit } from '../../planner/audit.js';
import { decodePlan, digestOf } from '../../planner/encode.js';
import { statusOf } from '../../executor/lifecycle.js';
import { exists, loadRecord, stateDir } from '../../executor/state.js';

export default class Audit extends PlancCommand {
  static override summary = "verify a container's audit log against the plan it was created from";
  static override args = { id: Args.string({ description: 'container id (or, with --dir, ignored)', required: false }) };
  static override flags = {
    dir: Flags.string({ description: 'a state directory (plan.msgpack + audit.jsonl) instead of a container id' }),
    json: Flags.boolean({ description: 'print the report as JSON' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Audit);
    if (!flags.dir && !args.id) throw new PlancError('invalid-argument', 'give a container id or --dir');
    const dir = flags.dir ? resolve(flags.dir) : stateDir(resolve(flags.root), args.id!);
    if (!exists(`${dir}/plan.msgpack`)) throw new PlancError('not-found', flags.dir ? 'no plan.msgpack in this directory' : 'container does not exist', { where: flags.dir ?? args.id });
    const bytes = readFileSync(`${dir}/plan.msgpack`);
    const plan = decodePlan(bytes);
    // A container still waiting for start has applied everything up to the wait.
    const started = flags.dir || !args.id ? !exists(`${dir}/exec.fifo`) : statusOf(resolve(flags.root), loadRecord(resolve(flags.root), args.id)) !== 'created';
    const report = verifyAudit(plan, digestOf(bytes), readFileSync(`${dir}/audit.jsonl`, 'utf8'), started ? 'started' : 'created');
    if (flags.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    else process.stdout.write(`${report.ok ? 'ok' : 'FAILED'}: ${report.applied} applied, ${report.skipped} skipped, ${report.problems.length} problems\n${report.problems.map((p) => `  ${p}\n`).join('')}`);
    if (!report.ok) this.exit(1);
  }
}
