// A streaming tar reader (ustar, GNU long names, PAX) and a small writer.
// The reader is pushed the decompressed bytes of a layer in whatever chunks
// they come, and hands each entry's header to the caller with its data as
// slices of those chunks: nothing is buffered but a header's 512 bytes and
// extended headers (bounded). Names stay "binary strings" (one char per byte),
// exactly as the archive has them; the caller decides what they may mean.
import { PlancError } from '../../schemas/error.js';

export type EntryType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo';

export interface TarEntry {
  name: string;
  type: EntryType;
  /** Permission bits with setuid/setgid/sticky (07777). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch, with fraction when PAX gave one. */
  mtime: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  /** PAX SCHILY.xattr.* / LIBARCHIVE.xattr.* records. */
  xattrs: Map<string, Buffer>;
}

export interface EntrySink {
  write(data: Buffer): void;
  end(): void;
}

/** The extended header data planc keeps in memory at most (a PAX header or a GNU long name). */
const META_MAX = 1 << 20;
const BLOCK = 512;

const TYPES: Record<string, EntryType> = { '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo' };

function tarError(msg: string): PlancError {
  return new PlancError('invalid-argument', msg);
}

/** A NUL-terminated field as a binary string. */
function field(b: Buffer, off: number, len: number): string {
  let end = off;
  const stop = off + len;
  while (end < stop && b[end] !== 0) end++;
  return b.toString('latin1', off, end);
}

/** A numeric field: octal text, or base-256 when the first byte has its high bit set (GNU, star). */
function num(b: Buffer, off: number, len: number, what: string): number {
  if (b[off]! & 0x80) {
    if (b[off] === 0xff) throw tarError(`tar header: negative ${what}`);
    let v = b[off]! & 0x7f;
    for (let i = 1; i < len; i++) {
      v = v * 256 + b[off + i]!;
      if (v > Number.MAX_SAFE_INTEGER) throw tarError(`tar header: ${what} is too large`);
    }
    return v;
  }
  const s = field(b, off, len).replace(/^[ \0]+|[ \0]+$/g, '');
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw tarError(`tar header: ${what} is not an octal number (${JSON.stringify(s)})`);
  return parseInt(s, 8);
}

function checksumOk(h: Buffer): boolean {
  let stored: number;
  try {
    stored = num(h, 148, 8, 'checksum');
  } catch {
    return false; // not even a number where the checksum goes: not a tar header
  }
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const v = i >= 148 && i < 156 ? 32 : h[i]!;
    unsigned += v;
    signed += v > 127 ? v - 256 : v;
  }
  return stored === unsigned || stored === signed;
}

function isZero(h: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (h[i] !== 0) return false;
  return true;
}

interface Pax {
  [key: string]: string | undefined;
}

/** PAX records ("%d %s=%s\n"), keys and values as binary strings; xattrs collected apart with their raw bytes. */
function parsePax(data: Buffer, xattrs: Map<string, Buffer>): Pax {
  const out: Pax = {};
  let off = 0;
  while (off < data.length) {
    if (data[off] === 0) break; // padding some writers leave
    const sp = data.indexOf(0x20, off);
    if (sp < 0) throw tarError('malformed PAX header: a record has no length');
    const len = Number(data.toString('latin1', off, sp));
    if (!Number.isInteger(len) || len <= sp - off || off + len > data.length || data[off + len - 1] !== 0x0a) throw tarError('malformed PAX header: a record length is wrong');
    const eq = data.indexOf(0x3d, sp + 1);
    if (eq < 0 || eq >= off + len) throw tarError('malformed PAX header: a record has no "="');
    const key = data.toString('latin1', sp + 1, eq);
    const value = data.subarray(eq + 1, off + len - 1);
    if (key.startsWith('SCHILY.xattr.')) xattrs.set(key.slice('SCHILY.xattr.'.length), Buffer.from(value));
    else if (key.startsWith('LIBARCHIVE.xattr.')) xattrs.set(decodeURIComponent(key.slice('LIBARCHIVE.xattr.'.length)), Buffer.from(value.toString('latin1'), 'base64'));
    else out[key] = value.toString('latin1');
    off += len;
  }
  return out;
}

function paxNum(v: string, what: string): number {
  if (!/^[0-9]+(\.[0-9]+)?$/.test(v)) throw tarError(`PAX header: ${what} ${JSON.stringify(v)} is not a number`);
  return Number(v);
}

/**
 * Push decompressed bytes in; `onEntry` is called for each entry and returns
 * where its data goes (null: skipped). `end()` checks the archive was whole.
 */
