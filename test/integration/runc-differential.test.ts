// planc against runc on the same bundle, for what engines see of the verbs a
// live container gets: pause/resume (states, errors), update (the values in
// the cgroup files afterwards), events --stats (field names and the values
// both read from equal settings), and the words of the errors engines match.
// runc is the reference: each comparison runs the same call under both.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { hierarchyOf } from '../helpers/cgroupfs.js';
import { NEEDS_ROOT, Planc, type Result, uniqueId, verifyStartedAudit, waitFor } from '../helpers/planc.js';
import { runcBinary } from '../helpers/runc.js';

const pc = new Planc();
const RUNC = runcBinary();
const runcRoot = pc.scratchPath('runc-root');
mkdirSync(runcRoot, { recursive: true });
const runcIds: string[] = [];
after(() => {
  for (const id of runcIds) runc(['delete', '--force', id]);
  pc.cleanup();
});
// The skip gate checks "needs runc" against the machine itself (test/skip-allowlist.json).
const skip = NEEDS_ROOT || (RUNC === null && 'needs runc');

let calls = 0;
/** runc with a private --root; output through files (a detached container keeps its stdio). */
function runc(args: string[], opts: { stdin?: string } = {}): Result {
  const n = ++calls;
  const stdoutFile = pc.scratchPath(`runc-out-${n}`);
  const stderrFile = pc.scratchPath(`runc-err-${n}`);
  const fds = [openSync(stdoutFile, 'w+'), openSync(stderrFile, 'w+')];
  try {
    const r = spawnSync(RUNC!, ['--root', runcRoot, ...args], { stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', fds[0]!, fds[1]!], input: opts.stdin, timeout: 20_000 });
    return { code: r.status, signal: r.signal, stdout: readFileSync(stdoutFile, 'utf8'), stderr: readFileSync(stderrFile, 'utf8'), stdoutFile, stderrFile };
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}

/** A bundle both runtimes run: `args` with a memory and a pids limit. */
function bundle(args: string[]): string {
  return pc.bundle(args, (c) => {
    c.linux.resources = { ...c.linux.resources, memory: { limit: 67108864 }, pids: { limit: 50 } };
  });
}

/** Start the same bundle under both; their ids and init pids. */
async function both(t: Parameters<Planc['id']>[0], b: string) {
  const pid = pc.id(t, 'dp');
  pc.ok(['run', '-d', '--bundle', b, pid]);
  await verifyStartedAudit(pc.root, pid);
  const rid = uniqueId('dr');
  runcIds.push(rid);
  const r = runc(['run', '-d', '--bundle', b, rid]);
  assert.equal(r.code, 0, `runc run: ${r.stderr}`);
  return { p: pid, r: rid, ppid: pc.state(pid).pid, rpid: JSON.parse(runc(['state', rid]).stdout).pid as number };
}

/** A control file of the cgroup a process is in (the process's own view of its path, the tests' view of the mount). */
function controlFile(pid: number, controller: string, file: string): string {
  const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.split(':')[1]?.split(',').includes(controller));
  assert.ok(line, `pid ${pid} has no ${controller} cgroup`);
  const h = hierarchyOf(controller);
  assert.ok(h, `no ${controller} hierarchy`);
  return readFileSync(join(h.mountpoint, line.split(':').slice(2).join(':'), file), 'utf8').trim();
}

function status(runtime: 'planc' | 'runc', id: string): string {
  const r = runtime === 'planc' ? pc.run(['state', id]) : runc(['state', id]);
  assert.equal(r.code, 0, `${runtime} state ${id}: ${r.stderr}`);
  return JSON.parse(r.stdout).status;
}

/** Both failed (exit 1) with an error line containing `words` (runc: in its log line; planc: on stderr). */
function bothFail(p: Result, r: Result, words: string): void {
  assert.equal(p.code, 1, `planc: ${p.stderr}`);
  assert.equal(r.code, 1, `runc: ${r.stderr}`);
  assert.ok(p.stderr.includes(words), `planc says ${JSON.stringify(p.stderr)}, not ${JSON.stringify(words)}`);
  assert.ok(r.stderr.includes(words), `runc says ${JSON.stringify(r.stderr)}, not ${JSON.stringify(words)}`);
}

test('pause/resume: the same states and the same error words as runc', { skip }, async (t) => {
  const ids = await both(t, bundle(['sleep', '100']));
  assert.equal(pc.run(['pause', ids.p]).code, 0);
  assert.equal(runc(['pause', ids.r]).code, 0);
  assert.equal(status('planc', ids.p), 'paused');
  assert.equal(status('runc', ids.r), 'paused');
  assert.equal(controlFile(ids.ppid, 'freezer', 'freezer.state'), controlFile(ids.rpid, 'freezer', 'freezer.state'));
  bothFail(pc.run(['pause', ids.p]), runc(['pause', ids.r]), 'container not running');
  assert.equal(pc.run(['resume', ids.p]).code, 0);
  assert.equal(runc(['resume', ids.r]).code, 0);
  assert.equal(status('planc', ids.p), 'running');
  assert.equal(status('runc', ids.r), 'running');
  bothFail(pc.run(['resume', ids.p]), runc(['resume', ids.r]), 'container not paused');
  // The state documents have the same fields.
  const ps = JSON.parse(pc.ok(['state', ids.p]).stdout);
  const rs = JSON.parse(runc(['state', ids.r]).stdout);
  assert.deepEqual(Object.keys(ps).sort(), Object.keys(rs).sort());
});

test('update: the same flags leave the same values in the cgroup files as runc, and -r from stdin too', { skip }, async (t) => {
  const ids = await both(t, bundle(['sleep', '100']));
  const files: [string, string][] = [
    ['memory', 'memory.limit_in_bytes'], ['memory', 'memory.memsw.limit_in_bytes'], ['memory', 'memory.soft_limit_in_bytes'],
    ['pids', 'pids.max'], ['cpu', 'cpu.shares'], ['cpu', 'cpu.cfs_period_us'], ['cpu', 'cpu.cfs_quota_us'], ['blkio', 'blkio.bfq.weight'],
  ];
  const compare = (what: string) => {
    for (const [c, f] of files) assert.equal(controlFile(ids.ppid, c, f), controlFile(ids.rpid, c, f), `${what}: ${f}`);
  };
  compare('as created');
  const flags = ['--memory', '100M', '--memory-swap', '200m', '--memory-reservation', '50M', '--pids-limit', '20', '--cpu-share', '512', '--cpu-period', '100000', '--cpu-quota', '50000', '--blkio-weight', '300'];
  assert.equal(pc.run(['update', ...flags, ids.p]).code, 0);
  assert.equal(runc(['update', ...flags, ids.r]).code, 0);
  compare('after the flags');
  assert.equal(controlFile(ids.ppid, 'memory', 'memory.limit_in_bytes'), '104857600');
  const json = JSON.stringify({ memory: { limit: 150000000, swap: 300003840 }, pids: { limit: 30 }, cpu: { quota: -1 } });
  assert.equal(pc.run(['update', '-r', '-', ids.p], { stdin: json }).code, 0);
  assert.equal(runc(['update', '-r', '-', ids.r], { stdin: json }).code, 0);
  compare('after -r -');
  assert.equal(controlFile(ids.ppid, 'pids', 'pids.max'), '30');
  // A limit below what the container uses: both refuse it, and both leave the old value.
  bothFail(pc.run(['update', '--memory', '1', ids.p]), runc(['update', '--memory', '1', ids.r]), 'unable to set memory limit to 1 (current usage: ');
  compare('after a refused update');
  // Zero means unchanged for both.
  assert.equal(pc.run(['update', '--pids-limit', '0', '--memory', '0', ids.p]).code, 0);
  assert.equal(runc(['update', '--pids-limit', '0', '--memory', '0', ids.r]).code, 0);
  compare('after zeros');
});

/** Every key path of a JSON value ("memory.usage.limit", "cpu.usage.percpu[]"). */
function paths(v: unknown, at = ''): string[] {
  if (Array.isArray(v)) return [`${at}[]`, ...(v.length > 0 ? paths(v[0], `${at}[]`) : [])];
  if (v !== null && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => [at ? `${at}.${k}` : k, ...paths(x, at ? `${at}.${k}` : k)]);
  return [];
}

test('events --stats: the same document structure and field names as runc, equal values where the settings are equal', { skip }, async (t) => {
  const ids = await both(t, bundle(['sh', '-c', 'sleep 100 & wait']));
  await waitFor('both to have two processes', () => controlFile(ids.ppid, 'pids', 'pids.current') === '2' && controlFile(ids.rpid, 'pids', 'pids.current') === '2');
  const p = JSON.parse(pc.ok(['events', '--stats', ids.p]).stdout);
  const r = runc(['events', '--stats', ids.r]);
  assert.equal(r.code, 0, r.stderr);
  const rs = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(p), Object.keys(rs));
  assert.equal(p.type, rs.type);
  // Left out of the comparison: planc puts no container in a cpuset cgroup on v1 (runc does,
  // so its cpus/mems lists are filled), and fields that runc too omits when they happen to be zero.
  const ignore = /^(cpuset\.(cpus|mems)|memory\.cache|blkio\..*|cpu\.throttling\..*|memory\.kernelTCP\.(usage|max))/;
  const pp = paths(p.data).filter((x) => !ignore.test(x)).sort();
  const rp = paths(rs.data).filter((x) => !ignore.test(x)).sort();
  assert.deepEqual(pp, rp);
  assert.deepEqual(Object.keys(p.data), Object.keys(rs.data), 'the same order, as a decoder reading by position would see');
  assert.equal(p.data.memory.usage.limit, rs.data.memory.usage.limit);
  assert.equal(p.data.memory.swap.limit, rs.data.memory.swap.limit);
  assert.equal(p.data.pids.limit, rs.data.pids.limit);
  assert.equal(p.data.pids.current, rs.data.pids.current);
  assert.equal(p.data.cpu.usage.percpu.length, rs.data.cpu.usage.percpu.length);
  assert.deepEqual(p.data.intel_rdt, rs.data.intel_rdt);
  assert.equal(p.data.network_interfaces, rs.data.network_interfaces);
});

test('the errors engines match on: unknown ids and stopped containers, in runc\'s words', { skip }, async (t) => {
  for (const verb of [['pause'], ['resume'], ['events', '--stats'], ['update', '--pids-limit', '5'], ['state'], ['kill']]) {
    bothFail(pc.run([...verb, 'nosuch-diff']), runc([...verb, 'nosuch-diff']), 'container does not exist');
  }
  const ids = await both(t, bundle(['sleep', '100']));
  assert.equal(pc.run(['kill', ids.p, 'KILL']).code, 0);
  assert.equal(runc(['kill', ids.r, 'KILL']).code, 0);
  await waitFor('both to stop', () => status('planc', ids.p) === 'stopped' && status('runc', ids.r) === 'stopped');
  bothFail(pc.run(['events', '--stats', ids.p]), runc(['events', '--stats', ids.r]), 'is not running');
  bothFail(pc.run(['pause', ids.p]), runc(['pause', ids.r]), 'container not running');
  bothFail(pc.run(['resume', ids.p]), runc(['resume', ids.r]), 'container not paused');
  bothFail(pc.run(['update', '--pids-limit', '5', ids.p]), runc(['update', '--pids-limit', '5', ids.r]), 'container not running');
  bothFail(pc.run(['kill', ids.p, 'KILL']), runc(['kill', ids.r, 'KILL']), 'container not running');
  // kill --all of a stopped container succeeds for both.
  assert.equal(pc.run(['kill', '--all', ids.p, 'KILL']).code, 0);
  assert.equal(runc(['kill', '--all', ids.r, 'KILL']).code, 0);
});
