// The pieces of a create's planning, timed one by one inside QuickJS
// (bench/engine-pieces.ts bundles this file and runs it in npm's QuickJS, the
// module the native front's engine is translated from). Each piece runs `n`
// times; the result is the mean per run in ms (QuickJS's Date.now: ms ticks).
import { parseJsonBytes } from '../planner/json.js';
import { planCreate } from '../planner/plan.js';
import { validateConfig } from '../planner/validate.js';
import { canonical, decodePlan, encodePlan } from '../planner/encode.js';
import validatePlan from '../schemas/generated/validate-plan.js';
import type { HostFacts } from '../schemas/generated/hostfacts.js';

export function pieces(configBytes: ArrayBuffer, factsText: string, n: number): string {
  const bytes = new Uint8Array(configBytes);
  const facts = JSON.parse(factsText) as HostFacts;
  const ms: Record<string, number> = {};
  const time = <T>(name: string, f: () => T): T => {
    let r!: T;
    const t0 = Date.now();
    for (let i = 0; i < n; i++) r = f();
    ms[name] = (Date.now() - t0) / n;
    return r;
  };
  const config = time('parse config.json', () => parseJsonBytes(bytes, 'config.json'));
  time('validate the config', () => validateConfig(config));
  const plan = time('plan (validation included)', () => planCreate(config, facts, { waitForStart: true, foreground: false }));
  time('canonical (sorted-key copy)', () => canonical(plan));
  const encoded = time('encodePlan (canonical + msgpackr pack)', () => encodePlan(plan));
  const decoded = time('decodePlan (msgpackr unpack; exec reads the stored plan so)', () => decodePlan(encoded));
  time("validatePlan (the stored plan's schema check)", () => validatePlan(decoded));
  const text = JSON.stringify(canonical(plan));
  time('JSON.stringify of the plan (native, for scale)', () => JSON.stringify(plan));
  time(`${text.length} characters copied with charCodeAt (for scale)`, () => {
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
    return out;
  });
  return JSON.stringify({ planBytes: encoded.length, ms });
}
