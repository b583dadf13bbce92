// The explain vocabulary: for every action op, the effect it belongs to and
// a one-line description in plain words. Typed so that a new op in the plan
// schema does not compile until it can be explained.
import type { Action, Plan } from '../schemas/generated/plan.js';

export type Effect = 'filesystem' | 'devices' | 'isolation' | 'privileges' | 'resources' | 'process' | 'lifecycle';

type Of<O extends Action['op']> = Extract<Action, { op: O }>;
type Vocabulary = { [O in Action['op']]: { effect: Effect; say: (a: Of<O>) => string } };

const q = JSON.stringify;
const flags = (f: string[]) => (f.length ? ` [${f.join(',')}]` : '');

type Hook = Extract<Action, { op: `hook.${string}` }>;
/** A hook in words: which, what it runs, where, what it reads, and its limits (the stage says when). */
const hook = (name: string, where: string, after = '') => (a: Hook) => {
  const argv = a.args[0] === a.path ? a.args.slice(1) : a.args;
  const env = a.env.length ? `${a.env.length} environment variable${a.env.length > 1 ? 's' : ''}` : 'an empty environment';
  return `${name} hook: run ${a.path}${argv.map((x) => ` ${q(x)}`).join('')} ${where}, with ${env} and the state (${a.state.status}) on stdin${a.timeout ? `; killed after ${a.timeout} s` : ''}${after}`;
};

export const VOCABULARY: Vocabulary = {
  'cgroup.create': { effect: 'resources', say: (a) => `create cgroup ${a.path} (refused if it holds processes)` },
  'cgroup.write': { effect: 'resources', say: (a) => `set ${a.file} = ${a.value} in ${a.path}` },
  'execfifo.create': { effect: 'lifecycle', say: (a) => `create the start fifo ${a.path}` },
  'ns.join': { effect: 'isolation', say: (a) => `join the existing ${a.ns} namespace ${a.path}` },
  clone: {
    effect: 'isolation',
    say: (a) =>
      // No new namespace: an exec's process, in the namespaces ns.enter joined.
      `${a.namespaces.length ? `start the container init in new namespaces: ${a.namespaces.join(', ')}` : 'start the process in the namespaces joined'}${a.parent === 'executor' ? ' (planc waits for it)' : ''}`,
  },
  'cgroup.join': { effect: 'resources', say: (a) => `move the init into cgroup ${a.path}` },
  'idmap.write': { effect: 'isolation', say: (a) => `map ${a.kind}s ${a.map.map((m) => `${m.containerID}→${m.hostID} (${m.size})`).join(', ')}${a.setgroups ? `, setgroups ${a.setgroups}` : ''}` },
  'ns.unshare': { effect: 'isolation', say: (a) => `enter a new ${a.ns} namespace rooted at the container's cgroup` },
  'rootfs.propagation': { effect: 'filesystem', say: (a) => `make every mount ${a.propagation} so container mounts do not reach the host` },
  'rootfs.bind': { effect: 'filesystem', say: (a) => `bind the rootfs ${a.path} onto itself` },
  mount: { effect: 'filesystem', say: (a) => (a.flags.includes('bind') ? `bind ${a.source} onto ${a.target}${flags(a.flags)}` : `mount ${a.fstype} on ${a.target}${flags(a.flags)}${a.data ? ` (${a.data})` : ''}`) },
  'mount.remount': { effect: 'filesystem', say: (a) => `remount ${a.target}${flags(a.flags)}` },
  'mount.propagation': { effect: 'filesystem', say: (a) => `make ${a.target} ${a.propagation}` },
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
  'caps.bounding': { effect: 'privileges', say: (a) => `limit the bounding set to ${a.keep.join(', ') || '(nothing)'}` },
  user: { effect: 'privileges', say: (a) => `run as uid ${a.uid} gid ${a.gid}${a.additionalGids.length ? ` groups ${a.additionalGids.join(',')}` : ''}` },
  caps: { effect: 'privileges', say: (a) => `capabilities: effective ${a.effective.join(',') || '-'}; ambient ${a.ambient.join(',') || '-'}` },
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
  'cgroup.attach': { effect: 'resources', say: (a) => `move the process into cgroup ${a.path}` },
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
