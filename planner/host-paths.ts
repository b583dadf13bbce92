// What a host path is, for the warnings about bind mounts and the rootfs:
// the host's root, a runtime's socket or state, credentials, the kernel's
// interfaces, block devices, the container engines' stores, system
// directories. A path is risky when it is one of these or below one (it is
// part of it), and also when it is above one (binding /etc hands over
// /etc/shadow). Paths are compared lexically, segment by segment; what the
// CLI learned about the path on this host (HostFacts.hostPaths: where a
// symlink leads, whether it is a socket or a device node) is checked too.
import { clean, join, within } from './paths.js';

export interface HostPathFacts {
  /** The path with every symlink resolved, when it differs. */
  resolved?: string;
  type?: 'file' | 'directory' | 'socket' | 'block' | 'char' | 'fifo' | 'missing' | 'other';
}

export interface HostPathRisk {
  code: string;
  /** What the path is, as a sentence about it, e.g. "/etc contains /etc/shadow (host credentials)". */
  what: string;
  /** The same without the path: "contains /etc/shadow (host credentials)". */
  pred: string;
}

function risk(code: string, path: string, pred: string): HostPathRisk {
  return { code, what: `${path} ${pred}`, pred };
}

interface Category {
  code: string;
  what: string;
  /** Segment patterns: `*` is one segment, `~` stands for /root and for /home/*. */
  paths: string[];
  /** Paths that are in the category themselves, but whose contents are judged on their own. */
  exact?: string[];
  /** Names that put any path in the category, whatever its directory. */
  names?: RegExp;
}

// In order: a path that falls into several categories is reported by the first.
const CATEGORIES: Category[] = [
  { code: 'host-root', what: "the host's root directory", paths: [] },
  {
    code: 'runtime-socket',
    what: "a container runtime's socket: whoever can use it controls the host",
    paths: ['/run/docker.sock', '/run/cri-dockerd.sock', '/run/dockershim.sock', '/var/lib/kubelet/device-plugins/kubelet.sock', '/run/user/*/docker.sock'],
    names: /^(docker|containerd|crio|cri-dockerd|dockershim|podman|kubelet|buildkitd)\.sock$/,
  },
  {
    code: 'runtime-socket',
    what: "where a container runtime's sockets live: whoever can use them controls the host",
    paths: ['/run/docker', '/run/containerd', '/run/crio', '/run/podman', '/run/buildkit', '/var/lib/kubelet/pod-resources', '/run/user/*/podman'],
  },
  { code: 'runtime-state', what: "a container runtime's own state", paths: ['/run/planc', '/var/lib/planc', '/run/runc', '/run/crun', '/run/youki', '/run/containers', '/var/lib/kubelet/pods'] },
  {
    code: 'host-credentials',
    what: 'host credentials',
    paths: ['/etc/shadow', '/etc/shadow-', '/etc/gshadow', '/etc/gshadow-', '/etc/sudoers', '/etc/sudoers.d', '/etc/ssh', '/etc/ssl/private', '/etc/kubernetes', '/etc/krb5.keytab', '/var/lib/kubelet/pki', '~/.ssh', '~/.aws', '~/.kube', '~/.docker', '~/.gnupg', '~/.config/gcloud', '~/.azure', '~/.netrc', '~/.git-credentials'],
  },
  // /dev itself is the kernel's; what is in it is judged node by node below.
  { code: 'host-kernel-fs', what: "the host's kernel interface", paths: ['/proc', '/sys'], exact: ['/dev'] },
  {
    code: 'block-device',
    what: 'a host disk or memory device: raw access to its data',
    paths: ['/dev/sd*', '/dev/vd*', '/dev/xvd*', '/dev/hd*', '/dev/nvme*', '/dev/mmcblk*', '/dev/dm-*', '/dev/mapper', '/dev/loop*', '/dev/md*', '/dev/nbd*', '/dev/zd*', '/dev/disk', '/dev/block', '/dev/mem', '/dev/kmem', '/dev/port'],
  },
  { code: 'container-store', what: "a container engine's image and container store", paths: ['/var/lib/docker', '/var/lib/containerd', '/var/lib/containers', '~/.local/share/containers', '~/.local/share/docker'] },
  { code: 'host-device', what: 'a host device node', paths: ['/dev/*'] },
  { code: 'host-path', what: 'a host system directory', paths: ['/etc', '/boot', '/usr', '/lib', '/lib32', '/lib64', '/bin', '/sbin', '/var/lib', '/var/log', '/home', '/root', '/run'] },
];

// Most serious first.
const SEVERITY = ['host-root', 'runtime-socket', 'runtime-state', 'host-credentials', 'host-kernel-fs', 'block-device', 'container-store', 'host-socket', 'host-device', 'host-path'];

// Per-container files and volumes the engines bind on purpose, below their
// stores and state: never a finding.
const EXEMPT = [
  '/var/lib/docker/volumes/*/_data', '/var/lib/docker/containers/*/*',
  '/var/lib/containers/storage/volumes/*/_data', '/var/lib/containers/storage/overlay-containers/*/userdata',
  '~/.local/share/containers/storage/volumes/*/_data', '~/.local/share/containers/storage/overlay-containers/*/userdata',
  '/run/containers/storage/overlay-containers/*/userdata',
  '/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/*', '/run/containerd/io.containerd.grpc.v1.cri/sandboxes/*',
  '/var/lib/kubelet/pods/*/volumes', '/var/lib/kubelet/pods/*/volume-subpaths', '/var/lib/kubelet/pods/*/etc-hosts', '/var/lib/kubelet/pods/*/containers',
];

