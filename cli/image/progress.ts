// Progress for long image operations: a bar redrawn in place on a terminal
// (only for layers big enough to take a while), plain lines when stderr is a
// pipe or a file, nothing with --quiet.

const BAR_MIN_BYTES = 8 << 20;
const REDRAW_MS = 100;

export function human(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

export class Progress {
  private readonly tty: boolean;
  private label = '';
  private total = 0;
  private last = 0;
  private drawn = false;

  constructor(
    private readonly quiet: boolean,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = out.isTTY === true && process.env.TERM !== 'dumb';
  }

  /** A line that stays (a finished layer, a note). */
  line(text: string): void {
    if (this.quiet) return;
    this.clear();
    this.out.write(text + '\n');
  }

  /** Always shown, --quiet or not: something the user must know about the result. */
  note(text: string): void {
    this.clear();
    this.out.write(`planc: note: ${text}\n`);
  }

  start(label: string, total: number): void {
    this.label = label;
    this.total = total;
    this.last = 0;
  }

  update(done: number): void {
    if (this.quiet || !this.tty || this.total < BAR_MIN_BYTES) return;
    const now = Date.now();
    if (now - this.last < REDRAW_MS && done < this.total) return;
    this.last = now;
    const cols = Math.max(40, Math.min(this.out.columns ?? 80, 120));
    const text = ` ${human(done)} / ${human(this.total)}`;
    const width = Math.max(10, cols - this.label.length - text.length - 4);
    const fill = Math.min(width, Math.floor((done / this.total) * width));
    this.out.write(`\r${this.label} [${'='.repeat(fill)}${fill < width ? '>' : ''}${' '.repeat(Math.max(0, width - fill - 1))}]${text}\x1b[K`);
    this.drawn = true;
  }

  clear(): void {
    if (!this.drawn) return;
    this.out.write('\r\x1b[K');
    this.drawn = false;
  }
}
