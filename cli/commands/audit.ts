// `planc audit`: verify stored audit trails (docs/audit.md) — a container's
// (every create of the id, the live one included), every trail in the store
// (--all), or the trail files or directories a path names. The trails in the
// store are read through the store's gate; a path the caller gives is read
// as given (it may be a copy on another machine).
import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { isPlancError, PlancError } from '../../schemas/error.js';
import type { AuditReport, TrailReport } from '../../schemas/generated/audit.js';
import { verifyTrail, type VerifyOptions } from '../../planner/audit.js';
import { digest } from '../digest.js';
import { defineVerb } from '../verb.js';
import { AuditStore, auditDirOf, PLAN_SUFFIX, TRAIL_SUFFIX, trailRefOf, type TrailRef } from '../audit/store.js';
import { checkId, ContainerDir, type StateRoot } from '../state/gate.js';
import { frontOutput } from '../native-front.js';
import { openRoot } from '../state/store.js';

interface Source {
  source: string;
  plan: Buffer | null;
  trail: Buffer | null;
  containerId?: string;
  seq?: number;
  live?: string;
  /** An exec's trail: its number (its end is in the container's trail, checked first). */
  exec?: number;
  /** A container's trail: the trails of the execs into it. */
  execs?: Source[];
}

function loadVerifyKey(path: string | undefined): KeyObject | undefined {
  if (path === undefined) return undefined;
  let key: KeyObject;
  try {
    key = createPublicKey(readFileSync(path));
  } catch (e) {
    throw new PlancError('invalid-argument', `--verify-key: not a public key planc can read (${(e as Error).message.split('\n')[0]})`, { file: resolve(path) });
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new PlancError('invalid-argument', `--verify-key: an ${key.asymmetricKeyType} key; trails are signed with Ed25519`, { file: resolve(path) });
  return key;
}

/** The container in --root whose state points at this trail, and its status (its trail is open). */
function liveStatus(root: StateRoot | null, ref: TrailRef): string | undefined {
  if (!root) return undefined;
  let dir: ContainerDir;
  try {
    dir = ContainerDir.open(root, ref.id);
  } catch (e) {
    if (isPlancError(e) && e.code === 'not-found') return undefined;
    throw e;
  }
  try {
    const live = trailRefOf(dir);
    if (!live || live.seq !== ref.seq || resolve(live.dir) !== resolve(ref.dir)) return undefined;
    return String((JSON.parse(frontOutput([`--root=${root.path}`, 'state', '--', ref.id])) as { status: unknown }).status);
  } finally {
    dir.close();
  }
}

/** The trail of container `id` in --root when its state names another store than `storeDir`. */
function liveElsewhere(root: StateRoot | null, id: string, storeDir: string): Source[] {
  if (!root) return [];
  let ref: TrailRef | null;
  try {
    const dir = ContainerDir.open(root, id);
    try {
      ref = trailRefOf(dir);
    } finally {
      dir.close();
    }
  } catch (e) {
    if (isPlancError(e) && e.code === 'not-found') return [];
    throw e;
  }
  if (!ref || resolve(ref.dir) === resolve(storeDir)) return [];
  const store = AuditStore.open(ref.dir);
  if (!store) return [];
  try {
    const { plan, trail } = store.read(ref);
    const live = liveStatus(root, ref);
    const dirOfId = store.idDir(id);
    const ns = dirOfId ? store.execs(dirOfId, ref.seq) : [];
    dirOfId?.close();
    const execs = ns.map((n) => ({ source: store.execPath(ref, n), ...store.readExec(ref, n), containerId: id, seq: ref.seq, exec: n, live }));
    return [{ source: store.path(ref), plan, trail, containerId: id, seq: ref.seq, live, execs }];
  } finally {
    store.close();
  }
}

/** Every trail of the ids in the store (all ids when `ids` is null). */
function fromStore(store: AuditStore, ids: string[] | null, root: StateRoot | null): Source[] {
  const out: Source[] = [];
  for (const id of ids ?? store.ids()) {
    const dir = store.idDir(id);
    if (!dir) continue;
    try {
      for (const seq of store.seqs(dir)) {
        const ref = { dir: store.dir, id, seq };
        const { plan, trail } = store.read(ref);
        const live = liveStatus(root, ref);
        const execs = store.execs(dir, seq).map((n) => ({ source: store.execPath(ref, n), ...store.readExec(ref, n), containerId: id, seq, exec: n, live }));
        out.push({ source: store.path(ref), plan, trail, containerId: id, seq, live, execs });
      }
    } finally {
      dir.close();
    }
  }
  return out;
}

const EXEC_FILE = /^([1-9][0-9]*)\.exec-([1-9][0-9]*)\.audit\.jsonl$/;
const CREATE_FILE = /^([1-9][0-9]*)\.audit\.jsonl$/;

/** Trails a path names: a trail file (its plan beside it), or a directory of trails, or of ids. */
function fromPath(given: string, depth = 0): Source[] {
  const path = resolve(given);
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new PlancError('not-found', 'no such file or directory', { file: path });
  }
  const read = (p: string) => (existsSync(p) ? readFileSync(p) : null);
  const dir = dirname(path);
  if (st.isFile()) {
    const name = basename(path);
    const e = EXEC_FILE.exec(name);
    if (e) {
      // An exec's trail alone: judged inside its container's trail when that is beside it.
      const exec: Source = { source: path, plan: read(join(dir, `${e[1]}.exec-${e[2]}${PLAN_SUFFIX}`)), trail: readFileSync(path), containerId: basename(dir), seq: Number(e[1]), exec: Number(e[2]) };
      const container = join(dir, `${e[1]}${TRAIL_SUFFIX}`);
      return existsSync(container) ? [{ ...fromPath(container, depth + 1)[0]!, execs: [exec] }] : [exec];
    }
    const m = CREATE_FILE.exec(name);
    const plan = m ? join(dir, `${m[1]}${PLAN_SUFFIX}`) : path.replace(/\.audit\.jsonl$|$/, PLAN_SUFFIX);
    const execs = m && depth > 0 ? [] : m ? execsBeside(dir, Number(m[1])) : [];
    return [{ source: path, plan: read(plan), trail: readFileSync(path), ...(m ? { seq: Number(m[1]) } : {}), containerId: basename(dir), execs }];
  }
  const names = readdirSync(path).sort((a, b) => (parseInt(a) || 0) - (parseInt(b) || 0) || a.localeCompare(b));
  const trails = names.filter((n) => CREATE_FILE.test(n) || (n.endsWith(TRAIL_SUFFIX) && !EXEC_FILE.test(n)));
  if (trails.length > 0) return trails.map((n) => ({ ...fromPath(join(path, n), depth + 1)[0]!, execs: CREATE_FILE.test(n) ? execsBeside(path, parseInt(n)) : [] }));
  if (depth > 0) return [];
  return names.filter((n) => statSync(join(path, n)).isDirectory()).flatMap((n) => fromPath(join(path, n), depth + 1));
}