function segments(p: string): string[] {
  return p === '/' ? [] : p.slice(1).split('/');
}

/** Patterns with `~` expanded to the two places home directories live. */
function expand(pattern: string): string[][] {
  if (!pattern.startsWith('~/')) return [segments(pattern)];
  const rest = segments(pattern.slice(1));
  return [['root', ...rest], ['home', '*', ...rest]];
}

/** One segment against one pattern segment: `*` alone is any segment, a trailing `*` any suffix. */
function segMatch(seg: string, pat: string): boolean {
  if (pat === '*') return true;
  return pat.endsWith('*') ? seg.startsWith(pat.slice(0, -1)) : seg === pat;
}

/** Is the path at or below the pattern? */
function below(path: string[], pattern: string[]): boolean {
  return path.length >= pattern.length && pattern.every((p, k) => segMatch(path[k]!, p));
}

/** Is the path strictly above something the pattern matches? */
function above(path: string[], pattern: string[]): boolean {
  return path.length < pattern.length && path.every((s, k) => segMatch(s, pattern[k]!));
}


/** /var/run is /run on every current distribution: compare as /run. */
function canonical(p: string): string {
  const c = clean(p);
  return within(c, '/var/run') ? `/run${c.slice('/var/run'.length)}` : c;
}

/** What `path` (absolute) is, by its name alone; null when it is none of the risky kinds. */
export function classifyPath(path: string, extra: { code: string; paths: string[]; what: string }[] = []): HostPathRisk | null {
  const p = clean(path);
  const segs = segments(canonical(p));
  if (segs.length === 0) return risk('host-root', p, "is the host's root directory");
  if (EXEMPT.some((e) => expand(e).some((pat) => below(segs, pat)))) return null;
  const cats: Category[] = [...CATEGORIES.slice(0, 4), ...extra, ...CATEGORIES.slice(4)];
  for (const cat of cats) {
    if (cat.names?.test(segs.at(-1)!) || cat.exact?.includes(p)) return risk(cat.code, p, `is ${cat.what}`);
    for (const pattern of cat.paths) {
      for (const pat of expand(pattern)) {
        if (below(segs, pat)) {
          const part = `/${segs.slice(0, pat.length).join('/')}`;
          return risk(cat.code, p, pat.length === segs.length ? `is ${cat.what}` : `is part of ${part} (${cat.what})`);
        }
        // Above: binding a directory hands over what it contains — but a pattern with a
        // wildcard names many paths, and only those under the directory count.
        if (above(segs, pat)) return risk(cat.code, p, `contains /${pat.join('/')} (${cat.what})`);
      }
    }
  }
  return null;
}

export interface RiskOptions {
  /** More categories, checked after the runtimes' own (planc's --root). */
  extra?: { code: string; paths: string[]; what: string }[];
  /** A directory whose contents are the container's own (the bundle): not judged by name. */
  own?: string;
}

/**
 * What a host path is, by its name and by what this host said about it: a
 * symlink is judged by where it leads too, a socket or device node by its type.
 */
export function hostPathRisk(path: string, facts: HostPathFacts | undefined, opts: RiskOptions = {}): HostPathRisk | null {
  const mine = (p: string) => opts.own !== undefined && within(clean(p), clean(opts.own));
  const p = clean(path);
  const found: HostPathRisk[] = [];
  const byName = mine(p) ? null : classifyPath(p, opts.extra);
  if (byName) found.push(byName);
  if (facts?.resolved && clean(facts.resolved) !== p && !mine(facts.resolved)) {
    const target = classifyPath(facts.resolved, opts.extra);
    if (target) found.push(risk(target.code, p, `resolves to ${clean(facts.resolved)}, which ${target.pred}`));
  }
  if (facts?.type === 'block') found.push(risk('block-device', p, 'is a host block device: raw access to its data'));
  if (facts?.type === 'socket') found.push(risk('host-socket', p, 'is a host unix socket: the container can talk to whatever listens on it'));
  if (facts?.type === 'char') found.push(risk('host-device', p, 'is a host device node'));
  // The most serious of what the name, the symlink target and the type say.
  found.sort((a, b) => SEVERITY.indexOf(a.code) - SEVERITY.indexOf(b.code));
  return found[0] ?? null;
}

/**
 * The host paths a config names that the warnings judge: bind sources and the
 * rootfs (resolved against the bundle, as the plan resolves them) and, in a
 * user namespace, device paths (bound from the host). The CLI looks these up
 * on the host (HostFacts.hostPaths); the planner never does.
 */
export function hostPathsOf(config: unknown, bundle: string): string[] {
  // Called on the config before it is validated: anything of the wrong shape names no path.
  const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
  const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
  const str = (v: unknown): v is string => typeof v === 'string' && !v.includes('\0');
  const c = obj(config);
  const linux = obj(c.linux);
  const out = new Set<string>();
  const root = obj(c.root).path;
  if (str(root)) out.add(join(bundle, root));
  for (const m of arr(c.mounts).map(obj)) {
    const bind = m.type === 'bind' || arr(m.options).some((o) => o === 'bind' || o === 'rbind');
    if (bind && str(m.source)) out.add(join(bundle, m.source));
  }
  const userns = arr(linux.namespaces).map(obj).some((n) => n.type === 'user' && n.path === undefined);
  if (userns) for (const d of arr(linux.devices).map(obj)) if (str(d.path)) out.add(clean(d.path));
  return [...out].sort();
}
