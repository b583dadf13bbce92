// Filter return values (linux/seccomp.h SECCOMP_RET_*) for the runtime-spec action names.

export const SECCOMP_RET_KILL_PROCESS = 0x80000000;
export const SECCOMP_RET_KILL_THREAD = 0x00000000;
export const SECCOMP_RET_TRAP = 0x00030000;
export const SECCOMP_RET_ERRNO = 0x00050000;
export const SECCOMP_RET_USER_NOTIF = 0x7fc00000;
export const SECCOMP_RET_TRACE = 0x7ff00000;
export const SECCOMP_RET_LOG = 0x7ffc0000;
export const SECCOMP_RET_ALLOW = 0x7fff0000;
/** SECCOMP_RET_DATA: the low 16 bits carry the errno (ERRNO) or the tracer's message (TRACE). */
export const SECCOMP_RET_DATA = 0x0000ffff;

export const EPERM = 1;
export const ENOSYS = 38;

export type ActionName =
  | 'SCMP_ACT_KILL'
  | 'SCMP_ACT_KILL_PROCESS'
  | 'SCMP_ACT_KILL_THREAD'
  | 'SCMP_ACT_TRAP'
  | 'SCMP_ACT_ERRNO'
  | 'SCMP_ACT_TRACE'
  | 'SCMP_ACT_ALLOW'
  | 'SCMP_ACT_LOG'
  | 'SCMP_ACT_NOTIFY';

const BASE: Readonly<Record<ActionName, number>> = {
  // libseccomp's SCMP_ACT_KILL is SCMP_ACT_KILL_THREAD (runc maps both the same way).
  SCMP_ACT_KILL: SECCOMP_RET_KILL_THREAD,
  SCMP_ACT_KILL_THREAD: SECCOMP_RET_KILL_THREAD,
  SCMP_ACT_KILL_PROCESS: SECCOMP_RET_KILL_PROCESS,
  SCMP_ACT_TRAP: SECCOMP_RET_TRAP,
  SCMP_ACT_ERRNO: SECCOMP_RET_ERRNO,
  SCMP_ACT_TRACE: SECCOMP_RET_TRACE,
  SCMP_ACT_ALLOW: SECCOMP_RET_ALLOW,
  SCMP_ACT_LOG: SECCOMP_RET_LOG,
  SCMP_ACT_NOTIFY: SECCOMP_RET_USER_NOTIF,
};

/** Every action name the compiler accepts, for `planc features`. */
export const ACTION_NAMES: readonly ActionName[] = Object.keys(BASE) as ActionName[];

export function isActionName(s: unknown): s is ActionName {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(BASE, s);
}

/** Whether the action takes a 16-bit datum (runtime-spec: errnoRet only for these). */
export function takesData(a: ActionName): boolean {
  return a === 'SCMP_ACT_ERRNO' || a === 'SCMP_ACT_TRACE';
}

/**
 * The filter's return value. ERRNO and TRACE carry `data` (EPERM when the config gives none,
 * as runtime-spec says and runc does, for TRACE too).
 */
export function actionValue(a: ActionName, data?: number): number {
  const base = BASE[a];
  if (!takesData(a)) return base;
  return (base | ((data ?? EPERM) & SECCOMP_RET_DATA)) >>> 0;
}

/** A filter return value in words, for explain and warnings: "ERRNO(EPERM)", "ALLOW", … */
export function describeAction(ret: number): string {
  const action = (ret & 0xffff0000) >>> 0;
  const data = ret & SECCOMP_RET_DATA;
  switch (action) {
    case SECCOMP_RET_KILL_PROCESS:
      return 'KILL_PROCESS';
    case SECCOMP_RET_KILL_THREAD:
      return 'KILL_THREAD';
    case SECCOMP_RET_TRAP:
      return 'TRAP';
    case SECCOMP_RET_ERRNO:
      return `ERRNO(${errnoName(data)})`;
    case SECCOMP_RET_USER_NOTIF:
      return 'NOTIFY';
    case SECCOMP_RET_TRACE:
      return `TRACE(${data})`;
    case SECCOMP_RET_LOG:
      return 'LOG';
    case SECCOMP_RET_ALLOW:
      return 'ALLOW';
    default:
      return `0x${ret.toString(16)}`;
  }
}

// asm-generic/errno-base.h and errno.h: the errnos seccomp profiles use in practice.
const ERRNO_NAMES: Readonly<Record<number, string>> = {
  1: 'EPERM', 2: 'ENOENT', 5: 'EIO', 12: 'ENOMEM', 13: 'EACCES', 16: 'EBUSY', 22: 'EINVAL',
  38: 'ENOSYS', 95: 'EOPNOTSUPP', 97: 'EAFNOSUPPORT',
};

export function errnoName(n: number): string {
  return ERRNO_NAMES[n] ?? String(n);
}
