// cgroup v1: one directory per controller hierarchy, the kernel's legacy file
// names and units. Every field of linux.resources becomes a write here or an
// error naming it; none is skipped. docs/cgroups.md has the table.
import type { CgroupV1Controller } from '../../schemas/generated/hostfacts.js';
import {
  at, big, checkCfs, checkShares, checkSwappiness, checkWeightDevice, cpuList, dev, hugepage, ifName, invalid, rdmaLine, refuse, THROTTLES, zeroIsUnset, type Write, type WriteContext,
} from './common.js';

/** runc's device cgroup allowances for the default /dev nodes, ptys and tun. */
export const DEFAULT_ALLOWED_DEVICES = [
  'c *:* m', 'b *:* m',
  'c 1:3 rwm', 'c 1:5 rwm', 'c 1:7 rwm', 'c 1:8 rwm', 'c 1:9 rwm', 'c 5:0 rwm',
  'c 5:1 rwm', 'c 5:2 rwm', 'c 136:* rwm', 'c 10:200 rwm',
];

function deviceRule(d: { type?: string; major?: unknown; minor?: unknown; access?: string }): string {
  const num = (n: unknown) => (n === undefined || n === null || Number(n) < 0 ? '*' : String(n));
  return `${d.type ?? 'a'} ${num(d.major)}:${num(d.minor)} ${d.access ?? 'rwm'}`;
}

/** The hierarchy holding a controller, if this host mounts one. */
export function hierarchyOf(ctx: WriteContext, controller: string): CgroupV1Controller | undefined {
  return (ctx.facts?.cgroup.v1Controllers ?? []).find((c) => c.name.split(',').includes(controller));
}

// Files a new cgroup gets that the hierarchy's root does not show (the kernel keeps them
// off the root), so the root's listing in the host facts cannot vouch for them.
const NOT_ON_ROOT = new Set(['pids.max', 'rdma.max', 'blkio.bfq.weight', 'blkio.bfq.weight_device', 'freezer.state']);

// Why a host lacks a file, where the reason is known.
const HINTS: Record<string, string> = {
  'memory.memsw.limit_in_bytes': 'swap accounting is off in this kernel (CONFIG_MEMCG_SWAP, or boot with swapaccount=1)',
  'memory.kmem.tcp.limit_in_bytes': 'this kernel has no separate TCP buffer limit',
  'cpu.rt_period_us': 'this kernel has no realtime group scheduling (CONFIG_RT_GROUP_SCHED)',
  'cpu.rt_runtime_us': 'this kernel has no realtime group scheduling (CONFIG_RT_GROUP_SCHED)',
  'cpu.cfs_period_us': 'this kernel has no CFS bandwidth control (CONFIG_CFS_BANDWIDTH)',
  'cpu.cfs_quota_us': 'this kernel has no CFS bandwidth control (CONFIG_CFS_BANDWIDTH)',
  'cpu.cfs_burst_us': 'CFS burst came with Linux 5.14',
  'cpu.idle': 'idle cgroups came with Linux 5.15',
  'blkio.leaf_weight': "leaf weights were CFQ's, and CFQ left Linux in 5.0",
  'blkio.leaf_weight_device': "leaf weights were CFQ's, and CFQ left Linux in 5.0",
};

/**
 * The weight files of this host's blkio: CFQ's blkio.weight (gone since Linux 5.0), else
 * BFQ's blkio.bfq.weight when BFQ is loaded (its statistics files show on the root), else none.
 */
function blkioWeightFiles(ctx: WriteContext): { weight: string; device: string; min: bigint } | null {
  const files = hierarchyOf(ctx, 'blkio')?.files;
  if (files === undefined || files.includes('blkio.weight')) return { weight: 'blkio.weight', device: 'blkio.weight_device', min: 10n };
  if (files.some((f) => f.startsWith('blkio.bfq.')) || ctx.facts?.cgroup.bfq === true) return { weight: 'blkio.bfq.weight', device: 'blkio.bfq.weight_device', min: 1n };
  return null;
}

function noWeights(where: string): never {
  refuse(where, "blkio weights need CFQ's blkio.weight (CFQ left Linux in 5.0) or BFQ's blkio.bfq.weight, and this host's blkio hierarchy has neither (is the bfq module loaded?)");
}

