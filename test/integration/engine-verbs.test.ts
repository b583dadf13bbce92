// The verbs engines call on a live container, with real containers: pause and
// resume (the freezer), events (stats, the stream, OOM), update (live cgroup
// files, the record, -r from stdin), kill --all, checkpoint/restore's error,
// --version, --log JSON lines, ps/list JSON. Bad input for each gives one line
// and exit 1, and changes nothing. Host cgroup paths come from the tests' own
// reading of mountinfo (test/helpers/cgroupfs.ts).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hierarchyOf } from '../helpers/cgroupfs.js';
import { cgroupDir, gated, leftovers, NEEDS_ROOT, openGate, Planc, processesOf, type Result, sleep, verifyStartedAudit, waitFor } from '../helpers/planc.js';

const pc = new Planc();
after(() => pc.cleanup());
const skip = NEEDS_ROOT;

/** A process that prints 1, 2, 3, … every 50 ms: it advances only while not frozen. */
const COUNTER = ['sh', '-c', 'i=0; while :; do i=$((i+1)); echo $i; sleep 0.05; done'];

function count(file: string): number {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).length;
}

/** planc failed as engines see it: exit 1, nothing on stdout, exactly one line on stderr matching `re`. */
function oneLine(r: Result, re: RegExp): void {
  assert.equal(r.code, 1, `exit code (stderr: ${r.stderr})`);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, re);
  assert.equal(r.stderr.split('\n').length, 2, `one line: ${JSON.stringify(r.stderr)}`);
}

const read = (controller: string, id: string, file: string) => readFileSync(cgroupDir(controller, `planc/${id}/${file}`), 'utf8').trim();

/** A detached container running `args`; returns its id, bundle, init pid and run's stdout file. */
async function detached(t: Parameters<Planc['id']>[0], args: string[], mutate?: (c: any) => void) {
  const id = pc.id(t);
  const bundle = pc.bundle(args, mutate);
  const r = pc.ok(['run', '-d', '--bundle', bundle, id]);
  await verifyStartedAudit(pc.root, id);
  return { id, bundle, pid: pc.state(id).pid, stdout: r.stdoutFile };
}

test('pause stops a running container (its counter stops), state and list say paused, resume lets it go on', { skip }, async (t) => {
  const { id, stdout } = await detached(t, COUNTER);
  await waitFor('the counter to start', () => count(stdout) >= 2);
  pc.ok(['pause', id]);
  assert.equal(read('freezer', id, 'freezer.state'), 'FROZEN');
  assert.equal(pc.state(id).status, 'paused');
  const listed = JSON.parse(pc.ok(['list', '--format', 'json']).stdout) as { id: string; status: string }[];
  assert.equal(listed.find((s) => s.id === id)?.status, 'paused');
  assert.match(pc.ok(['list']).stdout, new RegExp(`^${id} +[0-9]+ +paused `, 'm'));
  const frozenAt = count(stdout);
  await sleep(600);
  assert.equal(count(stdout), frozenAt, 'the counter did not advance while paused');

  // runc's words for the wrong state: pausing a paused container, resuming a running one.
  oneLine(pc.run(['pause', id]), new RegExp(`^planc: ${id}: container not running: it is paused\n$`));
  pc.ok(['resume', id]);
  assert.equal(read('freezer', id, 'freezer.state'), 'THAWED');
  assert.equal(pc.state(id).status, 'running');
  await waitFor('the counter to advance after resume', () => count(stdout) >= frozenAt + 3);
  oneLine(pc.run(['resume', id]), new RegExp(`^planc: ${id}: container not paused: it is running\n$`));
});

