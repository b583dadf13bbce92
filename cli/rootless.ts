// Rootless: runc's global --rootless true|false|auto (auto: rootless when not
// run as root), where a rootless planc keeps its state ($XDG_RUNTIME_DIR/planc),
// and what the planner must know to plan without root: whether the container's
// cgroups could be made (a delegated, writable subtree), which ids this user
// may map (its own, /etc/subuid and /etc/subgid ranges), whether the setuid
// newuidmap/newgidmap helpers are there, and whether user namespaces are
// allowed at all.
import { accessSync, constants as C, existsSync, readFileSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname } from 'node:path';
import type { HostFacts } from '../schemas/generated/hostfacts.js';
import { PlancError } from '../schemas/error.js';
import { cgroupPathOf } from '../planner/cgroups.js';
import { rootlessFrom } from './host-facts-core.js';

let mode = 'auto';

/** The value of a global --rootless (checked when it is used). */
export function setRootlessMode(value: string): void {
  mode = value;
}

export function isRootless(): boolean {
  const rootless = rootlessFrom(mode, process.geteuid?.() ?? 0);
  if (rootless === null) throw new PlancError('invalid-argument', `--rootless ${JSON.stringify(mode)}: use true, false or auto`);
  return rootless;
}

/**
 * Where a rootless planc keeps state when no --root is given: $XDG_RUNTIME_DIR/planc
 * (as runc), else /run/user/<uid>/planc when that directory is the user's, else a
 * directory of its own in the temp dir (the gate refuses one that someone else made).
 */
export function rootlessStateRoot(): string {
  const uid = process.geteuid?.() ?? 0;
  const xdg = process.env.XDG_RUNTIME_DIR;
  if (xdg && xdg.startsWith('/')) return `${xdg}/planc`;
  try {
    if (statSync(`/run/user/${uid}`).uid === uid) return `/run/user/${uid}/planc`;
  } catch {
    // no per-user runtime directory
  }
  return `${tmpdir()}/planc-${uid}`;
}

/** The nearest existing directory at or above `path` is writable by us. */
function canMake(path: string): boolean {
  for (let p = path; ; p = dirname(p)) {
    if (existsSync(p)) {
      try {
        accessSync(p, C.W_OK);
        return true;
      } catch {
        return false;
      }
    }
    if (p === '/') return false;
  }
}

/** Whether every cgroup directory the container would get can be made by this user. */
export function cgroupsWritable(cgroup: HostFacts['cgroup'], cgroupsPath: string | undefined, id: string, systemd: boolean): boolean {
  let rel: string;
  try {
    rel = cgroupPathOf(cgroupsPath, id, systemd);
  } catch {
    return true; // a malformed cgroupsPath: the planner says so, with its pointer
  }
  const roots = cgroup.version === 2 ? [cgroup.root] : (cgroup.v1Controllers ?? []).filter((c) => c.name !== 'cpuset').map((c) => c.mountpoint);
  return roots.length > 0 && roots.every((r) => canMake(`${r}${rel.startsWith('/') ? '' : '/'}${rel}`));
}

function ranges(file: string, user: string, uid: number): { start: number; count: number }[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out: { start: number; count: number }[] = [];
  for (const line of text.split('\n')) {
    const [who, start, count] = line.trim().split(':');
    if ((who === user || who === String(uid)) && /^[0-9]+$/.test(start ?? '') && /^[0-9]+$/.test(count ?? '') && Number(count) > 0) out.push({ start: Number(start), count: Number(count) });
  }
  return out;
}

function helper(name: string): string | undefined {
  const dirs = ['/usr/bin', '/bin', '/usr/sbin', '/sbin', ...(process.env.PATH ?? '').split(':').filter((d) => d.startsWith('/'))];
  for (const d of dirs) {
    try {
      accessSync(`${d}/${name}`, C.X_OK);
      return `${d}/${name}`;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The sysctl that keeps this user from making a user namespace, if one does. */
function usernsDisabled(): string | undefined {
  const read = (f: string) => {
    try {
      return readFileSync(f, 'utf8').trim();
    } catch {
      return undefined;
    }
  };
  if (read('/proc/sys/kernel/unprivileged_userns_clone') === '0') return 'kernel.unprivileged_userns_clone is 0';
  if (read('/proc/sys/user/max_user_namespaces') === '0') return 'user.max_user_namespaces is 0';
  if (read('/proc/sys/kernel/apparmor_restrict_unprivileged_userns') === '1') return 'kernel.apparmor_restrict_unprivileged_userns is 1';
  return undefined;
}

export function idFacts(): NonNullable<HostFacts['ids']> {
  const uid = process.geteuid?.() ?? 0;
  const gid = process.getegid?.() ?? 0;
  let user: string | undefined;
  try {
    user = userInfo().username;
  } catch {
    // a uid with no passwd entry: /etc/subuid may still list it by number
  }
  const newuidmap = helper('newuidmap');
  const newgidmap = helper('newgidmap');
  const disabled = uid === 0 ? undefined : usernsDisabled();
  return {
    uid,
    gid,
    ...(user ? { user } : {}),
    subuid: ranges('/etc/subuid', user ?? String(uid), uid),
    subgid: ranges('/etc/subgid', user ?? String(uid), uid),
    ...(newuidmap ? { newuidmap } : {}),
    ...(newgidmap ? { newgidmap } : {}),
    ...(disabled ? { usernsDisabled: disabled } : {}),
  };
}
