import { Args, Flags } from '@oclif/core';
import { resolve } from 'node:path';
import { PlancError } from '../../schemas/error.js';
import { PlancCommand } from '../base.js';
import { idArg } from '../flags.js';
import { kill, statusOf } from '../../executor/lifecycle.js';
import { signalNumber } from '../../executor/proc.js';
import { loadRecord } from '../../executor/state.js';

export default class Kill extends PlancCommand {
  static override summary = 'send a signal (default TERM) to the container init';
  static override args = { id: idArg, signal: Args.string({ description: 'signal: number, name or SIG-name', default: 'TERM' }) };
  static override flags = { all: Flags.boolean({ char: 'a', description: 'signal every process in the container' }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Kill);
    const root = resolve(flags.root);
    const sig = signalNumber(args.signal);
    const rec = loadRecord(root, args.id);
    if (statusOf(root, rec) === 'stopped') throw new PlancError('bad-state', 'container not running', { where: args.id });
    kill(rec, sig, flags.all);
  }
}