test('a created container can be paused (as runc), and is created again after resume; start then runs it', { skip }, async (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(['true']);
  pc.ok(['create', '--bundle', bundle, id]);
  pc.ok(['pause', id]);
  assert.equal(pc.state(id).status, 'paused');
  oneLine(pc.run(['start', id]), /cannot start an already paused container/);
  pc.ok(['resume', id]);
  assert.equal(pc.state(id).status, 'created');
  const { pid } = pc.state(id);
  pc.ok(['start', id]);
  await pc.waitExited(pid);
  assert.equal(pc.state(id).status, 'stopped');
  pc.finish(id, bundle);
});

test('delete --force of a paused container kills and thaws it: nothing is left, no process stays frozen', { skip }, async (t) => {
  const { id, bundle, pid } = await detached(t, ['sh', '-c', 'sleep 100 & sleep 100 & wait']);
  await waitFor('three processes', () => processesOf(id).length === 3);
  pc.ok(['pause', id]);
  oneLine(pc.run(['delete', id]), new RegExp(`^planc: cannot delete container ${id} that is not stopped: paused\n$`));
  assert.equal(pc.state(id).status, 'paused', 'a refused delete changes nothing');
  pc.ok(['delete', '--force', id]);
  await pc.waitExited(pid);
  leftovers(pc.root, id, bundle);
});

test('kill KILL of a paused container thaws it so the init dies; TERM leaves it paused (delivered on resume)', { skip }, async (t) => {
  const { id, pid } = await detached(t, COUNTER);
  pc.ok(['pause', id]);
  pc.ok(['kill', id, 'TERM']);
  await sleep(200);
  assert.equal(pc.state(id).status, 'paused', 'TERM does not unpause');
  pc.ok(['kill', id, 'KILL']);
  await pc.waitExited(pid);
  assert.equal(pc.state(id).status, 'stopped');
  assert.equal(read('freezer', id, 'freezer.state'), 'THAWED');
});

test('pause, resume, events and update of a stopped or unknown container: one line each, exit 1', { skip }, async (t) => {
  const { id, pid } = await detached(t, ['sleep', '100']);
  pc.ok(['kill', id, 'KILL']);
  await pc.waitExited(pid);
  oneLine(pc.run(['pause', id]), new RegExp(`^planc: ${id}: container not running: it is stopped\n$`));
  oneLine(pc.run(['resume', id]), new RegExp(`^planc: ${id}: container not paused: it is stopped\n$`));
  oneLine(pc.run(['events', '--stats', id]), new RegExp(`^planc: container with id ${id} is not running\n$`));
  oneLine(pc.run(['update', '--memory', '100M', id]), new RegExp(`^planc: ${id}: container not running\n$`));
  // runc: --all still signals what is left in a stopped container's cgroups, and succeeds.
  pc.ok(['kill', '--all', id, 'KILL']);
  oneLine(pc.run(['kill', id, 'KILL']), new RegExp(`^planc: ${id}: container not running\n$`));
  for (const verb of [['pause'], ['resume'], ['events', '--stats'], ['update', '--pids-limit', '5'], ['checkpoint']]) {
    oneLine(pc.run([...verb, 'nosuch-container']), /^planc: nosuch-container: container does not exist\n$/);
  }
});

