// Writes the entry script that `node --build-snapshot` turns into a V8 startup snapshot of
// planc's CLI (bench/snapshot.sh measures it against the code cache bin/planc.cjs uses).
// Usage: node bench/snapshot-entry.mjs DIST MODE OUT   (MODE: plain | warm)
//   plain: the bundle evaluated (its modules stay lazy, as under the code cache); nothing
//          in it depends on where it was built, so the blob works from a copied install.
//   warm:  also the modules of create/run/exec/plan/start/delete/state initialized and one
//          plan of runc's default config run, so the snapshot holds their compiled code: the
//          best case for a snapshot. Module-level constants (the executor's path, the wasm
//          artifact's) are then those of DIST at build time: measure it in place only.
// At run time (`node --snapshot-blob DIST/X.blob -- ARGS`) the install is found from the
// blob's own path in process.execArgv, never from where the blob was built.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

const [distArg, mode, out] = process.argv.slice(2);
if (!distArg || !['plain', 'warm'].includes(mode ?? '') || !out) {
  console.error('usage: node bench/snapshot-entry.mjs DIST plain|warm OUT');
  process.exit(2);
}
const dist = resolve(distArg);
const bundle = readFileSync(`${dist}/planc.cjs`, 'utf8');
const warmBundle = resolve(new URL('../test/unit/fixtures', import.meta.url).pathname);
const warm = mode !== 'warm' ? '' : `
// Initialize the hot verbs' modules and plan once (output discarded by the caller), so
// their functions are compiled when the heap is serialized.
for (const verb of ['create', 'run', 'exec', 'plan', 'start', 'delete', 'state']) hooks.verbs[verb]();
{
  const { mkdtempSync, copyFileSync, rmSync } = require('node:fs');
  const dir = mkdtempSync(require('node:os').tmpdir() + '/planc-snapshot-warm-');
  copyFileSync(${JSON.stringify(`${warmBundle}/default.json`)}, dir + '/config.json');
  mod.exports.main(['plan', '--bundle', dir, '--format', 'msgpack', '--run'], ${JSON.stringify(resolve(dist, '..'))})
    .finally(() => rmSync(dir, { recursive: true, force: true }));
}
`;

// The bundle is a CommonJS module body: run it inside the same wrapper Node would, with a
// require that only reaches built-ins while building (all the builder allows) and a real one,
// made for the runtime location, after deserialization. __planc_url (the bundle's
// import.meta.url, set in its banner from __filename) is reset the same way.
writeFileSync(out, `'use strict';
const { dirname, join, resolve } = require('node:path');
const { pathToFileURL } = require('node:url');
let load = require;
const mod = { exports: {} };
let hooks;
(function (exports, require, module, __filename, __dirname) {
${bundle}
;hooks = { setFile(f) { __planc_url = pathToFileURL(f).href; }, verbs: VERBS };
})(mod.exports, (id) => load(id), mod, ${JSON.stringify(`${dist}/planc.cjs`)}, ${JSON.stringify(dist)});
${warm}
require('node:v8').startupSnapshot.setDeserializeMainFunction(() => {
  const i = process.execArgv.findIndex((a) => a === '--snapshot-blob' || a.startsWith('--snapshot-blob='));
  const flag = process.execArgv[i];
  const blob = resolve(flag.includes('=') ? flag.slice(flag.indexOf('=') + 1) : process.execArgv[i + 1]);
  const file = join(dirname(blob), 'planc.cjs');
  load = require('node:module').createRequire(file);
  hooks.setFile(file);
  const root = join(dirname(blob), '..');
  // As under \`node bin/planc.cjs ARGS\`: the audit trail records process.argv.slice(2).
  process.argv.splice(1, 0, join(root, 'bin', 'planc.cjs'));
  mod.exports.main(process.argv.slice(2), root);
});
`);
