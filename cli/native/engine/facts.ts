// Prototype helper (cli/native/engine/): this host's facts for planning a bundle,
// gathered exactly as `planc plan --bundle DIR` gathers them (cli/planning.ts's
// readInputs with the default flags), printed as JSON for planc-engine.
//   node --import tsx cli/native/engine/facts.ts BUNDLE [ID] > facts.json
// Gathering facts natively is the part a Node-free create still needs; the
// prototype measures the engine alone.
import { resolve } from 'node:path';
import { readBundle } from '../../bundle.js';
import { gatherHostFacts } from '../../host-facts.js';
import { hostPathsOf } from '../../../planner/host-paths.js';

const [bundleDir = '.', id = 'planc-plan'] = process.argv.slice(2);
const bundle = readBundle(bundleDir);
const config = bundle.config as { linux?: { cgroupsPath?: unknown } };
const cgroupsPath = typeof config.linux?.cgroupsPath === 'string' ? config.linux.cgroupsPath : undefined;
const facts = gatherHostFacts({ id, bundle: bundle.dir, stateDir: `${resolve('/run/planc')}/${id}`, noPivot: false, systemdCgroup: false, cgroupsPath, hostPaths: hostPathsOf(bundle.config, bundle.dir) });
process.stdout.write(JSON.stringify(facts) + '\n');
