// An OCI image config → the runtime config.json (image-spec conversion.md),
// on top of a base spec (planc's default, rootless or not). Pure: the image's
// /etc/passwd and /etc/group come in as text when the rootfs is there to read
// them (unpack), and are absent when only the config blob is (explain).
import { PlancError } from '../schemas/error.js';

export interface UserDb {
  /** The image's /etc/passwd, null when it has none. */
  passwd: string | null;
  group: string | null;
}

export interface Conversion {
  spec: Record<string, unknown>;
  /** What the conversion chose or could not carry over, one sentence each. */
  notes: string[];
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(msg: string, where: string, file?: string): PlancError {
  return new PlancError('invalid-argument', msg, { where, file });
}

function strings(v: unknown, where: string, file?: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw fail('must be a list of strings', where, file);
  return v as string[];
}

function str(v: unknown, where: string, file?: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw fail('must be a string', where, file);
  return v;
}

function stringMap(v: unknown, where: string, file?: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObj(v) || Object.values(v).some((x) => typeof x !== 'string')) throw fail('must map strings to strings', where, file);
  return v as Record<string, string>;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

const ID_MAX = 0xfffffffe; // (uid_t)-1 means "no change" to the kernel

function parseId(s: string): number | undefined {
  if (!/^[0-9]+$/.test(s)) return undefined;
  const n = Number(s);
  return n <= ID_MAX ? n : undefined;
}

export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const f = line.split(':');
    const uid = parseId(f[2] ?? '');
    const gid = parseId(f[3] ?? '');
    if (f[0] && uid !== undefined && gid !== undefined) out.push({ name: f[0], uid, gid });
  }
  return out;
}

export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const f = line.split(':');
    const gid = parseId(f[2] ?? '');
    if (f[0] && gid !== undefined) out.push({ name: f[0], gid, members: (f[3] ?? '').split(',').map((m) => m.trim()).filter(Boolean) });
  }
  return out;
}

/**
 * Config.User → process.user (conversion.md "Config.User"): numbers are
 * taken as they are; names are looked up in the image's files, and a name
 * that is not there is an error. `users` undefined: the files are not at
 * hand (explain before unpacking) — a name is left for unpack, with a note.
 */
export function resolveUser(user: string, users: UserDb | undefined, file?: string): { uid: number; gid: number; additionalGids?: number[]; note?: string } {
  const where = '/config/User';
  const colon = user.indexOf(':');
  const u = colon < 0 ? user : user.slice(0, colon);
  const g = colon < 0 ? undefined : user.slice(colon + 1);
  if (u === '') throw fail(`User ${JSON.stringify(user)} names no user`, where, file);
  const passwd = users?.passwd != null ? parsePasswd(users.passwd) : null;
  const groups = users?.group != null ? parseGroup(users.group) : null;
  let uid = parseId(u);
  let gid: number | undefined;
  let additionalGids: number[] | undefined;
  let note: string | undefined;
  if (uid === undefined) {
    if (/^[0-9]+$/.test(u)) throw fail(`User ${JSON.stringify(user)}: uid ${u} is out of range`, where, file);
    if (users === undefined) {
      note = `process.user: image user ${JSON.stringify(u)} is a name, looked up in the image's /etc/passwd when it is unpacked; this plan shows uid 0 in its place`;
      uid = 0;
      gid = 0;
    } else {
      const entry = passwd?.find((p) => p.name === u);
      if (!entry) throw fail(`User ${JSON.stringify(user)}: no user ${JSON.stringify(u)} in the image's /etc/passwd${passwd === null ? ' (the image has no /etc/passwd)' : ''}`, where, file);
      uid = entry.uid;
      gid = entry.gid;
      // Only a named user without a group gets the supplementary groups /etc/group gives it.
      if (g === undefined && groups) additionalGids = [...new Set(groups.filter((x) => x.members.includes(u) && x.gid !== entry.gid).map((x) => x.gid))];
    }
  } else if (g === undefined) {
    // A bare uid: its primary group from /etc/passwd when listed there, else 0 (as runc's user lookup does).
    gid = passwd?.find((p) => p.uid === uid)?.gid ?? 0;
  }
  if (g !== undefined) {
    if (g === '') throw fail(`User ${JSON.stringify(user)} names no group after ":"`, where, file);
    gid = parseId(g);
    if (gid === undefined) {
      if (/^[0-9]+$/.test(g)) throw fail(`User ${JSON.stringify(user)}: gid ${g} is out of range`, where, file);
      if (users === undefined) {
        note = `${note ? `${note}; ` : 'process.user: '}image group ${JSON.stringify(g)} is a name, looked up in the image's /etc/group when it is unpacked; this plan shows gid 0 in its place`;
        gid = 0;
      } else {
        const entry = groups?.find((x) => x.name === g);
        if (!entry) throw fail(`User ${JSON.stringify(user)}: no group ${JSON.stringify(g)} in the image's /etc/group${groups === null ? ' (the image has no /etc/group)' : ''}`, where, file);
        gid = entry.gid;
      }
    }
  }
  return { uid, gid: gid!, ...(additionalGids && additionalGids.length > 0 ? { additionalGids } : {}), ...(note ? { note } : {}) };
}

