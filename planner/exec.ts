// `planc exec`: a new process in a running container, planned like a create.
// Inputs: the container's stored plan (its namespaces and its process
// settings), what its record says of the init and cgroups (ExecTarget), and
// the process — exec --process's process.json, or, as runc does, the
// container's own process changed by exec's flags. Output: a Plan of kind
// "exec" with its own digest:
//
//   host    cgroup.open per cgroup of the container (and --cgroup's sub-cgroup),
//           console.socket | console.relay, ns.enter (the init's namespaces, by pidfd)
//   clone   the process, inside the pid namespace just entered
//   init    cgroup.attach per cgroup (the process moves itself), cgroupns.enter,
//           console.create, then the process section: rlimits,
//           credentials, cwd and the exec, with the container's per-process
//           actions (PER_PROCESS) at their place
//
// Provenance: a setting taken from the container keeps its action's `why`
// (a pointer into the container's config.json), one from process.json is
// "process.json:<pointer>", one from a flag "cli:--flag" (schemas/plan.schema.json, Why).
import type { Action, Plan } from '../schemas/generated/plan.js';
import type { HostFacts } from '../schemas/generated/hostfacts.js';
import { isPlancError, PlancError } from '../schemas/error.js';
import { CAPABILITY_TABLE } from '../schemas/tables.js';
import type { Config } from './config.js';
import type { PlanContext, Warning } from './context.js';
import { checkTerminal, consoleCreateAction, consoleHostActions, type TerminalRequest } from './console.js';
import type { Json } from './json.js';
import { checkProcess, planExec, planIdentity, planRlimits } from './process.js';
import { validateConfig } from './validate.js';
import { clean, isAbsolute, within } from './paths.js';

/** The running container, as its record says (cli/state): the init planc started, and the cgroups create recorded. */
export interface ExecTarget {
  pid: number;
  /** Field 22 of /proc/<pid>/stat at create: the executor checks the pid still names that process. */
  startTime: string;
  cgroups: { path: string; ino: number }[];
}

/** runc exec's process flags. With --process they are refused (process.json says everything), but --tty. */
export interface ExecFlags {
  cwd?: string;
  env?: string[];
  user?: string;
  additionalGids?: string[];
  cap?: string[];
  noNewPrivs?: boolean;
  tty?: boolean;
  apparmor?: string;
  processLabel?: string;
}

export interface ExecRequest {
  /** The command after the container id (none with --process). */
  args: string[];
  /** exec --process: the parsed process.json. */
  process?: Json;
  flags: ExecFlags;
  /** --detach: planc does not wait, the process becomes the caller's child. */
  detach: boolean;
  consoleSocket?: string;
  /** --cgroup, as given: "path" (every cgroup) or "controller[,controller]:path". */
  cgroup?: string[];
  /**
   * Which v1 hierarchy each of the container's cgroups is in, for --cgroup controller:path: called
   * only then (reading the host's layout is most of an exec's planning in the native front's engine).
   */
  cgroupLayout: () => HostFacts['cgroup'];
}

/**
 * Ops of the container plan that every process of the container gets as they are (runc gives an
 * exec'd process the container's oom_score_adj; the seccomp filter is added by withSeccomp).
 * They are copied into the exec plan at the place they have in the container's process section.
 */
export const PER_PROCESS: ReadonlySet<string> = new Set(['oom-score-adj']);

// The process section of a create plan, in order (planner/process.ts). A PER_PROCESS action sits
// just before the next of these that follows it in the container plan.
const RANK: Record<string, number> = { rlimit: 0, 'oom-score-adj': 1, 'caps.bounding': 2, user: 3, caps: 4, 'no-new-privs': 5, chdir: 6, 'exec.check': 7, 'execfifo.wait': 8, exec: 9 };

const NS_FILE: Record<string, string> = { pid: 'pid', network: 'net', mount: 'mnt', ipc: 'ipc', uts: 'uts', user: 'user', cgroup: 'cgroup', time: 'time' };
const CAP_NUMBER = new Map<string, number>(CAPABILITY_TABLE.map((c) => [c.name, c.value]));

type Of<O extends Action['op']> = Extract<Action, { op: O }>;

