// Which cgroups belong to a container, checked against cgroupfs each time
// planc is about to act on them. The executor reports, for every cgroup it
// creates, the directory's inode and whether it made it or joined an empty
// one that existed (executor/PROTOCOL.md); the record keeps them (the native
// front's apply, cli/native/apply.c and teardown.c group_of_record), and
// every verb acts only on directories that are still exactly those, so a
// stale, edited or planted record cannot point them at another cgroup.
import { lstatSync, statfsSync } from 'node:fs';
import type { OwnedCgroup } from '../../schemas/generated/record.js';

const CGROUP_SUPER_MAGIC = 0x27e0eb;
const CGROUP2_SUPER_MAGIC = 0x63677270;
// linux.intelRdt groups are directories of resctrl, owned the same way (their tasks are not
// listed in a cgroup.procs, so they are never signalled through them, only removed).
const RDTGROUP_SUPER_MAGIC = 0x7655821;

/** Is this still the cgroup the executor reported: a clean absolute path, a directory on cgroupfs, the same inode? */
export function stillOwned(c: OwnedCgroup): boolean {
  if (!c.path.startsWith('/') || c.path.split('/').some((p) => p === '.' || p === '..')) return false;
  try {
    const st = lstatSync(c.path);
    if (!st.isDirectory() || st.ino !== c.ino) return false;
    const type = statfsSync(c.path).type;
    return type === CGROUP_SUPER_MAGIC || type === CGROUP2_SUPER_MAGIC || type === RDTGROUP_SUPER_MAGIC;
  } catch {
    return false;
  }
}
