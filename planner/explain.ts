// The explain vocabulary: for every action op, the effect it belongs to and
// a one-line description in plain words. Typed so that a new op in the plan
// schema does not compile until it can be explained.
import type { Action, Plan } from '../schemas/generated/plan.js';
import { describeSeccomp } from './seccomp-plan.js';

export type Effect = 'filesystem' | 'devices' | 'isolation' | 'privileges' | 'resources' | 'process' | 'lifecycle';

type Of<O extends Action['op']> = Extract<Action, { op: O }>;
type Vocabulary = { [O in Action['op']]: { effect: Effect; say: (a: Of<O>) => string } };

const q = JSON.stringify;
const flags = (f: string[]) => (f.length ? ` [${f.join(',')}]` : '');
const idmap = (m: { containerID: number; hostID: number; size: number }[]) => m.map((x) => `${x.containerID}→${x.hostID} (${x.size})`).join(', ');
const ATTR_SET: Record<string, string> = { ro: 'read-only', nosuid: 'nosuid', nodev: 'nodev', noexec: 'noexec', nodiratime: 'nodiratime', nosymfollow: 'nosymfollow' };
const ATTR_CLEAR: Record<string, string> = { ro: 'read-write', nosuid: 'suid', nodev: 'dev', noexec: 'exec', nodiratime: 'diratime', nosymfollow: 'symfollow' };
/** [0,1,2,3,7] → "0-3,7" */
const ranges = (ns: number[]) => ns.reduce<[number, number][]>((r, n) => {
  const last = r.at(-1);
  if (last && last[1] === n - 1) last[1] = n;
  else r.push([n, n]);
  return r;
}, []).map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(',');
const offset = (o: { clock: string; secs: string; nanosecs: number }) => `${o.clock} ${o.secs.startsWith('-') ? '' : '+'}${o.secs}s${o.nanosecs ? ` ${o.nanosecs}ns` : ''}`;
const SCHED_FLAG = (f: string) => f.replace(/^SCHED_FLAG_/, '').toLowerCase().replace(/_/g, '-');
const IO_CLASS: Record<string, string> = { IOPRIO_CLASS_RT: 'real-time', IOPRIO_CLASS_BE: 'best-effort', IOPRIO_CLASS_IDLE: 'idle' };

type Hook = Extract<Action, { op: `hook.${string}` }>;
/** A hook in words: which, what it runs, where, what it reads, and its limits (the stage says when). */
const hook = (name: string, where: string, after = '') => (a: Hook) => {
  const argv = a.args[0] === a.path ? a.args.slice(1) : a.args;
  const env = a.env.length ? `${a.env.length} environment variable${a.env.length > 1 ? 's' : ''}` : 'an empty environment';
  return `${name} hook: run ${a.path}${argv.map((x) => ` ${q(x)}`).join('')} ${where}, with ${env} and the state (${a.state.status}) on stdin${a.timeout ? `; killed after ${a.timeout} s` : ''}${after}`;
};

