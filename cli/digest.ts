// The plan digest computed with Node's native sha256: the same value as the
// planner's portable digestOf (test/unit/planner.test.ts checks they agree),
// without paying for a cold pure-JS hash at every start.
import { createHash } from 'node:crypto';

export function digest(bytes: Uint8Array): string {
  return 'sha256:' + createHash('sha256').update(bytes).digest('hex');
}
