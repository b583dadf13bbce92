// Build planc: the native executor (cc) and the CLI bundle (esbuild).
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;

execFileSync('bash', [`${root}executor/native/build.sh`], { stdio: 'inherit' });

// Stale chunks from an earlier build would linger next to the new ones.
rmSync(`${root}dist`, { recursive: true, force: true });

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
  // Smaller source parses faster at every start; names stay for readable stack traces.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
});

// The planner as WebAssembly, dist/planner.wasm (docs/wasm.md): a fraction of a second.
await (await import('./build-wasm.mjs')).writeWasm({ quiet: true });
