// The planning verbs from the command line, as a reviewer or CI uses them:
// no root, no kernel, just bundles in and text or JSON out.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = new URL('../../bin/planc.cjs', import.meta.url).pathname;
const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), 'planc-cli-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function bundle(name: string, fixture: string, mutate?: (c: any) => void): string {
  const dir = join(scratch, name);
  mkdirSync(join(dir, 'rootfs'), { recursive: true });
  copyFileSync(join(FIXTURES, `${fixture}.json`), join(dir, 'config.json'));
  if (mutate) {
    const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    mutate(c);
    writeFileSync(join(dir, 'config.json'), JSON.stringify(c));
  }
  return dir;
}

function planc(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, '--root', join(scratch, 'state'), ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('lint: default policy fails a risky bundle with rule names; a YAML policy relaxes it; SARIF is well-formed', () => {
  const risky = bundle('risky', 'privileged-like');
  const r = planc('lint', '-b', risky);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^error: .*\[runtime-socket\] ← .*config\.json: \/mounts\/8$/m);
  writeFileSync(join(scratch, 'relaxed.yaml'), 'rules:\n  dangerous-capability: warning\n  runtime-socket: "off"\n');
  assert.equal(planc('lint', '-b', risky, '--policy', join(scratch, 'relaxed.yaml')).code, 0);
  const sarif = JSON.parse(planc('lint', '-b', risky, '--format', 'sarif').stdout);
  assert.equal(sarif.version, '2.1.0');
  assert.ok(sarif.runs[0].results.some((x: { ruleId: string; level: string }) => x.ruleId === 'runtime-socket' && x.level === 'error'));
});

test('lint: a policy with an unknown rule or a bad level is refused in one line naming the file', () => {
  const b = bundle('plain', 'default');
  writeFileSync(join(scratch, 'bad.json'), JSON.stringify({ rules: { 'no-such-rule': 'error', 'no-seccomp': 'loud' } }));
  const r = planc('lint', '-b', b, '--policy', join(scratch, 'bad.json'));
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /bad\.json: .*unknown rule "no-such-rule"/);
  assert.match(r.stderr, /\/rules\/no-seccomp: must be equal to one of the allowed values/);
  writeFileSync(join(scratch, 'broken.yaml'), 'rules: [unclosed');
  assert.match(planc('lint', '-b', b, '--policy', join(scratch, 'broken.yaml')).stderr, /broken\.yaml: not valid YAML/);
});

test('diff: exit 0 for the same effect, 1 with the changes listed by action', () => {
  const a = bundle('a', 'default');
  const same = bundle('same', 'default', (c) => (c.linux.maskedPaths = [...c.linux.maskedPaths].reverse()));
  assert.equal(planc('diff', a, same).code, 0);
  const b = bundle('b', 'default', (c) => (c.linux.resources.pids = { limit: 5 }));
  const r = planc('diff', join(a, 'config.json'), join(b, 'config.json'));
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^\+ host set pids\.max = 5 in .*← \/linux\/resources\/pids\/limit$/m);
});

test('run --dry-run plans and checks everything, applies nothing, needs no root', () => {
  const b = bundle('dry', 'default');
  const r = planc('run', '--dry-run', '-b', b, 'dry1');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^dry run: plan sha256:[0-9a-f]{64} for dry1: \d+ actions, none applied$/m);
  assert.match(r.stdout, /pivot_root into the rootfs/);
  assert.equal(planc('list', '--format', 'json').stdout.trim(), 'null', 'no container was recorded');
  const missing = planc('run', '--dry-run', '-b', join(scratch, 'nowhere'), 'dry2');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /nowhere: no such file or directory/);
});

test('explain groups by stage and effect; --json carries effect and provenance per action', () => {
  const b = bundle('ex', 'default');
  const text = planc('explain', '-b', b).stdout;
  assert.match(text, /^init: inside the container, before your process runs$/m);
  assert.match(text, /^ {2}privileges$/m);
  const json = JSON.parse(planc('explain', '-b', b, '--json').stdout);
  assert.ok(json.actions.every((a: { effect: string; why: string }) => a.effect && a.why));
  assert.ok(json.warnings.some((w: { code: string }) => w.code === 'no-seccomp'));
});

test('a config for another OS is refused as unsupported, not crashed on', () => {
  const b = bundle('win', 'default', (c) => {
    delete c.linux;
    c.windows = { layerFolders: ['C:\\layers\\1'] };
  });
  const r = planc('plan', '-b', b);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^planc: .*config\.json: \/windows: windows containers are not supported/);
});

test('a shared cgroup: explain shows the warning, lint fails on shared-cgroup, "/" is refused in one line', () => {
  const b = bundle('shared-cg', 'default', (c) => (c.linux.cgroupsPath = '/system.slice'));
  const text = planc('explain', '-b', b).stdout;
  assert.ok(text.includes('  ! cgroup /system.slice is shared: the container would share it with processes planc did not start; planc refuses at create time if it has processes, and never kills or removes a cgroup it did not make  ← /linux/cgroupsPath'), text);
  const lint = planc('lint', '-b', b);
  assert.equal(lint.code, 1);
  assert.match(lint.stdout, /^error: cgroup \/system\.slice is shared: .*\[shared-cgroup\] ← .*config\.json: \/linux\/cgroupsPath$/m);
  const root = bundle('root-cg', 'default', (c) => (c.linux.cgroupsPath = '/'));
  const r = planc('plan', '-b', root);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `planc: ${join(root, 'config.json')}: /linux/cgroupsPath: cgroupsPath "/" is the root cgroup, which holds every process of the host: the container needs a cgroup of its own\n`);
});
