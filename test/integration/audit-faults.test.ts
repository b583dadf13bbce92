// Lost records (issue 12): an action whose record cannot be written is the
// last one applied — the run stops there with one line saying why, and what
// was made is taken apart. The audit fd the executor is given must be usable
// before anything happens; every record of the executor (its writev calls,
// strace's EIO) and of planc itself (write) is checked; a full disk under the
// audit store stops create, start, kill and delete at the record that does
// not fit, and nothing is left but the trail.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, constants as C, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditReport } from '../../schemas/generated/audit.js';
import { cgroupDirsOf, decodePlan, EXECUTOR, leftovers, NEEDS_ROOT, Planc, type Result, trailPath } from '../helpers/planc.js';

const pc = new Planc();
after(() => pc.cleanup());
const skip = NEEDS_ROOT;

/** Exit 1, exactly one `planc: ` line matching `pattern`. */
function oneLine(r: Result, pattern: RegExp, what: string): string {
  assert.equal(r.code, 1, `${what}: exit code (stderr ${JSON.stringify(r.stderr)})`);
  assert.match(r.stderr, /^planc: [^\n]+\n$/, `${what}: one error line: ${JSON.stringify(r.stderr)}`);
  const line = r.stderr.trimEnd();
  assert.match(line, pattern, what);
  return line;
}

function auditOf(id: string, env?: NodeJS.ProcessEnv): AuditReport {
  const r = pc.run(['audit', id, '--json'], env ? { env } : {});
  return JSON.parse(r.stdout) as AuditReport;
}

