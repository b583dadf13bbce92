// The architectures the seccomp compiler knows, with the kernel's constants.
import { SYSCALL_NAMES, SYSCALL_NUMBERS, MULTIPLEXED, SOCKETCALL_SUBCALLS, IPC_SUBCALLS } from './syscalls.generated.js';

export type ArchName = keyof typeof SYSCALL_NUMBERS;

/** __X32_SYSCALL_BIT of arch/x86/include/uapi/asm/unistd.h: x32 syscalls carry it in seccomp_data.nr. */
export const X32_SYSCALL_BIT = 0x40000000;

export interface ArchInfo {
  name: ArchName;
  /** The runtime-spec / libseccomp spelling. */
  scmp: string;
  /** seccomp_data.arch: AUDIT_ARCH_* of linux/audit.h (x32 shares x86_64's, it differs by X32_SYSCALL_BIT). */
  audit: number;
  /**
   * Width libseccomp gives the arch (arch-*.c `.size`): on a 32-bit ABI it compares only the low
   * word of an argument, on a 64-bit one both words. x32 is "32-bit" there although the kernel
   * passes 64-bit arguments.
   */
  bits: 32 | 64;
}

// AUDIT_ARCH_X86_64 = EM_X86_64(62) | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE, and so on.
export const ARCHES: readonly ArchInfo[] = [
  { name: 'x86_64', scmp: 'SCMP_ARCH_X86_64', audit: 0xc000003e, bits: 64 },
  { name: 'x86', scmp: 'SCMP_ARCH_X86', audit: 0x40000003, bits: 32 },
  { name: 'x32', scmp: 'SCMP_ARCH_X32', audit: 0xc000003e, bits: 32 },
  { name: 'aarch64', scmp: 'SCMP_ARCH_AARCH64', audit: 0xc00000b7, bits: 64 },
  { name: 'arm', scmp: 'SCMP_ARCH_ARM', audit: 0x40000028, bits: 32 },
];

export const ARCH_BY_NAME: ReadonlyMap<string, ArchInfo> = new Map(ARCHES.map((a) => [a.name, a]));
export const ARCH_BY_SCMP: ReadonlyMap<string, ArchInfo> = new Map(ARCHES.map((a) => [a.scmp, a]));

/** The architectures runtime-spec lists that this compiler has no syscall table for. */
export const OTHER_SCMP_ARCHES: ReadonlySet<string> = new Set([
  'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64',
  'SCMP_ARCH_MIPSEL64N32', 'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64', 'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_S390',
  'SCMP_ARCH_S390X', 'SCMP_ARCH_PARISC', 'SCMP_ARCH_PARISC64', 'SCMP_ARCH_RISCV64', 'SCMP_ARCH_LOONGARCH64',
  'SCMP_ARCH_M68K', 'SCMP_ARCH_SH', 'SCMP_ARCH_SHEB',
]);

/**
 * The ABIs a kernel of each native architecture can run, hence the only seccomp_data.arch
 * values a filter loaded there can ever see (x86_64: IA32 emulation and x32; arm64: AArch32).
 */
export const KERNEL_ABIS: Readonly<Record<'x86_64' | 'aarch64', readonly ArchName[]>> = {
  x86_64: ['x86_64', 'x86', 'x32'],
  aarch64: ['aarch64', 'arm'],
};

const INDEX = new Map<string, number>(SYSCALL_NAMES.map((n, i) => [n, i]));
const REVERSE = new Map<ArchName, Map<number, string>>();

/** Whether libseccomp knows the name on any architecture (runc skips names it does not). */
export function knownSyscall(name: string): boolean {
  return INDEX.has(name);
}

/** The syscall's number on `arch`, or -1 when it does not exist there (or is unknown). */
export function syscallNumber(arch: ArchName, name: string): number {
  const i = INDEX.get(name);
  return i === undefined ? -1 : (SYSCALL_NUMBERS[arch][i] as number);
}

/**
 * A stand-in for libseccomp's pseudo-syscall number of a name (__PNR_<name>, one per name): on
 * an ABI that lacks the syscall, libseccomp still files the rule under that number. No code is
 * generated for it, but its rules are merged, and can conflict, like any other.
 */
export function pseudoNumber(name: string): number {
  return -100000 - (INDEX.get(name) ?? -1);
}

const SORTED = new Map<ArchName, ReadonlyArray<readonly [number, string]>>();

/** Every syscall of `arch` as [number, name], by number. */
export function syscallsOf(arch: ArchName): ReadonlyArray<readonly [number, string]> {
  let list = SORTED.get(arch);
  if (!list) {
    const row = SYSCALL_NUMBERS[arch];
    const l: Array<[number, string]> = [];
    for (let i = 0; i < row.length; i++) if ((row[i] as number) >= 0) l.push([row[i] as number, SYSCALL_NAMES[i] as string]);
    SORTED.set(arch, (list = l.sort((a, b) => a[0] - b[0])));
  }
  return list;
}

/** The name of a syscall number on `arch`, or undefined. */
export function syscallName(arch: ArchName, nr: number): string | undefined {
  let m = REVERSE.get(arch);
  if (!m) {
    m = new Map();
    const row = SYSCALL_NUMBERS[arch];
    for (let i = 0; i < row.length; i++) if ((row[i] as number) >= 0) m.set(row[i] as number, SYSCALL_NAMES[i] as string);
    REVERSE.set(arch, m);
  }
  return m.get(nr);
}

/**
 * How libseccomp adds a rule for `name` on an arch that multiplexes socket and SysV ipc calls
 * (x86): a rule on the multiplexer with argument 0 == the sub-call, plus the direct syscall
 * when the arch has one. Undefined when the name is not multiplexed there.
 */
export function multiplexed(arch: ArchName, name: string): { mux: number; subcall: number; direct: number } | undefined {
  const m = MULTIPLEXED[arch];
  if (!m) return undefined;
  const s = SOCKETCALL_SUBCALLS[name];
  if (s !== undefined) return { mux: m.socketcall, subcall: s, direct: syscallNumber(arch, name) };
  const p = IPC_SUBCALLS[name];
  if (p !== undefined) return { mux: m.ipc, subcall: p, direct: syscallNumber(arch, name) };
  return undefined;
}
