// What both cgroup drivers share: the shape of a planned control-file write,
// reading the config's numbers, and the checks that do not depend on the
// cgroup version (lists of CPUs, interface and device names, page sizes).
import { PlancError } from '../../schemas/error.js';
import type { CgroupFacts } from '../../schemas/generated/hostfacts.js';
import type { PlanContext, Warning } from '../context.js';
import { pointer } from '../paths.js';

/** A control-file write before the controller is resolved to a directory. */
export interface Write {
  /** v1: the controller whose hierarchy holds the file; v2: the controller the file belongs to ('' for cgroup.* core files). */
  controller: string;
  file: string;
  value: string;
  why: string;
}

export const RES = '/linux/resources';

/**
 * What the drivers read: the config, the plan's notes, and the host's cgroup facts when planning
 * a create. `planc update` (live.ts) has no facts: it checks the live cgroup's files itself.
 */
export interface WriteContext {
  config: PlanContext['config'];
  warnings: Warning[];
  facts?: { cgroup: CgroupFacts };
}

/** A plan note (a warning with its config path). */
export function note(ctx: WriteContext, code: string, why: string, message: string): void {
  ctx.warnings.push({ code, why, message });
}

export type Resources = NonNullable<NonNullable<PlanContext['config']['linux']>['resources']>;

/** The JSON pointer of a field below linux.resources. */
export const at = (...path: (string | number)[]): string => RES + pointer(...path);

/** A config integer (number or, beyond 2^53, bigint) as a bigint. */
export const big = (v: unknown): bigint => BigInt(v as number | bigint);

export function refuse(where: string, message: string): never {
  throw new PlancError('unsupported', message, { where });
}

export function invalid(where: string, message: string): never {
  throw new PlancError('invalid-config', message, { where });
}

/**
 * Zero in fields where the kernel has no zero (weights, shares, periods) is what engines
 * write for "not set" (a Go zero value), and runc and crun read it so: planc does too,
 * and says so in the plan instead of writing something the kernel would refuse.
 */
export function zeroIsUnset(ctx: WriteContext, where: string, what: string): void {
  note(ctx, 'zero-is-unset', where, `${what} 0 is read as "not set" (as runc and crun read it): the kernel's default stays`);
}

/** uint64 -1 (2^64-1): old Docker's "not set" for swappiness, taken by runc as such. */
export const U64_MAX = 2n ** 64n - 1n;

/**
 * A cpuset list as the kernel parses it ("0-3,7"): numbers and ascending ranges, comma-separated.
 * When the host's list is known, every entry must be in it (the kernel refuses others when the
 * file is written, after the cgroup exists).
 */
export function cpuList(value: string, where: string, what: 'CPU' | 'memory node', host: string | undefined): string {
  const syntax = /^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$/;
  if (!syntax.test(value)) invalid(where, `${JSON.stringify(value)} is not a ${what} list: use numbers and ranges like "0-3,7"`);
  const wanted = expand(value, where, what);
  if (host !== undefined && syntax.test(host)) {
    const have = new Set(expand(host, where, what));
    const missing = wanted.filter((n) => !have.has(n));
    if (missing.length > 0) {
      refuse(where, `${what} ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not available on this host (it has ${what}s ${host})`);
    }
  }
  return value;
}

function expand(list: string, where: string, what: string): number[] {
  const out: number[] = [];
  for (const part of list.split(',')) {
    const [a, b = a] = part.split('-').map(Number) as [number, number?];
    if (b < a) invalid(where, `${what} range ${part} runs backwards`);
    if (b - a > 65536) invalid(where, `${what} range ${part} is larger than any machine has`);
    for (let n = a; n <= b; n++) out.push(n);
  }
  return out;
}

/** A network interface name as the kernel allows it (dev_valid_name): 1-15 bytes, not "." or "..", no "/", ":" or whitespace. */
export function ifName(name: string, where: string): string {
  if (name === '' || name === '.' || name === '..' || /[/:\s\u0000-\u001f\u007f]/.test(name) || utf8Bytes(name) > 15) {
    invalid(where, `${JSON.stringify(name)} is not a network interface name (1-15 bytes; no "/", ":" or whitespace; not "." or "..")`);
  }
  return name;
}

function utf8Bytes(s: string): number {
  let n = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  return n;
}

/** An RDMA device name as rdma.max takes it: one word, no control characters. */
export function rdmaDevice(name: string, where: string): string {
  if (name === '' || /[\s\u0000-\u001f\u007f/]/.test(name) || name.length > 64) invalid(where, `${JSON.stringify(name)} is not an RDMA device name`);
  return name;
}

/** The rdma.max line for one device (the same on v1 and v2). */
export function rdmaLine(name: string, limit: { hcaHandles?: unknown; hcaObjects?: unknown }, where: string): string {
  const parts = [rdmaDevice(name, where)];
  if (limit.hcaHandles !== undefined) parts.push(`hca_handle=${big(limit.hcaHandles)}`);
  if (limit.hcaObjects !== undefined) parts.push(`hca_object=${big(limit.hcaObjects)}`);
  if (parts.length === 1) invalid(where, 'an rdma entry needs hcaHandles or hcaObjects (the spec requires at least one)');
  return parts.join(' ');
}

const UNIT: Record<string, bigint> = { '': 1n, K: 1024n, M: 1024n ** 2n, G: 1024n ** 3n, T: 1024n ** 4n, P: 1024n ** 5n, E: 1024n ** 6n };

/**
 * A hugepageLimits entry checked against the host's page sizes. The kernel counts the limit
 * in whole pages and rounds down whatever is not a multiple: said in the plan, not left silent.
 */
