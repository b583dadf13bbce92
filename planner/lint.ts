// Policy checks over a plan: each plan warning is a finding whose level the
// policy sets (error fails CI, warning and note inform, off hides). The rule
// names are the warning codes; schemas/policy.schema.json lists the same set.
import type { Plan } from '../schemas/generated/plan.js';
import type { Level, Policy } from '../schemas/generated/policy.js';

export const DEFAULT_LEVELS: Record<string, Level> = {
  'ambient-dropped': 'note',
  'block-device': 'error',
  'container-store': 'error',
  deprecated: 'note',
  'device-host-bind': 'error',
  'dangerous-capability': 'error',
  // A field that has no effect on what planc starts (process.execCPUAffinity: exec only).
  'exec-cpu-affinity': 'note',
  'devices-allow-all': 'error',
  'host-credentials': 'error',
  'host-device': 'warning',
  'host-kernel-fs': 'error',
  'host-namespace': 'warning',
  // A hugetlb limit the kernel rounds down to whole pages.
  'hugetlb-rounded': 'warning',
  'host-path': 'warning',
  'host-root': 'error',
  'host-socket': 'warning',
  'new-privileges': 'warning',
  'no-apparmor': 'note',
  'no-masks': 'error',
  'no-seccomp': 'warning',
  'no-selinux': 'note',
  privileged: 'error',
  'root-user': 'note',
  'rootfs-outside-bundle': 'warning',
  // Rootless without a delegated cgroup: the container runs in the caller's cgroups, with no limits.
  'rootless-no-cgroup': 'note',
  'runtime-socket': 'error',
  'runtime-state': 'error',
  // A seccomp setting without effect here: an architecture without a syscall table, TSYNC, an errno above MAX_ERRNO.
  'seccomp-note': 'note',
  // A syscall name libseccomp does not know: skipped, as runc skips it; the filter has a hole only if the kernel knows the name.
  'seccomp-unknown-syscall': 'warning',
  // A cgroup the host's own services live in: limits and teardown would reach them.
  'shared-cgroup': 'error',
  'source-outside-bundle': 'warning',
  terminal: 'note',
  // unified rewrites a file a v1 field was converted to: the config says two things.
  'unified-overrides': 'warning',
  'v2-devices': 'error',
  'writable-proc': 'warning',
  'writable-rootfs': 'note',
  'writable-sys': 'error',
  // 0 in a weight, share or period, read as "not set" as runc and crun read it.
  'zero-is-unset': 'note',
};

/** Rules about host paths: a policy's allowHostPaths lifts them for the paths it lists. */
export const HOST_PATH_RULES = new Set(['block-device', 'container-store', 'device-host-bind', 'host-credentials', 'host-device', 'host-kernel-fs', 'host-path', 'host-root', 'host-socket', 'rootfs-outside-bundle', 'runtime-socket', 'runtime-state', 'source-outside-bundle']);

export interface Finding {
  rule: string;
  level: Exclude<Level, 'off'>;
  message: string;
  /** JSON pointer into config.json (or runtime:…). */
  why: string;
}

export function lintPlan(plan: Plan, policy: Policy = {}): Finding[] {
  const allowPaths = new Set(policy.allowHostPaths ?? []);
  const allowCaps = new Set(policy.allowCapabilities ?? []);
  const findings: Finding[] = [];
  for (const w of plan.warnings) {
    const level = policy.rules?.[w.code] ?? DEFAULT_LEVELS[w.code] ?? 'warning';
    if (level === 'off') continue;
    if (w.subject !== undefined && HOST_PATH_RULES.has(w.code) && allowPaths.has(w.subject)) continue;
    if (w.subject !== undefined && w.code === 'dangerous-capability' && allowCaps.has(w.subject)) continue;
    findings.push({ rule: w.code, level, message: w.message, why: w.why });
  }
  return findings;
}

/** SARIF 2.1.0, as code-scanning tools read it: one result per finding, located in config.json. */
export function toSarif(findings: Finding[], configUri: string, version: string): unknown {
  return {
    version: '2.1.0',
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    runs: [{
      tool: { driver: { name: 'planc', version, rules: [...new Set(findings.map((f) => f.rule))].sort().map((id) => ({ id })) } },
      results: findings.map((f) => ({
        ruleId: f.rule,
        level: f.level,
        message: { text: f.message },
        locations: [{ physicalLocation: { artifactLocation: { uri: configUri } }, logicalLocations: [{ fullyQualifiedName: f.why }] }],
      })),
    }],
  };
}
