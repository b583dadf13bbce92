// The planner's public surface: pure functions, no I/O, no clock.
export { parseJson, type Json } from './json.js';
export { planCreate, type PlanOptions } from './plan.js';
export { encodePlan, decodePlan, digestOf, planJson, canonical } from './encode.js';
export { explainLines, explainAction, effectOf, VOCABULARY } from './explain.js';
export { defaultHostFacts } from './host-facts.js';
export { validateConfig } from './validate.js';
export { CAPABILITIES } from './process.js';
export { cgroupPathOf, systemdToPath } from './cgroups.js';
