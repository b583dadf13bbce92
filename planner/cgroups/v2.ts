// cgroup v2: one unified directory, controllers enabled along the way, new
// file names and units. The spec's fields were written for v1: each is
// converted where v2 has an equivalent and refused where it has none (the
// spec: "If the conversion is not possible the runtime MUST generate an
// error"). docs/cgroups.md has the table and the conversions.
import {
  at, big, checkCfs, checkShares, checkSwappiness, checkWeightDevice, cpuList, dev, hugepage, invalid, maxOf, rdmaLine, refuse, THROTTLES, zeroIsUnset, type Write, type WriteContext, note,
} from './common.js';
import { kernelMemoryIgnored } from './v1.js';

/** The controllers a v2 file can belong to (the part before the first dot), and what the kernel calls them. */
export const V2_CONTROLLERS = ['cpu', 'cpuset', 'io', 'memory', 'hugetlb', 'pids', 'rdma', 'misc'];

/**
 * cpu.shares (v1, 2-262144, default 1024) → cpu.weight (v2, 1-10000, default 100): runc's
 * current conversion (opencontainers/cgroups ConvertCPUSharesToCgroupV2Value, runc 1.3.2 on), a quadratic in
 * log2(shares) through the minimum, the default and the maximum of both. Earlier runc used a
 * straight line (1 + (shares-2)*9999/262142), which maps the default 1024 to 39, not 100.
 */
export function sharesToWeight(shares: bigint): bigint {
  if (shares <= 2n) return 1n;
  if (shares >= 262144n) return 10000n;
  const l = Math.log2(Number(shares));
  const exponent = (l * l + 125 * l) / 612 - 7 / 34;
  return BigInt(Math.ceil(Math.pow(10, exponent)));
}

/** blkio weight (10-1000) → io.weight (1-10000), the line runc and crun use: 1 + (w-10)*9999/990. */
export function blkioToIoWeight(weight: bigint): bigint {
  return 1n + ((weight - 10n) * 9999n) / 990n;
}

// Core files that are not limits: writing them would move or kill processes, or break the cgroup.
const CORE_REFUSED: Record<string, string> = {
  'cgroup.procs': 'it moves processes into the container cgroup; the init is the only one planc moves',
  'cgroup.threads': 'it moves threads into the container cgroup; the init is the only one planc moves',
  'cgroup.kill': 'it kills every process in the cgroup',
  'cgroup.subtree_control': 'a cgroup with processes cannot hand controllers to children, and the container cgroup gets its init',
  'cgroup.type': 'a threaded container cgroup is not supported',
};

