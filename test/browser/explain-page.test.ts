// The explain page (cli/web → dist/web/planc-explain.html) in a real browser:
// Debian's headless Chromium driven by playwright-core (never a downloaded
// browser). The page is opened from disk with the browser offline, so it
// proves the one file needs no network; what it shows is checked against the
// planner run here in Node on the same input and host facts.
//
//   node --import tsx --test test/browser/*.test.ts
// (needs /usr/bin/chromium, which scripts/setup.sh installs: without it these tests fail)
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import type { HostFacts } from '../../schemas/generated/hostfacts.js';
import { parseJson } from '../../planner/json.js';
import { planCreate } from '../../planner/plan.js';
import { defaultHostFacts } from '../../planner/host-facts.js';
import { digestOf, encodePlan } from '../../planner/encode.js';
import { explainSections } from '../../planner/explain.js';
import { diffLines, diffPlans } from '../../planner/diff.js';
import { lintPlan } from '../../planner/lint.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(REPO, 'test/browser/artifacts');
const fixture = (name: string) => readFileSync(join(REPO, 'test/unit/fixtures', `${name}.json`), 'utf8');

// The page's defaults: container planc-plan, bundle /bundle, cgroup v1 as defaultHostFacts has it.
const V1 = defaultHostFacts('planc-plan', '/bundle');
const V2: HostFacts = { ...V1, cgroup: { version: 2, root: '/sys/fs/cgroup' } };
const planOf = (text: string, facts = V1) => planCreate(parseJson(text), facts, { waitForStart: true });
const digestOfText = (text: string, facts = V1) => digestOf(encodePlan(planOf(text, facts)));

let scratch = '';
let pageFile = '';
let context: BrowserContext | undefined;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is installed (scripts/setup.sh installs Debian's chromium)`);
  scratch = mkdtempSync(join(tmpdir(), 'planc-browser-'));
  // Build the page from the sources under test, into scratch (dist/ is the build's to write).
  pageFile = join(scratch, 'planc-explain.html');
  const { writeWeb } = (await import(pathToFileURL(join(REPO, 'scripts/build-web.mjs')).href)) as { writeWeb(o: { out: string; quiet: boolean }): Promise<unknown> };
  await writeWeb({ out: pageFile, quiet: true });
  context = await chromium.launchPersistentContext(join(scratch, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
    offline: true,
  });
});

