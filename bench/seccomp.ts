// Compiling podman's default seccomp profile (containers-common's /usr/share/containers/seccomp.json,
// converted for x86_64 and podman's default capabilities the way engines do) to BPF: planc's
// compiler in-process against libseccomp through python3-seccomp (the filter runc would build,
// exported with export_bpf), in one run. Prints both times and both program sizes.
//
// Run: node --import tsx bench/seccomp.ts        (needs python3-seccomp and golang-github-containers-common)
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseJson } from '../planner/json.js';
import { compileSeccomp, type SeccompInput } from '../planner/seccomp/index.js';
import { dockerToOci, PODMAN_CAPS, type DockerProfile } from '../test/unit/helpers/docker-seccomp.js';

const PROFILE = '/usr/share/containers/seccomp.json';
const PYTHON = '/usr/bin/python3';
const ITERS = 200;
const WARMUP = 50;

const docker = parseJson(readFileSync(PROFILE, 'utf8')) as unknown as DockerProfile;
const seccomp = dockerToOci(docker, 'amd64', PODMAN_CAPS, '6.1') as SeccompInput;

const r = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const stats = (samples: number[]) => {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
  return { mean: r(samples.reduce((a, b) => a + b, 0) / samples.length), p50: r(q(0.5)), p99: r(q(0.99)), min: r(s[0]!) };
};

// planc: cold (first call in this process, tables included) and warm.
let t0 = performance.now();
const first = compileSeccomp(seccomp, { native: 'x86_64' });
const cold = performance.now() - t0;
for (let i = 0; i < WARMUP; i++) compileSeccomp(seccomp, { native: 'x86_64' });
const ours: number[] = [];
for (let i = 0; i < ITERS; i++) {
  t0 = performance.now();
  compileSeccomp(seccomp, { native: 'x86_64' });
  ours.push(performance.now() - t0);
}

// libseccomp: the same rules as runc adds them (see test/unit/fixtures/seccomp/libseccomp-oracle.py
// for the full conversion), timed inside Python around filter construction + export_bpf.
const py = String.raw`
import json, sys, time, os, tempfile
import seccomp as S
sc = json.load(sys.stdin)
ITERS = int(sys.argv[1]); WARMUP = int(sys.argv[2])
ARCH = {'SCMP_ARCH_X86': S.Arch.X86, 'SCMP_ARCH_X86_64': S.Arch.X86_64, 'SCMP_ARCH_X32': S.Arch.X32}
OPS = {'SCMP_CMP_NE': S.NE, 'SCMP_CMP_LT': S.LT, 'SCMP_CMP_LE': S.LE, 'SCMP_CMP_EQ': S.EQ, 'SCMP_CMP_GE': S.GE, 'SCMP_CMP_GT': S.GT, 'SCMP_CMP_MASKED_EQ': S.MASKED_EQ}
def act(name, e):
    e = 1 if e is None else e
    return {'SCMP_ACT_ALLOW': S.ALLOW, 'SCMP_ACT_ERRNO': S.ERRNO(e), 'SCMP_ACT_KILL': S.KILL}[name]
fd, path = tempfile.mkstemp()
os.close(fd)
def once():
    calls = [(n, c) for c in sc['syscalls'] for n in c['names']]
    d = act(sc['defaultAction'], sc.get('defaultErrnoRet'))
    f = S.SyscallFilter(d)
    for a in sc.get('architectures', []):
        if not f.exist_arch(ARCH[a]): f.add_arch(ARCH[a])
    if len(calls) > 32: f.set_attr(S.Attr.CTL_OPTIMIZE, 2)
    f.set_attr(S.Attr.CTL_NNP, 0)
    for n, c in calls:
        a = act(c['action'], c.get('errnoRet'))
        if a == d or S.resolve_syscall(S.Arch.NATIVE, n) == -1: continue
        args = c.get('args') or []
        conds = [S.Arg(x['index'], OPS[x['op']], x['value'], x.get('valueTwo', 0)) for x in args]
        if len({x['index'] for x in args}) < len(args):
            for cond in conds: f.add_rule(a, n, cond)
        else:
            f.add_rule(a, n, *conds)
    with open(path, 'wb') as o: f.export_bpf(o)
    return os.path.getsize(path) // 8
t = time.perf_counter(); n = once(); cold = (time.perf_counter() - t) * 1000
for _ in range(WARMUP): once()
out = []
for _ in range(ITERS):
    t = time.perf_counter(); once(); out.append((time.perf_counter() - t) * 1000)
os.unlink(path)
print(json.dumps({'instructions': n, 'cold': cold, 'samples': out}))
`;
const res = spawnSync(PYTHON, ['-c', py, String(ITERS), String(WARMUP)], { input: JSON.stringify(seccomp), encoding: 'utf8' });
if (res.status !== 0) {
  console.error(`python3-seccomp failed (install it with scripts/setup.sh): ${res.stderr || res.error}`);
  process.exit(1);
}
const theirs = JSON.parse(res.stdout) as { instructions: number; cold: number; samples: number[] };

const o = stats(ours);
const t = stats(theirs.samples);
console.log(`podman default profile (${PROFILE}), x86_64 + x86 + x32, podman's capabilities; ${ITERS} runs after ${WARMUP} warm-up`);
console.log(`  planc       ${String(first.program.length).padStart(5)} instructions   first ${r(cold)} ms   mean ${o.mean} ms  p50 ${o.p50}  p99 ${o.p99}  min ${o.min}`);
console.log(`  libseccomp  ${String(theirs.instructions).padStart(5)} instructions   first ${r(theirs.cold)} ms   mean ${t.mean} ms  p50 ${t.p50}  p99 ${t.p99}  min ${t.min}   (python3-seccomp, optimize=2 as runc sets it)`);
console.log(`  ratio (libseccomp / planc, mean): ${r(t.mean / o.mean, 1)}x time, ${r(theirs.instructions / first.program.length, 2)}x instructions`);
