// config.json + host facts → Plan. The order of calls below is the order the
// executor applies the actions in; read it top to bottom like the spec.
import type { Plan, Propagation } from '../schemas/generated/plan.js';
import type { HostFacts } from '../schemas/generated/hostfacts.js';
import { PlancError } from '../schemas/error.js';
import type { Config } from './config.js';
import type { PlanContext } from './context.js';
import { add, warn } from './context.js';
import { type Json } from './json.js';
import { validateConfig } from './validate.js';
import { cgroupPathOf, planCgroups } from './cgroups.js';
import { planIntelRdt } from './cgroups/intel-rdt.js';
import { planIdmappedMounts, planMounts, planPathProtection } from './mounts.js';
import { planDevices, planDevSymlinks } from './devices.js';
import { checkProcess, planExec, planIdentity, planRlimits } from './process.js';
import { planClone, planIdMaps, planJoins, planTimeNamespace, readNamespaces } from './namespaces.js';
import { checkExecCpuAffinity, planIoPriority, planMemoryPolicy, planPersonality, planScheduler } from './process-attrs.js';
import { planNetDevices } from './netdevices.js';
import { isAbsolute, join, pointer, utf8Length } from './paths.js';
import { consoleCreateAction, consoleHostActions, type TerminalRequest } from './console.js';
import { noteRisks } from './risks.js';
import { checkHooks, planHooks } from './hooks.js';
import { planSeccomp, planSeccompConnect, seccompLate } from './seccomp-plan.js';

export interface PlanOptions {
  /** false for `run`: the init does not wait on the exec fifo for a separate start. */
  waitForStart?: boolean;
  /** `run` without --detach: planc waits for the container, through the executor (see PROTOCOL.md). */
  foreground?: boolean;
  /** --console-socket: where the pty master of a terminal goes (create, run --detach). */
  consoleSocket?: string;
}

