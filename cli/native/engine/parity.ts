// The embedded planner (engine.h) against the Node CLI's, on this host: for
// every config of test/unit/fixtures (and the lint corpus's patched ones, which
// bind host paths the facts must look at), in each mode of create/run, the
// driver build/test/planc-engine-plan — host facts gathered inside the engine —
// must plan exactly the bytes cli/planning.ts planBundle plans here, with the
// extras cli/container.ts takes from the config and the plan, or refuse (-1)
// exactly where planning or create's own checks refuse. Also: `planc plan
// --format msgpack` gives the same bytes, and a snapshot that fails its checks
// is not used (a cold start, same plan).
//   cli/native/engine/build.sh && node --import tsx cli/native/engine/parity.ts
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJson, stringifyJson, type Json } from '../../../planner/json.js';
import { planBundle } from '../../planning.js';
import { checkCreate, type CreateMode } from '../../plan-inputs.js';
import { nodeHostIO } from '../../node-host-io.js';
import { checkConsoleSocket } from '../../console-socket.js';
import { applyPatch, type PatchOp } from '../../../test/helpers/json-patch.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const DRIVER = `${ROOT}build/test/planc-engine-plan`;
const SNAPSHOT = `${ROOT}build/engine/planner.snapshot`;
const FIXTURES = `${ROOT}test/unit/fixtures/`;

interface Case {
  name: string;
  text: Buffer;
  rootfs?: boolean;
}

const json = (v: Json) => Buffer.from(stringifyJson(v));
const fixture = (f: string) => parseJson(readFileSync(FIXTURES + f, 'utf8'));
const cases: Case[] = [];
for (const f of readdirSync(FIXTURES).filter((n) => n.endsWith('.json')).sort()) cases.push({ name: f, text: readFileSync(FIXTURES + f) });
for (const f of readdirSync(`${FIXTURES}lint`).filter((n) => n.endsWith('.json')).sort()) {
  const fx = JSON.parse(readFileSync(`${FIXTURES}lint/${f}`, 'utf8')) as { patch: PatchOp[] };
  cases.push({ name: `lint/${f}`, text: json(applyPatch(fixture('default.json'), fx.patch)) });
}
const patched = (name: string, patch: PatchOp[], rootfs = true): Case => ({ name, text: json(applyPatch(fixture('default.json'), patch)), rootfs });
cases.push(
  patched('annotations', [{ op: 'add', path: '/annotations', value: { 'org.example/a': 'b' } }]),
  patched('empty annotations', [{ op: 'add', path: '/annotations', value: {} }]),
  patched('terminal', [{ op: 'replace', path: '/process/terminal', value: true }]),
  patched('64-bit memory limit', [{ op: 'add', path: '/linux/resources/memory', value: { limit: 9007199254740993n } }]),
  patched('no rootfs', [], false),
  patched('invalid config', [{ op: 'replace', path: '/process/args', value: 'sh' }]),
  { name: 'not JSON', text: Buffer.from('{"ociVersion": ') },
  { name: 'not UTF-8', text: Buffer.concat([Buffer.from('{"ociVersion": "1.0.2", "x": "'), Buffer.from([0xff]), Buffer.from('"}')]) },
);

const MODES: CreateMode[] = ['create', 'run', 'run-detached'];
const work = mkdtempSync(join(tmpdir(), 'planc-engine-parity-'));

interface Variant {
  mode: CreateMode;
  noPivot?: boolean;
  systemd?: boolean;
  socket?: string;
}

/** What the Node CLI does with the bundle for create/run before anything exists: bytes and extras, or null (refused). */
function expected(bundle: string, v: Variant): { bytes: Buffer; extras: string } | null {
  try {
    const socket = v.socket === undefined ? undefined : checkConsoleSocket(v.socket);
    const flags = { bundle, id: 'planc-plan', root: '/run/planc', 'no-pivot': v.noPivot, 'systemd-cgroup': v.systemd, 'console-socket': socket, run: v.mode !== 'create', detach: v.mode === 'run-detached' };
    const { plan, bytes, config } = planBundle(flags, () => {});
    checkCreate(nodeHostIO, { config, plan, mode: v.mode, socket, relay: true });
    const extras = {
      ...(config.annotations && Object.keys(config.annotations).length > 0 ? { annotations: config.annotations } : {}),
      ...(config.linux?.resources ? { resources: config.linux.resources } : {}),
      terminal: config.process?.terminal ?? false,
      relay: plan.actions.some((a) => a.op === 'console.relay'),
      actions: plan.actions.length,
      warnings: plan.warnings,
    };
    return { bytes: Buffer.from(bytes), extras: stringifyJson(extras) };
  } catch {
    return null;
  }
}

