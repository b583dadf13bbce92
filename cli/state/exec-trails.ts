// Exec trails: every `planc exec` into a container keeps its plan and its
// trail in the durable audit store, beside the container's own trail
// (docs/audit.md):
//
//   <audit-dir>/<id>/<seq>.exec-<n>.plan.msgpack   the exact plan bytes the executor was given
//   <audit-dir>/<id>/<seq>.exec-<n>.audit.jsonl    its trail: the executor's header and
//                                                  records, chained, as a create's
//
// n counts 1, 2, … per container; an exec claims the next free n under the
// container's lock, with O_EXCL. The container's own trail ties them in: a
// line naming exec n and its plan's digest before the executor runs (fail
// closed: an exec that cannot be recorded does not run), and one with the
// exec trail's line count and last line's hash once it has run — so an exec
// trail removed, cut or rewritten later no longer matches the chain of the
// container's. `delete` never removes them.
import { createHash } from 'node:crypto';
import { closeSync } from 'node:fs';
import { PlancError } from '../../schemas/error.js';
import { appendCallerLog } from '../caller-files.js';
import { AuditStore, trailRefOf, type TrailRef } from '../audit/store.js';
import { caller, nowMicros, type Trail } from '../audit/trail.js';
import type { ContainerDir } from './gate.js';
import { openTrail } from './lifecycle.js';
import type { ContainerRecord } from './store.js';

export interface ExecTrail {
  n: number;
  /** The exec's trail, open O_RDWR|O_APPEND, empty: the executor's. */
  fd: number;
  path: string;
  ref: TrailRef;
  /** The container's trail, open at its head. */
  container: Trail;
}

/**
 * Claim the next exec trail (the caller holds the container's lock): the plan stored, the
 * trail made, and the exec named in the container's trail before anything runs.
 */
export function beginExecTrail(dir: ContainerDir, bytes: Uint8Array, digest: string): ExecTrail {
  const ref = trailRefOf(dir);
  const container = openTrail(dir);
  if (!ref || !container) throw new PlancError('bad-state', 'the container has no audit trail to record an exec in; planc exec runs nothing it cannot record', { where: dir.id });
  try {
    const store = AuditStore.open(ref.dir);
    if (!store) throw new PlancError('audit', `the audit store ${ref.dir} is gone`);
    try {
      const { n, fd, path } = store.beginExec(ref, bytes);
      try {
        container.append({ exec: { n, planDigest: digest }, by: caller(), t: nowMicros() });
      } catch (e) {
        closeSync(fd);
        throw e;
      }
      return { n, fd, path, ref, container };
    } finally {
      store.close();
    }
  } catch (e) {
    container.release();
    throw e;
  }
}

/** Once the executor is done: the exec trail's length and last line's hash into the container's trail. */
export function endExecTrail(t: ExecTrail, started: boolean): void {
  try {
    const store = AuditStore.open(t.ref.dir);
    const bytes = store?.readExec(t.ref, t.n).trail ?? Buffer.alloc(0);
    store?.close();
    const lines = bytes.toString('utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    const head = lines.length ? createHash('sha256').update(lines.at(-1)!).digest('hex') : '';
    t.container.append({ exec: { n: t.n, lines: lines.length, head, started }, t: nowMicros() });
    t.container.flush();
  } finally {
    t.container.release();
  }
}

/** --audit-log: an exec's records, tagged with the container, the exec's number and its plan's digest. */
export function exportExecAudit(rec: ContainerRecord, t: Pick<ExecTrail, 'n' | 'ref'>, digest: string): void {
  if (!rec.auditLog) return;
  const store = AuditStore.open(t.ref.dir);
  const text = store?.readExec(t.ref, t.n).trail?.toString('utf8') ?? '';
  store?.close();
  const lines = text.split('\n').slice(1).filter(Boolean);
  if (lines.length === 0) return;
  const tag = `{"container":${JSON.stringify(rec.id)},"exec":${t.n},"planDigest":${JSON.stringify(digest)},`;
  appendCallerLog('--audit-log', rec.auditLog, lines.map((l) => tag + l.slice(1) + '\n').join(''));
}
