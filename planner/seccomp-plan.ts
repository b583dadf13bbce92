// linux.seccomp → the seccomp.connect and seccomp.load actions. The filter itself is compiled
// here, at plan time (planner/seccomp), so the plan carries it as data with its digest: what
// explain shows, diff compares and the audit log records is the program the kernel gets.
//
// Where it is loaded follows runc (libcontainer/standard_init_linux.go): with noNewPrivileges,
// as late as possible — after `start` released the init, before the startContainer hooks and
// the execve — so planc's own setup is never filtered; without it, loading a filter needs
// CAP_SYS_ADMIN, so it goes before the bounding set, user and capability actions drop it.
import type { Action } from '../schemas/generated/plan.js';
import type { PlanContext } from './context.js';
import { add, warn } from './context.js';
import { compileSeccomp, type SeccompInput, type SockFilter } from './seccomp/index.js';
import { sha256Hex } from './sha256.js';

export type SeccompLoad = Extract<Action, { op: 'seccomp.load' }>;

const WHERE = '/linux/seccomp';

/** The native architecture the plan is for: the host's, x86_64 when not told (a browser). */
function nativeArch(ctx: PlanContext): 'x86_64' | 'aarch64' {
  return ctx.facts.arch ?? 'x86_64';
}

/** Whether seccomp.load goes after the exec fifo (noNewPrivileges) or before the privilege drop. */
export function seccompLate(ctx: PlanContext): boolean {
  return ctx.config.process?.noNewPrivileges === true;
}

/** The connection to the seccomp agent, made while listenerPath (a host path) is reachable: before pivot_root. */
export function planSeccompConnect(ctx: PlanContext): void {
  const s = ctx.config.linux?.seccomp;
  if (!s?.listenerPath || !usesNotify(s as SeccompInput)) return;
  add(ctx, { stage: 'init', op: 'seccomp.connect', why: `${WHERE}/listenerPath`, path: s.listenerPath });
}

function usesNotify(s: SeccompInput): boolean {
  return (s.syscalls ?? []).some((r) => r.action === 'SCMP_ACT_NOTIFY');
}

/**
 * The seccomp.load action. `afterStart`: the init is past the exec fifo (`start` was called),
 * so the state the agent gets says "created"; before it, "creating".
 */
export function planSeccomp(ctx: PlanContext, afterStart: boolean): void {
  const s = ctx.config.linux?.seccomp;
  if (!s) return;
  const result = compileSeccomp(s as SeccompInput, { native: nativeArch(ctx), where: WHERE });
  for (const w of result.warnings) {
    const unknown = /^unknown syscall (\S+):/.exec(w.message);
    if (unknown) warn(ctx, 'seccomp-unknown-syscall', w.where, w.message, unknown[1]);
    else warn(ctx, 'seccomp-note', w.where, w.message);
  }
  const action: SeccompLoad = {
    stage: 'init', op: 'seccomp.load', why: WHERE,
    program: result.program.map(({ code, jt, jf, k }) => ({ code, jt, jf, k })),
    flags: result.flags,
    digest: `sha256:${programDigest(result.program)}`,
    stats: result.stats,
  };
  if (result.listener) {
    const annotations = ctx.config.annotations ?? {};
    action.listener = {
      path: s.listenerPath!,
      ...(s.listenerMetadata !== undefined ? { metadata: s.listenerMetadata } : {}),
      state: {
        ociVersion: ctx.config.ociVersion,
        id: ctx.facts.containerId,
        status: afterStart ? 'created' : 'creating',
        bundle: ctx.facts.bundle,
        ...(Object.keys(annotations).length > 0 ? { annotations: { ...annotations } } : {}),
      },
    };
  }
  add(ctx, action);
}

/** sha256 of the program exactly as seccomp(2) reads it: struct sock_filter {u16 code; u8 jt, jf; u32 k}, little-endian. */
export function programDigest(program: readonly SockFilter[]): string {
  const bytes = new Uint8Array(program.length * 8);
  program.forEach(({ code, jt, jf, k }, i) => {
    const o = i * 8;
    bytes[o] = code & 0xff;
    bytes[o + 1] = (code >>> 8) & 0xff;
    bytes[o + 2] = jt;
    bytes[o + 3] = jf;
    bytes[o + 4] = k & 0xff;
    bytes[o + 5] = (k >>> 8) & 0xff;
    bytes[o + 6] = (k >>> 16) & 0xff;
    bytes[o + 7] = (k >>> 24) & 0xff;
  });
  return sha256Hex(bytes);
}

type Stats = SeccompLoad['stats'];
type VerdictText = Pick<Stats['defaultAction'], 'action' | 'text' | 'data'>;

