import { PlancError } from '../../schemas/error.js';
import { defineVerb } from '../verb.js';
import { execPlanningFlags, planningFlags } from '../flags.js';
import { planBundleWith } from '../planning.js';
import { writeCallerFile } from '../caller-files.js';
import { canonical, planJson } from '../../planner/encode.js';

export default defineVerb({
  summary: 'print the plan of every privileged action creating the container would take',
  args: {},
  flags: {
    ...planningFlags,
    ...execPlanningFlags,
    format: { type: 'string', options: ['json', 'yaml', 'msgpack'], default: 'json', description: 'json or yaml (canonical: sorted keys), or the msgpack bytes the executor receives' },
    json: { type: 'boolean', description: 'same as --format json' },
    digest: { type: 'boolean', description: 'print only the plan digest (sha256 of the canonical msgpack)' },
    output: { type: 'string', char: 'o', description: 'write to this file instead of stdout' },
    engine: { type: 'string', options: ['js', 'wasm'], default: 'js', description: 'plan in-process (js) or through the WebAssembly planner, dist/planner.wasm (wasm): same bytes' },
  },
  async run(_args, flags, ctx) {
    if (flags.process !== undefined && flags.engine === 'wasm') throw new PlancError('invalid-argument', '--process plans an exec, which the WebAssembly planner does not do: use --engine js');
    // --process: an exec into a running container, planned against its stored plan (cli/exec.ts).
    const { plan, bytes, digest } =
      flags.process !== undefined ? (await import('../exec.js')).planExecOfProcess(flags.root, flags.id, flags.process, flags.detach ?? false, ctx.setConfigPath) : await planBundleWith(flags.engine, flags, ctx.setConfigPath);
    const format = flags.json ? 'json' : flags.format;
    let out: string | Uint8Array;
    if (flags.digest) out = digest + '\n';
    else if (format === 'msgpack') out = bytes;
    else if (format === 'yaml') {
      const yaml = (await import('js-yaml')) as unknown as { dump(v: unknown, o: object): string };
      out = yaml.dump({ digest, plan: canonical(plan) }, { lineWidth: -1, noRefs: true });
    } else out = `{\n  "digest": ${JSON.stringify(digest)},\n  "plan": ${planJson(plan).replace(/\n/g, '\n  ')}\n}\n`;
    if (flags.output) writeCallerFile('--output', flags.output, out);
    else process.stdout.write(out);
  },
});
