// Converts a seccomp profile in Docker's format (moby profiles/seccomp, containers-common's
// seccomp.json: archMap, includes/excludes by arch, capability and kernel) into runtime-spec's
// linux.seccomp, the way engines do before they write config.json (moby's setupSeccomp,
// containers/common pkg/seccomp): only what applies to this architecture and capability set.

export interface DockerProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: Array<{ architecture: string; subArchitectures?: string[] }>;
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: DockerSyscall[];
}

interface Filter {
  arches?: string[];
  caps?: string[];
  minKernel?: string;
}

interface DockerSyscall {
  name?: string;
  names?: string[];
  action: string;
  errnoRet?: number;
  args?: Array<{ index: number; value: number | bigint; valueTwo?: number | bigint; op: string }> | null;
  includes?: Filter;
  excludes?: Filter;
  comment?: string;
}

/** Go's GOARCH for the engines' archMap key and includes/excludes.arches. */
const SCMP_OF_GOARCH: Readonly<Record<string, string>> = {
  amd64: 'SCMP_ARCH_X86_64',
  arm64: 'SCMP_ARCH_AARCH64',
};

function kernelAtLeast(have: string, want: string): boolean {
  const p = (v: string) => v.split('.').map((x) => parseInt(x, 10) || 0);
  const [a, b] = [p(have), p(want)];
  for (let i = 0; i < Math.max(a.length, b.length); i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}

/**
 * @param goarch   'amd64' or 'arm64'
 * @param caps     the container's bounding capabilities, e.g. ['CAP_CHOWN', …]
 * @param kernel   the kernel version minKernel filters compare with, e.g. '6.1'
 */
export function dockerToOci(p: DockerProfile, goarch: string, caps: readonly string[], kernel: string) {
  const native = SCMP_OF_GOARCH[goarch];
  if (!native) throw new Error(`no archMap key for GOARCH ${goarch}`);
  if (p.architectures?.length && p.archMap?.length) throw new Error("'architectures' and 'archMap' were specified in the seccomp profile, use either 'architectures' or 'archMap'");
  const architectures = [...(p.architectures ?? [])];
  for (const a of p.archMap ?? []) if (a.architecture === native) architectures.push(a.architecture, ...(a.subArchitectures ?? []));
  const syscalls = [];
  for (const s of p.syscalls ?? []) {
    if (s.name && s.names?.length) throw new Error("'name' and 'names' were specified in the seccomp profile, use either 'name' or 'names'");
    const names = s.name ? [s.name] : [...(s.names ?? [])];
    const ex = s.excludes ?? {};
    if (ex.arches?.includes(goarch)) continue;
    if (ex.caps?.some((c) => caps.includes(c))) continue;
    if (ex.minKernel && kernelAtLeast(kernel, ex.minKernel)) continue;
    const inc = s.includes ?? {};
    if (inc.arches?.length && !inc.arches.includes(goarch)) continue;
    if (inc.caps?.some((c) => !caps.includes(c))) continue;
    if (inc.minKernel && !kernelAtLeast(kernel, inc.minKernel)) continue;
    syscalls.push({
      names,
      action: s.action,
      ...(s.errnoRet !== undefined ? { errnoRet: s.errnoRet } : {}),
      ...(s.args?.length ? { args: s.args.map((a) => ({ index: a.index, value: a.value, valueTwo: a.valueTwo ?? 0, op: a.op })) } : {}),
    });
  }
  return {
    defaultAction: p.defaultAction,
    ...(p.defaultErrnoRet !== undefined ? { defaultErrnoRet: p.defaultErrnoRet } : {}),
    ...(architectures.length ? { architectures } : {}),
    ...(p.flags ? { flags: p.flags } : {}),
    ...(p.listenerPath ? { listenerPath: p.listenerPath } : {}),
    ...(p.listenerMetadata ? { listenerMetadata: p.listenerMetadata } : {}),
    syscalls,
  };
}

/** podman's default capabilities (containers.conf default_capabilities). */
export const PODMAN_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_NET_BIND_SERVICE',
  'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT',
];
/** Docker's default capabilities (moby oci/caps/defaults.go). */
export const DOCKER_CAPS = [...PODMAN_CAPS, 'CAP_AUDIT_WRITE', 'CAP_MKNOD', 'CAP_NET_RAW'];
