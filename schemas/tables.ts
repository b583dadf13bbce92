// The tables the planner (TypeScript) and the executor (C) share: the one
// source both sides read. The planner imports this module; scripts/gen-tables.mjs
// writes the executor's copy, executor/native/tables.generated.{h,c}, from it
// (and the op table from schemas/plan.schema.json), and `npm run gen:check`
// fails when that copy is stale. Every number here is Linux's value on the
// architectures planc builds for; tables.generated.c compares each one with
// the build host's own headers (_Static_assert), so a wrong value fails the
// build instead of dropping the wrong capability at run time.
//
// Pure data with no imports: the generator loads this file on its own, and the
// planner runs in a browser.

/** Capabilities (linux/capability.h), in number order: the planner sorts sets by this order. */
export const CAPABILITY_TABLE = [
  { name: 'CAP_CHOWN', value: 0 },
  { name: 'CAP_DAC_OVERRIDE', value: 1 },
  { name: 'CAP_DAC_READ_SEARCH', value: 2 },
  { name: 'CAP_FOWNER', value: 3 },
  { name: 'CAP_FSETID', value: 4 },
  { name: 'CAP_KILL', value: 5 },
  { name: 'CAP_SETGID', value: 6 },
  { name: 'CAP_SETUID', value: 7 },
  { name: 'CAP_SETPCAP', value: 8 },
  { name: 'CAP_LINUX_IMMUTABLE', value: 9 },
  { name: 'CAP_NET_BIND_SERVICE', value: 10 },
  { name: 'CAP_NET_BROADCAST', value: 11 },
  { name: 'CAP_NET_ADMIN', value: 12 },
  { name: 'CAP_NET_RAW', value: 13 },
  { name: 'CAP_IPC_LOCK', value: 14 },
  { name: 'CAP_IPC_OWNER', value: 15 },
  { name: 'CAP_SYS_MODULE', value: 16 },
  { name: 'CAP_SYS_RAWIO', value: 17 },
  { name: 'CAP_SYS_CHROOT', value: 18 },
  { name: 'CAP_SYS_PTRACE', value: 19 },
  { name: 'CAP_SYS_PACCT', value: 20 },
  { name: 'CAP_SYS_ADMIN', value: 21 },
  { name: 'CAP_SYS_BOOT', value: 22 },
  { name: 'CAP_SYS_NICE', value: 23 },
  { name: 'CAP_SYS_RESOURCE', value: 24 },
  { name: 'CAP_SYS_TIME', value: 25 },
  { name: 'CAP_SYS_TTY_CONFIG', value: 26 },
  { name: 'CAP_MKNOD', value: 27 },
  { name: 'CAP_LEASE', value: 28 },
  { name: 'CAP_AUDIT_WRITE', value: 29 },
  { name: 'CAP_AUDIT_CONTROL', value: 30 },
  { name: 'CAP_SETFCAP', value: 31 },
  { name: 'CAP_MAC_OVERRIDE', value: 32 },
  { name: 'CAP_MAC_ADMIN', value: 33 },
  { name: 'CAP_SYSLOG', value: 34 },
  { name: 'CAP_WAKE_ALARM', value: 35 },
  { name: 'CAP_BLOCK_SUSPEND', value: 36 },
  { name: 'CAP_AUDIT_READ', value: 37 },
  { name: 'CAP_PERFMON', value: 38 },
  { name: 'CAP_BPF', value: 39 },
  { name: 'CAP_CHECKPOINT_RESTORE', value: 40 },
] as const;

/**
 * Resource limits (sys/resource.h; the asm-generic numbers, which x86 and arm
 * use — alpha, mips and sparc number some differently, and the build says so).
 */
export const RLIMIT_TABLE = [
  { name: 'RLIMIT_CPU', value: 0 },
  { name: 'RLIMIT_FSIZE', value: 1 },
  { name: 'RLIMIT_DATA', value: 2 },
  { name: 'RLIMIT_STACK', value: 3 },
  { name: 'RLIMIT_CORE', value: 4 },
  { name: 'RLIMIT_RSS', value: 5 },
  { name: 'RLIMIT_NPROC', value: 6 },
  { name: 'RLIMIT_NOFILE', value: 7 },
  { name: 'RLIMIT_MEMLOCK', value: 8 },
  { name: 'RLIMIT_AS', value: 9 },
  { name: 'RLIMIT_LOCKS', value: 10 },
  { name: 'RLIMIT_SIGPENDING', value: 11 },
  { name: 'RLIMIT_MSGQUEUE', value: 12 },
  { name: 'RLIMIT_NICE', value: 13 },
  { name: 'RLIMIT_RTPRIO', value: 14 },
  { name: 'RLIMIT_RTTIME', value: 15 },
] as const;