/** v2: every field converted to its unified file or refused, then the `unified` map as written. */
export function v2Writes(ctx: WriteContext): Write[] {
  const r = ctx.config.linux?.resources;
  const out: Write[] = [];
  if (!r) return out;
  const w = (file: string, value: string, why: string) => out.push({ controller: file.split('.')[0]!, file, value, why });
  const m = r.memory;
  if (m) {
    if (m.limit !== undefined) w('memory.max', maxOf(m.limit), at('memory', 'limit'));
    if (m.swap !== undefined) {
      // v1's swap is memory+swap; v2's memory.swap.max is swap alone: the difference, as runc converts it.
      const swap = big(m.swap);
      const limit = m.limit === undefined ? -1n : big(m.limit);
      if (swap < 0n) w('memory.swap.max', 'max', at('memory', 'swap'));
      else {
        if (limit < 0n) {
          refuse(at('memory', 'swap'), `memory.swap ${swap} limits memory+swap, and without a memory limit cgroup v2 has no way to say that (memory.swap.max limits swap alone): set memory.limit too`);
        }
        if (swap < limit) invalid(at('memory', 'swap'), `memory.swap ${swap} (memory+swap) is below memory.limit ${limit}: it must be at least the memory limit`);
        w('memory.swap.max', String(swap - limit), at('memory', 'swap'));
      }
    }
    if (m.reservation !== undefined) w('memory.low', maxOf(m.reservation), at('memory', 'reservation'));
    if (m.kernel !== undefined) kernelMemoryIgnored(ctx);
    if (m.kernelTCP !== undefined) refuse(at('memory', 'kernelTCP'), 'cgroup v2 has no separate limit for TCP buffers: they count in memory.max (set memory.limit)');
    if (checkSwappiness(ctx, m) !== undefined) refuse(at('memory', 'swappiness'), 'cgroup v2 has no per-cgroup swappiness (only the global vm.swappiness)');
    if (m.disableOOMKiller === true) refuse(at('memory', 'disableOOMKiller'), 'cgroup v2 cannot turn the OOM killer off for a cgroup (memory.oom.group only makes it kill the whole group)');
    if (m.useHierarchy === false) refuse(at('memory', 'useHierarchy'), 'cgroup v2 accounting is always hierarchical: it cannot be turned off');
    // useHierarchy true is how v2 always is; checkBeforeUpdate concerns updates, and a new cgroup has no usage.
  }
  const c = r.cpu;
  if (c) {
    const shares = checkShares(ctx, c);
    if (shares !== undefined) w('cpu.weight', String(sharesToWeight(shares)), at('cpu', 'shares'));
    const cfs = checkCfs(ctx, c);
    if (cfs.quota !== undefined || cfs.period !== undefined) {
      // cpu.max holds both; an absent period is the kernel's default 100 ms.
      const quota = cfs.quota === undefined || cfs.quota < 0n ? 'max' : String(cfs.quota);
      w('cpu.max', `${quota} ${cfs.period ?? 100000n}`, at('cpu', cfs.quota !== undefined ? 'quota' : 'period'));
    }
    // After cpu.max: the kernel checks the burst against the quota.
    if (cfs.burst !== undefined) w('cpu.max.burst', String(cfs.burst), at('cpu', 'burst'));
    if (c.idle !== undefined) w('cpu.idle', String(big(c.idle)), at('cpu', 'idle'));
    for (const key of ['realtimePeriod', 'realtimeRuntime'] as const) {
      if (c[key] !== undefined) refuse(at('cpu', key), 'cgroup v2 has no realtime group scheduling (cpu.rt_* are cgroup v1 files)');
    }
    if (c.cpus !== undefined && c.cpus !== '') w('cpuset.cpus', cpuList(c.cpus, at('cpu', 'cpus'), 'CPU', ctx.facts?.cgroup.cpus), at('cpu', 'cpus'));
    if (c.mems !== undefined && c.mems !== '') w('cpuset.mems', cpuList(c.mems, at('cpu', 'mems'), 'memory node', ctx.facts?.cgroup.mems), at('cpu', 'mems'));
  }
  // 0 is a limit (no new task at all), as the spec says; -1 is none.
  if (r.pids?.limit !== undefined) w('pids.max', maxOf(r.pids.limit), at('pids', 'limit'));
  const b = r.blockIO;
  if (b) {
    // BFQ's io.bfq.weight takes the blkio range (1-1000) as it is; io.weight (1-10000) takes it converted.
    const bfq = ctx.facts?.cgroup.bfq === true;
    const weightOf = (v: bigint, where: string): string => {
      if (bfq) {
        if (v < 1n || v > 1000n) invalid(where, `weight ${v} is outside io.bfq.weight's range of 1 to 1000`);
        return String(v);
      }
      if (v < 10n || v > 1000n) invalid(where, `weight ${v} is outside the blkio range of 10 to 1000 that converts to io.weight`);
      return String(blkioToIoWeight(v));
    };
    const file = bfq ? 'io.bfq.weight' : 'io.weight';
    if (b.weight !== undefined) {
      const v = big(b.weight);
      if (v === 0n) zeroIsUnset(ctx, at('blockIO', 'weight'), 'blockIO.weight');
      else w(file, weightOf(v, at('blockIO', 'weight')), at('blockIO', 'weight'));
    }
    if (b.leafWeight !== undefined) refuse(at('blockIO', 'leafWeight'), "cgroup v2 has no leaf weights (they were CFQ's, and CFQ left Linux in 5.0)");
    b.weightDevice?.forEach((d, k) => {
      const where = at('blockIO', 'weightDevice', k);
      checkWeightDevice(d, where);
      if (d.leafWeight !== undefined) refuse(`${where}/leafWeight`, "cgroup v2 has no leaf weights (they were CFQ's, and CFQ left Linux in 5.0)");
      if (d.weight !== undefined) w(file, `${dev(d)} ${weightOf(big(d.weight), `${where}/weight`)}`, `${where}/weight`);
    });
    // One io.max line per entry; a rate of 0 removes the limit in v1, "max" says the same in v2.
    for (const [key, , name] of THROTTLES) {
      b[key]?.forEach((d, k) => w('io.max', `${dev(d)} ${name}=${big(d.rate) === 0n ? 'max' : String(big(d.rate))}`, at('blockIO', key, k)));
    }
  }
  r.hugepageLimits?.forEach((h, k) => {
    const { size, limit } = hugepage(ctx, h, at('hugepageLimits', k));
    w(`hugetlb.${size}.max`, limit, at('hugepageLimits', k));
    // Where the kernel has reservation limits, the spec wants them limited too.
    if (ctx.facts?.cgroup.hugetlbReservations === true) w(`hugetlb.${size}.rsvd.max`, limit, at('hugepageLimits', k));
  });
  if (r.network?.classID !== undefined) refuse(at('network', 'classID'), 'cgroup v2 has no net_cls controller: packets are classified with eBPF or tc instead');
  if (r.network?.priorities?.length) refuse(at('network', 'priorities'), 'cgroup v2 has no net_prio controller: priorities are set with eBPF or tc instead');
  for (const [name, limit] of Object.entries(r.rdma ?? {})) w('rdma.max', rdmaLine(name, limit, at('rdma', name)), at('rdma', name));
  unifiedWrites(ctx, out);
  if (r.devices && r.devices.length > 0) {
    ctx.warnings.push({ code: 'v2-devices', why: at('devices'), message: 'device rules on cgroup v2 need an eBPF program, not planned yet: devices are not restricted' });
  }
  checkV2Host(ctx, out);
  return out;
}

