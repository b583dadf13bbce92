import { PlancError } from '../../schemas/error.js';
import { defineVerb } from '../verb.js';
import { idArg } from '../flags.js';
import { criuUnusable } from '../criu.js';
import { statusOf } from '../state/lifecycle.js';
import { loadRecord, openContainer } from '../state/store.js';

export default defineVerb({
  summary: "checkpoint a running container with CRIU (runc's flags; CRIU is checked and the reason it cannot be used is reported)",
  args: idArg,
  flags: {
    'image-path': { type: 'string', description: 'path for saving criu image files' },
    'work-path': { type: 'string', description: 'path for saving work files and logs' },
    'parent-path': { type: 'string', description: 'path for previous criu image files in pre-dump' },
    'leave-running': { type: 'boolean', description: 'leave the process running after checkpointing' },
    'tcp-established': { type: 'boolean', description: 'allow open tcp connections' },
    'ext-unix-sk': { type: 'boolean', description: 'allow external unix sockets' },
    'shell-job': { type: 'boolean', description: 'allow shell jobs' },
    'lazy-pages': { type: 'boolean', description: 'use userfaultfd to lazily restore memory pages' },
    'status-fd': { type: 'integer', description: 'criu writes \\0 to this fd once lazy-pages is ready', default: -1 },
    'page-server': { type: 'string', description: 'ADDRESS:PORT of the page server' },
    'file-locks': { type: 'boolean', description: 'handle file locks, for safety' },
    'pre-dump': { type: 'boolean', description: "dump the container's memory only, leave it running" },
    'manage-cgroups-mode': { type: 'string', description: "cgroups mode: 'soft' (default), 'full' and 'strict'" },
    'empty-ns': { type: 'string', description: "create a namespace, but don't restore its properties" },
    'auto-dedup': { type: 'boolean', description: 'enable auto deduplication of memory images' },
  },
  run(args, flags) {
    const dir = openContainer(flags.root, args.id);
    // runc's order: the container must exist and run before CRIU is asked.
    if (statusOf(dir, loadRecord(dir)) === 'stopped') throw new PlancError('bad-state', 'container not running', { where: args.id });
    throw criuUnusable('checkpoint', flags.criu);
  },
});
