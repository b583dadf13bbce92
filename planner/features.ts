// `planc features` (runtime-spec features.md), computed from the same tables
// the planner uses, so it never claims what planning would refuse.
import { MOUNT_OPTIONS } from './mounts.js';
import { NAMESPACES } from './namespaces.js';
import { CAPABILITIES } from './process.js';
import { HOOKS } from './hooks.js';

// What the planner refuses today (plan.ts NOT_YET, namespaces.ts): kept out of the lists below.
const NOT_PLANNED_NAMESPACES = new Set(['time']);

export function features(): Record<string, unknown> {
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: '1.3.0',
    hooks: Object.keys(HOOKS),
    mountOptions: Object.keys(MOUNT_OPTIONS).sort(),
    linux: {
      namespaces: NAMESPACES.filter((n) => !NOT_PLANNED_NAMESPACES.has(n)),
      capabilities: [...CAPABILITIES],
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false, rdma: false },
      seccomp: { enabled: false },
      apparmor: { enabled: false },
      selinux: { enabled: false },
      intelRdt: { enabled: false },
      mountExtensions: { idmap: { enabled: false } },
    },
    annotations: { 'org.opencontainers.runc.checkpoint.enabled': 'false', 'dev.planc.plan.digest': 'sha256' },
  };
}
