// What in a plan weakens isolation, said plainly. These become plan warnings,
// so explain shows them, lint can gate on them and diff shows when a change
// adds one.
import type { PlanContext } from './context.js';
import { warn } from './context.js';
import { clean, pointer, within } from './paths.js';

// Capabilities that are, or easily become, root on the host.
const DANGEROUS_CAPS = ['CAP_SYS_ADMIN', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_PTRACE', 'CAP_DAC_READ_SEARCH', 'CAP_NET_ADMIN', 'CAP_SYS_BOOT', 'CAP_MAC_ADMIN', 'CAP_BPF', 'CAP_SYS_TIME', 'CAP_MKNOD', 'CAP_SETFCAP'];

// Host paths whose bind mount hands the container the host (or its runtime).
const SENSITIVE = ['/', '/etc', '/root', '/boot', '/proc', '/sys', '/dev', '/run', '/var/run', '/var/lib', '/home', '/usr', '/lib', '/bin', '/sbin'];
const SOCKETS = /(docker|containerd|crio|podman|kubelet)\.sock$/;

export function noteRisks(ctx: PlanContext): void {
  const c = ctx.config;
  const caps = c.process?.capabilities;
  for (const set of ['bounding', 'effective'] as const) {
    (caps?.[set] ?? []).forEach((cap, k) => {
      if (DANGEROUS_CAPS.includes(cap)) warn(ctx, 'dangerous-capability', pointer('process', 'capabilities', set, k), `${cap} in the ${set} set gives the container host-level power`, cap);
    });
  }
  if ((caps?.bounding?.length ?? 0) >= 38) warn(ctx, 'privileged', '/process/capabilities/bounding', 'nearly every capability is kept: this is a privileged container');
  (c.mounts ?? []).forEach((m, k) => {
    const bind = m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind');
    const ro = (m.options ?? []).includes('ro');
    if (bind && m.source?.startsWith('/')) {
      const src = clean(m.source);
      if (SOCKETS.test(src)) warn(ctx, 'runtime-socket', pointer('mounts', k), `${src} is a container runtime socket: whoever can use it controls the host`, src);
      else if (SENSITIVE.some((p) => src === p || (p !== '/' && within(p, src)))) warn(ctx, 'host-path', pointer('mounts', k), `host path ${src} is bound ${ro ? 'read-only' : 'writable'} into the container`, src);
    }
    if (m.type === 'sysfs' && !ro) warn(ctx, 'writable-sys', pointer('mounts', k), '/sys is mounted writable');
  });
  const readonly = new Set((c.linux?.readonlyPaths ?? []).map(clean));
  const hasProc = (c.mounts ?? []).some((m) => m.type === 'proc');
  if (hasProc && !readonly.has('/proc/sys')) warn(ctx, 'writable-proc', '/linux/readonlyPaths', '/proc/sys is writable: the container may change kernel settings of the namespaces it shares');
  if (hasProc && (c.linux?.maskedPaths ?? []).length === 0) warn(ctx, 'no-masks', '/linux/maskedPaths', 'no paths are masked: /proc/kcore, /proc/keys and friends are visible');
  const devices = c.linux?.resources?.devices;
  if (!devices || !devices.some((d) => !d.allow && (d.type ?? 'a') === 'a')) warn(ctx, 'devices-allow-all', '/linux/resources/devices', 'the device cgroup does not deny by default: every device node is usable');
  else if (devices.some((d) => d.allow && (d.type ?? 'a') === 'a')) warn(ctx, 'devices-allow-all', '/linux/resources/devices', 'a device rule allows every device');
  const filter = ctx.actions.find((a) => a.op === 'seccomp.load');
  if (!filter) warn(ctx, 'no-seccomp', '/linux/seccomp', 'no seccomp filter: every system call is allowed');
  // A filter that allows everything on the native ABI is no filter, whatever it does to other ABIs.
  else if (filter.op === 'seccomp.load' && filter.stats.defaultAction.action === 'SCMP_ACT_ALLOW' && filter.stats.conditional.length === 0 && filter.stats.byAction.every((g) => g.action === 'SCMP_ACT_ALLOW')) {
    warn(ctx, 'no-seccomp', '/linux/seccomp', 'the seccomp filter allows every system call');
  }
  if (!c.root?.readonly) warn(ctx, 'writable-rootfs', '/root/readonly', 'the rootfs is writable');
  if (!c.process?.noNewPrivileges) warn(ctx, 'new-privileges', '/process/noNewPrivileges', 'no_new_privs is off: setuid binaries can gain privileges');
  if (c.process?.user?.uid === 0 && !ctx.newNs.has('user')) warn(ctx, 'root-user', '/process/user/uid', 'the process runs as root, and root in the container is root on the host (no user namespace)');
}
