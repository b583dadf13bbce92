// The one way an error leaves planc: one line on stderr, one record in --log
// (text or JSON, as runc writes them: containerd reads the last error line,
// podman the whole file), exit status 1.
import { escapeControls, isPlancError } from '../schemas/error.js';
import { appendCallerLog } from './caller-files.js';

export function describeError(err: unknown, configPath?: string): string {
  if (isPlancError(err)) return err.oneLine(configPath);
  const msg = err instanceof Error ? err.message : String(err);
  // Parser errors come as several lines with help hints: keep the facts, on one line.
  return escapeControls(msg.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('See more help')).join(' ').replace(/\s+/g, ' '));
}

export function reportError(line: string, log: { file?: string; format?: string }): void {
  process.stderr.write(`planc: ${line}\n`);
  writeLog('error', line, log);
}

/** A warning: the operation goes on (runtime-spec runtime.md "Warnings"); one line on stderr, one record in --log. */
export function reportWarning(line: string, log: { file?: string; format?: string }): void {
  process.stderr.write(`planc: warning: ${escapeControls(line)}\n`);
  writeLog('warning', escapeControls(line), log);
}

/** --debug records: to the --log file when there is one, else to stderr. */
export function debug(line: string, flags: { debug?: boolean; log?: string; 'log-format'?: string }): void {
  if (!flags.debug) return;
  if (flags.log) writeLog('debug', line, { file: flags.log, format: flags['log-format'] });
  else process.stderr.write(`planc: debug: ${line}\n`);
}

function writeLog(level: 'error' | 'warning' | 'debug', msg: string, log: { file?: string; format?: string }): void {
  if (!log.file) return;
  // RFC 3339 to the second, as runc's logrus writes it ("2026-01-02T15:04:05Z").
  const time = new Date().toISOString().replace(/\.[0-9]+Z$/, 'Z');
  const rec = log.format === 'json' ? JSON.stringify({ level, msg, time }) : `time="${time}" level=${level} msg=${JSON.stringify(msg)}`;
  try {
    appendCallerLog('--log', log.file, rec + '\n');
  } catch {
    // errors are on stderr already; a debug record is not worth failing for
  }
}

/** --log / --log-format straight from argv, for errors raised before or during parsing. */
export function logTarget(argv: string[]): { file?: string; format?: string } {
  const flag = (name: string) => {
    const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
    if (i < 0) return undefined;
    return argv[i]!.includes('=') ? argv[i]!.slice(argv[i]!.indexOf('=') + 1) : argv[i + 1];
  };
  return { file: flag('log'), format: flag('log-format') };
}
