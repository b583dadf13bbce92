// The canonical encoding of a Plan: msgpack of the plan with every object's
// keys sorted (so the bytes never depend on the order code happened to build
// objects in), and its sha256 digest. Same plan → same bytes → same digest,
// in any JS engine.
import { Packr } from 'msgpackr';
import type { Plan } from '../schemas/generated/plan.js';
import { sha256Hex } from './sha256.js';

const packr = new Packr({ useRecords: false, variableMapSize: true, mapsAsObjects: true });

/** Deep copy with sorted keys and no undefined members. */
export function canonical<T>(v: T): T {
  if (Array.isArray(v)) return v.map(canonical) as T;
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = canonical(x);
    }
    return out as T;
  }
  return v;
}

export function encodePlan(plan: Plan): Uint8Array {
  return packr.pack(canonical(plan));
}

export function decodePlan(bytes: Uint8Array): Plan {
  return packr.unpack(bytes) as Plan;
}

export function digestOf(bytes: Uint8Array): string {
  return 'sha256:' + sha256Hex(bytes);
}

/** Canonical JSON text of a plan (two-space indent), for `planc plan --json`. */
export function planJson(plan: Plan): string {
  return JSON.stringify(canonical(plan), null, 2);
}
