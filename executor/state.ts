// The state directory: <root>/<id>/{state.json, plan.msgpack, audit.jsonl, exec.fifo}.
// Every write is temp file + rename, so a reader never sees half a state and a
// crash leaves either the old file or the new one (and `delete --force` cleans up).
import { closeSync, mkdirSync, openSync, writeSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { unpack } from 'msgpackr';
import type { Plan } from '../schemas/generated/plan.js';
import { PlancError } from '../schemas/error.js';
import { sleepMs } from './proc.js';

export const DEFAULT_ROOT = '/run/planc';

/** What planc keeps about a container (a superset of the OCI state). */
export interface ContainerRecord {
  ociVersion: string;
  id: string;
  /** The init's pid in the runtime's pid namespace. */
  pid: number;
  /** /proc/<pid>/stat start time, so a reused pid is not mistaken for the container. */
  startTime: string;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations?: Record<string, string>;
  planDigest: string;
  cgroupPaths: string[];
  /** Did the container get its own pid namespace (then killing pid 1 kills them all)? */
  pidNamespace: boolean;
  /** --audit-log: the operator's log the audit records are copied to, and how many were copied. */
  auditLog?: string;
  auditExported?: number;
}

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/;

export function checkId(id: string): void {
  if (!ID_RE.test(id) || id.length > 1024) {
    throw new PlancError('invalid-argument', `invalid container id ${JSON.stringify(id)}: use letters, digits and _ . + -`);
  }
}

export function stateDir(root: string, id: string): string {
  return `${root}/${id}`;
}

/** Claim the id: mkdir is atomic, so two creates of one id cannot both succeed. */
export function claim(root: string, id: string): string {
  checkId(id);
  mkdirSync(root, { recursive: true, mode: 0o711 });
  const dir = stateDir(root, id);
  try {
    mkdirSync(dir, { mode: 0o711 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new PlancError('exists', `container with id ${JSON.stringify(id)} already exists`);
    throw e;
  }
  return dir;
}

export function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data, { mode: 0o600 });
  renameSync(tmp, path);
}

export function saveRecord(root: string, rec: ContainerRecord): void {
  writeAtomic(`${stateDir(root, rec.id)}/state.json`, JSON.stringify(rec));
}

export function loadRecord(root: string, id: string): ContainerRecord {
  checkId(id);
  let text: string;
  try {
    text = readFileSync(`${stateDir(root, id)}/state.json`, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new PlancError('not-found', 'container does not exist', { where: id });
    throw e;
  }
  return JSON.parse(text) as ContainerRecord;
}

export function listIds(root: string): string[] {
  try {
    return readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory() && ID_RE.test(d.name)).map((d) => d.name).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

export function removeStateDir(root: string, id: string): void {
  rmSync(stateDir(root, id), { recursive: true, force: true });
}

export function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Hold the container's lock for the rest of this process. The lock is a file
 * holding our pid, created O_EXCL; a lock whose holder died (a crashed verb)
 * is taken over, so a crash never wedges a container.
 */
export function lockContainer(root: string, id: string): void {
  const path = `${stateDir(root, id)}/lock`;
  for (let waited = 0; ; waited += 2) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      process.once('exit', () => rmSync(path, { force: true }));
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new PlancError('not-found', 'container does not exist', { where: id });
      if (code !== 'EEXIST') throw e;
    }
    const holder = Number(readFileSync(path, { encoding: 'utf8', flag: 'r' }).trim() || '0');
    if (holder > 0 && !pidExists(holder)) {
      rmSync(path, { force: true });
      continue;
    }
    if (waited > 10_000) throw new PlancError('bad-state', `container is locked by process ${holder}`, { where: id });
    sleepMs(2);
  }
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The cgroups a container's stored plan creates: what a crashed create may have left. */
export function plannedCgroups(root: string, id: string): string[] {
  try {
    return (unpack(readFileSync(`${stateDir(root, id)}/plan.msgpack`)) as Plan).cgroupPaths ?? [];
  } catch {
    return [];
  }
}
