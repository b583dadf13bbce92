// Records planc writes into a container's trail itself — the exec confirmed
// by `start`, the small plans of kill and delete with a record per action,
// the outcome of a foreground run, the closing record and its signature —
// chained exactly as the executor chains its own (docs/audit.md): "n" the
// line number first, "prev" the sha256 of the line before last. Fail closed:
// a record is written whole or cut back off, and one that cannot be written
// throws, so the verb stops before its next action.
import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, ftruncateSync, readFileSync, readSync, writeSync } from 'node:fs';
import { PlancError } from '../../schemas/error.js';
import type { Caller } from '../../schemas/generated/audit.js';
import type { LifecyclePlan } from '../../schemas/generated/lifecycle.js';
import { errnoWords } from '../errno.js';
import { AuditStore, type TrailRef } from './store.js';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Microseconds since the epoch, as the executor's records say "t". */
export function nowMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

/** Who is writing: this planc process, its command line, and its parent (the engine or shell that ran it). */
export function caller(): Caller {
  const quoteArg = (a: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a));
  const out: Caller = { uid: process.geteuid?.() ?? 0, pid: process.pid, command: ['planc', ...process.argv.slice(2)].map(quoteArg).join(' ') };
  try {
    const cmd = readFileSync(`/proc/${process.ppid}/cmdline`).toString('utf8').split('\0').filter(Boolean).map(quoteArg).join(' ');
    out.parent = { pid: process.ppid, command: cmd.length > 512 ? `${cmd.slice(0, 512)}…` : cmd };
  } catch {
    out.parent = { pid: process.ppid, command: '' };
  }
  return out;
}

/** An Ed25519 private key (PEM, PKCS#8) from --audit-sign-key, read before anything is done with it. */
export function loadSignKey(path: string | undefined): KeyObject | undefined {
  if (path === undefined) return undefined;
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(path));
  } catch (e) {
    throw new PlancError('invalid-argument', `--audit-sign-key: not a private key planc can read (${errnoWords(e)})`, { file: path });
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new PlancError('invalid-argument', `--audit-sign-key: an ${key.asymmetricKeyType} key; planc signs with Ed25519`, { file: path });
  return key;
}

/** sha256 of a public key's SPKI encoding: how a signature line names its key. */
export function keyFingerprint(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return 'sha256:' + sha256(pub.export({ format: 'der', type: 'spki' }));
}

export class Trail {
  private n = 0;
  private prev = '';

  private constructor(
    readonly fd: number,
    readonly path: string,
  ) {}

  /** The trail of `ref`, open and at its head. */
  static open(ref: TrailRef): Trail {
    const store = AuditStore.open(ref.dir);
    if (!store) throw new PlancError('audit', `the audit store ${ref.dir} is gone`);
    try {
      const plan = store.read(ref).plan;
      return Trail.fromFd(store.openTrail(ref), store.path(ref), plan ? sha256(plan) : '');
    } finally {
      store.close();
    }
  }

  /**
   * A trail already open (create's fd, after the executor wrote its part).
   * `anchor`: the plan's sha256, what the first line chains to when the
   * executor wrote nothing (not even its header).
   */
  static fromFd(fd: number, path: string, anchor: string): Trail {
    const t = new Trail(fd, path);
    t.sync(anchor);
    return t;
  }

  /** The whole file as it is now. */
  bytes(): Buffer {
    const size = fstatSync(this.fd).size;
    const buf = Buffer.alloc(size);
    let got = 0;
    while (got < size) {
      const r = readSync(this.fd, buf, got, size - got, got);
      if (r <= 0) break;
      got += r;
    }
    return buf.subarray(0, got);
  }

  /**
   * Find the head: the hash of the last line and the next line number. A
   * file that does not end with a newline (a line cut by a crash) gets one,
   * so the cut line stays visible to the verifier and the chain goes on.
   */
  private sync(anchor: string): void {
    const buf = this.bytes();
    if (buf.length > 0 && buf[buf.length - 1] !== 0x0a) this.write(Buffer.from('\n'));
    const text = buf.length > 0 && buf[buf.length - 1] !== 0x0a ? Buffer.concat([buf, Buffer.from('\n')]) : buf;
    let lines = 0;
    let last = 0;
    for (let k = 0; k < text.length; k++) {
      if (text[k] !== 0x0a) continue;
      lines++;
      if (k + 1 < text.length) last = k + 1;
    }
    this.n = lines;
    this.prev = lines > 0 ? sha256(text.subarray(last, text.length - 1)) : anchor;
  }

  /** Bytes appended whole, or cut back off and the error thrown. */
  private write(bytes: Buffer): void {
    const before = fstatSync(this.fd).size;
    try {
      for (let off = 0; off < bytes.length; ) {
        const w = writeSync(this.fd, bytes, off, bytes.length - off);
        if (w <= 0) throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
        off += w;
      }
    } catch (e) {
      try {
        ftruncateSync(this.fd, before);
      } catch {
        // the verifier names the cut line
      }
      throw new PlancError('audit', `write the audit record to ${this.path}: ${errnoWords(e)}`);
    }
  }

  /** Append one record; returns its line number. */
  append(fields: Record<string, unknown>): number {
    const n = this.n;
    const line = JSON.stringify({ n, ...fields, ...(this.prev ? { prev: this.prev } : {}) });
    const bytes = Buffer.from(line);
    this.write(Buffer.concat([bytes, Buffer.from('\n')]));
    this.prev = sha256(bytes);
    this.n++;
    return n;
  }

  /** A small plan, whole, before its first action: the line its records name with "of". */
  beginPlan(plan: LifecyclePlan, extra: Record<string, unknown> = {}): number {
    return this.append({ plan, by: caller(), t: nowMicros(), ...extra });
  }

  /** The record of action i of the plan at line `of`. */
  record(of: number, i: number, op: string, r: 'ok' | 'skipped' | 'error', extra: Record<string, unknown> = {}): void {
    this.append({ of, i, op, r, t: nowMicros(), ...extra });
  }

  /** The closing record, signed when the operator gave a key; synced to disk. */
  close(key?: KeyObject): void {
    this.append({ final: true, t: nowMicros() });
    if (key) {
      const all = this.bytes();
      const end = all.length - 1;
      const start = all.lastIndexOf(0x0a, end - 1) + 1;
      const sig = sign(null, all.subarray(start, end), key).toString('base64');
      this.write(Buffer.from(JSON.stringify({ sig, alg: 'ed25519', key: keyFingerprint(key) }) + '\n'));
    }
    this.flush();
  }

  flush(): void {
    try {
      fsyncSync(this.fd);
    } catch (e) {
      throw new PlancError('audit', `sync the audit trail ${this.path}: ${errnoWords(e)}`);
    }
  }

  release(): void {
    closeSync(this.fd);
  }
}
