// Container lifecycle after create: status, start, update. All of it
// works from the checked state directory, and touches only what is still
// provably the container's: the init (same pid and start time, inside the
// container's cgroup) and the cgroups the executor made (same path and inode
// on cgroupfs). Joined cgroups are never emptied or removed.
//
// kill, pause, resume and teardown (delete, the undo of a failed create or
// start, the end of a foreground run) live in the native front
// (cli/native/lifecycle.c, teardown.c; the TS side calls it through
// cli/native-front.ts). update's writes are planned (planner/lifecycle.ts),
// the plan goes into the trail before its first write, and each write gets
// its record before the next.
import { closeSync, constants as C, fstatSync, readSync } from 'node:fs';
import { constants as OS } from 'node:os';
import { PlancError } from '../../schemas/error.js';
import { planUpdateWrites } from '../../planner/lifecycle.js';
import { trailBytesOf, trailRefOf } from '../audit/store.js';
import { nowMicros, Trail } from '../audit/trail.js';
import { stillOwned } from './cgroups.js';
import type { ContainerDir } from './gate.js';
import { applyWrites } from './live.js';
import { alive, sleepMs } from './procfs.js';
import { type ContainerRecord, FILES, type OwnedCgroup, readPlan } from './store.js';
import { frontOutput } from '../native-front.js';

export type Status = 'created' | 'running' | 'paused' | 'stopped';

/** The container's cgroups that are still the ones the executor reported. */
export function liveCgroups(rec: Pick<ContainerRecord, 'cgroups'>): OwnedCgroup[] {
  return rec.cgroups.filter(stillOwned);
}

/**
 * The container's status as the native front tells it (cli/native/status.c is
 * the one implementation: the init's pid and start time, the freezer of the
 * cgroups it made, the exec fifo and the init's records).
 */
export function statusOf(dir: ContainerDir, _rec?: ContainerRecord): Status {
  const state = JSON.parse(frontOutput([`--root=${dir.root.path}`, 'state', '--', dir.id])) as { status: string };
  if (state.status === 'creating') throw new PlancError('not-found', 'container does not exist', { where: dir.id });
  return state.status as Status;
}

/** Read what is in the fifo now: bytes, [] when nothing yet, null at EOF (every writer gone). */
function readFifo(fd: number, buf: Buffer): Buffer | null {
  try {
    const n = readSync(fd, buf, 0, buf.length, null);
    return n === 0 ? null : buf.subarray(0, n);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return Buffer.alloc(0);
    throw e;
  }
}

const EXEC_WAIT_MS = 10_000;

/**
 * Release a created container (the caller holds its lock): read the init's
 * byte from the exec fifo, then its exec's status until the fifo closes —
 * the init keeps its end open, close-on-exec, so the close is the execve
 * taking place (PROTOCOL.md). The pending exec record is then confirmed in
 * the trail; a failed exec or a record the init could not write is an error.
 */
export function start(dir: ContainerDir, rec: ContainerRecord): void {
  const status = statusOf(dir, rec);
  if (status !== 'created') {
    throw new PlancError('bad-state', status === 'stopped' ? 'cannot start a container that has stopped' : `cannot start an already ${status} container`, { where: rec.id });
  }
  // Non-blocking: a blocking open would hang forever if the init died meanwhile.
  const fd = dir.openFile(FILES.fifo, C.O_RDONLY | C.O_NONBLOCK);
  const said: Buffer[] = [];
  try {
    if (!fstatSync(fd).isFIFO()) throw new PlancError('bad-state', `${dir.path}/${FILES.fifo} is not a fifo; left alone`);
    const buf = Buffer.alloc(64);
    for (;;) {
      const got = readFifo(fd, buf);
      if (got && got.length > 0) {
        said.push(Buffer.from(got.subarray(1)));
        break;
      }
      if (!alive(rec.pid, rec.startTime)) {
        // It may have written its byte, exec'd and exited between our read and this check: read once more.
        const last = readFifo(fd, buf);
        if (last && last.length > 0) {
          said.push(Buffer.from(last.subarray(1)));
          break;
        }
        throw new PlancError('bad-state', 'the container init exited before it was started', { where: rec.id });
      }
      sleepMs(1);
    }
    dir.unlink(FILES.fifo);
    for (let waited = 0; ; waited++) {
      const got = readFifo(fd, buf);
      if (got === null) break;
      if (got.length > 0) said.push(Buffer.from(got));
      else if (waited > EXEC_WAIT_MS) throw new PlancError('system', `the container init has not run its process ${EXEC_WAIT_MS / 1000} s after start`, { where: rec.id });
      else sleepMs(1);
    }
  } finally {
    closeSync(fd);
  }
  confirmExec(dir, Buffer.concat(said));
}