export function planExecProcess(container: Plan, target: ExecTarget, req: ExecRequest): Plan {
  if (container.kind !== 'create') throw new PlancError('invalid-argument', `exec needs the plan a container was created from, not a plan of kind ${container.kind}`);
  const warnings: Warning[] = [];
  const proc = req.process === undefined ? fromFlags(container, req, warnings) : fromFile(container, req, warnings);
  const terminal: TerminalRequest = { terminal: proc.terminal, detach: req.detach, socket: req.consoleSocket, consoleSize: proc.consoleSize };
  checkTerminal(terminal, req.process === undefined ? undefined : '/terminal');

  const entered = container.namespaces.filter((n) => n.type !== 'cgroup').map((n) => n.type);
  const cgroupNs = container.namespaces.some((n) => n.type === 'cgroup');
  const joins = cgroupJoins(target, req);
  const actions: Action[] = [];
  // host: everything that names a host path, before the namespaces are joined
  for (const j of joins) actions.push({ stage: 'host', op: 'cgroup.open', why: j.sub === undefined ? 'runtime:exec' : 'cli:--cgroup', path: j.path, ino: j.ino, ...(j.sub === undefined ? {} : { sub: j.sub }) });
  actions.push(...consoleHostActions(terminal, { terminal: proc.terminalWhy, socket: 'cli:--console-socket' }));
  actions.push({ stage: 'host', op: 'ns.enter', why: '/linux/namespaces', pid: target.pid, startTime: target.startTime, namespaces: entered });
  actions.push({ stage: 'clone', op: 'clone', why: req.detach ? 'cli:--detach' : 'runtime:exec', namespaces: [], parent: req.detach ? 'caller' : 'executor' });
  for (const j of joins) actions.push({ stage: 'init', op: 'cgroup.attach', why: j.sub === undefined ? 'runtime:exec' : 'cli:--cgroup', path: j.sub === undefined ? j.path : `${j.path}/${j.sub}` });
  if (cgroupNs) actions.push({ stage: 'init', op: 'cgroupns.enter', why: '/linux/namespaces' });
  if (proc.terminal) actions.push(consoleCreateAction(terminal, proc.terminalWhy, proc.sizeWhere, false));
  actions.push(...withSeccomp(container, withPerProcess(container, proc.actions)));

  return {
    planVersion: 1,
    kind: 'exec',
    containerId: container.containerId,
    ociVersion: container.ociVersion,
    bundle: container.bundle,
    rootfs: container.rootfs,
    stateDir: container.stateDir,
    cgroupPaths: [],
    namespaces: container.namespaces.map((n) => ({ type: n.type, path: `/proc/${target.pid}/ns/${NS_FILE[n.type]}` })),
    warnings,
    actions,
  };
}

interface ExecProcess {
  /** The process section: rlimits, credentials, cwd, exec (no PER_PROCESS action yet). */
  actions: Action[];
  terminal: boolean;
  terminalWhy: string;
  consoleSize?: { width: number | bigint; height: number | bigint };
  sizeWhere: string;
}

/** The container's init-stage action of an op (the last one, there being one of each). */
function containerAction<O extends Action['op']>(plan: Plan, op: O, required: boolean): Of<O> | undefined {
  const found = plan.actions.filter((a): a is Of<O> => a.op === op && a.stage === 'init').at(-1);
  if (!found && required) throw new PlancError('bad-state', `the container's plan has no ${op} action: its process settings cannot be reused for exec`);
  return found;
}

// ---- exec ID cmd…: the container's process, changed by the flags (runc's getProcess)

