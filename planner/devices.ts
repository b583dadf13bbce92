// /dev contents: the nodes every container gets, the config's devices, and
// the standard symlinks.
import type { PlanContext } from './context.js';
import { add } from './context.js';
import { clean, pointer } from './paths.js';

// What runc creates in every container (and the device cgroup allows, see cgroups.ts).
const DEFAULT_DEVICES = [
  { path: '/dev/null', major: 1, minor: 3 },
  { path: '/dev/zero', major: 1, minor: 5 },
  { path: '/dev/full', major: 1, minor: 7 },
  { path: '/dev/random', major: 1, minor: 8 },
  { path: '/dev/urandom', major: 1, minor: 9 },
  { path: '/dev/tty', major: 5, minor: 0 },
];

export function planDevices(ctx: PlanContext): void {
  const configured = ctx.config.linux?.devices ?? [];
  const listed = new Set(configured.map((d) => clean(d.path)));
  // In a new user namespace mknod is not allowed: the host's node is bind-mounted instead.
  const bind = ctx.newNs.has('user');
  for (const d of DEFAULT_DEVICES) {
    if (listed.has(d.path)) continue;
    if (bind) add(ctx, { stage: 'init', op: 'device.bind', why: 'runtime:default-devices', path: d.path, source: d.path });
    else add(ctx, { stage: 'init', op: 'mknod', why: 'runtime:default-devices', path: d.path, kind: 'c', major: d.major, minor: d.minor, mode: 0o666, uid: 0, gid: 0 });
  }
  configured.forEach((d, k) => {
    const why = pointer('linux', 'devices', k);
    const path = clean(d.path);
    if (bind) return add(ctx, { stage: 'init', op: 'device.bind', why, path, source: path });
    add(ctx, {
      stage: 'init', op: 'mknod', why, path, kind: d.type as 'c' | 'b' | 'u' | 'p',
      major: Number(d.major ?? 0), minor: Number(d.minor ?? 0), mode: d.fileMode ?? 0o666, uid: d.uid ?? 0, gid: d.gid ?? 0,
    });
  });
}

export function planDevSymlinks(ctx: PlanContext): void {
  const links: [string, string][] = [
    ['/dev/fd', '/proc/self/fd'],
    ['/dev/stdin', '/proc/self/fd/0'],
    ['/dev/stdout', '/proc/self/fd/1'],
    ['/dev/stderr', '/proc/self/fd/2'],
  ];
  const mounted = new Set((ctx.config.mounts ?? []).map((m) => clean(m.destination)));
  // With a private devpts instance, /dev/ptmx must lead to that instance's ptmx.
  if (mounted.has('/dev/pts')) links.push(['/dev/ptmx', 'pts/ptmx']);
  for (const [path, target] of links) add(ctx, { stage: 'init', op: 'symlink', why: 'runtime:dev-symlinks', path, target });
}