// How the kernel says the errors an init can meet writing its trail or exec'ing (strerror's words).
const ERRNO_WORDS: Record<string, string> = {
  ENOSPC: 'no space left on device', EDQUOT: 'disk quota exceeded', EIO: 'input/output error', EROFS: 'read-only file system',
  EBADF: 'bad file descriptor', EFBIG: 'file too large', ENOEXEC: 'exec format error', EACCES: 'permission denied', ENOENT: 'no such file or directory',
};
function errnoText(e: number): string {
  const name = Object.entries(OS.errno).find(([, n]) => n === e)?.[0];
  return name ? ERRNO_WORDS[name] ?? name : `errno ${e}`;
}

/**
 * After the fifo closed: what the init said about its exec (PROTOCOL.md) —
 * 'X' + the chain head after its pending record, then 'F' + errno for a
 * failed execve it recorded, or 'A' + errno for a record it could not write
 * — turned into the confirmation record, or an error.
 */
function confirmExec(dir: ContainerDir, said: Buffer): void {
  let pending = false;
  let failure: { kind: string; errno: number } | null = null;
  for (let k = 0; k < said.length && !failure; ) {
    const c = String.fromCharCode(said[k]!);
    if (c === 'X' && k + 37 <= said.length) {
      pending = true;
      k += 37;
    } else if ((c === 'F' || c === 'A') && k + 5 <= said.length) {
      failure = { kind: c, errno: said.readInt32LE(k + 1) };
    } else failure = { kind: '?', errno: 0 };
  }
  if (failure?.kind === 'A') throw new PlancError('audit', `the container init could not write its audit record (${errnoText(failure.errno)}) and stopped before running its process`, { where: dir.id });
  if (failure?.kind === 'F') throw new PlancError('exec-failed', `the container process could not be executed: ${errnoText(failure.errno)}`, { where: dir.id });
  const exec = readPlan(dir)?.actions.findIndex((a) => a.op === 'exec') ?? -1;
  if (!pending || failure || exec < 0) throw new PlancError('exec-failed', 'the container init stopped before its exec was recorded', { where: dir.id });
  const trail = openTrail(dir);
  if (!trail) return;
  try {
    trail.append({ i: exec, op: 'exec', stage: 'init', r: 'ok', t: nowMicros(), by: 'start' });
    trail.flush();
  } finally {
    trail.release();
  }
}

const EXEC_RECORDED = /"op":"exec","stage":"init","r":"(pending|error)"/;

/**
 * The container's trail, open at its head; null for a state directory
 * without one. The init writes its last records (the wait's, the exec's)
 * itself once the fifo was opened; when a `start` died before it saw them,
 * the next verb waits (up to 2 s) for them, so two writers never append at once.
 */
export function openTrail(dir: ContainerDir): Trail | null {
  const ref = trailRefOf(dir);
  if (!ref) return null;
  for (let waited = 0; waited < 2000; waited++) {
    const text = trailBytesOf(dir)?.toString('utf8') ?? '';
    if (!text.includes('"op":"execfifo.wait"') || EXEC_RECORDED.test(text)) break;
    sleepMs(1);
  }
  return Trail.open(ref);
}

/** Where a small plan's records go. */
export interface Audit {
  trail: Trail | null;
}

/**
 * `planc update`: the writes planner/live.ts planned, all or nothing
 * (state/live.ts applyWrites), each recorded once it is made; a failed write
 * is recorded with what putting the earlier ones back did.
 */
export function update(dir: ContainerDir, writes: { why: string; path: string; file: string; value: string }[], inputs: string[], cgroups: OwnedCgroup[], audit: Audit): void {
  const plan = planUpdateWrites({ containerId: dir.id }, writes);
  let of = -1;
  if (audit.trail) of = audit.trail.beginPlan(plan, { inputs });
  let done = 0;
  try {
    applyWrites(writes as never, inputs, cgroups, (k) => {
      audit.trail?.record(of, k, 'cgroup.write', 'ok');
      done = k + 1;
    });
  } catch (e) {
    if (done < writes.length) audit.trail?.record(of, done, 'cgroup.write', 'error', { msg: (e as Error).message });
    throw e;
  } finally {
    audit.trail?.flush();
  }
}
