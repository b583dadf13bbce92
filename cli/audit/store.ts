// The durable audit store (docs/audit.md): outside --root, kept when a
// container is deleted. Default /var/lib/planc/audit; --audit-dir or
// PLANC_AUDIT_DIR elsewhere.
//
//   <audit-dir>/<id>/<seq>.plan.msgpack   the exact plan bytes of one create
//   <audit-dir>/<id>/<seq>.audit.jsonl    its trail: the executor's records,
//                                          then kill, delete, the outcome, closed
//   <audit-dir>/<id>/<seq>.exec-<n>.plan.msgpack, .audit.jsonl
//                                          each `planc exec` into that container
//
// <seq> counts the creates of one id (1, 2, …): an id can be reused, a trail
// never is. The store and each id's directory are opened through the same
// gate as --root (cli/state/gate.ts): no symlink followed, owner and mode
// checked, every file reached through the directory's fd.
import { closeSync, constants as C, fstatSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { isPlancError, PlancError } from '../../schemas/error.js';
import { errnoWords } from '../errno.js';
import { checkId, ContainerDir, quote, StateRoot } from '../state/gate.js';

export const DEFAULT_AUDIT_DIR = '/var/lib/planc/audit';

/**
 * The store's directory: --audit-dir, else PLANC_AUDIT_DIR, else the default —
 * for root /var/lib/planc/audit, for a rootless planc its user's data
 * directory ($XDG_DATA_HOME/planc/audit, else ~/.local/share/planc/audit):
 * durable, and the user's own (the gate refuses a store not owned by planc's user).
 */
export function auditDirOf(flags: { 'audit-dir'?: string }, env: NodeJS.ProcessEnv = process.env, euid = process.geteuid?.() ?? 0): string {
  const dir = flags['audit-dir'] ?? env.PLANC_AUDIT_DIR ?? (euid === 0 ? DEFAULT_AUDIT_DIR : userAuditDir(env));
  if (dir === '' || dir.includes('\0')) throw new PlancError('invalid-argument', `--audit-dir ${quote(dir)}: not a usable directory path`);
  return resolve(dir);
}

function userAuditDir(env: NodeJS.ProcessEnv): string {
  const data = env.XDG_DATA_HOME?.startsWith('/') ? env.XDG_DATA_HOME : `${env.HOME?.startsWith('/') ? env.HOME : homedir()}/.local/share`;
  return `${data}/planc/audit`;
}

/** Which trail: the store, the container id, the create's number. */
export interface TrailRef {
  dir: string;
  id: string;
  seq: number;
}

export const PLAN_SUFFIX = '.plan.msgpack';
export const TRAIL_SUFFIX = '.audit.jsonl';
const TRAIL_NAME = /^([1-9][0-9]{0,8})\.audit\.jsonl$/;
const EXEC_TRAIL_NAME = /^([1-9][0-9]{0,8})\.exec-([1-9][0-9]{0,8})\.audit\.jsonl$/;

/** The files of exec n of create seq. */
export const execName = (seq: number, n: number, suffix: string): string => `${seq}.exec-${n}${suffix}`;

/** The gate's StateRoot, its messages naming --audit-dir (the gate speaks of --root). */
function openRoot(dir: string): StateRoot | null {
  try {
    return StateRoot.open(dir);
  } catch (e) {
    if (isPlancError(e) && e.message.startsWith('--root ')) throw new PlancError(e.code, `--audit-dir ${e.message.slice('--root '.length)}`);
    throw e;
  }
}

export class AuditStore {
  private constructor(
    readonly root: StateRoot,
    readonly dir: string,
  ) {}

  /** Open the store; null when there is none (a create makes it: the native front's apply, cli/native/apply.c). */
  static open(dir: string): AuditStore | null {
    const root = openRoot(dir);
    return root ? new AuditStore(root, root.path) : null;
  }

  /** The ids that have trails. */
  ids(): string[] {
    return this.root.ids();
  }

  /** An id's directory, or null when it has none. */
  idDir(id: string): ContainerDir | null {
    checkId(id);
    try {
      return ContainerDir.open(this.root, id);
    } catch (e) {
      if (isPlancError(e) && e.code === 'not-found') return null;
      throw e;
    }
  }

  /** The numbers of an id's trails, ascending. */
  seqs(dir: ContainerDir): number[] {
    return readdirSync(`/proc/self/fd/${dir.fd}`)
      .map((n) => TRAIL_NAME.exec(n)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  }

  /** The numbers of the execs into create `seq` of an id, ascending. */
  execs(dir: ContainerDir, seq: number): number[] {
    return readdirSync(`/proc/self/fd/${dir.fd}`)
      .map((n) => EXEC_TRAIL_NAME.exec(n))
      .filter((m): m is RegExpExecArray => m !== null && Number(m[1]) === seq)
      .map((m) => Number(m[2]))
      .sort((a, b) => a - b);
  }

  /** An exec trail's plan bytes and text (either null when missing). */
  readExec(ref: TrailRef, n: number): { plan: Buffer | null; trail: Buffer | null } {
    const dir = this.idDir(ref.id);
    if (!dir) return { plan: null, trail: null };
    try {
      return { plan: dir.read(execName(ref.seq, n, PLAN_SUFFIX)), trail: dir.read(execName(ref.seq, n, TRAIL_SUFFIX)) };
    } finally {
      dir.close();
    }
  }

  execPath(ref: TrailRef, n: number): string {
    return `${this.dir}/${ref.id}/${execName(ref.seq, n, TRAIL_SUFFIX)}`;
  }

  /** A trail's plan bytes and text (either null when missing). */
  read(ref: TrailRef): { plan: Buffer | null; trail: Buffer | null } {
    const dir = this.idDir(ref.id);
    if (!dir) return { plan: null, trail: null };
    try {
      return { plan: dir.read(`${ref.seq}${PLAN_SUFFIX}`), trail: dir.read(`${ref.seq}${TRAIL_SUFFIX}`) };
    } finally {
      dir.close();
    }
  }

  /** The trail file, open for reading and appending (for records planc writes itself). */
  openTrail(ref: TrailRef): number {
    const dir = this.idDir(ref.id);
    if (!dir) throw new PlancError('audit', `the audit trail ${this.path(ref)} is gone`);
    try {
      const fd = dir.openFile(`${ref.seq}${TRAIL_SUFFIX}`, C.O_RDWR | C.O_APPEND);
      if (!fstatSync(fd).isFile()) {
        closeSync(fd);
        throw new PlancError('audit', `${this.path(ref)} is not a regular file`);
      }
      return fd;
    } catch (e) {
      if (isPlancError(e)) throw e;
      throw new PlancError('audit', `open the audit trail ${this.path(ref)}: ${errnoWords(e)}`);
    } finally {
      dir.close();
    }
  }

  path(ref: TrailRef): string {
    return `${this.dir}/${ref.id}/${ref.seq}${TRAIL_SUFFIX}`;
  }

  close(): void {
    this.root.close();
  }
}

/** The state directory's pointer to its trail (written before the executor runs), read back as input. */
export const TRAIL_REF_FILE = 'audit.json';

export function parseTrailRef(bytes: Buffer, id: string): TrailRef | null {
  try {
    const v = JSON.parse(bytes.toString('utf8')) as Partial<TrailRef>;
    if (typeof v.dir === 'string' && isAbsolute(v.dir) && !v.dir.includes('\0') && v.id === id && Number.isSafeInteger(v.seq) && (v.seq as number) >= 1) {
      return { dir: v.dir, id, seq: v.seq as number };
    }
  } catch {
    // not JSON: not a pointer planc wrote
  }
  return null;
}

/** The trail a container's state directory points to, or null when it has none (killed before it was written). */
export function trailRefOf(dir: ContainerDir): TrailRef | null {
  const bytes = dir.read(TRAIL_REF_FILE, 4096);
  if (bytes === null) return null;
  const ref = parseTrailRef(bytes, dir.id);
  if (!ref) throw new PlancError('bad-state', `${dir.path}/${TRAIL_REF_FILE} is not a trail reference planc wrote; left alone`);
  return ref;
}

/** The text of a container's trail as it is now (null without one), read through the store's gate. */
export function trailBytesOf(dir: ContainerDir): Buffer | null {
  const ref = trailRefOf(dir);
  if (!ref) return null;
  const store = AuditStore.open(ref.dir);
  if (!store) return null;
  try {
    return store.read(ref).trail;
  } finally {
    store.close();
  }
}
