// Default host facts: a plan made without a host to look at (a laptop, a
// browser) describes this kind of machine unless told otherwise.
import type { HostFacts } from '../schemas/generated/hostfacts.js';

export const V1_CONTROLLERS = ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids', 'name=systemd'];

export function defaultHostFacts(containerId: string, bundle: string, stateRoot = '/run/planc', arch: 'x86_64' | 'aarch64' = 'x86_64'): HostFacts {
  return {
    arch,
    containerId,
    bundle,
    stateDir: `${stateRoot}/${containerId}`,
    cgroup: { version: 1, root: '/sys/fs/cgroup', v1Controllers: V1_CONTROLLERS.map((name) => ({ name, mountpoint: `/sys/fs/cgroup/${name.replace(/^name=/, '')}` })) },
    rootless: false,
    noPivot: false,
    systemdCgroup: false,
  };
}