/** The driver's answer; `snapshot` false: --no-snapshot. */
function engine(bundle: string, v: Variant, snapshot: string | false = SNAPSHOT): { bytes: Buffer; extras: string; started: string } | null {
  const out = join(work, 'plan.bin');
  rmSync(out, { force: true });
  const args = ['--bundle', bundle, '--mode', v.mode, '--plan-out', out, '--extras', '--timings', ...(v.noPivot ? ['--no-pivot'] : []), ...(v.systemd ? ['--systemd-cgroup'] : []), ...(v.socket ? ['--console-socket', v.socket] : []), ...(snapshot === false ? ['--no-snapshot'] : ['--snapshot', snapshot])];
  const r = spawnSync(DRIVER, args, { encoding: 'utf8' });
  const started = /\((snapshot|cold)\)/.exec(r.stderr)?.[1] ?? '?';
  if (r.status === 2) return null;
  if (r.status !== 0) throw new Error(`planc-engine-plan ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  const [digest, extras = ''] = r.stdout.trimEnd().split('\n');
  const bytes = readFileSync(out);
  const hex = `sha256:${execFileSync('sha256sum', [out], { encoding: 'utf8' }).split(' ')[0]}`;
  if (digest !== hex) throw new Error(`planc-engine-plan printed ${digest}, the bytes are ${hex}`);
  return { bytes, extras, started };
}

function same(label: string, want: ReturnType<typeof expected>, got: ReturnType<typeof engine>): void {
  if (want === null && got === null) return;
  if (want === null) throw new Error(`${label}: the engine planned what the Node CLI refuses`);
  if (got === null) throw new Error(`${label}: the engine refused what the Node CLI plans`);
  if (!want.bytes.equals(got.bytes)) throw new Error(`${label}: the plan bytes differ`);
  if (want.extras !== got.extras) throw new Error(`${label}: extras differ:\n  node:   ${want.extras}\n  engine: ${got.extras}`);
}

let compared = 0;
let planned = 0;
let cold = 0;
try {
  for (const [k, c] of cases.entries()) {
    const bundle = join(work, `b${k}`);
    mkdirSync(bundle);
    writeFileSync(join(bundle, 'config.json'), c.text);
    if (c.rootfs !== false) mkdirSync(join(bundle, 'rootfs'));
    const variants: Variant[] = [...MODES.map((mode) => ({ mode })), { mode: 'create', noPivot: true, systemd: true }];
    for (const [i, v] of variants.entries()) {
      const want = expected(bundle, v);
      const got = engine(bundle, v);
      if (got && got.started !== 'snapshot') throw new Error(`${c.name}: the snapshot was not used`);
      same(`${c.name} ${JSON.stringify(v)}`, want, got);
      compared++;
      if (want) planned++;
      if (i === 0) {
        // Started cold: the same answer.
        same(`${c.name} ${JSON.stringify(v)} cold`, want, engine(bundle, v, false));
        cold++;
      }
    }
  }
  // `planc plan --format msgpack`, the command, for a few bundles.
  for (const f of ['default.json', 'hooks.json', 'privileged-like.json']) {
    const bundle = join(work, `cli-${f}`);
    mkdirSync(join(bundle, 'rootfs'), { recursive: true });
    copyFileSync(FIXTURES + f, join(bundle, 'config.json'));
    for (const [mode, flags] of [['create', []], ['run', ['--run']], ['run-detached', ['--run', '--detach']]] as const) {
      const cli = execFileSync(process.execPath, [`${ROOT}bin/planc.cjs`, 'plan', '--bundle', bundle, '--format', 'msgpack', ...flags]);
      const got = engine(bundle, { mode });
      if (!got || !got.bytes.equals(cli)) throw new Error(`${f} ${mode}: the engine's bytes differ from planc plan --format msgpack`);
      compared++;
      planned++;
    }
  }
  // A terminal detached through a console socket.
  const bundle = join(work, 'tty');
  mkdirSync(join(bundle, 'rootfs'), { recursive: true });
  writeFileSync(join(bundle, 'config.json'), json(applyPatch(fixture('default.json'), [{ op: 'replace', path: '/process/terminal', value: true }])));
  const socket = join(work, 'console.sock');
  const server = createServer();
  await new Promise<void>((ok) => server.listen(socket, ok));
  try {
    for (const v of [{ mode: 'run-detached', socket }, { mode: 'create', socket }, { mode: 'run', socket }, { mode: 'create', socket: join(work, 'tty', 'config.json') }] as Variant[]) {
      same(`console socket ${JSON.stringify(v)}`, expected(bundle, v), engine(bundle, v));
      compared++;
    }
  } finally {
    server.close();
  }
  // A snapshot that fails a check is not used: a cold start, the same plan.
  const b0 = join(work, 'b0');
  const want = expected(b0, { mode: 'create' });
  const copy = (name: string, mode = 0o644) => {
    const p = join(work, name);
    copyFileSync(SNAPSHOT, p);
    chmodSync(p, mode);
    return p;
  };
  const bad: [string, string][] = [
    ['group-writable', copy('gw.snapshot', 0o664)],
    ['other-writable', copy('ow.snapshot', 0o646)],
    ['a symlink', (symlinkSync(SNAPSHOT, join(work, 'link.snapshot')), join(work, 'link.snapshot'))],
    ['of another script', (() => {
      const p = copy('script.snapshot');
      const b = readFileSync(p);
      b[8 + 16 + 64]! ^= 1; // the first digit of the script hash in the header (engine.c struct snapshot_header)
      writeFileSync(p, b);
      return p;
    })()],
    ['cut short', (() => {
      const p = copy('short.snapshot');
      writeFileSync(p, readFileSync(p).subarray(0, 1 << 20));
      return p;
    })()],
    ['missing', join(work, 'none.snapshot')],
  ];
  for (const [what, path] of bad) {
    const got = engine(b0, { mode: 'create' }, path);
    if (got?.started !== 'cold') throw new Error(`a snapshot ${what} was used`);
    same(`snapshot ${what}`, want, got);
  }
  if (engine(b0, { mode: 'create' }, copy('good.snapshot'))?.started !== 'snapshot') throw new Error('a good copy of the snapshot was not used');
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log(`parity: ${compared} cases (${planned} planned, ${compared - planned} refused; ${cold} also started cold), the embedded planner = the Node CLI's planning for create/run`);
