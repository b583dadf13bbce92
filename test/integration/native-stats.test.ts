// `planc events --stats` and `planc ps`, served by the native front
// (cli/native/events.c, stats.c, ps.c), on cgroups this file makes and fills
// with known values, and on real containers with memory, pids and cpu limits.
//
// The cgroups made here are given to a created container by rewriting the
// cgroup list of its record (state.json; restored before it is deleted): the
// front then reads exactly those, and the document is checked against the
// values written into their files and against runc's keys and their order,
// as literals.
//
// On a running container some numbers move between two reads. Two reads,
// one after the other, are compared so:
//   - cpu.usage.* (total, kernel, user and every per-cpu entry),
//     cpu.throttling.*, and memory.*.max and memory.*.failcnt (high-water
//     marks and counters) only grow, a key left out (a zero) in the first
//     read and present in the second included;
//   - memory.{usage,swap,kernel,kernelTCP}.usage, memory.cache and every
//     memory.raw entry are gauges (per-cpu charge stocks are drained by other
//     cgroups' charges, page counters are flushed lazily): same type and
//     presence only;
//   - every other field, every key and its place, and the array lengths: equal.
// A paused (frozen) container is read until two reads agree byte for byte.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Json, parseJson } from '../../planner/json.js';
import { hierarchyOf } from '../helpers/cgroupfs.js';
import { NEEDS_ROOT, Planc, sleep, waitFor } from '../helpers/planc.js';

const pc = new Planc();
const skip = NEEDS_ROOT;
const v2skip = skip || (hierarchyOf('cgroup2') === undefined && 'needs a cgroup2 mount');

interface Cg {
  path: string;
  ino: number;
  made: boolean;
}

/** The record planc keeps for a container: its init and its cgroups. */
function record(id: string): { pid: number; startTime: string; cgroups: Cg[] } {
  return JSON.parse(readFileSync(pc.stateFiles(id).state, 'utf8'));
}

/** What `planc events --stats` says, as the text of its "data" member. */
function plancStats(id: string, env?: NodeJS.ProcessEnv): string {
  const out = pc.ok(['events', '--stats', id], env ? { env } : {}).stdout;
  const head = `{"type":"stats","id":"${id}","data":`;
  assert.ok(out.startsWith(head) && out.endsWith('}\n'), out);
  return out.slice(head.length, -2);
}

/** Reads until two in a row agree byte for byte (a CFS period timer ticks a few times after a quota is written). */
async function quiet(read: () => string, what: string): Promise<string> {
  let last = read();
  for (let k = 0; k < 30; k++) {
    await sleep(100);
    const now = read();
    if (now === last) return now;
    last = now;
  }
  assert.fail(`${what}: no two reads agreed`);
}

// ---------------------------------------------------------------------------
// Cgroups made here, with no process in them: every file is quiet.

const made: string[] = [];
after(() => {
  pc.cleanup();
  for (const d of made.reverse()) if (existsSync(d)) rmdirSync(d);
});

function mkCgroup(controller: string, name: string, files: Record<string, string> = {}): Cg {
  const path = join(hierarchyOf(controller)!.mountpoint, name);
  mkdirSync(path);
  made.push(path);
  for (const [f, v] of Object.entries(files)) writeFileSync(join(path, f), v);
  return { path, ino: statSync(path).ino, made: true };
}

/**
 * A created container whose record lists `cgroups` instead of its own while `fn` runs: the front reads those.
 * (Created: its init waits at the exec fifo, so the container is not stopped; the record is put back after.)
 */
async function withCgroups(id: string, fn: (set: (cgroups: Cg[], more?: Record<string, unknown>) => void) => unknown): Promise<void> {
  const file = pc.stateFiles(id).state;
  const original = readFileSync(file, 'utf8');
  try {
    await fn((cgroups, more = {}) => writeFileSync(file, JSON.stringify({ ...JSON.parse(original), cgroups, ...more })));
  } finally {
    writeFileSync(file, original);
  }
}

