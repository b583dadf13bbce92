// Unit tests of the seccomp compiler (planner/seccomp): verdicts of compiled programs on given
// inputs, run by the cBPF interpreter in helpers/cbpf.ts, against return values of
// linux/seccomp.h; flags, errors, warnings and stats. Needs nothing but Node (the comparison with
// libseccomp itself is seccomp-differential.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from 'esbuild';
import { newQuickJSWASMModuleFromVariant, type QuickJSSyncVariant } from 'quickjs-emscripten-core';
import releaseSync from '@jitl/quickjs-wasmfile-release-sync';
import { compileSeccomp, type SeccompInput, type SeccompOptions } from '../../planner/seccomp/index.js';
import { parseJson } from '../../planner/json.js';
import { PlancError } from '../../schemas/error.js';
import { checkFilter, dataWords, runFilter } from './helpers/cbpf.js';

// linux/seccomp.h
const KILL_PROCESS = 0x80000000;
const KILL_THREAD = 0x00000000;
const TRAP = 0x00030000;
const ERRNO = (e: number) => 0x00050000 | e;
const USER_NOTIF = 0x7fc00000;
const TRACE = (d: number) => 0x7ff00000 | d;
const LOG = 0x7ffc0000;
const ALLOW = 0x7fff0000;
const [EPERM, EACCES, EINVAL, ENOSYS] = [1, 13, 22, 38];
// linux/audit.h
const X86_64 = 0xc000003e;
const I386 = 0x40000003;
const AARCH64 = 0xc00000b7;
const ARM = 0x40000028;
const PPC64LE = 0xc0000015;
const X32_BIT = 0x40000000;
// Syscall numbers (arch/x86/entry/syscalls/syscall_64.tbl, syscall_32.tbl, include/uapi/asm-generic/unistd.h)
const NR = {
  x86_64: { read: 0, write: 1, ioctl: 16, socket: 41, personality: 135, setuid: 105, mount: 165, openat: 257 },
  i386: { read: 3, write: 4, socketcall: 102, ipc: 117, personality: 136, socket: 359, shmget: 395 },
  x32: { read: X32_BIT | 0, write: X32_BIT | 1, ioctl: X32_BIT | 514 },
  aarch64: { read: 63, openat: 56, personality: 92 },
};

const X86_ALL = ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'];
const compile = (s: SeccompInput, o: Partial<SeccompOptions> = {}) => compileSeccomp(s, { native: 'x86_64', ...o });

/** The verdict of a compiled profile for one syscall. */
function verdict(s: SeccompInput, arch: number, nr: number, args: bigint[] = [], o: Partial<SeccompOptions> = {}): number {
  const { program } = compile(s, o);
  assert.equal(checkFilter(program), null, 'the kernel would refuse the program');
  return runFilter(program, dataWords({ nr, arch, args }));
}

function refused(s: SeccompInput, where: string, message: RegExp, o: Partial<SeccompOptions> = {}): void {
  assert.throws(
    () => compile(s, o),
    (e: unknown) => e instanceof PlancError && e.code === 'invalid-config' && e.where === where && message.test(e.message),
  );
}

