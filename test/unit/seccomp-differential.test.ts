// Differential test of the seccomp compiler against libseccomp, as runc uses it.
//
// NEEDS python3-seccomp (Debian, imported by /usr/bin/python3) and golang-github-containers-common
// (podman's /usr/share/containers/seccomp.json); scripts/setup.sh installs both. Without them
// this test FAILS: it never skips.
//
// For every profile (podman's default converted for several capability sets and both native
// architectures, the hand-written corpus in fixtures/seccomp/corpus.json, and seeded random
// profiles that stress rule merging), libseccomp builds the filter the way runc does
// (fixtures/seccomp/libseccomp-oracle.py, with and without runc's -ENOSYS stub), planc compiles
// the same config, and a cBPF interpreter runs both programs on many seccomp_data inputs: every
// syscall number of every ABI in the filter, numbers outside the tables, every architecture value
// (foreign ones too) and edge-case arguments. Every input must get the same 32-bit verdict, and a
// profile libseccomp refuses must be refused by planc.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { parseJson } from '../../planner/json.js';
import { compileSeccomp, type SeccompInput } from '../../planner/seccomp/index.js';
import { syscallNumber, multiplexed, ARCH_BY_SCMP, type ArchName } from '../../planner/seccomp/arch.js';
import { PlancError } from '../../schemas/error.js';
import { checkFilter, dataWords, runFilter, type SockFilter } from './helpers/cbpf.js';
import { parsePfc, runPfc } from './helpers/pfc.js';
import { dockerToOci, DOCKER_CAPS, PODMAN_CAPS, type DockerProfile } from './helpers/docker-seccomp.js';

const PYTHON = '/usr/bin/python3';
const ORACLE = new URL('./fixtures/seccomp/libseccomp-oracle.py', import.meta.url);
const CORPUS = new URL('./fixtures/seccomp/corpus.json', import.meta.url);
const PODMAN_PROFILE = '/usr/share/containers/seccomp.json';
const SETUP = 'run scripts/setup.sh (it installs python3-seccomp, libseccomp-dev and golang-github-containers-common)';

// AUDIT_ARCH_* of linux/audit.h
const AUDIT = { x86_64: 0xc000003e, i386: 0x40000003, aarch64: 0xc00000b7, arm: 0x40000028 };
const FOREIGN = [0xc0000015 /* ppc64le */, 0x80000016 /* s390x */, 0xc00000f3 /* riscv64 */, 0x00000008 /* mips */, 0, 0xffffffff];

interface Profile {
  name: string;
  seccomp: SeccompInput;
  native: 'x86_64' | 'aarch64';
}

function requireTools(): void {
  const r = spawnSync(PYTHON, ['-c', 'import seccomp'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) assert.fail(`python3-seccomp is not importable by ${PYTHON}: ${SETUP}`);
  if (!existsSync(PODMAN_PROFILE)) assert.fail(`${PODMAN_PROFILE} is missing: ${SETUP}`);
}

/** JSON with bigints written as plain integers (Python reads them exactly). */
function toJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `\u0000${x}` : x)).replace(/"\\u0000(\d+)"/g, '$1');
}

interface Reference {
  program?: SockFilter[];
  pfc?: string;
  error?: string;
}

