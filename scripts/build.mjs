// Build planc: the native executor (cc) and the CLI bundle (esbuild).
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;

execFileSync('bash', [`${root}executor/native/build.sh`], { stdio: 'inherit' });

await build({
  entryPoints: [`${root}cli/main.ts`, `${root}cli/oclif-commands.ts`],
  outdir: `${root}dist`,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // koffi carries a native addon; oclif is loaded by bin/planc.js itself.
  external: ['koffi', '@oclif/core', 'msgpackr-extract'],
  logLevel: 'warning',
});
