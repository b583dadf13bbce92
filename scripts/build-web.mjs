// Build dist/web/planc-explain.html: the explain page (cli/web/index.html)
// with cli/web/app.ts — and with it planner/ — bundled by esbuild for the
// browser and inlined, so the one file works opened from disk, offline, and
// is what `planc explain --serve` serves. Its Content-Security-Policy allows
// exactly the inlined script and style (by hash) and no network at all.
//
//   node scripts/build-web.mjs [--out FILE] [--quiet]
// (scripts/build.mjs runs it too: it takes a fraction of a second.)
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
export const DEFAULT_OUT = `${root}dist/web/planc-explain.html`;
const SCRIPT_MARK = '<!--planc:script-->';
const CSP_MARK = '__PLANC_CSP__';

const cspHash = (text) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** The page as one HTML string. */
export async function buildPage() {
  const result = await build({
    absWorkingDir: root,
    entryPoints: ['cli/web/app.ts'],
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'iife',
    // Browsers of the last few years; bigint and optional chaining are needed anyway.
    target: ['es2020', 'chrome90', 'firefox90', 'safari15'],
    minify: true,
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'warning',
  });
  // esbuild escapes "</script" in strings for inline use; check it did, and that
  // nothing else could end or re-open the element early.
  const script = result.outputFiles[0].text.trimEnd();
  for (const bad of [/<\/script/i, /<!--/]) if (bad.test(script)) throw new Error(`build-web: the bundled script contains ${bad}, which cannot be inlined`);

  const template = readFileSync(`${root}cli/web/index.html`, 'utf8');
  const styles = [...template.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]);
  if (!template.includes(SCRIPT_MARK) || !template.includes(CSP_MARK) || styles.length === 0) throw new Error('build-web: cli/web/index.html lacks the script marker, the CSP placeholder or its <style>');
  const csp = [
    "default-src 'none'",
    `script-src ${cspHash(script)}`,
    `style-src ${styles.map(cspHash).join(' ')}`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  // Function replacers: the script is full of "$" patterns String#replace would expand.
  return template.replace(CSP_MARK, () => csp).replace(SCRIPT_MARK, () => `<script>${script}</script>`);
}

/** Build the page and write it (atomically) to `out`. */
export async function writeWeb({ out = DEFAULT_OUT, quiet = false } = {}) {
  const started = performance.now();
  const html = await buildPage();
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(`${out}.tmp-${process.pid}`, html);
  renameSync(`${out}.tmp-${process.pid}`, out);
  const bytes = Buffer.byteLength(html);
  if (!quiet) console.log(`build-web: ${out.startsWith(root) ? out.slice(root.length) : out} ${bytes} bytes in ${Math.round(performance.now() - started)} ms`);
  return { out, bytes };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values: args } = parseArgs({ options: { out: { type: 'string' }, quiet: { type: 'boolean' } } });
  await writeWeb({ out: args.out, quiet: args.quiet });
}
