// The planner the native front runs without Node (engine.c, docs/performance.md
// "Planning without Node"): `planc create`/`run` planned by the same code as
// the Node CLI's (cli/plan-inputs.ts, cli/host-facts-core.ts, planner/), in
// QuickJS, over a HostIO whose reads are done in C by one host function; and
// `planc exec`, planned by the CLI's own exec planning (cli/exec-inputs.ts)
// from what the front read through its gate. scripts/build-wasm.mjs bundles
// this file into the script engine.c links in; evaluating it defines the
// global `planc` holding these exports.
//
//   planc.forFront(requestText, host) → extras JSON text, after host('plan', bytes);
//                                        or '!' and why it did not plan
//
// requestText: JSON, a create/run's Request or (verb "exec") an ExecRequest.
// host(op, arg): engine.c's reads (see HOST there).
// Anything this engine could answer differently from Node (a path it cannot hand to C as
// is, bytes that are not UTF-8, a rootless planc) is an error: the front then hands the
// command line to the Node CLI, which plans or reports as it always did.
import { stringifyJson } from '../../../planner/json.js';
import { gatherHostFacts, rootlessFrom } from '../../host-facts-core.js';
import type { FileType, HostIO } from '../../host-io.js';
import { checkConsoleSocketWith, checkCreate, planBundleOn, recordExtras, type CreateMode } from '../../plan-inputs.js';
import { type ExecContainer, type ExecInputFlags, planExecWith } from '../../exec-inputs.js';

/** engine.c's host function: op is one of HOST's keys. */
type Host = (op: string, arg: string | ArrayBuffer) => string | ArrayBuffer | undefined;

interface Request {
  verb?: 'create';
  bundle?: string;
  id: string;
  root: string;
  noPivot: boolean;
  systemdCgroup: boolean;
  mode: CreateMode;
  consoleSocket?: string;
  cwd: string;
  euid: number;
  arch: string;
}

/** An exec (cli/native/exec.c): the container as the front read it through its gate, the stored plan through host('stored'). */
interface ExecRequest {
  verb: 'exec';
  id: string;
  /** The state directory, for messages. */
  path: string;
  status: ExecContainer['status'];
  pid: number;
  startTime: string;
  cgroups: { path: string; ino: number }[];
  flags: ExecInputFlags;
  args: string[];
  cwd: string;
  euid: number;
  arch: string;
}

/** Why this engine's answer could differ from Node's: the whole plan is then left to Node. */
class NotHere extends Error {}

// A path C would see differently from Node: a NUL ends a C string, and a lone
// surrogate has no UTF-8 form (Node writes U+FFFD for it).
const UNSAFE = /\0|[\ud800-\udbff](?![\udc00-\udfff])|(?:^|[^\ud800-\udbff])[\udc00-\udfff]/;

/** `seen.why`: set once a read could not be made as Node makes it, even where the caller catches the error (lookAtHostPaths). */
function hostIO(host: Host, rq: { cwd: string; euid: number; arch: string }, seen: { why?: string }): HostIO {
  const arg = (p: string) => {
    if (UNSAFE.test(p)) throw new NotHere((seen.why = `a path C cannot name as Node does: ${JSON.stringify(p)}`));
    return p;
  };
  const errno = (code: string) => Object.assign(new Error(code), { code });
  const str = (v: string | ArrayBuffer | undefined) => (typeof v === 'string' ? v : null);
  return {
    readText: (path) => str(host('text', arg(path))),
    readBytes(path) {
      const v = host('bytes', arg(path));
      if (typeof v === 'string') throw errno(v);
      if (!(v instanceof ArrayBuffer)) throw errno('EIO');
      return new Uint8Array(v);
    },
    readdir(path) {
      // "f<name>/o<name>/…": a name holds no slash; f: a regular file (readdir's d_type, lstat when it has none).
      const v = str(host('dir', arg(path)));
      if (v === null) return null;
      return v === '' ? [] : v.split('/').map((e) => ({ name: e.slice(1), isFile: e[0] === 'f' }));
    },
    stat(path) {
      const v = str(host('stat', arg(path))) ?? 'EIO';
      // A type, or the errno name (they all start with E) stat(2) failed with.
      if (v.startsWith('E')) throw errno(v);
      return v as FileType;
    },
    realpath: (path) => str(host('realpath', arg(path))),
    env: (name) => str(host('env', arg(name))) ?? undefined,
    cwd: () => rq.cwd,
    euid: rq.euid,
    arch: rq.arch,
    noTerminal: () => str(host('tty', '')),
    errnoWords: (e) => (e instanceof Error ? e.message : String(e)),
  };
}

/** The plan's bytes to the host (copied there), and the extras' text to return. */
function handOver(host: Host, bytes: Uint8Array, extras: unknown, seen: { why?: string }): string {
  if (seen.why !== undefined) throw new NotHere(seen.why);
  const buffer = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.slice().buffer;
  const text = stringifyJson(extras);
  host('plan', buffer as ArrayBuffer);
  return text;
}

function planForFront(rq: Request, host: Host): string {
  const seen: { why?: string } = {};
  const io = hostIO(host, rq, seen);
  // The same decision as cli/rootless.ts isRootless with --rootless auto (the front's only mode here).
  const rootless = rootlessFrom('auto', rq.euid);
  if (rootless !== false) throw new NotHere('rootless: the Node CLI plans it');
  const socket = rq.consoleSocket === undefined ? undefined : checkConsoleSocketWith(io, rq.consoleSocket);
  const flags = { bundle: rq.bundle, id: rq.id, root: rq.root, 'no-pivot': rq.noPivot, 'systemd-cgroup': rq.systemdCgroup, 'console-socket': socket, run: rq.mode !== 'create', detach: rq.mode === 'run-detached' };
  const { plan, bytes, config } = planBundleOn(io, flags, () => {}, (opts) =>
    gatherHostFacts(io, opts, rootless, () => {
      throw new NotHere('rootless facts');
    }),
  );
  checkCreate(io, { config, plan, mode: rq.mode, socket, relay: true });
  // What cli/container.ts takes from the config and the plan besides the bytes.
  const extras = {
    ...recordExtras(config),
    terminal: config.process?.terminal ?? false,
    relay: plan.actions.some((a) => a.op === 'console.relay'),
    actions: plan.actions.length,
    warnings: plan.warnings,
  };
  return handOver(host, bytes, extras, seen);
}

/** exec: planned as cli/exec.ts plans it (relay check included: the front applies what it plans). */
function execForFront(rq: ExecRequest, host: Host): string {
  const seen: { why?: string } = {};
  const io = hostIO(host, rq, seen);
  const container = (): ExecContainer => {
    const stored = host('stored', '');
    return { id: rq.id, path: rq.path, status: rq.status, target: { pid: rq.pid, startTime: rq.startTime, cgroups: rq.cgroups }, stored: stored instanceof ArrayBuffer ? new Uint8Array(stored) : null };
  };
  const planned = planExecWith(io, rq.flags, rq.args, container, () => {}, true);
  return handOver(host, planned.bytes, { configPath: planned.configPath }, seen);
}

export function forFront(requestText: string, host: Host): string {
  try {
    const rq = JSON.parse(requestText) as Request | ExecRequest;
    return rq.verb === 'exec' ? execForFront(rq, host) : planForFront(rq, host);
  } catch (e) {
    return `!${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
  }
}