export const VOCABULARY: Vocabulary = {
  'cgroup.create': {
    effect: 'resources',
    say: (a) => `create cgroup ${a.path} (refused if it holds processes)${a.inherit ? `; each level without ${a.inherit.join(' or ')} takes its parent's` : ''}`,
  },
  'cgroup.write': { effect: 'resources', say: (a) => `set ${a.file} = ${a.value} in ${a.path}` },
  'execfifo.create': { effect: 'lifecycle', say: (a) => `create the start fifo ${a.path}` },
  'ns.join': { effect: 'isolation', say: (a) => `join the existing ${a.ns} namespace ${a.path}` },
  'mount.idmap': { effect: 'filesystem', say: (a) => `make an id-mapped copy of ${a.source}${a.recursive ? ' and the mounts below it' : ''} for the container: uids ${idmap(a.uidMappings)}, gids ${idmap(a.gidMappings)}${a.idmapRecursive ? ', mounts below mapped too' : ''}` },
  clone: {
    effect: 'isolation',
    say: (a) =>
      // No new namespace: an exec's process, in the namespaces ns.enter joined.
      `${a.namespaces.length ? `start the container init in new namespaces: ${a.namespaces.join(', ')}` : 'start the process in the namespaces joined'}${a.parent === 'executor' ? ' (planc waits for it)' : ''}`,
  },
  'cgroup.join': { effect: 'resources', say: (a) => `move itself into cgroup ${a.path}` },
  'resctrl.create': {
    effect: 'resources',
    say: (a) => {
      const lines = a.schemata ? `: ${a.schemata.join('; ')}` : '';
      if (a.exists === 'refuse') return `create resctrl group ${a.path}${a.schemata ? ` with schemata${lines}` : ''} (removed on delete)`;
      if (a.exists === 'required') return `use the existing resctrl group ${a.path}`;
      return `use resctrl group ${a.path}, made with schemata${lines} if missing, else refused unless its schemata match`;
    },
  },
  'resctrl.join': { effect: 'resources', say: (a) => `move the init into resctrl group ${a.path}` },
  'idmap.write': { effect: 'isolation', say: (a) => `map ${a.kind}s ${a.map.map((m) => `${m.containerID}→${m.hostID} (${m.size})`).join(', ')}${a.setgroups ? `, setgroups ${a.setgroups}` : ''}${a.helper ? ` through ${a.helper}` : ''}` },
  'netdev.move': { effect: 'isolation', say: (a) => `move the host network interface ${a.device} into the container's network namespace${a.name !== a.device ? ` as ${a.name}` : ''}, with its permanent global addresses, and bring it up` },
  'ns.unshare': { effect: 'isolation', say: (a) => `enter a new ${a.ns} namespace rooted at the container's cgroup` },
  'timens.create': { effect: 'isolation', say: (a) => `enter a new time namespace${a.offsets.length ? ` with clocks offset: ${a.offsets.map(offset).join(', ')}` : ''}` },
  'rootfs.propagation': { effect: 'filesystem', say: (a) => `make every mount ${a.propagation} so container mounts do not reach the host` },
  'rootfs.bind': { effect: 'filesystem', say: (a) => `bind the rootfs ${a.path} onto itself` },
  mount: { effect: 'filesystem', say: (a) => (a.flags.includes('bind') ? `bind ${a.source} onto ${a.target}${flags(a.flags)}` : `mount ${a.fstype} on ${a.target}${flags(a.flags)}${a.data ? ` (${a.data})` : ''}${a.copyUp ? ', filled with a copy of what it covers' : ''}`) },
  'mount.remount': { effect: 'filesystem', say: (a) => `remount ${a.target}${flags(a.flags)}` },
  'mount.propagation': { effect: 'filesystem', say: (a) => `make ${a.target} ${a.propagation}` },
  'mount.setattr': { effect: 'filesystem', say: (a) => `make ${a.target} and every mount below it ${[...a.set.map((x) => ATTR_SET[x]), ...a.clear.map((x) => ATTR_CLEAR[x]), ...(a.atime ? [a.atime] : [])].join(', ')}` },
  'mount.attach': { effect: 'filesystem', say: (a) => `attach the id-mapped copy made by action ${a.detached} onto ${a.target}` },
  mknod: { effect: 'devices', say: (a) => `create device ${a.path} (${a.kind} ${a.major}:${a.minor}, mode ${a.mode.toString(8)})` },
  'device.bind': { effect: 'devices', say: (a) => `bind the host device ${a.source} onto ${a.path}` },
  symlink: { effect: 'filesystem', say: (a) => `link ${a.path} → ${a.target}` },
  'execfifo.open': { effect: 'lifecycle', say: () => `hold the start fifo open` },
  'rootfs.pivot': { effect: 'filesystem', say: () => `pivot_root into the rootfs and detach the host's root` },
  'rootfs.chroot': { effect: 'filesystem', say: () => `chroot into the rootfs (--no-pivot: the host root stays mounted underneath)` },
  mask: { effect: 'filesystem', say: (a) => `mask ${a.path}` },
  readonly: { effect: 'filesystem', say: (a) => `make ${a.path} read-only` },
  'rootfs.readonly': { effect: 'filesystem', say: () => `make the container's / read-only` },
  hostname: { effect: 'isolation', say: (a) => `set hostname ${q(a.name)}` },
  domainname: { effect: 'isolation', say: (a) => `set domain name ${q(a.name)}` },
  sysctl: { effect: 'resources', say: (a) => `set sysctl ${a.key} = ${a.value}` },
  'link.up': { effect: 'isolation', say: (a) => `bring up ${a.name} in the new network namespace` },
  rlimit: { effect: 'resources', say: (a) => `limit ${a.resource} to ${a.soft} (hard ${a.hard})` },
  'oom-score-adj': { effect: 'resources', say: (a) => `set oom_score_adj ${a.value}` },
  'sched.setattr': {
    effect: 'resources',
    say: (a) => `schedule with ${a.policy}${a.policy === 'SCHED_OTHER' || a.policy === 'SCHED_BATCH' ? `, nice ${a.nice}` : ''}${a.policy === 'SCHED_FIFO' || a.policy === 'SCHED_RR' ? `, priority ${a.priority}` : ''}${a.policy === 'SCHED_DEADLINE' ? `, runtime ${a.runtime} ns in every ${a.period === '0' ? a.deadline : a.period} ns, deadline ${a.deadline} ns` : ''}${flags(a.flags.map(SCHED_FLAG))}`,
  },
  'ioprio.set': { effect: 'resources', say: (a) => `set the I/O priority: ${IO_CLASS[a.class]}${a.class === 'IOPRIO_CLASS_IDLE' ? '' : `, level ${a.priority} (0 highest, 7 lowest)`}` },
  'mempolicy.set': { effect: 'resources', say: (a) => `set the NUMA memory policy ${a.mode}${a.nodes.length ? ` on nodes ${ranges(a.nodes)}` : ''}${flags(a.flags)}` },
  'personality.set': { effect: 'process', say: (a) => `run in the ${a.domain} execution domain${a.domain === 'LINUX32' ? ' (uname reports a 32-bit machine)' : ''}` },
  'caps.bounding': { effect: 'privileges', say: (a) => `limit the bounding set to ${a.keep.join(', ') || '(nothing)'}` },
  user: { effect: 'privileges', say: (a) => `run as uid ${a.uid} gid ${a.gid}${a.additionalGids.length ? ` groups ${a.additionalGids.join(',')}` : ''}` },
  caps: { effect: 'privileges', say: (a) => `capabilities: effective ${a.effective.join(',') || '-'}; ambient ${a.ambient.join(',') || '-'}` },
  'seccomp.connect': { effect: 'privileges', say: (a) => `connect to the seccomp agent at ${a.path} while the host's paths are reachable (the listener fd goes there)` },
  'seccomp.load': { effect: 'privileges', say: describeSeccomp },
  'no-new-privs': { effect: 'privileges', say: () => `set no_new_privs: setuid binaries and file caps cannot raise privileges` },
  chdir: { effect: 'process', say: (a) => `change directory to ${a.path}` },
  'exec.check': { effect: 'process', say: (a) => `check that ${q(a.file)} can be executed` },
  'execfifo.wait': { effect: 'lifecycle', say: () => `wait for \`planc start\`` },
  exec: { effect: 'process', say: (a) => `exec ${a.args.map((x) => q(x)).join(' ')}` },
  'hook.prestart': { effect: 'lifecycle', say: hook('prestart (deprecated)', "on the host, in the runtime's namespaces, after the container's mounts") },
  'hook.create-runtime': { effect: 'lifecycle', say: hook('createRuntime', "on the host, in the runtime's namespaces, after the container's mounts") },
  'hook.create-container': { effect: 'lifecycle', say: hook('createContainer', "in the container's namespaces before pivot_root (the path is the host's)") },
  'hook.start-container': { effect: 'lifecycle', say: hook('startContainer', 'in the container, as its process, just before the exec (the path is the container\'s)') },
  'hook.poststart': { effect: 'lifecycle', say: hook('poststart', "on the host, in the runtime's namespaces", '; a failure stops and removes the container') },
  'hook.poststop': { effect: 'lifecycle', say: hook('poststop', "on the host, in the runtime's namespaces", '; a failure is only a warning') },
  'ns.enter': { effect: 'isolation', say: (a) => `join the ${a.namespaces.join(', ') || '(no)'} namespaces of the container's init (pid ${a.pid}, checked by its start time)` },
  'cgroup.open': { effect: 'resources', say: (a) => `open cgroup ${a.path}${a.sub ? `/${a.sub}` : ''} (checked: inode ${a.ino} on cgroupfs)` },
  'cgroup.attach': { effect: 'resources', say: (a) => `move itself into cgroup ${a.path}` },
  'cgroupns.enter': { effect: 'isolation', say: () => `join the container's cgroup namespace` },
  'console.socket': { effect: 'process', say: (a) => `connect to the console socket ${a.path}, where the terminal's master goes` },
  'console.relay': { effect: 'process', say: () => `keep the terminal's master: planc relays it to its own terminal` },
  'console.create': {
    effect: 'process',
    say: (a) =>
      `open a terminal in the container's devpts as the process's stdio and controlling tty${a.devConsole ? ', also on /dev/console' : ''}` +
      (a.sizeFromTerminal ? ', sized like planc\'s terminal' : a.width && a.height ? `, ${a.width}x${a.height}` : ''),
  },
};

