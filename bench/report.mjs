// Issue 14's table from what bench/run.sh measured: bench/results/hyperfine-<shape>.json
// (one hyperfine run per shape: node, planc, runc, crun side by side), META (run.sh's
// tab-separated notes: how planc and crun ran, peak RSS per shape and runtime, the
// nsenter cost), results/planner.json and results/seccomp.txt. Prints the table in
// Markdown and writes it to results/latest.md, the figures to results/latest.json.
// Usage: node bench/report.mjs RESULTS_DIR META
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { join } from 'node:path';

const [resultsDir, metaFile] = process.argv.slice(2);
const root = new URL('..', import.meta.url).pathname;

const meta = readFileSync(metaFile, 'utf8').split('\n').filter(Boolean).map((l) => l.split('\t'));
const one = (key) => meta.find((m) => m[0] === key)?.slice(1) ?? [];
const [plancHow] = one('planc');
const [crunCmd, crunHow] = one('crun');
const nsenterMs = one('nsenter')[0];
const nodeRss = one('nodeRss')[0];
const seconds = one('seconds')[0];
const shapes = meta.filter((m) => m[0] === 'shape').map(([, name, label]) => ({ name, label }));
const rss = new Map(meta.filter((m) => m[0] === 'rss').map(([, s, rt, kb]) => [`${s}/${rt}`, Number(kb)]));

const sh = (cmd, args) => {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
};
const first = (s) => (s == null ? null : s.split('\n')[0]);
const r = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

const runtimes = ['planc', 'runc', 'crun', 'node'];
const rows = shapes.map(({ name, label }) => {
  const hf = JSON.parse(readFileSync(join(resultsDir, `hyperfine-${name}.json`), 'utf8'));
  const by = {};
  for (const x of hf.results) {
    by[x.command] = { meanMs: r(x.mean * 1e3), stddevMs: r((x.stddev ?? 0) * 1e3), medianMs: r(x.median * 1e3), minMs: r(x.min * 1e3), maxMs: r(x.max * 1e3), runs: x.times.length };
  }
  const ratio = (a, b) => (by[a] && by[b] ? r(by[a].meanMs / by[b].meanMs) : null);
  return {
    shape: name,
    label,
    ...Object.fromEntries(runtimes.map((rt) => [rt, by[rt] ?? null])),
    plancPerRunc: ratio('planc', 'runc'),
    plancPerCrun: ratio('planc', 'crun'),
    peakRssKB: { planc: rss.get(`${name}/planc`) ?? null, runc: rss.get(`${name}/runc`) ?? null, crun: rss.get(`${name}/crun`) ?? null },
  };
});

