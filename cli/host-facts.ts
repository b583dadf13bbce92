// Gathering HostFacts from this machine in the Node CLI: the logic is
// cli/host-facts-core.ts (shared with the native front's embedded engine),
// over node:fs (cli/node-host-io.ts); rootless facts come from cli/rootless.ts.
import type { CgroupFacts, HostFacts } from '../schemas/generated/hostfacts.js';
import * as core from './host-facts-core.js';
import { nodeHostIO } from './node-host-io.js';
import { cgroupsWritable, idFacts, isRootless } from './rootless.js';

export type { CgroupMount } from './host-facts-core.js';

/** Every cgroup hierarchy in /proc/self/mountinfo, the first mount of each. */
export function cgroupMounts(): core.CgroupMount[] {
  return core.cgroupMounts(core.mounts(nodeHostIO));
}

/** This host's cgroup layout (cli/host-facts-core.ts cgroupLayout). */
export function cgroupLayout(): CgroupFacts {
  return core.cgroupLayout(nodeHostIO, core.mounts(nodeHostIO));
}

/** What a rootless planc adds to the facts (cli/rootless.ts). */
const rootlessFacts: core.RootlessFacts = (cgroup, opts) => ({ cgroupWritable: cgroupsWritable(cgroup, opts.cgroupsPath, opts.id, opts.systemdCgroup), ids: idFacts() });

export function gatherHostFacts(opts: core.GatherOptions): HostFacts {
  return core.gatherHostFacts(nodeHostIO, opts, isRootless(), rootlessFacts);
}