test('events --stats: runc\'s JSON shape with plausible values from the live cgroups', { skip }, async (t) => {
  const { id } = await detached(t, ['sh', '-c', 'sleep 100 & wait'], (c) => {
    c.linux.resources = { ...c.linux.resources, memory: { limit: 67108864 }, pids: { limit: 50 } };
  });
  await waitFor('two processes', () => processesOf(id).length === 2);
  const r = pc.ok(['events', '--stats', id]);
  assert.equal(r.stdout.split('\n').length, 2, 'one JSON line');
  const ev = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(ev), ['type', 'id', 'data']);
  assert.equal(ev.type, 'stats');
  assert.equal(ev.id, id);
  const d = ev.data;
  assert.deepEqual(Object.keys(d), ['cpu', 'cpuset', 'memory', 'pids', 'blkio', 'hugetlb', 'intel_rdt', 'network_interfaces']);
  assert.deepEqual(Object.keys(d.cpu), ['usage', 'throttling']);
  assert.ok(d.cpu.usage.total > 0, `cpu.usage.total ${d.cpu.usage.total}`);
  assert.equal(d.cpu.usage.percpu.length, readFileSync(cgroupDir('cpuacct', `planc/${id}/cpuacct.usage_percpu`), 'utf8').trim().split(/\s+/).length);
  assert.ok('kernel' in d.cpu.usage && 'user' in d.cpu.usage);
  for (const k of ['usage', 'swap', 'kernel', 'kernelTCP']) assert.ok('limit' in d.memory[k] && 'failcnt' in d.memory[k], `memory.${k}`);
  assert.equal(d.memory.usage.limit, 67108864);
  assert.ok(d.memory.usage.usage > 0, `memory.usage.usage ${d.memory.usage.usage}`);
  assert.ok(d.memory.usage.max >= d.memory.usage.usage);
  assert.equal(typeof d.memory.raw.total_rss, 'number');
  assert.equal(d.pids.current, 2);
  assert.equal(d.pids.limit, 50);
  assert.deepEqual(d.intel_rdt, {});
  assert.equal(d.network_interfaces, null);
  // 64-bit counters exactly: an unlimited memsw reads as 2^63 rounded down to a page, not a double near it.
  const raw = readFileSync(cgroupDir('memory', `planc/${id}/memory.memsw.limit_in_bytes`), 'utf8').trim();
  assert.match(r.stdout, new RegExp(`"swap":\\{"limit":${raw},`));
});

test('events --interval 1s: a stats line a second; the stream ends when the container is deleted', { skip }, async (t) => {
  const { id, pid } = await detached(t, ['sleep', '100']);
  const started = Date.now();
  const ev = pc.spawn(['events', '--interval', '1s', id]);
  const linesNow = () => readFileSync(ev.stdoutFile, 'utf8').split('\n').filter(Boolean);
  // No lower timing bound (a loaded machine may be late); the upper bound cannot be hit by slowness:
  // at one line a second, the stream never has more than the whole seconds elapsed plus the first line.
  const lines = await waitFor('two stats lines', () => { const l = linesNow(); return l.length >= 2 && l; }, 20_000);
  const elapsed = (Date.now() - started) / 1000;
  assert.ok(lines.length <= Math.floor(elapsed) + 1, `${lines.length} lines in ${elapsed.toFixed(1)} s: faster than one a second`);
  for (const l of lines) {
    const e = JSON.parse(l);
    assert.equal(e.type, 'stats');
    assert.equal(e.id, id);
    assert.equal(e.data.pids.current, 1);
  }
  pc.ok(['delete', '--force', id]);
  await pc.waitExited(pid);
  const done = await ev.done;
  assert.equal(done.code, 0, `events exits 0 once the container is gone (stderr: ${done.stderr})`);
  assert.equal(done.stderr, '');
});

test('events reports an OOM when the container exceeds its memory limit', { skip }, async (t) => {
  const { id, bundle } = await detached(t, gated('dd if=/dev/zero of=/dev/null bs=64M count=1; sleep 100'), (c) => {
    c.linux.resources = { ...c.linux.resources, memory: { limit: 16777216, swap: 16777216 } };
  });
  const ev = pc.spawn(['events', '--interval', '10s', id]);
  await sleep(500); // the stream registers its OOM watch at start
  openGate(bundle);
  await waitFor('an oom event', () => readFileSync(ev.stdoutFile, 'utf8').includes('"type":"oom"'), 10_000);
  const first = readFileSync(ev.stdoutFile, 'utf8').split('\n')[0];
  assert.equal(first, JSON.stringify({ type: 'oom', id }));
  assert.match(read('memory', id, 'memory.oom_control'), /^oom_kill [1-9]/m);
  ev.child.kill('SIGTERM');
  await ev.done;
});

