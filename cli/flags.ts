// Flag and arg specs that several verbs share, defined once.
import type { ArgSpec, FlagSpec } from './verb.js';

export const idArg = { id: { description: 'the container id', required: true } } as const satisfies Record<string, ArgSpec>;

export const createFlags = {
  bundle: { type: 'string', char: 'b', description: 'path to the root of the bundle directory (default: current directory)' },
  'pid-file': { type: 'string', description: 'file to write the container init pid to (no trailing newline)' },
  'console-socket': { type: 'string', description: "AF_UNIX socket that receives the master of the container's pty (process.terminal), as one SCM_RIGHTS message" },
  'preserve-fds': { type: 'integer', description: 'pass N extra fds (3 … 3+N-1) to the container', default: 0, min: 0 },
  'no-pivot': { type: 'boolean', description: 'use chroot instead of pivot_root (for ramdisk roots)' },
  'no-new-keyring': { type: 'boolean', description: 'accepted for runc compatibility: planc never creates a session keyring' },
  'dry-run': { type: 'boolean', description: 'plan and check everything, print what would be done, touch nothing' },
  'audit-log': { type: 'string', description: "also append the container's audit records, tagged with its id and plan digest, to this file" },
} as const satisfies Record<string, FlagSpec>;

export const planningFlags = {
  bundle: { type: 'string', char: 'b', description: 'bundle directory (default: current directory)' },
  id: { type: 'string', description: 'container id to plan for', default: 'planc-plan' },
  'no-pivot': { type: 'boolean', description: 'plan chroot instead of pivot_root' },
  run: { type: 'boolean', description: 'plan `run` (no wait for start, planc waits for the container) instead of `create`' },
  detach: { type: 'boolean', description: 'with --run: plan `run --detach`' },
  host: { type: 'string', description: 'plan for another host: cgroup-v1, cgroup-v2, or a host profile file (JSON/YAML: cgroup, rootless); default: this host' },
} as const satisfies Record<string, FlagSpec>;

/** plan/explain --process: an exec instead of a create. */
export const execPlanningFlags = {
  process: { type: 'string', char: 'p', description: 'plan `exec --process` of this process.json into the running container --id (--detach: exec --detach)' },
} as const satisfies Record<string, FlagSpec>;

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A Go duration as runc's flags take it ("5s", "500ms", "1m30s", "1.5h"), in milliseconds;
 * null when it is not one. "0" alone is zero, as in Go.
 */
export function parseDuration(text: string): number | null {
  if (text === '0' || text === '+0' || text === '-0') return 0;
  const m = /^([-+]?)((?:[0-9]*\.?[0-9]+(?:ns|us|µs|μs|ms|s|m|h))+)$/.exec(text);
  if (!m) return null;
  let total = 0;
  for (const [, num, unit] of m[2]!.matchAll(/([0-9]*\.?[0-9]+)(ns|us|µs|μs|ms|s|m|h)/g)) total += Number(num) * DURATION_UNITS[unit!]!;
  return m[1] === '-' ? -total : total;
}