/** The exec trails of create `seq` in a directory given by path. */
function execsBeside(dir: string, seq: number): Source[] {
  return readdirSync(dir)
    .map((n) => EXEC_FILE.exec(n))
    .filter((m): m is RegExpExecArray => m !== null && Number(m[1]) === seq)
    .sort((a, b) => Number(a[2]) - Number(b[2]))
    .map((m) => {
      const read = (p: string) => (existsSync(p) ? readFileSync(p) : null);
      return { source: join(dir, m[0]), plan: read(join(dir, `${m[1]}.exec-${m[2]}${PLAN_SUFFIX}`)), trail: readFileSync(join(dir, m[0])), containerId: basename(dir), seq, exec: Number(m[2]) };
    });
}

function judge(s: Source, key: KeyObject | undefined, opts: Pick<VerifyOptions, 'anchor' | 'onExec'> = {}): TrailReport {
  const base = { source: s.source, ...(s.containerId ? { containerId: s.containerId } : {}), ...(s.seq ? { seq: s.seq } : {}), ...(s.exec ? { exec: s.exec } : {}), ...(s.live ? { live: s.live } : {}) };
  if (!s.plan) {
    return { ...base, ok: false, state: 'empty', lines: 0, applied: 0, skipped: 0, problems: ['no plan beside the trail'], lifecycle: [], signature: 'unsigned' };
  }
  const v = verifyTrail(s.plan, s.trail ?? Buffer.alloc(0), {
    ...opts,
    live: s.live,
    ...(key ? { verify: (line: Uint8Array, sig: { sig: string }) => verify(null, line, key, Buffer.from(sig.sig, 'base64')) } : {}),
  });
  return { ...v, ...base };
}

