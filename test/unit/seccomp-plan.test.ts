// linux.seccomp in the plan: where seccomp.load goes (runc's order), what it carries (program,
// flags, digest, listener), its warnings, explain and diff in words. Config in, plan out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseJson, type Json } from '../../planner/json.js';
import { planCreate } from '../../planner/plan.js';
import { defaultHostFacts } from '../../planner/host-facts.js';
import { diffLines, diffPlans } from '../../planner/diff.js';
import { explainAction } from '../../planner/explain.js';
import { lintPlan } from '../../planner/lint.js';
import validatePlan from '../../schemas/generated/validate-plan.js';
import type { Action, Plan } from '../../schemas/generated/plan.js';

const FIXTURES = new URL('./fixtures/', import.meta.url);
const fixture = (name: string): any => parseJson(readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8'));
const facts = defaultHostFacts('box', '/bundles/box', '/run/planc');
const plan = (cfg: Json, waitForStart = true): Plan => planCreate(cfg, facts, { waitForStart });
const load = (p: Plan) => p.actions.find((a): a is Extract<Action, { op: 'seccomp.load' }> => a.op === 'seccomp.load')!;
/** The init stage from the last rlimit on: where the privilege and seccomp steps are. */
const tail = (p: Plan) => {
  const init = p.actions.filter((a) => a.stage === 'init').map((a) => a.op);
  return init.slice(init.lastIndexOf('rlimit') + 1);
};
const withSeccomp = (seccomp: unknown, nnp = true): any => {
  const c = fixture('default');
  c.linux.seccomp = seccomp;
  c.process.noNewPrivileges = nnp;
  return c;
};
const MKDIR_ENOSYS = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }] };

test('with noNewPrivileges, seccomp.load comes after `start` released the init, before the startContainer hooks and the exec', () => {
  const c = withSeccomp(MKDIR_ENOSYS);
  c.hooks = { startContainer: [{ path: '/bin/true' }] };
  assert.deepEqual(tail(plan(c)), ['caps.bounding', 'user', 'caps', 'no-new-privs', 'chdir', 'exec.check', 'execfifo.wait', 'seccomp.load', 'hook.start-container', 'exec']);
  // `run`: no fifo, the same place otherwise.
  assert.deepEqual(tail(plan(c, false)), ['caps.bounding', 'user', 'caps', 'no-new-privs', 'chdir', 'exec.check', 'seccomp.load', 'hook.start-container', 'exec']);
});

test('without noNewPrivileges, seccomp.load comes before the bounding set, user and capability actions drop CAP_SYS_ADMIN', () => {
  assert.deepEqual(tail(plan(withSeccomp(MKDIR_ENOSYS, false))), ['seccomp.load', 'caps.bounding', 'user', 'caps', 'chdir', 'exec.check', 'execfifo.wait', 'exec']);
});

test('the action carries the program as data, its flags and the sha256 of its little-endian sock_filter bytes', () => {
  const p = plan(fixture('hooks-seccomp'));
  const a = load(p);
  assert.equal(a.why, '/linux/seccomp');
  assert.equal(a.program.length, 14);
  // The first two instructions: ld [4] (seccomp_data.arch), jeq AUDIT_ARCH_X86_64.
  assert.deepEqual(a.program.slice(0, 2), [{ code: 0x20, jt: 0, jf: 0, k: 4 }, { code: 0x15, jt: 0, jf: 11, k: 0xc000003e }]);
  assert.equal(a.flags, 4); // SECCOMP_FILTER_FLAG_SPEC_ALLOW: runc's default when flags is absent
  // Computed apart from planc: python3 struct.pack('<HBBI', code, jt, jf, k) of each instruction, hashlib.sha256.
  assert.equal(a.digest, 'sha256:8371b827d39c1ad30d98fdfd676e0441e80402246b64ee5cfd0d1cfd2077d7e5');
  assert.equal(a.listener, undefined);
  assert.equal(validatePlan(JSON.parse(JSON.stringify(p))), true, JSON.stringify(validatePlan.errors?.slice(0, 3)));
});

