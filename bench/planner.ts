// In-process microbenchmark of the planner: config.json → Plan → canonical
// msgpack → sha256 digest, with no Node start-up, no I/O and no kernel work.
// Run: node --import tsx bench/planner.ts   (prints a summary; everything is in bench/results/planner.json)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseJson, type Json } from '../planner/json.js';
import { planCreate } from '../planner/plan.js';
import { encodePlan, digestOf } from '../planner/encode.js';
import { defaultHostFacts } from '../planner/host-facts.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const WARMUP = 200;
const ITERS = 2000;
const BIG_MOUNTS = 10_000;
const BIG_ITERS = 20;
const MID_MOUNTS = 1_000; // against BIG_MOUNTS: 10× the mounts should cost 10× the time (linear)
const MID_ITERS = 100;

/** runc 1.1's default `runc spec` (test fixture), else what `planc spec` writes. */
function defaultConfigText(): { text: string; source: string } {
  const fixture = join(root, 'test/unit/fixtures/runc-1.1-spec.json');
  if (existsSync(fixture)) return { text: readFileSync(fixture, 'utf8'), source: 'test/unit/fixtures/runc-1.1-spec.json' };
  const dir = mkdtempSync(join(tmpdir(), 'planc-bench-'));
  try {
    execFileSync(process.execPath, [join(root, 'bin/planc.cjs'), 'spec', '--bundle', dir], { stdio: 'ignore' });
    return { text: readFileSync(join(dir, 'config.json'), 'utf8'), source: 'planc spec' };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const facts = defaultHostFacts('bench', '/bundles/bench', '/run/planc');
const once = (cfg: Json) => {
  const bytes = encodePlan(planCreate(cfg, facts));
  return { bytes, digest: digestOf(bytes) };
};
const nowUs = () => Number(process.hrtime.bigint()) / 1e3;
const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
const r = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const mb = (b: number) => r(b / 2 ** 20, 2);
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void; // heap figures after a full collection

function timeLoop(fn: () => unknown, warmup: number, iters: number) {
  for (let i = 0; i < warmup; i++) fn();
  const samples = new Array<number>(iters);
  for (let i = 0; i < iters; i++) {
    const t = nowUs();
    fn();
    samples[i] = nowUs() - t;
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = samples.reduce((a, b) => a + b, 0) / iters;
  return { meanUs: r(mean), p50Us: r(pct(sorted, 50)), p99Us: r(pct(sorted, 99)), minUs: r(sorted[0] ?? NaN), iterations: iters };
}

// 1. runc's default config
const { text, source } = defaultConfigText();
const parse = timeLoop(() => parseJson(text), WARMUP, ITERS);
const cfg = parseJson(text);
const first = once(cfg);
const small = timeLoop(() => once(cfg), WARMUP, ITERS);
// where the time goes
const planned = planCreate(cfg, facts);
const stages = {
  planCreateUs: timeLoop(() => planCreate(cfg, facts), WARMUP, ITERS).meanUs,
  encodePlanUs: timeLoop(() => encodePlan(planned), WARMUP, ITERS).meanUs,
  digestOfUs: timeLoop(() => digestOf(first.bytes), WARMUP, ITERS).meanUs,
};

// 2. the same config with 10 000 extra tmpfs mounts /m/0 … /m/9999 (and with 1 000, for linearity)
const withMounts = (n: number) => {
  const c = parseJson(text) as { mounts: Json[] } & Record<string, Json>;
  for (let i = 0; i < n; i++) c.mounts.push({ destination: `/m/${i}`, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'size=1m'] });
  return c;
};
const mid = withMounts(MID_MOUNTS);
const midLoop = timeLoop(() => once(mid as Json), 5, MID_ITERS);
const big = withMounts(BIG_MOUNTS);
gc();
const heapBefore = process.memoryUsage();
const bigFirst = (() => {
  const t = nowUs();
  const out = once(big as Json);
  return { ...out, us: nowUs() - t };
})();
const heapAfter = process.memoryUsage(); // garbage of one plan not yet collected
const bigPlan = planCreate(big as Json, facts); // held: what a plan of 10k mounts retains
gc();
const heapRetained = process.memoryUsage();
const bigLoop = timeLoop(() => once(big as Json), 2, BIG_ITERS);

const result = {
  node: process.version,
  defaultConfig: {
    source,
    configBytes: Buffer.byteLength(text),
    parseJson: parse,
    planEncodeDigest: small,
    stagesMeanUs: stages,
    planBytes: first.bytes.length,
    digest: first.digest,
  },
  mounts10k: {
    mounts: big.mounts.length,
    firstUs: r(bigFirst.us),
    planEncodeDigest: { ...bigLoop, meanMs: r(bigLoop.meanUs / 1e3, 2), p50Ms: r(bigLoop.p50Us / 1e3, 2) },
    planBytes: bigFirst.bytes.length,
    actions: bigPlan.actions.length,
    // before: heap after a full GC with the 10k-mount config parsed; after: right after one
    // plan+encode+digest (its garbage included); retained: after GC, holding one Plan object
    heapUsedMB: { before: mb(heapBefore.heapUsed), after: mb(heapAfter.heapUsed), retainedWithPlan: mb(heapRetained.heapUsed) },
    rssMB: { before: mb(heapBefore.rss), after: mb(heapAfter.rss) },
  },
  mounts1k: { mounts: mid.mounts.length, planEncodeDigest: { ...midLoop, meanMs: r(midLoop.meanUs / 1e3, 2), p50Ms: r(midLoop.p50Us / 1e3, 2) } },
  // p50 of 10k extra mounts over p50 of 1k extra mounts: 10 when the planner is linear in mounts
  linearity: r(bigLoop.p50Us / midLoop.p50Us, 2),
};

mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/planner.json'), JSON.stringify({ date: new Date().toISOString(), ...result }, null, 2) + '\n');
console.log(
  `planner: default config (${source}) plan+encode+digest mean ${small.meanUs} µs, p50 ${small.p50Us} µs, p99 ${small.p99Us} µs over ${ITERS} runs; plan ${first.bytes.length} B` +
    ` (planCreate ${stages.planCreateUs}, encodePlan ${stages.encodePlanUs}, digestOf ${stages.digestOfUs} µs; parseJson ${parse.meanUs} µs)`,
);
console.log(
  `planner: ${big.mounts.length} mounts plan+encode+digest mean ${result.mounts10k.planEncodeDigest.meanMs} ms (first ${r(bigFirst.us / 1e3, 2)} ms) over ${BIG_ITERS} runs; plan ${(bigFirst.bytes.length / 1024).toFixed(0)} KiB;` +
    ` heap used ${result.mounts10k.heapUsedMB.before} → ${result.mounts10k.heapUsedMB.after} MB (${result.mounts10k.heapUsedMB.retainedWithPlan} MB after GC holding the plan)`,
);
console.log(
  `planner: ${mid.mounts.length} mounts p50 ${result.mounts1k.planEncodeDigest.p50Ms} ms over ${MID_ITERS} runs; 10× the extra mounts take ${result.linearity}× the time (10 = linear)`,
);
