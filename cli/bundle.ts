// Reading a bundle in the Node CLI: cli/plan-inputs.ts over node:fs.
import { readBundleWith, type Bundle } from './plan-inputs.js';
import { nodeHostIO } from './node-host-io.js';

export function readBundle(dirFlag: string | undefined): Bundle {
  return readBundleWith(nodeHostIO, dirFlag);
}
