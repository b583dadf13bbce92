// `planc features` (runtime-spec features.md), computed from the same tables
// the planner uses, so it never claims what planning would refuse.
import type { Action } from '../schemas/generated/plan.js';
import { MOUNT_OPTIONS } from './mounts.js';
import { NAMESPACES } from './namespaces.js';
import { CAPABILITIES } from './process.js';

type Of<O extends Action['op']> = Extract<Action, { op: O }>;
// The mempolicy.set action's own enums, in the kernel's order (a new mode there is a new line here).
const MPOL_MODES: Record<Of<'mempolicy.set'>['mode'], true> = {
  MPOL_DEFAULT: true, MPOL_PREFERRED: true, MPOL_BIND: true, MPOL_INTERLEAVE: true, MPOL_LOCAL: true, MPOL_PREFERRED_MANY: true, MPOL_WEIGHTED_INTERLEAVE: true,
};
const MPOL_FLAGS: Record<Of<'mempolicy.set'>['flags'][number], true> = { MPOL_F_NUMA_BALANCING: true, MPOL_F_RELATIVE_NODES: true, MPOL_F_STATIC_NODES: true };

export function features(): Record<string, unknown> {
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: '1.3.0',
    hooks: [],
    mountOptions: Object.keys(MOUNT_OPTIONS).sort(),
    linux: {
      namespaces: [...NAMESPACES],
      capabilities: [...CAPABILITIES],
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false, rdma: false },
      seccomp: { enabled: false },
      apparmor: { enabled: false },
      selinux: { enabled: false },
      intelRdt: { enabled: false },
      memoryPolicy: { modes: Object.keys(MPOL_MODES), flags: Object.keys(MPOL_FLAGS) },
      mountExtensions: { idmap: { enabled: true } },
      netDevices: { enabled: true },
    },
    annotations: { 'org.opencontainers.runc.checkpoint.enabled': 'false', 'dev.planc.plan.digest': 'sha256' },
  };
}
