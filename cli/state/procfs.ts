// Reading processes from /proc: how planc tells a live container init from a
// stopped one (or from another process that reused its pid), signal names.
import { readFileSync } from 'node:fs';
import { PlancError } from '../../schemas/error.js';

export interface ProcStat {
  state: string;
  startTime: string;
}

export function procStat(pid: number): ProcStat | null {
  if (pid <= 0) return null;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name may contain spaces and parentheses: fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '?', startTime: fields[19] ?? '' };
}

/** Is the process with this pid still the one we started (same start time) and not a zombie? */
export function alive(pid: number, startTime: string): boolean {
  const st = procStat(pid);
  return st !== null && st.startTime === startTime && st.state !== 'Z' && st.state !== 'X';
}

export function signalNumber(sig: string): number {
  // As runc: a number, a name or a SIG-name, any case — and nothing else (no stray spaces).
  const raw = sig.toUpperCase();
  if (/^[0-9]+$/.test(raw)) {
    const n = Number(raw);
    if (n >= 0 && n <= 64) return n;
  } else {
    const name = raw.startsWith('SIG') ? raw : `SIG${raw}`;
    const n = (SIGNALS as Record<string, number>)[name];
    if (n !== undefined) return n;
  }
  throw new PlancError('invalid-argument', `unknown signal ${JSON.stringify(sig)}`);
}

const SIGNALS = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGIOT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9,
  SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGSTKFLT: 16, SIGCHLD: 17, SIGCONT: 18,
  SIGSTOP: 19, SIGTSTP: 20, SIGTTIN: 21, SIGTTOU: 22, SIGURG: 23, SIGXCPU: 24, SIGXFSZ: 25, SIGVTALRM: 26, SIGPROF: 27,
  SIGWINCH: 28, SIGIO: 29, SIGPOLL: 29, SIGPWR: 30, SIGSYS: 31,
} as const;

export function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
