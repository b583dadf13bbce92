// A classic BPF interpreter for seccomp filters, written from the kernel's description
// (Documentation/networking/filter.rst, include/uapi/linux/filter.h, kernel/seccomp.c): it runs
// a sock_filter program on one struct seccomp_data, and checks a program the way the kernel
// does before it accepts it (seccomp_check_filter + bpf_check_classic).

export interface SockFilter {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/** struct seccomp_data { int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]; } */
export interface SeccompData {
  nr: number;
  arch: number;
  ip?: bigint;
  args: readonly bigint[];
}

const SIZEOF_SECCOMP_DATA = 64;
const BPF_MAXINSNS = 4096;
const BPF_MEMWORDS = 16;

// Instruction classes and fields (linux/bpf_common.h).
const CLS = (c: number) => c & 0x07;
const SIZE = (c: number) => c & 0x18;
const MODE = (c: number) => c & 0xe0;
const OP = (c: number) => c & 0xf0;
const SRC = (c: number) => c & 0x08;
const RVAL = (c: number) => c & 0x18;
const [BPF_LD, BPF_LDX, BPF_ST, BPF_STX, BPF_ALU, BPF_JMP, BPF_RET, BPF_MISC] = [0, 1, 2, 3, 4, 5, 6, 7];
const BPF_W = 0x00;
const [BPF_IMM, BPF_ABS, BPF_MEM, BPF_LEN] = [0x00, 0x20, 0x60, 0x80];
const BPF_X = 0x08;
const [BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH, BPF_RSH, BPF_NEG, BPF_MOD, BPF_XOR] = [
  0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0,
];
const [BPF_JA, BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET] = [0x00, 0x10, 0x20, 0x30, 0x40];
const [BPF_TAX, BPF_TXA] = [0x00, 0x80];
const BPF_A = 0x10;

/** Why the kernel would refuse the program, or null when it would accept it. */
export function checkFilter(prog: readonly SockFilter[]): string | null {
  if (prog.length === 0 || prog.length > BPF_MAXINSNS) return `length ${prog.length} not in 1..${BPF_MAXINSNS}`;
  for (let pc = 0; pc < prog.length; pc++) {
    const { code, jt, jf, k } = prog[pc]!;
    if (![code, jt, jf].every((v) => Number.isInteger(v) && v >= 0) || code > 0xffff || jt > 255 || jf > 255) return `${pc}: bad fields`;
    if (!Number.isInteger(k) || k < 0 || k > 0xffffffff) return `${pc}: k out of range`;
    switch (CLS(code)) {
      case BPF_LD:
        if (code === (BPF_LD | BPF_W | BPF_ABS)) {
          // seccomp: aligned 32-bit loads inside seccomp_data only.
          if (k & 3 || k >= SIZEOF_SECCOMP_DATA) return `${pc}: load at ${k}`;
        } else if (code !== (BPF_LD | BPF_W | BPF_LEN) && code !== (BPF_LD | BPF_IMM) && code !== (BPF_LD | BPF_MEM)) return `${pc}: ld mode ${code}`;
        if (MODE(code) === BPF_MEM && k >= BPF_MEMWORDS) return `${pc}: mem ${k}`;
        break;
      case BPF_LDX:
        if (code !== (BPF_LDX | BPF_W | BPF_LEN) && code !== (BPF_LDX | BPF_IMM) && code !== (BPF_LDX | BPF_MEM)) return `${pc}: ldx mode ${code}`;
        if (MODE(code) === BPF_MEM && k >= BPF_MEMWORDS) return `${pc}: mem ${k}`;
        break;
      case BPF_ST:
      case BPF_STX:
        if (k >= BPF_MEMWORDS) return `${pc}: mem ${k}`;
        break;
      case BPF_ALU:
        if (![BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH, BPF_RSH, BPF_NEG, BPF_MOD, BPF_XOR].includes(OP(code))) return `${pc}: alu op`;
        if (SRC(code) !== BPF_X && (OP(code) === BPF_DIV || OP(code) === BPF_MOD) && k === 0) return `${pc}: division by 0`;
        break;
      case BPF_JMP:
        if (OP(code) === BPF_JA) {
          if (k >= prog.length - pc - 1) return `${pc}: ja out of the program`;
        } else {
          if (![BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET].includes(OP(code))) return `${pc}: jmp op`;
          if (pc + 1 + jt >= prog.length || pc + 1 + jf >= prog.length) return `${pc}: jump out of the program`;
        }
        break;
      case BPF_RET:
        if (RVAL(code) !== 0 && RVAL(code) !== BPF_A) return `${pc}: ret source`;
        break;
      case BPF_MISC:
        if (OP(code) !== BPF_TAX && OP(code) !== BPF_TXA) return `${pc}: misc op`;
        break;
    }
  }
  if (CLS(prog[prog.length - 1]!.code) !== BPF_RET) return 'the last instruction is not a return';
  return null;
}

/** The 16 32-bit words of a seccomp_data, in memory order (little-endian: low word first). */
export function dataWords(d: SeccompData): Uint32Array {
  const w = new Uint32Array(16);
  w[0] = d.nr >>> 0;
  w[1] = d.arch >>> 0;
  const ip = d.ip ?? 0n;
  w[2] = Number(ip & 0xffffffffn);
  w[3] = Number((ip >> 32n) & 0xffffffffn);
  for (let i = 0; i < 6; i++) {
    const a = d.args[i] ?? 0n;
    w[4 + 2 * i] = Number(a & 0xffffffffn);
    w[5 + 2 * i] = Number((a >> 32n) & 0xffffffffn);
  }
  return w;
}

/** Runs a program (which checkFilter accepted) on the data; returns the filter's 32-bit verdict. */
export function runFilter(prog: readonly SockFilter[], words: Uint32Array): number {
  let A = 0;
  let X = 0;
  const M = new Uint32Array(BPF_MEMWORDS);
  let pc = 0;
  for (let steps = 0; steps <= prog.length; steps++) {
    const ins = prog[pc++];
    if (!ins) throw new Error(`fell off the program at ${pc - 1}`);
    const { code, jt, jf, k } = ins;
    switch (CLS(code)) {
      case BPF_LD:
        A = MODE(code) === BPF_ABS ? words[k >>> 2]! : MODE(code) === BPF_LEN ? SIZEOF_SECCOMP_DATA : MODE(code) === BPF_MEM ? M[k]! : k;
        break;
      case BPF_LDX:
        X = MODE(code) === BPF_LEN ? SIZEOF_SECCOMP_DATA : MODE(code) === BPF_MEM ? M[k]! : k;
        break;
      case BPF_ST:
        M[k] = A;
        break;
      case BPF_STX:
        M[k] = X;
        break;
      case BPF_ALU: {
        const v = SRC(code) === BPF_X ? X : k;
        switch (OP(code)) {
          case BPF_ADD: A = (A + v) >>> 0; break;
          case BPF_SUB: A = (A - v) >>> 0; break;
          case BPF_MUL: A = Math.imul(A, v) >>> 0; break;
          case BPF_DIV: A = v === 0 ? 0 : Math.floor(A / v) >>> 0; break;
          case BPF_MOD: A = v === 0 ? 0 : A % v >>> 0; break;
          case BPF_OR: A = (A | v) >>> 0; break;
          case BPF_AND: A = (A & v) >>> 0; break;
          case BPF_XOR: A = (A ^ v) >>> 0; break;
          case BPF_LSH: A = v >= 32 ? 0 : (A << v) >>> 0; break;
          case BPF_RSH: A = v >= 32 ? 0 : A >>> v; break;
          case BPF_NEG: A = -A >>> 0; break;
        }
        break;
      }
      case BPF_JMP: {
        if (OP(code) === BPF_JA) {
          pc += k;
          break;
        }
        const v = SRC(code) === BPF_X ? X : k;
        const c = OP(code) === BPF_JEQ ? A === v : OP(code) === BPF_JGT ? A > v : OP(code) === BPF_JGE ? A >= v : (A & v) !== 0;
        pc += c ? jt : jf;
        break;
      }
      case BPF_RET:
        return (RVAL(code) === BPF_A ? A : k) >>> 0;
      case BPF_MISC:
        if (OP(code) === BPF_TAX) X = A;
        else A = X;
        break;
    }
  }
  throw new Error('program did not return');
}

/** The sock_filter array of seccomp_export_bpf's output (host byte order: little-endian here). */
export function parseSockFilters(buf: Uint8Array): SockFilter[] {
  if (buf.length % 8) throw new Error(`BPF export of ${buf.length} bytes is not a whole number of instructions`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: SockFilter[] = [];
  for (let o = 0; o < buf.length; o += 8) out.push({ code: dv.getUint16(o, true), jt: dv.getUint8(o + 2), jf: dv.getUint8(o + 3), k: dv.getUint32(o + 4, true) });
  return out;
}
