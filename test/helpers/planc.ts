// Helpers for planc's root integration tests: bundles, a private state root per
// test file, running the CLI, leftover checks, and the audit-log verifier.
// Host cgroup paths come from ./cgroupfs.ts (cgroupDir), never from a literal layout.
//
// Every planc call writes its stdout/stderr to files, never to pipes: the
// container inherits create's stdio, so a pipe would stay open as long as the
// container lives and a synchronous spawn would hang until its timeout.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { Unpackr } from 'msgpackr';
import type { Plan } from '../../schemas/generated/plan.js';
import { verifyTrail } from '../../planner/audit.js';
import { NEEDS_ROOT_REASON } from '../gate/skip-gate.js';
import { cgroupDirsNamed } from './cgroupfs.js';

export { cgroupDir, cgroupDirsNamed, cgroupHierarchies } from './cgroupfs.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const MAKE_BUNDLE = join(REPO, 'scripts/make-bundle.sh');

/**
 * The planc under test. By default a private copy of the build (bin/, dist/, build/,
 * package.json; node_modules linked), taken once per test file: `scripts/build.mjs`
 * deletes and rewrites dist/, so a rebuild running next to the suite would otherwise
 * make random planc calls fail to load. PLANC_IT_LIVE=1 runs the tree in place.
 */
const INSTALL = process.env.PLANC_IT_LIVE === '1' || process.getuid?.() !== 0 ? REPO : snapshotBuild();
/** The `planc` command: the native front (build/planc), which starts Node only for what it does not serve. */
export const PLANC = join(INSTALL, 'bin/planc');
export const EXECUTOR = join(INSTALL, 'build/planc-exec');

function snapshotBuild(): string {
  const need = ['bin/planc', 'bin/planc.cjs', 'dist/planc.cjs', 'build/planc', 'build/planc-exec', 'package.json'];
  const missing = need.filter((f) => !existsSync(join(REPO, f)));
  for (let attempt = 0; ; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'planc-it-build-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    const r = spawnSync('cp', ['-a', ...['bin', 'dist', 'build', 'package.json'].map((f) => join(REPO, f)), dir + '/'], { encoding: 'utf8' });
    symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
    const broken = r.status === 0 ? danglingImports(join(dir, 'dist')) : [`cp: ${r.stderr}`];
    if (broken.length === 0 && need.every((f) => existsSync(join(dir, f)))) return dir;
    if (attempt >= 40) {
      throw new Error(`no complete build of planc to test (run \`node scripts/build.mjs\`): ${[...missing, ...broken].join(', ')}`);
    }
    rmSync(dir, { recursive: true, force: true });
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500); // a rebuild is probably running
  }
}

/** Relative imports between dist/ chunks that point at no file (a build caught half-way). */
function danglingImports(dist: string): string[] {
  const out: string[] = [];
  let files: string[] = [];
  try {
    files = readdirSync(dist).filter((f) => f.endsWith('.js'));
  } catch {
    return ['dist/ is missing'];
  }
  for (const f of files) {
    const text = readFileSync(join(dist, f), 'utf8');
    for (const m of text.matchAll(/(?:from\s*|import\s*\(\s*|import\s*)["'](\.\.?\/[^"']+)["']/g)) {
      if (!existsSync(join(dist, m[1]!))) out.push(`dist/${f} imports ${m[1]}`);
    }
  }
  return out;
}

/**
 * `skip` option for every integration test: a reason when not root, false otherwise.
 * The skip gate (test/gate) allows these skips only when not root.
 */
export const NEEDS_ROOT: string | false = process.getuid?.() === 0 ? false : NEEDS_ROOT_REASON;

const DEFAULT_TIMEOUT = 20_000;

const GATE = '.planc-it-go';
/** process.args for `runGated`: wait until the host opens the gate, then run `script` as sh's body. */
export function gated(script: string): string[] {
  return ['sh', '-c', `until [ -e /${GATE} ]; do sleep 0.01; done; ${script}`];
}

/** Let a `gated()` container go on. */
export function openGate(bundle: string): void {
  writeFileSync(join(bundle, 'rootfs', GATE), '');
}

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Files that received the call's stdout/stderr (a created container keeps writing to them). */
  stdoutFile: string;
  stderrFile: string;
}

