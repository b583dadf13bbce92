// --audit-log: an operator's own log of every privileged action of every
// container, beside each container's audit.jsonl. Records are copied from the
// container's log as they become final, each tagged with the container and
// the plan it belongs to, so one shared file stays verifiable per container.
import { appendCallerLog } from '../caller-files.js';
import type { ContainerDir } from './gate.js';
import { sleepMs } from './procfs.js';
import { type ContainerRecord, FILES, saveRecord } from './store.js';

function auditText(dir: ContainerDir): string {
  return dir.read(FILES.audit)?.toString('utf8') ?? '';
}

/** Append the records not yet exported, note how many the container's log held, and save that. */
export function exportAudit(dir: ContainerDir, rec: ContainerRecord): void {
  if (!rec.auditLog) return;
  const lines = auditText(dir).split('\n').slice(1).filter(Boolean);
  const fresh = lines.slice(rec.auditExported ?? 0);
  if (fresh.length === 0) return;
  const tag = `{"container":${JSON.stringify(rec.id)},"planDigest":${JSON.stringify(rec.planDigest)},`;
  appendCallerLog('--audit-log', rec.auditLog, fresh.map((l) => tag + l.slice(1) + '\n').join(''));
  rec.auditExported = lines.length;
  saveRecord(dir, rec);
}

/**
 * After start: the init writes its last records (execfifo.wait, exec) itself,
 * just before execve — wait briefly for the exec record, then export.
 */
export function exportAfterStart(dir: ContainerDir, rec: ContainerRecord): void {
  if (!rec.auditLog) return;
  for (let waited = 0; waited < 1000 && !auditText(dir).includes('"op":"exec"'); waited++) sleepMs(1);
  exportAudit(dir, rec);
}