function fromFlags(container: Plan, req: ExecRequest, warnings: Warning[]): ExecProcess {
  const f = req.flags;
  if (req.args.length === 0) throw new PlancError('invalid-argument', 'process args cannot be empty: give the command after the container id, or --process');
  if (f.apparmor !== undefined) throw new PlancError('unsupported', '--apparmor: AppArmor is not available on this host, so no profile can be applied');
  if (f.processLabel !== undefined) throw new PlancError('unsupported', '--process-label: SELinux is not available on this host, so no label can be applied');
  const actions: Action[] = container.actions.filter((a): a is Of<'rlimit'> => a.op === 'rlimit' && a.stage === 'init').map((a) => ({ ...a }));

  const bounding = { ...containerAction(container, 'caps.bounding', true)! };
  const caps = { ...containerAction(container, 'caps', true)! };
  if (f.cap?.length) {
    // runc: into bounding, effective and permitted; into ambient only when some inheritable is set,
    // and the kernel raises an ambient capability only if it is inheritable too.
    const known = f.cap.filter((c) => {
      if (!CAP_NUMBER.has(c)) warnings.push({ code: 'unknown-capability', why: 'cli:--cap', message: `unknown capability ${c} ignored` });
      return CAP_NUMBER.has(c);
    });
    bounding.keep = addCaps(bounding.keep, known);
    caps.effective = addCaps(caps.effective, known);
    caps.permitted = addCaps(caps.permitted, known);
    if (caps.inheritable.length > 0) caps.ambient = addCaps(caps.ambient, known.filter((c) => caps.inheritable.includes(c)));
    bounding.why = caps.why = 'cli:--cap';
  }

  const user = { ...containerAction(container, 'user', true)! };
  const userFlags: string[] = [];
  if (f.user !== undefined) {
    const m = /^([0-9]+)(?::([0-9]+))?$/.exec(f.user);
    const bad = (id: string) => id.length > 10 || Number(id) > 4294967294;
    if (!m || bad(m[1]!) || (m[2] !== undefined && bad(m[2]))) throw new PlancError('invalid-argument', `--user ${JSON.stringify(f.user)}: give uid[:gid] as numbers below 4294967295 (names are not looked up)`);
    user.uid = Number(m[1]);
    if (m[2] !== undefined) user.gid = Number(m[2]);
    userFlags.push('--user');
  }
  if (f.additionalGids?.length) {
    const gids = f.additionalGids.map((g) => {
      if (!/^-?[0-9]+$/.test(g)) throw new PlancError('invalid-argument', `--additional-gids ${JSON.stringify(g)}: not a number`);
      if (g.startsWith('-')) throw new PlancError('invalid-argument', `additional-gids must be a positive number ${g}`);
      if (g.length > 10 || Number(g) > 4294967294) throw new PlancError('invalid-argument', `--additional-gids ${g}: not a group id (the largest is 4294967294)`);
      return Number(g);
    });
    user.additionalGids = [...new Set([...user.additionalGids, ...gids])];
    userFlags.push('--additional-gids');
  }
  if (userFlags.length) user.why = `cli:${userFlags.join(',')}`;

  const nnp = containerAction(container, 'no-new-privs', false);
  const chdir = { ...containerAction(container, 'chdir', true)! };
  if (f.cwd !== undefined) {
    if (!isAbsolute(f.cwd)) throw new PlancError('invalid-argument', `--cwd ${JSON.stringify(f.cwd)}: cwd must be an absolute path`);
    chdir.path = f.cwd;
    chdir.why = 'cli:--cwd';
  }
  const base = containerAction(container, 'exec', true)!;
  let env = base.env;
  if (f.env?.length) {
    for (const e of f.env) if (!e.includes('=')) throw new PlancError('invalid-argument', `--env ${JSON.stringify(e)}: give KEY=value`);
    env = mergeEnv(env, f.env);
  }
  actions.push(bounding, user, caps);
  if (nnp || f.noNewPrivs) actions.push(nnp ? { ...nnp } : { stage: 'init', op: 'no-new-privs', why: 'cli:--no-new-privs' });
  const why = f.env?.length ? 'cli:args,--env' : 'cli:args';
  actions.push(chdir, { stage: 'init', op: 'exec.check', why, file: req.args[0]!, env }, { stage: 'init', op: 'exec', why, args: req.args, env });
  // runc: an exec'd process has a terminal only when -t asks for one.
  return { actions, terminal: f.tty ?? false, terminalWhy: 'cli:--tty', sizeWhere: '' };
}

function addCaps(set: string[], more: string[]): string[] {
  return [...new Set([...set, ...more])].sort((a, b) => (CAP_NUMBER.get(a) ?? 99) - (CAP_NUMBER.get(b) ?? 99));
}

/** runc sets each --env with setenv: a key given again keeps its place and takes the last value. */
function mergeEnv(env: string[], more: string[]): string[] {
  const out = [...env];
  for (const e of more) {
    const key = e.slice(0, e.indexOf('=') + 1);
    const k = out.findIndex((x) => x.startsWith(key));
    if (k >= 0) out[k] = e;
    else out.push(e);
  }
  return out;
}

