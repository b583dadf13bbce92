// Real container engines (podman through conmon, containerd through its runc v2
// shim) driving planc — or runc, to compare — as their OCI runtime. Each engine
// lives in a private world under one temp dir: its own storage, config, state
// and run dirs, its own cgroup parent or namespace, its daemon (containerd)
// started and stopped here, images built locally from busybox-static (no
// registry). `close()` checks and removes what the engine itself left (its
// parent cgroups, the shim socket dir) after the tests have asserted that no
// container left anything.
//
// Engine calls write their output to files, never to pipes: podman's conmon and
// containerd's shim outlive the call and may hold a pipe open until they exit.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { cgroupHierarchies } from './cgroupfs.js';
import { MAKE_BUNDLE, mountsUnder, PLANC, rootLeftovers, sleep, waitFor } from './planc.js';
import { runcBinary } from './runc.js';

export type RuntimeName = 'planc' | 'runc';

export interface EngineResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** What every engine test needs to know: the output files go in `dir`, the call is killed after `timeout` ms. */
function runTo(dir: string, cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeout?: number; stdin?: string } = {}): EngineResult {
  const out = join(dir, `out-${process.hrtime.bigint()}`);
  const err = `${out}.err`;
  const fds = [openSync(out, 'w+'), openSync(err, 'w+')];
  try {
    const r = spawnSync(cmd, args, {
      stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', fds[0], fds[1]],
      input: opts.stdin,
      env: opts.env ?? process.env,
      timeout: opts.timeout ?? 60_000,
      killSignal: 'SIGKILL',
    });
    if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
    return { code: r.status, signal: r.signal, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
  } finally {
    for (const fd of fds) closeSync(fd);
    rmSync(out, { force: true });
    rmSync(err, { force: true });
  }
}

/** Assert an engine call exited 0; returns it. */
export function ok(r: EngineResult, what: string): EngineResult {
  assert.equal(r.code, 0, `${what} exited ${r.code ?? r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

/**
 * The runtime an engine is given: an executable named `runc` in a directory of
 * its own (podman passes `--log-format=json --log FILE` only to runtimes with a
 * name it knows), which execs planc's CLI — or the real runc — with the
 * arguments the engine passed. `fixedRoot`: the wrapper adds `--root <root>`
 * itself, for engines that pass none (podman: its cleanup process does not
 * forward `--runtime-flag`, so a root given that way would miss `delete`).
 */
export class Runtime {
  readonly bin: string;
  /** The state dir every call of this runtime uses (with containerd: <root>/<namespace>). */
  readonly root: string;

  constructor(readonly name: RuntimeName, parent: string, fixedRoot: boolean) {
    const dir = join(parent, `runtime-${name}`);
    mkdirSync(join(dir, 'bin'), { recursive: true });
    this.root = join(dir, 'state');
    this.bin = join(dir, 'bin', 'runc');
    const rootArgs = fixedRoot ? ` --root '${this.root}'` : '';
    const target = name === 'planc' ? `'${PLANC}'` : `'${runcPath()}'`;
    writeFileSync(this.bin, `#!/bin/sh\n# ${name} as an engine's runtime (test/helpers/engines.ts)\nexec ${target}${rootArgs} "$@"\n`, { mode: 0o755 });
  }

  /** Run this runtime's own CLI (state, list…) on the engine's state dir. */
  cli(args: string[], root = this.root): EngineResult {
    const [cmd, ...pre] = this.name === 'planc' ? [PLANC] : [runcPath()];
    return runTo(tmpdir(), cmd!, [...pre, '--root', root, ...args], { timeout: 20_000 });
  }

  /** Entries of the state dir naming any of `ids`, plus temp and lock files anywhere in it. */
  leftovers(ids: string[], root = this.root): string[] {
    return rootLeftovers(root, ids);
  }
}

function runcPath(): string {
  const r = runcBinary();
  if (!r) throw new Error('runc is not installed (scripts/setup.sh installs it)');
  return r;
}

// ---------------------------------------------------------------------------
// Images, built locally

/** A tar of a busybox-static rootfs (scripts/make-bundle.sh), written to `dir`/rootfs.tar. */
export function busyboxRootfsTar(dir: string): string {
  const bundle = join(dir, 'bundle');
  const r = spawnSync(MAKE_BUNDLE, [bundle], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `make-bundle.sh: ${r.stderr}`);
  const tar = join(dir, 'rootfs.tar');
  const t = spawnSync('tar', ['-C', join(bundle, 'rootfs'), '--numeric-owner', '-cf', tar, '.'], { encoding: 'utf8' });
  assert.equal(t.status, 0, `tar: ${t.stderr}`);
  rmSync(bundle, { recursive: true, force: true });
  return tar;
}

const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
export const IMAGE_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * An OCI image layout (image-spec: oci-layout, index.json, blobs/sha256/…) of one
 * uncompressed layer, packed as a tar for `ctr images import`; `name` goes in the
 * index's annotations, where containerd and podman look for the image's name.
 */
export function ociArchive(rootfsTar: string, out: string, name: string): string {
  const layout = `${out}.d`;
  mkdirSync(join(layout, 'blobs', 'sha256'), { recursive: true });
  const blob = (bytes: Buffer) => {
    const hex = createHash('sha256').update(bytes).digest('hex');
    writeFileSync(join(layout, 'blobs', 'sha256', hex), bytes);
    return { digest: `sha256:${hex}`, size: bytes.length };
  };
  const layer = blob(readFileSync(rootfsTar));
  const config = blob(Buffer.from(JSON.stringify({
    architecture: GOARCH[process.arch] ?? process.arch,
    os: 'linux',
    config: { Env: [IMAGE_PATH], Cmd: ['sh'] },
    rootfs: { type: 'layers', diff_ids: [layer.digest] },
  })));
  const manifest = blob(Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
  })));
  writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(layout, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      ...manifest,
      annotations: { 'io.containerd.image.name': name, 'org.opencontainers.image.ref.name': name.split(':').pop() },
    }],
  }));
  const t = spawnSync('tar', ['-C', layout, '-cf', out, '.'], { encoding: 'utf8' });
  assert.equal(t.status, 0, `tar: ${t.stderr}`);
  rmSync(layout, { recursive: true, force: true });
  return out;
}

