import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Policy } from '../../schemas/generated/policy.js';
import { PlancError } from '../../schemas/error.js';
import validatePolicy from '../../schemas/generated/validate-policy.js';
import { defineVerb } from '../verb.js';
import { planningFlags } from '../flags.js';
import { planBundle } from '../planning.js';
import { lintPlan, toSarif } from '../../planner/lint.js';

/** A policy file, JSON or YAML, checked against schemas/policy.schema.json. */
async function readPolicy(file: string): Promise<Policy> {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new PlancError('not-found', (e as Error).message, { file: path });
  }
  let value: unknown;
  try {
    value = /\.ya?ml$/i.test(path) ? (await import('js-yaml')).load(text) : JSON.parse(text);
  } catch (e) {
    throw new PlancError('invalid-argument', `not valid ${/\.ya?ml$/i.test(path) ? 'YAML' : 'JSON'}: ${(e as Error).message.split('\n')[0]}`, { file: path });
  }
  if (!validatePolicy(value)) {
    const all = validatePolicy.errors ?? [];
    // An unknown rule name fails twice (enum and propertyNames): report it once, by name.
    const errs = all.filter((e) => !(e.keyword === 'enum' && all.some((x) => x.keyword === 'propertyNames' && x.instancePath === e.instancePath))).map((e) => `${e.instancePath || '/'}: ${e.keyword === 'propertyNames' ? `unknown rule ${JSON.stringify(e.params.propertyName)}` : e.message}`);
    throw new PlancError('invalid-argument', [...new Set(errs)].join('; '), { file: path });
  }
  return value;
}

export default defineVerb({
  summary: 'check a bundle against a policy (default: planc’s); exit 1 when a finding is an error',
  args: {},
  flags: {
    ...planningFlags,
    policy: { type: 'string', description: 'policy file (JSON or YAML): rule levels, allowed host paths and capabilities' },
    format: { type: 'string', options: ['text', 'json', 'sarif'], default: 'text', description: 'output format' },
    image: { type: 'string', description: 'check an image (LAYOUT[:REF]) run with planc’s default spec, from its manifest and config alone, before unpacking it' },
    platform: { type: 'string', description: 'with --image: os/arch[/variant] to pick (default: this host’s)' },
  },
  async run(_args, flags, ctx) {
    const policy = flags.policy ? await readPolicy(flags.policy) : {};
    let configPath = '';
    const onConfig = (p: string) => ctx.setConfigPath((configPath = p));
    const { plan } = flags.image ? (await import('../image/plan-image.js')).planImage(flags.image, flags.platform, flags, onConfig) : planBundle(flags, onConfig);
    const findings = lintPlan(plan, policy);
    if (flags.format === 'json') process.stdout.write(JSON.stringify({ findings }, null, 2) + '\n');
    else if (flags.format === 'sarif') process.stdout.write(JSON.stringify(toSarif(findings, configPath, '0.1.0'), null, 2) + '\n');
    else process.stdout.write(findings.map((f) => `${f.level}: ${f.message} [${f.rule}] ← ${configPath}: ${f.why}\n`).join(''));
    if (findings.some((f) => f.level === 'error')) process.exitCode = 1;
  },
});
