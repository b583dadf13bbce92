import { Flags } from '@oclif/core';
import { PlancCommand } from '../base.js';
import { planBundle, planningFlags } from '../planning.js';
import { explainLines } from '../../planner/explain.js';

export default class Explain extends PlancCommand {
  static override summary = 'explain, one line per action, what creating the container would do and why';
  static override flags = { ...planningFlags, json: Flags.boolean({ description: 'machine-readable: actions with their explanation' }) };

  async run(): Promise<void> {
    const { flags } = await this.parse(Explain);
    const { plan, digest } = planBundle(flags, (p) => (this.configPath = p));
    if (flags.json) {
      const { explainAction, effectOf } = await import('../../planner/explain.js');
      const actions = plan.actions.map((a, index) => ({ index, stage: a.stage, op: a.op, effect: effectOf(a), why: a.why, text: explainAction(a) }));
      return void process.stdout.write(JSON.stringify({ digest, actions, warnings: plan.warnings }, null, 2) + '\n');
    }
    process.stdout.write(`plan ${digest} for ${plan.containerId}: ${plan.actions.length} actions\n${explainLines(plan).join('\n')}\n`);
  }
}
