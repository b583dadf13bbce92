// The files of a container's state directory and how they are read back:
// state.json (the record, schema-checked), plan.msgpack (the exact plan
// bytes; exec checks them, cli/exec-inputs.ts checkStoredPlan), exec.fifo, and audit.json
// (where the container's trail is in the durable audit store, cli/audit/).
// Everything goes through a ContainerDir
// (gate.ts), so every name is resolved inside the directory planc checked.
import type { ContainerRecord, OwnedCgroup } from '../../schemas/generated/record.js';
import validateRecord from '../../schemas/generated/validate-record.js';
import { PlancError } from '../../schemas/error.js';
import { type Json, parseJson, stringifyJson, withNumbers } from '../../planner/json.js';
import { checkId, ContainerDir, StateRoot } from './gate.js';

export type { ContainerRecord, OwnedCgroup };

export const FILES = { record: 'state.json', plan: 'plan.msgpack', fifo: 'exec.fifo' } as const;

/** --root for a verb that reads or changes existing containers; null when the root does not exist. */
export function openRoot(flag: string): StateRoot | null {
  return StateRoot.open(flag);
}

export function saveRecord(dir: ContainerDir, rec: ContainerRecord): void {
  // stringifyJson: resources may hold 64-bit limits beyond 2^53, kept exact.
  dir.write(FILES.record, stringifyJson(rec));
}

/** The record, or null when there is none (a create that has not finished, or crashed). */
export function readRecord(dir: ContainerDir): ContainerRecord | null {
  const bytes = dir.read(FILES.record, 1 << 20);
  if (bytes === null) return null;
  let value: unknown;
  try {
    value = parseJson(bytes.toString('utf8'), `${dir.path}/${FILES.record}`);
  } catch (e) {
    throw new PlancError('bad-state', `${dir.path}/${FILES.record} is not valid JSON (${(e as Error).message}); left alone`);
  }
  // Validated with bigints as numbers (the schema bounds no 64-bit field); the exact value is what is used.
  if (!validateRecord(withNumbers(value as Json)) || (value as ContainerRecord).id !== dir.id) {
    const why = validateRecord.errors?.[0] ? `${validateRecord.errors[0].instancePath || '/'} ${validateRecord.errors[0].message}` : `it names container ${JSON.stringify((value as { id?: unknown }).id)}`;
    throw new PlancError('bad-state', `${dir.path}/${FILES.record} is not a state planc wrote (${why}); left alone`);
  }
  return value as ContainerRecord;
}

/** The record of a container that must exist (state, start, kill, ps): not-found when it is still being created. */
export function loadRecord(dir: ContainerDir): ContainerRecord {
  const rec = readRecord(dir);
  if (!rec) throw new PlancError('not-found', 'container does not exist', { where: dir.id });
  return rec;
}

/**
 * The gate for a verb that names an existing container: the id is checked
 * before anything on disk is touched, then --root and the container's
 * directory are opened and checked.
 */
export function openContainer(rootFlag: string, id: string): ContainerDir {
  checkId(id);
  const root = openRoot(rootFlag);
  if (!root) throw new PlancError('not-found', 'container does not exist', { where: id });
  return ContainerDir.open(root, id);
}
