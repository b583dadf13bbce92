// RFC 6902 add/replace, enough for the lint fixtures (test/unit/fixtures/lint):
// arrays by index or "-", objects by key. Changes `doc` in place.
import type { Json } from '../../planner/json.js';

export interface PatchOp {
  op: 'add' | 'replace';
  path: string;
  value: unknown;
}

export function applyPatch(doc: Json, patch: PatchOp[]): Json {
  for (const { op, path, value } of patch) {
    const keys = path.slice(1).split('/').map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = keys.pop()!;
    let at = doc as Record<string, unknown>;
    for (const k of keys) at = at[k] as Record<string, unknown>;
    if (Array.isArray(at)) {
      if (op === 'add') at.splice(last === '-' ? at.length : Number(last), 0, value);
      else at[Number(last)] = value;
    } else {
      if (op === 'replace' && !(last in at)) throw new Error(`replace of a missing ${path}`);
      at[last] = value;
    }
  }
  return doc;
}
