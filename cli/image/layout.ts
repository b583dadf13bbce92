// Reading an OCI image layout (image-spec image-layout.md): oci-layout,
// index.json, nested indexes, manifests, configs and blobs. A layout is
// input like a bundle: every blob is opened from the layout's directory fd
// one component at a time without following symlinks, checked to be a
// regular file of the size its descriptor says, and hashed as it is read;
// a digest that does not match fails the read. JSON documents are bounded.
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { resolve } from 'node:path';
import { PlancError } from '../../schemas/error.js';
import { errnoWords } from '../errno.js';
import * as at from './fsat.js';

export const MT = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layerTar: 'application/vnd.oci.image.layer.v1.tar',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  layerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
} as const;

const INDEX_TYPES = new Set<string>([MT.index, MT.dockerList]);
const MANIFEST_TYPES = new Set<string>([MT.manifest, MT.dockerManifest]);
const CONFIG_TYPES = new Set<string>([MT.config, MT.dockerConfig]);

export type Compression = 'none' | 'gzip' | 'zstd';

/** Layer media types planc unpacks, and how each is compressed (Docker's types as skopeo may keep them). */
const LAYER_TYPES: Record<string, Compression> = {
  [MT.layerTar]: 'none',
  [MT.layerGzip]: 'gzip',
  [MT.layerZstd]: 'zstd',
  'application/vnd.oci.image.layer.nondistributable.v1.tar': 'none',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip': 'gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd': 'zstd',
  'application/vnd.docker.image.rootfs.diff.tar': 'none',
  'application/vnd.docker.image.rootfs.diff.tar.gzip': 'gzip',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip': 'gzip',
  'application/vnd.docker.image.rootfs.diff.tar.zstd': 'zstd',
};

export function layerCompression(mediaType: string): Compression | undefined {
  return LAYER_TYPES[mediaType];
}

/** Manifests, indexes and configs are small; a larger one is refused rather than read into memory. */
const JSON_MAX = 4 << 20;
/** Indexes inside indexes, at most this deep. */
const NEST_MAX = 8;
export const REF_ANNOTATION = 'org.opencontainers.image.ref.name';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform & { 'os.version'?: string; 'os.features'?: string[] };
}

const DIGEST_RE: Record<string, RegExp> = { sha256: /^[a-f0-9]{64}$/, sha512: /^[a-f0-9]{128}$/ };

function bad(msg: string): PlancError {
  return new PlancError('invalid-argument', msg);
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A descriptor from a document, checked: a media type, a digest planc can verify, a size. */
export function checkDescriptor(v: unknown, where: string): Descriptor {
  if (!isObj(v)) throw bad(`${where} is not a descriptor object`);
  const { mediaType, digest, size, annotations, platform } = v;
  if (typeof mediaType !== 'string' || mediaType === '') throw bad(`${where} has no mediaType`);
  if (typeof digest !== 'string') throw bad(`${where} has no digest`);
  const [alg, hex] = digest.split(':', 2) as [string, string | undefined];
  if (!DIGEST_RE[alg]) throw bad(`${where}: digest ${JSON.stringify(digest)} uses an algorithm planc cannot verify (sha256, sha512)`);
  if (hex === undefined || !DIGEST_RE[alg].test(hex) || digest !== `${alg}:${hex}`) throw bad(`${where}: digest ${JSON.stringify(digest)} is malformed`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw bad(`${where}: size ${JSON.stringify(size)} is not a non-negative integer`);
  if (annotations !== undefined && (!isObj(annotations) || Object.values(annotations).some((x) => typeof x !== 'string'))) throw bad(`${where}: annotations must map strings to strings`);
  if (platform !== undefined && (!isObj(platform) || typeof platform.os !== 'string' || typeof platform.architecture !== 'string' || (platform.variant !== undefined && typeof platform.variant !== 'string'))) {
    throw bad(`${where}: platform needs string os and architecture`);
  }
  return v as unknown as Descriptor;
}

export function short(digest: string): string {
  return digest.slice(0, digest.indexOf(':') + 13);
}

export function platformText(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

/** This host's platform, in the GOARCH words images use. */
export function hostPlatform(): Platform {
  const arch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', mips64el: 'mips64le', loong64: 'loong64' };
  const a = arch[process.arch] ?? process.arch;
  const armVersion = (process.config.variables as Record<string, unknown>).arm_version;
  return { os: process.platform, architecture: a, ...(a === 'arm' && armVersion ? { variant: `v${armVersion}` } : {}) };
}

/** --platform os/arch[/variant]. */
export function parsePlatform(s: string): Platform {
  const parts = s.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9._-]+$/.test(p))) throw new PlancError('invalid-argument', `--platform ${JSON.stringify(s)}: expected os/architecture[/variant], e.g. linux/amd64 or linux/arm/v7`);
  return { os: parts[0]!, architecture: parts[1]!, ...(parts[2] ? { variant: parts[2] } : {}) };
}