test('actions return the kernel values, per ABI; other ABIs get KILL_THREAD (libseccomp bad-arch action)', () => {
  const s: SeccompInput = {
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
    listenerPath: '/run/agent.sock',
    syscalls: [
      { names: ['read'], action: 'SCMP_ACT_ALLOW' },
      { names: ['write'], action: 'SCMP_ACT_LOG' },
      { names: ['mount'], action: 'SCMP_ACT_ERRNO', errnoRet: EACCES },
      { names: ['setuid'], action: 'SCMP_ACT_TRACE' },
      { names: ['ioctl'], action: 'SCMP_ACT_TRAP' },
      { names: ['personality'], action: 'SCMP_ACT_KILL_PROCESS' },
      { names: ['openat'], action: 'SCMP_ACT_NOTIFY' },
      { names: ['socket'], action: 'SCMP_ACT_KILL' },
    ],
  };
  const o = { enosys: false };
  assert.equal(verdict(s, X86_64, NR.x86_64.read, [], o), ALLOW);
  assert.equal(verdict(s, X86_64, NR.x86_64.write, [], o), LOG);
  assert.equal(verdict(s, X86_64, NR.x86_64.mount, [], o), ERRNO(EACCES));
  assert.equal(verdict(s, X86_64, NR.x86_64.setuid, [], o), TRACE(EPERM), 'TRACE without errnoRet carries EPERM, as runc');
  assert.equal(verdict(s, X86_64, NR.x86_64.ioctl, [], o), TRAP);
  assert.equal(verdict(s, X86_64, NR.x86_64.personality, [], o), KILL_PROCESS);
  assert.equal(verdict(s, X86_64, NR.x86_64.openat, [], o), USER_NOTIF);
  assert.equal(verdict(s, X86_64, NR.x86_64.socket, [], o), KILL_THREAD);
  assert.equal(verdict(s, X86_64, 500, [], o), ERRNO(EPERM), 'default action: ERRNO with EPERM when defaultErrnoRet is absent');
  assert.equal(verdict(s, X86_64, 0xffffffff, [], o), ERRNO(EPERM), 'nr -1 (a tracer skipping the call) gets the default');
  // i386: its own numbers
  assert.equal(verdict(s, I386, NR.i386.read, [], o), ALLOW);
  assert.equal(verdict(s, I386, NR.i386.write, [], o), LOG);
  assert.equal(verdict(s, I386, NR.x86_64.read, [], o), ERRNO(EPERM), 'number 0 is restart_syscall on i386');
  // x32 is not listed: its numbers are a foreign ABI on x86_64
  assert.equal(verdict(s, X86_64, NR.x32.read, [], o), KILL_THREAD);
  for (const arch of [AARCH64, ARM, PPC64LE, 0]) assert.equal(verdict(s, arch, 63, [], o), KILL_THREAD);
});

test('x32 listed: its numbers carry __X32_SYSCALL_BIT and get their own rules', () => {
  const s: SeccompInput = { defaultAction: 'SCMP_ACT_ERRNO', architectures: X86_ALL, syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] };
  const o = { enosys: false };
  assert.equal(verdict(s, X86_64, NR.x32.read, [], o), ALLOW);
  assert.equal(verdict(s, X86_64, NR.x32.write, [], o), ERRNO(EPERM));
  assert.equal(verdict(s, X86_64, NR.x86_64.read, [], o), ALLOW);
  assert.equal(verdict(s, X86_64, X32_BIT - 1, [], o), ERRNO(EPERM), 'with x32 listed, no number is a foreign ABI');
});

test('defaultErrnoRet, and the default action of every kind', () => {
  const rules = { syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] };
  const cases: Array<[SeccompInput, number]> = [
    [{ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: ENOSYS }, ERRNO(ENOSYS)],
    [{ defaultAction: 'SCMP_ACT_KILL' }, KILL_THREAD],
    [{ defaultAction: 'SCMP_ACT_KILL_THREAD' }, KILL_THREAD],
    [{ defaultAction: 'SCMP_ACT_KILL_PROCESS' }, KILL_PROCESS],
    [{ defaultAction: 'SCMP_ACT_TRAP' }, TRAP],
    [{ defaultAction: 'SCMP_ACT_TRACE', defaultErrnoRet: 7 }, TRACE(7)],
    [{ defaultAction: 'SCMP_ACT_LOG' }, LOG],
  ];
  for (const [s, want] of cases) {
    assert.equal(verdict({ ...s, ...rules }, X86_64, NR.x86_64.write, [], { enosys: false }), want, s.defaultAction);
    assert.equal(verdict({ ...s, ...rules }, X86_64, NR.x86_64.read, [], { enosys: false }), ALLOW);
  }
  // ALLOW by default: the ALLOW rule is redundant (runc skips it), the ERRNO one applies.
  const allow: SeccompInput = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }, { names: ['mount'], action: 'SCMP_ACT_ERRNO' }] };
  assert.equal(verdict(allow, X86_64, NR.x86_64.read), ALLOW);
  assert.equal(verdict(allow, X86_64, NR.x86_64.mount), ERRNO(EPERM));
  assert.equal(verdict({ defaultAction: 'SCMP_ACT_ALLOW' }, X86_64, 400), ALLOW, 'no syscalls at all');
});

