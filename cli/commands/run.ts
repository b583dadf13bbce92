import { defineVerb } from '../verb.js';
import { createFlags, idArg } from '../flags.js';
import { createContainer } from '../container.js';

export default defineVerb({
  summary: 'create and start a container; without --detach, wait for it and exit with its status',
  args: idArg,
  flags: { ...createFlags, detach: { type: 'boolean', char: 'd', description: 'do not wait for the container' } },
  async run(args, flags, ctx) {
    // Planned here; created, started, waited for and taken apart by the native front this process becomes (cli/native/apply.c).
    await createContainer(args.id, flags, flags.detach ? 'run-detached' : 'run', ctx.setConfigPath);
  },
});
