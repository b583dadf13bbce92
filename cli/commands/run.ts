import { defineVerb } from '../verb.js';
import { createFlags, idArg } from '../flags.js';
import { createContainer } from '../container.js';
import { destroy } from '../../executor/lifecycle.js';

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

export default defineVerb({
  summary: 'create and start a container; without --detach, wait for it and exit with its status',
  args: idArg,
  flags: { ...createFlags, detach: { type: 'boolean', char: 'd', description: 'do not wait for the container' } },
  async run(args, flags, ctx) {
    const rec = await createContainer(args.id, flags, false, ctx.setConfigPath);
    if (!rec || flags.detach) return;
    // The init is our child (CLONE_PARENT): forward signals to it, reap it, then remove the container as runc does.
    const forward = (sig: NodeJS.Signals) => process.kill(rec.pid, sig);
    for (const s of FORWARDED) process.on(s, forward);
    const { waitExit } = await import('../../executor/sys.js');
    const code = await waitExit(rec.pid);
    for (const s of FORWARDED) process.off(s, forward);
    destroy(flags.root, args.id, rec);
    process.exitCode = code;
  },
});