test('argument comparisons: 64-bit values in two words on x86_64, the low word only on 32-bit ABIs', () => {
  const big = (1n << 32n) + 5n;
  const s: SeccompInput = {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86'],
    syscalls: [{ names: ['personality'], action: 'SCMP_ACT_ERRNO', errnoRet: EINVAL, args: [{ index: 0, value: big, op: 'SCMP_CMP_EQ' }] }],
  };
  assert.equal(verdict(s, X86_64, NR.x86_64.personality, [big]), ERRNO(EINVAL));
  assert.equal(verdict(s, X86_64, NR.x86_64.personality, [5n]), ALLOW);
  assert.equal(verdict(s, X86_64, NR.x86_64.personality, [big + 1n]), ALLOW);
  // libseccomp compares only the low 32 bits on i386 (and x32, arm).
  assert.equal(verdict(s, I386, NR.i386.personality, [5n]), ERRNO(EINVAL));

  const ops = (op: string, value: bigint, valueTwo?: bigint): SeccompInput => ({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ names: ['ioctl'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value, ...(valueTwo !== undefined ? { valueTwo } : {}), op }] }],
  });
  const hit = (s: SeccompInput, a1: bigint) => verdict(s, X86_64, NR.x86_64.ioctl, [0n, a1]) === ERRNO(EPERM);
  const v = big;
  const table: Array<[string, bigint[], bigint[]]> = [
    ['SCMP_CMP_EQ', [v], [v - 1n, v + 1n, 5n, 1n << 32n]],
    ['SCMP_CMP_NE', [v - 1n, v + 1n, 5n, 0n], [v]],
    ['SCMP_CMP_LT', [0n, 5n, 0xffffffffn, 1n << 32n, v - 1n], [v, v + 1n, 1n << 63n]],
    ['SCMP_CMP_LE', [0n, 5n, v - 1n, v], [v + 1n, (1n << 64n) - 1n]],
    ['SCMP_CMP_GE', [v, v + 1n, (1n << 64n) - 1n], [v - 1n, 5n, 0n, 0xffffffffn]],
    ['SCMP_CMP_GT', [v + 1n, 1n << 33n, (1n << 64n) - 1n], [v, v - 1n, 6n]],
  ];
  for (const [op, yes, no] of table) {
    for (const a of yes) assert.ok(hit(ops(op, v), a), `${op} ${v}: ${a} should match`);
    for (const a of no) assert.ok(!hit(ops(op, v), a), `${op} ${v}: ${a} should not match`);
  }
  // MASKED_EQ: value is the mask, valueTwo the value (libseccomp's operand order, as runc passes them).
  const masked = ops('SCMP_CMP_MASKED_EQ', 0xff000000ffn, 0x1200000000n);
  for (const a of [0x1200000000n, 0x1200000f00n, 0xab1200000000n]) assert.ok(hit(masked, a), `masked ${a.toString(16)}`);
  for (const a of [0x1200000001n, 0n, 0x1300000000n]) assert.ok(!hit(masked, a), `masked ${a.toString(16)}`);
  assert.ok(hit(ops('SCMP_CMP_MASKED_EQ', 0n, 0n), 12345n), 'an empty mask always matches');
});

test('several args: AND in one rule; the same arg twice: one rule each (OR), as runc splits them', () => {
  const and: SeccompInput = {
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [{ names: ['ioctl'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }, { index: 2, value: 3, op: 'SCMP_CMP_GT' }] }],
  };
  assert.equal(verdict(and, X86_64, NR.x86_64.ioctl, [1n, 0n, 4n]), ALLOW);
  assert.equal(verdict(and, X86_64, NR.x86_64.ioctl, [1n, 0n, 3n]), ERRNO(EPERM));
  assert.equal(verdict(and, X86_64, NR.x86_64.ioctl, [2n, 0n, 4n]), ERRNO(EPERM));
  const or: SeccompInput = {
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [{ names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }, { index: 0, value: 8, op: 'SCMP_CMP_EQ' }] }],
  };
  for (const [a, want] of [[0n, ALLOW], [8n, ALLOW], [4n, ERRNO(EPERM)]] as const) assert.equal(verdict(or, X86_64, NR.x86_64.personality, [a]), want);
});