export function planCreate(value: Json, facts: HostFacts, opts: PlanOptions = {}): Plan {
  const config = validateConfig(value);
  if (!config.linux) {
    const other = (['windows', 'solaris', 'vm', 'zos'] as const).find((k) => (config as Record<string, unknown>)[k] !== undefined);
    throw new PlancError('unsupported', other ? `${other} containers are not supported: planc runs Linux containers` : 'a linux section is required', { where: other ? `/${other}` : '/linux' });
  }
  if (!config.root?.path) throw new PlancError('invalid-config', 'root.path is required', { where: '/root/path' });
  if (!isAbsolute(facts.bundle)) throw new PlancError('invalid-argument', `bundle path must be absolute, got ${JSON.stringify(facts.bundle)}`);

  const ctx: PlanContext = {
    config,
    facts,
    rootfs: join(facts.bundle, config.root.path),
    newNs: new Set(),
    cgroupPath: cgroupPathOf(config.linux.cgroupsPath, facts.containerId, facts.systemdCgroup ?? false),
    idmapped: new Map(),
    actions: [],
    warnings: [],
  };
  checkProcess(ctx);
  rejectUnplanned(config);
  checkExecCpuAffinity(ctx);
  const namespaces = readNamespaces(ctx);
  checkHooks(ctx);
  const fifo = `${facts.stateDir}/exec.fifo`;
  const waitForStart = opts.waitForStart ?? true;
  const terminal: TerminalRequest = { terminal: config.process!.terminal ?? false, detach: !opts.foreground, socket: opts.consoleSocket, consoleSize: config.process!.consoleSize };
  if (terminal.terminal && terminal.detach && terminal.socket === undefined) {
    warn(ctx, 'terminal', '/process/terminal', 'process.terminal: creating this container needs --console-socket, where its pty master is sent');
  }

  // host stage: in the runtime's namespaces, before the container exists
  const cgroupDirs = planCgroups(ctx);
  const rdtGroups = planIntelRdt(ctx);
  if (waitForStart) add(ctx, { stage: 'host', op: 'execfifo.create', why: 'runtime:start', path: fifo });
  for (const a of consoleHostActions(terminal, { terminal: '/process/terminal', socket: 'cli:--console-socket' })) add(ctx, a);
  planJoins(ctx, namespaces);
  planIdmappedMounts(ctx);
  planClone(ctx, namespaces, opts.foreground ?? false);

  // parent stage: the init exists and waits
  for (const path of rdtGroups) add(ctx, { stage: 'parent', op: 'resctrl.join', why: '/linux/intelRdt', path });
  planIdMaps(ctx);
  planNetDevices(ctx);

  // init stage: inside the new namespaces. The init moves itself into its
  // cgroups first, before it does anything else (and before it unshares the
  // cgroup namespace, whose root is then its own cgroup): a process moving
  // itself on v1 takes no global lock, where a move by P waits ~10 ms.
  for (const path of cgroupDirs) add(ctx, { stage: 'init', op: 'cgroup.join', why: '/linux/cgroupsPath', path });
  if (ctx.newNs.has('cgroup')) add(ctx, { stage: 'init', op: 'ns.unshare', why: '/linux/namespaces', ns: 'cgroup' });
  planTimeNamespace(ctx);
  const propagation = (config.linux.rootfsPropagation ?? 'rslave') as Propagation;
  // An unbindable "/" could not be bound as the rootfs: it stays private until the
  // pivot, then the new root gets what was asked (runc refuses unbindable instead).
  const unbindable = propagation === 'unbindable' || propagation === 'runbindable';
  add(ctx, { stage: 'init', op: 'rootfs.propagation', why: config.linux.rootfsPropagation ? '/linux/rootfsPropagation' : 'runtime:default-propagation', propagation: unbindable ? 'rprivate' : propagation });
  add(ctx, { stage: 'init', op: 'rootfs.bind', why: '/root/path', path: ctx.rootfs });
  planMounts(ctx);
  planDevices(ctx);
  planDevSymlinks(ctx);
  if (waitForStart) add(ctx, { stage: 'init', op: 'execfifo.open', why: 'runtime:start', path: fifo });
  // The mounts are in place, the host's root still reachable: the create hooks run now (config.md),
  // prestart and createRuntime by the executor in the runtime's namespaces while the init waits.
  planHooks(ctx, 'prestart');
  planHooks(ctx, 'createRuntime');
  planHooks(ctx, 'createContainer');
  planSeccompConnect(ctx);
  add(ctx, facts.noPivot ? { stage: 'init', op: 'rootfs.chroot', why: 'runtime:no-pivot' } : { stage: 'init', op: 'rootfs.pivot', why: '/root/path' });
  if (unbindable) add(ctx, { stage: 'init', op: 'mount.propagation', why: '/linux/rootfsPropagation', target: '/', propagation });
  // After the pivot, so /dev/ptmx is the container's own devpts; before / turns read-only (/dev/console).
  if (terminal.terminal) add(ctx, consoleCreateAction(terminal, '/process/terminal', '/process/consoleSize', true));
  if (config.root.readonly) add(ctx, { stage: 'init', op: 'rootfs.readonly', why: '/root/readonly' });
  planUts(ctx);
  planSysctls(ctx);
  if (ctx.newNs.has('network')) add(ctx, { stage: 'init', op: 'link.up', why: '/linux/namespaces', name: 'lo' });
  planPathProtection(ctx);
  planRlimits(ctx);
  // Before the user switch and the capability drop: real-time policies, a negative nice value and
  // the real-time I/O class need privileges the container process may not keep.
  planScheduler(ctx);
  planIoPriority(ctx);
  planMemoryPolicy(ctx);
  planPersonality(ctx);
  // Without noNewPrivileges, loading a filter needs CAP_SYS_ADMIN: before planIdentity drops it.
  const late = seccompLate(ctx);
  if (!late) planSeccomp(ctx, false);
  planIdentity(ctx);
  // With it, as late as possible (runc): what planc does after the filter is loaded is only
  // the startContainer hooks and the execve.
  planExec(ctx, waitForStart, () => {
    if (late) planSeccomp(ctx, waitForStart);
    planHooks(ctx, 'startContainer');
  });
  // Applied by the CLI itself: poststart once the process was executed, poststop once the container is gone.
  planHooks(ctx, 'poststart');
  planHooks(ctx, 'poststop');
  noteRisks(ctx);

  return {
    planVersion: 1,
    kind: 'create',
    containerId: facts.containerId,
    ociVersion: config.ociVersion,
    bundle: facts.bundle,
    rootfs: ctx.rootfs,
    stateDir: facts.stateDir,
    cgroupPaths: cgroupDirs,
    namespaces,
    warnings: ctx.warnings,
    actions: ctx.actions,
  };
}