test('the executor refuses an audit fd it cannot use, before it applies anything: missing, closed, read-only, not appending', { skip }, (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['true']);
  const dir = mkdtempSync(join(tmpdir(), 'planc-it-auditfd-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // A real plan on the plan fd: an executor that went on without a usable trail would make the container's cgroups.
  const planFile = join(dir, 'plan.msgpack');
  writeFileSync(planFile, readFileSync(pc.ok(['plan', '--bundle', bundle, '--id', id, '--format', 'msgpack']).stdoutFile));
  const file = join(dir, 'trail');
  writeFileSync(file, '');
  const cases: [string, number | null, boolean, RegExp][] = [
    ['no PLANC_AUDIT_FD', null, false, /^planc-exec: PLANC_PLAN_FD, PLANC_REPORT_FD and PLANC_AUDIT_FD are required: nothing is applied that cannot be recorded\n$/],
    ['a closed fd (its number then taken by the executor\'s own procfs handle)', null, true, /^planc-exec: protocol fd audit is not usable \(closed, stdio or preserved\)\n$/],
    ['read-only', C.O_RDONLY, true, /^planc-exec: the audit fd must be open for reading and appending \(O_RDWR\|O_APPEND\)\n$/],
    ['write-only', C.O_WRONLY | C.O_APPEND, true, /must be open for reading and appending/],
    ['not appending', C.O_RDWR, true, /must be open for reading and appending/],
  ];
  for (const [what, flags, named, want] of cases) {
    const fd = flags === null ? null : openSync(file, flags);
    const planFd = openSync(planFile, C.O_RDONLY);
    // Only fds 0-4 when there is no audit file: fd 5 is then closed in the executor.
    const r = spawnSync(EXECUTOR, [], {
      stdio: ['ignore', 'pipe', 'pipe', planFd, 'pipe', ...(fd === null ? [] : [fd])],
      env: { PLANC_PLAN_FD: '3', PLANC_REPORT_FD: '4', ...(named ? { PLANC_AUDIT_FD: '5' } : {}) },
      encoding: 'utf8',
      timeout: 10_000,
    });
    if (fd !== null) closeSync(fd);
    closeSync(planFd);
    assert.equal(r.status, 2, `${what}: ${r.stderr}`);
    assert.match(r.stderr, want, what);
    assert.equal(readFileSync(file, 'utf8'), '', `${what}: nothing written`);
    assert.deepEqual(cgroupDirsOf(id), [], `${what}: no cgroup made`);
  }
});

/** strace making the K-th writev (the executor's records) or write (planc's) to `path` fail with EIO, in each process. */
function eioAt(syscall: 'writev' | 'write', k: number, path: string): string[] {
  return ['strace', '-qq', '-o', '/dev/null', '-f', '-P', path, '-e', `trace=${syscall}`, '-e', `inject=${syscall}:error=EIO:when=${k}`, '--'];
}

test('EIO on each executor record of a create, header first: one line naming the record, the create undone, the trail closed by the undo', { skip }, (t) => {
  const bundle = pc.bundle(['sleep', '100']);
  const probe = pc.id(t);
  pc.ok(['create', '--bundle', bundle, probe]);
  const lines = readFileSync(trailPath(pc.root, probe), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { stage?: string; i?: number; op?: string });
  pc.ok(['delete', '--force', probe]);
  // P writes the header and the host-side records; C its init records up to the wait for start
  // (each process counts its own writev calls: past P's last, only C has a K-th).
  const pWrites = 1 + lines.filter((l) => l.stage !== undefined && l.stage !== 'init').length;
  const cWrites = lines.filter((l) => l.stage === 'init').length;
  assert.ok(pWrites > 10 && cWrites > pWrites, `${pWrites} writes of P, ${cWrites} of C`);
  const failed = new Set<string>();
  for (let k = 1; k <= cWrites; k++) {
    const id = pc.id(t);
    const r = pc.run(['create', '--bundle', bundle, id], { wrap: eioAt('writev', k, trailPath(pc.root, id, 1)) });
    const line = oneLine(r, /^planc: write the audit (header|record of action \d+ \([a-z.-]+\)): input\/output error \(\S+\/1\.audit\.jsonl\): nothing is applied that cannot be recorded, so the create was stopped and undone$/, `EIO at writev ${k}`);
    const what = /write the audit (header|record of action (\d+) \(([a-z.-]+)\))/.exec(line);
    assert.ok(what, line);
    failed.add(what[1] === 'header' ? 'header' : `${what[2]} ${what[3]}`);
    if (k === 1) assert.equal(what[1], 'header');
    else if (k <= pWrites) assert.equal(Number(what[2]), k - 2, `P's write ${k} is the record of action ${k - 2}`);
    leftovers(pc.root, id, bundle);
    // The record was cut back off; the undo went into the trail and closed it.
    const trail = auditOf(id).trails[0]!;
    assert.equal(trail.state, 'closed', `EIO at ${k}: ${trail.problems.join('; ')}`);
    assert.equal(trail.ok, true, `EIO at ${k}: ${trail.problems.join('; ')}`);
    assert.equal(trail.failed, line.replace(/^planc: /, ''));
    assert.deepEqual(trail.lifecycle.map((l) => l.kind), ['undo']);
  }
  assert.equal(failed.size, cWrites, 'every write failed a different record');
  console.log(`audit: EIO at each of ${cWrites} executor writes (the header, ${pWrites - 1} host-side records of P, the init's records past them): one line each, nothing left`);
});

test('EIO on a record of delete or kill: the verb stops before its next action, and runs again once the trail can be written', { skip }, async (t) => {
  const bundle = pc.bundle(['sleep', '100']);
  const id = pc.id(t);
  pc.ok(['run', '-d', '--bundle', bundle, id]);
  const pid = pc.state(id).pid;
  const trail = trailPath(pc.root, id);
  // kill: the plan's line cannot be written, so no signal is sent.
  oneLine(pc.run(['kill', id, 'KILL'], { wrap: eioAt('write', 1, trail) }), /^planc: write the audit record to \S+\/1\.audit\.jsonl: i\/o error$/, 'kill, plan line lost');
  assert.equal(pc.state(id).status, 'running', 'no signal without its record');
  // delete: the plan's line is written, its first action (SIGKILL to the init) applied, its record lost: nothing more.
  oneLine(pc.run(['delete', '--force', id], { wrap: eioAt('write', 2, trail) }), /^planc: write the audit record to \S+\/1\.audit\.jsonl: i\/o error$/, 'delete, first record lost');
  await pc.waitExited(pid);
  assert.ok(existsSync(join(pc.root, id)), 'the state stays: the teardown stopped at the lost record');
  assert.ok(cgroupDirsOf(id).length > 0, 'and so do the cgroups');
  pc.ok(['delete', '--force', id]);
  leftovers(pc.root, id, bundle);
  const report = auditOf(id).trails[0]!;
  assert.deepEqual(report.lifecycle.map((l) => l.kind), ['delete', 'delete'], 'no kill plan (its line was lost), the interrupted delete, the one that finished');
  assert.equal(report.lifecycle[0]!.applied, 0);
  assert.equal(report.lifecycle[1]!.applied, report.lifecycle[1]!.actions);
  assert.match(report.problems.join('\n'), /the delete plan of line \d+ has records for 0 of its \d+ actions/, 'the interrupted delete is visible');
});

/** A tmpfs of 1 MiB for the audit store, unmounted after the test. */
function tinyStore(t: { after(fn: () => void): void }): { env: NodeJS.ProcessEnv; mnt: string; fill(leave: number): void; unfill(): void } {
  const mnt = mkdtempSync(join(tmpdir(), 'planc-it-auditfull-'));
  spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'planc-audit-full', mnt]);
  t.after(() => {
    spawnSync('umount', [mnt]);
    rmSync(mnt, { recursive: true, force: true });
  });
  const store = join(mnt, 'audit');
  mkdirSync(store, { mode: 0o700 });
  const filler = join(mnt, 'fill');
  return {
    env: { ...process.env, PLANC_AUDIT_DIR: store },
    mnt,
    /** Leave exactly `leave` bytes (a multiple of the page size) free. */
    fill(leave: number) {
      rmSync(filler, { force: true });
      const st = statfsSync(mnt);
      const free = st.bavail * st.bsize;
      writeFileSync(filler, Buffer.alloc(free - leave));
      const now = statfsSync(mnt);
      assert.equal(now.bavail * now.bsize, leave, 'the filler left what was asked');
    },
    unfill() {
      rmSync(filler, { force: true });
    },
  };
}

