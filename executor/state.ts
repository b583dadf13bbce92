// The state directory: <root>/<id>/{state.json, plan.msgpack, audit.jsonl, exec.fifo}.
// Every write is temp file + rename, so a reader never sees half a state and a
// crash leaves either the old file or the new one (and `delete --force` cleans up).
import { mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { unpack } from 'msgpackr';
import type { Plan } from '../schemas/generated/plan.js';
import { PlancError } from '../schemas/error.js';

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

/** Hold the container's lock for the rest of this process (released at exit). */
export async function lockContainer(root: string, id: string): Promise<void> {
  const { lockFd } = await import('./sys.js');
  let fd: number;
  try {
    fd = openSync(`${stateDir(root, id)}/lock`, 'a');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new PlancError('not-found', 'container does not exist', { where: id });
    throw e;
  }
  lockFd(fd);
  // fd stays open on purpose: closing it would drop the lock.
}

/** The cgroups a container's stored plan creates: what a crashed create may have left. */
export function plannedCgroups(root: string, id: string): string[] {
  try {
    return (unpack(readFileSync(`${stateDir(root, id)}/plan.msgpack`)) as Plan).cgroupPaths ?? [];
  } catch {
    return [];
  }
}
