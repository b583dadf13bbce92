// The process stage: limits, identity, privileges, and the exec itself, in
// the order that keeps each step possible (bounding set before the uid
// switch, capabilities after it, no_new_privs last before exec).
import { PlancError } from '../schemas/error.js';
import { CAPABILITY_TABLE, RLIMIT_TABLE } from '../schemas/tables.js';
import type { PlanContext } from './context.js';
import { add, warn } from './context.js';
import { u64 } from './config.js';
import { isAbsolute, pointer } from './paths.js';

// Capability names the kernel knows, in number order, and the rlimit names: the
// executor's own tables are generated from the same source (schemas/tables.ts).
export const CAPABILITIES = CAPABILITY_TABLE.map((c) => c.name);
export const RLIMITS = RLIMIT_TABLE.map((r) => r.name);

const NUMBER = new Map<string, number>(CAPABILITY_TABLE.map((c) => [c.name, c.value]));

function capSet(ctx: PlanContext, set: 'bounding' | 'effective' | 'permitted' | 'inheritable' | 'ambient'): string[] {
  const names = ctx.config.process?.capabilities?.[set] ?? [];
  const out: string[] = [];
  names.forEach((name, k) => {
    // The spec: a value that cannot be mapped to a kernel interface MUST cause an error
    // (runc only warns and drops it; see docs/linux-fields.md).
    if (!NUMBER.has(name)) throw new PlancError('invalid-config', `unknown capability ${JSON.stringify(name)}`, { where: pointer('process', 'capabilities', set, k) });
    if (!out.includes(name)) out.push(name);
  });
  return out.sort((a, b) => NUMBER.get(a)! - NUMBER.get(b)!);
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

/** @param beforeExec adds what runs after `start` released the init and before the execve (startContainer hooks). */
export function planExec(ctx: PlanContext, waitForStart: boolean, beforeExec: () => void = () => {}): void {
  const p = ctx.config.process!;
  const args = p.args ?? [];
  const env = p.env ?? [];
  add(ctx, { stage: 'init', op: 'exec.check', why: '/process/args/0', file: args[0]!, env });
  if (waitForStart) add(ctx, { stage: 'init', op: 'execfifo.wait', why: 'runtime:start' });
  beforeExec();
  add(ctx, { stage: 'init', op: 'exec', why: '/process/args', args, env });
}

export function checkProcess(ctx: PlanContext): void {
  const p = ctx.config.process;
  if (!p) throw new PlancError('invalid-config', 'process is required to create a container', { where: '/process' });
  if (!p.args || p.args.length === 0) throw new PlancError('invalid-config', 'process.args must name the program to run', { where: '/process/args' });
  if (p.user?.uid === undefined || p.user.gid === undefined) throw new PlancError('invalid-config', 'process.user.uid and gid are required on Linux', { where: '/process/user' });
  if (!isAbsolute(p.cwd)) throw new PlancError('invalid-config', `cwd must be an absolute path, got ${JSON.stringify(p.cwd)}`, { where: '/process/cwd' });
  for (const [k, e] of (p.env ?? []).entries()) {
    if (!e.includes('=')) throw new PlancError('invalid-config', `env entries must be KEY=value, got ${JSON.stringify(e)}`, { where: `/process/env/${k}` });
  }
  if (p.apparmorProfile) warn(ctx, 'no-apparmor', '/process/apparmorProfile', 'AppArmor is not available on this host: profile not applied');
  if (p.selinuxLabel) warn(ctx, 'no-selinux', '/process/selinuxLabel', 'SELinux is not available on this host: label not applied');
  if (ctx.config.linux?.mountLabel) warn(ctx, 'no-selinux', '/linux/mountLabel', 'SELinux is not available on this host: mount label not applied');
}
