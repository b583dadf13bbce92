// Types of what TypeScript callers (bench/engine-pieces.ts) take from scripts/build-wasm.mjs.
/** The planner bundled as one script defining the global `planc` (the exports of `entry`). */
export function bundlePlanner(entry?: string): Promise<string>;
