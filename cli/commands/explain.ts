import { defineVerb } from '../verb.js';
import { execPlanningFlags, planningFlags } from '../flags.js';
import { planBundle } from '../planning.js';
import { effectOf, explainAction, explainLines, explainSections } from '../../planner/explain.js';

// Colour only for a person at a terminal (and never with NO_COLOR).
const tty = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: string) => (s: string) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
const bold = paint('1');
const dim = paint('2');
const warnColour = paint('33');

export default defineVerb({
  summary: 'explain what creating the container would do to this host and why, grouped by stage and effect',
  args: {},
  flags: {
    ...planningFlags,
    ...execPlanningFlags,
    json: { type: 'boolean', description: 'machine-readable: actions with their effect and explanation' },
    flat: { type: 'boolean', description: 'one line per action in application order' },
    verbose: { type: 'boolean', char: 'v', description: 'also show each action exactly as the executor receives it' },
    serve: { type: 'boolean', description: 'plan nothing here: serve the explain page (paste a config.json, see errors, explain, warnings, diff) on 127.0.0.1 until Ctrl-C' },
    port: { type: 'integer', description: 'port for --serve (0 picks a free one)', default: 8080, min: 0 },
    image: { type: 'string', description: 'explain running an image (LAYOUT[:REF]) with planc’s default spec, from its manifest and config alone, before unpacking it' },
    platform: { type: 'string', description: 'with --image: os/arch[/variant] to pick (default: this host’s)' },
  },
  async run(_args, flags, ctx) {
    // The server is imported only for --serve, so a plain explain loads none of it.
    if (flags.serve) return import('../serve.js').then((m) => m.serveExplainPage({ port: flags.port }));
    const img = flags.image ? (await import('../image/plan-image.js')).planImage(flags.image, flags.platform, flags, ctx.setConfigPath) : undefined;
    // --process: an exec into a running container, planned against its stored plan (cli/exec.ts).
    const exec = flags.process !== undefined ? (await import('../exec.js')).planExecOfProcess(flags.root, flags.id, flags.process, flags.detach ?? false, ctx.setConfigPath) : undefined;
    const { plan, digest } = img ?? exec ?? planBundle(flags, ctx.setConfigPath);
    if (flags.json) {
      const actions = plan.actions.map((a, index) => ({ index, stage: a.stage, op: a.op, effect: effectOf(a), why: a.why, text: explainAction(a) }));
      return void process.stdout.write(JSON.stringify({ digest, ...(img ? { image: { name: img.image, notes: img.notes } } : {}), actions, warnings: plan.warnings }, null, 2) + '\n');
    }
    const out = [`${plan.kind === 'exec' ? 'exec plan' : 'plan'} ${digest} for ${plan.containerId}: ${plan.actions.length} actions`];
    if (img) out.push(`image ${img.image}`, ...img.notes.map((n) => `  ${warnColour('note:')} ${n}`));
    if (flags.flat) out.push(...explainLines(plan));
    else {
      const width = String(plan.actions.length - 1).length;
      for (const s of explainSections(plan)) {
        out.push('', bold(`${s.stage}: ${s.title}`));
        for (const g of s.groups) {
          out.push(`  ${g.effect}`);
          for (const l of g.lines) {
            out.push(`    ${String(l.index).padStart(width)}  ${l.text}  ${dim(`← ${l.why}`)}`);
            if (flags.verbose) out.push(dim(`    ${' '.repeat(width)}  ${JSON.stringify(plan.actions[l.index])}`));
          }
        }
      }
      if (plan.warnings.length > 0) out.push('', bold(`warnings (${plan.warnings.length})`), ...plan.warnings.map((w) => `  ${warnColour('!')} ${w.message}  ${dim(`← ${w.why}`)}`));
    }
    process.stdout.write(out.join('\n') + '\n');
  },
});
