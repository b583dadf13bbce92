import { readFileSync } from 'node:fs';
import type { Resources } from '../../schemas/generated/config.js';
import { isPlancError, PlancError } from '../../schemas/error.js';
import { parseJsonBytes } from '../../planner/json.js';
import { explainUpdate, planUpdate, resourcesFromFlags, UPDATE_FLAGS, type UpdateSource } from '../../planner/live.js';
import { validateConfig } from '../../planner/validate.js';
import { defineVerb, type FlagSpec } from '../verb.js';
import { idArg } from '../flags.js';
import { errnoWords } from '../errno.js';
import { debug } from '../report.js';
import { liveCgroups, openTrail, statusOf, update } from '../state/lifecycle.js';
import { liveFacts } from '../state/live.js';
import { checkId } from '../state/gate.js';
import { type ContainerRecord, loadRecord, openContainer, saveRecord } from '../state/store.js';

const MAX_RESOURCES_BYTES = 1 << 20;

const HELP: Record<string, string> = {
  memory: 'memory limit in bytes (k, m, g suffixes; -1 unlimited)',
  'memory-swap': "total memory + swap limit; '-1' for unlimited swap",
  'memory-reservation': 'memory reservation (soft limit)',
  'kernel-memory': 'obsolete, accepted and ignored as by runc',
  'kernel-memory-tcp': 'obsolete, accepted and ignored as by runc',
  'cpu-share': 'CPU shares (relative weight)',
  'cpu-period': 'CPU CFS period in µs',
  'cpu-quota': 'CPU CFS quota in µs per period (-1: no limit)',
  'cpu-rt-period': 'CPU realtime period in µs',
  'cpu-rt-runtime': 'CPU realtime runtime in µs per period',
  'cpuset-cpus': 'CPUs the container may use (e.g. 0-2,4)',
  'cpuset-mems': 'memory nodes the container may use',
  'pids-limit': 'maximum number of processes (-1: no limit)',
  'blkio-weight': 'block I/O weight (10 to 1000)',
};

const RESOURCE_FLAGS = Object.fromEntries(Object.keys(UPDATE_FLAGS).map((k) => [k, { type: 'string', description: HELP[k] ?? k } as const])) as Record<keyof typeof UPDATE_FLAGS, FlagSpec>;

/** Resources from -r FILE (or - for stdin): runtime-spec LinuxResources, checked against the config schema's definition. */
function readResourcesFile(name: string): Resources {
  let bytes: Buffer;
  try {
    bytes = name === '-' ? readFileSync(0) : readFileSync(name);
  } catch (e) {
    throw new PlancError('invalid-argument', `--resources ${name}: ${errnoWords(e)}`);
  }
  const label = name === '-' ? 'resources from stdin' : name;
  if (bytes.length > MAX_RESOURCES_BYTES) throw new PlancError('invalid-argument', `${label}: larger than ${MAX_RESOURCES_BYTES} bytes`);
  const value = parseJsonBytes(bytes, label);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new PlancError('invalid-argument', `${label}: must be a JSON object (runtime-spec LinuxResources)`);
  return checkedResources(value as Resources, label);
}

/** LinuxResources checked as config.json's linux.resources would be; errors point into `label`. */
function checkedResources(value: Resources, label: string): Resources {
  try {
    validateConfig({ ociVersion: '1.0.0', linux: { resources: value } } as never);
  } catch (e) {
    if (isPlancError(e)) {
      const where = e.where?.startsWith('/linux/resources') ? e.where.slice('/linux/resources'.length) || '/' : e.where;
      throw new PlancError('invalid-argument', e.message, { file: label, where });
    }
    throw e;
  }
  return value;
}

/** What the container runs with now; state.json is input, so checked like a resources file. */
function currentResources(rec: ContainerRecord, path: string): Resources | undefined {
  if (rec.resources === undefined) return undefined;
  try {
    return checkedResources(rec.resources as Resources, `${path}/state.json resources`);
  } catch (e) {
    throw new PlancError('bad-state', `${(e as Error).message}; left alone`);
  }
}

export default defineVerb({
  summary: 'update the resource limits of a running container',
  args: idArg,
  flags: {
    resources: { type: 'string', char: 'r', description: "file with the resources to set (runtime-spec LinuxResources JSON), or '-' for stdin" },
    ...RESOURCE_FLAGS,
    'cpu-shares': { type: 'string', description: 'the same as --cpu-share' },
    'l3-cache-schema': { type: 'string', description: 'Intel RDT L3 cache schema (not supported)' },
    'mem-bw-schema': { type: 'string', description: 'Intel RDT memory bandwidth schema (not supported)' },
    'dry-run': { type: 'boolean', description: 'print the cgroup writes the update would make, change nothing' },
  },
  run(args, flags) {
    checkId(args.id);
    // Everything about the input is checked before the container is touched.
    const f = flags as unknown as Record<string, string | undefined>;
    if (f['cpu-shares'] !== undefined) {
      if (f['cpu-share'] !== undefined) throw new PlancError('invalid-argument', '--cpu-share and --cpu-shares are the same flag: give one');
      f['cpu-share'] = f['cpu-shares'];
    }
    for (const rdt of ['l3-cache-schema', 'mem-bw-schema']) {
      if (f[rdt] !== undefined) throw new PlancError('unsupported', `--${rdt}: planc does not manage Intel RDT (resctrl); nothing changed`);
    }
    const given = Object.keys(UPDATE_FLAGS).filter((k) => f[k] !== undefined);
    let request: Resources;
    let source: UpdateSource;
    if (flags.resources !== undefined) {
      // runc ignores the flags then, without a word; planc will not guess which the caller meant.
      if (given.length > 0) throw new PlancError('invalid-argument', `--resources and --${given[0]} cannot be combined: give the values in one place`);
      request = readResourcesFile(flags.resources);
      source = { kind: 'file', name: flags.resources === '-' ? 'resources from stdin' : flags.resources };
    } else {
      request = resourcesFromFlags(f);
      source = { kind: 'flags' };
    }

    const dir = openContainer(flags.root, args.id);
    dir.lock(); // read, plan, write and record under one lock: two updates never interleave
    const rec = loadRecord(dir);
    if (statusOf(dir, rec) === 'stopped') throw new PlancError('bad-state', 'container not running', { where: args.id });
    const cgroups = liveCgroups(rec);
    const plan = planUpdate(currentResources(rec, dir.path), request, liveFacts(cgroups), source);
    if (flags['dry-run']) {
      process.stdout.write(`dry run: update of ${args.id}: ${plan.actions.length} cgroup writes, none applied\n${explainUpdate(plan).map((l) => l + '\n').join('')}`);
      return;
    }
    for (const n of plan.notes) debug(`${args.id}: update: ${n}`, flags);
    // Planned into the container's trail, each write recorded before the next (all or nothing).
    const trail = openTrail(dir);
    try {
      update(dir, plan.actions, plan.inputs, cgroups, { trail });
    } finally {
      trail?.release();
    }
    saveRecord(dir, { ...rec, resources: plan.resources as Record<string, unknown> });
  },
});