/** arm64's only variant is v8: an image that says so (or says nothing) fits either way. */
function variantOf(p: Platform): string | undefined {
  if (p.architecture === 'arm64') return p.variant ?? 'v8';
  return p.variant;
}

export function platformMatches(have: Platform, want: Platform): boolean {
  if (have.os !== want.os || have.architecture !== want.architecture) return false;
  const w = variantOf(want);
  return w === undefined || variantOf(have) === undefined || variantOf(have) === w;
}

/** LAYOUT[:REF], as skopeo's oci: transport reads it: the reference is after the last colon, if that names no directory. */
export function parseImageArg(arg: string): { layout: string; ref?: string } {
  const i = arg.lastIndexOf(':');
  if (i <= 0) return { layout: arg };
  const ref = arg.slice(i + 1);
  if (ref === '' || ref.includes('/')) return { layout: arg };
  return { layout: arg.slice(0, i), ref };
}

/** An open image layout. */
export class Layout {
  private constructor(
    readonly path: string,
    readonly fd: number,
  ) {}

  static open(arg: string): Layout {
    const path = resolve(arg);
    let fd: number;
    try {
      fd = openSync(path, at.O_RDONLY | at.O_DIRECTORY);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new PlancError('not-found', `image layout ${path} does not exist`);
      if (code === 'ENOTDIR') throw new PlancError('invalid-argument', `image layout ${path} is not a directory`);
      throw new PlancError('system', `image layout ${path}: ${errnoWords(e)}`);
    }
    const layout = new Layout(path, fd);
    try {
      layout.checkMarker();
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    return layout;
  }

  close(): void {
    closeSync(this.fd);
  }

  private checkMarker(): void {
    const marker = this.readFile('oci-layout', 4096);
    if (marker === null) {
      throw new PlancError('invalid-argument', `${this.path} is not an OCI image layout: it has no oci-layout file`);
    }
    let v: unknown;
    try {
      v = JSON.parse(marker.toString('utf8'));
    } catch {
      throw new PlancError('invalid-argument', `${this.path}/oci-layout is not JSON`);
    }
    const version = isObj(v) ? v.imageLayoutVersion : undefined;
    if (typeof version !== 'string' || !/^1\.[0-9]+\.[0-9]+$/.test(version)) {
      throw new PlancError('unsupported', `${this.path}/oci-layout: imageLayoutVersion ${JSON.stringify(version)} is not one planc reads (1.x.y)`);
    }
  }

  /** A file of the layout by its path inside it, or null when missing. Never through a symlink. */
  private readFile(rel: string, max: number): Buffer | null {
    const fd = this.openIn(rel.split('/'));
    if (fd === null) return null;
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) throw new PlancError('invalid-argument', `${this.path}/${rel} is not a regular file`);
      if (st.size > max) throw new PlancError('invalid-argument', `${this.path}/${rel} is larger than ${max} bytes`);
      return readAll(fd, st.size);
    } finally {
      closeSync(fd);
    }
  }

  /** Open a file of the layout component by component (O_NOFOLLOW at each): null when missing. */
  private openIn(comps: string[]): number | null {
    let dir = this.fd;
    try {
      for (let i = 0; i < comps.length; i++) {
        const last = i === comps.length - 1;
        const fd = at.tryOpenat(dir, comps[i]!, last ? at.O_RDONLY | at.O_NOFOLLOW | at.O_NONBLOCK : at.O_RDONLY | at.O_DIRECTORY | at.O_NOFOLLOW);
        if (fd instanceof at.SysError) {
          if (fd.code === 'ENOENT') return null;
          if (fd.code === 'ELOOP' || fd.code === 'ENOTDIR') throw new PlancError('invalid-argument', `${this.path}/${comps.slice(0, i + 1).join('/')} is a symbolic link or not a directory; planc reads a layout's own files only`);
          throw new PlancError('system', `${this.path}/${comps.slice(0, i + 1).join('/')}: ${at.errnoText(fd.errno)}`);
        }
        if (dir !== this.fd) closeSync(dir);
        dir = fd;
      }
      return dir;
    } catch (e) {
      if (dir !== this.fd) closeSync(dir);
      throw e;
    }
  }

  /** The top-level index.json. */
  index(): Record<string, unknown> {
    const bytes = this.readFile('index.json', JSON_MAX);
    if (bytes === null) {
      const old = this.openIn(['refs']);
      if (old !== null) closeSync(old);
      throw new PlancError('invalid-argument', `${this.path} has no index.json${old !== null ? ' (it has refs/: a layout from before OCI image-spec 1.0; copy the image again with a current skopeo)' : ''}`);
    }
    return parseDoc(bytes, `${this.path}/index.json`, [MT.index]);
  }

  /**
   * Open a blob for reading: present, a regular file, of the descriptor's size.
   * `what` names it in errors ("layer 2/3").
   */
  openBlob(d: Descriptor, what: string): number {
    const [alg, hex] = d.digest.split(':') as [string, string];
    const fd = this.openIn(['blobs', alg, hex]);
    if (fd === null) throw new PlancError('not-found', `${what} ${d.digest} is missing from ${this.path}/blobs/${alg}`);
    const st = fstatSync(fd);
    if (!st.isFile()) {
      closeSync(fd);
      throw new PlancError('invalid-argument', `${what} ${d.digest} in ${this.path} is not a regular file`);
    }
    if (st.size !== d.size) {
      closeSync(fd);
      throw new PlancError('invalid-argument', `${what} ${d.digest} has ${st.size} bytes in ${this.path}, its descriptor says ${d.size}: size mismatch`);
    }
    return fd;
  }

  /** A JSON blob (manifest, index, config): read whole, size and digest checked, parsed, media type checked. */
  readJson(d: Descriptor, what: string, types: string[]): Record<string, unknown> {
    if (d.size > JSON_MAX) throw new PlancError('invalid-argument', `${what} ${d.digest} is ${d.size} bytes; planc reads JSON documents of at most ${JSON_MAX}`);
    const fd = this.openBlob(d, what);
    let bytes: Buffer;
    try {
      bytes = readAll(fd, d.size);
    } finally {
      closeSync(fd);
    }
    const [alg] = d.digest.split(':') as [string];
    const got = `${alg}:${createHash(alg).update(bytes).digest('hex')}`;
    if (got !== d.digest) throw new PlancError('invalid-argument', `${what} ${d.digest} in ${this.path} does not match its digest (its content hashes to ${got})`);
    return parseDoc(bytes, `${what} ${d.digest}`, types);
  }

  /**
   * Stream a blob: `onChunk` gets its bytes in order while they are hashed;
   * resolves when the whole blob was read and its digest matched.
   */
  async streamBlob(d: Descriptor, what: string, onChunk: (b: Buffer) => void): Promise<void> {
    const fd = this.openBlob(d, what);
    const [alg] = d.digest.split(':') as [string];
    const hash = createHash(alg);
    let n = 0;
    // end is inclusive: one byte past the size shows a blob that grew under us.
    const stream = createReadStream('', { fd, highWaterMark: 1 << 20, start: 0, end: d.size });
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      n += chunk.length;
      if (n > d.size) throw new PlancError('invalid-argument', `${what} ${d.digest} is longer than its descriptor says (${d.size} bytes): size mismatch`);
      hash.update(chunk);
      onChunk(chunk);
    }
    if (n !== d.size) throw new PlancError('invalid-argument', `${what} ${d.digest} ended after ${n} of ${d.size} bytes: size mismatch`);
    const got = `${alg}:${hash.digest('hex')}`;
    if (got !== d.digest) throw new PlancError('invalid-argument', `${what} ${d.digest} does not match its digest (its content hashes to ${got})`);
  }
}

