// Reading processes from /proc: how planc tells a live container init from a
// stopped one (or from another process that reused its pid).
import { readFileSync } from 'node:fs';

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

export function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