/** A container's trail, then the trails of the execs into it, each checked against the end it recorded. */
function judgeAll(s: Source, key: KeyObject | undefined): TrailReport[] {
  const begun = new Map<number, string>();
  const ended = new Map<number, { lines: number; head: string }>();
  const top = s.exec === undefined ? judge(s, key, { onExec: (e) => (e.planDigest !== undefined ? begun.set(e.n, e.planDigest) : ended.set(e.n, { lines: e.lines!, head: e.head! })) }) : null;
  const out = top ? [top] : [];
  for (const x of s.exec !== undefined ? [s] : (s.execs ?? [])) {
    const anchor = ended.get(x.exec!);
    // An exec still being set up (its container lives, its end not yet recorded): order only.
    const r = judge({ ...x, live: anchor ? undefined : x.live ? 'creating' : undefined }, undefined, anchor ? { anchor } : {});
    const extra: string[] = [];
    if (top && !begun.has(x.exec!)) extra.push(`the container's trail names no exec ${x.exec}`);
    else if (top && x.plan && begun.get(x.exec!) !== digest(x.plan)) extra.push(`the container's trail names exec ${x.exec} with plan ${begun.get(x.exec!)}, but its stored plan is ${digest(x.plan)}`);
    if (extra.length) out.push({ ...r, ok: false, problems: [...r.problems, ...extra] });
    else out.push(r);
  }
  // An exec the container's trail names whose trail is gone.
  if (top) for (const n of begun.keys()) if (!(s.execs ?? []).some((x) => x.exec === n)) out[0] = { ...out[0]!, ok: false, problems: [...out[0]!.problems, `exec ${n} is named, but its trail is missing`] };
  return out;
}

const when = (t: number | undefined) => (t === undefined ? '?' : new Date(Math.floor(t / 1000)).toISOString());

function describe(r: TrailReport): string {
  const what = `${r.containerId ?? '?'}${r.seq ? ` #${r.seq}` : ''}${r.exec ? ` exec ${r.exec}` : ''}`;
  const state = r.state === 'open' ? `open (the container is ${r.live})` : r.state;
  const facts = [
    `${r.applied} applied, ${r.skipped} skipped, ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}`,
    `${what}, ${state}`,
    ...(r.failed ? [`${r.exec ? 'the exec' : 'create'} failed: ${r.failed}`] : []),
    ...(r.outcome ? [`exited ${r.outcome.signal ? `by ${r.outcome.signal}` : `with status ${r.outcome.code}`}`] : []),
    ...(r.deleted ? [`deleted ${when(r.deleted.t)} by uid ${r.deleted.by.uid} (pid ${r.deleted.by.pid}: ${r.deleted.by.command}${r.deleted.by.parent?.command ? `, run by ${r.deleted.by.parent.command}` : ''})`] : []),
    `signature ${r.signature}${r.signer ? ` (${r.signer})` : ''}`,
  ];
  return `${r.ok ? 'ok' : 'FAILED'}: ${facts.join('; ')}\n  ${r.source}\n${r.problems.map((p) => `  ${p}\n`).join('')}`;
}

export default defineVerb({
  summary: 'verify audit trails: a container\'s (after run, after delete), every stored one (--all), or those a path names',
  args: { id: { description: 'container id, or a path (a trail file, a directory of trails, a whole store)' } },
  flags: {
    all: { type: 'boolean', description: 'every trail in the audit store' },
    dir: { type: 'string', description: 'a path to verify instead of a container id' },
    json: { type: 'boolean', description: 'print the report as JSON (schemas/audit.schema.json)' },
    'verify-key': { type: 'string', description: 'Ed25519 public key (PEM): each trail must be closed and signed by its private key' },
  },
  run(args, flags) {
    const key = loadVerifyKey(flags['verify-key']);
    // `planc audit ID|PATH`: a path (it has a slash) is read as given, anything else a container id.
    const given = flags.dir ?? (args.id?.includes('/') ? args.id : undefined);
    let sources: Source[];
    if (given) sources = fromPath(given);
    else if (flags.all || args.id !== undefined) {
      if (args.id !== undefined) checkId(args.id);
      // --root through its gate first, as for every verb that names a container: a trail is open while its container lives there.
      const root = openRoot(flags.root);
      const store = AuditStore.open(auditDirOf(flags));
      try {
        sources = store ? fromStore(store, args.id !== undefined ? [args.id] : null, root) : [];
        // A live container whose trail is in another store (created with another --audit-dir): that one too.
        if (args.id !== undefined) sources.push(...liveElsewhere(root, args.id, store?.dir ?? auditDirOf(flags)));
      } finally {
        store?.close();
        root?.close();
      }
      if (args.id !== undefined && sources.length === 0) throw new PlancError('not-found', `no audit trail in ${auditDirOf(flags)}`, { where: args.id });
    } else throw new PlancError('invalid-argument', 'give a container id, a path, or --all');
    const trails = sources.flatMap((s) => judgeAll(s, key));
    const report: AuditReport = { ok: trails.every((t) => t.ok), trails };
    if (flags.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    else process.stdout.write(trails.length === 0 ? 'no audit trails\n' : trails.map(describe).join(''));
    if (!report.ok) process.exitCode = 1;
  },
});