export function explainAction(a: Action): string {
  const v = VOCABULARY[a.op] as { say: (a: Action) => string };
  return v.say(a);
}

export function effectOf(a: Action): Effect {
  return VOCABULARY[a.op].effect;
}

/** One line per action: index, stage, description, provenance. */
export function explainLines(plan: Plan): string[] {
  const width = String(plan.actions.length - 1).length;
  const lines = plan.actions.map((a, i) => `${String(i).padStart(width)} ${a.stage.padEnd(6)} ${explainAction(a)}  ← ${a.why}`);
  for (const w of plan.warnings) lines.push(`warning: ${w.message}  ← ${w.why}`);
  return lines;
}

const STAGE_TITLES: Record<Plan['kind'], Record<Action['stage'], string>> = {
  create: {
    host: 'on the host, before the container exists',
    clone: 'creating the container',
    parent: 'on the host, while the new init waits',
    init: 'inside the container, before your process runs',
    start: 'by `planc start`, once your process runs',
    delete: 'by `planc delete`, once the container is gone',
  },
  exec: {
    host: 'on the host, before joining the container',
    clone: 'starting the process in the container',
    parent: 'on the host, while the new process waits',
    init: 'inside the container, before your process runs',
    start: 'once your process runs',
    delete: 'once the container is gone',
  },
};
const EFFECT_ORDER: Effect[] = ['isolation', 'resources', 'filesystem', 'devices', 'privileges', 'process', 'lifecycle'];

export interface ExplainSection {
  stage: Action['stage'];
  title: string;
  groups: { effect: Effect; lines: { index: number; text: string; why: string }[] }[];
}

/** The plan grouped by stage, then by effect; within a group, in application order. */
export function explainSections(plan: Plan): ExplainSection[] {
  const sections: ExplainSection[] = [];
  plan.actions.forEach((a, index) => {
    let s = sections.at(-1);
    if (!s || s.stage !== a.stage) sections.push((s = { stage: a.stage, title: STAGE_TITLES[plan.kind][a.stage], groups: [] }));
    const effect = effectOf(a);
    let g = s.groups.find((x) => x.effect === effect);
    if (!g) s.groups.push((g = { effect, lines: [] }));
    g.lines.push({ index, text: explainAction(a), why: a.why });
  });
  for (const s of sections) s.groups.sort((x, y) => EFFECT_ORDER.indexOf(x.effect) - EFFECT_ORDER.indexOf(y.effect));
  return sections;
}