// Settings planc cannot plan yet. Refusing them is the honest answer: a runtime that
// silently skipped a seccomp profile or a hook would run something else than was asked.
const NOT_YET: [string, (c: Config) => unknown][] = [];

function rejectUnplanned(config: Config): void {
  for (const [where, get] of NOT_YET) {
    if (get(config)) throw new PlancError('unsupported', `${where.slice(1).replace(/\//g, '.')} is not supported by planc yet`, { where });
  }
}

function planUts(ctx: PlanContext): void {
  const { hostname, domainname } = ctx.config;
  for (const [key, name] of [['hostname', hostname], ['domainname', domainname]] as const) {
    if (name === undefined) continue;
    if (!ctx.newNs.has('uts')) throw new PlancError('invalid-config', `setting ${key} needs a new uts namespace`, { where: `/${key}` });
    checkUtsName(key, name);
    add(ctx, { stage: 'init', op: key, why: `/${key}`, name });
  }
}

// The kernel keeps at most 64 bytes (__NEW_UTS_LEN) and would refuse more at apply time; a "/" or a
// control character is no host name, and programs use the name in file names and log lines.
function checkUtsName(key: 'hostname' | 'domainname', name: string): void {
  const where = `/${key}`;
  const bytes = utf8Length(name);
  if (bytes > 64) throw new PlancError('invalid-config', `${key} is ${bytes} bytes long: the kernel allows at most 64`, { where });
  const bad = /[\u0000-\u001f\u007f/]/.exec(name);
  if (bad) {
    const what = bad[0] === '/' ? '"/"' : `the control character 0x${bad[0].charCodeAt(0).toString(16).padStart(2, '0')}`;
    throw new PlancError('invalid-config', `${key} ${JSON.stringify(name)} contains ${what}: not a ${key === 'hostname' ? 'host' : 'domain'} name (programs use it in file names and log lines)`, { where });
  }
}


// A sysctl is only safe to set when it belongs to a namespace the container owns.
const IPC_SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);

function planSysctls(ctx: PlanContext): void {
  const sysctl = (ctx.config.linux?.sysctl ?? {}) as Record<string, string>;
  for (const key of Object.keys(sysctl).sort()) {
    const why = pointer('linux', 'sysctl', key);
    const ns = IPC_SYSCTLS.has(key) || key.startsWith('fs.mqueue.') ? 'ipc' : key.startsWith('net.') ? 'network' : key === 'kernel.hostname' || key === 'kernel.domainname' ? 'uts' : null;
    if (ns === null) throw new PlancError('invalid-config', `sysctl ${key} is not namespaced: setting it would change the host`, { where: why });
    if (!ctx.newNs.has(ns)) throw new PlancError('invalid-config', `sysctl ${key} needs a new ${ns} namespace`, { where: why });
    // A sysctl name is a path below /proc/sys with dots for slashes: no "/" or "..", and (interface names
    // being the only free-form part) no whitespace or control characters either.
    if (key.includes('/') || key.includes('..') || /[\s\u0000-\u001f\u007f-\u009f]/.test(key)) throw new PlancError('invalid-config', `invalid sysctl name ${JSON.stringify(key)}`, { where: why });
    add(ctx, { stage: 'init', op: 'sysctl', why, key, value: sysctl[key]! });
  }
}

export type { Config };
