// `planc features` (runtime-spec features.md), computed from the same tables
// the planner uses, so it never claims what planning would refuse.
import { MPOL_FLAG_TABLE, MPOL_MODE_TABLE } from '../schemas/tables.js';
import { MOUNT_OPTIONS } from './mounts.js';
import { NAMESPACES } from './namespaces.js';
import { CAPABILITIES } from './process.js';
import { HOOKS } from './hooks.js';
import { seccompFeatures } from './seccomp/index.js';

export function features(): Record<string, unknown> {
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: '1.3.0',
    hooks: Object.keys(HOOKS),
    mountOptions: Object.keys(MOUNT_OPTIONS).sort(),
    linux: {
      namespaces: [...NAMESPACES],
      capabilities: [...CAPABILITIES],
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false, rdma: true },
      seccomp: { enabled: true, ...seccompFeatures() },
      apparmor: { enabled: false },
      selinux: { enabled: false },
      intelRdt: { enabled: true, schemata: true, monitoring: true },
      memoryPolicy: { modes: MPOL_MODE_TABLE.map((m) => m.name), flags: MPOL_FLAG_TABLE.map((f) => f.name) },
      mountExtensions: { idmap: { enabled: true } },
      netDevices: { enabled: true },
    },
    annotations: { 'org.opencontainers.runc.checkpoint.enabled': 'false', 'dev.planc.plan.digest': 'sha256' },
  };
}
