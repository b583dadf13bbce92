import { PlancCommand } from '../base.js';
import { createContainer } from '../container.js';
import { createFlags, idArg } from '../flags.js';

export default class Create extends PlancCommand {
  static override summary = 'create a container (its init waits for `planc start`)';
  static override args = { id: idArg };
  static override flags = createFlags;

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Create);
    await createContainer(args.id, flags, true, (p) => (this.configPath = p));
  }
}
