// Escape classes, written from the public descriptions of runc's CVEs: each
// test asserts that the protection holds and, where a deliberately weakened
// executor can be built (build/test/planc-exec-<variant>, see
// executor/native/build.sh), that the same attack succeeds against it — so the
// test would catch the protection being lost. Every test leaves nothing behind.
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readlinkSync, rmdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Config, leftovers, NEEDS_ROOT, Planc, variantInstall, waitFor } from '../helpers/planc.js';

const skip = NEEDS_ROOT;
const pc = new Planc();
// The executor whose mounts name their targets by /proc/self/fd/N strings resolved in the
// container's mount namespace, as mount(2) needs (-DPLANC_WEAKEN_PROC).
const weakProc = new Planc({ planc: variantInstall('weak-proc').planc });
after(() => {
  pc.cleanup();
  weakProc.cleanup();
});

/** `KEY=value` lines of an output as a map. */
function kv(out: string): Record<string, string> {
  return Object.fromEntries(out.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

/** create → start → wait → delete of `bundle` in world `w`; the container's output. */
async function runIn(w: Planc, t: TestContext, bundle: string): Promise<string> {
  const id = w.id(t);
  const out = await w.createStartWait(id, bundle);
  w.finish(id, bundle);
  return out.stdout;
}

// ---------------------------------------------------------------------------
// e. Masked and read-only paths undone through a fake or symlinked /proc.

// What the container reports about its masked and read-only /proc paths. The mount table is
// read through a child's /proc/<pid>: /proc/1 and /proc/self may be the attacker's directory.
const PROC_FACTS =
  'exec 2>&1; echo timer_list=$(stat -L -c "%F %t:%T" /proc/timer_list); ' +
  'echo sys=$( (echo x > /proc/sys/kernel/domainname) 2>&1; echo rc=$?); ' +
  // not the last command: sh would exec it as pid 1
  `sh -c 'echo decoys=$(grep -c " /decoy/" /proc/$$/mountinfo)'; echo done`;

/**
 * A bundle whose config binds a directory of crafted links over the container's own
 * /proc/self (= /proc/1, the init): after pivot_root, "/proc/self/fd/N" resolved in the
 * container leads to /decoy/N instead of the mask or read-only target held in fd N.
 */
function fakeProcSelfBundle(w: Planc): string {
  const bundle = w.bundle(['sh', '-c', PROC_FACTS], (c: Config) => {
    // The weakened executor would also redirect the remount of "/": keep the attack to masks.
    c.root.readonly = false;
    c.mounts.push({ destination: '/proc/self', type: 'bind', source: 'fakeself', options: ['rbind'] });
  });
  mkdirSync(join(bundle, 'fakeself/fd'), { recursive: true });
  for (let n = 0; n < 64; n++) {
    mkdirSync(join(bundle, 'rootfs/decoy', String(n)), { recursive: true });
    symlinkSync(`/decoy/${n}`, join(bundle, 'fakeself/fd', String(n)));
  }
  return bundle;
}

test('e. a directory of crafted fd links bound over the init\'s /proc/self does not redirect masks or read-only paths', { skip }, async (t) => {
  const v = kv(await runIn(pc, t, fakeProcSelfBundle(pc)));
  assert.equal(v.timer_list, 'character special file 1:3', '/proc/timer_list is masked with /dev/null');
  assert.match(v.sys!, /: Read-only file system rc=1$/, `/proc/sys is read-only: ${v.sys}`);
  assert.equal(v.decoys, '0', 'nothing was mounted on the decoys');
});

test('e. (weakened executor) the same config undoes the masks when mounts go through the container\'s /proc', { skip }, async (t) => {
  const v = kv(await runIn(weakProc, t, fakeProcSelfBundle(weakProc)));
  assert.match(v.timer_list!, /^regular (empty )?file /, `/proc/timer_list is the kernel's, unmasked: ${v.timer_list}`);
  assert.equal(v.sys, 'rc=0', '/proc/sys is writable');
  assert.ok(Number(v.decoys) > 0, `the masks landed on the decoys: ${v.decoys}`);
});

test('e. a plain directory bound over /proc: one clear error (not procfs), nothing left', { skip }, (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['true'], (c: Config) => {
    c.mounts.push({ destination: '/proc', type: 'bind', source: 'fakeproc', options: ['rbind'] });
  });
  // Entries where the real ones would be, and fd links for the old /proc/self/fd/N indirection.
  mkdirSync(join(bundle, 'fakeproc/sys/kernel'), { recursive: true });
  mkdirSync(join(bundle, 'fakeproc/self/fd'), { recursive: true });
  writeFileSync(join(bundle, 'fakeproc/timer_list'), '');
  for (let n = 0; n < 64; n++) symlinkSync(`/tmp`, join(bundle, 'fakeproc/self/fd', String(n)));
  const r = pc.run(['create', '--bundle', bundle, id]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^planc: [^\n]+\n$/, `one error line: ${r.stderr}`);
  assert.match(r.stderr, /config\.json: \/linux\/readonlyPaths\/3: readonly "\/proc\/sys": not on proc/);
  leftovers(pc.root, id, bundle);
});

test('e. an image whose /proc is a symlink: procfs is mounted where it points, and the masks follow it', { skip }, async (t) => {
  const bundle = pc.bundle(['sh', '-c', `echo link=$(readlink /proc); ${PROC_FACTS}`]);
  const rootfs = join(bundle, 'rootfs');
  mkdirSync(join(rootfs, 'altproc'));
  rmdirSync(join(rootfs, 'proc'));
  symlinkSync('altproc', join(rootfs, 'proc'));
  const v = kv(await runIn(pc, t, bundle));
  assert.equal(v.link, 'altproc');
  assert.equal(v.timer_list, 'character special file 1:3');
  assert.match(v.sys!, /: Read-only file system rc=1$/);
  assert.equal(v.decoys, '0');
});

// The runtime's procfs handle (opened before the pivot for every /proc access) is closed before
// execve: while the init waits for start it holds it; the user program does not.
test('the runtime\'s /proc handle does not reach the container process', { skip }, async (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['sleep', '100']);
  pc.ok(['create', '--bundle', bundle, id]);
  const pid = pc.state(id).pid;
  const links = () => readdirSync(`/proc/${pid}/fd`).map((fd) => `${fd} -> ${readlinkSync(`/proc/${pid}/fd/${fd}`)}`);
  const waiting = links();
  assert.ok(waiting.some((l) => l.endsWith(' -> /proc')), `the waiting init holds the handle (so this check can see it): ${waiting.join(', ')}`);
  pc.ok(['start', id]);
  await waitFor('the init to exec sleep', () => !readlinkSync(`/proc/${pid}/exe`).startsWith('/memfd:'));
  const running = links();
  assert.deepEqual(running.map((l) => l.split(' ')[0]), ['0', '1', '2'], `only stdio is open in the container: ${running.join(', ')}`);
  pc.ok(['delete', '--force', id]);
  leftovers(pc.root, id, bundle);
});