test('events: bad --interval values, as runc words them', { skip }, async (t) => {
  const { id } = await detached(t, ['sleep', '100']);
  oneLine(pc.run(['events', '--interval', '0s', id]), /^planc: duration interval must be greater than 0\n$/);
  oneLine(pc.run(['events', '--interval=-1s', id]), /^planc: duration interval must be greater than 0\n$/);
  oneLine(pc.run(['events', '--interval', 'soon', id]), /^planc: invalid value for --interval: "soon" is not a duration \(e\.g\. 5s, 500ms, 1m30s\)\n$/);
});

test('update changes memory, pids and cpu files live, keeps the resources in the record, and a second update sees them', { skip }, async (t) => {
  const { id } = await detached(t, ['sleep', '100'], (c) => {
    c.linux.resources = { ...c.linux.resources, memory: { limit: 67108864 }, pids: { limit: 50 } };
  });
  assert.equal(read('memory', id, 'memory.limit_in_bytes'), '67108864');
  assert.equal(read('pids', id, 'pids.max'), '50');

  const dry = pc.ok(['update', '--dry-run', '--memory', '100M', '--pids-limit', '20', id]);
  assert.equal(dry.stdout, [
    `dry run: update of ${id}: 2 cgroup writes, none applied`,
    `0 host   set memory.limit_in_bytes = 104857600 in ${cgroupDir('memory', `planc/${id}`)}  ← --memory`,
    `1 host   set pids.max = 20 in ${cgroupDir('pids', `planc/${id}`)}  ← --pids-limit`,
    '',
  ].join('\n'));
  assert.equal(read('memory', id, 'memory.limit_in_bytes'), '67108864', '--dry-run changes nothing');

  pc.ok(['update', '--memory', '100M', '--pids-limit', '20', '--cpu-share', '512', '--cpu-period', '100000', '--cpu-quota', '50000', id]);
  assert.equal(read('memory', id, 'memory.limit_in_bytes'), '104857600');
  assert.equal(read('pids', id, 'pids.max'), '20');
  assert.equal(read('cpu', id, 'cpu.shares'), '512');
  assert.equal(read('cpu', id, 'cpu.cfs_period_us'), '100000');
  assert.equal(read('cpu', id, 'cpu.cfs_quota_us'), '50000');
  const rec = JSON.parse(readFileSync(pc.stateFiles(id).state, 'utf8'));
  assert.deepEqual(rec.resources.memory, { limit: 104857600 });
  assert.deepEqual(rec.resources.pids, { limit: 20 });
  assert.deepEqual(rec.resources.cpu, { shares: 512, period: 100000, quota: 50000 });
  assert.deepEqual(rec.resources.devices, [{ allow: false, access: 'rwm' }], 'what update does not touch stays as created');

  // -r from stdin: only what it names changes; the rest stays as the first update left it.
  pc.ok(['update', '-r', '-', id], { stdin: JSON.stringify({ pids: { limit: 30 }, memory: { limit: 209715200, swap: 419430400 } }) });
  assert.equal(read('pids', id, 'pids.max'), '30');
  assert.equal(read('memory', id, 'memory.limit_in_bytes'), '209715200');
  assert.equal(read('memory', id, 'memory.memsw.limit_in_bytes'), '419430400');
  assert.equal(read('cpu', id, 'cpu.shares'), '512');
  const rec2 = JSON.parse(readFileSync(pc.stateFiles(id).state, 'utf8'));
  assert.deepEqual(rec2.resources.memory, { limit: 209715200, swap: 419430400 });
  assert.deepEqual(rec2.resources.cpu, { shares: 512, period: 100000, quota: 50000 });
  // -1: unlimited, and unlimited swap along with it (runc). The kernel shows "unlimited" as
  // its page counter's maximum: 2^63 - 1 rounded down to a 4 KiB page.
  pc.ok(['update', '--memory=-1', '--pids-limit', '-1', id]);
  assert.equal(read('pids', id, 'pids.max'), 'max');
  assert.equal(read('memory', id, 'memory.limit_in_bytes'), '9223372036854771712');
  assert.equal(read('memory', id, 'memory.memsw.limit_in_bytes'), '9223372036854771712');
  assert.equal(pc.state(id).status, 'running');
});

