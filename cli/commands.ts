// Every verb, loaded on demand: a verb's run pays only for its own imports.
// A topic's subcommands are 'topic:sub' (`planc image unpack` → 'image:unpack', see TOPICS).
import type { Verb } from './verb.js';

type Loader = () => Promise<{ default: Verb }>;

/** Words that are a topic, not a verb: the next word names the subcommand. */
export const TOPICS = new Set(['image']);

export const VERBS: Record<string, Loader> = {
  audit: () => import('./commands/audit.js') as Promise<{ default: Verb }>,
  checkpoint: () => import('./commands/checkpoint.js') as Promise<{ default: Verb }>,
  create: () => import('./commands/create.js') as Promise<{ default: Verb }>,
  delete: () => import('./commands/delete.js') as Promise<{ default: Verb }>,
  diff: () => import('./commands/diff.js') as Promise<{ default: Verb }>,
  events: () => import('./commands/events.js') as Promise<{ default: Verb }>,
  exec: () => import('./commands/exec.js') as Promise<{ default: Verb }>,
  explain: () => import('./commands/explain.js') as Promise<{ default: Verb }>,
  features: () => import('./commands/features.js') as Promise<{ default: Verb }>,
  'image:create': () => import('./commands/image-create.js') as Promise<{ default: Verb }>,
  'image:unpack': () => import('./commands/image-unpack.js') as Promise<{ default: Verb }>,
  kill: () => import('./commands/kill.js') as Promise<{ default: Verb }>,
  lint: () => import('./commands/lint.js') as Promise<{ default: Verb }>,
  list: () => import('./commands/list.js') as Promise<{ default: Verb }>,
  pause: () => import('./commands/pause.js') as Promise<{ default: Verb }>,
  plan: () => import('./commands/plan.js') as Promise<{ default: Verb }>,
  ps: () => import('./commands/ps.js') as Promise<{ default: Verb }>,
  restore: () => import('./commands/restore.js') as Promise<{ default: Verb }>,
  resume: () => import('./commands/resume.js') as Promise<{ default: Verb }>,
  run: () => import('./commands/run.js') as Promise<{ default: Verb }>,
  spec: () => import('./commands/spec.js') as Promise<{ default: Verb }>,
  start: () => import('./commands/start.js') as Promise<{ default: Verb }>,
  state: () => import('./commands/state.js') as Promise<{ default: Verb }>,
  update: () => import('./commands/update.js') as Promise<{ default: Verb }>,
};
