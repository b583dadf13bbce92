#!/usr/bin/env node
// The built CLI lives in dist/ (npm run build); see cli/main.ts.
import { main } from '../dist/main.js';

await main(process.argv.slice(2), new URL('../package.json', import.meta.url).pathname, '0.1.0');