/** The `unified` map, sorted by file name, after the converted fields (so it has the last word, as with runc). */
function unifiedWrites(ctx: WriteContext, out: Write[]): void {
  const unified = ctx.config.linux?.resources?.unified ?? {};
  const converted = new Set(out.map((x) => x.file));
  for (const [file, value] of Object.entries(unified).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const where = at('unified', file);
    // A file name of the cgroup directory: "<controller>.<name>", no "/" or "..", nothing to climb with.
    if (!/^[a-z][a-z0-9_]*(\.[A-Za-z0-9_]+)+$/.test(file)) {
      invalid(where, `unified key ${JSON.stringify(file)} is not a cgroup file name (like "memory.high": a controller, a dot, a name; no "/" or "..")`);
    }
    const controller = file.split('.')[0]!;
    const why = CORE_REFUSED[file];
    if (why) refuse(where, `unified may not write ${file}: ${why}`);
    if (controller !== 'cgroup' && !V2_CONTROLLERS.includes(controller)) {
      invalid(where, `unified key ${file} names no cgroup v2 controller (${V2_CONTROLLERS.join(', ')}, or cgroup.* core files)`);
    }
    if (converted.has(file)) note(ctx, 'unified-overrides', where, `unified ${file} is written after the value converted from the v1 fields, and wins`);
    out.push({ controller: controller === 'cgroup' ? '' : controller, file, value: String(value), why: where });
  }
}

/** Every write's controller must be one this hierarchy has: refused here, before anything exists. */
function checkV2Host(ctx: WriteContext, writes: Write[]): void {
  const have = ctx.facts?.cgroup.v2Controllers;
  if (have === undefined) return;
  for (const x of writes) {
    if (x.controller === '' || have.includes(x.controller)) continue;
    refuse(x.why, `the cgroup v2 hierarchy at ${ctx.facts!.cgroup.root} has no ${x.controller} controller (it has: ${have.length > 0 ? have.join(', ') : 'none'})`);
  }
}