const ms = (x) => (x ? (x.meanMs < 10 ? `${x.meanMs.toFixed(2)} ± ${x.stddevMs.toFixed(2)}` : `${x.meanMs.toFixed(1)} ± ${x.stddevMs.toFixed(1)}`) : '—');
const times = (x) => (x == null ? '—' : `${x.toFixed(2)}×`);
const kb = (x) => (x == null ? '—' : String(x));
const head = ['shape', 'planc ms', 'runc ms', 'crun ms', 'node -e 0 ms', 'planc÷runc', 'planc÷crun', 'RSS planc KB', 'RSS runc KB', 'RSS crun KB'];
const lines = [head, ...rows.map((x) => [x.label, ms(x.planc), ms(x.runc), ms(x.crun), ms(x.node), times(x.plancPerRunc), times(x.plancPerCrun), kb(x.peakRssKB.planc), kb(x.peakRssKB.runc), kb(x.peakRssKB.crun)])];
const widths = head.map((_, i) => Math.max(...lines.map((l) => l[i].length)));
const fmt = (l) => `| ${l.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
const table = [fmt(head), `|${widths.map((w, i) => (i === 0 ? ':' : '-') + '-'.repeat(w) + (i === 0 ? '-' : ':')).join('|')}|`, ...lines.slice(1).map(fmt)];

const planner = existsSync(join(resultsDir, 'planner.json')) ? JSON.parse(readFileSync(join(resultsDir, 'planner.json'), 'utf8')) : null;
const seccomp = existsSync(join(resultsDir, 'seccomp.txt')) ? readFileSync(join(resultsDir, 'seccomp.txt'), 'utf8').trim().split('\n') : [];
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const gitHead = sh('git', ['-C', root, 'rev-parse', '--short', 'HEAD']);
const dirty = sh('git', ['-C', root, 'status', '--porcelain', '--untracked-files=no']);
const host = {
  kernel: release(),
  cpu: cpus()[0]?.model ?? null,
  cpus: cpus().length,
  cgroup: existsSync('/sys/fs/cgroup/cgroup.controllers') ? 'v2' : existsSync('/sys/fs/cgroup/unified') ? 'v1 hybrid' : 'v1',
  loadavg: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
};
const versions = {
  planc: `${pkg.version}${gitHead ? ` (${gitHead}${dirty ? '-dirty' : ''})` : ''}`,
  node: process.version,
  runc: first(sh('runc', ['--version'])),
  crun: first(sh('crun', ['--version'])),
  hyperfine: sh('hyperfine', ['--version']),
};
const [warmup, minRuns, maxRuns, n, burstRuns, rssRuns] = one('settings').map(Number);
const settings = { warmup, minRuns, maxRuns, n, burstRuns, rssRuns };
const date = new Date().toISOString();

const notes = [
  `planc: ${plancHow}.`,
  `crun: ${crunCmd ? crunHow : `left out: ${crunHow}`}${nsenterMs ? ` Entering that namespace (median of nsenter -t HOLDER -m /bin/true less that of /bin/true) costs ${nsenterMs} ms, included in every crun figure.` : ''}`,
  `Times: hyperfine mean ± σ in ms, the four commands of a row in one hyperfine run (warm-up ${settings.warmup}, ${settings.minRuns}–${settings.maxRuns} runs each; the concurrent row no warm-up, ${settings.burstRuns} runs). Commands run without a shell (-N) except the cycle (sh, whose start hyperfine subtracts). Each runtime works in its own --root; every container is set up by hyperfine's --prepare (untimed), so a timed command is exactly the verb named.`,
  `node -e 0: the row's shape with every runtime call replaced by \`node -e 0\` (the cycle: three in a row; concurrent: ${n} jobs of three), the floor for anything that starts Node per call.`,
  `Shapes: run of /bin/true (run deletes it); the cycle of /bin/true with delete --force; concurrent: ${n} jobs at once (bench/burst.sh, plain sh), each create && start && delete --force of its own /bin/true container, wall time until all returned; create of /bin/true after the previous one was deleted; start of a created \`sleep\`; state, list (the root holds one container), pause, resume, ps --format json and events --stats on one running \`sleep\` (pause's prepare resumes it, resume's pauses it); kill: SIGKILL to a freshly created and started \`sleep\` (the verb an engine's stop ends with); delete: of a /bin/true container started and then polled with state until stopped, without --force.`,
  `events --stats: crun 1.8 has no events verb.`,
  `Peak RSS: GNU time %M (KB: the largest resident set of one process in the command's tree), median of ${settings.rssRuns} runs after the same prepare, outside hyperfine (the concurrent row: one burst). node -e 0 alone: ${nodeRss ?? '?'} KB.`,
];
if (planner) {
  const d = planner.defaultConfig;
  notes.push(
    `Planner in process (bench/planner.ts): runc's default config plan+encode+digest p50 ${d.planEncodeDigest.p50Us} µs, mean ${d.planEncodeDigest.meanUs} µs (goal < 1 ms: ${d.planEncodeDigest.p50Us < 1000 ? 'met' : 'NOT met'} at p50); ` +
      `${planner.mounts1k.mounts} mounts p50 ${planner.mounts1k.planEncodeDigest.p50Ms} ms, ${planner.mounts10k.mounts} mounts p50 ${planner.mounts10k.planEncodeDigest.p50Ms} ms: ${planner.linearity}× for 10× the mounts (10 = linear).`,
  );
}
if (seccomp.length) notes.push(`Seccomp compiler (bench/seccomp.ts): ${seccomp.map((l) => l.trim()).join(' / ')}`);
notes.push(`Host: ${host.cpus}× ${host.cpu}, Linux ${host.kernel}, cgroup ${host.cgroup}, load ${host.loadavg} at the end (a shared machine: compare ratios within one run). planc ${versions.planc}, node ${versions.node}, ${versions.runc}, ${versions.crun}, ${versions.hyperfine}.${seconds ? ` The container shapes took ${seconds} s.` : ''}`);

const md = [`# planc vs runc vs crun — ${date}`, '', ...table, '', ...notes.map((x) => `- ${x}`), ''].join('\n');
process.stdout.write(md);
writeFileSync(join(resultsDir, 'latest.md'), md);
writeFileSync(join(resultsDir, 'latest.json'), JSON.stringify({ date, host, versions, planc: plancHow, crun: crunCmd ? { command: crunCmd, how: crunHow, nsenterMs: nsenterMs ? Number(nsenterMs) : null } : { ran: false, why: crunHow }, settings, rows, nodeRssKB: nodeRss ? Number(nodeRss) : null, planner, seccomp }, null, 2) + '\n');
console.log(`\nwrote ${join(resultsDir, 'latest.md')} and latest.json`);