/** Annotations the conversion derives from config fields (conversion.md "Annotation Fields"). */
const IMPLICIT: [string, string][] = [
  ['os', 'org.opencontainers.image.os'],
  ['architecture', 'org.opencontainers.image.architecture'],
  ['variant', 'org.opencontainers.image.variant'],
  ['os.version', 'org.opencontainers.image.os.version'],
  ['author', 'org.opencontainers.image.author'],
  ['created', 'org.opencontainers.image.created'],
];

/**
 * @param image the image config blob, parsed
 * @param base the runtime config to start from (not changed)
 * @param file how errors name the image config
 */
export function imageToSpec(image: unknown, base: Record<string, unknown>, users: UserDb | undefined, file?: string): Conversion {
  if (!isObj(image)) throw fail('the image config is not a JSON object', '', file);
  const notes: string[] = [];
  const spec = structuredCloneJson(base);
  const process = (spec.process ?? {}) as Record<string, unknown>;
  spec.process = process;
  const c = image.config === undefined || image.config === null ? {} : image.config;
  if (!isObj(c)) throw fail('must be an object', '/config', file);

  const entrypoint = strings(c.Entrypoint, '/config/Entrypoint', file) ?? [];
  const cmd = strings(c.Cmd, '/config/Cmd', file) ?? [];
  if (entrypoint.length + cmd.length > 0) process.args = [...entrypoint, ...cmd];
  else notes.push(`the image sets neither Entrypoint nor Cmd: process.args is planc's default ${JSON.stringify(process.args)}`);

  const env = strings(c.Env, '/config/Env', file);
  if (env) {
    env.forEach((e, i) => {
      if (!/^[^=]+=/.test(e)) throw fail(`${JSON.stringify(e)} is not NAME=value`, `/config/Env/${i}`, file);
    });
    // The image's variables as they are; planc's defaults only for names the image does not set.
    const names = new Set(env.map((e) => e.slice(0, e.indexOf('='))));
    const defaults = ((process.env as string[] | undefined) ?? []).filter((e) => !names.has(e.slice(0, e.indexOf('='))));
    process.env = [...env, ...defaults];
  }

  const cwd = str(c.WorkingDir, '/config/WorkingDir', file);
  if (cwd) {
    // Docker reads a relative WorkingDir from the root; the runtime spec wants it absolute.
    process.cwd = cwd.startsWith('/') ? cwd : `/${cwd}`;
    if (!cwd.startsWith('/')) notes.push(`WorkingDir ${JSON.stringify(cwd)} is relative: process.cwd is ${JSON.stringify(process.cwd)}`);
  }

  const user = str(c.User, '/config/User', file);
  if (user) {
    const r = resolveUser(user, users, file);
    const prev = (process.user ?? {}) as Record<string, unknown>;
    process.user = { ...prev, uid: r.uid, gid: r.gid, ...(r.additionalGids ? { additionalGids: r.additionalGids } : {}) };
    if (r.note) notes.push(r.note);
  }

  const annotations: Record<string, string> = { ...((spec.annotations as Record<string, string> | undefined) ?? {}) };
  for (const [field, key] of IMPLICIT) {
    const v = str(image[field], `/${field.replace('/', '~1')}`, file);
    if (v !== undefined && v !== '') annotations[key] = v;
  }
  const features = strings(image['os.features'], '/os.features', file);
  if (features && features.length > 0) annotations['org.opencontainers.image.os.features'] = features.join(',');
  const stop = str(c.StopSignal, '/config/StopSignal', file);
  if (stop) annotations['org.opencontainers.image.stopSignal'] = stop;
  if (c.ExposedPorts !== undefined && c.ExposedPorts !== null) {
    if (!isObj(c.ExposedPorts)) throw fail('must be an object', '/config/ExposedPorts', file);
    const ports = Object.keys(c.ExposedPorts);
    if (ports.length > 0) annotations['org.opencontainers.image.exposedPorts'] = ports.join(',');
  }
  // Labels win over every implicit annotation (conversion.md "Annotations").
  Object.assign(annotations, stringMap(c.Labels, '/config/Labels', file) ?? {});
  if (Object.keys(annotations).length > 0) spec.annotations = annotations;

  if (c.Volumes !== undefined && c.Volumes !== null) {
    if (!isObj(c.Volumes)) throw fail('must be an object', '/config/Volumes', file);
    const vols = Object.keys(c.Volumes);
    if (vols.length > 0) notes.push(`the image declares volume${vols.length > 1 ? 's' : ''} ${vols.map((v) => JSON.stringify(v)).join(', ')}: not mounted, they stay part of the rootfs (add mounts to config.json to keep data out of it)`);
  }
  if (isObj(c.Healthcheck)) notes.push('the image has a Healthcheck: an engine feature, not carried into config.json');
  return { spec, notes };
}

function structuredCloneJson(v: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(v)) as Record<string, unknown>;
}
