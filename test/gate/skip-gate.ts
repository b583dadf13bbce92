// The skip gate's rules, pure (unit-tested in test/unit/skip-gate.test.ts):
// a test run passes the gate only if tests ran at all and every skipped or
// todo test is on the allow-list, with the allow-list's host condition true
// on this machine. Root-only skips never pass as root.

/** The skip reason of every root-only test (NEEDS_ROOT in test/helpers/planc.ts). */
export const NEEDS_ROOT_REASON = 'needs root: creates namespaces and cgroups';

export interface SkippedTest {
  /** Relative to the repository root, e.g. test/integration/lifecycle.test.ts. */
  file: string;
  /** Full name: enclosing suites and tests joined with ' > '. */
  name: string;
  kind: 'skip' | 'todo' | 'skipped suite';
  reason: string;
}

/** What test/gate/skip-reporter.mjs writes. */
export interface SkipReport {
  /** Tests (not suites) that ran: passed + failed, todo included. */
  executed: number;
  passed: number;
  failed: number;
  skipped: number;
  todo: number;
  skips: SkippedTest[];
}

/**
 * Facts about the machine the gate checks itself, so that an allowed skip's
 * excuse is verified rather than taken on trust.
 */
export const HOST_CONDITIONS = ['non-root', 'no cgroup2 mount', 'blkio.weight present', 'no runc'] as const;
export type HostCondition = (typeof HOST_CONDITIONS)[number];

export interface AllowEntry {
  /** The test file, relative to the repository root; `*` matches within one path segment. */
  file: string;
  /** Regular expression the full test name must match. */
  test: string;
  /** Regular expression the skip reason must match. */
  reason: string;
  /** Allowed only while this is true on the machine running the tests. */
  onlyWhen?: HostCondition;
  /** Why this test may skip: printed with the list on every run. */
  why: string;
}

export interface Host {
  uid: number;
  conditions: Record<HostCondition, boolean>;
}

export interface Verdict {
  ok: boolean;
  /** Human-readable lines, in order: summary, allow-list, skips, problems, result. */
  lines: string[];
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*');
  return new RegExp(`^${body}$`);
}

/** Problems in the allow-list itself (each makes the gate fail). */
export function allowListProblems(list: unknown): string[] {
  if (!Array.isArray(list)) return ['the allow-list is not a JSON array'];
  const problems: string[] = [];
  list.forEach((e: Partial<AllowEntry>, i) => {
    const at = `allow-list entry ${i + 1}`;
    for (const k of ['file', 'test', 'reason', 'why'] as const) {
      if (typeof e?.[k] !== 'string' || e[k]!.trim() === '') problems.push(`${at}: "${k}" must be a non-empty string`);
    }
    for (const k of ['test', 'reason'] as const) {
      if (typeof e?.[k] === 'string') {
        try {
          new RegExp(e[k]!);
        } catch (err) {
          problems.push(`${at}: "${k}" is not a regular expression: ${(err as Error).message}`);
        }
      }
    }
    if (e?.onlyWhen !== undefined && !HOST_CONDITIONS.includes(e.onlyWhen)) {
      problems.push(`${at}: "onlyWhen" must be one of ${HOST_CONDITIONS.map((c) => JSON.stringify(c)).join(', ')}`);
    }
  });
  return problems;
}

/** Why `skip` is not allowed, or null when an entry allows it (then `entry` is its 1-based index). */
export function judgeSkip(skip: SkippedTest, list: AllowEntry[], host: Host): { allowedBy: number } | { refused: string } {
  if (host.uid === 0 && skip.reason.startsWith('needs root')) {
    return { refused: 'a root-only test skipped although the tests run as root' };
  }
  const matching = list.map((e, i) => ({ e, i })).filter(({ e }) => globToRegExp(e.file).test(skip.file) && new RegExp(e.test).test(skip.name) && new RegExp(e.reason).test(skip.reason));
  if (matching.length === 0) return { refused: 'not on the allow-list' };
  const usable = matching.find(({ e }) => e.onlyWhen === undefined || host.conditions[e.onlyWhen]);
  if (usable) return { allowedBy: usable.i + 1 };
  return { refused: `listed (entry ${matching.map(({ i }) => i + 1).join(', ')}) only when ${matching.map(({ e }) => `"${e.onlyWhen}"`).join(' or ')}, which is false here` };
}

export function judge(report: SkipReport, list: unknown, host: Host): Verdict {
  const lines: string[] = [];
  const problems = allowListProblems(list);
  const entries = problems.length === 0 ? (list as AllowEntry[]) : [];
  const judged = report.skips.map((s) => ({ s, v: judgeSkip(s, entries, host) }));
  const refused = judged.filter(({ v }) => 'refused' in v);

  lines.push(
    `skip-gate: ${report.executed} tests executed (${report.passed} passed, ${report.failed} failed), ` +
      `${report.skipped} skipped, ${report.todo} todo; ${judged.length - refused.length} skips allowed, ${refused.length} not allowed; uid ${host.uid}`,
  );
  lines.push(`skip-gate: allow-list (${entries.length} entries):`);
  entries.forEach((e, i) => {
    const cond = e.onlyWhen === undefined ? 'always' : `only when "${e.onlyWhen}" (${host.conditions[e.onlyWhen] ? 'true' : 'false'} here)`;
    lines.push(`  ${i + 1}. ${e.file} | test /${e.test}/ | reason /${e.reason}/ | ${cond}`);
    lines.push(`     why: ${e.why}`);
  });
  if (judged.length > 0) lines.push('skip-gate: skipped and todo tests:');
  for (const { s, v } of judged) {
    const verdict = 'allowedBy' in v ? `allowed by entry ${v.allowedBy}` : `NOT ALLOWED: ${v.refused}`;
    lines.push(`  [${s.kind}] ${s.file} > ${s.name} — "${s.reason}" — ${verdict}`);
  }
  if (report.executed === 0) problems.push('no test was executed');
  for (const { s, v } of refused) problems.push(`${s.file} > ${s.name}: ${(v as { refused: string }).refused}`);
  for (const p of problems) lines.push(`skip-gate: problem: ${p}`);
  lines.push(problems.length === 0 ? 'skip-gate: ok' : `skip-gate: FAILED (${problems.length} problem${problems.length === 1 ? '' : 's'})`);
  return { ok: problems.length === 0, lines };
}
