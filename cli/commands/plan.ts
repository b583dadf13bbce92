import { Flags } from '@oclif/core';
import { writeFileSync } from 'node:fs';
import { PlancCommand } from '../base.js';
import { planBundle, planningFlags } from '../planning.js';
import { planJson } from '../../planner/encode.js';

export default class PlanCmd extends PlancCommand {
  static override summary = 'print the plan of every privileged action creating the container would take';
  static override flags = {
    ...planningFlags,
    format: Flags.string({ options: ['json', 'msgpack'], default: 'json', description: 'json (canonical, sorted keys) or the msgpack bytes the executor receives' }),
    json: Flags.boolean({ description: 'same as --format json' }),
    digest: Flags.boolean({ description: 'print only the plan digest (sha256 of the canonical msgpack)' }),
    output: Flags.string({ char: 'o', description: 'write to this file instead of stdout' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(PlanCmd);
    const { plan, bytes, digest } = planBundle(flags, (p) => (this.configPath = p));
    const out: string | Uint8Array = flags.digest ? digest + '\n' : flags.format === 'msgpack' && !flags.json ? bytes : JSON.stringify({ digest, plan: JSON.parse(planJson(plan)) }, null, 2) + '\n';
    if (flags.output) writeFileSync(flags.output, out);
    else process.stdout.write(out);
  }
}