export interface RunOptions {
  timeout?: number;
  /** Extra fds given to planc as its fds 3, 4, … (to check they do not leak into the container). */
  extraFds?: number[];
  env?: NodeJS.ProcessEnv;
  /** Run without the private --root (to test global-flag handling yourself). */
  noRoot?: boolean;
  /** A command to run planc under, e.g. strace with a fault to inject: [wrap..., node, planc, args...]. */
  wrap?: string[];
  /** What planc reads on its stdin (`update -r -`); without it stdin is /dev/null. */
  stdin?: string;
}

let seq = 0;
/** A container id no other test (or other test run, or the host) uses. */
export function uniqueId(prefix = 'it'): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${++seq}`;
}

export function sha256(bytes: Uint8Array | string): string {
  return 'sha256:' + createHash('sha256').update(bytes).digest('hex');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Poll `fn` until it returns a truthy value; fail with `what` after `ms`. The default is generous
 * on purpose: it only bounds how long a real failure takes to report, and a loaded CI machine is slow.
 */
export async function waitFor<T>(what: string, fn: () => T | undefined | null | false, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

let template: string | null = null;
/** make-bundle.sh is slow (~1 s: one `ln` per applet); build it once per process and copy it. */
function bundleTemplate(): string {
  if (template && existsSync(join(template, 'config.json'))) return template;
  const dir = (template = mkdtempSync(join(tmpdir(), 'planc-it-template-')));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  makeBundleWithScript(template, []);
  return template;
}

function makeBundleWithScript(dir: string, args: string[]): void {
  // make-bundle.sh runs the live tree's `planc spec`: retried across a concurrent rebuild.
  let r = spawnSync(MAKE_BUNDLE, [dir, ...args], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 60_000 });
  for (let k = 0; k < 10 && r.status !== 0 && /ERR_MODULE_NOT_FOUND/.test(r.stderr); k++) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    r = spawnSync(MAKE_BUNDLE, [dir, ...args], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 60_000 });
  }
  assert.equal(r.status, 0, `make-bundle.sh ${dir} failed: ${r.stderr}${r.error ?? ''}`);
}

export type Config = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export function readConfig(bundle: string): Config {
  return JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
}

export function writeConfig(bundle: string, config: Config): void {
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(config, null, '\t') + '\n');
}

/** Mount points (host view) at or below `dir`. */
export function mountsUnder(dir: string): string[] {
  const prefix = dir.replace(/\/+$/, '');
  return mountinfoLines()
    .map((l) => unescapeMountField(l.split(' ')[4] ?? ''))
    .filter((m) => m === prefix || m.startsWith(prefix + '/'));
}

/** Host mountinfo lines that mention `id` anywhere (mount point, mount root, source, options). */
export function mountsMentioning(id: string): string[] {
  return mountinfoLines().filter((l) => unescapeMountField(l).includes(id));
}

function mountinfoLines(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean);
}

// mountinfo escapes space, tab, newline and backslash as three octal digits.
function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/**
 * Cgroup directories named `id` anywhere in any hierarchy of this host (every v1
 * hierarchy and the cgroup2 mount, found in mountinfo): a container with a custom
 * cgroupsPath is found as well as one under the default planc/ parent.
 */
export function cgroupDirsOf(id: string): string[] {
  return cgroupDirsNamed([id]).get(id) ?? [];
}

/** Live processes (not zombies) whose /proc/<pid>/cgroup names the id as a path component. */
export function processesOf(id: string): number[] {
  return processesInCgroupsOf([id], { zombies: false }).map((p) => p.pid);
}

/**
 * Processes whose /proc/<pid>/cgroup names one of `ids` as a path component, with
 * their state letter; zombies too unless `zombies: false`.
 */
export function processesInCgroupsOf(ids: Iterable<string>, opts: { zombies: boolean }): { pid: number; state: string; id: string }[] {
  const want = new Set(ids);
  const out: { pid: number; state: string; id: string }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(name)) continue;
    let cg: string;
    let stat: string;
    try {
      cg = readFileSync(`/proc/${name}/cgroup`, 'utf8');
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '?';
    if (!opts.zombies && (state === 'Z' || state === 'X')) continue;
    const hit = cg
      .split('\n')
      .flatMap((line) => line.split(':').slice(2).join(':').split('/'))
      .find((part) => want.has(part));
    if (hit !== undefined) out.push({ pid: Number(name), state, id: hit });
  }
  return out;
}

/** Bounds of the --root walk: a state root holds a few files per container. */
const ROOT_MAX_DEPTH = 8;
const ROOT_MAX_ENTRIES = 50_000;

// Temp files of atomic writes (`state.json.tmp-<pid>`) and lock files (`lock`, `x.lock`).
const TEMP_FILE = /\.tmp(-|$)/;
// The temp file of a write planc is making right now (cli/state/gate.ts ContainerDir.write): in another
// container's state dir it belongs to a create still in flight, not to the container checked.
const IN_FLIGHT = /^\.[a-z.]+\.[0-9a-f]{12}\.tmp$/;
const LOCK_FILE = /^(lock|\.lock)$|\.lock$/;

/**
 * What the --root holds that nothing should hold once the containers in `ids` are
 * deleted: any entry whose name mentions one of the ids (its state dir, a lock or
 * pid file beside it, a temp file), and any temp file or lock file anywhere, except
 * a lock inside the state dir of a container that still exists (one with state.json).
 */
export function rootLeftovers(root: string, ids: Iterable<string>): string[] {
  const idList = [...ids];
  const out: string[] = [];
  let seen = 0;
  // `inOther`: inside the state dir of another container, which may be mid-create.
  const walk = (dir: string, depth: number, inOther = false): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // no root yet, or removed meanwhile
    }
    const liveStateDir = dir !== root && entries.some((e) => e.name === 'state.json');
    for (const e of entries) {
      const path = join(dir, e.name);
      if (++seen > ROOT_MAX_ENTRIES) throw new Error(`more than ${ROOT_MAX_ENTRIES} entries under ${root}: the leftover search would be incomplete`);
      const mentions = idList.find((id) => e.name.includes(id));
      if (mentions !== undefined) out.push(`${path} (names ${mentions})`);
      else if (TEMP_FILE.test(e.name) && !(inOther && IN_FLIGHT.test(e.name))) out.push(`${path} (temp file)`);
      else if (LOCK_FILE.test(e.name) && !liveStateDir) out.push(`${path} (lock file)`);
      // Never follow symlinks out of the root.
      if (e.isDirectory() && !e.isSymbolicLink()) {
        if (depth >= ROOT_MAX_DEPTH) throw new Error(`${root} is deeper than ${ROOT_MAX_DEPTH} levels at ${path}: the leftover search would be incomplete`);
        walk(path, depth + 1, inOther || (dir === root && mentions === undefined));
      }
    }
  };
  walk(root, 1);
  return out;
}

/**
 * Assert that nothing of container `id` is left: no state dir or any other entry for
 * it and no temp or lock file anywhere under `root`; no cgroup dir named `id` in any
 * hierarchy; no process in its cgroups; no mount mentioning it, nor under the bundle's rootfs.
 */
export function leftovers(root: string, id: string, bundle?: string): void {
  assert.ok(!existsSync(join(root, id)), `state dir ${join(root, id)} is left behind (contains: ${safeList(join(root, id))})`);
  const stray = rootLeftovers(root, [id]);
  assert.deepEqual(stray, [], `entries left under --root ${root}: ${stray.join(', ')}`);
  const cgs = cgroupDirsOf(id);
  assert.deepEqual(cgs, [], `cgroup dirs left behind: ${cgs.join(', ')}`);
  const procs = processesOf(id);
  assert.deepEqual(procs, [], `processes left in the container's cgroups: ${procs.join(', ')}`);
  const mentioning = mountsMentioning(id);
  assert.deepEqual(mentioning, [], `mounts mentioning ${id} left behind:\n${mentioning.join('\n')}`);
  if (bundle) {
    const m = mountsUnder(join(bundle, 'rootfs'));
    assert.deepEqual(m, [], `mounts left under ${bundle}/rootfs: ${m.join(', ')}`);
  }
}

