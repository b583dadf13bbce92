// --audit-log: an operator's own log of every privileged action of every
// container, beside the durable audit store. Records are copied from the
// container's trail as they become final, each tagged with the container and
// the plan it belongs to. The store's trail is the one that verifies (its
// hash chain and plan are there); this copy is for log shippers.
import { appendCallerLog } from '../caller-files.js';
import { trailBytesOf } from '../audit/store.js';
import type { ContainerDir } from './gate.js';
import { type ContainerRecord, saveRecord } from './store.js';

/** Append the records not yet exported, note how many the trail held, and save that. */
export function exportAudit(dir: ContainerDir, rec: ContainerRecord): void {
  if (!rec.auditLog) return;
  const lines = (trailBytesOf(dir)?.toString('utf8') ?? '').split('\n').slice(1).filter(Boolean);
  const fresh = lines.slice(rec.auditExported ?? 0);
  if (fresh.length === 0) return;
  const tag = `{"container":${JSON.stringify(rec.id)},"planDigest":${JSON.stringify(rec.planDigest)},`;
  appendCallerLog('--audit-log', rec.auditLog, fresh.map((l) => tag + l.slice(1) + '\n').join(''));
  rec.auditExported = lines.length;
  saveRecord(dir, rec);
}