const ZERO_FLAGS = { mem_hardwall: 0, mem_exclusive: 0, memory_migrate: 0, memory_spread_page: 0, memory_spread_slab: 0, memory_pressure: 0 };
const NO_MEMORY = { usage: { limit: 0, failcnt: 0 }, swap: { limit: 0, failcnt: 0 }, kernel: { limit: 0, failcnt: 0 }, kernelTCP: { limit: 0, failcnt: 0 } };
const NOTHING = {
  cpu: { usage: { kernel: 0, user: 0 }, throttling: {} },
  cpuset: { cpu_exclusive: 0, ...ZERO_FLAGS, sched_load_balance: 0, sched_relax_domain_level: 0 },
  memory: NO_MEMORY,
  pids: {},
  blkio: {},
  hugetlb: {},
  intel_rdt: {},
  network_interfaces: null,
};
const KEYS = ['cpu', 'cpuset', 'memory', 'pids', 'blkio', 'hugetlb', 'intel_rdt', 'network_interfaces'];

test('v1 cgroups with known values: `events --stats` says what their files hold, in runc\'s keys and order', { skip }, async (t) => {
  const id = pc.id(t, 'nstats');
  pc.ok(['create', '--bundle', pc.bundle(['sleep', '100']), id]);
  const name = `planc-it-nstats-${process.pid}`;
  const memory = mkCgroup('memory', name, { 'memory.limit_in_bytes': '67108864' });
  const pids = mkCgroup('pids', name, { 'pids.max': '7' });
  const unlimited = mkCgroup('pids', `${name}-max`); // pids.max "max": runc's "no limit" is 0, left out
  const cpu = mkCgroup('cpu', name, { 'cpu.cfs_quota_us': '50000' });
  const cpuacct = mkCgroup('cpuacct', name);
  const cpuset = mkCgroup('cpuset', name, { 'cpuset.cpus': '0', 'cpuset.mems': '0', 'cpuset.sched_relax_domain_level': '-1' });
  const emptyCpuset = mkCgroup('cpuset', `${name}-empty`); // no cpus or mems: those keys left out
  const blkio = mkCgroup('blkio', name);
  const unlimitedMem = mkCgroup('memory', `${name}-max`);
  await withCgroups(id, async (set) => {
    // Quiet files read the same twice (quiet says why it may take a few reads).
    const stats = async (cgs: Cg[]) => {
      set(cgs);
      return parseJson(await quiet(() => plancStats(id), cgs.map((c) => c.path).join(' '))) as any;
    };
    const all = await stats([memory, pids, cpu, cpuacct, cpuset, blkio]);
    assert.deepEqual(Object.keys(all), KEYS);
    // The CFS period timer a quota starts ticks a few periods, with nothing throttled.
    assert.deepEqual(Object.keys(all.cpu.throttling).filter((k) => k !== 'periods'), []);
    // cpuacct: one zero per cpu the kernel lists, in each per-cpu list; nothing ran, so no total (omitempty).
    const cpus = readFileSync(join(cpuacct.path, 'cpuacct.usage_percpu'), 'utf8').trim().split(/\s+/).length;
    const zeros = Array(cpus).fill(0);
    assert.deepEqual(all.cpu, { usage: { percpu: zeros, percpu_kernel: zeros, percpu_user: zeros, kernel: 0, user: 0 }, throttling: all.cpu.throttling });
    assert.deepEqual(all.cpuset, { cpus: [0], cpu_exclusive: 0, mems: [0], ...ZERO_FLAGS, sched_load_balance: 1, sched_relax_domain_level: -1 });
    assert.deepEqual(Object.keys(all.cpuset), ['cpus', 'cpu_exclusive', 'mems', 'mem_hardwall', 'mem_exclusive', 'memory_migrate', 'memory_spread_page', 'memory_spread_slab', 'memory_pressure', 'sched_load_balance', 'sched_relax_domain_level']);
    // memory: the limit written; an unlimited memsw/kmem is 2^63 rounded down to a page, exactly (beyond a double).
    assert.deepEqual(Object.keys(all.memory), ['usage', 'swap', 'kernel', 'kernelTCP', 'raw']);
    assert.deepEqual(all.memory.usage, { limit: 67108864, failcnt: 0 });
    assert.equal(all.memory.raw.hierarchical_memory_limit, 67108864);
    assert.equal(all.memory.raw.total_rss, 0);
    const rawKeys = Object.keys(all.memory.raw);
    assert.deepEqual(rawKeys, [...rawKeys].sort(), 'memory.raw: keys sorted, as runc\'s map is');
    assert.deepEqual(all.pids, { limit: 7 });
    assert.deepEqual([all.blkio, all.hugetlb, all.intel_rdt, all.network_interfaces], [{}, {}, {}, null]);
    set([unlimitedMem]);
    assert.match(plancStats(id), /"usage":\{"limit":9223372036854771712,"failcnt":0\},"swap":\{"limit":9223372036854771712,/);

    assert.deepEqual((await stats([memory])).pids, {}, 'memory only: the others are zeros and empty objects');
    assert.deepEqual(await stats([]), NOTHING, 'no cgroups at all');
    const firstWins = await stats([pids, unlimited, emptyCpuset, cpuset]);
    assert.deepEqual(firstWins.pids, { limit: 7 }, 'the first cgroup of a controller wins');
    // The empty cpuset's: no cpus or mems listed, its relax level the kernel's default (-1).
    assert.deepEqual(firstWins.cpuset, { cpu_exclusive: 0, ...ZERO_FLAGS, sched_load_balance: 1, sched_relax_domain_level: -1 });
    assert.deepEqual((await stats([unlimited])).pids, {}, 'pids.max "max"');
    assert.deepEqual((await stats([{ ...memory, ino: memory.ino + 1 }, pids])).memory, NO_MEMORY, 'a cgroup whose inode is not the recorded one is not read');
    // A path with "..": the record is not one planc wrote, and nothing is read.
    set([{ ...pids, path: `${pids.path}/../${name}` }, cpu]);
    const r = pc.run(['events', '--stats', id]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `planc: ${pc.stateFiles(id).dir}/state.json is not a state planc wrote (/cgroups/*/path must be a clean absolute path); left alone\n`);
  });
});

test('a v2 cgroup with known values: no memory controller (zeros), no pids controller (cgroup.procs counted)', { skip: v2skip }, async (t) => {
  const id = pc.id(t, 'nstats');
  pc.ok(['create', '--bundle', pc.bundle(['sleep', '100']), id]);
  const dir = mkCgroup('cgroup2', `planc-it-nstats-${process.pid}`);
  await withCgroups(id, (set) => {
    set([dir]);
    const text = plancStats(id);
    assert.equal(plancStats(id), text);
    assert.deepEqual(parseJson(text), NOTHING);
  });
});

// ---------------------------------------------------------------------------
// Real containers

/** Fills 16 MiB of tmpfs and 4 MB of shell memory, starts a sleep and only then says so (two processes from then on). */
const HUNGRY = ['sh', '-c', 'dd if=/dev/zero of=/dev/shm/fill bs=1M count=16 2>/dev/null; x=$(head -c 4000000 /dev/zero | tr "\\0" a); sleep 1000 & echo ready; wait'];

function limits(c: any): void {
  c.linux.resources = { ...c.linux.resources, memory: { limit: 134217728 }, pids: { limit: 50 }, cpu: { quota: 50000, period: 100000 } };
}

/** A container running HUNGRY; with `env` on cgroup v2, without limits (this host's cgroup2 mount may delegate no controller). */
async function hungry(t: Parameters<Planc['id']>[0], env?: NodeJS.ProcessEnv) {
  const id = pc.id(t, 'nstats');
  const r = pc.ok(['run', '-d', '--bundle', pc.bundle(HUNGRY, env ? undefined : limits), id], env ? { env } : {});
  await waitFor('the container to fill its memory', () => readFileSync(r.stdoutFile, 'utf8').includes('ready'), 15_000);
  return { id, rec: record(id) };
}

const MOVING = /^(cpu\.(usage|throttling)\.|memory\.(usage|swap|kernel|kernelTCP)\.(max|failcnt)$)/;
const GAUGE = /^memory\.((usage|swap|kernel|kernelTCP)\.usage|cache|raw\..*)$/;

/** Is `sub` `full` with some keys left out, each of them a growing counter (omitted while it is 0)? */
function growsInto(sub: string[], full: string[], path: string): boolean {
  let k = 0;
  for (const key of full) {
    if (sub[k] === key) k++;
    else if (!MOVING.test(`${path}.${key}`.slice(1))) return false;
  }
  return k === sub.length;
}

/** Two reads, field by field: structure and fixed values equal, counters growing, gauges by type. */
function compare(a: Json | undefined, b: Json | undefined, path = ''): void {
  const leaf = path.slice(1);
  const isNum = (x: unknown) => typeof x === 'bigint' || typeof x === 'number';
  if (MOVING.test(leaf) && (b === undefined || typeof b !== 'object')) {
    // A counter is left out while it is 0 (omitempty): absent in the first read, present in the second.
    const [x, y] = [a ?? 0n, b ?? 0n];
    assert.ok(isNum(x) && isNum(y), `${leaf}: ${String(x)}, ${String(y)}`);
    assert.ok(x <= y, `${leaf}: ${x}, then ${y}: does not grow`);
    return;
  }
  if (isNum(b)) {
    assert.ok(isNum(a), `${leaf}: first ${String(a)}`);
    if (!GAUGE.test(leaf)) assert.equal(a, b, leaf);
    return;
  }
  if (b === undefined || b === null || typeof b !== 'object') return assert.deepEqual(a, b, leaf);
  assert.equal(Array.isArray(a), Array.isArray(b), leaf);
  if (Array.isArray(b)) {
    assert.equal((a as Json[]).length, b.length, `${leaf}: length`);
    b.forEach((x, i) => compare((a as Json[])[i]!, x, `${path}.${i}`));
    return;
  }
  const o1 = a as Record<string, Json>;
  const [k1, k2] = [Object.keys(o1), Object.keys(b)];
  assert.ok(growsInto(k1, k2, path), `${leaf || 'the document'}: keys ${k1} / ${k2}`);
  for (const k of k2) compare(o1[k], b[k], `${path}.${k}`);
}

test('a running v1 container with limits: the limits written, counters growing between two reads; paused, still', { skip }, async (t) => {
  const { id } = await hungry(t);
  const p1 = parseJson(plancStats(id));
  const p2 = parseJson(plancStats(id));
  compare(p1, p2);
  const d = p2 as any;
  assert.deepEqual(Object.keys(d), KEYS);
  assert.equal(d.memory.usage.limit, 134217728);
  assert.ok(d.memory.usage.usage >= 16 * 1048576, `memory.usage.usage ${d.memory.usage.usage}`);
  assert.ok(d.memory.usage.max >= d.memory.usage.usage);
  assert.deepEqual(d.pids, { current: 2, limit: 50 }, 'sh and its sleep');
  assert.ok(d.cpu.usage.total > 0);
  assert.deepEqual(Object.keys(d.cpu.usage), ['total', 'percpu', 'percpu_kernel', 'percpu_user', 'kernel', 'user']);

  pc.ok(['pause', id]);
  const still = parseJson(await quiet(() => plancStats(id), 'paused')) as any;
  assert.deepEqual(still.pids, { current: 2, limit: 50 });
  assert.equal(still.memory.usage.limit, 134217728);
  pc.ok(['resume', id]);
});

test('a v2 container: counters growing between two reads; paused, still', { skip: v2skip }, async (t) => {
  const env = { ...process.env, PLANC_CGROUP_V2: '1' };
  const { id } = await hungry(t, env);
  compare(parseJson(plancStats(id, env)), parseJson(plancStats(id, env)));
  pc.ok(['pause', id], { env });
  const still = parseJson(await quiet(() => plancStats(id, env), 'paused')) as any;
  assert.deepEqual(Object.keys(still), KEYS);
  // Without the pids controller delegated, runc counts cgroup.procs: sh and its sleep.
  assert.equal(still.pids.current, 2);
  pc.ok(['resume', id], { env });
});

test('ps: the pids of the container\'s cgroups (json exactly; table: ps -ef\'s header and those pids\' lines)', { skip }, async (t) => {
  const { id, rec } = await hungry(t);
  const json = pc.ok(['ps', '--format', 'json', id]).stdout;
  assert.match(json, /^\[[0-9]+,[0-9]+\]\n$/);
  const pids = JSON.parse(json) as number[];
  assert.ok(pids.includes(rec.pid));
  assert.deepEqual(pids, [...pids].sort((a, b) => a - b), 'ascending');
  assert.equal(pc.ok(['ps', '-f', 'json', id]).stdout, json);

  const table = pc.ok(['ps', id]).stdout;
  const lines = table.split('\n');
  assert.match(lines[0]!, /^UID +PID +PPID /);
  assert.deepEqual(lines.slice(1).map((l) => l.trim().split(/\s+/)[1]), [...pids.map(String), undefined], 'one line per pid, then the final newline');

  await withCgroups(id, (set) => {
    // A wrong start time: the init is not taken on the record's word, but it is a member of the cgroup, so listed all the same.
    set(rec.cgroups, { startTime: '1' });
    assert.equal(pc.ok(['ps', '-f', 'json', id]).stdout, json);
    // Without any cgroup (as root) the init is not taken on the record's word.
    set([]);
    assert.equal(pc.ok(['ps', '-f', 'json', id]).stdout, 'null\n');
    assert.equal(pc.ok(['ps', id]).stdout, `${lines[0]}\n`, 'the table: the header alone');
  });
});
