// The explain page (cli/web/index.html): paste or drop a config.json, see
// its validation errors, the plan grouped by stage and effect, the lint
// findings, and the diff against a second config. Plain DOM, no framework;
// the planning is planner/ itself, bundled by scripts/build-web.mjs into the
// one HTML file that `planc explain --serve` serves and that works from disk.
//
// Config text is untrusted: it only ever reaches the page as textContent.
import type { HostFacts } from '../../schemas/generated/hostfacts.js';
import type { Plan } from '../../schemas/generated/plan.js';
import { PlancError } from '../../schemas/error.js';
import { parseJson } from '../../planner/json.js';
import { planCreate } from '../../planner/plan.js';
import { defaultHostFacts } from '../../planner/host-facts.js';
import { digestOf, encodePlan } from '../../planner/encode.js';
import { explainSections } from '../../planner/explain.js';
import { diffLines, diffPlans } from '../../planner/diff.js';
import { type Finding, lintPlan } from '../../planner/lint.js';
import { defaultSpec } from '../default-spec.js';
import { locateLineColumn, locatePointer, type Span } from './locate.js';

type Side = 'a' | 'b';
const SIDES: Side[] = ['a', 'b'];
const NAME: Record<Side, string> = { a: 'A', b: 'B' };

interface Problem {
  code: string;
  where: string;
  message: string;
}

type Outcome =
  | { kind: 'empty' }
  | { kind: 'error'; problems: Problem[] }
  | { kind: 'ok'; plan: Plan; digest: string; findings: Finding[] };

// ---------------------------------------------------------------- DOM helpers

type Child = Node | string | number | null | undefined | false;

function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | undefined> | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) if (v !== undefined) el.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(typeof c === 'number' ? String(c) : c);
  return el;
}

function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`planc explain page: #${id} is missing`);
  return el as T;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const empty = (text: string) => h('p', { class: 'empty' }, text);

// ---------------------------------------------------------------- state

const inputs: Record<Side, HTMLTextAreaElement> = { a: byId('config-a'), b: byId('config-b') };
const sources: Record<Side, HTMLElement> = { a: byId('source-a'), b: byId('source-b') };
/** The file a config came from, for parse errors' "where" (like the CLI's config path). */
const fileNames: Record<Side, string | undefined> = { a: undefined, b: undefined };
let outcomes: Record<Side, Outcome> = { a: { kind: 'empty' }, b: { kind: 'empty' } };
let runs = 0;

function hostFacts(): HostFacts {
  const id = byId<HTMLInputElement>('container-id').value.trim() || 'planc-plan';
  const bundle = byId<HTMLInputElement>('bundle').value.trim() || '/bundle';
  const facts = defaultHostFacts(id, bundle);
  if (byId<HTMLSelectElement>('cgroup').value === '2') facts.cgroup = { version: 2, root: '/sys/fs/cgroup' };
  return facts;
}

function problemsOf(e: unknown): Problem[] {
  if (e instanceof PlancError) {
    if (e.details.length > 0) return e.details.map((d) => ({ code: e.code, where: d.where, message: d.message }));
    return [{ code: e.code, where: e.where ?? e.file ?? '', message: e.message }];
  }
  // Not a PlancError: a planner bug, not a config problem. Say so, and keep the stack for the console.
  console.error(e);
  return [{ code: 'internal', where: '', message: `internal error in the planner: ${e instanceof Error ? e.message : String(e)}` }];
}

function planSide(side: Side, facts: HostFacts, waitForStart: boolean): Outcome {
  const text = inputs[side].value;
  if (text.trim() === '') return { kind: 'empty' };
  try {
    const plan = planCreate(parseJson(text, fileNames[side] ?? `config ${NAME[side]}`), facts, { waitForStart });
    return { kind: 'ok', plan, digest: digestOf(encodePlan(plan)), findings: lintPlan(plan) };
  } catch (e) {
    return { kind: 'error', problems: problemsOf(e) };
  }
}