export class TarReader {
  private head = Buffer.alloc(BLOCK);
  private headFill = 0;
  /** Bytes of the current entry's data still to come, then its padding. */
  private remaining = 0;
  private padding = 0;
  private sink: EntrySink | null = null;
  /** Collecting an extended header ('x', 'g', 'L', 'K') instead of file data. */
  private meta: { kind: string; parts: Buffer[]; size: number } | null = null;
  private pax: Pax = {};
  private globalPax: Pax = {};
  private paxXattrs = new Map<string, Buffer>();
  private longName: string | null = null;
  private longLink: string | null = null;
  private zeroBlocks = 0;
  private current = '';
  entries = 0;

  constructor(private readonly onEntry: (e: TarEntry) => EntrySink | null) {}

  push(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, chunk.length - off);
        const piece = chunk.subarray(off, off + n);
        if (this.meta) this.meta.parts.push(Buffer.from(piece));
        else this.sink?.write(piece);
        this.remaining -= n;
        off += n;
        if (this.remaining === 0) this.finishData();
        continue;
      }
      if (this.padding > 0) {
        const n = Math.min(this.padding, chunk.length - off);
        this.padding -= n;
        off += n;
        continue;
      }
      if (this.zeroBlocks >= 2) return; // after the end marker: trailing zeros, ignored
      const n = Math.min(BLOCK - this.headFill, chunk.length - off);
      chunk.copy(this.head, this.headFill, off, off + n);
      this.headFill += n;
      off += n;
      if (this.headFill === BLOCK) {
        this.headFill = 0;
        this.header(this.head);
      }
    }
  }

  /** The archive ended: fine at an entry boundary (with or without the zero blocks), truncated otherwise. */
  end(): void {
    if (this.remaining > 0 || this.headFill > 0 || this.meta || this.longName !== null || this.longLink !== null || Object.keys(this.pax).length > 0) {
      throw tarError(`the layer's tar stream ends inside ${this.current ? `entry ${JSON.stringify(this.current)}` : 'a header'}: it is truncated`);
    }
  }

  private finishData(): void {
    if (this.meta) {
      const data = Buffer.concat(this.meta.parts);
      const kind = this.meta.kind;
      this.meta = null;
      if (kind === 'x') this.pax = { ...this.pax, ...parsePax(data, this.paxXattrs) };
      else if (kind === 'g') this.globalPax = { ...this.globalPax, ...parsePax(data, new Map()) };
      else if (kind === 'L') this.longName = field(data, 0, data.length);
      else if (kind === 'K') this.longLink = field(data, 0, data.length);
    } else {
      this.sink?.end();
      this.sink = null;
    }
  }

  private header(h: Buffer): void {
    if (isZero(h)) {
      this.zeroBlocks++;
      return;
    }
    if (this.zeroBlocks > 0) throw tarError('tar stream: data after an end-of-archive block');
    if (!checksumOk(h)) throw tarError(`tar header checksum mismatch after ${this.entries} entries: the layer is corrupt or not a tar archive`);
    const flag = String.fromCharCode(h[156]!);
    const size = num(h, 124, 12, 'size');
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      if (size > META_MAX) throw tarError(`tar extended header of ${size} bytes is larger than planc accepts (${META_MAX})`);
      this.meta = { kind: flag, parts: [], size };
      this.current = '';
      this.startData(size);
      return;
    }
    const magic = h.toString('latin1', 257, 263);
    const ustar = magic === 'ustar\0';
    const prefix = ustar ? field(h, 345, 155) : '';
    const pax = { ...this.globalPax, ...this.pax };
    let name = pax.path ?? this.longName ?? (prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100));
    const linkname = pax.linkpath ?? this.longLink ?? field(h, 157, 100);
    this.current = name;
    const xattrs = this.paxXattrs;
    this.pax = {};
    this.paxXattrs = new Map();
    this.longName = this.longLink = null;
    if (Object.keys(pax).some((k) => k.startsWith('GNU.sparse'))) throw tarError(`entry ${JSON.stringify(name)}: sparse files are not supported`);
    let type = TYPES[flag];
    if (flag === 'S') throw tarError(`entry ${JSON.stringify(name)}: GNU sparse files are not supported`);
    if (type === undefined) throw tarError(`entry ${JSON.stringify(name)}: unknown tar entry type ${JSON.stringify(flag)}`);
    // Old tars mark directories only by a trailing slash on a regular-file entry.
    if (type === 'file' && flag === '\0' && name.endsWith('/')) type = 'dir';
    const entrySize = pax.size !== undefined ? paxNum(pax.size, 'size') : size;
    const entry: TarEntry = {
      name,
      type,
      mode: num(h, 100, 8, 'mode') & 0o7777,
      uid: pax.uid !== undefined ? paxNum(pax.uid, 'uid') : num(h, 108, 8, 'uid'),
      gid: pax.gid !== undefined ? paxNum(pax.gid, 'gid') : num(h, 116, 8, 'gid'),
      size: type === 'file' ? entrySize : 0,
      mtime: pax.mtime !== undefined ? paxNum(pax.mtime, 'mtime') : num(h, 136, 12, 'mtime'),
      linkname,
      devmajor: type === 'char' || type === 'block' ? num(h, 329, 8, 'devmajor') : 0,
      devminor: type === 'char' || type === 'block' ? num(h, 337, 8, 'devminor') : 0,
      xattrs,
    };
    this.entries++;
    this.sink = this.onEntry(entry);
    // Links, directories, devices and fifos are header-only, whatever their size field says (as Go's archive/tar reads them).
    const dataSize = type === 'file' ? entry.size : 0;
    if (dataSize === 0) {
      this.sink?.end();
      this.sink = null;
    }
    this.startData(dataSize);
  }

  private startData(size: number): void {
    this.remaining = size;
    this.padding = (BLOCK - (size % BLOCK)) % BLOCK;
    if (size === 0 && this.meta) this.finishData();
  }
}