export function hugepage(ctx: WriteContext, h: { pageSize: string; limit: unknown }, where: string): { size: string; limit: string } {
  const m = /^([0-9]+)([KMGTPE]?)B$/.exec(h.pageSize);
  if (!m) invalid(`${where}/pageSize`, `${JSON.stringify(h.pageSize)} is not a page size like "2MB"`);
  const sizes = ctx.facts?.cgroup.hugepageSizes;
  if (sizes !== undefined && !sizes.includes(h.pageSize)) {
    refuse(`${where}/pageSize`, `this host has no ${h.pageSize} huge pages (it has ${sizes.length > 0 ? sizes.join(', ') : 'none'})`);
  }
  const bytes = BigInt(m[1]!) * UNIT[m[2]!]!;
  const limit = big(h.limit);
  if (bytes > 0n && limit % bytes !== 0n) {
    note(ctx, 'hugetlb-rounded', `${where}/limit`, `hugetlb limit ${limit} is not a whole number of ${h.pageSize} pages: the kernel rounds it down to ${(limit / bytes) * bytes}`);
  }
  return { size: h.pageSize, limit: String(limit) };
}

/** A major:minor pair as the blkio and io files take it. */
export const dev = (d: { major: unknown; minor: unknown }): string => `${big(d.major)}:${big(d.minor)}`;

export const THROTTLES = [
  ['throttleReadBpsDevice', 'blkio.throttle.read_bps_device', 'rbps'],
  ['throttleWriteBpsDevice', 'blkio.throttle.write_bps_device', 'wbps'],
  ['throttleReadIOPSDevice', 'blkio.throttle.read_iops_device', 'riops'],
  ['throttleWriteIOPSDevice', 'blkio.throttle.write_iops_device', 'wiops'],
] as const;

/** CFS bandwidth limits the kernel enforces (kernel/sched/core.c): a period of 1 ms to 1 s, a quota of at least 1 ms. */
export function checkCfs(ctx: WriteContext, c: NonNullable<Resources['cpu']>): { quota?: bigint; period?: bigint; burst?: bigint } {
  const out: { quota?: bigint; period?: bigint; burst?: bigint } = {};
  if (c.period !== undefined) {
    const p = big(c.period);
    if (p === 0n) zeroIsUnset(ctx, at('cpu', 'period'), 'cpu.period');
    else if (p < 1000n || p > 1000000n) invalid(at('cpu', 'period'), `cpu.period ${p} µs is outside the kernel's range of 1000 (1 ms) to 1000000 (1 s)`);
    else out.period = p;
  }
  if (c.quota !== undefined) {
    const q = big(c.quota);
    if (q === 0n) zeroIsUnset(ctx, at('cpu', 'quota'), 'cpu.quota');
    else if (q > 0n && q < 1000n) invalid(at('cpu', 'quota'), `cpu.quota ${q} µs is below the kernel's minimum of 1000 (1 ms); -1 means no limit`);
    else out.quota = q;
  }
  if (c.burst !== undefined) {
    const b = big(c.burst);
    if (out.quota !== undefined && out.quota > 0n && b > out.quota) {
      invalid(at('cpu', 'burst'), `cpu.burst ${b} µs is larger than cpu.quota ${out.quota} µs: the spec requires burst to be no larger than a positive quota`);
    }
    out.burst = b;
  }
  return out;
}

/** cpu.shares as the v1 kernel takes it (2 to 262144; it clamps anything else without a word, so planc refuses instead). */
export function checkShares(ctx: WriteContext, c: NonNullable<Resources['cpu']>): bigint | undefined {
  if (c.shares === undefined) return undefined;
  const s = big(c.shares);
  if (s === 0n) {
    zeroIsUnset(ctx, at('cpu', 'shares'), 'cpu.shares');
    return undefined;
  }
  if (s < 2n || s > 262144n) invalid(at('cpu', 'shares'), `cpu.shares ${s} is outside the kernel's range of 2 to 262144 (it would quietly use ${s < 2n ? 2 : 262144})`);
  // The kernel keeps an idle group at its minimum weight whatever its shares say.
  if (c.idle !== undefined && big(c.idle) === 1n) invalid(at('cpu', 'shares'), `cpu.shares ${s} would have no effect: cpu.idle 1 gives the cgroup the kernel's minimum weight instead`);
  return s;
}

/** swappiness: 0-100 as the spec says; uint64 -1 is old Docker's "not set". */
export function checkSwappiness(ctx: WriteContext, m: NonNullable<Resources['memory']>): bigint | undefined {
  if (m.swappiness === undefined) return undefined;
  const s = big(m.swappiness);
  if (s === U64_MAX) {
    note(ctx, 'zero-is-unset', at('memory', 'swappiness'), 'memory.swappiness 18446744073709551615 (uint64 -1) is old Docker\'s "not set", as runc reads it: the kernel\'s default stays');
    return undefined;
  }
  if (s > 100n) invalid(at('memory', 'swappiness'), `memory.swappiness ${s} is outside the spec's range of 0 to 100`);
  return s;
}

/** The spec asks for weight or leafWeight in every weightDevice entry. */
export function checkWeightDevice(d: { weight?: unknown; leafWeight?: unknown }, where: string): void {
  if (d.weight === undefined && d.leafWeight === undefined) invalid(where, 'a weightDevice entry needs weight or leafWeight (the spec requires at least one)');
}

/** The kernel's "max" for limits given as -1. */
export const maxOf = (v: unknown): string => (big(v) < 0n ? 'max' : String(big(v)));
