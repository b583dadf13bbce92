// What `events` reports: the container's cgroup statistics in the JSON shape
// of runc 1.1's `events --stats` (its types.Stats), which engines decode
// (containerd's `ctr task metrics`, podman's stats through conmon), and OOM
// notifications. Field names, nesting and which zero fields are left out
// follow runc's JSON tags (omitempty on numbers, lists and maps; structs
// always present), so a client's decoder sees the same document. Numbers
// are bigint: cgroup counters are 64-bit ("max" is 2^64-1), beyond what a
// double holds exactly.
import { closeSync, constants as C, openSync, readdirSync, readSync, writeSync } from 'node:fs';
import { eventfd } from '../libc.js';
import { controllerDirs, readControl } from './live.js';
import { stillOwned } from './cgroups.js';
import type { OwnedCgroup } from './store.js';

const MAX_U64 = 2n ** 64n - 1n;

type Obj = Record<string, unknown>;

/** A control file holding one unsigned number, as runc reads it: "max" is 2^64-1, a negative value 0, absent 0. */
function uint(text: string | null): bigint {
  if (text === null) return 0n;
  if (text === 'max') return MAX_U64;
  if (/^[0-9]+$/.test(text)) return BigInt(text);
  return 0n;
}

/** Set `key` only when the number is not zero (Go's omitempty). */
function omitZero(o: Obj, key: string, v: bigint): void {
  if (v !== 0n) o[key] = v;
}

/** "key value" lines (cpu.stat, memory.stat, memory.events). */
function keyValues(text: string | null): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const line of (text ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^[0-9]+$/.test(v)) out.set(k, BigInt(v));
  }
  return out;
}

function numbers(text: string | null): bigint[] {
  return (text ?? '').split(/\s+/).filter((x) => /^[0-9]+$/.test(x)).map(BigInt);
}

/** "0-2,4" → [0, 1, 2, 4] (cpuset lists). */
function cpuList(text: string | null): number[] {
  const out: number[] = [];
  for (const part of (text ?? '').split(',')) {
    const m = /^([0-9]+)(?:-([0-9]+))?$/.exec(part.trim());
    if (!m) continue;
    for (let k = Number(m[1]); k <= Number(m[2] ?? m[1]) && out.length < 65536; k++) out.push(k);
  }
  return out;
}

function memoryEntry(limit: bigint, usage: bigint, max: bigint, failcnt: bigint): Obj {
  const e: Obj = { limit };
  omitZero(e, 'usage', usage);
  omitZero(e, 'max', max);
  e.failcnt = failcnt;
  return e;
}

/** v1 memory.<prefix>{usage,max_usage,failcnt,limit}: zeros where the kernel has no such accounting. */
function v1MemoryEntry(dir: string | undefined, prefix: string): Obj {
  const f = (x: string) => (dir === undefined ? null : readControl(dir, `${prefix}.${x}`));
  const usage = f('usage_in_bytes');
  if (usage === null) return memoryEntry(0n, 0n, 0n, 0n);
  return memoryEntry(uint(f('limit_in_bytes')), uint(usage), uint(f('max_usage_in_bytes')), uint(f('failcnt')));
}

/** The page sizes this kernel offers huge pages in, named as runc names them ("2MB", "1GB"). */
function hugePageSizes(): string[] {
  let names: string[];
  try {
    names = readdirSync('/sys/kernel/mm/hugepages');
  } catch {
    return [];
  }
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  return names.flatMap((n) => {
    const m = /^hugepages-([0-9]+)kB$/.exec(n);
    if (!m) return [];
    let size = Number(m[1]) * 1024;
    let u = 0;
    while (size >= 1024 && u < units.length - 1) (size /= 1024), u++;
    return [`${size}${units[u]}`];
  });
}