/** The control-file writes a config's resources ask for, in the order they must be written. */
export function v1Writes(ctx: WriteContext): Write[] {
  const r = ctx.config.linux?.resources;
  const out: Write[] = [];
  if (!r) return out;
  const w = (controller: string, file: string, value: string, why: string) => out.push({ controller, file, value, why });
  if (r.devices) {
    r.devices.forEach((d, k) => w('devices', d.allow ? 'devices.allow' : 'devices.deny', deviceRule(d), at('devices', k)));
    // The nodes every container gets (see devices.ts) stay usable whatever the rules said, as with runc.
    for (const rule of DEFAULT_ALLOWED_DEVICES) w('devices', 'devices.allow', rule, at('devices'));
  }
  const m = r.memory;
  if (m) {
    // The kernel keeps memory+swap at or above the memory limit: the limit goes first.
    if (m.limit !== undefined) w('memory', 'memory.limit_in_bytes', String(big(m.limit)), at('memory', 'limit'));
    if (m.swap !== undefined) {
      const swap = big(m.swap);
      const limit = m.limit === undefined ? -1n : big(m.limit);
      if (swap >= 0n && limit < 0n) {
        invalid(at('memory', 'swap'), `memory.swap ${swap} limits memory+swap, which the kernel keeps at or above the memory limit: set memory.limit too (at most ${swap})`);
      }
      if (swap >= 0n && swap < limit) invalid(at('memory', 'swap'), `memory.swap ${swap} (memory+swap) is below memory.limit ${limit}: it must be at least the memory limit`);
      w('memory', 'memory.memsw.limit_in_bytes', String(swap), at('memory', 'swap'));
    }
    if (m.reservation !== undefined) w('memory', 'memory.soft_limit_in_bytes', String(big(m.reservation)), at('memory', 'reservation'));
    if (m.kernel !== undefined) kernelMemoryIgnored(ctx);
    if (m.kernelTCP !== undefined) w('memory', 'memory.kmem.tcp.limit_in_bytes', String(big(m.kernelTCP)), at('memory', 'kernelTCP'));
    const swappiness = checkSwappiness(ctx, m);
    if (swappiness !== undefined) w('memory', 'memory.swappiness', String(swappiness), at('memory', 'swappiness'));
    if (m.disableOOMKiller === true) w('memory', 'memory.oom_control', '1', at('memory', 'disableOOMKiller'));
    // Linux 5.x made accounting always hierarchical: 1 is accepted, 0 refused by the kernel itself.
    if (m.useHierarchy !== undefined) w('memory', 'memory.use_hierarchy', m.useHierarchy ? '1' : '0', at('memory', 'useHierarchy'));
    // checkBeforeUpdate is about updates; a new cgroup has no usage to check against.
  }
  const c = r.cpu;
  if (c) {
    const shares = checkShares(ctx, c);
    if (shares !== undefined) w('cpu', 'cpu.shares', String(shares), at('cpu', 'shares'));
    const cfs = checkCfs(ctx, c);
    // The period goes first (a quota is checked against the current period), the burst after the quota.
    if (cfs.period !== undefined) w('cpu', 'cpu.cfs_period_us', String(cfs.period), at('cpu', 'period'));
    if (cfs.quota !== undefined) w('cpu', 'cpu.cfs_quota_us', String(cfs.quota), at('cpu', 'quota'));
    if (cfs.burst !== undefined) w('cpu', 'cpu.cfs_burst_us', String(cfs.burst), at('cpu', 'burst'));
    // Idle after the shares: the kernel refuses new shares for an idle group (and both together are refused above).
    if (c.idle !== undefined) w('cpu', 'cpu.idle', String(big(c.idle)), at('cpu', 'idle'));
    if (c.realtimePeriod !== undefined) {
      const p = big(c.realtimePeriod);
      if (p === 0n) zeroIsUnset(ctx, at('cpu', 'realtimePeriod'), 'cpu.realtimePeriod');
      else w('cpu', 'cpu.rt_period_us', String(p), at('cpu', 'realtimePeriod'));
    }
    if (c.realtimeRuntime !== undefined) {
      const rt = big(c.realtimeRuntime);
      if (c.realtimePeriod !== undefined && big(c.realtimePeriod) > 0n && rt > big(c.realtimePeriod)) {
        invalid(at('cpu', 'realtimeRuntime'), `cpu.realtimeRuntime ${rt} µs is longer than cpu.realtimePeriod ${big(c.realtimePeriod)} µs`);
      }
      w('cpu', 'cpu.rt_runtime_us', String(rt), at('cpu', 'realtimeRuntime'));
    }
    // "" is what engines write for "no cpuset": a v1 cpuset without cpus could hold no task.
    if (c.cpus !== undefined && c.cpus !== '') w('cpuset', 'cpuset.cpus', cpuList(c.cpus, at('cpu', 'cpus'), 'CPU', ctx.facts?.cgroup.cpus), at('cpu', 'cpus'));
    if (c.mems !== undefined && c.mems !== '') w('cpuset', 'cpuset.mems', cpuList(c.mems, at('cpu', 'mems'), 'memory node', ctx.facts?.cgroup.mems), at('cpu', 'mems'));
  }
  if (r.pids?.limit !== undefined) {
    // 0 is a limit (no new task at all), as the spec says; -1 is none.
    const lim = big(r.pids.limit);
    w('pids', 'pids.max', lim < 0n ? 'max' : String(lim), at('pids', 'limit'));
  }
  const b = r.blockIO;
  if (b) {
    const weights = b.weight !== undefined || b.weightDevice?.some((d) => d.weight !== undefined) ? blkioWeightFiles(ctx) : null;
    if (b.weight !== undefined) {
      const v = big(b.weight);
      if (v === 0n) zeroIsUnset(ctx, at('blockIO', 'weight'), 'blockIO.weight');
      else {
        if (!weights) noWeights(at('blockIO', 'weight'));
        if (v < weights.min || v > 1000n) invalid(at('blockIO', 'weight'), `blockIO.weight ${v} is outside ${weights.weight}'s range of ${weights.min} to 1000`);
        w('blkio', weights.weight, String(v), at('blockIO', 'weight'));
      }
    }
    if (b.leafWeight !== undefined) w('blkio', 'blkio.leaf_weight', String(big(b.leafWeight)), at('blockIO', 'leafWeight'));
    b.weightDevice?.forEach((d, k) => {
      const where = at('blockIO', 'weightDevice', k);
      checkWeightDevice(d, where);
      if (d.weight !== undefined) {
        if (!weights) noWeights(`${where}/weight`);
        const v = big(d.weight);
        if (v < weights.min || v > 1000n) invalid(`${where}/weight`, `weight ${v} is outside ${weights.device}'s range of ${weights.min} to 1000`);
        w('blkio', weights.device, `${dev(d)} ${v}`, `${where}/weight`);
      }
      if (d.leafWeight !== undefined) w('blkio', 'blkio.leaf_weight_device', `${dev(d)} ${big(d.leafWeight)}`, `${where}/leafWeight`);
    });
    // A rate of 0 removes the device's limit in v1.
    for (const [key, file] of THROTTLES) b[key]?.forEach((d, k) => w('blkio', file, `${dev(d)} ${big(d.rate)}`, at('blockIO', key, k)));
  }
  r.hugepageLimits?.forEach((h, k) => {
    const { size, limit } = hugepage(ctx, h, at('hugepageLimits', k));
    w('hugetlb', `hugetlb.${size}.limit_in_bytes`, limit, at('hugepageLimits', k));
    // Where the kernel has reservation limits, the spec wants them limited too.
    if (ctx.facts?.cgroup.hugetlbReservations === true) w('hugetlb', `hugetlb.${size}.rsvd.limit_in_bytes`, limit, at('hugepageLimits', k));
  });
  if (r.network?.classID !== undefined) w('net_cls', 'net_cls.classid', String(big(r.network.classID)), at('network', 'classID'));
  r.network?.priorities?.forEach((p, k) => w('net_prio', 'net_prio.ifpriomap', `${ifName(p.name, at('network', 'priorities', k, 'name'))} ${big(p.priority)}`, at('network', 'priorities', k)));
  for (const [name, limit] of Object.entries(r.rdma ?? {})) w('rdma', 'rdma.max', rdmaLine(name, limit, at('rdma', name)), at('rdma', name));
  if (r.unified && Object.keys(r.unified).length > 0) {
    refuse(at('unified'), 'unified (cgroup v2) resources need a cgroup v2 host; this plan is for cgroup v1');
  }
  checkV1Host(ctx, out);
  return out;
}