function safeList(dir: string): string {
  try {
    return readdirSync(dir).join(', ');
  } catch {
    return '?';
  }
}

/** The durable audit store of a Planc world: beside its --root, outside it (delete never touches it). */
export function auditDirFor(root: string): string {
  return join(dirname(root), 'audit');
}

/** The path of trail `seq` of `id` (default: its latest, or 1 when it has none yet). */
export function trailPath(root: string, id: string, seq?: number): string {
  const dir = join(auditDirFor(root), id);
  let n = seq;
  if (n === undefined) {
    let seqs: number[] = [];
    try {
      seqs = readdirSync(dir).map((f) => /^([0-9]+)\.audit\.jsonl$/.exec(f)?.[1]).filter((x): x is string => x !== undefined).map(Number);
    } catch {
      // no trail yet
    }
    n = seqs.length ? Math.max(...seqs) : 1;
  }
  return join(dir, `${n}.audit.jsonl`);
}

/** One test file's world: a private --root and audit store, its bundles, its containers. */
export class Planc {
  readonly root: string;
  /** The private audit store (PLANC_AUDIT_DIR of every call): trails outlive their containers. */
  readonly auditDir: string;
  /** The planc CLI this world runs (PLANC, or a variant install's). */
  readonly planc: string;
  private readonly scratch: string;
  private readonly bundles: string[] = [];
  private calls = 0;

