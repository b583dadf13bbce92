// Reads bench/results/hyperfine-<scenario>.json (written by bench/run.sh),
// prints the table and writes bench/results/latest.json.
// Usage: node bench/report.mjs RESULTS_DIR CRUN_SKIP_REASON CRUN_CMD SCENARIO...
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, release, version as osVersion } from 'node:os';
import { join } from 'node:path';

const [resultsDir, crunWhy, crunCmd, ...scenarios] = process.argv.slice(2);
const root = new URL('..', import.meta.url).pathname;

const sh = (cmd, args) => {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
};
const first = (s) => (s == null ? null : s.split('\n')[0]);
const r = (x, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

const tables = scenarios.map((scenario) => {
  const hf = JSON.parse(readFileSync(join(resultsDir, `hyperfine-${scenario}.json`), 'utf8'));
  const byName = new Map(hf.results.map((x) => [x.command, x]));
  const floor = byName.get('node -e 0');
  const rows = hf.results.map((x) => {
    const [runtime, ...verb] = x.command.split(' ');
    const runc = runtime === 'runc' || x.command === 'node -e 0' ? null : byName.get(['runc', ...verb].join(' '));
    return {
      command: x.command,
      meanMs: r(x.mean * 1e3, 2),
      stddevMs: r(x.stddev * 1e3, 2),
      medianMs: r(x.median * 1e3, 2),
      minMs: r(x.min * 1e3, 2),
      maxMs: r(x.max * 1e3, 2),
      runs: x.times.length,
      vsNode: floor ? r(x.mean / floor.mean, 2) : null,
      vsRunc: runc ? r(x.mean / runc.mean, 2) : null,
    };
  });
  return { scenario, rows };
});

// the table
const head = ['scenario', 'command', 'mean ms ± σ', 'vs node -e 0', 'vs runc'];
const lines = [head];
for (const t of tables)
  for (const x of t.rows)
    lines.push([t.scenario, x.command, `${x.meanMs.toFixed(1)} ± ${x.stddevMs.toFixed(1)}`, x.vsNode == null ? '' : `${x.vsNode.toFixed(2)}×`, x.vsRunc == null ? '' : `${x.vsRunc.toFixed(2)}×`]);
const widths = head.map((_, i) => Math.max(...lines.map((l) => l[i].length)));
const fmt = (l) => l.map((c, i) => (i >= 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
console.log(fmt(lines[0]));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const l of lines.slice(1)) console.log(fmt(l));
if (crunWhy) console.log(`\ncrun skipped: ${crunWhy}`);

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const gitHead = sh('git', ['-C', root, 'rev-parse', '--short', 'HEAD']);
const dirty = sh('git', ['-C', root, 'status', '--porcelain']);
const latest = {
  date: new Date().toISOString(),
  host: {
    kernel: release(),
    kernelVersion: osVersion(),
    cpu: cpus()[0]?.model ?? null,
    cpus: cpus().length,
    cgroup: existsSync('/sys/fs/cgroup/cgroup.controllers') ? 'v2' : existsSync('/sys/fs/cgroup/unified') ? 'v1 (hybrid)' : 'v1',
  },
  versions: {
    planc: pkg.version,
    plancGit: gitHead ? gitHead + (dirty ? '-dirty' : '') : null,
    node: process.version,
    runc: first(sh('runc', ['--version'])),
    crun: first(sh('crun', ['--version'])),
    hyperfine: sh('hyperfine', ['--version']),
  },
  crun: crunWhy ? { ran: false, why: crunWhy } : { ran: true, command: crunCmd },
  settings: { warmup: Number(process.env.WARMUP ?? 3), minRuns: Number(process.env.MIN_RUNS ?? 20) },
  scenarios: tables,
};
writeFileSync(join(resultsDir, 'latest.json'), JSON.stringify(latest, null, 2) + '\n');
console.log(`\nwrote ${join(resultsDir, 'latest.json')}`);
