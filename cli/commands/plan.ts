import { writeFileSync } from 'node:fs';
import { defineVerb } from '../verb.js';
import { planningFlags } from '../flags.js';
import { planBundleWith } from '../planning.js';
import { planJson } from '../../planner/encode.js';

export default defineVerb({
  summary: 'print the plan of every privileged action creating the container would take',
  args: {},
  flags: {
    ...planningFlags,
    format: { type: 'string', options: ['json', 'msgpack'], default: 'json', description: 'json (canonical, sorted keys) or the msgpack bytes the executor receives' },
    json: { type: 'boolean', description: 'same as --format json' },
    digest: { type: 'boolean', description: 'print only the plan digest (sha256 of the canonical msgpack)' },
    output: { type: 'string', char: 'o', description: 'write to this file instead of stdout' },
    engine: { type: 'string', options: ['js', 'wasm'], default: 'js', description: 'plan in-process (js) or through the WebAssembly planner, dist/planner.wasm (wasm): same bytes' },
  },
  async run(_args, flags, ctx) {
    const { plan, bytes, digest } = await planBundleWith(flags.engine, flags, ctx.setConfigPath);
    const out: string | Uint8Array = flags.digest ? digest + '\n' : flags.format === 'msgpack' && !flags.json ? bytes : `{\n  "digest": ${JSON.stringify(digest)},\n  "plan": ${planJson(plan).replace(/\n/g, '\n  ')}\n}\n`;
    if (flags.output) writeFileSync(flags.output, out);
    else process.stdout.write(out);
  },
});
