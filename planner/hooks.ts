// Hooks (runtime-spec config.md "POSIX-platform Hooks", runtime.md "Lifecycle"):
// each configured hook becomes one action, placed where the spec says it runs,
// applied by the process that is in the namespace the spec names:
//
//   hook          op                     stage   applied by                        status     pid in the state
//   prestart      hook.prestart          parent  the executor's first process (P),  creating   the init's, as the runtime sees it
//   createRuntime hook.create-runtime    parent    runtime namespaces, while the init waits after its mounts, before pivot_root
//   createContainer hook.create-container init   the init, in the container's        creating   the init's, as the container sees it
//                                                  namespaces, before pivot_root
//   startContainer hook.start-container  init    the init, after `start`, before     created    the init's, as the container sees it
//                                                  execve (path resolved in the container)
//   poststart     hook.poststart         start   `planc start` (or `run`), runtime    running    the container process's
//                                                  namespaces, after the execve
//   poststop      hook.poststop          delete  `planc delete` (or a foreground     stopped    none: it has stopped
//                                                  `run`), after the container is destroyed
import type { Action } from '../schemas/generated/plan.js';
import { PlancError } from '../schemas/error.js';
import type { PlanContext } from './context.js';
import { add } from './context.js';
import { pointer } from './paths.js';

export type HookAction = Extract<Action, { op: `hook.${string}` }>;
export type HookKind = 'prestart' | 'createRuntime' | 'createContainer' | 'startContainer' | 'poststart' | 'poststop';
type Status = HookAction['state']['status'];

/** The spec's hooks, in the order the lifecycle runs them. */
export const HOOKS: Record<HookKind, { op: HookAction['op']; stage: HookAction['stage']; status: Status }> = {
  prestart: { op: 'hook.prestart', stage: 'parent', status: 'creating' },
  createRuntime: { op: 'hook.create-runtime', stage: 'parent', status: 'creating' },
  createContainer: { op: 'hook.create-container', stage: 'init', status: 'creating' },
  startContainer: { op: 'hook.start-container', stage: 'init', status: 'created' },
  poststart: { op: 'hook.poststart', stage: 'start', status: 'running' },
  poststop: { op: 'hook.poststop', stage: 'delete', status: 'stopped' },
};

/** The hook kind an action runs. */
export const HOOK_OF: Record<HookAction['op'], HookKind> = Object.fromEntries(
  (Object.entries(HOOKS) as [HookKind, { op: HookAction['op'] }][]).map(([kind, h]) => [h.op, kind]),
) as Record<HookAction['op'], HookKind>;

/**
 * Refuses what planc could not run as configured: an environment entry set
 * twice (the CLI's hooks get their environment as a map, so "exactly as given"
 * would not hold), and runtime-namespace hooks after joining an existing user
 * namespace (the executor's first process could not return to the runtime's
 * namespaces: it has no privilege over them any more).
 */
export function checkHooks(ctx: PlanContext): void {
  const hooks = ctx.config.hooks ?? {};
  for (const kind of Object.keys(HOOKS) as HookKind[]) {
    (hooks[kind] ?? []).forEach((h, k) => {
      const seen = new Set<string>();
      (h.env ?? []).forEach((e, j) => {
        const name = e.slice(0, e.indexOf('='));
        if (seen.has(name)) throw new PlancError('invalid-config', `${name} is set twice in the environment of this hook`, { where: pointer('hooks', kind, k, 'env', j) });
        seen.add(name);
      });
    });
  }
  const userJoin = (ctx.config.linux?.namespaces ?? []).findIndex((n) => n.type === 'user' && n.path);
  for (const kind of ['prestart', 'createRuntime'] as const) {
    if (userJoin >= 0 && (hooks[kind]?.length ?? 0) > 0) {
      throw new PlancError('unsupported', `${kind} hooks run in the runtime's namespaces, which planc cannot return to after joining the existing user namespace ${pointer('linux', 'namespaces', userJoin, 'path')}`, { where: pointer('hooks', kind) });
    }
  }
}

/** The actions of one kind of hook, in config order. */
export function planHooks(ctx: PlanContext, kind: HookKind): void {
  const { op, stage, status } = HOOKS[kind];
  const annotations = ctx.config.annotations ?? {};
  const state = {
    ociVersion: ctx.config.ociVersion,
    id: ctx.facts.containerId,
    status,
    bundle: ctx.facts.bundle,
    ...(Object.keys(annotations).length > 0 ? { annotations: { ...annotations } } : {}),
  };
  (ctx.config.hooks?.[kind] ?? []).forEach((h, k) => {
    // execv semantics; like runc, no args means argv is just the path.
    const args = h.args?.length ? [...h.args] : [h.path];
    add(ctx, { stage, op, why: pointer('hooks', kind, k), path: h.path, args, env: [...(h.env ?? [])], ...(h.timeout !== undefined ? { timeout: h.timeout } : {}), state } as HookAction);
  });
}