after(async () => {
  await context?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** A fresh tab on `url`, with everything the page logs as an error, and every request it makes, collected. */
async function open(url: string): Promise<{ page: Page; problems: string[]; requests: string[] }> {
  const page = await context!.newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(url);
  await page.waitForFunction(() => document.documentElement.dataset.plancReady === 'true');
  return { page, problems, requests };
}

const openFile = () => open(pathToFileURL(pageFile).href);
const text = (page: Page, selector: string) => page.locator(selector).innerText();

/** Paste into a config box and plan now (the button; typing plans too, after a pause). */
async function paste(page: Page, side: 'a' | 'b', config: string): Promise<void> {
  await page.fill(`#config-${side}`, config);
  await page.click('#plan');
}

test('default config: the explain view, grouped by stage and effect, and the digest Node computes', { timeout: 60_000 }, async () => {
  const { page, problems, requests } = await openFile();
  const config = fixture('default');
  // Typing alone plans (live update), no button.
  await page.fill('#config-a', config);
  await page.waitForFunction(() => document.getElementById('digest')!.textContent!.startsWith('sha256:'));
  assert.equal(await text(page, '#digest'), digestOfText(config));

  const explain = await text(page, '#explain');
  assert.match(explain, /pivot_root into the rootfs/);
  // The same stages, effects and lines as explainSections in Node, in order.
  const sections = explainSections(planOf(config));
  const shown = await page.$$eval('#explain .stage', (els) =>
    els.map((s) => ({
      stage: (s as HTMLElement).dataset.stage,
      groups: [...s.querySelectorAll('ul[data-effect]')].map((u) => ({ effect: (u as HTMLElement).dataset.effect, lines: [...u.querySelectorAll('.text')].map((t) => t.textContent) })),
    })),
  );
  assert.deepEqual(shown, sections.map((s) => ({ stage: s.stage, groups: s.groups.map((g) => ({ effect: g.effect, lines: g.lines.map((l) => l.text) })) })));

  assert.match(await text(page, '#errors'), /None\./);
  const rules = await page.$$eval('#warnings li[data-rule]', (els) => els.map((e) => (e as HTMLElement).dataset.rule));
  assert.deepEqual(rules, lintPlan(planOf(config)).map((f) => f.rule));
  assert.match(await text(page, '#diff'), /Paste a second config/);

  // The host-facts selector: cgroup v2 plans differently, and the digest follows.
  await page.selectOption('#cgroup', '2');
  assert.equal(await text(page, '#digest'), digestOfText(config, V2));
  assert.notEqual(digestOfText(config, V2), digestOfText(config));
  assert.doesNotMatch(await text(page, '#explain'), /\/sys\/fs\/cgroup\/memory\//);

  assert.deepEqual(problems, []);
  assert.deepEqual(requests.filter((u) => !u.startsWith('file:')), [], 'the page opened from disk makes no network request');
  await page.close();
});

test('invalid config: every schema error is listed with its JSON path', { timeout: 60_000 }, async () => {
  const { page, problems } = await openFile();
  const bad = JSON.parse(fixture('default')) as { process: Record<string, unknown> };
  bad.process.args = 'sh';
  bad.process.cwd = 5;
  const config = JSON.stringify(bad, null, 2);
  await paste(page, 'a', config);

  const errors = await page.$$eval('#errors li', (els) => els.map((e) => ({ where: (e as HTMLElement).dataset.where, text: e.textContent })));
  assert.equal(errors.length, 2, JSON.stringify(errors));
  assert.equal(errors[0]!.where, '/process/args');
  assert.match(errors[0]!.text!, /\/process\/args.*must be array/);
  assert.equal(errors[1]!.where, '/process/cwd');
  assert.match(errors[1]!.text!, /\/process\/cwd.*must be string/);
  assert.equal(await text(page, '#digest'), '');
  assert.match(await text(page, '#explain'), /has errors: no plan/);
  assert.match(await text(page, '#status'), /Config A: 2 errors/);

  // A path is a button that selects the offending value in the config.
  await page.click('#errors li[data-where="/process/cwd"] button');
  const selected = await page.$eval('#config-a', (t) => (t as HTMLTextAreaElement).value.slice((t as HTMLTextAreaElement).selectionStart, (t as HTMLTextAreaElement).selectionEnd));
  assert.equal(selected, '5');

  // Not JSON at all: the parse error, with its line and column.
  await paste(page, 'a', '{\n  "ociVersion": "1.2.0",\n  oops\n}');
  assert.match(await text(page, '#errors'), /config A.*invalid JSON at line 3 column 3/s);

  assert.deepEqual(problems, []);
  await page.close();
});

test('a second config: the diff and its warnings (privileged-like.json against the default)', { timeout: 60_000 }, async () => {
  const { page, problems } = await openFile();
  const a = fixture('default');
  const b = fixture('privileged-like');
  await paste(page, 'a', a);
  await paste(page, 'b', b);

  assert.equal(await text(page, '#digest-b'), digestOfText(b));
  const added = await page.$$eval('#diff .diff-line.added .text', (els) => els.map((e) => e.textContent));
  assert.ok(added.some((l) => /^init bind \/var\/run\/docker\.sock onto \/var\/run\/docker\.sock/.test(l!)), added.join('\n'));
  // Line for line what `planc diff` prints.
  const lines = await page.$$eval('#diff .diff-line', (els) => els.map((e) => `${e.querySelector('.sign')!.textContent} ${e.querySelector('.text')!.textContent}`));
  assert.deepEqual(lines, diffLines(diffPlans(planOf(a), planOf(b))));

  const socket = page.locator('#warnings ul[data-side="b"] li[data-rule="runtime-socket"]');
  assert.equal(await socket.count(), 1);
  assert.equal(await socket.getAttribute('data-level'), 'error');
  assert.match((await socket.textContent())!, /host path \/var\/run\/docker\.sock is a container runtime's socket: whoever can use it controls the host/);

  // Explain B on request.
  await page.check('input[name="explain-which"][value="b"]');
  assert.match(await text(page, '#explain'), /bind \/var\/run\/docker\.sock onto \/var\/run\/docker\.sock/);
  await page.check('input[name="explain-which"][value="a"]');

  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'explain.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test('a seccomp profile: explain says the filter in words, the diff lists syscalls whose verdict changed', { timeout: 60_000 }, async () => {
  const { page, problems } = await openFile();
  const a = fixture('hooks-seccomp');
  const changed = JSON.parse(a);
  changed.linux.seccomp.syscalls.push({ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 });
  const b = JSON.stringify(changed, null, 2);
  await paste(page, 'a', a);
  await paste(page, 'b', b);
  assert.match(await text(page, '#explain'), /load a seccomp filter on x86_64: fails 229 syscalls with EPERM, fails 136 syscalls with ENOSYS, allows 3 syscalls \(exit_group, read, write\); default ERRNO\(EPERM\)/);
  const lines = await page.$$eval('#diff .diff-line', (els) => els.map((e) => `${e.querySelector('.sign')!.textContent} ${e.querySelector('.text')!.textContent}`));
  assert.deepEqual(lines, diffLines(diffPlans(planOf(a), planOf(b))));
  assert.ok(lines.includes('    mkdir: ERRNO(EPERM) → ERRNO(ENOSYS)'), lines.join('\n'));
  assert.deepEqual(problems, []);
  await page.close();
});

test('a file dropped on a config box is loaded and planned', { timeout: 60_000 }, async () => {
  const { page, problems } = await openFile();
  const config = fixture('privileged-like');
  const dataTransfer = await page.evaluateHandle((t) => {
    const dt = new DataTransfer();
    dt.items.add(new File([t], 'privileged-like.json', { type: 'application/json' }));
    return dt;
  }, config);
  await page.dispatchEvent('#drop-a', 'dragover', { dataTransfer });
  await page.dispatchEvent('#drop-a', 'drop', { dataTransfer });
  await page.waitForFunction(() => document.getElementById('digest')!.textContent!.startsWith('sha256:'));
  assert.equal(await page.inputValue('#config-a'), config);
  assert.match(await text(page, '#source-a'), /privileged-like\.json/);
  assert.equal(await text(page, '#digest'), digestOfText(config));
  assert.deepEqual(problems, []);
  await page.close();
});

/** A copy of the built CLI (bin, dist, package.json): a rebuild running meanwhile rewrites dist/. */
function snapshotCli(): string {
  // The CLI itself (explain is always the CLI's; the package's bin, bin/planc, is the native front that runs it).
  const bin = 'bin/planc.cjs';
  for (const f of [bin, 'dist/web/planc-explain.html']) assert.ok(existsSync(join(REPO, f)), `${f} is missing: run \`node scripts/build.mjs\` first`);
  const dir = join(scratch, 'cli');
  mkdirSync(dir);
  const cp = spawnSync('cp', ['-a', join(REPO, 'bin'), join(REPO, 'dist'), join(REPO, 'package.json'), dir + '/'], { encoding: 'utf8' });
  assert.equal(cp.status, 0, cp.stderr);
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
  return join(dir, bin);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

test('planc explain --serve --port N serves the same page on 127.0.0.1 and stops on SIGINT', { timeout: 60_000 }, async () => {
  const planc = snapshotCli();
  const port = await freePort();
  const child = spawn(process.execPath, [planc, 'explain', '--serve', '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d));
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL within 10 s; stdout ${JSON.stringify(stdout)} stderr ${JSON.stringify(stderr)}`)), 10_000);
      const look = () => {
        const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(stdout);
        if (m) {
          clearTimeout(timer);
          resolve(m[0]);
        }
      };
      child.stdout!.on('data', look);
      child.once('exit', (code) => reject(new Error(`planc exited (${code}) before serving: ${stderr}`)));
    });
    assert.equal(url, `http://127.0.0.1:${port}/`);

    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^text\/html; charset=utf-8/);
    assert.equal(await res.text(), readFileSync(join(planc, '../../dist/web/planc-explain.html'), 'utf8'));
    assert.equal((await fetch(url + 'nope')).status, 404);
    assert.equal((await fetch(url, { method: 'POST' })).status, 405);

    // And it works over http as it does from disk (the browser is offline for the file tests).
    await context!.setOffline(false);
    const { page, problems } = await open(url);
    const config = fixture('default');
    await paste(page, 'a', config);
    assert.equal(await text(page, '#digest'), digestOfText(config));
    assert.match(await text(page, '#explain'), /pivot_root into the rootfs/);
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await context!.setOffline(true);
    child.kill('SIGINT');
  }
  const timeout = setTimeout(() => child.kill('SIGKILL'), 5_000);
  const end = await exited(child);
  clearTimeout(timeout);
  assert.deepEqual(end, { code: 0, signal: null }, `SIGINT stops the server cleanly; stderr: ${stderr}`);
});
