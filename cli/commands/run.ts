import { isPlancError } from '../../schemas/error.js';
import { defineVerb } from '../verb.js';
import { createFlags, idArg } from '../flags.js';
import { createContainer, exportAudit } from '../container.js';
import { nowMicros, Trail } from '../audit/trail.js';
import { frontOnDir, frontTeardown, remainsOfRecord } from '../native-front.js';
import { FILES } from '../state/store.js';
import { reportWarning } from '../report.js';

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

export default defineVerb({
  summary: 'create and start a container; without --detach, wait for it and exit with its status',
  args: idArg,
  flags: { ...createFlags, detach: { type: 'boolean', char: 'd', description: 'do not wait for the container' } },
  async run(args, flags, ctx) {
    const created = await createContainer(args.id, flags, flags.detach ? 'run-detached' : 'run', ctx.setConfigPath);
    if (!created) return;
    const { dir, record, exited, relay } = created;
    const warn = (m: string) => reportWarning(m, { file: flags.log, format: flags['log-format'] });
    // The executor confirmed the exec before create returned: the trail has it. The poststart
    // hooks (and, when one fails, the container destroyed), then the --audit-log export: the
    // native front's, as for `planc start` (cli/native/poststart.c).
    // (Op names are plain strings in msgpack: a plan with poststart hooks holds "hook.poststart".)
    if (dir.read(FILES.plan)?.includes('hook.poststart')) frontOnDir(dir, [`--root=${flags.root}`, 'poststart', '--dir-fd=3', '--', args.id], warn);
    if (flags.detach) return;
    // While it runs, other verbs (state, kill, delete --force) may act on it.
    dir.unlock();
    // The executor waits for the init and exits with its status; signals to planc are meant for the container.
    const forward = (sig: NodeJS.Signals) => {
      try {
        process.kill(record.pid, sig);
      } catch {
        // it has just exited
      }
    };
    // With a relayed terminal, the pty's size change signals the container itself (executor/native/tty.c).
    const signals = relay ? FORWARDED.filter((s) => s !== 'SIGWINCH') : FORWARDED;
    for (const s of signals) process.on(s, forward);
    const exit = await exited;
    for (const s of signals) process.off(s, forward);
    process.exitCode = exit?.code ?? 1;
    try {
      dir.lock();
    } catch (e) {
      if (isPlancError(e) && e.code === 'not-found') return; // deleted meanwhile (delete --force)
      throw e;
    }
    if (record.auditLog) exportAudit(dir, flags.root, warn);
    // How it ended, into the trail; then the run taken apart and the poststop hooks (the front's
    // teardown, cli/native/teardown.c), which closes the trail.
    const trail = Trail.open(created.trail);
    try {
      if (exit) trail.append({ event: 'exited', ...(exit.signal ? { signal: exit.signal } : { code: exit.code }), t: nowMicros() });
    } finally {
      trail.release();
    }
    frontTeardown(dir, 'exit', warn, { signKey: flags['audit-sign-key'], remains: remainsOfRecord(record) });
  },
});
