// What in a plan weakens isolation, said plainly. These become plan warnings,
// so explain shows them, lint can gate on them and diff shows when a change
// adds one.
import type { PlanContext } from './context.js';
import { warn } from './context.js';
import { hostPathRisk } from './host-paths.js';
import { parseOptions } from './mounts.js';
import { clean, dirname, isAbsolute, join, pointer, within } from './paths.js';

// Capabilities that are, or easily become, root on the host.
const DANGEROUS_CAPS = ['CAP_SYS_ADMIN', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_PTRACE', 'CAP_DAC_READ_SEARCH', 'CAP_NET_ADMIN', 'CAP_SYS_BOOT', 'CAP_MAC_ADMIN', 'CAP_BPF', 'CAP_SYS_TIME', 'CAP_MKNOD', 'CAP_SETFCAP'];

// Where the engines keep a container's root filesystem themselves (an absolute
// root.path there is how podman and CRI-O run containers): not a finding.
const ROOTFS_STORES = [/^\/var\/lib\/containers\/storage\/overlay\/[^/]+\/merged$/, /^\/var\/lib\/docker\/overlay2\/[^/]+\/merged$/, /^\/(root|home\/[^/]+)\/\.local\/share\/containers\/storage\/overlay\/[^/]+\/merged$/];

export function noteRisks(ctx: PlanContext): void {
  const c = ctx.config;
  const caps = c.process?.capabilities;
  for (const set of ['bounding', 'effective'] as const) {
    (caps?.[set] ?? []).forEach((cap, k) => {
      if (DANGEROUS_CAPS.includes(cap)) warn(ctx, 'dangerous-capability', pointer('process', 'capabilities', set, k), `${cap} in the ${set} set gives the container host-level power`, cap);
    });
  }
  if ((caps?.bounding?.length ?? 0) >= 38) warn(ctx, 'privileged', '/process/capabilities/bounding', 'nearly every capability is kept: this is a privileged container');
  noteHostPaths(ctx);
  noteDeviceBinds(ctx);
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

/** planc's own --root (the parent of the state directory) is runtime state like /run/planc. */
function stateRoot(ctx: PlanContext): { code: string; what: string; paths: string[] }[] {
  const root = dirname(ctx.facts.stateDir);
  return root === '/' ? [] : [{ code: 'runtime-state', what: "planc's own state (--root)", paths: [root] }];
}

/**
 * Bind sources and the rootfs, by what they are on the host (host-paths.ts).
 * A relative source or root.path is resolved against the bundle first, as
 * the plan resolves it; what stays inside the bundle is the container's own
 * and judged only by what the host said it leads to.
 */
function noteHostPaths(ctx: PlanContext): void {
  const { config: c, facts } = ctx;
  const bundle = clean(facts.bundle);
  const extra = stateRoot(ctx);
  (c.mounts ?? []).forEach((m, k) => {
    const opts = parseOptions(m.options ?? [], pointer('mounts', k));
    const bind = m.type === 'bind' || opts.bind !== false;
    const ro = opts.flags.includes('ro');
    if (m.type === 'sysfs' && !ro) warn(ctx, 'writable-sys', pointer('mounts', k), '/sys is mounted writable');
    if (!bind || m.source === undefined) return;
    const src = join(bundle, m.source);
    const inBundle = within(src, bundle);
    if (!isAbsolute(m.source) && !inBundle) {
      warn(ctx, 'source-outside-bundle', pointer('mounts', k, 'source'), `relative source ${JSON.stringify(m.source)} resolves to ${src}, outside the bundle ${bundle}`, src);
    }
    const risk = hostPathRisk(src, facts.hostPaths?.[src], { extra, own: bundle });
    if (!risk) return;
    // A read-only /sys is what the container's own sysfs mount would show (runc's rootless spec binds it so): a warning, not an error.
    const code = risk.code === 'host-kernel-fs' && ro && within(src, '/sys') ? 'host-path' : risk.code;
    warn(ctx, code, pointer('mounts', k), `host path ${risk.what}; it is bound ${ro ? 'read-only' : 'writable'} into the container`, src);
  });
  const rootPath = c.root?.path;
  if (rootPath === undefined) return;
  const rootfs = ctx.rootfs;
  if (within(rootfs, bundle)) return;
  if (!isAbsolute(rootPath)) warn(ctx, 'rootfs-outside-bundle', '/root/path', `root.path ${JSON.stringify(rootPath)} resolves to ${rootfs}, outside the bundle ${bundle}`, rootfs);
  if (ROOTFS_STORES.some((re) => re.test(rootfs))) return;
  // A rootfs is the container's whole world: only what must never be one counts, not every directory of the host.
  const risk = hostPathRisk(rootfs, facts.hostPaths?.[rootfs], { extra });
  if (risk && risk.code !== 'host-path' && risk.code !== 'host-device') warn(ctx, risk.code, '/root/path', `the rootfs is a host path: ${risk.what}`, rootfs);
}

const DEVICE_TYPES: Record<string, string> = { c: 'char', u: 'char', b: 'block', p: 'fifo' };

/**
 * In a user namespace a device entry cannot be made with mknod: the host's
 * node at the same path is bind-mounted instead (devices.ts). An entry whose
 * path is not a device under /dev hands over that host file.
 */
function noteDeviceBinds(ctx: PlanContext): void {
  if (!ctx.newNs.has('user')) return;
  (ctx.config.linux?.devices ?? []).forEach((d, k) => {
    const path = clean(d.path);
    const why = pointer('linux', 'devices', k);
    const seen = ctx.facts.hostPaths?.[path];
    const lead = `in a user namespace, device ${path} is bind-mounted from the host's ${path}`;
    if (path === '/dev' || !within(path, '/dev')) {
      const risk = hostPathRisk(path, seen, { extra: stateRoot(ctx) });
      return warn(ctx, 'device-host-bind', why, `${lead}, which is not a device under /dev${risk ? `: ${risk.what}` : ''}`, path);
    }
    const want = DEVICE_TYPES[d.type] ?? d.type;
    if (seen?.type && seen.type !== want) warn(ctx, 'device-host-bind', why, `${lead}, which is ${seen.type === 'missing' ? 'missing' : `a ${seen.type}`} on this host, not a ${want} device`, path);
  });
}
