import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Plan } from '../../schemas/generated/plan.js';
import { PlancError } from '../../schemas/error.js';
import { defineVerb } from '../verb.js';
import { planBundle } from '../planning.js';
import { decodePlan } from '../../planner/encode.js';
import { diffLines, diffPlans } from '../../planner/diff.js';

/**
 * A bundle dir, a config.json, a saved plan (.msgpack) or `planc plan --format json` output.
 * Bundles are planned as if at `bundleAs`, so two checkouts of one bundle differ only by their configs.
 */
function planOf(input: string, flags: { id: string; root: string; run?: boolean; 'no-pivot'?: boolean; 'systemd-cgroup'?: boolean }, bundleAs: string): Plan {
  const path = resolve(input);
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new PlancError('not-found', 'no such file or directory', { file: path });
  }
  if (path.endsWith('.msgpack')) return decodePlan(readFileSync(path));
  if (!isDir) {
    const json = JSON.parse(readFileSync(path, 'utf8')) as { plan?: Plan; actions?: unknown };
    if (json.plan) return json.plan;
    if (json.actions) return json as Plan;
  }
  // A bundle (or its config.json): plan it with the same id and host, so only the config differs.
  return planBundle({ ...flags, bundle: isDir ? path : dirname(path), bundleAs }, () => {}).plan;
}

function bundleDirOf(input: string): string {
  const path = resolve(input);
  try {
    return statSync(path).isDirectory() ? path : dirname(path);
  } catch {
    return dirname(path);
  }
}

export default defineVerb({
  summary: 'show what changes in privileged effect between two bundles, configs or saved plans (exit 1 when they differ)',
  args: { a: { description: 'bundle dir, config.json, plan .msgpack or plan JSON', required: true }, b: { description: 'the other one', required: true } },
  flags: {
    id: { type: 'string', description: 'container id to plan bundles for', default: 'planc-plan' },
    run: { type: 'boolean', description: 'plan `run` instead of `create`' },
    json: { type: 'boolean', description: 'print the changes as JSON' },
  },
  run(args, flags) {
    const as = bundleDirOf(args.a);
    const d = diffPlans(planOf(args.a, flags, as), planOf(args.b, flags, as));
    const differ = d.changes.length + d.warningsAdded.length + d.warningsRemoved.length > 0 || d.mountOrder !== undefined;
    if (flags.json) process.stdout.write(JSON.stringify(d, null, 2) + '\n');
    else process.stdout.write(differ ? diffLines(d).join('\n') + '\n' : '');
    if (differ) process.exitCode = 1;
  },
});
