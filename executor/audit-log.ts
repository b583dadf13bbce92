// --audit-log: an operator's own log of every privileged action of every
// container, beside each container's audit.jsonl. Records are copied from the
// container's log as they become final, each tagged with the container and
// the plan it belongs to, so one shared file stays verifiable per container.
import { appendFileSync, readFileSync } from 'node:fs';
import { sleepMs } from './proc.js';
import { type ContainerRecord, saveRecord, stateDir } from './state.js';

/** Append the records not yet exported, and note how many the container's log held. */
function exportNew(root: string, rec: ContainerRecord): void {
  if (!rec.auditLog) return;
  const lines = readFileSync(`${stateDir(root, rec.id)}/audit.jsonl`, 'utf8').split('\n').slice(1).filter(Boolean);
  const fresh = lines.slice(rec.auditExported ?? 0);
  if (fresh.length === 0) return;
  const tag = `{"container":${JSON.stringify(rec.id)},"planDigest":${JSON.stringify(rec.planDigest)},`;
  appendFileSync(rec.auditLog, fresh.map((l) => tag + l.slice(1) + '\n').join(''));
  rec.auditExported = lines.length;
}

/** After create (or after the container exited): export and remember how far. */
export function exportAudit(root: string, rec: ContainerRecord): void {
  if (!rec.auditLog) return;
  exportNew(root, rec);
  saveRecord(root, rec);
}

/**
 * After start: the init writes its last records (execfifo.wait, exec) itself,
 * just before execve — wait briefly for the exec record, then export.
 */
export function exportAfterStart(root: string, rec: ContainerRecord): void {
  if (!rec.auditLog) return;
  const log = `${stateDir(root, rec.id)}/audit.jsonl`;
  for (let waited = 0; waited < 1000 && !readFileSync(log, 'utf8').includes('"op":"exec"'); waited++) sleepMs(1);
  exportAudit(root, rec);
}