// ---------------------------------------------------------------------------
// Leftovers the engines' own parents and daemons

/** Cgroup directories `name` directly under every hierarchy's top, deepest first (for removal). */
function cgroupTrees(name: string): string[] {
  const out: string[] = [];
  for (const h of cgroupHierarchies()) {
    const top = join(h.mountpoint, name);
    if (!existsSync(top)) continue;
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
      out.push(d);
    };
    walk(top);
  }
  return out;
}

/** Processes whose command line contains `needle` (a private dir of ours: nothing else's can match). */
export function processesMentioning(needle: string): { pid: number; cmdline: string }[] {
  const out: { pid: number; cmdline: string }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      if (cmdline.includes(needle)) out.push({ pid: Number(name), cmdline });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/**
 * Remove the engine's own cgroup parent (container cgroups must be gone by now:
 * a non-empty parent fails the removal and is reported).
 */
function removeCgroupParent(name: string): string[] {
  const problems: string[] = [];
  for (const d of cgroupTrees(name)) {
    try {
      rmdirSync(d);
    } catch (e) {
      problems.push(`${d}: ${(e as Error).message}`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------
// podman

/**
 * podman with private storage (vfs), run root, tmp dir, config and cgroup parent.
 * Containers get no network (no CNI/netavark setup needed) and nofile/nproc ulimits
 * of 1024 (this machine's root lacks CAP_SYS_RESOURCE to raise them to podman's default).
 */
export class Podman {
  readonly dir: string;
  /** Every container's cgroup parent: /<this>/libpod-<id> in each hierarchy. */
  readonly cgroupParent: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly created: string[] = [];

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'planc-eng-podman-'));
    this.cgroupParent = `planc-eng-podman-${process.pid}`;
    const conf = join(this.dir, 'containers.conf');
    const storage = join(this.dir, 'storage.conf');
    writeFileSync(conf, [
      '[containers]',
      'default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]',
      'netns = "none"',
      'log_driver = "k8s-file"',
      '[engine]',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      `tmp_dir = "${join(this.dir, 'tmp')}"`,
      `static_dir = "${join(this.dir, 'storage', 'libpod')}"`,
      `volume_path = "${join(this.dir, 'storage', 'volumes')}"`,
      '[network]',
      `network_config_dir = "${join(this.dir, 'networks')}"`,
      '',
    ].join('\n'));
    writeFileSync(storage, ['[storage]', 'driver = "vfs"', `graphroot = "${join(this.dir, 'storage')}"`, `runroot = "${join(this.dir, 'run')}"`, ''].join('\n'));
    this.env = { ...process.env, CONTAINERS_CONF: conf, CONTAINERS_STORAGE_CONF: storage, TMPDIR: join(this.dir, 'tmp') };
    mkdirSync(join(this.dir, 'tmp'));
    // What podman writes outside its configured dirs (its blob-info cache): removed by close() if it made them.
    for (const d of ['/var/lib/containers', '/run/containers']) if (!existsSync(d)) this.created.push(d);
  }

  /** The command line of `podman ARGS` with `rt` as the runtime (for tmux). */
  argv(rt: Runtime | null, args: string[]): string[] {
    const g = ['--root', join(this.dir, 'storage'), '--runroot', join(this.dir, 'run'), '--tmpdir', join(this.dir, 'tmp')];
    return ['podman', ...g, ...(rt ? ['--runtime', rt.bin] : []), ...args];
  }

  /** `env K=V …` for a shell command line (tmux runs a string). */
  envPrefix(): string[] {
    return ['env', `CONTAINERS_CONF=${this.env.CONTAINERS_CONF}`, `CONTAINERS_STORAGE_CONF=${this.env.CONTAINERS_STORAGE_CONF}`, `TMPDIR=${this.env.TMPDIR}`];
  }

  run(rt: Runtime | null, args: string[], opts: { timeout?: number; stdin?: string } = {}): EngineResult {
    const [cmd, ...argv] = this.argv(rt, args);
    return runTo(this.dir, cmd!, argv, { ...opts, env: this.env });
  }

  ok(rt: Runtime | null, args: string[], opts: { timeout?: number; stdin?: string } = {}): EngineResult {
    return ok(this.run(rt, args, opts), `podman ${args.join(' ')}`);
  }

  /** `podman import` of a rootfs tar as `name`. */
  importImage(rootfsTar: string, name: string): void {
    this.ok(null, ['import', '--change', `ENV ${IMAGE_PATH}`, rootfsTar, name]);
  }

  /** Full ids of every container podman knows. */
  containers(): string[] {
    return this.ok(null, ['ps', '-a', '-q', '--no-trunc']).stdout.split('\n').filter(Boolean);
  }

  /**
   * Remove every container, the storage, the cgroup parent; returns what was left
   * (containers, processes) or could not be removed. Tests remove their own containers:
   * anything found here is reported, then removed.
   */
  async close(): Promise<string[]> {
    const problems: string[] = [];
    const left = this.containers();
    if (left.length > 0) {
      problems.push(`containers left: ${left.join(', ')}`);
      const r = this.run(null, ['rm', '-a', '-f', '-t', '0']);
      if (r.code !== 0) problems.push(`podman rm -af: ${r.stderr.trim()}`);
    }
    // conmon and podman's exit command (`container cleanup`) finish shortly after a container is removed.
    await waitFor('conmon and podman cleanup processes to exit', () => processesMentioning(this.dir).length === 0, 10_000).catch(() => {});
    const procs = processesMentioning(this.dir);
    if (procs.length > 0) {
      problems.push(`processes left: ${procs.map((p) => `${p.pid} ${p.cmdline}`).join('; ')}`);
      for (const p of procs) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
      await sleep(500);
    }
    problems.push(...removeCgroupParent(this.cgroupParent));
    const mounts = mountsUnder(this.dir);
    if (mounts.length > 0) problems.push(`mounts left under ${this.dir}: ${mounts.join(', ')}`);
    else rmSync(this.dir, { recursive: true, force: true });
    for (const d of this.created) rmSync(d, { recursive: true, force: true });
    return problems;
  }
}

// ---------------------------------------------------------------------------
// containerd

/**
 * A containerd daemon of our own: private root, state, socket, opt dir, no CRI
 * plugin; a namespace of our own (its name is the containers' cgroup parent).
 */
export class Containerd {
  readonly dir: string;
  readonly socket: string;
  readonly namespace: string;
  readonly fifoDir: string;
  private daemon: ChildProcess | null = null;
  private daemonExit: Promise<void> | null = null;
  private readonly created: string[] = [];

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'planc-eng-ctd-'));
    this.socket = join(this.dir, 'containerd.sock');
    this.namespace = `planc-eng-${process.pid}`;
    this.fifoDir = join(this.dir, 'fifo');
    writeFileSync(join(this.dir, 'config.toml'), [
      'version = 2',
      `root = "${join(this.dir, 'root')}"`,
      `state = "${join(this.dir, 'state')}"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      '[grpc]',
      `  address = "${this.socket}"`,
      '[plugins."io.containerd.internal.v1.opt"]',
      `  path = "${join(this.dir, 'opt')}"`,
      '',
    ].join('\n'));
    // The runc shim puts its socket in /run/containerd/s whatever the state dir: close() removes them if we made them.
    for (const d of ['/run/containerd/s', '/run/containerd']) if (!existsSync(d)) this.created.push(d);
  }

  async start(): Promise<void> {
    const log = openSync(join(this.dir, 'containerd.log'), 'w');
    const child = spawn('containerd', ['--config', join(this.dir, 'config.toml')], { stdio: ['ignore', log, log] });
    closeSync(log);
    this.daemon = child;
    this.daemonExit = new Promise((resolve) => child.on('exit', () => resolve()));
    await waitFor('containerd to serve its socket', () => {
      if (child.exitCode !== null) assert.fail(`containerd exited ${child.exitCode}: ${readFileSync(join(this.dir, 'containerd.log'), 'utf8').slice(-2000)}`);
      return existsSync(this.socket) && this.ctr(['version'], { timeout: 5000 }).code === 0;
    }, 20_000);
  }

  ctr(args: string[], opts: { timeout?: number } = {}): EngineResult {
    return runTo(this.dir, 'ctr', ['--address', this.socket, '--namespace', this.namespace, ...args], opts);
  }

  ok(args: string[], opts: { timeout?: number } = {}): EngineResult {
    return ok(this.ctr(args, opts), `ctr ${args.join(' ')}`);
  }

  /** `ctr` argv prefix for a shell command line (tmux). */
  ctrArgv(): string[] {
    return ['ctr', '--address', this.socket, '--namespace', this.namespace];
  }

  /** `ctr run`'s flags that give the shim `rt` (its path and root). */
  runtimeFlags(rt: Runtime): string[] {
    return ['--runc-binary', rt.bin, '--runc-root', rt.root, '--fifo-dir', this.fifoDir];
  }

  /** Where `rt` keeps this namespace's containers (the shim appends the namespace to --runc-root). */
  stateRoot(rt: Runtime): string {
    return join(rt.root, this.namespace);
  }

  /** Shim processes of this daemon (their command line names our socket). */
  shims(): { pid: number; cmdline: string }[] {
    return processesMentioning(this.socket).filter((p) => p.cmdline.includes('containerd-shim'));
  }

  /** Stop the daemon, remove the namespace's cgroups, the dirs; returns what could not be cleaned. */
  async close(): Promise<string[]> {
    const problems: string[] = [];
    const left = this.ctr(['containers', 'ls', '-q']).stdout.split('\n').filter(Boolean);
    for (const id of left) {
      this.ctr(['task', 'kill', '-s', 'KILL', id]);
      await sleep(200);
      this.ctr(['task', 'delete', '--force', id]);
      this.ctr(['containers', 'delete', id]);
    }
    if (left.length > 0) problems.push(`containers left: ${left.join(', ')}`);
    const shims = this.shims();
    if (shims.length > 0) problems.push(`shims left: ${shims.map((p) => `${p.pid} ${p.cmdline}`).join('; ')}`);
    if (this.daemon && this.daemon.exitCode === null) {
      this.daemon.kill('SIGTERM');
      const exited = await Promise.race([this.daemonExit!.then(() => true), sleep(10_000).then(() => false)]);
      if (!exited) {
        this.daemon.kill('SIGKILL');
        await this.daemonExit;
        problems.push('containerd did not stop on SIGTERM');
      }
    }
    problems.push(...removeCgroupParent(this.namespace));
    // Its snapshots are bind/overlay mounts only while a task runs; the metadata db and blobs are plain files.
    const mounts = mountsUnder(this.dir);
    if (mounts.length > 0) problems.push(`mounts left under ${this.dir}: ${mounts.join(', ')}`);
    else rmSync(this.dir, { recursive: true, force: true });
    for (const d of this.created) {
      try {
        rmdirSync(d);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') problems.push(`${d}: ${(e as Error).message}`);
      }
    }
    return problems;
  }
}

// ---------------------------------------------------------------------------
// A real terminal: tmux on a private socket

export class Tmux {
  private readonly socket: string;
  /** Where the pane's shell writes the program's exit status: tmux itself now and then never reaps a pane's program. */
  private readonly statusFile: string;
  readonly session = 'eng';

  constructor(dir: string, private readonly cols = 100, private readonly rows = 30) {
    const n = process.hrtime.bigint();
    this.socket = join(dir, `tmux-${n}`);
    this.statusFile = join(dir, `tmux-${n}.status`);
  }

  /** Start `argv` in a new detached session of `cols`×`rows`; the pane stays (remain-on-exit) so its last screen can be read. */
  start(argv: string[]): void {
    const line = `${argv.map(shQuote).join(' ')}; echo $? > ${shQuote(this.statusFile)}`;
    const r = spawnSync('tmux', ['-f', '/dev/null', '-S', this.socket,
      'start-server', ';', 'set-option', '-g', 'remain-on-exit', 'on', ';',
      'new-session', '-d', '-s', this.session, '-x', String(this.cols), '-y', String(this.rows), line], { encoding: 'utf8' });
    assert.equal(r.status, 0, `tmux new-session: ${r.stderr}`);
  }

  send(...keys: string[]): void {
    this.tmux(['send-keys', '-t', this.session, ...keys]);
  }

  /** The visible screen, trailing blank lines dropped. */
  screen(): string {
    return this.tmux(['capture-pane', '-p', '-t', this.session]).replace(/\n+$/, '');
  }

  /** Wait until the screen matches `re`; fails at once if the program has ended without it. */
  async waitScreen(what: string, re: RegExp, ms = 20_000): Promise<string> {
    let last = '';
    try {
      return await waitFor(what, () => {
        const ended = this.exitStatus();
        if (re.test((last = this.screen()))) return last;
        if (ended !== null) throw new Error(`the program ended (status ${ended}) before ${what}`);
        return null;
      }, ms);
    } catch (e) {
      throw new Error(`${(e as Error).message}; screen:\n${last}`);
    }
  }

  /** The program's exit status once it has ended (as the shell reports it: 128 + N after signal N), else null. */
  exitStatus(): number | null {
    let s = '';
    try {
      s = readFileSync(this.statusFile, 'utf8');
    } catch {
      return null;
    }
    return s.endsWith('\n') ? Number(s.trim()) : null;
  }

  kill(): void {
    spawnSync('tmux', ['-S', this.socket, 'kill-server'], { encoding: 'utf8' });
    rmSync(this.socket, { force: true });
    rmSync(this.statusFile, { force: true });
  }

  private tmux(args: string[]): string {
    const r = spawnSync('tmux', ['-S', this.socket, ...args], { encoding: 'utf8' });
    assert.equal(r.status, 0, `tmux ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }
}

export function shQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}
