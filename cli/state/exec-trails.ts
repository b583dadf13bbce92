// Exec trails: every `planc exec` into a container keeps its plan and its
// audit log beside the container's own, in the container's state directory,
// in the same format (executor/PROTOCOL.md, "Exec plans"):
//
//   exec-<n>.plan.msgpack   the exact plan bytes the executor was given
//   exec-<n>.audit.jsonl    a header line (planDigest, containerId, actions), then
//                           one record per applied action, written by the executor
//
// n counts 1, 2, … per container; an exec claims the next free n under the
// container's lock, with O_EXCL. This is the whole interface: `planc audit`
// verifies each trail against its plan (execTrails), --audit-log receives
// its records tagged with the exec's plan digest (exportExecAudit), and
// `delete` removes the trails with the state directory.
import { closeSync, constants as C, writeSync } from 'node:fs';
import { PlancError } from '../../schemas/error.js';
import { appendCallerLog } from '../caller-files.js';
import { errnoWords } from '../errno.js';
import type { ContainerDir } from './gate.js';
import { sleepMs } from './procfs.js';
import type { ContainerRecord } from './store.js';

const PLAN_FILE = /^exec-([1-9][0-9]{0,8})\.plan\.msgpack$/;
/** More execs than this into one container, and planc asks for it to be recreated. */
const MAX_EXECS = 999_999_999;

export const execPlanFile = (n: number): string => `exec-${n}.plan.msgpack`;
export const execAuditFile = (n: number): string => `exec-${n}.audit.jsonl`;

/** The numbers of the exec trails in the directory, in order. */
export function execTrails(dir: Pick<ContainerDir, 'names'>): number[] {
  return dir
    .names()
    .map((name) => PLAN_FILE.exec(name)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

/**
 * The next trail (the caller holds the container's lock): its plan written whole, under a number
 * no earlier exec used. Returns the number; the audit log is opened by the caller (openAudit).
 */
export function claimExecTrail(dir: ContainerDir, bytes: Uint8Array): number {
  const n = (execTrails(dir).at(-1) ?? 0) + 1;
  if (n > MAX_EXECS) throw new PlancError('bad-state', `${MAX_EXECS} execs into this container: its state directory holds no more trails`, { where: dir.id });
  let fd = -1;
  try {
    fd = dir.openFile(execPlanFile(n), C.O_WRONLY | C.O_CREAT | C.O_EXCL, 0o600);
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
  } catch (e) {
    throw new PlancError('system', `write ${dir.path}/${execPlanFile(n)}: ${errnoWords(e)}`);
  } finally {
    if (fd >= 0) closeSync(fd);
  }
  return n;
}

/**
 * --audit-log: an exec's records, tagged with the container, the exec's number and its plan's
 * digest. The process writes its last record (exec) itself just before execve: wait briefly for it.
 */
export function exportExecAudit(dir: ContainerDir, rec: ContainerRecord, n: number, digest: string): void {
  if (!rec.auditLog) return;
  const text = () => dir.read(execAuditFile(n))?.toString('utf8') ?? '';
  for (let waited = 0; waited < 1000 && !/"op":"exec","stage"[^\n]*\n$/.test(text()) && !text().includes('"r":"error"'); waited++) sleepMs(1);
  const lines = text().split('\n').slice(1).filter(Boolean);
  if (lines.length === 0) return;
  const tag = `{"container":${JSON.stringify(rec.id)},"exec":${n},"planDigest":${JSON.stringify(digest)},`;
  appendCallerLog('--audit-log', rec.auditLog, lines.map((l) => tag + l.slice(1) + '\n').join(''));
}