  constructor(opts: { planc?: string } = {}) {
    this.scratch = mkdtempSync(join(tmpdir(), 'planc-it-'));
    this.root = join(this.scratch, 'root');
    this.auditDir = auditDirFor(this.root);
    this.planc = opts.planc ?? PLANC;
  }

  /** Run planc synchronously with the private --root. */
  run(args: string[], opts: RunOptions = {}): Result {
    const { stdoutFile, stderrFile, fds } = this.outputFiles();
    try {
      const [cmd, ...argv] = [...(opts.wrap ?? []), ...this.argv(args, opts)];
      const r = spawnSync(cmd!, argv, {
        stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', fds[0], fds[1], ...(opts.extraFds ?? [])],
        input: opts.stdin,
        timeout: opts.timeout ?? DEFAULT_TIMEOUT,
        env: this.env(opts),
        killSignal: 'SIGKILL',
      });
      if (r.error) throw new Error(`planc ${args.join(' ')}: ${r.error.message}`);
      return { code: r.status, signal: r.signal, stdout: readFileSync(stdoutFile, 'utf8'), stderr: readFileSync(stderrFile, 'utf8'), stdoutFile, stderrFile };
    } finally {
      closeSync(fds[0]);
      closeSync(fds[1]);
    }
  }

  /** Start planc asynchronously (for signals and concurrency); `done` resolves with its result. */
  spawn(args: string[], opts: RunOptions = {}): { child: ChildProcess; done: Promise<Result>; stdoutFile: string; stderrFile: string } {
    const { stdoutFile, stderrFile, fds } = this.outputFiles();
    const [cmd, ...argv] = [...(opts.wrap ?? []), ...this.argv(args, opts)];
    const child = spawn(cmd!, argv, { stdio: ['ignore', fds[0], fds[1], ...(opts.extraFds ?? [])], env: this.env(opts) });
    closeSync(fds[0]);
    closeSync(fds[1]);
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeout ?? DEFAULT_TIMEOUT);
    const done = new Promise<Result>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout: readFileSync(stdoutFile, 'utf8'), stderr: readFileSync(stderrFile, 'utf8'), stdoutFile, stderrFile });
      });
    });
    return { child, done, stdoutFile, stderrFile };
  }

  /** Run planc and assert it exits 0 with nothing on stderr. */
  ok(args: string[], opts: RunOptions = {}): Result {
    const r = this.run(args, opts);
    assert.equal(r.code, 0, `planc ${args.join(' ')} exited ${r.code ?? r.signal}: ${r.stderr}`);
    return r;
  }

  /** The OCI state of a container (asserts `state` succeeds). */
  state(id: string): { id: string; pid: number; status: string; bundle: string; rootfs: string; [k: string]: unknown } {
    return JSON.parse(this.ok(['state', id]).stdout);
  }

  /** A fresh unique id whose container is force-deleted after the test, pass or fail. */
  id(t: TestContext, prefix = 'it'): string {
    const id = uniqueId(prefix);
    t.after(async () => {
      // Retried: a concurrent rebuild of dist/ can make one planc call fail to load.
      let r = this.run(['delete', '--force', id]);
      for (let k = 0; k < 5 && r.code !== 0; k++) {
        await sleep(500);
        r = this.run(['delete', '--force', id]);
      }
      assert.equal(r.code, 0, `cleanup: delete --force ${id} failed: ${r.stderr}`);
    });
    return id;
  }

  /**
   * A fresh busybox bundle in its own mkdtemp dir, made by scripts/make-bundle.sh,
   * with process.args set and config.json passed through `mutate`.
   * `fresh` runs make-bundle.sh for this bundle itself (slow) instead of copying a template made by it.
   */
  bundle(args: string[], mutate?: (config: Config) => void, opts: { fresh?: boolean } = {}): string {
    const dir = mkdtempSync(join(this.scratch, 'bundle-'));
    this.bundles.push(dir);
    if (opts.fresh) {
      makeBundleWithScript(dir, args);
    } else {
      const r = spawnSync('cp', ['-a', bundleTemplate() + '/.', dir + '/'], { encoding: 'utf8' });
      assert.equal(r.status, 0, `copy bundle template: ${r.stderr}`);
    }
    const config = readConfig(dir);
    config.process.args = args;
    // `planc spec` (like runc's) asks for a terminal; test commands write to planc's stdout.
    config.process.terminal = false;
    mutate?.(config);
    writeConfig(dir, config);
    return dir;
  }

  /** A path in this file's scratch dir, outside the --root (for pid files and logs a test asks planc to write). */
  scratchPath(name: string): string {
    return join(this.scratch, name);
  }

  /** Paths of the state files of a container, and of its (latest) audit trail in the store. */
  stateFiles(id: string) {
    const d = join(this.root, id);
    const audit = trailPath(this.root, id);
    return { dir: d, state: join(d, 'state.json'), plan: join(d, 'plan.msgpack'), audit, trailPlan: audit.replace(/\.audit\.jsonl$/, '.plan.msgpack'), fifo: join(d, 'exec.fifo') };
  }

  /** Wait until the container's state is `status` (polling `planc state`). */
  async waitStatus(id: string, status: string, ms = 5000): Promise<void> {
    let last = '';
    await waitFor(`container ${id} to be ${status} (last: ${last})`, () => {
      const r = this.run(['state', id]);
      last = r.code === 0 ? JSON.parse(r.stdout).status : r.stderr.trim();
      return last === status;
    }, ms);
  }

  /** Wait until the container's init has exited, seen from the host (faster than polling `state`). */
  async waitExited(pid: number, ms = 10_000): Promise<void> {
    await waitFor(`pid ${pid} to exit`, () => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const st = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
        return st === 'Z' || st === 'X';
      } catch {
        return true;
      }
    }, ms);
  }

  /**
   * create → (audit verifies as `created`, `beforeStart` sees the waiting init) → start →
   * wait for the init to exit → audit verifies as `started`. The container's output is
   * what create's stdout/stderr received. Does not delete the container.
   */
  async createStartWait(id: string, bundle: string, opts: { extraFds?: number[]; beforeStart?: (pid: number) => void } = {}) {
    const c = this.ok(['create', '--bundle', bundle, id], { extraFds: opts.extraFds });
    const st = this.state(id);
    assert.equal(st.status, 'created', `state of ${id} right after create`);
    assert.ok(st.pid > 0, `created container has a pid: ${st.pid}`);
    verifyAudit(this.root, id, { expect: 'created' });
    opts.beforeStart?.(st.pid);
    this.ok(['start', id]);
    await this.waitExited(st.pid);
    const audit = await verifyStartedAudit(this.root, id);
    return { stdout: readFileSync(c.stdoutFile, 'utf8'), stderr: readFileSync(c.stderrFile, 'utf8'), pid: st.pid, audit };
  }

  /**
   * Foreground `run` of a bundle whose process was made with `gated()`: while the
   * container waits at the gate, its audit log is verified (a foreground run removes
   * the state dir when it ends), then the gate opens and run's result is returned.
   */
  async runGated(id: string, bundle: string, opts: RunOptions & { runArgs?: string[] } = {}) {
    const p = this.spawn(['run', ...(opts.runArgs ?? []), '--bundle', bundle, id], opts);
    const audit = trailPath(this.root, id);
    let verified: ReturnType<typeof verifyAudit> | undefined;
    try {
      await waitFor(`the exec record in ${audit}`, () => existsSync(audit) && EXEC_DONE.test(readFileSync(audit, 'utf8')), 10_000);
      verified = verifyAudit(this.root, id, { expect: 'started' });
    } finally {
      openGate(bundle);
    }
    const r = await p.done;
    return { ...r, audit: verified };
  }

  /** delete (without --force) must succeed and leave nothing behind. */
  finish(id: string, bundle?: string): void {
    this.ok(['delete', id]);
    leftovers(this.root, id, bundle);
  }

  /** Remove every bundle and the private root (after a last delete --force of what is listed). */
  cleanup(): void {
    const list = this.run(['list', '-q']);
    if (list.code === 0) for (const id of list.stdout.split('\n').filter(Boolean)) this.run(['delete', '--force', id]);
    for (const b of this.bundles) {
      // Never recurse into something mounted (a leaked /proc or /dev bind under rootfs).
      if (mountsUnder(b).length === 0) rmSync(b, { recursive: true, force: true });
    }
    if (mountsUnder(this.scratch).length === 0) rmSync(this.scratch, { recursive: true, force: true });
  }

  /** The call's environment: the private audit store unless the test names one. */
  private env(opts: RunOptions): NodeJS.ProcessEnv {
    const env = opts.env ?? process.env;
    return 'PLANC_AUDIT_DIR' in env ? env : { ...env, PLANC_AUDIT_DIR: this.auditDir };
  }

  private argv(args: string[], opts: RunOptions): string[] {
    return opts.noRoot ? [this.planc, ...args] : [this.planc, '--root', this.root, ...args];
  }

  private outputFiles() {
    const n = ++this.calls;
    const stdoutFile = join(this.scratch, `out-${n}`);
    const stderrFile = join(this.scratch, `err-${n}`);
    const fds = [openSync(stdoutFile, 'w+'), openSync(stderrFile, 'w+')] as const;
    return { stdoutFile, stderrFile, fds };
  }
}

