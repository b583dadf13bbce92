// The parsed config as the planner sees it. Integer fields that may exceed
// 2^53 arrive as bigint (see json.ts), so numbers are read through u64/int.
import type { Config as SchemaConfig } from '../schemas/generated/config.js';
import { PlancError } from '../schemas/error.js';

export type Config = SchemaConfig;

export function u64(v: unknown): string {
  if (typeof v === 'bigint') return v < 0n ? String(BigInt.asUintN(64, v)) : String(v);
  if (typeof v === 'number') return v < 0 ? String(BigInt.asUintN(64, BigInt(v))) : String(v);
  throw new PlancError('invalid-config', `expected an integer, got ${typeof v}`);
}

/** A signed integer as a decimal string (cgroup files take -1 for "unlimited"). */
export function int(v: unknown): string {
  if (typeof v === 'bigint' || typeof v === 'number') return String(v);
  throw new PlancError('invalid-config', `expected an integer, got ${typeof v}`);
}