/** ERRNO(EPERM) → "EPERM"; the errno name the compiler used, or the number. */
function errnoOf(v: VerdictText): string {
  return /^ERRNO\((.+)\)$/.exec(v.text)?.[1] ?? String(v.data ?? '');
}

/** "allows 310", "fails 33 with EPERM", "kills the process on 2": what a verdict does to n syscalls. */
function verdictDoes(v: VerdictText, n: string): string {
  switch (v.action) {
    case 'SCMP_ACT_ALLOW': return `allows ${n}`;
    case 'SCMP_ACT_ERRNO': return `fails ${n} with ${errnoOf(v)}`;
    case 'SCMP_ACT_KILL_PROCESS': return `kills the process on ${n}`;
    case 'SCMP_ACT_KILL_THREAD': return `kills the thread on ${n}`;
    case 'SCMP_ACT_TRAP': return `sends SIGSYS on ${n}`;
    case 'SCMP_ACT_LOG': return `logs and allows ${n}`;
    case 'SCMP_ACT_TRACE': return `hands ${n} to a ptrace tracer (${v.text})`;
    case 'SCMP_ACT_NOTIFY': return `asks the seccomp agent about ${n}`;
    default: return `${v.text} for ${n}`;
  }
}

const LISTED = 8; // a group this small is named in full: it is what a reviewer looks for

function countOf(n: number, names: readonly string[]): string {
  const what = `${n} syscall${n === 1 ? '' : 's'}`;
  return names.length > 0 && names.length <= LISTED ? `${what} (${names.join(', ')})` : what;
}

/** The filter in words, from its stats: one clause per verdict, most syscalls first. */
export function describeSeccomp(a: SeccompLoad): string {
  const s = a.stats;
  const groups = [...s.byAction].sort((x, y) => y.count - x.count || x.text.localeCompare(y.text));
  const clauses = groups.map((g) => verdictDoes(g, countOf(g.count, g.syscalls)));
  if (s.conditional.length) clauses.push(`decides ${countOf(s.conditional.length, s.conditional.map((c) => c.syscall))} by their arguments`);
  const parts = [
    `load a seccomp filter on ${s.native}: ${clauses.join(', ')}`,
    `default ${s.defaultAction.text}`,
  ];
  const newer = Object.keys(s.enosysAbove);
  if (newer.length) parts.push('syscalls newer than the profile fail with ENOSYS');
  parts.push(`${verdictDoes(s.badArchAction, 'syscalls of other architectures')} (checks ${s.architectures.join(', ')})`);
  if (s.unknownSyscalls.length) parts.push(`unknown names skipped: ${s.unknownSyscalls.join(', ')}`);
  if (a.listener) parts.push(`listener fd to ${a.listener.path}`);
  const flagNames = s.flags.map((f) => f.replace(/^SECCOMP_FILTER_FLAG_/, ''));
  parts.push(`${s.instructions} instructions${flagNames.length ? `, flags ${flagNames.join(',')}` : ''}, ${a.digest.slice(0, 19)}…`);
  return parts.join('; ');
}

/** Each native syscall's verdict: "ALLOW", "ERRNO(EPERM)", or "by arguments: ALLOW | ERRNO(EINVAL)". */
function verdicts(s: Stats): Map<string, string> {
  const out = new Map<string, string>();
  for (const g of s.byAction) for (const name of g.syscalls) out.set(name, g.text);
  for (const c of s.conditional) out.set(c.syscall, `by arguments: ${c.verdicts.map((v) => v.text).join(' | ')}`);
  return out;
}

/**
 * What changes between two filters, syscall by syscall (the programs themselves are not
 * comparable line by line: one new rule moves every jump): the default and bad-arch actions,
 * the architectures and flags, then every native syscall whose verdict changed, by name.
 */
export function seccompChanges(before: SeccompLoad, after: SeccompLoad): string[] {
  const a = before.stats;
  const b = after.stats;
  const lines: string[] = [];
  const field = (name: string, u: string, v: string) => { if (u !== v) lines.push(`${name}: ${u} → ${v}`); };
  field('default action', a.defaultAction.text, b.defaultAction.text);
  field('other architectures', a.badArchAction.text, b.badArchAction.text);
  field('architectures', a.architectures.join(',') || '(none)', b.architectures.join(',') || '(none)');
  field('flags', a.flags.join(',') || '(none)', b.flags.join(',') || '(none)');
  field('listener', before.listener?.path ?? '(none)', after.listener?.path ?? '(none)');
  const va = verdicts(a);
  const vb = verdicts(b);
  const names = [...new Set([...va.keys(), ...vb.keys()])].sort();
  for (const n of names) {
    const u = va.get(n) ?? '(not on this architecture)';
    const v = vb.get(n) ?? '(not on this architecture)';
    if (u !== v) lines.push(`${n}: ${u} → ${v}`);
  }
  return lines;
}
