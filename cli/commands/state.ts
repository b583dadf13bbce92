import { resolve } from 'node:path';
import { PlancCommand } from '../base.js';
import { idArg } from '../flags.js';
import { ociState } from '../../executor/lifecycle.js';
import { loadRecord } from '../../executor/state.js';

export default class State extends PlancCommand {
  static override summary = 'print the state of a container as OCI state JSON';
  static override args = { id: idArg };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(State);
    const root = resolve(flags.root);
    process.stdout.write(JSON.stringify(ociState(root, loadRecord(root, args.id)), null, 2) + '\n');
  }
}