// ---- exec --process process.json

const PROCESS_FLAGS: [keyof ExecFlags, string][] = [['cwd', '--cwd'], ['env', '--env'], ['user', '--user'], ['additionalGids', '--additional-gids'], ['cap', '--cap'], ['noNewPrivs', '--no-new-privs'], ['apparmor', '--apparmor'], ['processLabel', '--process-label']];

/** A pointer into the wrapper config {process: …} as one into process.json. */
function own(where: string | undefined): string | undefined {
  return where?.startsWith('/process') ? where.slice('/process'.length) || '/' : where;
}

function fromFile(container: Plan, req: ExecRequest, warnings: Warning[]): ExecProcess {
  for (const [k, flag] of PROCESS_FLAGS) {
    const v = req.flags[k];
    if (v !== undefined && !(Array.isArray(v) && v.length === 0)) throw new PlancError('invalid-argument', `${flag} cannot be combined with --process: process.json says everything about the process`);
  }
  if (req.args.length > 0) throw new PlancError('invalid-argument', `a command (${JSON.stringify(req.args[0])}) cannot be combined with --process: process.json gives args`);
  const doc = req.process!;
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new PlancError('invalid-config', 'process.json must hold a JSON object (a runtime-spec process)', { where: '/' });
  // Checked as a config's process: the same schema, the same rules as create's.
  const ctx: PlanContext = { config: {} as Config, facts: { containerId: container.containerId, bundle: container.bundle, stateDir: container.stateDir, get cgroup() { return req.cgroupLayout(); }, rootless: false }, rootfs: container.rootfs, newNs: new Set(), cgroupPath: '', idmapped: new Map(), actions: [], warnings: [] };
  try {
    ctx.config = validateConfig({ ociVersion: container.ociVersion, process: doc });
    checkProcess(ctx);
    const p = ctx.config.process!;
    if (req.flags.tty && !p.terminal) throw new PlancError('invalid-argument', '--tty asks for a terminal, but process.json has none ("terminal": false)', { where: '/process/terminal' });
    // No rlimits or capabilities in process.json: the container's (runc).
    if (p.rlimits?.length) planRlimits(ctx);
    else if (p.oomScoreAdj !== undefined) ctx.actions.push({ stage: 'init', op: 'oom-score-adj', why: '/process/oomScoreAdj', value: p.oomScoreAdj });
    planIdentity(ctx);
    planExec(ctx, false);
  } catch (e) {
    if (isPlancError(e) && e.where !== undefined && e.file === undefined) throw new PlancError(e.code, e.message, { where: own(e.where), errno: e.errno, details: e.details.map((d) => ({ ...d, where: own(d.where) ?? d.where })) });
    throw e;
  }
  const p = ctx.config.process!;
  const fromProcess = (why: string) => (why.startsWith('/process') ? `process.json:${own(why)}` : why);
  let actions: Action[] = ctx.actions.map((a) => ({ ...a, why: fromProcess(a.why) }));
  warnings.push(...ctx.warnings.map((w) => ({ ...w, why: fromProcess(w.why) })));
  if (!p.rlimits?.length) actions = [...container.actions.filter((a) => a.op === 'rlimit' && a.stage === 'init'), ...actions];
  if (!p.capabilities) {
    const take = { 'caps.bounding': containerAction(container, 'caps.bounding', true)!, caps: containerAction(container, 'caps', true)! };
    actions = actions.map((a) => (a.op === 'caps.bounding' || a.op === 'caps' ? take[a.op] : a));
  }
  return { actions, terminal: p.terminal ?? false, terminalWhy: 'process.json:/terminal', consoleSize: p.consoleSize, sizeWhere: '/consoleSize' };
}

/**
 * The process section with the container's PER_PROCESS actions merged in, each placed before the
 * action it precedes in the container plan (an exec's own oom-score-adj replaces the container's).
 */
