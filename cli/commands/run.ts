import { defineVerb } from '../verb.js';
import { createFlags, idArg } from '../flags.js';
import { createContainer } from '../container.js';
import { exportAfterStart, exportAudit } from '../../executor/audit-log.js';
import { destroy } from '../../executor/lifecycle.js';

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

export default defineVerb({
  summary: 'create and start a container; without --detach, wait for it and exit with its status',
  args: idArg,
  flags: { ...createFlags, detach: { type: 'boolean', char: 'd', description: 'do not wait for the container' } },
  async run(args, flags, ctx) {
    const created = await createContainer(args.id, flags, flags.detach ? 'run-detached' : 'run', ctx.setConfigPath);
    if (!created) return;
    if (flags.detach) return exportAfterStart(flags.root, created.record);
    // The executor waits for the init and exits with its status; signals to planc are meant for the container.
    const { record, exited } = created;
    const forward = (sig: NodeJS.Signals) => {
      try {
        process.kill(record.pid, sig);
      } catch {
        // it has just exited
      }
    };
    for (const s of FORWARDED) process.on(s, forward);
    const code = await exited;
    for (const s of FORWARDED) process.off(s, forward);
    exportAudit(flags.root, record);
    destroy(flags.root, args.id, record);
    process.exitCode = code ?? 1;
  },
});
