import { defineVerb } from '../verb.js';
import { planningFlags } from '../flags.js';
import { planBundle } from '../planning.js';
import { effectOf, explainAction, explainLines } from '../../planner/explain.js';

export default defineVerb({
  summary: 'explain, one line per action, what creating the container would do and why',
  args: {},
  flags: { ...planningFlags, json: { type: 'boolean', description: 'machine-readable: actions with their explanation' } },
  run(_args, flags, ctx) {
    const { plan, digest } = planBundle(flags, ctx.setConfigPath);
    if (flags.json) {
      const actions = plan.actions.map((a, index) => ({ index, stage: a.stage, op: a.op, effect: effectOf(a), why: a.why, text: explainAction(a) }));
      return void process.stdout.write(JSON.stringify({ digest, actions, warnings: plan.warnings }, null, 2) + '\n');
    }
    process.stdout.write(`plan ${digest} for ${plan.containerId}: ${plan.actions.length} actions\n${explainLines(plan).join('\n')}\n`);
  },
});
