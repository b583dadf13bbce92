// linux.intelRdt: a resctrl group (Intel RDT / AMD QoS) for the container, as
// runtime-spec 1.3 describes it. The group is a directory of the resctrl
// filesystem: named by closID (or the container id), made if the spec says
// so, its schemata written or compared, the init's pid written to its tasks.
import { PlancError } from '../../schemas/error.js';
import type { PlanContext } from '../context.js';
import { add, warn } from '../context.js';
import { under } from '../paths.js';

const WHERE = '/linux/intelRdt';

// Names in the resctrl root that are the filesystem's own, not groups.
const RESERVED = new Set(['info', 'mon_groups', 'mon_data']);

function invalid(where: string, message: string): never {
  throw new PlancError('invalid-config', message, { where });
}

/** A closID is one directory name of the resctrl root, or "/" for the root (the default class). */
function checkClosId(id: string): void {
  const where = `${WHERE}/closID`;
  if (id === '/') return;
  if (id === '' || id === '.' || id === '..' || id.includes('/') || /[\u0000-\u001f\u007f]/.test(id) || id.length > 255) {
    invalid(where, `closID ${JSON.stringify(id)} is not a resctrl group name (one directory name, or "/" for the default class)`);
  }
  if (RESERVED.has(id)) invalid(where, `closID ${JSON.stringify(id)} is a directory of the resctrl filesystem itself, not a group`);
}

/** Each schemata line: "RESOURCE:…" without newlines or control characters (the kernel parses one line per write). */
function checkLine(line: string, where: string): string {
  if (/[\u0000-\u001f\u007f]/.test(line)) invalid(where, `schemata line ${JSON.stringify(line)} contains a newline or control character: one line per entry`);
  if (!/^\s*[A-Za-z0-9_]+\s*:/.test(line)) invalid(where, `schemata line ${JSON.stringify(line)} does not start with a resource name and ":" (like "L3:0=7f0")`);
  return line.trim();
}

/**
 * Host stage: the group (and the monitoring group) the init joins. Returns the directories,
 * in the order their tasks files get the init's pid (the control group before its mon group).
 */
export function planIntelRdt(ctx: PlanContext): string[] {
  const rdt = ctx.config.linux?.intelRdt;
  if (!rdt) return [];
  const mount = ctx.facts.resctrl;
  if (mount === undefined) {
    throw new PlancError('unsupported', 'linux.intelRdt needs a resctrl filesystem (Intel RDT or AMD QoS), and none is mounted in the runtime\'s mount namespace (mount -t resctrl resctrl /sys/fs/resctrl): nothing was created', { where: WHERE });
  }
  if (rdt.closID !== undefined) checkClosId(rdt.closID);
  const lines: string[] = [];
  // The spec's order: l3CacheSchema first, memBwSchema after it, schemata last.
  if (rdt.l3CacheSchema !== undefined) {
    // Configs before 1.3 put several lines in l3CacheSchema ("SHOULD NOT", not "MUST NOT"): one write each.
    for (const l of rdt.l3CacheSchema.split('\n')) if (l.trim() !== '') lines.push(checkLine(l, `${WHERE}/l3CacheSchema`));
  }
  if (rdt.memBwSchema !== undefined) lines.push(checkLine(rdt.memBwSchema, `${WHERE}/memBwSchema`));
  rdt.schemata?.forEach((l, k) => lines.push(checkLine(l, `${WHERE}/schemata/${k}`)));

  const id = ctx.facts.containerId;
  const group = rdt.closID === undefined ? id : rdt.closID;
  const dir = group === '/' ? mount : under(mount, group);
  const why = rdt.closID === undefined ? WHERE : `${WHERE}/closID`;
  const schemata = lines.length > 0 ? { schemata: lines } : {};
  if (rdt.closID === undefined) {
    // Named after the container, made here, removed on delete: one that exists belongs to someone else.
    add(ctx, { stage: 'host', op: 'resctrl.create', why, path: dir, exists: 'refuse', ...schemata });
  } else if (group === '/') {
    if (lines.length > 0) add(ctx, { stage: 'host', op: 'resctrl.create', why, path: dir, exists: 'use', ...schemata });
  } else {
    // A named group is made when missing and schemata are given, compared when present; without
    // schemata it must be there already. Either way it outlives the container.
    add(ctx, { stage: 'host', op: 'resctrl.create', why, path: dir, exists: lines.length > 0 ? 'use' : 'required', ...schemata });
  }
  const joins = [dir];
  const legacy = rdt.enableCMT === true || rdt.enableMBM === true;
  if (legacy) {
    warn(ctx, 'deprecated', WHERE, 'enableCMT and enableMBM (runtime-spec 1.1-1.2) were replaced by enableMonitoring in 1.3: planned as enableMonitoring');
  }
  if (rdt.enableMonitoring === true || legacy) {
    const mon = `${dir}/mon_groups/${id}`;
    add(ctx, { stage: 'host', op: 'resctrl.create', why: rdt.enableMonitoring === true ? `${WHERE}/enableMonitoring` : WHERE, path: mon, exists: 'refuse' });
    joins.push(mon);
  }
  return joins;
}
