import { isPlancError, PlancError } from '../../schemas/error.js';
import { defineVerb } from '../verb.js';
import { idArg } from '../flags.js';
import { criuUnusable } from '../criu.js';
import { checkId } from '../state/gate.js';
import { openContainer } from '../state/store.js';

export default defineVerb({
  summary: "restore a container from a CRIU checkpoint (runc's flags; CRIU is checked and the reason it cannot be used is reported)",
  args: idArg,
  flags: {
    'console-socket': { type: 'string', description: "AF_UNIX socket to receive the console's pty master" },
    'image-path': { type: 'string', description: 'path to criu image files for restoring' },
    'work-path': { type: 'string', description: 'path for saving work files and logs' },
    'tcp-established': { type: 'boolean', description: 'allow open tcp connections' },
    'ext-unix-sk': { type: 'boolean', description: 'allow external unix sockets' },
    'shell-job': { type: 'boolean', description: 'allow shell jobs' },
    'file-locks': { type: 'boolean', description: 'handle file locks, for safety' },
    'manage-cgroups-mode': { type: 'string', description: "cgroups mode: 'soft' (default), 'full' and 'strict'" },
    bundle: { type: 'string', char: 'b', description: 'path to the root of the bundle directory' },
    detach: { type: 'boolean', char: 'd', description: "detach from the container's process" },
    'pid-file': { type: 'string', description: 'file to write the process id to' },
    'no-subreaper': { type: 'boolean', description: 'disable the use of the subreaper' },
    'no-pivot': { type: 'boolean', description: 'do not use pivot_root' },
    'empty-ns': { type: 'string', description: "create a namespace, but don't restore its properties" },
    'auto-dedup': { type: 'boolean', description: 'enable auto deduplication of memory images' },
    'lazy-pages': { type: 'boolean', description: 'use userfaultfd to lazily restore memory pages' },
    'lsm-profile': { type: 'string', description: 'LSM profile for the restore, TYPE:NAME' },
    'lsm-mount-context': { type: 'string', description: 'LSM mount context for the restore' },
  },
  run(args, flags) {
    checkId(args.id);
    // A restore creates the container: the id must be free.
    let exists = true;
    try {
      openContainer(flags.root, args.id).close();
    } catch (e) {
      if (!isPlancError(e) || e.code !== 'not-found') throw e;
      exists = false;
    }
    if (exists) throw new PlancError('exists', `container with id ${args.id} already exists`);
    throw criuUnusable('restore', flags.criu);
  },
});
