// Schema validation of config.json with the ajv validator compiled ahead of
// time (schemas/generated), so nothing compiles schemas at start-up; then the
// checks a JSON Schema cannot express exactly (64-bit ranges, NUL bytes).
import { PlancError } from '../schemas/error.js';
import validateConfigSchema from '../schemas/generated/validate-config.js';
import type { Config } from './config.js';
import { type Json, withNumbers } from './json.js';
import { pointer } from './paths.js';

interface AjvError {
  instancePath: string;
  message?: string;
  keyword: string;
  params: Record<string, unknown>;
}

type Validator = ((v: unknown) => boolean) & { errors?: AjvError[] | null };

export function validateConfig(value: Json): Config {
  const validate = validateConfigSchema as Validator;
  // The validator compares in doubles: bigints (only in configs with huge integers) become numbers first.
  if (!validate(holdsBigint(value) ? withNumbers(value) : value)) {
    // "if" errors only repeat the conditional branch's own, more precise error.
    const details = (validate.errors ?? []).filter((e) => e.keyword !== 'if').map((e) => ({ where: e.instancePath || '/', message: describe(e) }));
    const first = details[0] ?? { where: '/', message: 'invalid config' };
    const more = details.length > 1 ? ` (and ${details.length - 1} more)` : '';
    throw new PlancError('invalid-config', first.message + more, { where: first.where, details });
  }
  // The walk that names where a NUL is builds a path for every value: taken only once one is there.
  if (holdsNul(value)) rejectNul(value, '');
  checkIntegerWidths(value);
  return value as unknown as Config;
}