test('a full disk under the audit store stops create where the record does not fit: the plan, the header, a host record, an init record', { skip }, (t) => {
  const store = tinyStore(t);
  const bundle = pc.bundle(['sleep', '100']);
  const page = statfsSync(store.mnt).bsize;
  const stops: number[] = [];
  for (const [pages, want] of [
    [0, /^planc: store the plan in \S+: no space left on device$/],
    [1, /^planc: write the audit header: no space left on device/],
    [2, /^planc: write the audit record of action \d+ \([a-z.-]+\): no space left on device/],
    [4, /^planc: write the audit record of action \d+ \([a-z.-]+\): no space left on device/],
  ] as [number, RegExp][]) {
    const id = pc.id(t);
    const planBytes = readFileSync(pc.ok(['plan', '--bundle', bundle, '--id', id, '--format', 'msgpack']).stdoutFile);
    const planPages = Math.ceil(planBytes.length / page);
    // 0: not even the plan fits; 1: the plan and no trail; then the plan and 1 or 3 pages of trail.
    store.fill(pages === 0 ? 0 : (planPages + pages - 1) * page);
    const r = pc.run(['create', '--bundle', bundle, id], { env: store.env });
    const line = oneLine(r, want, `${pages} pages free`);
    leftovers(pc.root, id, bundle);
    const at = /action (\d+)/.exec(line);
    if (at) stops.push(Number(at[1]));
    if (pages >= 1) {
      // The undo could not be recorded either: the trail ends where the disk did, unclosed.
      const report = auditOf(id, store.env).trails[0]!;
      assert.equal(report.state, pages === 1 ? 'empty' : 'truncated', line);
      assert.equal(report.ok, false);
    }
    store.unfill();
    // With room again, the trail still verifies up to where it stops, and says it stops there.
    if (pages >= 1) assert.match(auditOf(id, store.env).trails[0]!.problems.join('\n'), pages === 1 ? /^the trail is empty: the executor wrote not even its header$/ : /without its closing record/);
  }
  // More room, further: the init stage (C) hit the full disk in the last case.
  assert.equal(stops.length, 2);
  assert.ok(stops[1]! > stops[0]!, `stopped at action ${stops[0]} with 1 page, at ${stops[1]} with 3`);
  const plan = decodePlan(readFileSync(pc.ok(['plan', '--bundle', bundle, '--format', 'msgpack']).stdoutFile));
  assert.equal(plan.actions[stops[1]!]!.stage, 'init', 'with 3 pages the init stage ran out of room');
  console.log(`audit: full store: stopped at the plan, the header, action ${stops[0]} (${plan.actions[stops[0]!]!.op}), action ${stops[1]} (${plan.actions[stops[1]!]!.op})`);
});

test('a full disk at start: the init stops before exec and says so; delete refuses until its records fit, then removes everything', { skip }, (t) => {
  const store = tinyStore(t);
  const bundle = pc.bundle(['sleep', '100']);
  const id = pc.id(t);
  pc.ok(['create', '--bundle', bundle, id], { env: store.env });
  // The init's next record (execfifo.wait) is about 150 bytes: grow the trail with `kill 0`
  // records (each appends a small plan and its record) until less than that is left in its last page.
  const trail = trailPath(pc.root, id).replace(pc.auditDir, join(store.mnt, 'audit'));
  const page = statfsSync(store.mnt).bsize;
  const slack = () => (page - (statSync(trail).size % page)) % page;
  for (let k = 0; k < 100 && slack() >= 120; k++) pc.ok(['kill', id, '0'], { env: store.env });
  assert.ok(slack() < 120, `the trail's last page has ${slack()} bytes left`);
  store.fill(0);
  const r = pc.run(['start', id], { env: store.env });
  oneLine(r, new RegExp(`^planc: ${id}: the container init could not write its audit record \\(no space left on device\\) and stopped before running its process$`), 'start on a full disk');
  await_(() => pc.state(id).status === 'stopped');
  // Nothing runs, and nothing is removed while its removal cannot be recorded.
  oneLine(pc.run(['delete', '--force', id], { env: store.env }), /^planc: write the audit record to \S+: no space left on device$/, 'delete on a full disk');
  assert.ok(existsSync(join(pc.root, id)), 'delete did nothing it could not record');
  oneLine(pc.run(['kill', id, 'KILL'], { env: store.env }), /container not running|no space left on device/, 'kill on a full disk');
  store.unfill();
  pc.ok(['delete', '--force', id], { env: store.env });
  leftovers(pc.root, id, bundle);
  const report = auditOf(id, store.env).trails[0]!;
  assert.equal(report.state, 'closed');
  assert.deepEqual(report.problems, []);
});

function await_(fn: () => boolean): void {
  for (let k = 0; k < 500 && !fn(); k++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  assert.ok(fn());
}
