// linux.netDevices (runtime-spec 1.3): host network interfaces moved into the
// container's network namespace, optionally renamed. The executor moves them
// in the parent stage, while the init waits: it is in the runtime's network
// namespace and holds CAP_NET_ADMIN over both. Moving them back is not the
// runtime's job: when the namespace goes, the kernel returns physical devices
// to the host and destroys virtual ones (the spec says so, and runtimes MUST
// NOT move them out themselves).
import { PlancError } from '../schemas/error.js';
import type { PlanContext } from './context.js';
import { add } from './context.js';
import { pointer, utf8Length } from './paths.js';

// net/core/dev.c dev_valid_name: shorter than IFNAMSIZ (16), not "." or "..", no "/", ":" or whitespace.
function checkName(name: string, where: string, template: boolean): void {
  const bytes = utf8Length(name);
  if (bytes === 0 || bytes > 15) throw new PlancError('invalid-config', `network device name ${JSON.stringify(name)} must be 1 to 15 bytes long`, { where });
  if (name === '.' || name === '..') throw new PlancError('invalid-config', `${JSON.stringify(name)} is not a network device name`, { where });
  const bad = /[/:\s\u0000-\u001f\u007f]/.exec(name);
  if (bad) throw new PlancError('invalid-config', `network device name ${JSON.stringify(name)} contains ${JSON.stringify(bad[0])}, which the kernel refuses`, { where });
  // A "%" makes a template ("eth%d"): the kernel takes exactly one, as "%d", and picks the number.
  const pct = name.split('%').length - 1;
  if (pct > 0 && (!template || pct > 1 || !name.includes('%d'))) {
    throw new PlancError('invalid-config', template ? `network device name ${JSON.stringify(name)}: a template has exactly one "%d"` : `host network device name ${JSON.stringify(name)} cannot contain "%"`, { where });
  }
}

export function planNetDevices(ctx: PlanContext): void {
  const devs = ctx.config.linux?.netDevices;
  if (!devs || Object.keys(devs).length === 0) return;
  if (!ctx.config.linux?.namespaces?.some((n) => n.type === 'network')) {
    throw new PlancError('invalid-config', 'moving network devices needs a network namespace of the container\'s own (the host\'s is shared)', { where: '/linux/netDevices' });
  }
  if (ctx.facts.rootless) throw new PlancError('unsupported', 'moving network devices needs CAP_NET_ADMIN in the host network namespace, which a rootless runtime does not have', { where: '/linux/netDevices' });
  const names = new Map<string, string>();
  // Sorted by host name: the plan is the same whatever the key order of the config.
  for (const device of Object.keys(devs).sort()) {
    const why = pointer('linux', 'netDevices', device);
    checkName(device, why, false);
    const name = devs[device]?.name ?? device;
    if (devs[device]?.name !== undefined) checkName(name, `${why}/name`, true);
    const other = names.get(name);
    if (other !== undefined && !name.includes('%')) throw new PlancError('invalid-config', `${device} and ${other} would both be called ${name} in the container`, { where: why });
    names.set(name, device);
    add(ctx, { stage: 'parent', op: 'netdev.move', why, device, name });
  }
}