test('update of a paused container applies and leaves it paused (as runc)', { skip }, async (t) => {
  const { id } = await detached(t, ['sleep', '100']);
  pc.ok(['pause', id]);
  pc.ok(['update', '--pids-limit', '7', id]);
  assert.equal(read('pids', id, 'pids.max'), '7');
  assert.equal(pc.state(id).status, 'paused');
  pc.ok(['resume', id]);
});

test('update: bad input gives one line and changes nothing — not a cgroup file, not the record', { skip }, async (t) => {
  const { id } = await detached(t, ['sleep', '100'], (c) => {
    c.linux.resources = { ...c.linux.resources, memory: { limit: 67108864 }, pids: { limit: 50 } };
  });
  const files = () => [read('memory', id, 'memory.limit_in_bytes'), read('pids', id, 'pids.max'), read('cpu', id, 'cpu.shares'), read('cpu', id, 'cpu.cfs_quota_us'), readFileSync(pc.stateFiles(id).state, 'utf8')];
  const before = files();
  const rfile = pc.scratchPath(`resources-${id}.json`);
  const cases: [string[], RegExp, string?][] = [
    [['--memory', 'lots'], /^planc: invalid value for --memory: "lots" is not a size \(bytes, or a number with k, m, g, t or p\)\n$/],
    [['--cpu-share', '-5'], /^planc: invalid value for --cpu-share: "-5" is not an unsigned integer\n$/],
    [['--pids-limit', '12', '--memory', '1'], /^planc: --memory: unable to set memory limit to 1 \(current usage: [0-9]+, peak usage: [0-9]+\); nothing changed\n$/],
    // The memory limit is written (and put back) before cpu.shares is found clamped.
    // Refused while planning (the same check as create's), before anything is written.
    [['--memory', '100M', '--cpu-share', '1000000'], /^planc: --cpu-share: cpu.shares 1000000 is outside the kernel's range of 2 to 262144 \(it would quietly use 262144\)\n$/],
    [['--cpu-quota', '20000', '--cpu-rt-runtime', '1000'], /^planc: --cpu-rt-runtime: .*; nothing changed\n$/],
    [['--l3-cache-schema', 'L3:0=f'], /^planc: --l3-cache-schema: planc does not manage Intel RDT \(resctrl\); nothing changed\n$/],
    [['-r', '-', '--memory', '5M'], /^planc: --resources and --memory cannot be combined: give the values in one place\n$/],
    [['-r', '-'], /^planc: resources from stdin: \/memroy: unknown resource /, '{"memroy":{"limit":1}}'],
    [['-r', '-'], /^planc: resources from stdin: \/memory\/limit: must be integer\n$/, '{"memory":{"limit":"1G"}}'],
    [['-r', '-'], /^planc: resources from stdin: invalid JSON at line 1 column 11: unexpected end of input\n$/, '{"memory":'],
    [['-r', '-'], /^planc: resources from stdin: \/unified: unified \(cgroup v2\) resources need a cgroup v2 host/, '{"unified":{"memory.high":"1G"}}'],
    [['-r', rfile], new RegExp(`^planc: --resources ${rfile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: no such file or directory\n$`)],
  ];
  for (const [args, re, stdin] of cases) {
    oneLine(pc.run(['update', ...args, id], stdin === undefined ? {} : { stdin }), re);
    assert.deepEqual(files(), before, `update ${args.join(' ')} changed nothing`);
  }
  oneLine(pc.run(['update', '--memory', '5M', '../x']), /^planc: invalid container id "\.\.\/x": /);
  writeFileSync(rfile, '[1]');
  oneLine(pc.run(['update', '-r', rfile, id]), new RegExp(`: must be a JSON object \\(runtime-spec LinuxResources\\)\n$`));
  assert.deepEqual(files(), before);
  // A controller the container has no cgroup in (a host without a cpuset hierarchy): --cpuset-cpus
  // names itself and changes nothing; where it has one (v1 containers join cpuset), the value lands.
  if (!existsSync(cgroupDir('cpuset', `planc/${id}`))) {
    oneLine(pc.run(['update', '--pids-limit', '12', '--cpuset-cpus', '0', id]), /^planc: --cpuset-cpus: the container has no cpuset cgroup to change on this host; nothing changed\n$/);
    assert.deepEqual(files(), before);
  } else {
    pc.ok(['update', '--cpuset-cpus', '0', id]);
    assert.equal(read('cpuset', id, 'cpuset.cpus'), '0');
  }
});

test('kill --all signals every process of the container (runc: freeze, signal, thaw)', { skip }, async (t) => {
  const { id, pid } = await detached(t, ['sh', '-c', 'sleep 100 & sleep 100 & wait'], (c) => {
    c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== 'pid');
  });
  await waitFor('three processes', () => processesOf(id).length === 3);
  pc.ok(['kill', '--all', id, 'KILL']);
  await pc.waitExited(pid);
  await waitFor('no process left', () => processesOf(id).length === 0);
  assert.equal(read('freezer', id, 'freezer.state'), 'THAWED', 'thawed after the signals');
});