function withPerProcess(container: Plan, mine: Action[]): Action[] {
  const init = container.actions.filter((a) => a.stage === 'init');
  const keyed: [number, Action][] = mine.map((a, k) => [RANK[a.op]! + k * 1e-6, a]);
  init.forEach((a, k) => {
    if (!PER_PROCESS.has(a.op) || mine.some((m) => m.op === a.op)) return;
    const next = init.slice(k + 1).find((b) => RANK[b.op] !== undefined && !PER_PROCESS.has(b.op));
    keyed.push([(next ? RANK[next.op]! : 10) - 0.5 + k * 1e-6, { ...a }]);
  });
  return keyed.sort((x, y) => x[0] - y[0]).map(([, a]) => a);
}

/**
 * The container's seccomp filter, for the exec'd process too (as runc): with no_new_privs
 * as late as possible, just before the exec; without it before the capabilities are
 * dropped, while loading a filter is still allowed. An agent listening for notifications
 * is reached by a host path the exec'd process no longer sees: refused for now.
 */
function withSeccomp(container: Plan, actions: Action[]): Action[] {
  const load = containerAction(container, 'seccomp.load', false);
  if (!load) return actions;
  if (load.listener) throw new PlancError('unsupported', "exec into a container whose seccomp filter notifies an agent (listenerPath) is not supported yet", { where: '/linux/seccomp/listenerPath' });
  const nnp = actions.some((a) => a.op === 'no-new-privs');
  const at = actions.findIndex((a) => a.op === (nnp ? 'exec.check' : 'caps.bounding'));
  return [...actions.slice(0, at < 0 ? actions.length - 1 : at), { ...load }, ...actions.slice(at < 0 ? actions.length - 1 : at)];
}

// ---- --cgroup

interface Join {
  path: string;
  ino: number;
  sub?: string;
}

/** runc's --cgroup: one "path" for every cgroup, or "controller[,controller]:path" per v1 hierarchy. */
function cgroupJoins(target: ExecTarget, req: ExecRequest): Join[] {
  const joins: Join[] = target.cgroups.map((c) => ({ path: c.path, ino: c.ino }));
  const given = req.cgroup ?? [];
  if (given.length === 0) return joins;
  if (joins.length === 0) throw new PlancError('invalid-argument', '--cgroup: the container has no cgroups of its own to choose a sub-cgroup of');
  const bySub = new Map<string, string>();
  for (const arg of given) {
    const colon = arg.indexOf(':');
    if (colon < 0) {
      if (given.length !== 1) throw new PlancError('invalid-argument', `invalid --cgroup argument: ${arg} (missing <controller>: prefix)`);
      const sub = subPath(arg);
      return joins.map((j) => ({ ...j, ...(sub ? { sub } : {}) }));
    }
    const sub = subPath(arg.slice(colon + 1));
    for (const ctrl of arg.slice(0, colon).split(',')) {
      if (ctrl === '') throw new PlancError('invalid-argument', `invalid --cgroup argument: ${arg} (empty <controller> prefix)`);
      if (bySub.has(ctrl)) throw new PlancError('invalid-argument', `invalid --cgroup argument(s): controller ${ctrl} specified multiple times`);
      bySub.set(ctrl, sub);
    }
  }
  const layout = req.cgroupLayout();
  const v1 = layout.version === 1 ? (layout.v1Controllers ?? []) : [];
  const controllersOf = (path: string) => v1.find((h) => within(path, clean(h.mountpoint)))?.name.split(',') ?? [];
  for (const ctrl of bySub.keys()) {
    if (!joins.some((j) => controllersOf(j.path).includes(ctrl))) throw new PlancError('invalid-argument', `--cgroup: unknown controller ${ctrl}: the container has no cgroup in a ${ctrl} hierarchy`);
  }
  return joins.map((j) => {
    const ctrl = controllersOf(j.path).find((c) => bySub.has(c));
    const sub = ctrl === undefined ? '' : bySub.get(ctrl)!;
    return sub ? { ...j, sub } : j;
  });
}

/** A sub-cgroup path relative to the container's cgroup: "" for the cgroup itself; never above it. */
function subPath(p: string): string {
  const parts = p.split('/').filter((s) => s !== '' && s !== '.');
  if (parts.includes('..')) throw new PlancError('invalid-argument', `--cgroup ${JSON.stringify(p)}: ${JSON.stringify('..')} would leave the container's cgroup`);
  if (/[\u0000-\u001f]/.test(p)) throw new PlancError('invalid-argument', `--cgroup ${JSON.stringify(p)}: not a cgroup path`);
  return parts.join('/');
}