function run(): void {
  window.clearTimeout(pending);
  const facts = hostFacts();
  const waitForStart = !byId<HTMLInputElement>('run-mode').checked;
  outcomes = { a: planSide('a', facts, waitForStart), b: planSide('b', facts, waitForStart) };
  renderStatus();
  renderErrors();
  renderDigests(facts, waitForStart);
  renderExplain();
  renderWarnings();
  renderDiff();
  document.documentElement.dataset.plancRuns = String(++runs);
}

let pending = 0;
function schedule(): void {
  window.clearTimeout(pending);
  if (byId<HTMLInputElement>('live').checked) pending = window.setTimeout(run, 200);
}

// ---------------------------------------------------------------- rendering

function summaryOf(o: Outcome): string {
  if (o.kind === 'empty') return 'empty';
  if (o.kind === 'error') return plural(o.problems.length, 'error');
  return `${plural(o.plan.actions.length, 'action')}, ${plural(o.findings.length, 'warning')}`;
}

function renderStatus(): void {
  const { a, b } = outcomes;
  const status = byId('status');
  if (a.kind === 'empty' && b.kind === 'empty') status.textContent = 'Paste a config to begin.';
  else status.textContent = `Config A: ${summaryOf(a)}.` + (b.kind === 'empty' ? '' : ` Config B: ${summaryOf(b)}.`);
  status.dataset.a = a.kind;
  status.dataset.b = b.kind;
}

function renderErrors(): void {
  const body = byId('errors-body');
  const parts: Node[] = [];
  let total = 0;
  for (const side of SIDES) {
    const o = outcomes[side];
    if (o.kind !== 'error') continue;
    total += o.problems.length;
    parts.push(
      h('h3', { class: 'which' }, `Config ${NAME[side]}: ${plural(o.problems.length, 'error')}`),
      h('ul', { class: 'plain', 'data-side': side }, ...o.problems.map((p) => errorItem(side, p))),
    );
  }
  body.replaceChildren(...(parts.length ? parts : [empty('None.')]));
  byId('errors-count').textContent = total ? `(${total})` : '';
  byId('errors').classList.toggle('has-errors', total > 0);
}

function errorItem(side: Side, p: Problem): HTMLLIElement {
  const text = inputs[side].value;
  const span = p.where.startsWith('/') ? locatePointer(text, p.where) : locateLineColumn(text, p.message);
  const where = p.where === '' ? null : span ? h('button', { type: 'button', class: 'where link mono', title: `select ${p.where} in config ${NAME[side]}` }, p.where) : h('code', { class: 'where' }, p.where);
  if (where && span) where.addEventListener('click', () => select(side, span));
  return h('li', { class: 'error', 'data-where': p.where, 'data-code': p.code }, where, where ? ' ' : null, h('span', { class: 'message' }, p.message), ' ', h('span', { class: 'code' }, `[${p.code}]`));
}

/** Select a span of a config and scroll it into view. */
function select(side: Side, span: Span): void {
  const ta = inputs[side];
  const end = span.end - span.start > 400 ? span.start + 1 : span.end;
  ta.focus();
  ta.setSelectionRange(span.start, end);
  const line = ta.value.slice(0, span.start).split('\n').length - 1;
  const lineHeight = parseFloat(getComputedStyle(ta).lineHeight) || 18;
  ta.scrollTop = Math.max(0, (line - 3) * lineHeight);
}

function renderDigests(facts: HostFacts, waitForStart: boolean): void {
  for (const side of SIDES) {
    const o = outcomes[side];
    byId(side === 'a' ? 'digest' : 'digest-b').textContent = o.kind === 'ok' ? o.digest : '';
    byId(`digest-${side}-info`).textContent = o.kind === 'ok' ? `(${summaryOf(o)})` : o.kind === 'error' ? '(no plan: see the errors)' : '(empty)';
  }
  const cgroup = facts.cgroup.version === 1 ? 'cgroup v1 (the default controllers under /sys/fs/cgroup)' : 'cgroup v2';
  byId('facts-note').textContent = `Planned for container ${facts.containerId}, bundle ${facts.bundle}, ${cgroup}, as root. ` + `On such a host, planc plan --id ${facts.containerId} --bundle ${facts.bundle}${waitForStart ? '' : ' --run'} prints the same digest.`;
}

