// The skip gate, run by `npm test` after the test runner:
//   node --import tsx test/gate/check-skips.ts REPORT.json [ALLOWLIST.json]
// Prints the counts, the whole allow-list with each entry's reason, every
// skipped/todo test with its verdict; exits 1 if a skip is not allowed or no test ran.
import { existsSync, readFileSync } from 'node:fs';
import { cgroupFileExists, cgroupHierarchies } from '../helpers/cgroupfs.js';
import { runcBinary } from '../helpers/runc.js';
import { type Host, type HostCondition, judge, type SkipReport } from './skip-gate.js';

const [reportPath, allowPath = 'test/skip-allowlist.json'] = process.argv.slice(2);
if (!reportPath) {
  console.error('usage: check-skips.ts REPORT.json [ALLOWLIST.json]');
  process.exit(2);
}
if (!existsSync(reportPath)) {
  console.log(`skip-gate: FAILED: no report at ${reportPath} (the test runner did not get to write it)`);
  process.exit(1);
}

let report: SkipReport;
try {
  report = JSON.parse(readFileSync(reportPath, 'utf8')) as SkipReport;
} catch (e) {
  console.log(`skip-gate: FAILED: the report ${reportPath} is not complete JSON (the test runner stopped early?): ${(e as Error).message}`);
  process.exit(1);
}
const list: unknown = JSON.parse(readFileSync(allowPath, 'utf8'));
const hierarchies = cgroupHierarchies();
const conditions: Record<HostCondition, boolean> = {
  'non-root': process.getuid?.() !== 0,
  'no cgroup2 mount': !hierarchies.some((h) => h.version === 2),
  'blkio.weight present': cgroupFileExists('blkio', 'blkio.weight'),
  'no runc': runcBinary() === null,
};
const host: Host = { uid: process.getuid?.() ?? -1, conditions };
const verdict = judge(report, list, host);
console.log(verdict.lines.join('\n'));
process.exit(verdict.ok ? 0 : 1);
