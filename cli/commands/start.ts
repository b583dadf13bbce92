import { resolve } from 'node:path';
import { PlancCommand } from '../base.js';
import { idArg } from '../flags.js';
import { start } from '../../executor/lifecycle.js';
import { loadRecord, lockContainer } from '../../executor/state.js';

export default class Start extends PlancCommand {
  static override summary = 'start a created container: run its process';
  static override args = { id: idArg };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Start);
    const root = resolve(flags.root);
    const rec = loadRecord(root, args.id);
    await lockContainer(root, args.id);
    start(root, rec);
  }
}
