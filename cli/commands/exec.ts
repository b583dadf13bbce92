import { defineVerb } from '../verb.js';
import { execInContainer } from '../exec.js';

export default defineVerb({
  summary: 'run a new process in a running container: exec [flags] ID COMMAND [ARG…], or exec -p process.json ID',
  args: { id: { description: 'the container id', required: true } },
  variadic: true,
  flags: {
    process: { type: 'string', char: 'p', description: 'path to a process.json (runtime-spec process) instead of the command and the flags below' },
    detach: { type: 'boolean', char: 'd', description: 'do not wait: the process becomes a child of planc\'s caller' },
    'pid-file': { type: 'string', description: 'file to write the process\'s pid to (no trailing newline)' },
    tty: { type: 'boolean', char: 't', description: 'give the process a terminal (relayed to planc\'s, or sent over --console-socket with --detach)' },
    'console-socket': { type: 'string', description: 'AF_UNIX socket that receives the master of the process\'s pty (with --tty --detach)' },
    cwd: { type: 'string', description: 'working directory in the container (default: the container process\'s)' },
    env: { type: 'string', multiple: true, char: 'e', description: 'set an environment variable KEY=value (repeatable; replaces a KEY the container sets)' },
    user: { type: 'string', char: 'u', description: 'run as uid[:gid] (numbers)' },
    'additional-gids': { type: 'string', multiple: true, char: 'g', description: 'add a supplementary group id (repeatable)' },
    cap: { type: 'string', multiple: true, char: 'c', description: 'add a capability to the bounding, effective and permitted sets (repeatable)' },
    'no-new-privs': { type: 'boolean', description: 'set no_new_privs for the process' },
    apparmor: { type: 'string', description: 'AppArmor profile (not available on this host: refused)' },
    'process-label': { type: 'string', description: 'SELinux process label (not available on this host: refused)' },
    'preserve-fds': { type: 'integer', description: 'pass N extra fds (3 … 3+N-1) to the process', default: 0, min: 0 },
    cgroup: { type: 'string', multiple: true, description: 'run in an existing sub-cgroup of the container: PATH, or CONTROLLER[,CONTROLLER]:PATH per v1 hierarchy (repeatable)' },
    'ignore-paused': { type: 'boolean', description: 'exec even into a paused container (the process starts frozen)' },
    'dry-run': { type: 'boolean', description: 'plan and check everything, print what would be done, touch nothing' },
  },
  async run(args, flags, ctx) {
    // With --dry-run this returns; otherwise this process becomes the native front, which exits with the
    // process's status (the shell's 127/126 when its command could not be started, as runc says it, for podman).
    await execInContainer(args.id, ctx.rest, flags, ctx.setConfigPath);
  },
});
