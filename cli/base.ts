// What every planc verb shares: runc's global flags (the global --rootless
// true|false|auto is taken by bin/planc.js, since `spec --rootless` is a switch) and the one way errors
// leave the process (one line on stderr, one record in --log, exit 1).
import { appendFileSync } from 'node:fs';
import { Command, Flags } from '@oclif/core';
import { isPlancError } from '../schemas/error.js';

export abstract class PlancCommand extends Command {
  static override baseFlags = {
    root: Flags.string({ description: 'root directory for storage of container state', default: '/run/planc', helpGroup: 'GLOBAL' }),
    log: Flags.string({ description: 'file to write errors and debug records to (default: stderr only)', helpGroup: 'GLOBAL' }),
    'log-format': Flags.string({ description: 'format of --log records', options: ['text', 'json'], default: 'text', helpGroup: 'GLOBAL' }),
    debug: Flags.boolean({ description: 'write debug records', helpGroup: 'GLOBAL' }),
    'systemd-cgroup': Flags.boolean({ description: 'cgroupsPath is slice:prefix:name (systemd style)', helpGroup: 'GLOBAL' }),
    criu: Flags.string({ description: 'path to criu (checkpoint/restore are not supported)', helpGroup: 'GLOBAL' }),
  };

  /** Set by verbs that read a bundle, so errors about the config name its file. */
  protected configPath?: string;

  protected override async catch(err: Error & { code?: string; oclif?: { exit?: number } }): Promise<never> {
    // this.exit(n) and oclif's own exits (--help) are decisions, not errors to report.
    if (err.code === 'EEXIT' || err.oclif?.exit === 0) throw err;
    const line = this.describe(err);
    process.stderr.write(`planc: ${line}\n`);
    this.writeLog(line);
    return this.exit(1);
  }

  private describe(err: Error): string {
    if (isPlancError(err)) {
      const where = err.where?.startsWith('/') && this.configPath ? `${this.configPath}: ${err.where}` : err.where;
      return where ? `${where}: ${err.message}` : err.message;
    }
    // Parser errors come as several lines with help hints: keep the facts, on one line.
    return err.message.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('See more help')).join(' ').replace(/\s+/g, ' ');
  }

  private writeLog(msg: string): void {
    const argv = this.argv;
    const flag = (name: string) => {
      const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
      if (i < 0) return undefined;
      return argv[i]!.includes('=') ? argv[i]!.slice(argv[i]!.indexOf('=') + 1) : argv[i + 1];
    };
    const file = flag('log');
    if (!file) return;
    const time = new Date().toISOString();
    const rec = flag('log-format') === 'json' ? JSON.stringify({ level: 'error', msg, time }) : `time="${time}" level=error msg=${JSON.stringify(msg)}`;
    try {
      appendFileSync(file, rec + '\n');
    } catch {
      // the error itself is already on stderr
    }
  }
}