function describe(e: AjvError): string {
  if (e.keyword === 'enum' && Array.isArray(e.params.allowedValues)) return `must be one of ${e.params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  if (e.keyword === 'additionalProperties') return `unknown property ${JSON.stringify(e.params.additionalProperty)}`;
  return e.message ?? e.keyword;
}

/** Whether `test` holds for some value in v, or for some object key (given as a string). */
function holds(v: Json, test: (x: Json) => boolean): boolean {
  if (test(v)) return true;
  if (v === null || typeof v !== 'object') return false;
  if (Array.isArray(v)) return v.some((x) => holds(x, test));
  for (const k of Object.keys(v)) if (test(k) || holds(v[k]!, test)) return true;
  return false;
}

const holdsBigint = (v: Json) => holds(v, (x) => typeof x === 'bigint');
const holdsNul = (v: Json) => holds(v, (x) => typeof x === 'string' && x.includes('\u0000'));

/**
 * Every string of a config ends up as a C string (a path, an argument, a sysctl, state.json
 * read by native code): a NUL byte would silently cut it short there, so "/tmp\u0000/../etc"
 * would be planned as one thing and applied as another. Refused wherever it is, keys included.
 */
function rejectNul(v: Json, at: string): void {
  if (typeof v === 'string') {
    if (v.includes('\u0000')) throw new PlancError('invalid-config', `contains a NUL byte (\\u0000): the kernel would see the string cut short there`, { where: at || '/' });
  } else if (Array.isArray(v)) {
    for (let k = 0; k < v.length; k++) rejectNul(v[k]!, at + '/' + k);
  } else if (v !== null && typeof v === 'object') {
    for (const key of Object.keys(v)) {
      const where = at + pointer(key);
      if (key.includes('\u0000')) throw new PlancError('invalid-config', `the property name contains a NUL byte (\\u0000): the kernel would see it cut short there`, { where });
      rejectNul(v[key]!, where);
    }
  }
}

type Range = { min: bigint; max: bigint; what: string; minNumber: number; maxNumber: number };
const range = (min: bigint, max: bigint, what: string): Range => ({ min, max, what, minNumber: Number(min), maxNumber: Number(max) });
const INT32 = range(-(2n ** 31n), 2n ** 31n - 1n, 'int32');
const INT64 = range(-(2n ** 63n), 2n ** 63n - 1n, 'int64');
const UINT64 = range(0n, 2n ** 64n - 1n, 'uint64');
// mknod(2) goes through the kernel's 32-bit dev_t: 12 bits of major, 20 of minor. A bigger
// number is not a device: it would be refused (EINVAL) or truncated into another device.
const DEV_MAJOR = range(0n, 4095n, 'a Linux device major, 12 bits');
const DEV_MINOR = range(0n, 1048575n, 'a Linux device minor, 20 bits');

/** "/a/{b,c}/*" → ["/a/b/*", "/a/c/*"]; "*" stands for any array index or object key. */
function expand(pattern: string): string[] {
  const m = /\{([^}]*)\}/.exec(pattern);
  if (!m) return [pattern];
  return m[1]!.split(',').flatMap((alt) => expand(pattern.slice(0, m.index) + alt + pattern.slice(m.index + m[0].length)));
}

/**
 * Integer fields the schema can only bound from below: runtime-spec types them int32, int64
 * or uint64, and the schema validator compares in doubles (2^64 - 1 and 2^64 are the same
 * double), so the exact ranges are checked here, on the exact values json.ts keeps.
 */
const WIDTHS: [string[], Range][] = ([
  ['/process/scheduler/priority', INT32],
  ['/process/scheduler/{runtime,deadline,period}', UINT64],
  ['/process/rlimits/*/{soft,hard}', UINT64],
  ['/hooks/*/*/timeout', INT64],
  ['/linux/timeOffsets/*/secs', INT64],
  ['/linux/devices/*/major', DEV_MAJOR],
  ['/linux/devices/*/minor', DEV_MINOR],
  ['/linux/resources/devices/*/{major,minor}', INT64],
  ['/linux/resources/memory/{limit,reservation,swap,kernel,kernelTCP}', INT64],
  ['/linux/resources/memory/swappiness', UINT64],
  ['/linux/resources/cpu/{shares,burst,period,realtimePeriod}', UINT64],
  ['/linux/resources/cpu/{quota,realtimeRuntime}', INT64],
  ['/linux/resources/blockIO/{weightDevice,throttleReadBpsDevice,throttleWriteBpsDevice,throttleReadIOPSDevice,throttleWriteIOPSDevice}/*/{major,minor}', INT64],
  ['/linux/resources/blockIO/{throttleReadBpsDevice,throttleWriteBpsDevice,throttleReadIOPSDevice,throttleWriteIOPSDevice}/*/rate', UINT64],
  ['/linux/resources/hugepageLimits/*/limit', UINT64],
  ['/linux/resources/pids/limit', INT64],
  ['/linux/seccomp/syscalls/*/args/*/{value,valueTwo}', UINT64],
] as [string, Range][]).flatMap(([pattern, range]) => expand(pattern).map((p) => [p.slice(1).split('/'), range] as [string[], Range]));

function checkIntegerWidths(config: Json): void {
  for (const [segments, range] of WIDTHS) visit(config, segments, 0, [], range);
}

/** segments[i..] below v; `path` holds the keys and indexes above v, made into a pointer only for an error. */
function visit(v: Json | undefined, segments: string[], i: number, path: (string | number)[], range: Range): void {
  if (v === undefined || v === null) return;
  if (i === segments.length) {
    // Only integers reach here (the schema said so); a double is exact when it is an integer. A safe
    // integer compares exactly with every bound as a double (each is exact or beyond 2^53).
    if (typeof v === 'number') {
      if (!Number.isInteger(v) || (Number.isSafeInteger(v) && v >= range.minNumber && v <= range.maxNumber)) return;
    } else if (typeof v !== 'bigint') return;
    const n = BigInt(v);
    const at = path.map((p) => (typeof p === 'number' ? `/${p}` : pointer(p))).join('');
    if (n > range.max) throw new PlancError('invalid-config', `${n} is out of range: must be <= ${range.max} (${range.what})`, { where: at });
    if (n < range.min) throw new PlancError('invalid-config', `${n} is out of range: must be >= ${range.min} (${range.what})`, { where: at });
    return;
  }
  if (typeof v !== 'object') return;
  const head = segments[i]!;
  const down = (key: string | number) => {
    path.push(key);
    visit((v as Record<string | number, Json>)[key], segments, i + 1, path, range);
    path.pop();
  };
  if (head === '*') for (const key of Array.isArray(v) ? v.keys() : Object.keys(v)) down(key);
  else if (!Array.isArray(v) && Object.prototype.hasOwnProperty.call(v, head)) down(head);
}
