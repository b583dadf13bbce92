// What oclif loads (package.json "oclif.commands", explicit strategy: no directory scan).
import { Command } from '@oclif/core';
import { VERBS } from './commands.js';
import { commandOf } from './oclif.js';

export const COMMANDS: Record<string, typeof Command> = Object.fromEntries(
  await Promise.all(Object.entries(VERBS).map(async ([id, load]) => [id, commandOf((await load()).default)] as const)),
);
