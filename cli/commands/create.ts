import { defineVerb } from '../verb.js';
import { createFlags, idArg } from '../flags.js';
import { createContainer } from '../container.js';

export default defineVerb({
  summary: 'create a container (its init waits for `planc start`)',
  args: idArg,
  flags: createFlags,
  async run(args, flags, ctx) {
    await createContainer(args.id, flags, 'create', ctx.setConfigPath);
  },
});