function sortedObject(m: Map<string, bigint>): Obj {
  return Object.fromEntries([...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

interface BlkioEntry {
  major?: bigint;
  minor?: bigint;
  op?: string;
  value?: bigint;
}

/** "8:0 Read 4096" lines (the "Total" line skipped), as runc reads blkio files. */
function blkioEntries(text: string | null): BlkioEntry[] | null {
  if (text === null) return null;
  const out: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(/[ :]+/).filter(Boolean);
    if (f.length < 3) continue;
    const [major, minor] = [f[0]!, f[1]!];
    if (!/^[0-9]+$/.test(major) || !/^[0-9]+$/.test(minor)) continue;
    const op = f.length === 4 ? f[2]! : '';
    const value = f[f.length === 4 ? 3 : 2]!;
    if (!/^[0-9]+$/.test(value)) continue;
    const e: BlkioEntry = {};
    if (BigInt(major) !== 0n) e.major = BigInt(major);
    if (BigInt(minor) !== 0n) e.minor = BigInt(minor);
    if (op) e.op = op;
    if (BigInt(value) !== 0n) e.value = BigInt(value);
    out.push(e);
  }
  return out;
}

// runc's blkio sources, best first: BFQ with debug stats, BFQ, CFQ, the throttle layer (recursive, then not).
const BLKIO_GROUPS: [file: string, key: string][][] = [
  [['blkio.bfq.sectors_recursive', 'sectorsRecursive'], ['blkio.bfq.io_service_time_recursive', 'ioServiceTimeRecursive'], ['blkio.bfq.io_wait_time_recursive', 'ioWaitTimeRecursive'], ['blkio.bfq.io_merged_recursive', 'ioMergedRecursive'], ['blkio.bfq.io_queued_recursive', 'ioQueueRecursive'], ['blkio.bfq.time_recursive', 'ioTimeRecursive'], ['blkio.bfq.io_serviced_recursive', 'ioServicedRecursive'], ['blkio.bfq.io_service_bytes_recursive', 'ioServiceBytesRecursive']],
  [['blkio.bfq.io_serviced_recursive', 'ioServicedRecursive'], ['blkio.bfq.io_service_bytes_recursive', 'ioServiceBytesRecursive']],
  [['blkio.sectors_recursive', 'sectorsRecursive'], ['blkio.io_service_time_recursive', 'ioServiceTimeRecursive'], ['blkio.io_wait_time_recursive', 'ioWaitTimeRecursive'], ['blkio.io_merged_recursive', 'ioMergedRecursive'], ['blkio.io_queued_recursive', 'ioQueueRecursive'], ['blkio.time_recursive', 'ioTimeRecursive'], ['blkio.io_serviced_recursive', 'ioServicedRecursive'], ['blkio.io_service_bytes_recursive', 'ioServiceBytesRecursive']],
  [['blkio.throttle.io_serviced_recursive', 'ioServicedRecursive'], ['blkio.throttle.io_service_bytes_recursive', 'ioServiceBytesRecursive']],
  [['blkio.throttle.io_serviced', 'ioServicedRecursive'], ['blkio.throttle.io_service_bytes', 'ioServiceBytesRecursive']],
];
// The order of the keys in runc's JSON.
const BLKIO_KEYS = ['ioServiceBytesRecursive', 'ioServicedRecursive', 'ioQueueRecursive', 'ioServiceTimeRecursive', 'ioWaitTimeRecursive', 'ioMergedRecursive', 'ioTimeRecursive', 'sectorsRecursive'];

function v1Blkio(dir: string | undefined): Obj {
  const found: Record<string, BlkioEntry[]> = {};
  if (dir !== undefined) {
    // The first group whose first file has entries is the one the kernel keeps.
    for (const group of BLKIO_GROUPS) {
      const first = blkioEntries(readControl(dir, group[0]![0]));
      if (!first || first.length === 0) continue;
      for (const [file, key] of group) found[key] = blkioEntries(readControl(dir, file)) ?? [];
      break;
    }
  }
  const out: Obj = {};
  for (const k of BLKIO_KEYS) if (found[k] && found[k].length > 0) out[k] = found[k];
  return out;
}

function cpusetStats(dir: string | undefined, prefix: string): Obj {
  const f = (x: string) => (dir === undefined ? null : readControl(dir, `${prefix}${x}`));
  const o: Obj = {};
  const cpus = cpuList(f('cpus'));
  if (cpus.length > 0) o.cpus = cpus;
  o.cpu_exclusive = uint(f('cpu_exclusive'));
  const mems = cpuList(f('mems'));
  if (mems.length > 0) o.mems = mems;
  for (const k of ['mem_hardwall', 'mem_exclusive', 'memory_migrate', 'memory_spread_page', 'memory_spread_slab', 'memory_pressure', 'sched_load_balance']) o[k] = uint(f(k));
  const level = f('sched_relax_domain_level');
  o.sched_relax_domain_level = level !== null && /^-?[0-9]+$/.test(level) ? BigInt(level) : 0n;
  return o;
}

function statsV1(dirs: Record<string, string>): Obj {
  const usage: Obj = {};
  const acct = dirs.cpuacct;
  if (acct !== undefined) {
    omitZero(usage, 'total', uint(readControl(acct, 'cpuacct.usage')));
    const percpu = numbers(readControl(acct, 'cpuacct.usage_percpu'));
    if (percpu.length > 0) usage.percpu = percpu;
    // "cpu user system" per line, after a header.
    const rows = (readControl(acct, 'cpuacct.usage_all') ?? '').split('\n').slice(1).map((l) => l.split(' ')).filter((r) => r.length === 3 && r.every((x) => /^[0-9]+$/.test(x)));
    if (rows.length > 0) {
      usage.percpu_kernel = rows.map((r) => BigInt(r[2]!));
      usage.percpu_user = rows.map((r) => BigInt(r[1]!));
    }
    // cpuacct.stat is in USER_HZ ticks (100 a second on Linux).
    const ticks = keyValues(readControl(acct, 'cpuacct.stat'));
    usage.kernel = ((ticks.get('system') ?? 0n) * 1_000_000_000n) / 100n;
    usage.user = ((ticks.get('user') ?? 0n) * 1_000_000_000n) / 100n;
  } else {
    usage.kernel = 0n;
    usage.user = 0n;
  }
  const throttling: Obj = {};
  const cpuStat = keyValues(dirs.cpu === undefined ? null : readControl(dirs.cpu, 'cpu.stat'));
  omitZero(throttling, 'periods', cpuStat.get('nr_periods') ?? 0n);
  omitZero(throttling, 'throttledPeriods', cpuStat.get('nr_throttled') ?? 0n);
  omitZero(throttling, 'throttledTime', cpuStat.get('throttled_time') ?? 0n);

  const mem = dirs.memory;
  const raw = keyValues(mem === undefined ? null : readControl(mem, 'memory.stat'));
  const memory: Obj = {};
  omitZero(memory, 'cache', raw.get('cache') ?? 0n);
  memory.usage = v1MemoryEntry(mem, 'memory');
  memory.swap = v1MemoryEntry(mem, 'memory.memsw');
  memory.kernel = v1MemoryEntry(mem, 'memory.kmem');
  memory.kernelTCP = v1MemoryEntry(mem, 'memory.kmem.tcp');
  if (raw.size > 0) memory.raw = sortedObject(raw);

  const pids: Obj = {};
  if (dirs.pids !== undefined) {
    omitZero(pids, 'current', uint(readControl(dirs.pids, 'pids.current')));
    const max = uint(readControl(dirs.pids, 'pids.max'));
    omitZero(pids, 'limit', max === MAX_U64 ? 0n : max); // runc reports "no limit" as 0
  }
  const hugetlb: Obj = {};
  if (dirs.hugetlb !== undefined) {
    for (const size of hugePageSizes()) {
      const e: Obj = {};
      omitZero(e, 'usage', uint(readControl(dirs.hugetlb, `hugetlb.${size}.usage_in_bytes`)));
      omitZero(e, 'max', uint(readControl(dirs.hugetlb, `hugetlb.${size}.max_usage_in_bytes`)));
      e.failcnt = uint(readControl(dirs.hugetlb, `hugetlb.${size}.failcnt`));
      hugetlb[size] = e;
    }
  }
  return {
    cpu: { usage, throttling },
    cpuset: cpusetStats(dirs.cpuset, 'cpuset.'),
    memory,
    pids,
    blkio: v1Blkio(dirs.blkio),
    hugetlb,
    intel_rdt: {},
    network_interfaces: null,
  };
}

function statsV2(dir: string): Obj {
  const cpuStat = keyValues(readControl(dir, 'cpu.stat'));
  const usage: Obj = {};
  omitZero(usage, 'total', (cpuStat.get('usage_usec') ?? 0n) * 1000n);
  usage.kernel = (cpuStat.get('system_usec') ?? 0n) * 1000n;
  usage.user = (cpuStat.get('user_usec') ?? 0n) * 1000n;
  const throttling: Obj = {};
  omitZero(throttling, 'periods', cpuStat.get('nr_periods') ?? 0n);
  omitZero(throttling, 'throttledPeriods', cpuStat.get('nr_throttled') ?? 0n);
  omitZero(throttling, 'throttledTime', (cpuStat.get('throttled_usec') ?? 0n) * 1000n);

  const memory: Obj = {};
  const statText = readControl(dir, 'memory.stat');
  const raw = keyValues(statText);
  if (statText !== null) {
    omitZero(memory, 'cache', raw.get('file') ?? 0n);
    const used = uint(readControl(dir, 'memory.current'));
    const limit = uint(readControl(dir, 'memory.max'));
    memory.usage = memoryEntry(limit, used, 0n, 0n);
    // v1 reports swap as memory+swap; runc adds them up on v2 for the same meaning.
    const swapUsed = readControl(dir, 'memory.swap.current');
    const swapMax = uint(readControl(dir, 'memory.swap.max'));
    memory.swap = swapUsed === null ? memoryEntry(0n, 0n, 0n, 0n) : memoryEntry(swapMax === MAX_U64 ? MAX_U64 : swapMax + limit, uint(swapUsed) + used, 0n, 0n);
  } else {
    memory.usage = memoryEntry(0n, 0n, 0n, 0n);
    memory.swap = memoryEntry(0n, 0n, 0n, 0n);
  }
  memory.kernel = memoryEntry(0n, 0n, 0n, 0n);
  memory.kernelTCP = memoryEntry(0n, 0n, 0n, 0n);
  if (raw.size > 0) memory.raw = sortedObject(raw);

  const pids: Obj = {};
  const current = readControl(dir, 'pids.current');
  if (current !== null) {
    omitZero(pids, 'current', uint(current));
    const max = uint(readControl(dir, 'pids.max'));
    omitZero(pids, 'limit', max === MAX_U64 ? 0n : max);
  } else {
    // Without the pids controller, runc counts cgroup.procs.
    omitZero(pids, 'current', BigInt((readControl(dir, 'cgroup.procs') ?? '').split('\n').filter(Boolean).length));
  }

  const blkio: Obj = {};
  const bytes: BlkioEntry[] = [];
  const ios: BlkioEntry[] = [];
  for (const line of (readControl(dir, 'io.stat') ?? '').split('\n')) {
    const [dev, ...items] = line.trim().split(/\s+/);
    const m = /^([0-9]+):([0-9]+)$/.exec(dev ?? '');
    if (!m) continue;
    for (const item of items) {
      const [k, v] = item.split('=');
      if (v === undefined || !/^[0-9]+$/.test(v)) continue;
      const table = k === 'rbytes' || k === 'wbytes' ? bytes : k === 'rios' || k === 'wios' ? ios : null;
      if (!table) continue;
      const e: BlkioEntry = {};
      if (BigInt(m[1]!) !== 0n) e.major = BigInt(m[1]!);
      if (BigInt(m[2]!) !== 0n) e.minor = BigInt(m[2]!);
      e.op = k!.startsWith('r') ? 'Read' : 'Write';
      if (BigInt(v) !== 0n) e.value = BigInt(v);
      table.push(e);
    }
  }
  if (bytes.length > 0) blkio.ioServiceBytesRecursive = bytes;
  if (ios.length > 0) blkio.ioServicedRecursive = ios;

  const hugetlb: Obj = {};
  for (const size of hugePageSizes()) {
    const cur = readControl(dir, `hugetlb.${size}.current`);
    if (cur === null) continue;
    const e: Obj = {};
    omitZero(e, 'usage', uint(cur));
    e.failcnt = keyValues(readControl(dir, `hugetlb.${size}.events`)).get('max') ?? 0n;
    hugetlb[size] = e;
  }
  return {
    cpu: { usage, throttling },
    cpuset: cpusetStats(dir, 'cpuset.'),
    memory,
    pids,
    blkio,
    hugetlb,
    intel_rdt: {},
    network_interfaces: null,
  };
}

/** The container's statistics as runc's `events --stats` data. */
export function containerStats(cgroups: readonly OwnedCgroup[]): Obj {
  const { version, dirs } = controllerDirs(cgroups);
  return version === 1 ? statsV1(dirs) : statsV2(dirs['']!);
}

/**
 * Watches for the container running out of memory: v1 through an eventfd registered on
 * memory.oom_control (cgroup.event_control), v2 by the "oom" count of memory.events.
 * `check` says how many OOMs happened since the last call; `gone` when the memory cgroup is.
 */
export class OomWatch {
  private efd = -1;
  private lastCount = 0n;

  private constructor(
    private readonly cgroup: OwnedCgroup | undefined,
    private readonly version: 1 | 2,
  ) {}

  static start(cgroups: readonly OwnedCgroup[]): OomWatch {
    const { version, dirs } = controllerDirs(cgroups);
    const dir = version === 1 ? dirs.memory : dirs[''];
    const watch = new OomWatch(cgroups.find((c) => c.path === dir), version);
    if (dir === undefined) return watch;
    if (version === 1) {
      const efd = eventfd();
      let ofd = -1;
      let cfd = -1;
      try {
        ofd = openSync(`${dir}/memory.oom_control`, C.O_RDONLY);
        cfd = openSync(`${dir}/cgroup.event_control`, C.O_WRONLY);
        writeSync(cfd, `${efd} ${ofd}`);
        watch.efd = efd;
      } catch {
        closeSync(efd); // no OOM notification on this cgroup: stats only
      } finally {
        if (ofd >= 0) closeSync(ofd);
        if (cfd >= 0) closeSync(cfd);
      }
    } else {
      watch.lastCount = keyValues(readControl(dir, 'memory.events')).get('oom') ?? 0n;
    }
    return watch;
  }

  /** Is the container's memory cgroup gone (deleted)? Without one, never. */
  gone(): boolean {
    return this.cgroup !== undefined && !stillOwned(this.cgroup);
  }

  /** v2: has the container no process left (cgroup.events "populated 0")? runc's v2 stream ends then. */
  emptied(): boolean {
    return this.version === 2 && this.cgroup !== undefined && readControl(this.cgroup.path, 'cgroup.events')?.split('\n').includes('populated 0') === true;
  }

  /** OOM events since the last call. */
  check(): number {
    if (this.cgroup === undefined) return 0;
    if (this.version === 1) {
      if (this.efd < 0) return 0;
      const buf = Buffer.alloc(8);
      try {
        if (readSync(this.efd, buf, 0, 8, null) !== 8) return 0;
      } catch {
        return 0; // EAGAIN: nothing happened
      }
      // The kernel also signals the eventfd when the cgroup is removed: that is no OOM.
      return this.gone() ? 0 : Number(buf.readBigUInt64LE(0));
    }
    const now = keyValues(readControl(this.cgroup.path, 'memory.events')).get('oom') ?? 0n;
    const n = now > this.lastCount ? Number(now - this.lastCount) : 0;
    this.lastCount = now;
    return n;
  }

  close(): void {
    if (this.efd >= 0) closeSync(this.efd);
    this.efd = -1;
  }
}