/**
 * Namespace types (runtime-spec names), in the order they are joined: user
 * first, because it owns the others. flag: the clone(2)/setns(2) flag;
 * proc: the entry's name in /proc/<pid>/ns/.
 */
export const NAMESPACE_TABLE = [
  { type: 'user', flag: 'CLONE_NEWUSER', value: 0x10000000, proc: 'user' },
  { type: 'pid', flag: 'CLONE_NEWPID', value: 0x20000000, proc: 'pid' },
  { type: 'network', flag: 'CLONE_NEWNET', value: 0x40000000, proc: 'net' },
  { type: 'mount', flag: 'CLONE_NEWNS', value: 0x00020000, proc: 'mnt' },
  { type: 'ipc', flag: 'CLONE_NEWIPC', value: 0x08000000, proc: 'ipc' },
  { type: 'uts', flag: 'CLONE_NEWUTS', value: 0x04000000, proc: 'uts' },
  { type: 'cgroup', flag: 'CLONE_NEWCGROUP', value: 0x02000000, proc: 'cgroup' },
  { type: 'time', flag: 'CLONE_NEWTIME', value: 0x00000080, proc: 'time' },
] as const;

/**
 * The plan's mount flags (schemas/plan.schema.json MountFlag) → mount(2) bits,
 * in the order the planner lists them in an action. perMount: a bind remount
 * (mount_setattr) changes it on one mount; superblock: it is a filesystem
 * setting too, passed to fsconfig(2) under the flag's own name. bind, rec and
 * remount say which call to make, not what the mount is.
 */
export const MOUNT_FLAG_TABLE = [
  { name: 'ro', macro: 'MS_RDONLY', value: 0x1, perMount: true, superblock: true },
  { name: 'nosuid', macro: 'MS_NOSUID', value: 0x2, perMount: true, superblock: false },
  { name: 'nodev', macro: 'MS_NODEV', value: 0x4, perMount: true, superblock: false },
  { name: 'noexec', macro: 'MS_NOEXEC', value: 0x8, perMount: true, superblock: false },
  { name: 'sync', macro: 'MS_SYNCHRONOUS', value: 0x10, perMount: false, superblock: true },
  { name: 'dirsync', macro: 'MS_DIRSYNC', value: 0x80, perMount: false, superblock: true },
  { name: 'mand', macro: 'MS_MANDLOCK', value: 0x40, perMount: false, superblock: true },
  { name: 'noatime', macro: 'MS_NOATIME', value: 0x400, perMount: true, superblock: false },
  { name: 'nodiratime', macro: 'MS_NODIRATIME', value: 0x800, perMount: true, superblock: false },
  { name: 'relatime', macro: 'MS_RELATIME', value: 0x200000, perMount: true, superblock: false },
  { name: 'strictatime', macro: 'MS_STRICTATIME', value: 0x1000000, perMount: true, superblock: false },
  { name: 'bind', macro: 'MS_BIND', value: 0x1000, perMount: false, superblock: false },
  { name: 'rec', macro: 'MS_REC', value: 0x4000, perMount: false, superblock: false },
  { name: 'remount', macro: 'MS_REMOUNT', value: 0x20, perMount: false, superblock: false },
] as const;

/** Mount propagation (schemas' Propagation) → mount(2) bits; the r* forms add MS_REC. */
export const PROPAGATION_TABLE = [
  { name: 'shared', macros: ['MS_SHARED'], value: 0x100000 },
  { name: 'rshared', macros: ['MS_SHARED', 'MS_REC'], value: 0x104000 },
  { name: 'slave', macros: ['MS_SLAVE'], value: 0x80000 },
  { name: 'rslave', macros: ['MS_SLAVE', 'MS_REC'], value: 0x84000 },
  { name: 'private', macros: ['MS_PRIVATE'], value: 0x40000 },
  { name: 'rprivate', macros: ['MS_PRIVATE', 'MS_REC'], value: 0x44000 },
  { name: 'unbindable', macros: ['MS_UNBINDABLE'], value: 0x20000 },
  { name: 'runbindable', macros: ['MS_UNBINDABLE', 'MS_REC'], value: 0x24000 },
] as const;