function which(): Side {
  const checked = document.querySelector<HTMLInputElement>('input[name="explain-which"]:checked');
  return checked?.value === 'b' ? 'b' : 'a';
}

function renderExplain(): void {
  const side = which();
  const o = outcomes[side];
  const body = byId('explain-body');
  const count = byId('explain-count');
  byId('explain').dataset.side = side;
  if (o.kind !== 'ok') {
    count.textContent = '';
    body.replaceChildren(empty(o.kind === 'empty' ? `Config ${NAME[side]} is empty.` : `Config ${NAME[side]} has errors: no plan.`));
    return;
  }
  const sections = explainSections(o.plan);
  count.textContent = `(config ${NAME[side]}: ${plural(o.plan.actions.length, 'action')} in ${plural(sections.length, 'stage')})`;
  body.replaceChildren(
    ...sections.map((s) =>
      h(
        'section',
        { class: 'stage', 'data-stage': s.stage, 'aria-label': `${s.stage}: ${s.title}` },
        h('h3', null, h('span', { class: 'stage-name' }, s.stage), `: ${s.title}`),
        ...s.groups.flatMap((g) => [
          h('h4', null, g.effect),
          h(
            'ul',
            { class: 'plain', 'data-effect': g.effect },
            ...g.lines.map((l) => h('li', { class: 'explain-line', 'data-index': String(l.index) }, h('span', { class: 'idx' }, l.index), h('span', { class: 'text' }, l.text), h('span', { class: 'why' }, '← ', h('code', null, l.why)))),
          ),
        ]),
      ),
    ),
  );
}

function renderWarnings(): void {
  const body = byId('warnings-body');
  const parts: Node[] = [];
  let total = 0;
  for (const side of SIDES) {
    const o = outcomes[side];
    if (o.kind !== 'ok') continue;
    total += o.findings.length;
    const levels = (['error', 'warning', 'note'] as const).map((l) => [l, o.findings.filter((f) => f.level === l).length] as const).filter(([, n]) => n > 0);
    parts.push(h('h3', null, `Config ${NAME[side]}: `, levels.length ? levels.map(([l, n]) => plural(n, l)).join(', ') : 'no warnings'));
    if (o.findings.length === 0) continue;
    parts.push(
      h(
        'ul',
        { class: 'plain', 'data-side': side },
        ...o.findings.map((f) =>
          h('li', { class: `finding level-${f.level}`, 'data-rule': f.rule, 'data-level': f.level }, h('span', { class: 'level' }, f.level), h('span', { class: 'message' }, f.message), h('span', { class: 'meta' }, h('code', null, f.rule), ' ← ', h('code', null, f.why))),
        ),
      ),
    );
  }
  body.replaceChildren(...(parts.length ? parts : [empty('No plan yet.')]));
  byId('warnings-count').textContent = total ? `(${total})` : '';
}