// ---------------------------------------------------------------------------
// Test-only executor variants
//
// executor/native/build.sh also builds build/test/planc-exec-<variant>: the executor with
// fault injection (-DPLANC_FAULTS) or with one protection deliberately weakened, so a test
// can show its attack succeeds against that variant. planc itself never runs them and
// forwards no test variable to its executor: a test selects a variant only by running a
// private copy of the install in which build/planc-exec is this wrapper.

export interface VariantInstall {
  /** The copy's root (bin/, dist/, build/). */
  dir: string;
  /** Its planc CLI, for `new Planc({ planc })`. */
  planc: string;
  /** The variant binary the wrapper runs. */
  binary: string;
  /**
   * Variables the wrapper exports to the variant on every later call (replacing earlier ones);
   * `fds`: files the wrapper opens (read-only) as these fd numbers first, as a caller that leaks
   * its own fds into the runtime would (planc itself passes only stdio and the preserved fds).
   */
  setEnv(vars: Record<string, string>, fds?: Record<number, string>): void;
}

const ENV_FILE = 'planc-exec.env';

/**
 * A private install of planc whose executor is build/test/planc-exec-`variant`; variant
 * `installed` is the real build/planc-exec behind the same wrapper (to show that the
 * installed executor ignores what a variant would obey).
 */
