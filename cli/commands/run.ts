import { Flags } from '@oclif/core';
import { PlancCommand } from '../base.js';
import { createContainer } from '../container.js';
import { createFlags, idArg } from '../flags.js';
import { destroy } from '../../executor/lifecycle.js';

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

export default class Run extends PlancCommand {
  static override summary = 'create and start a container; without --detach, wait for it and exit with its status';
  static override args = { id: idArg };
  static override flags = { ...createFlags, detach: Flags.boolean({ char: 'd', description: 'do not wait for the container' }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Run);
    const rec = await createContainer(args.id, flags, false, (p) => (this.configPath = p));
    if (flags.detach) return;
    // The init is our child (CLONE_PARENT): forward signals to it, reap it, then remove the container as runc does.
    const forward = (sig: NodeJS.Signals) => process.kill(rec.pid, sig);
    for (const s of FORWARDED) process.on(s, forward);
    const { waitExit } = await import('../../executor/sys.js');
    const code = await waitExit(rec.pid);
    for (const s of FORWARDED) process.off(s, forward);
    destroy(flags.root, args.id, rec);
    process.exitCode = code;
  }
}