function renderDiff(): void {
  const { a, b } = outcomes;
  const body = byId('diff-body');
  const count = byId('diff-count');
  count.textContent = '';
  if (b.kind === 'empty') return void body.replaceChildren(empty('Paste a second config (B) to compare.'));
  if (a.kind === 'empty') return void body.replaceChildren(empty('Config A is empty: nothing to compare B with.'));
  if (a.kind !== 'ok' || b.kind !== 'ok') {
    const bad = SIDES.filter((s) => outcomes[s].kind === 'error').map((s) => NAME[s]);
    return void body.replaceChildren(empty(`Fix the errors in config ${bad.join(' and ')} to compare.`));
  }
  const d = diffPlans(a.plan, b.plan);
  const lines = diffLines(d);
  if (lines.length === 0) return void body.replaceChildren(h('p', { class: 'summary-ok' }, 'No change in privileged effect.'));
  const n = (k: string) => d.changes.filter((c) => c.kind === k).length;
  const summary = [`${n('added')} added`, `${n('removed')} removed`, `${n('changed')} changed`];
  if (d.mountOrder) summary.push('mount order changed');
  if (d.warningsAdded.length || d.warningsRemoved.length) summary.push(`warnings +${d.warningsAdded.length} −${d.warningsRemoved.length}`);
  count.textContent = `(${summary.join(', ')})`;
  const KIND: Record<string, string> = { '+': 'added', '-': 'removed', '~': 'changed' };
  body.replaceChildren(
    h('p', { class: 'summary-bad' }, `Config B differs from A in privileged effect: ${summary.join(', ')}.`),
    h('ul', { class: 'plain' }, ...lines.map((l) => h('li', { class: `diff-line ${KIND[l[0]!] ?? ''}`, 'data-kind': KIND[l[0]!] ?? '' }, h('span', { class: 'sign', 'aria-hidden': 'true' }, l[0]!), h('span', { class: 'sr-only' }, `${KIND[l[0]!] ?? ''}: `), h('span', { class: 'text' }, l.slice(2))))),
  );
}

// ---------------------------------------------------------------- input

async function load(side: Side, file: File): Promise<void> {
  const text = await file.text();
  inputs[side].value = text;
  fileNames[side] = file.name;
  sources[side].textContent = `loaded ${file.name} (${plural(file.size, 'byte')})`;
  run();
}

for (const side of SIDES) {
  const ta = inputs[side];
  ta.addEventListener('input', schedule);
  ta.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      run();
    }
  });
  const fileInput = byId<HTMLInputElement>(`file-${side}`);
  byId(`open-${side}`).addEventListener('click', () => fileInput.click());
  fileInput.addEventListener('change', () => {
    const file = fileInput.files?.[0];
    if (file) void load(side, file);
    fileInput.value = '';
  });
  byId(`clear-${side}`).addEventListener('click', () => {
    ta.value = '';
    fileNames[side] = undefined;
    sources[side].textContent = '';
    run();
    ta.focus();
  });
  // A file dropped anywhere on the box loads it; dropped text goes into the textarea as usual.
  const box = byId(`drop-${side}`);
  const hasFiles = (e: DragEvent) => e.dataTransfer?.types.includes('Files') ?? false;
  box.addEventListener('dragover', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.dataTransfer!.dropEffect = 'copy';
    box.classList.add('dragging');
  });
  box.addEventListener('dragleave', (e) => {
    if (!box.contains(e.relatedTarget as Node | null)) box.classList.remove('dragging');
  });
  box.addEventListener('drop', (e) => {
    box.classList.remove('dragging');
    const file = e.dataTransfer?.files[0];
    if (!file) return;
    e.preventDefault();
    void load(side, file);
  });
}
// A file dropped beside the boxes must not make the browser navigate away from the page.
window.addEventListener('dragover', (e) => e.preventDefault());
window.addEventListener('drop', (e) => e.preventDefault());

byId('example-a').addEventListener('click', () => {
  inputs.a.value = JSON.stringify(defaultSpec(false, 0, 0), null, 2) + '\n';
  fileNames.a = undefined;
  sources.a.textContent = 'planc spec (the default config)';
  run();
});
byId('swap').addEventListener('click', () => {
  [inputs.a.value, inputs.b.value] = [inputs.b.value, inputs.a.value];
  [fileNames.a, fileNames.b] = [fileNames.b, fileNames.a];
  [sources.a.textContent, sources.b.textContent] = [sources.b.textContent, sources.a.textContent];
  run();
});
byId('form').addEventListener('submit', (e) => {
  e.preventDefault();
  run();
});
for (const id of ['cgroup', 'run-mode']) byId(id).addEventListener('change', run);
for (const id of ['container-id', 'bundle']) byId(id).addEventListener('input', schedule);
for (const r of document.querySelectorAll<HTMLInputElement>('input[name="explain-which"]')) r.addEventListener('change', renderExplain);

// Text restored by the browser (back/forward, reload) is planned straight away.
run();
document.documentElement.dataset.plancReady = 'true';