export function variantInstall(variant: string): VariantInstall {
  const binary = variant === 'installed' ? EXECUTOR : join(INSTALL, 'build/test', `planc-exec-${variant}`);
  if (!existsSync(binary)) throw new Error(`no test executor ${binary} (run \`node scripts/build.mjs\`)`);
  const dir = mkdtempSync(join(tmpdir(), `planc-it-${variant}-`));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const r = spawnSync('cp', ['-a', ...['bin', 'dist', 'build', 'package.json'].map((f) => join(INSTALL, f)), dir + '/'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`copy the install for ${variant}: ${r.stderr}`);
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
  const exec = join(dir, 'build/planc-exec');
  if (variant === 'installed') copyFileSync(binary, join(dir, 'build/test/planc-exec-installed'));
  rmSync(exec);
  writeFileSync(join(dir, 'build', ENV_FILE), '');
  writeFileSync(
    exec,
    ['#!/bin/sh', `# test-only stand-in for planc-exec: runs the ${variant} variant (test/helpers/planc.ts)`,
      `. "\${0%/*}/${ENV_FILE}"`, `exec "\${0%/*}/test/planc-exec-${variant}" "$@"`, ''].join('\n'),
    { mode: 0o755 },
  );
  const quote = (v: string) => `'${v.replaceAll("'", `'\\''`)}'`;
  const setEnv = (vars: Record<string, string>, fds: Record<number, string> = {}) => {
    const lines = Object.entries(vars).map(([k, v]) => {
      if (!/^[A-Z_][A-Z0-9_]*$/.test(k)) throw new Error(`bad variable name ${k}`);
      return `export ${k}=${quote(v)}`;
    });
    for (const [n, path] of Object.entries(fds)) {
      if (!/^[0-9]$/.test(n) || Number(n) < 3) throw new Error(`fd ${n}: the wrapper's shell opens fds 3..9 only`);
      lines.push(`exec ${n}<${quote(path)}`);
    }
    writeFileSync(join(dir, 'build', ENV_FILE), lines.join('\n') + '\n');
  };
  return { dir, planc: join(dir, 'bin/planc'), binary: join(dir, 'build/test', `planc-exec-${variant}`), setEnv };
}