function oracle(jobs: Array<{ id: string; seccomp: SeccompInput; enosys: boolean }>): Map<string, Reference> {
  const r = spawnSync(PYTHON, [ORACLE.pathname], { input: toJson({ jobs }), encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) assert.fail(`libseccomp oracle failed: ${r.stderr || r.error}`);
  const out = new Map<string, Reference>();
  for (const res of JSON.parse(r.stdout).results) {
    out.set(res.id, res.error ? { error: res.error } : { program: res.program.map(([code, jt, jf, k]: number[]) => ({ code, jt, jf, k })), pfc: res.pfc });
  }
  return out;
}

// --- inputs ----------------------------------------------------------------------------------

const U64 = (1n << 64n) - 1n;
const EDGES = [0n, 1n, 2n, 0xffffffffn, 1n << 32n, (1n << 32n) + 1n, 1n << 63n, U64, 0xffffffff00000000n, 0x7fffffffn];

/** Arg values worth trying for one index: the edges, and each rule value ±1, word by word, under its mask. */
function candidates(values: bigint[]): bigint[] {
  const s = new Set<bigint>(EDGES);
  for (const v of values) {
    for (const x of [v, v + 1n, v - 1n, v ^ (1n << 32n), v & 0xffffffffn, v & ~0xffffffffn, v | 0xffffffffn, ~v]) s.add(((x % (U64 + 1n)) + U64 + 1n) % (U64 + 1n));
  }
  return [...s].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A small deterministic PRNG (mulberry32). */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SCMP_TO_ARCH: Record<string, ArchName> = { SCMP_ARCH_X86_64: 'x86_64', SCMP_ARCH_X86: 'x86', SCMP_ARCH_X32: 'x32', SCMP_ARCH_AARCH64: 'aarch64', SCMP_ARCH_ARM: 'arm' };

/**
 * The inputs for a profile. `everyNumber`: every syscall number of the tables and around them;
 * else the numbers the profile names on each ABI and a few others (for the many random profiles).
 */
function* inputs(p: Profile, everyNumber: boolean): Generator<{ arch: number; nr: number; args: bigint[] }> {
  const abis = new Set<ArchName>([p.native, ...(p.seccomp.architectures ?? []).map((a) => SCMP_TO_ARCH[a]).filter((a): a is ArchName => !!a)]);
  // Numbers named by rules with arguments, per arch value (x86 multiplexers included), with the
  // values each argument index is compared with.
  const argRules = new Map<number, Map<number, bigint[][]>>(); // audit -> nr -> per index values
  const note = (audit: number, nr: number, vals: bigint[][]) => {
    if (nr < 0) return;
    let m = argRules.get(audit);
    if (!m) argRules.set(audit, (m = new Map()));
    const cur = m.get(nr) ?? [[], [], [], [], [], []];
    vals.forEach((v, i) => cur[i]!.push(...v));
    m.set(nr, cur);
  };
  for (const s of p.seccomp.syscalls ?? []) {
    if (!s.args?.length) continue;
    const vals: bigint[][] = [[], [], [], [], [], []];
    for (const a of s.args) {
      const i = Number(a.index);
      vals[i]!.push(BigInt(a.value), BigInt(a.valueTwo ?? 0), BigInt(a.value) & BigInt(a.valueTwo ?? 0) | (BigInt(a.valueTwo ?? 0)));
    }
    for (const abi of abis) {
      const audit = ARCH_BY_SCMP.get(`SCMP_ARCH_${abi.toUpperCase()}`)!.audit;
      for (const name of s.names) {
        const mux = multiplexed(abi, name);
        if (mux) note(audit, mux.mux, [[...vals[0]!, BigInt(mux.subcall)], ...vals.slice(1)]);
        note(audit, syscallNumber(abi, name), vals);
      }
    }
  }
  const base: bigint[][] = [[0n, 0n, 0n, 0n, 0n, 0n], [U64, U64, U64, U64, U64, U64], [1n << 32n, 1n, 1n << 63n, 0xffffffffn, 2n, 3n], [1n, 2n, 3n, 4n, 5n, 6n]];
  const numbers: number[] = [];
  if (everyNumber) {
    for (let n = 0; n < 1100; n++) numbers.push(n);
    for (let n = 0; n < 1100; n++) numbers.push(0x40000000 + n);
    for (let n = 0xf0000; n < 0xf0010; n++) numbers.push(n);
  } else {
    const named = new Set<number>([0, 1, 2, 3, 102, 117, 0x40000000]);
    for (const s of p.seccomp.syscalls ?? []) {
      for (const name of s.names) {
        for (const abi of abis) {
          const nr = syscallNumber(abi, name);
          if (nr >= 0) [nr - 1, nr, nr + 1].forEach((x) => named.add(x));
        }
      }
    }
    numbers.push(...named);
  }
  numbers.push(0x3fffffff, 0x7fffffff, 0x80000000, 0xbfffffff, 0xc0000000, 0xc0000001, 0xfffffffe, 0xffffffff, 4095, 4096, 65535, 0x900000, 0xf0000000);
  const inFilter = new Set<number>([...abis].map((a) => ARCH_BY_SCMP.get(`SCMP_ARCH_${a.toUpperCase()}`)!.audit));
  const archValues = [AUDIT.x86_64, AUDIT.i386, AUDIT.aarch64, AUDIT.arm, ...FOREIGN];
  for (const arch of archValues) {
    if (!inFilter.has(arch)) {
      for (const nr of [0, 1, 3, 59, 63, 0x40000000, 0xffffffff]) for (const args of base.slice(0, 2)) yield { arch, nr, args };
      continue;
    }
    for (const nr of numbers) for (const args of base) yield { arch, nr, args };
    const rand = prng(arch ^ 0x5eed);
    for (const [nr, perIndex] of argRules.get(arch) ?? []) {
      const cands = perIndex.map((v) => (v.length ? candidates(v) : [0n, 1n << 32n, U64]));
      // each index alone through its candidates, the others at 0 …
      for (let i = 0; i < 6; i++) for (const v of cands[i]!) yield { arch, nr, args: [0n, 0n, 0n, 0n, 0n, 0n].map((z, j) => (j === i ? v : z)) };
      // … and combinations: every one when few, else a seeded sample.
      const used = perIndex.map((v, i) => (v.length ? i : -1)).filter((i) => i >= 0);
      const total = used.reduce((n, i) => n * cands[i]!.length, 1);
      if (total <= 6000) {
        const walk = function* (k: number, acc: bigint[]): Generator<bigint[]> {
          if (k === used.length) return yield acc.slice();
          for (const v of cands[used[k]!]!) {
            acc[used[k]!] = v;
            yield* walk(k + 1, acc);
          }
        };
        for (const args of walk(0, [0n, 0n, 0n, 0n, 0n, 0n])) yield { arch, nr, args };
      } else {
        for (let s = 0; s < 6000; s++) yield { arch, nr, args: cands.map((c) => c[Math.floor(rand() * c.length)]!) };
      }
    }
  }
}

// --- profiles --------------------------------------------------------------------------------

function podmanProfiles(): Profile[] {
  const docker = parseJson(readFileSync(PODMAN_PROFILE, 'utf8')) as unknown as DockerProfile;
  const ALL_CAPS = [...DOCKER_CAPS, 'CAP_SYS_ADMIN', 'CAP_SYS_PTRACE', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_TIME', 'CAP_SYS_PACCT', 'CAP_SYS_TTY_CONFIG', 'CAP_DAC_READ_SEARCH', 'CAP_SYS_BOOT', 'CAP_SYSLOG', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_BPF', 'CAP_PERFMON', 'CAP_NET_ADMIN'];
  return [
    { name: 'podman default, x86_64, podman caps', seccomp: dockerToOci(docker, 'amd64', PODMAN_CAPS, '6.1') as SeccompInput, native: 'x86_64' },
    { name: 'podman default, x86_64, docker caps', seccomp: dockerToOci(docker, 'amd64', DOCKER_CAPS, '6.1') as SeccompInput, native: 'x86_64' },
    { name: 'podman default, x86_64, all caps', seccomp: dockerToOci(docker, 'amd64', ALL_CAPS, '6.1') as SeccompInput, native: 'x86_64' },
    { name: 'podman default, aarch64, podman caps', seccomp: dockerToOci(docker, 'arm64', PODMAN_CAPS, '6.1') as SeccompInput, native: 'aarch64' },
  ];
}

function corpusProfiles(): Profile[] {
  const list = parseJson(readFileSync(CORPUS, 'utf8')) as unknown as Array<{ name: string; seccomp: SeccompInput }>;
  return list.map((c) => ({ name: c.name, seccomp: c.seccomp, native: 'x86_64' as const }));
}

/** Seeded random profiles: few syscalls, few args and values, so that rules collide and merge. */
function randomProfiles(count: number, seed: number): Profile[] {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const ACTIONS = ['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_TRAP', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_NOTIFY'];
  const NAMES = ['read', 'openat', 'personality', 'socket', 'shmget', '_llseek', 'socketcall', 'ioctl', 'clone', 'kill'];
  const OPS = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'];
  const VALUES = [0n, 1n, 2n, 5n, 0xffffffffn, 1n << 32n, (1n << 32n) + 5n, 1n << 63n, U64];
  const MASKS = [0n, 1n, 3n, 0xffn, (1n << 32n) + 1n, U64, 0xffffffff00000000n];
  const ARCHS = ['SCMP_ARCH_X86', 'SCMP_ARCH_X32', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'];
  const out: Profile[] = [];
  for (let n = 0; n < count; n++) {
    const def = pick(ACTIONS.filter((a) => a !== 'SCMP_ACT_NOTIFY'));
    const syscalls: NonNullable<SeccompInput['syscalls']> = [];
    const rules = 1 + Math.floor(rand() * 7);
    for (let r = 0; r < rules; r++) {
      const action = pick(ACTIONS);
      const nargs = Math.floor(rand() * 4);
      const args = [];
      for (let a = 0; a < nargs; a++) {
        const op = pick(OPS);
        args.push({ index: Math.floor(rand() * 3), value: op === 'SCMP_CMP_MASKED_EQ' ? pick(MASKS) : pick(VALUES), valueTwo: op === 'SCMP_CMP_MASKED_EQ' ? pick(VALUES) : 0n, op });
      }
      const names = [pick(NAMES), ...(rand() < 0.3 ? [pick(NAMES)] : [])];
      syscalls.push({
        names: [...new Set(names)],
        action,
        ...((action === 'SCMP_ACT_ERRNO' || action === 'SCMP_ACT_TRACE') && rand() < 0.5 ? { errnoRet: pick([1, 13, 22]) } : {}),
        ...(args.length ? { args } : {}),
      });
    }
    // One in five is planned for arm64 (its ABIs compare; libseccomp's filter here also has x86_64).
    const arm64 = rand() < 0.2;
    out.push({
      name: `random #${n}${arm64 ? ' (aarch64)' : ''}`,
      native: arm64 ? 'aarch64' : 'x86_64',
      seccomp: {
        defaultAction: def,
        architectures: arm64 ? ['SCMP_ARCH_AARCH64', ...ARCHS.filter((a) => a !== 'SCMP_ARCH_AARCH64' && rand() < 0.5)] : ['SCMP_ARCH_X86_64', ...ARCHS.filter(() => rand() < 0.5)],
        listenerPath: '/run/agent.sock',
        syscalls,
      },
    });
  }
  return out;
}

// --- the comparison --------------------------------------------------------------------------

interface Tally {
  profiles: number;
  inputs: number;
  mismatches: string[];
  refusedBoth: number;
  /** Inputs where libseccomp's BPF contradicts libseccomp's own PFC and planc agrees with the PFC. */
  libseccompBpfBugs: string[];
}

function compare(profiles: Profile[], tally: Tally, everyNumber = true): void {
  const jobs = profiles.flatMap((p, i) => [true, false].map((enosys) => ({ id: `${i}:${enosys}`, seccomp: p.seccomp, enosys })));
  const ref = oracle(jobs);
  profiles.forEach((p, i) => {
    for (const enosys of [true, false]) {
      const theirs = ref.get(`${i}:${enosys}`)!;
      let ours: SockFilter[] | undefined;
      let ourError: unknown;
      try {
        ours = compileSeccomp(p.seccomp, { native: p.native, enosys }).program;
      } catch (e) {
        ourError = e;
      }
      const label = `${p.name} (${enosys ? 'with' : 'without'} runc's ENOSYS stub)`;
      tally.profiles++;
      if (theirs.error !== undefined || ourError !== undefined) {
        // The same reason: a merge that never ends (libseccomp times out), or conflicting rules.
        const sameReason = theirs.error?.startsWith('timeout') ? /loops/ : /conflict/;
        if (theirs.error !== undefined && ourError instanceof PlancError && sameReason.test(ourError.message)) tally.refusedBoth++;
        else tally.mismatches.push(`${label}: libseccomp ${theirs.error ?? 'accepts it'}, planc ${ourError instanceof Error ? ourError.message : 'accepts it'}`);
        continue;
      }
      const check = checkFilter(ours!);
      if (check) {
        tally.mismatches.push(`${label}: the kernel would refuse planc's program: ${check}`);
        continue;
      }
      assert.equal(checkFilter(theirs.program!), null, `libseccomp's program for ${label}`);
      let bad = 0;
      const pfc = parsePfc(theirs.pfc!);
      for (const inp of inputs(p, everyNumber)) {
        // With another native ABI than this machine's, libseccomp's filter always holds the
        // machine's (x86_64) ABI: only the other arch values compare.
        if (p.native !== 'x86_64' && inp.arch === AUDIT.x86_64) continue;
        const w = dataWords({ nr: inp.nr, arch: inp.arch, args: inp.args });
        const a = runFilter(ours!, w);
        const b = runFilter(theirs.program!, w);
        tally.inputs++;
        if (a === b) continue;
        const what = `${label}: arch 0x${inp.arch.toString(16)} nr 0x${inp.nr.toString(16)} args [${inp.args.map((x) => '0x' + x.toString(16)).join(', ')}]: planc 0x${a.toString(16)}, libseccomp 0x${b.toString(16)}`;
        const meant = runPfc(pfc, inp.nr, inp.arch, inp.args);
        if (a === meant) tally.libseccompBpfBugs.push(`${what}, libseccomp's PFC 0x${meant.toString(16)}`);
        else if (bad++ < 3) tally.mismatches.push(what);
      }
    }
  });
}

function report(what: string, t: Tally): void {
  console.log(
    `seccomp differential (${what}): ${t.profiles} filters (${t.refusedBoth} refused by both), ${t.inputs} inputs compared, ` +
      `${t.mismatches.length} mismatches, ${t.libseccompBpfBugs.length} where libseccomp's BPF contradicts its own PFC (planc follows the PFC)`,
  );
  for (const b of t.libseccompBpfBugs.slice(0, 3)) console.log(`  e.g. ${b}`);
  assert.deepEqual(t.mismatches.slice(0, 20), [], `${t.mismatches.length} mismatches`);
}

test('podman default profile: same verdicts as libseccomp+runc [needs python3-seccomp, containers-common]', () => {
  requireTools();
  const t: Tally = { profiles: 0, inputs: 0, mismatches: [], refusedBoth: 0, libseccompBpfBugs: [] };
  compare(podmanProfiles(), t);
  report('podman default x 4 configurations x 2', t);
  assert.ok(t.inputs > 50_000);
});

test('hand-written corpus: same verdicts as libseccomp+runc [needs python3-seccomp]', () => {
  requireTools();
  const t: Tally = { profiles: 0, inputs: 0, mismatches: [], refusedBoth: 0, libseccompBpfBugs: [] };
  const corpus = corpusProfiles();
  compare(corpus, t);
  report(`corpus of ${corpus.length} profiles x 2`, t);
});

test('seeded random profiles (rule merging): same verdicts as libseccomp+runc [needs python3-seccomp]', () => {
  requireTools();
  const t: Tally = { profiles: 0, inputs: 0, mismatches: [], refusedBoth: 0, libseccompBpfBugs: [] };
  // PLANC_SECCOMP_FUZZ=N[:seed] runs more (or other) random profiles locally.
  const [count, seed] = (process.env.PLANC_SECCOMP_FUZZ ?? '300:20240610').split(':').map(Number);
  const profiles = randomProfiles(count || 300, seed || 20240610);
  compare(profiles, t, false);
  report(`${profiles.length} random profiles x 2`, t);
  assert.ok(t.refusedBoth < t.profiles / 2, 'most random profiles should be accepted');
});

test('where libseccomp 2.5 generates BPF that contradicts its own rules, planc follows the rules [needs python3-seccomp]', () => {
  requireTools();
  // Two generator bugs of libseccomp 2.5.4 (gen_bpf.c), shown on minimal profiles. planc keeps
  // the semantics libseccomp's rule database (its PFC export) states.
  const cases: Array<{ name: string; seccomp: SeccompInput; arch: number; nr: number; args: bigint[]; meant: number; libseccomp: number }> = [
    {
      // The syscall-number load belongs to the first syscall of the arch's list; when that one is a
      // pseudo-syscall (a name the ABI lacks, here _llseek on x86_64) it is dropped with it, and
      // the filter compares the arch value with syscall numbers: read(0) gets the default action.
      name: 'lost syscall-number load',
      seccomp: { defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X32'], syscalls: [
        { names: ['_llseek'], action: 'SCMP_ACT_ALLOW' },
        { names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }] },
      ] },
      arch: AUDIT.x86_64, nr: 0, args: [0n], meant: 0x7fff0000 /* ALLOW */, libseccomp: 0x00050001 /* ERRNO(EPERM) */,
    },
    {
      // Falling through from a low-word comparison to the next rule's high-word one, the
      // accumulator is not reloaded: setuid(1000) compares 1000 with the high-word bound.
      name: 'missing accumulator reload',
      seccomp: { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [
        { names: ['setuid'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1000, op: 'SCMP_CMP_LT' }] },
        { names: ['setuid'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1n << 32n, op: 'SCMP_CMP_GE' }] },
      ] },
      arch: AUDIT.x86_64, nr: 105, args: [1000n], meant: 0x7fff0000 /* ALLOW */, libseccomp: 0x00050001 /* ERRNO(EPERM) */,
    },
  ];
  const ref = oracle(cases.map((c, i) => ({ id: String(i), seccomp: c.seccomp, enosys: false })));
  cases.forEach((c, i) => {
    const theirs = ref.get(String(i))!;
    const w = dataWords({ nr: c.nr, arch: c.arch, args: c.args });
    assert.equal(runPfc(parsePfc(theirs.pfc!), c.nr, c.arch, c.args), c.meant, `${c.name}: libseccomp's PFC`);
    assert.equal(runFilter(theirs.program!, w), c.libseccomp, `${c.name}: libseccomp's BPF`);
    assert.equal(runFilter(compileSeccomp(c.seccomp, { native: 'x86_64', enosys: false }).program, w), c.meant, `${c.name}: planc`);
  });
});