/** Kernel memory limits: Linux stopped enforcing them (5.x deprecated, 6.x ignores the file), runc ignores them too. */
export function kernelMemoryIgnored(ctx: WriteContext): void {
  ctx.warnings.push({ code: 'deprecated', why: at('memory', 'kernel'), message: 'memory.kernel is not applied: Linux no longer enforces kernel memory limits (v1 ignores memory.kmem.limit_in_bytes, v2 counts kernel memory in memory.max), and runc ignores them too' });
}

/** Every write needs its controller mounted and, where the root shows it, its file: refused here, before anything exists. */
function checkV1Host(ctx: WriteContext, writes: Write[]): void {
  if (!ctx.facts) return;
  const mounted = (ctx.facts.cgroup.v1Controllers ?? []).map((c) => c.name).join(', ') || 'none';
  for (const x of writes) {
    const h = hierarchyOf(ctx, x.controller);
    if (!h) refuse(x.why, `the ${x.controller} cgroup controller is not available on this host (no v1 hierarchy has it; mounted: ${mounted})`);
    if (h.files === undefined || NOT_ON_ROOT.has(x.file) || h.files.includes(x.file)) continue;
    const hint = HINTS[x.file];
    refuse(x.why, `this host's ${x.controller} cgroup hierarchy (${h.mountpoint}) has no ${x.file}${hint ? `: ${hint}` : ''}`);
  }
}