// ---------------------------------------------------------------------------
// Audit log verification

export interface AuditRecord {
  i: number;
  op: string;
  stage: string;
  r: 'ok' | 'skipped' | 'error';
  t: number;
  why?: string;
  errno?: number;
  msg?: string;
  /** cgroup.create: the directory's inode and whether planc made it. */
  ino?: number;
  made?: boolean;
}

export interface PlanAction {
  op: string;
  stage: string;
  why: string;
  [k: string]: unknown;
}

export interface StoredPlan {
  containerId: string;
  actions: PlanAction[];
  [k: string]: unknown;
}

/** Decode the msgpack plan bytes exactly as stored (no re-encoding). */
export function decodePlan(bytes: Uint8Array): StoredPlan {
  // On a copy: msgpackr hangs a `dataView` property on the buffer it reads.
  return new Unpackr({ useRecords: false }).unpack(Buffer.from(bytes)) as StoredPlan;
}

export interface AuditCheck {
  /**
   * How far the container got: `created` (waiting for start), `started` (its exec confirmed;
   * still in --root), `prefix` (a create in flight or failed: order only), `closed` (deleted:
   * the trail ends with its closing record).
   */
  expect: 'started' | 'created' | 'prefix' | 'closed';
}

/** The exec's confirmation (or failure) is in the trail. */
const EXEC_DONE = /"op":"exec","stage":"init","r":"(ok|error)"/;

const LIVE: Record<AuditCheck['expect'], string | undefined> = { created: 'created', started: 'running', prefix: 'creating', closed: undefined };

/** Every discrepancy between an audit trail and the plan bytes it claims, by planc's own verifier (`planc audit`). */
export function auditProblems(planBytes: Uint8Array, auditText: string | Uint8Array, check: AuditCheck): string[] {
  return verifyTrail(planBytes, typeof auditText === 'string' ? Buffer.from(auditText) : auditText, { live: LIVE[check.expect] }).problems;
}

/**
 * Read the latest trail of `id` from the durable store beside `root` (and the plan stored with
 * it) and assert it verifies. Returns the plan and the create plan's records (an exec once: its
 * outcome, not its pending record).
 */
export function verifyAudit(root: string, id: string, check: AuditCheck): { plan: StoredPlan; planBytes: Buffer; records: AuditRecord[]; trail: string } {
  const path = trailPath(root, id);
  const planBytes = readFileSync(path.replace(/\.audit\.jsonl$/, '.plan.msgpack'));
  const text = readFileSync(path, 'utf8');
  const problems = auditProblems(planBytes, text, check);
  assert.deepEqual(problems, [], `audit trail of ${id} (${path}) does not verify:\n  ${problems.join('\n  ')}`);
  const records = text
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => JSON.parse(l) as AuditRecord & { of?: number; plan?: unknown })
    .filter((r) => typeof r.i === 'number' && r.of === undefined && r.r !== ('pending' as string));
  return { plan: decodePlan(planBytes), planBytes, records, trail: text };
}

/** For a started container: its exec confirmed in the trail (start and run -d confirm it before they return), then verified. */
export async function verifyStartedAudit(root: string, id: string): Promise<ReturnType<typeof verifyAudit>> {
  const audit = trailPath(root, id);
  await waitFor(`the exec record in ${audit}`, () => EXEC_DONE.test(readFileSync(audit, 'utf8')), 5000);
  return verifyAudit(root, id, { expect: 'started' });
}

/** Host view of a process's executable link (for the CVE-2019-5736 check). */
export function exeLink(pid: number): string {
  return readlinkSync(`/proc/${pid}/exe`);
}