// ---------------------------------------------------------------------------
// Writing (planc image create): PAX headers where ustar cannot say it.

export interface WriteEntry {
  name: string;
  type: EntryType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  xattrs?: Map<string, Buffer>;
}

const FLAG: Record<EntryType, string> = { file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6' };

function putOctal(h: Buffer, off: number, len: number, v: number): boolean {
  const s = Math.floor(v).toString(8);
  if (s.length > len - 1) return false;
  h.write(s.padStart(len - 1, '0') + '\0', off, len, 'latin1');
  return true;
}

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`, 'latin1'), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len), 'latin1'), body]);
}

function rawHeader(name: string, flag: string, e: { mode: number; uid: number; gid: number; size: number; mtime: number; linkname?: string; devmajor?: number; devminor?: number }): { h: Buffer; overflow: string[] } {
  const h = Buffer.alloc(BLOCK);
  const overflow: string[] = [];
  h.write(name.slice(0, 100), 0, 100, 'latin1');
  putOctal(h, 100, 8, e.mode);
  if (!putOctal(h, 108, 8, e.uid)) overflow.push('uid');
  if (!putOctal(h, 116, 8, e.gid)) overflow.push('gid');
  if (!putOctal(h, 124, 12, e.size)) overflow.push('size');
  if (!putOctal(h, 136, 12, Math.max(0, e.mtime))) overflow.push('mtime');
  h.write(flag, 156, 1, 'latin1');
  h.write((e.linkname ?? '').slice(0, 100), 157, 100, 'latin1');
  h.write('ustar\0' + '00', 257, 8, 'latin1');
  putOctal(h, 329, 8, e.devmajor ?? 0);
  putOctal(h, 337, 8, e.devminor ?? 0);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += h[i]!;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return { h, overflow };
}

/** The header block(s) of one entry: a PAX header first when the name, link, a number or xattrs need one. */
export function tarHeader(e: WriteEntry): Buffer {
  const linkname = e.linkname ?? '';
  const records: Buffer[] = [];
  const needsPax = (s: string) => s.length > 100 || /[^\x01-\x7f]/.test(s);
  if (needsPax(e.name)) records.push(paxRecord('path', Buffer.from(e.name, 'latin1')));
  if (needsPax(linkname)) records.push(paxRecord('linkpath', Buffer.from(linkname, 'latin1')));
  const { h, overflow } = rawHeader(e.name, FLAG[e.type], { ...e, linkname });
  for (const k of overflow) records.push(paxRecord(k, Buffer.from(String(e[k as 'uid' | 'gid' | 'size' | 'mtime']))));
  for (const [k, v] of [...(e.xattrs ?? new Map<string, Buffer>())].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) records.push(paxRecord(`SCHILY.xattr.${k}`, v));
  if (records.length === 0) return h;
  const data = Buffer.concat(records);
  const paxName = `PaxHeaders/${e.name.replace(/\/+$/, '').split('/').pop() ?? ''}`.slice(0, 99);
  const ph = rawHeader(paxName, 'x', { mode: 0o644, uid: 0, gid: 0, size: data.length, mtime: 0 }).h;
  return Buffer.concat([ph, data, Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK), h]);
}

/** Zero bytes that pad a file's data to a whole block. */
export function tarPadding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/** The end-of-archive marker: two zero blocks. */
export const TAR_END = Buffer.alloc(2 * BLOCK);
