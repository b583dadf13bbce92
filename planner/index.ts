// The planner's public surface: pure functions, no I/O, no clock. The same
// code plans in the CLI, the explain page and the WebAssembly artifact.
export { parseJson, type Json } from './json.js';
export { planCreate, type PlanOptions } from './plan.js';
export { encodePlan, decodePlan, digestOf, planJson, canonical } from './encode.js';
export { explainLines, explainSections, explainAction, effectOf, VOCABULARY } from './explain.js';
export { diffPlans, diffLines } from './diff.js';
export { lintPlan, toSarif, DEFAULT_LEVELS } from './lint.js';
export { verifyTrail, type TrailVerdict, type VerifyOptions } from './audit.js';
export { planUpdateWrites, type LifecycleFacts } from './lifecycle.js';
export { defaultHostFacts } from './host-facts.js';
export { validateConfig } from './validate.js';
export { CAPABILITIES } from './process.js';
export { cgroupPathOf, systemdToPath } from './cgroups.js';
