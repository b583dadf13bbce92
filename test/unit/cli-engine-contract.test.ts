// Details of planc's command line that real engines depend on and that the
// engine tests (test/integration/engines.test.ts) found wrong once. No root:
// these calls fail before touching any container.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = new URL('../../bin/planc.cjs', import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), 'planc-contract-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function planc(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, '--root', join(scratch, 'state'), ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// containerd's shim reads a failed call's reason only from the --log file ("unable to retrieve
// OCI runtime error" otherwise); a verb planc lacks must fail there like any other error.
test('an unknown verb: exit 1, one line on stderr, the same message as a JSON record in --log', () => {
  const log = join(scratch, 'unknown-verb.json');
  const r = planc('--log', log, '--log-format', 'json', 'frobnicate', '--pid-file', '/x', 'c1');
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, 'planc: frobnicate: no such command (planc --help lists them)\n');
  const recs = readFileSync(log, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.equal(recs.length, 1);
  assert.equal(recs[0].level, 'error');
  assert.equal(recs[0].msg, 'frobnicate: no such command (planc --help lists them)');
});

test('help is still help: `planc help`, `planc --help` and planc alone list the verbs, `planc help VERB` shows its usage (as runc)', () => {
  for (const args of [['help'], ['--help'], []]) {
    const r = planc(...args);
    assert.equal(r.code, 0, `planc ${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, /^ {2}create +/m, `planc ${args.join(' ')} lists create`);
  }
  const verbHelp = planc('help', 'state');
  assert.equal(verbHelp.code, 0, verbHelp.stderr);
  assert.match(verbHelp.stdout, /^ {2}\$ planc state ID /m);
  // A topic is not an unknown verb: `planc image` lists its subcommands, `help image unpack` shows one.
  const topic = planc('image');
  assert.equal(topic.code, 0, topic.stderr);
  assert.match(topic.stdout, /^ {2}\$ planc image COMMAND$/m);
  const subHelp = planc('help', 'image', 'unpack');
  assert.equal(subHelp.code, 0, subHelp.stderr);
  assert.match(subHelp.stdout, /^ {2}\$ planc image unpack IMAGE BUNDLE /m);
});
