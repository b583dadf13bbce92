// Prototype check (cli/native/engine/): planc-engine gives the same result as the
// in-process planner and as dist/planner.wasm run by quickjs-emscripten in Node,
// for every config of test/unit/fixtures under the host facts and plan options
// test/unit/wasm.test.ts uses. Compares the interface's whole result text
// (digest, plan bytes, or the errors), started fresh and from the snapshot.
//   cli/native/engine/build.sh && node --import tsx cli/native/engine/parity.ts
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadWasmPlanner } from '../../wasm-engine.js';
import { defaultHostFacts } from '../../../planner/host-facts.js';
import { planCreate } from '../../../planner/plan.js';
import { parseJson } from '../../../planner/json.js';
import { digestOf, encodePlan } from '../../../planner/encode.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const ENGINE = `${ROOT}build/engine/planc-engine`;
const FIXTURES = `${ROOT}test/unit/fixtures/`;
const base = defaultHostFacts('box', '/bundles/box', '/run/planc');
const FACTS = {
  'cgroup v1': base,
  'cgroup v2': { ...base, cgroup: { version: 2 as const, root: '/sys/fs/cgroup' } },
  rootless: { ...base, rootless: true, cgroup: { version: 2 as const, root: '/sys/fs/cgroup' } },
  'systemd, no pivot': { ...base, systemdCgroup: true, noPivot: true },
};
const OPTS = [{}, { waitForStart: false }, { waitForStart: false, foreground: true }];

const wasm = await loadWasmPlanner(`${ROOT}build/engine/planner.wasm`);
const dir = mkdtempSync(join(tmpdir(), 'planc-engine-parity-'));
let cases = 0;
let planned = 0;
try {
  for (const file of readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).sort()) {
    const config = readFileSync(FIXTURES + file, 'utf8');
    writeFileSync(join(dir, 'config.json'), config);
    for (const [what, facts] of Object.entries(FACTS)) {
      writeFileSync(join(dir, 'facts.json'), JSON.stringify(facts));
      for (const opts of OPTS) {
        const label = `${file}, ${what}, ${JSON.stringify(opts)}`;
        const optionsText = JSON.stringify(opts);
        const want = wasm.planJSON(config, JSON.stringify(facts), optionsText);
        for (const env of [{}, { PLANC_ENGINE_SNAPSHOT: `${ROOT}build/engine/planner.snapshot` }]) {
          const got = execFileSync(ENGINE, [join(dir, 'config.json'), join(dir, 'facts.json'), optionsText, '--json'], { env: { ...process.env, ...env }, encoding: 'utf8' }).trimEnd();
          if (got !== want) throw new Error(`${label} ${JSON.stringify(env)}: planc-engine differs from the WebAssembly planner in Node`);
        }
        const result = JSON.parse(want) as { ok: boolean; digest?: string };
        if (result.ok) {
          // The in-process planner too (the wasm test holds the two together already; this names the engine under test).
          const bytes = encodePlan(planCreate(parseJson(config), facts, opts));
          if (digestOf(bytes) !== result.digest) throw new Error(`${label}: digest differs from the in-process planner`);
          planned++;
        }
        cases++;
      }
    }
  }
} finally {
  wasm.dispose();
  rmSync(dir, { recursive: true, force: true });
}
console.log(`parity: ${cases} cases (${planned} planned, ${cases - planned} refused), planc-engine fresh and from its snapshot = the WebAssembly planner in Node = the in-process planner`);
