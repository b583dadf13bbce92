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
import { verifyTrail } from '../../planner/audit.js';
import { defineVerb } from '../verb.js';
import { AuditStore, auditDirOf, PLAN_SUFFIX, TRAIL_SUFFIX, trailRefOf, type TrailRef } from '../audit/store.js';
import { checkId, ContainerDir, type StateRoot } from '../state/gate.js';
import { stateOf } from '../state/lifecycle.js';
import { openRoot } from '../state/store.js';

interface Source {
  source: string;
  plan: Buffer | null;
  trail: Buffer | null;
  containerId?: string;
  seq?: number;
  live?: string;
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
    return String(stateOf(dir).status);
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
  const store = AuditStore.open(ref.dir, { create: false });
  if (!store) return [];
  try {
    const { plan, trail } = store.read(ref);
    return [{ source: store.path(ref), plan, trail, containerId: id, seq: ref.seq, live: liveStatus(root, ref) }];
  } finally {
    store.close();
  }
}

/** Every trail of the ids in the store (all ids when `ids` is null). */
function fromStore(store: AuditStore, ids: string[] | null, root: StateRoot | null): Source[] {
  const out: Source[] = [];
  for (const id of ids ?? store.ids()) {
    const dir = store.idDir(id, { create: false });
    if (!dir) continue;
    try {
      for (const seq of store.seqs(dir)) {
        const ref = { dir: store.dir, id, seq };
        const { plan, trail } = store.read(ref);
        out.push({ source: store.path(ref), plan, trail, containerId: id, seq, live: liveStatus(root, ref) });
      }
    } finally {
      dir.close();
    }
  }
  return out;
}

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
  if (st.isFile()) {
    const m = /^([1-9][0-9]*)\.audit\.jsonl$/.exec(basename(path));
    const plan = m ? join(dirname(path), `${m[1]}${PLAN_SUFFIX}`) : path.replace(/\.audit\.jsonl$|$/, PLAN_SUFFIX);
    return [{ source: path, plan: read(plan), trail: readFileSync(path), ...(m ? { seq: Number(m[1]) } : {}), containerId: basename(dirname(path)) }];
  }
  const names = readdirSync(path).sort((a, b) => (parseInt(a) || 0) - (parseInt(b) || 0) || a.localeCompare(b));
  const trails = names.filter((n) => n.endsWith(TRAIL_SUFFIX));
  if (trails.length > 0) return trails.flatMap((n) => fromPath(join(path, n), depth + 1));
  if (depth > 0) return [];
  return names.filter((n) => statSync(join(path, n)).isDirectory()).flatMap((n) => fromPath(join(path, n), depth + 1));
}

function judge(s: Source, key: KeyObject | undefined): TrailReport {
  const base = { source: s.source, ...(s.containerId ? { containerId: s.containerId } : {}), ...(s.seq ? { seq: s.seq } : {}), ...(s.live ? { live: s.live } : {}) };
  if (!s.plan) {
    return { ...base, ok: false, state: 'empty', lines: 0, applied: 0, skipped: 0, problems: [`no plan beside the trail (${s.seq ?? '?'}${PLAN_SUFFIX})`], lifecycle: [], signature: 'unsigned' };
  }
  const v = verifyTrail(s.plan, s.trail ?? Buffer.alloc(0), {
    live: s.live,
    ...(key ? { verify: (line: Uint8Array, sig: { sig: string }) => verify(null, line, key, Buffer.from(sig.sig, 'base64')) } : {}),
  });
  return { ...v, ...base };
}

const when = (t: number | undefined) => (t === undefined ? '?' : new Date(Math.floor(t / 1000)).toISOString());

function describe(r: TrailReport): string {
  const what = `${r.containerId ?? '?'}${r.seq ? ` #${r.seq}` : ''}`;
  const state = r.state === 'open' ? `open (the container is ${r.live})` : r.state;
  const facts = [
    `${r.applied} applied, ${r.skipped} skipped, ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}`,
    `${what}, ${state}`,
    ...(r.failed ? [`create failed: ${r.failed}`] : []),
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
      const store = AuditStore.open(auditDirOf(flags), { create: false });
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
    const trails = sources.map((s) => judge(s, key));
    const report: AuditReport = { ok: trails.every((t) => t.ok), trails };
    if (flags.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    else process.stdout.write(trails.length === 0 ? 'no audit trails\n' : trails.map(describe).join(''));
    if (!report.ok) process.exitCode = 1;
  },
});
