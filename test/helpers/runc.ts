// Where runc is, for the differential tests (planc and runc on the same bundle)
// and for the skip gate's "no runc" condition. No side effects on import.
import { accessSync, constants as C } from 'node:fs';
import { join } from 'node:path';

/** runc's path: /usr/sbin/runc (Debian's package), else the first runc on PATH; null when there is none. */
export function runcBinary(): string | null {
  const dirs = ['/usr/sbin', ...(process.env.PATH ?? '').split(':').filter(Boolean)];
  for (const d of dirs) {
    try {
      accessSync(join(d, 'runc'), C.X_OK);
      return join(d, 'runc');
    } catch {
      // not here
    }
  }
  return null;
}