test('NOTIFY: connect to listenerPath before pivot_root, the state for the agent in the action', () => {
  const c = withSeccomp({
    defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/agent.sock', listenerMetadata: 'hello',
    syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }],
  });
  const p = plan(c);
  const ops = p.actions.map((a) => a.op);
  assert.ok(ops.indexOf('seccomp.connect') < ops.indexOf('rootfs.pivot'));
  assert.deepEqual(p.actions[ops.indexOf('seccomp.connect')], { stage: 'init', op: 'seccomp.connect', why: '/linux/seccomp/listenerPath', path: '/run/agent.sock' });
  const a = load(p);
  assert.equal(a.flags, 4 | 8); // SPEC_ALLOW | NEW_LISTENER
  assert.deepEqual(a.listener, { path: '/run/agent.sock', metadata: 'hello', state: { ociVersion: '1.2.0', id: 'box', status: 'created', bundle: '/bundles/box' } });
  assert.equal(validatePlan(JSON.parse(JSON.stringify(p))), true);
  // Loaded before the fifo (no noNewPrivileges), the container is still being created.
  assert.equal(load(plan(withSeccomp(c.linux.seccomp, false))).listener?.state.status, 'creating');
});

test('an unknown syscall name is skipped with a plan warning naming it, as runc skips it', () => {
  const p = plan(withSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'no_such_call'], action: 'SCMP_ACT_ERRNO' }] }));
  assert.deepEqual(p.warnings.filter((w) => w.code.startsWith('seccomp')), [{
    code: 'seccomp-unknown-syscall', why: '/linux/seccomp/syscalls/0/names/1', subject: 'no_such_call',
    message: 'unknown syscall no_such_call: skipped (libseccomp 2.5.4-1+deb12u1 does not know it; runc skips it too)',
  }]);
  assert.deepEqual(load(p).stats.unknownSyscalls, ['no_such_call']);
});

test('lint: a filter satisfies no-seccomp; a filter that allows everything does not', () => {
  const rules = (c: Json) => lintPlan(plan(c)).map((f) => f.rule);
  assert.ok(!rules(withSeccomp(MKDIR_ENOSYS)).includes('no-seccomp'));
  const c = fixture('default');
  delete c.linux.seccomp;
  assert.ok(rules(c).includes('no-seccomp'));
  const open = plan(withSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_LOG' }, { names: ['mkdir'], action: 'SCMP_ACT_ALLOW' }] }));
  assert.deepEqual(open.warnings.filter((w) => w.code === 'no-seccomp').map((w) => w.message), []);
  const all = plan(withSeccomp({ defaultAction: 'SCMP_ACT_ALLOW' }));
  assert.deepEqual(all.warnings.filter((w) => w.code === 'no-seccomp').map((w) => w.message), ['the seccomp filter allows every system call']);
});

test('explain says what the filter does, in words', () => {
  const b = plan(withSeccomp({
    defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'],
    syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }, { names: ['ptrace'], action: 'SCMP_ACT_KILL_PROCESS' }],
  }));
  assert.equal(explainAction(load(b)), 'load a seccomp filter on x86_64: allows 365 syscalls, fails 2 syscalls (mkdir, mkdirat) with EPERM, kills the process on 1 syscall (ptrace); default ALLOW; kills the thread on syscalls of other architectures (checks x86_64); 15 instructions, flags SPEC_ALLOW, sha256:f0e5e61e1d5b…');
  // A default-deny profile: runc's ENOSYS stub for syscalls newer than the profile shows.
  assert.equal(explainAction(load(plan(fixture('hooks-seccomp')))), 'load a seccomp filter on x86_64: fails 229 syscalls with EPERM, fails 136 syscalls with ENOSYS, allows 3 syscalls (exit_group, read, write); default ERRNO(EPERM); syscalls newer than the profile fail with ENOSYS; kills the thread on syscalls of other architectures (checks x86_64); 14 instructions, flags SPEC_ALLOW, sha256:8371b827d39c…');
});

test('diff shows a filter change syscall by syscall', () => {
  const a = plan(withSeccomp(MKDIR_ENOSYS));
  const b = plan(withSeccomp({
    defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'], flags: ['SECCOMP_FILTER_FLAG_LOG'],
    syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }, { names: ['ptrace'], action: 'SCMP_ACT_KILL_PROCESS' }],
  }));
  assert.deepEqual(diffLines(diffPlans(a, b)), [
    '~ init seccomp filter: 5 changes  ← /linux/seccomp',
    '    architectures: x86_64 → x86_64,x86',
    '    flags: SECCOMP_FILTER_FLAG_SPEC_ALLOW → SECCOMP_FILTER_FLAG_LOG',
    '    mkdir: ERRNO(ENOSYS) → ERRNO(EPERM)',
    '    mkdirat: ALLOW → ERRNO(EPERM)',
    '    ptrace: ALLOW → KILL_PROCESS',
  ]);
  assert.deepEqual(diffLines(diffPlans(a, a)), []);
});