// Name → number tables of the attributes the init sets on itself and of recursive mount
// attributes. A row's macro is its name unless it says otherwise; a row with `unchecked` is
// not compared with the build host's headers, which may predate it (the reason says why).

/** Per-mount attributes mount_setattr(2) sets or clears (plan.schema.json MountAttr): MOUNT_ATTR_* bits. */
export const MOUNT_ATTR_TABLE = [
  { name: 'ro', macro: 'MOUNT_ATTR_RDONLY', value: 0x1 },
  { name: 'nosuid', macro: 'MOUNT_ATTR_NOSUID', value: 0x2 },
  { name: 'nodev', macro: 'MOUNT_ATTR_NODEV', value: 0x4 },
  { name: 'noexec', macro: 'MOUNT_ATTR_NOEXEC', value: 0x8 },
  { name: 'nodiratime', macro: 'MOUNT_ATTR_NODIRATIME', value: 0x80 },
  { name: 'nosymfollow', macro: 'MOUNT_ATTR_NOSYMFOLLOW', value: 0x200000 },
] as const;

/** Scheduling policies sched_setattr(2) takes (sched.h, linux/sched.h). SCHED_ISO, which runtime-spec lists, is not one. */
export const SCHED_POLICY_TABLE = [
  { name: 'SCHED_OTHER', value: 0 },
  { name: 'SCHED_FIFO', value: 1 },
  { name: 'SCHED_RR', value: 2 },
  { name: 'SCHED_BATCH', value: 3 },
  { name: 'SCHED_IDLE', value: 5 },
  { name: 'SCHED_DEADLINE', value: 6 },
] as const;

/** sched_setattr(2) flags (linux/sched.h), in bit order. */
export const SCHED_FLAG_TABLE = [
  { name: 'SCHED_FLAG_RESET_ON_FORK', value: 0x1 },
  { name: 'SCHED_FLAG_RECLAIM', value: 0x2 },
  { name: 'SCHED_FLAG_DL_OVERRUN', value: 0x4 },
  { name: 'SCHED_FLAG_KEEP_POLICY', value: 0x8 },
  { name: 'SCHED_FLAG_KEEP_PARAMS', value: 0x10 },
  { name: 'SCHED_FLAG_UTIL_CLAMP_MIN', value: 0x20 },
  { name: 'SCHED_FLAG_UTIL_CLAMP_MAX', value: 0x40 },
] as const;

/** I/O scheduling classes of ioprio_set(2) (linux/ioprio.h). */
export const IOPRIO_CLASS_TABLE = [
  { name: 'IOPRIO_CLASS_RT', value: 1 },
  { name: 'IOPRIO_CLASS_BE', value: 2 },
  { name: 'IOPRIO_CLASS_IDLE', value: 3 },
] as const;

/** NUMA memory policy modes of set_mempolicy(2) (linux/mempolicy.h), in the kernel's order. */
export const MPOL_MODE_TABLE = [
  { name: 'MPOL_DEFAULT', value: 0 },
  { name: 'MPOL_PREFERRED', value: 1 },
  { name: 'MPOL_BIND', value: 2 },
  { name: 'MPOL_INTERLEAVE', value: 3 },
  { name: 'MPOL_LOCAL', value: 4 },
  { name: 'MPOL_PREFERRED_MANY', value: 5 },
  { name: 'MPOL_WEIGHTED_INTERLEAVE', value: 6, unchecked: 'Linux 6.9 added it: older headers (Debian 12 has 6.1) do not name it' },
] as const;

/** Mode flags of set_mempolicy(2) (linux/mempolicy.h), in bit order. */
export const MPOL_FLAG_TABLE = [
  { name: 'MPOL_F_NUMA_BALANCING', value: 0x2000 },
  { name: 'MPOL_F_RELATIVE_NODES', value: 0x4000 },
  { name: 'MPOL_F_STATIC_NODES', value: 0x8000 },
] as const;

/** Execution domains of personality(2) (sys/personality.h) that runtime-spec names. */
export const PERSONALITY_TABLE = [
  { name: 'LINUX', macro: 'PER_LINUX', value: 0x0 },
  { name: 'LINUX32', macro: 'PER_LINUX32', value: 0x8 },
] as const;