function readAll(fd: number, size: number): Buffer {
  const buf = Buffer.alloc(size);
  let n = 0;
  for (let r; n < size && (r = readSync(fd, buf, n, size - n, n)) > 0; ) n += r;
  if (n !== size) throw new PlancError('invalid-argument', `short read: ${n} of ${size} bytes`);
  return buf;
}

function parseDoc(bytes: Buffer, what: string, types: string[]): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new PlancError('invalid-argument', `${what} is not valid JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!isObj(v)) throw new PlancError('invalid-argument', `${what} is not a JSON object`);
  // A document's own mediaType, when it has one, must be what its descriptor said.
  if (v.mediaType !== undefined && !types.includes(v.mediaType as string)) {
    throw new PlancError('invalid-argument', `${what} has mediaType ${JSON.stringify(v.mediaType)}, expected ${types.join(' or ')}`);
  }
  return v;
}

// ---------------------------------------------------------------------------
// Choosing the image

export interface Selected {
  manifestDesc: Descriptor;
  manifest: { config: Descriptor; layers: Descriptor[]; annotations?: Record<string, string> };
  config: Record<string, unknown>;
  /** The config's os/architecture/variant. */
  platform: Platform;
  ref?: string;
}

/**
 * Pick the image: by ref name among index.json's manifests (none given: the
 * only one), then by platform through nested indexes. Errors name what the
 * layout does have.
 */
export function selectImage(layout: Layout, ref: string | undefined, want: Platform, wantExplicit: boolean): Selected {
  const index = layout.index();
  const top = descriptors(index, `${layout.path}/index.json`);
  let candidates = top;
  const refs = top.map((d) => d.annotations?.[REF_ANNOTATION]).filter((r): r is string => r !== undefined);
  if (ref !== undefined) {
    candidates = top.filter((d) => d.annotations?.[REF_ANNOTATION] === ref);
    if (candidates.length === 0) {
      throw new PlancError('not-found', `no image ${JSON.stringify(ref)} in ${layout.path} (${refs.length ? `it has ${[...new Set(refs)].map((r) => JSON.stringify(r)).join(', ')}` : 'it names no images'})`);
    }
  } else if (top.length === 0) {
    throw new PlancError('not-found', `${layout.path}/index.json lists no images`);
  } else if (top.length > 1 && new Set(top.map((d) => d.digest)).size > 1 && !top.every((d) => INDEX_TYPES.has(d.mediaType) || d.platform)) {
    throw new PlancError('invalid-argument', `${layout.path} holds ${top.length} images: name one as ${layout.path}:REF (${refs.length ? `refs: ${[...new Set(refs)].map((r) => JSON.stringify(r)).join(', ')}` : 'none has a ref name'})`);
  }
  const seen: Platform[] = [];
  const found = findManifest(layout, candidates, want, 0, seen);
  if (!found) {
    const unknown = candidates.filter((d) => !INDEX_TYPES.has(d.mediaType) && !MANIFEST_TYPES.has(d.mediaType));
    if (unknown.length === candidates.length) {
      throw new PlancError('unsupported', `${ref !== undefined ? `image ${JSON.stringify(ref)}` : 'the image'} in ${layout.path} has media type ${JSON.stringify(unknown[0]!.mediaType)}, which is not an image manifest or index planc reads`);
    }
    const have = [...new Set(seen.map(platformText))];
    throw new PlancError('not-found', `no manifest for ${platformText(want)} in ${layout.path}${ref !== undefined ? `:${ref}` : ''} (it has ${have.join(', ') || 'none'})${wantExplicit ? '' : '; choose one with --platform'}`);
  }
  return { ...found, ref };
}

function descriptors(doc: Record<string, unknown>, where: string): Descriptor[] {
  const list = doc.manifests;
  if (!Array.isArray(list)) throw new PlancError('invalid-argument', `${where} has no manifests list`);
  return list.map((d, i) => checkDescriptor(d, `${where} manifests[${i}]`));
}

function findManifest(layout: Layout, list: Descriptor[], want: Platform, depth: number, seen: Platform[]): Omit<Selected, 'ref'> | null {
  if (depth > NEST_MAX) throw new PlancError('invalid-argument', `image indexes in ${layout.path} nest deeper than ${NEST_MAX}`);
  for (const d of list) {
    if (d.platform) {
      seen.push(d.platform);
      if (!platformMatches(d.platform, want)) continue;
    }
    if (INDEX_TYPES.has(d.mediaType)) {
      const nested = layout.readJson(d, 'image index', [MT.index, MT.dockerList]);
      const hit = findManifest(layout, descriptors(nested, `image index ${short(d.digest)}`), want, depth + 1, seen);
      if (hit) return hit;
      continue;
    }
    if (!MANIFEST_TYPES.has(d.mediaType)) continue;
    const m = layout.readJson(d, 'manifest', [MT.manifest, MT.dockerManifest]);
    if (m.schemaVersion !== 2) throw new PlancError('invalid-argument', `manifest ${d.digest}: schemaVersion ${JSON.stringify(m.schemaVersion)} is not 2`);
    const config = checkDescriptor(m.config, `manifest ${short(d.digest)} config`);
    if (!CONFIG_TYPES.has(config.mediaType)) {
      throw new PlancError('unsupported', `manifest ${short(d.digest)}: config media type ${JSON.stringify(config.mediaType)} is not an image config (an artifact, not an image?)`);
    }
    if (!Array.isArray(m.layers)) throw new PlancError('invalid-argument', `manifest ${short(d.digest)} has no layers list`);
    const layers = m.layers.map((l, i) => checkDescriptor(l, `manifest ${short(d.digest)} layers[${i}]`));
    const cfg = layout.readJson(config, 'image config', [MT.config, MT.dockerConfig]);
    if (typeof cfg.os !== 'string' || typeof cfg.architecture !== 'string') throw new PlancError('invalid-argument', `image config ${config.digest} has no os and architecture`);
    const platform: Platform = { os: cfg.os, architecture: cfg.architecture, ...(typeof cfg.variant === 'string' ? { variant: cfg.variant } : {}) };
    seen.push(platform);
    if (!platformMatches(platform, want)) continue;
    return { manifestDesc: d, manifest: { config, layers, annotations: m.annotations as Record<string, string> | undefined }, config: cfg, platform };
  }
  return null;
}

/** The layers' uncompressed digests from the config (rootfs.diff_ids), one per layer. */
export function diffIds(config: Record<string, unknown>, layers: number): string[] {
  const rootfs = config.rootfs;
  const ids = isObj(rootfs) ? rootfs.diff_ids : undefined;
  if (!Array.isArray(ids) || ids.some((x) => typeof x !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(x))) throw new PlancError('invalid-argument', 'image config: rootfs.diff_ids must be a list of sha256 digests');
  if (ids.length !== layers) throw new PlancError('invalid-argument', `image config lists ${ids.length} diff_ids for ${layers} layers`);
  return ids as string[];
}
