// create and run apply their plan in the native front (cli/native/apply.c):
// the CLI plans, then becomes the front (execve), so the process the caller
// started is the one that runs the executor — the pid an engine signals or
// waits for is planc's all the way, and no Node process is left waiting.
// A signal to that pid while the executor runs stops the create and leaves
// nothing behind. `planc exec` hands over the same way (apply --mode=exec):
// one process, which forwards the caller's signals to the exec'd process.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { NEEDS_ROOT, Planc, leftovers, waitFor } from '../helpers/planc.js';

const pc = new Planc();
after(() => pc.cleanup());
const skip = NEEDS_ROOT;

/** A createRuntime hook (run by the executor P, in the runtime's namespaces) that writes what it sees, then sleeps `sleep` seconds. */
function hookBundle(out: string, sleep: number): string {
  const script = pc.scratchPath(`hook-${Math.random().toString(16).slice(2)}.sh`);
  writeFileSync(
    script,
    [
      '#!/bin/sh',
      // The hook's parent is the executor P; P's parent is planc. The init's pid is in the state on stdin.
      'p=$(sed -n "s/^PPid:[[:space:]]*//p" /proc/$PPID/status)',
      'init=$(grep -o \'"pid":[0-9]*\' | head -n1 | cut -d: -f2)',
      'initparent=$(sed -n "s/^PPid:[[:space:]]*//p" /proc/$init/status)',
      'echo "planc=$p executor=$PPID exe=$(readlink /proc/$p/exe) init=$init initparent=$initparent children=$(cat /proc/$p/task/$p/children)" > "$1.tmp"',
      'mv "$1.tmp" "$1"',
      `sleep ${sleep}`,
      '',
    ].join('\n'),
  );
  chmodSync(script, 0o755);
  return pc.bundle(['sleep', '100'], (c) => {
    c.hooks = { createRuntime: [{ path: script, args: [script, out], env: ['PATH=/usr/bin:/bin'] }] };
  });
}

test('planc create is one process: the pid the caller started plans, runs the executor, and is the init\'s parent', { skip }, async (t) => {
  const out = pc.scratchPath('seen-one');
  const bundle = hookBundle(out, 0);
  const id = pc.id(t);
  const p = pc.spawn(['create', '--bundle', bundle, id]);
  const r = await p.done;
  assert.equal(r.code, 0, r.stderr);
  const seen = Object.fromEntries(readFileSync(out, 'utf8').trim().split(' ').map((kv) => kv.split('=') as [string, string]));
  assert.equal(Number(seen.planc), p.child.pid, `the executor's parent is the process the caller spawned: ${JSON.stringify(seen)}`);
  assert.match(seen.exe!, /\/build\/planc$/, 'by then that process is the native front, not node');
  assert.equal(Number(seen.initparent), p.child.pid, 'the init (CLONE_PARENT) is that process\'s child too, before it is reparented');
  // Its children while the executor ran: the executor (and the init), nothing else — no node, no second planc.
  const kids = (seen.children ?? '').split(/\s+/).filter(Boolean).map(Number);
  assert.ok(kids.includes(Number(seen.executor)) && kids.every((k) => k === Number(seen.executor) || k === Number(seen.init)), `children of planc: ${seen.children}`);
  assert.equal(pc.state(id).status, 'created');
  assert.equal(pc.state(id).pid, Number(seen.init));
});

test('SIGTERM to planc while a createRuntime hook sleeps: create fails in one line, nothing is left', { skip }, async (t) => {
  const out = pc.scratchPath('seen-term');
  const bundle = hookBundle(out, 3);
  const id = pc.id(t);
  const p = pc.spawn(['create', '--bundle', bundle, id]);
  await waitFor('the createRuntime hook to run', () => existsSync(out), 10_000);
  process.kill(p.child.pid!, 'SIGTERM');
  const r = await p.done;
  assert.equal(r.code, 1, `planc exits 1 (code ${r.code}, signal ${r.signal})`);
  assert.equal(r.stderr, 'planc: create interrupted by SIGTERM; everything it set up was removed\n');
  // No state directory, no cgroup, no process of the container.
  leftovers(pc.root, id, bundle);
  assert.match(pc.run(['state', id]).stderr, /container does not exist/);
  // The init was the caller's child's child; reaped, it is no zombie either.
  const init = Number(readFileSync(out, 'utf8').match(/init=([0-9]+)/)![1]);
  assert.ok(!existsSync(`/proc/${init}`) || !/^[ZX]/.test(readFileSync(`/proc/${init}/stat`, 'utf8').split(') ')[1]!), `init ${init} is gone`);
});

/** A running container whose init sleeps. */
function running(t: Parameters<typeof pc.id>[0]): string {
  const id = pc.id(t);
  pc.ok(['create', '--bundle', pc.bundle(['sleep', '100']), id]);
  pc.ok(['start', id]);
  return id;
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

test('planc exec is one process: the pid the caller started becomes the front, the executor\'s parent, whose child is the exec\'d process', { skip }, async (t) => {
  const id = running(t);
  const p = pc.spawn(['exec', id, 'sh', '-c', 'echo ready; sleep 30; true']);
  await waitFor('the exec\'d process to be ready', () => readFileSync(p.stdoutFile, 'utf8').includes('ready'), 10_000);
  const pid = p.child.pid!;
  assert.match(readlinkSync(`/proc/${pid}/exe`), /\/build\/planc$/, 'by then the process the caller spawned is the native front, not node');
  const kids = childrenOf(pid);
  assert.equal(kids.length, 1, `planc's one child is the executor, no node and no second planc: ${kids.join(' ')}`);
  const procs = childrenOf(kids[0]!);
  assert.equal(procs.length, 1, `the executor's one child is the exec'd process: ${procs.join(' ')}`);
  assert.match(readFileSync(`/proc/${procs[0]}/cmdline`, 'utf8'), /^sh\0-c\0echo ready/);
  process.kill(procs[0]!, 'SIGKILL');
  const r = await p.done;
  assert.equal(r.code, 137, `planc exits with the process's status: ${r.stderr}`);
  assert.equal(r.stderr, '');
});

test('SIGTERM to planc during a foreground exec reaches the process, whose status planc exits with', { skip }, async (t) => {
  const id = running(t);
  const p = pc.spawn(['exec', id, 'sh', '-c', 'trap "echo got-term; exit 9" TERM; echo ready; while :; do sleep 0.1; done']);
  await waitFor('the exec\'d shell to be ready', () => readFileSync(p.stdoutFile, 'utf8').includes('ready'), 10_000);
  process.kill(p.child.pid!, 'SIGTERM');
  const r = await p.done;
  assert.equal(r.code, 9, `planc forwarded SIGTERM and exited with the trap's status (code ${r.code}, signal ${r.signal}): ${r.stderr}`);
  assert.match(r.stdout, /got-term/);
  assert.equal(r.stderr, '');
  assert.equal(pc.state(id).status, 'running', 'the container is untouched');
});