test('the kernel accepts the podman filter and returns what the compiler promised [needs python3, containers-common]', () => {
  requireTools();
  assert.equal(process.arch, 'x64', 'this check makes x86_64 system calls');
  const [profile] = podmanProfiles(); // podman's capabilities: no CAP_AUDIT_WRITE, CAP_SYS_PACCT
  const { program, flags } = compileSeccomp(profile!.seccomp, { native: 'x86_64' });
  // x86_64 numbers (arch/x86/entry/syscalls/syscall_64.tbl) and the verdicts the profile gives.
  const calls: Array<{ call: Array<number | bigint>; expect: 'ok' | number; what: string }> = [
    { call: [39], expect: 'ok', what: 'getpid: allowed' },
    { call: [163, 0], expect: 1, what: 'acct: EPERM (no CAP_SYS_PACCT)' },
    { call: [135, 0xffffffff], expect: 'ok', what: 'personality(0xffffffff): allowed by its argument rule' },
    { call: [135, 0x1234], expect: 38, what: 'personality(0x1234): the default, ENOSYS' },
    { call: [41, 16, 3, 9], expect: 22, what: 'socket(AF_NETLINK, SOCK_RAW, NETLINK_AUDIT): EINVAL' },
    { call: [41, 16, 3, 0], expect: 'ok', what: 'socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE): allowed' },
    { call: [1000], expect: 38, what: 'an unknown number: ENOSYS' },
    { call: [425, 1, 0], expect: 38, what: 'io_uring_setup: ENOSYS (not in the profile: the default)' },
    { call: [246, 0, 0, 0, 0], expect: 1, what: 'kexec_load: EPERM' },
  ];
  const r = spawnSync(PYTHON, [new URL('./fixtures/seccomp/load-filter.py', import.meta.url).pathname], {
    input: toJson({ program: program.map((i) => [i.code, i.jt, i.jf, i.k]), flags, calls: calls.map((c) => c.call) }),
    encoding: 'utf8',
  });
  const out = JSON.parse(r.stdout || '{}');
  assert.equal(out.error, undefined, `loading the filter: ${out.error ?? r.stderr}`);
  assert.equal(out.seccomp_status, '2', '/proc/self/status: Seccomp: 2 (filter mode)');
  calls.forEach((c, i) => {
    const [ret, errno] = out.results[i];
    if (c.expect === 'ok') assert.ok(ret >= 0, `${c.what}: got ${ret}, errno ${errno}`);
    else assert.deepEqual([ret, errno], [-1, c.expect], c.what);
  });
});

test('compiling the podman default profile takes well under 10 ms [needs containers-common]', () => {
  requireTools();
  const [profile] = podmanProfiles();
  for (let i = 0; i < 30; i++) compileSeccomp(profile!.seccomp, { native: 'x86_64' });
  const samples: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t = performance.now();
    compileSeccomp(profile!.seccomp, { native: 'x86_64' });
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  const [best, median] = [samples[0]!, samples[25]!];
  console.log(`seccomp compile of the podman default profile: best ${best.toFixed(2)} ms, median ${median.toFixed(2)} ms over 50 runs, ${compileSeccomp(profile!.seccomp, { native: 'x86_64' }).program.length} instructions`);
  // The best run: what the compiler costs, whatever else the machine is doing.
  assert.ok(best < 10, `best of 50: ${best} ms`);
});

test('the generated syscall tables match the installed libseccomp [needs python3-seccomp, libseccomp-dev]', () => {
  requireTools();
  const r = spawnSync(process.execPath, [new URL('../../scripts/gen-seccomp-tables.mjs', import.meta.url).pathname, '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
});
