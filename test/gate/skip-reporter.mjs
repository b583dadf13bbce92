// A node:test reporter (`--test-reporter=./test/gate/skip-reporter.mjs`) that
// writes one JSON document (the SkipReport of ./skip-gate.ts): how many tests
// ran, passed, failed, and every skipped or todo test with its file, full name
// and reason. It runs next to the spec reporter; ./check-skips.ts judges the
// result against test/skip-allowlist.json, so `npm test` cannot be green with
// tests silently skipped.
//
// Plain JavaScript: Node 20 loads reporters before `--import tsx` takes effect.
import { relative } from 'node:path';

/** @param {string | boolean | undefined} v */
function reasonOf(v) {
  return typeof v === 'string' && v.length > 0 ? v : '(no reason given)';
}

/** @param {AsyncIterable<{ type: string, data: any }>} source */
export default async function* skipReporter(source) {
  const report = { executed: 0, passed: 0, failed: 0, skipped: 0, todo: 0, skips: /** @type {object[]} */ ([]) };
  // Names of the enclosing suites/tests per file, by nesting level, for full names.
  /** @type {Map<string, string[]>} */
  const stacks = new Map();
  for await (const { type, data } of source) {
    if (type === 'test:start') {
      const stack = stacks.get(data.file ?? '') ?? [];
      stack.length = data.nesting;
      stack[data.nesting] = data.name;
      stacks.set(data.file ?? '', stack);
      continue;
    }
    if (type !== 'test:pass' && type !== 'test:fail') continue;
    const isSuite = data.details?.type === 'suite';
    const path = (stacks.get(data.file ?? '') ?? []).slice(0, data.nesting);
    const entry = { file: data.file ? relative(process.cwd(), data.file) : '(unknown file)', name: [...path, data.name].join(' > ') };
    if (data.skip !== undefined && data.skip !== false) {
      report.skips.push({ ...entry, kind: isSuite ? 'skipped suite' : 'skip', reason: reasonOf(data.skip) });
      if (!isSuite) report.skipped++;
      continue;
    }
    if (isSuite) continue; // a suite's own pass/fail is the sum of its tests'
    report.executed++;
    if (data.todo !== undefined && data.todo !== false) {
      report.todo++;
      report.skips.push({ ...entry, kind: 'todo', reason: reasonOf(data.todo) });
    }
    if (type === 'test:pass') report.passed++;
    else report.failed++;
  }
  yield JSON.stringify(report, null, 2) + '\n';
}