test('checkpoint and restore: one line saying why CRIU cannot be used here; the container keeps running', { skip }, async (t) => {
  const { id, bundle } = await detached(t, ['sleep', '100']);
  const reason = /CRIU is not usable here: (criu is not installed \(not found in PATH\)|`\/[^`]+ check` failed: .+); nothing was done\n$/;
  oneLine(pc.run(['checkpoint', '--image-path', pc.scratchPath('img'), '--leave-running', id]), new RegExp(`^planc: checkpoint: ${reason.source}`));
  assert.equal(pc.state(id).status, 'running');
  oneLine(pc.run(['restore', '--image-path', pc.scratchPath('img'), '-b', bundle, `${id}-r`]), new RegExp(`^planc: restore: ${reason.source}`));
  oneLine(pc.run(['restore', '-b', bundle, id]), new RegExp(`^planc: container with id ${id} already exists\n$`));
  oneLine(pc.run(['--criu', '/nonexistent/criu', 'checkpoint', id]), /^planc: checkpoint: CRIU is not usable here: --criu \/nonexistent\/criu: no such executable; nothing was done\n$/);
  assert.equal(existsSync(pc.stateFiles(`${id}-r`).dir), false, 'restore made no state');
});

test('--version: runc-style lines', { skip }, () => {
  for (const argv of [['--version'], ['-v'], ['--root', '/nonexistent', '--version']]) {
    const r = pc.run(argv, { noRoot: true });
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^planc version [0-9]+\.[0-9]+\.[0-9]+\nspec: 1\.3\.0\n$/);
  }
});

test('--log with --log-format json: every error line is {"level","msg","time"} with an RFC 3339 time, in both flag forms', { skip }, async () => {
  const log = pc.scratchPath('engine-log.json');
  writeFileSync(log, '');
  const calls = [
    ['--log', log, '--log-format', 'json', 'state', 'nosuch'],
    [`--log=${log}`, '--log-format=json', 'pause', 'nosuch'],
    ['--log', log, '--log-format=json', 'update', '--memory', 'x', 'nosuch'],
  ];
  for (const argv of calls) assert.equal(pc.run(argv).code, 1);
  const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  assert.equal(lines.length, 3);
  const recs = lines.map((l) => JSON.parse(l));
  for (const r of recs) {
    assert.deepEqual(Object.keys(r), ['level', 'msg', 'time']);
    assert.equal(r.level, 'error');
    assert.match(r.time, /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$/);
  }
  assert.deepEqual(recs.map((r) => r.msg), ['nosuch: container does not exist', 'nosuch: container does not exist', 'invalid value for --memory: "x" is not a size (bytes, or a number with k, m, g, t or p)']);
});

test('ps --format json and list --format json: the shapes containerd and podman decode', { skip }, async (t) => {
  const empty = new Planc();
  try {
    assert.equal(empty.ok(['list', '--format', 'json']).stdout, 'null\n');
  } finally {
    empty.cleanup();
  }
  const { id, pid } = await detached(t, ['sh', '-c', 'sleep 100 & wait']);
  await waitFor('two processes', () => processesOf(id).length === 2);
  const ps = pc.ok(['ps', '--format', 'json', id]).stdout;
  assert.match(ps, /^\[[0-9]+,[0-9]+\]\n$/);
  assert.ok((JSON.parse(ps) as number[]).includes(pid));
  assert.equal(pc.ok(['ps', '-f', 'json', id]).stdout, ps);
  const list = JSON.parse(pc.ok(['list', '--format=json']).stdout) as Record<string, unknown>[];
  const mine = list.find((s) => s.id === id)!;
  assert.deepEqual(Object.keys(mine), ['ociVersion', 'id', 'pid', 'status', 'bundle', 'rootfs', 'created', 'owner']);
  assert.equal(mine.pid, pid);
});

// cgroup v2: the freezer is cgroup.freeze (core, no controller needed); a controller the
// cgroup2 mount does not delegate is an error naming the flag.
const v2skip = NEEDS_ROOT || (hierarchyOf('cgroup2') === undefined && 'needs a cgroup2 mount');
const env = { ...process.env, PLANC_CGROUP_V2: '1' };

test('v2: pause and resume through cgroup.freeze; update of a controller the hierarchy lacks names the flag', { skip: v2skip }, async (t) => {
  const id = pc.id(t);
  const bundle = pc.bundle(COUNTER);
  const r = pc.ok(['run', '-d', '--bundle', bundle, id], { env });
  await waitFor('the counter to start', () => count(r.stdoutFile) >= 2);
  const dir = cgroupDir('cgroup2', `planc/${id}`);
  pc.ok(['pause', id], { env });
  assert.match(readFileSync(join(dir, 'cgroup.events'), 'utf8'), /^frozen 1$/m);
  assert.equal(pc.state(id).status, 'paused');
  const frozenAt = count(r.stdoutFile);
  await sleep(500);
  assert.equal(count(r.stdoutFile), frozenAt);
  pc.ok(['resume', id], { env });
  assert.match(readFileSync(join(dir, 'cgroup.events'), 'utf8'), /^frozen 0$/m);
  await waitFor('the counter to advance', () => count(r.stdoutFile) >= frozenAt + 3);
  const stats = JSON.parse(pc.ok(['events', '--stats', id], { env }).stdout);
  assert.ok(stats.data.cpu.usage.total > 0);
  assert.ok(stats.data.pids.current >= 1 && stats.data.pids.current <= 2, `sh, and its sleep when it is between two: ${stats.data.pids.current}`);
  const delegated = readFileSync(join(dirnameOf(dir), 'cgroup.subtree_control'), 'utf8').split(/\s+/);
  const upd = pc.run(['update', '--pids-limit', '9', id], { env });
  if (delegated.includes('pids')) {
    assert.equal(upd.code, 0, upd.stderr);
    assert.equal(readFileSync(join(dir, 'pids.max'), 'utf8').trim(), '9');
  } else {
    oneLine(upd, /^planc: --pids-limit: the pids controller is not enabled for the container's cgroup \(no pids\.max\); nothing changed\n$/);
  }
  pc.ok(['pause', id], { env });
  pc.ok(['delete', '--force', id], { env });
  leftovers(pc.root, id, bundle);
});

function dirnameOf(p: string): string {
  return p.slice(0, p.lastIndexOf('/'));
}
