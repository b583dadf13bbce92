#!/usr/bin/env node
'use strict';
// planc's entry point. It loads the bundled CLI (dist/planc.cjs, built by
// `npm run build` from cli/main.ts) through V8's code cache (dist/planc.cjs.cache,
// written at build time), so a verb does not recompile planc at every start:
// that alone is worth ~20 ms per container (bench/). CommonJS on purpose:
// an ES module entry costs a few more ms of loader start-up.
const { readFileSync, renameSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { Script, constants } = require('node:vm');
const { wrap } = require('node:module');

const dist = join(__dirname, '..', 'dist');
const file = join(dist, 'planc.cjs');
const cacheFile = `${file}.cache`;
let cachedData;
try {
  cachedData = readFileSync(cacheFile);
} catch {
  // no cache (a fresh build that was not warmed): compile from source
}
// A cache made by another Node or with other V8 flags is rejected by V8 itself, safely.
const script = new Script(wrap(readFileSync(file, 'utf8')), {
  filename: file,
  cachedData,
  importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
});
const mod = { exports: {} };
script.runInThisContext()(mod.exports, require, mod, file, dist);
const done = mod.exports.main(process.argv.slice(2), join(__dirname, '..'));
if (process.env.PLANC_WRITE_CODE_CACHE === '1') {
  // scripts/build.mjs runs one verb with this set: the cache then holds what that verb compiled.
  done.then(() => {
    writeFileSync(`${cacheFile}.tmp`, script.createCachedData());
    renameSync(`${cacheFile}.tmp`, cacheFile);
  });
}