test('rules naming one syscall: the first unconditional rule wins; an unconditional rule replaces conditional ones', () => {
  const s: SeccompInput = {
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [
      { names: ['read'], action: 'SCMP_ACT_ALLOW' },
      { names: ['read'], action: 'SCMP_ACT_KILL' },
      { names: ['write'], action: 'SCMP_ACT_LOG', args: [{ index: 0, value: 2, op: 'SCMP_CMP_EQ' }] },
      { names: ['write'], action: 'SCMP_ACT_TRAP' },
    ],
  };
  assert.equal(verdict(s, X86_64, NR.x86_64.read), ALLOW);
  assert.equal(verdict(s, X86_64, NR.x86_64.write, [2n]), TRAP);
  // The same conditions with another action: libseccomp (so runc and crun) refuses.
  refused(
    { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [
      { names: ['write'], action: 'SCMP_ACT_LOG', args: [{ index: 0, value: 2, op: 'SCMP_CMP_EQ' }] },
      { names: ['write'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2, op: 'SCMP_CMP_EQ' }] },
    ] },
    '/linux/seccomp/syscalls/1/names/0',
    /rules for syscall write conflict/,
  );
});

test('x86 socket and ipc calls: the direct syscall and the socketcall/ipc multiplexer with its sub-call', () => {
  const s: SeccompInput = { defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86'], syscalls: [{ names: ['socket', 'shmget'], action: 'SCMP_ACT_ALLOW' }] };
  assert.equal(verdict(s, I386, NR.i386.socket), ALLOW);
  assert.equal(verdict(s, I386, NR.i386.socketcall, [1n]), ALLOW, 'socketcall(SYS_SOCKET = 1, …)');
  assert.equal(verdict(s, I386, NR.i386.socketcall, [2n]), ERRNO(EPERM), 'socketcall(SYS_BIND = 2, …)');
  assert.equal(verdict(s, I386, NR.i386.shmget), ALLOW);
  assert.equal(verdict(s, I386, NR.i386.ipc, [23n]), ALLOW, 'ipc(SHMGET = 23, …)');
  assert.equal(verdict(s, I386, NR.i386.ipc, [21n]), ERRNO(EPERM), 'ipc(SHMAT = 21, …)');
  assert.equal(verdict(s, X86_64, NR.x86_64.socket), ALLOW);
});

test("runc's -ENOSYS stub: numbers above the profile's highest get ENOSYS, unless the default is permissive", () => {
  const s: SeccompInput = { defaultAction: 'SCMP_ACT_ERRNO', architectures: X86_ALL, syscalls: [{ names: ['read', 'personality'], action: 'SCMP_ACT_ALLOW' }] };
  assert.equal(verdict(s, X86_64, NR.x86_64.personality + 1), ERRNO(ENOSYS));
  assert.equal(verdict(s, X86_64, 0x3fffffff), ERRNO(ENOSYS));
  assert.equal(verdict(s, X86_64, NR.x86_64.personality - 1), ERRNO(EPERM));
  assert.equal(verdict(s, X86_64, NR.x86_64.personality + 1, [], { enosys: false }), ERRNO(EPERM));
  assert.equal(verdict(s, I386, NR.i386.personality + 1), ERRNO(ENOSYS));
  assert.equal(verdict(s, X86_64, X32_BIT | 200), ERRNO(ENOSYS), 'x32: above its own highest (personality = 0x40000087)');
  assert.equal(verdict(s, X86_64, X32_BIT | 100), ERRNO(EPERM));
  assert.deepEqual(compile(s).stats.enosysAbove, { x86_64: NR.x86_64.personality, x86: NR.i386.personality, x32: X32_BIT | NR.x86_64.personality });
  for (const d of ['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE']) {
    assert.deepEqual(compile({ ...s, defaultAction: d, syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO' }] }).stats.enosysAbove, {}, d);
  }
});

test('flags: SPEC_ALLOW when absent (as runc), as given otherwise; NEW_LISTENER with NOTIFY', () => {
  const base: SeccompInput = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mount'], action: 'SCMP_ACT_ERRNO' }] };
  assert.equal(compile(base).flags, 4);
  assert.equal(compile({ ...base, flags: [] }).flags, 0);
  assert.equal(compile({ ...base, flags: ['SECCOMP_FILTER_FLAG_LOG'] }).flags, 2);
  assert.equal(compile({ ...base, flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'] }).flags, 6);
  const tsync = compile({ ...base, flags: ['SECCOMP_FILTER_FLAG_TSYNC'] });
  assert.equal(tsync.flags, 0);
  assert.match(tsync.warnings[0]!.message, /SECCOMP_FILTER_FLAG_TSYNC has no effect/);
  const notify = compile({ ...base, listenerPath: '/run/a.sock', flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'], syscalls: [{ names: ['mount'], action: 'SCMP_ACT_NOTIFY' }] });
  assert.equal(notify.flags, 32 | 8);
  assert.equal(notify.listener, true);
  assert.equal(compile(base).listener, false);
});

test('refusals, with a pointer to the field', () => {
  const at = '/linux/seccomp';
  refused({ defaultAction: 'SCMP_ACT_NOTIFY' }, `${at}/defaultAction`, /cannot be the default action/);
  refused({ defaultAction: 'SCMP_ACT_ERRNO', listenerPath: '/a', syscalls: [{ names: ['read', 'write'], action: 'SCMP_ACT_NOTIFY' }] }, `${at}/syscalls/0/names/1`, /cannot be used for write/);
  refused({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_NOTIFY' }] }, `${at}/listenerPath`, /needs listenerPath/);
  refused({ defaultAction: 'SCMP_ACT_ERRNO', listenerMetadata: 'x' }, `${at}/listenerMetadata`, /without listenerPath/);
  refused({ defaultAction: 'SCMP_ACT_ERRNO', flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] }, `${at}/flags`, /only applies with SCMP_ACT_NOTIFY/);
  refused({ defaultAction: 'SCMP_ACT_ALLOW', defaultErrnoRet: 1 }, `${at}/defaultErrnoRet`, /only for SCMP_ACT_ERRNO and SCMP_ACT_TRACE/);
  refused({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_KILL', errnoRet: 1 }] }, `${at}/syscalls/0/errnoRet`, /only for SCMP_ACT_ERRNO/);
  refused({ defaultAction: 'SCMP_ACT_DENY' }, `${at}/defaultAction`, /unknown seccomp action/);
  refused({ defaultAction: 'SCMP_ACT_ERRNO', flags: ['SECCOMP_FILTER_FLAG_NEW_LISTENER'] }, `${at}/flags/0`, /unknown seccomp flag/);
  refused({ defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_VAX'] }, `${at}/architectures/0`, /unknown seccomp architecture/);
  const arg = (a: object) => ({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ', ...a }] }] }) as SeccompInput;
  refused(arg({ index: 6 }), `${at}/syscalls/0/args/0/index`, /out of range/);
  refused(arg({ value: 1n << 64n }), `${at}/syscalls/0/args/0/value`, /out of range/);
  refused(arg({ value: -1 }), `${at}/syscalls/0/args/0/value`, /out of range/);
  refused(arg({ value: 1.5 }), `${at}/syscalls/0/args/0/value`, /expected an integer/);
  refused(arg({ op: 'SCMP_CMP_XOR' }), `${at}/syscalls/0/args/0/op`, /unknown seccomp operator/);
  refused({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: [], action: 'SCMP_ACT_ALLOW' }] }, `${at}/syscalls/0/names`, /at least one/);
  refused({ defaultAction: 'SCMP_ACT_NOTIFY' }, '/x/defaultAction', /default action/, { where: '/x' });
});

test('warnings: unknown syscall names (skipped), architectures without a table, errno beyond 16 bits', () => {
  const r = compile({
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_PPC64LE'],
    syscalls: [
      { names: ['read', 'no_such_call'], action: 'SCMP_ACT_ALLOW' },
      { names: ['no_such_call'], action: 'SCMP_ACT_LOG' },
      { names: ['mount'], action: 'SCMP_ACT_ERRNO', errnoRet: 0x10001 },
    ],
  });
  assert.deepEqual(r.warnings.map((w) => w.where), ['/linux/seccomp/architectures/1', '/linux/seccomp/syscalls/0/names/1', '/linux/seccomp/syscalls/2/errnoRet']);
  assert.deepEqual(r.stats.unknownSyscalls, ['no_such_call']);
  assert.deepEqual(r.stats.architectures, ['x86_64']);
  assert.equal(runFilter(r.program, dataWords({ nr: NR.x86_64.mount, arch: X86_64, args: [] })), ERRNO(1), 'errnoRet keeps its low 16 bits, as runc');
});

test('stats: every native syscall by verdict, conditional ones apart', () => {
  const r = compile({
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: ENOSYS,
    syscalls: [
      { names: ['read', 'write', '_llseek'], action: 'SCMP_ACT_ALLOW' },
      { names: ['mount'], action: 'SCMP_ACT_ERRNO', errnoRet: EPERM },
      { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }] },
    ],
  }, { enosys: false });
  const s = r.stats;
  assert.equal(s.native, 'x86_64');
  assert.deepEqual(s.defaultAction, { action: 'SCMP_ACT_ERRNO', ret: ERRNO(ENOSYS), data: ENOSYS, text: 'ERRNO(ENOSYS)' });
  assert.deepEqual(s.badArchAction, { action: 'SCMP_ACT_KILL_THREAD', ret: KILL_THREAD, text: 'KILL_THREAD' });
  const by = Object.fromEntries(s.byAction.map((g) => [g.text, g]));
  assert.deepEqual(by.ALLOW!.syscalls, ['read', 'write']);
  assert.deepEqual(by['ERRNO(EPERM)']!.syscalls, ['mount']);
  // libseccomp 2.5.4 knows 368 x86_64 syscalls: all but the 4 above fall to the default.
  assert.equal(by['ERRNO(ENOSYS)']!.count, 368 - 4);
  assert.deepEqual(s.conditional, [{ syscall: 'personality', verdicts: [
    { action: 'SCMP_ACT_ERRNO', ret: ERRNO(ENOSYS), data: ENOSYS, text: 'ERRNO(ENOSYS)' },
    { action: 'SCMP_ACT_ALLOW', ret: ALLOW, text: 'ALLOW' },
  ] }]);
  assert.equal(s.instructions, r.program.length);
});

test('deterministic, JSON-plain output; bigint and number inputs give the same program', () => {
  const withNumbers: SeccompInput = { defaultAction: 'SCMP_ACT_ERRNO', architectures: X86_ALL, syscalls: [{ names: ['ioctl'], action: 'SCMP_ACT_ALLOW', args: [{ index: 1, value: 0x5401, op: 'SCMP_CMP_EQ' }] }] };
  const a = compile(withNumbers);
  const b = compile(JSON.parse(JSON.stringify(withNumbers)));
  assert.deepEqual(a, b);
  assert.equal(JSON.stringify(a), JSON.stringify(b));
  const parsed = parseJson('{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["ioctl"],"action":"SCMP_ACT_ALLOW","args":[{"index":1,"value":18446744073709551615,"op":"SCMP_CMP_EQ"}]}]}') as unknown as SeccompInput;
  assert.equal(typeof parsed.syscalls![0]!.args![0]!.value, 'bigint');
  const c = compile(parsed);
  assert.deepEqual(c.program, compile({ ...parsed, syscalls: [{ ...parsed.syscalls![0]!, args: [{ index: 1, value: (1n << 64n) - 1n, op: 'SCMP_CMP_EQ' }] }] }).program);
  assert.equal(runFilter(c.program, dataWords({ nr: NR.x86_64.ioctl, arch: X86_64, args: [0n, (1n << 64n) - 1n] })), ALLOW);
  assert.doesNotThrow(() => JSON.stringify(c));
});

test('far jumps: hundreds of argument values stay correct and within the kernel limits', () => {
  const values = Array.from({ length: 400 }, (_, i) => BigInt(i * 3));
  const s: SeccompInput = {
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: X86_ALL,
    syscalls: [
      ...values.map((v) => ({ names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: v, op: 'SCMP_CMP_EQ' }] })),
      { names: ['read', 'write', 'openat'], action: 'SCMP_ACT_ALLOW' },
    ],
  };
  const { program } = compile(s);
  assert.equal(checkFilter(program), null);
  assert.ok(program.length > 255 * 2, `a long program (${program.length})`);
  for (const [arch, nr] of [[X86_64, NR.x86_64.personality], [I386, NR.i386.personality], [X86_64, X32_BIT | NR.x86_64.personality]]) {
    for (let a = 0; a < 1200; a += 1) {
      const got = runFilter(program, dataWords({ nr: nr!, arch: arch!, args: [BigInt(a)] }));
      assert.equal(got, a % 3 === 0 ? ALLOW : ERRNO(EPERM), `personality(${a}) on 0x${arch!.toString(16)}`);
    }
  }
  assert.equal(runFilter(program, dataWords({ nr: NR.x86_64.openat, arch: X86_64, args: [] })), ALLOW);
});

test('a profile needing more than 4096 instructions is refused', () => {
  const s: SeccompInput = {
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: X86_ALL,
    syscalls: Array.from({ length: 1500 }, (_, i) => ({ names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: i, op: 'SCMP_CMP_EQ' }] })),
  };
  assert.throws(() => compile(s), (e: unknown) => e instanceof PlancError && e.code === 'unsupported' && /more than the kernel's 4096/.test(e.message));
});

test('aarch64 as the native ABI: arm64 numbers, AArch32 when listed, x86_64 foreign', () => {
  const s: SeccompInput = { defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'], syscalls: [{ names: ['read', 'openat'], action: 'SCMP_ACT_ALLOW' }] };
  const o = { native: 'aarch64' as const };
  assert.equal(verdict(s, AARCH64, NR.aarch64.read, [], o), ALLOW);
  assert.equal(verdict(s, AARCH64, NR.aarch64.openat, [], o), ALLOW);
  assert.equal(verdict(s, ARM, 3, [], o), ALLOW, 'read is 3 on arm');
  assert.equal(verdict(s, X86_64, NR.x86_64.read, [], o), KILL_THREAD);
  assert.equal(verdict({ ...s, architectures: [] }, AARCH64, NR.aarch64.read, [], o), ALLOW, 'the native ABI is always in the filter');
  assert.throws(() => compileSeccomp(s, { native: 'ppc64le' as 'x86_64' }), PlancError);
});

test('runs in QuickJS (no Node, no web API): same program as in Node', async () => {
  const bundle = await build({
    entryPoints: [new URL('../../planner/seccomp/index.ts', import.meta.url).pathname],
    bundle: true,
    format: 'iife',
    globalName: 'seccomp',
    target: 'es2020',
    write: false,
    logLevel: 'silent',
  });
  const QuickJS = await newQuickJSWASMModuleFromVariant(releaseSync as unknown as QuickJSSyncVariant);
  const vm = QuickJS.newContext();
  try {
    const profile = {
      defaultAction: 'SCMP_ACT_ERRNO',
      architectures: X86_ALL,
      syscalls: [
        { names: ['read', 'write', 'socket', 'shmget'], action: 'SCMP_ACT_ALLOW' },
        { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }] },
      ],
    };
    const code = `${bundle.outputFiles[0]!.text}
      JSON.stringify(seccomp.compileSeccomp(${JSON.stringify(profile)}, { native: 'x86_64' }))`;
    const r = vm.unwrapResult(vm.evalCode(code));
    const inQuickJs = vm.dump(r);
    r.dispose();
    assert.equal(inQuickJs, JSON.stringify(compile(profile as SeccompInput)));
  } finally {
    vm.dispose();
  }
});
