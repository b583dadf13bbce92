// The process stage: limits, identity, privileges, and the exec itself, in
// the order that keeps each step possible (bounding set before the uid
// switch, capabilities after it, no_new_privs last before exec).
import { PlancError } from '../schemas/error.js';
import type { PlanContext } from './context.js';
import { add, warn } from './context.js';
import { u64 } from './config.js';
import { isAbsolute, pointer } from './paths.js';

// Capability names the kernel knows (0..40), in number order.
export const CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ',
  'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

export const RLIMITS = [
  'RLIMIT_AS', 'RLIMIT_CORE', 'RLIMIT_CPU', 'RLIMIT_DATA', 'RLIMIT_FSIZE', 'RLIMIT_LOCKS', 'RLIMIT_MEMLOCK',
  'RLIMIT_MSGQUEUE', 'RLIMIT_NICE', 'RLIMIT_NOFILE', 'RLIMIT_NPROC', 'RLIMIT_RSS', 'RLIMIT_RTPRIO', 'RLIMIT_RTTIME',
  'RLIMIT_SIGPENDING', 'RLIMIT_STACK',
] as const;

const known = new Set<string>(CAPABILITIES);

function capSet(ctx: PlanContext, set: 'bounding' | 'effective' | 'permitted' | 'inheritable' | 'ambient'): string[] {
  const names = ctx.config.process?.capabilities?.[set] ?? [];
  const out: string[] = [];
  names.forEach((name, k) => {
    // runc ignores capabilities this kernel does not know, with a warning; so do we.
    if (!known.has(name)) return warn(ctx, 'unknown-capability', pointer('process', 'capabilities', set, k), `unknown capability ${name} ignored`);
    if (!out.includes(name)) out.push(name);
  });
  return out.sort((a, b) => CAPABILITIES.indexOf(a as never) - CAPABILITIES.indexOf(b as never));
}

export function planRlimits(ctx: PlanContext): void {
  const seen = new Set<string>();
  (ctx.config.process?.rlimits ?? []).forEach((r, k) => {
    const why = pointer('process', 'rlimits', k);
    if (!(RLIMITS as readonly string[]).includes(r.type)) throw new PlancError('invalid-config', `unknown rlimit ${JSON.stringify(r.type)}`, { where: `${why}/type` });
    if (seen.has(r.type)) throw new PlancError('invalid-config', `rlimit ${r.type} is set twice`, { where: `${why}/type` });
    seen.add(r.type);
    if (BigInt(r.soft as number | bigint) > BigInt(r.hard as number | bigint)) {
      throw new PlancError('invalid-config', `rlimit ${r.type}: soft limit is above the hard limit`, { where: why });
    }
    add(ctx, { stage: 'init', op: 'rlimit', why, resource: r.type, soft: u64(r.soft), hard: u64(r.hard) });
  });
  const oom = ctx.config.process?.oomScoreAdj;
  if (oom !== undefined) add(ctx, { stage: 'init', op: 'oom-score-adj', why: '/process/oomScoreAdj', value: oom });
}

/** Bounding set, user switch, capabilities, no_new_privs, cwd and the exec check. */
export function planIdentity(ctx: PlanContext): void {
  const p = ctx.config.process!;
  add(ctx, { stage: 'init', op: 'caps.bounding', why: '/process/capabilities/bounding', keep: capSet(ctx, 'bounding') });
  const u = p.user!;
  add(ctx, {
    stage: 'init', op: 'user', why: '/process/user', uid: u.uid!, gid: u.gid!,
    additionalGids: [...new Set(u.additionalGids ?? [])],
    umask: u.umask ?? 0o022,
  });
  const permitted = capSet(ctx, 'permitted');
  const inheritable = capSet(ctx, 'inheritable');
  // The kernel only lets a capability into the ambient set if it is permitted and inheritable;
  // runc warns and goes on without it, and so does the plan — visibly.
  const ambient = capSet(ctx, 'ambient').filter((c) => {
    const ok = permitted.includes(c) && inheritable.includes(c);
    if (!ok) warn(ctx, 'ambient-dropped', '/process/capabilities/ambient', `${c} is not raised in the ambient set: it is not in both permitted and inheritable`);
    return ok;
  });
  add(ctx, { stage: 'init', op: 'caps', why: '/process/capabilities', effective: capSet(ctx, 'effective'), permitted, inheritable, ambient });
  if (p.noNewPrivileges) add(ctx, { stage: 'init', op: 'no-new-privs', why: '/process/noNewPrivileges' });
  add(ctx, { stage: 'init', op: 'chdir', why: '/process/cwd', path: p.cwd });
}

export function planExec(ctx: PlanContext, waitForStart: boolean): void {
  const p = ctx.config.process!;
  const args = p.args ?? [];
  const env = p.env ?? [];
  add(ctx, { stage: 'init', op: 'exec.check', why: '/process/args/0', file: args[0]!, env });
  if (waitForStart) add(ctx, { stage: 'init', op: 'execfifo.wait', why: 'runtime:start' });
  add(ctx, { stage: 'init', op: 'exec', why: '/process/args', args, env });
}

export function checkProcess(ctx: PlanContext): void {
  const p = ctx.config.process;
  if (!p) throw new PlancError('invalid-config', 'process is required to create a container', { where: '/process' });
  if (!p.args || p.args.length === 0) throw new PlancError('invalid-config', 'process.args must name the program to run', { where: '/process/args' });
  if (p.user?.uid === undefined || p.user.gid === undefined) throw new PlancError('invalid-config', 'process.user.uid and gid are required on Linux', { where: '/process/user' });
  if (!isAbsolute(p.cwd)) throw new PlancError('invalid-config', `cwd must be an absolute path, got ${JSON.stringify(p.cwd)}`, { where: '/process/cwd' });
  // Planning does not need a terminal; creating does (the CLI refuses it until console sockets land).
  if (p.terminal) warn(ctx, 'terminal', '/process/terminal', 'process.terminal needs --console-socket, which planc does not support yet');
  for (const [k, e] of (p.env ?? []).entries()) {
    if (!e.includes('=')) throw new PlancError('invalid-config', `env entries must be KEY=value, got ${JSON.stringify(e)}`, { where: `/process/env/${k}` });
  }
  if (p.apparmorProfile) warn(ctx, 'no-apparmor', '/process/apparmorProfile', 'AppArmor is not available on this host: profile not applied');
  if (p.selinuxLabel) warn(ctx, 'no-selinux', '/process/selinuxLabel', 'SELinux is not available on this host: label not applied');
  if (ctx.config.linux?.mountLabel) warn(ctx, 'no-selinux', '/linux/mountLabel', 'SELinux is not available on this host: mount label not applied');
}
