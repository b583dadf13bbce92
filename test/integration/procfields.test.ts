// The fields of issue 10 that are neither cgroup resources, seccomp nor hooks, live: one real
// container per feature group, asserting the effect from inside, and where runc (1.1.5 here,
// runtime-spec 1.0.2) knows the field, the same bundle under runc giving the same observation.
// Bad values end in one clear line naming the field, with nothing left behind.
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Config, cgroupDir, leftovers, NEEDS_ROOT, Planc, uniqueId, waitFor } from '../helpers/planc.js';
import { cgroupFileExists } from '../helpers/cgroupfs.js';
import { runcBinary, runcRun } from '../helpers/runc.js';

const pc = new Planc();
after(() => pc.cleanup());
const skip = NEEDS_ROOT;
// The differential half of a test is a subtest named "the same under runc": it may skip only where runc is absent.
const noRunc = runcBinary() ? false : 'needs runc';

function host(cmd: string, ...args: string[]): { code: number | null; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

function must(cmd: string, ...args: string[]): string {
  const r = host(cmd, ...args);
  assert.equal(r.code, 0, `${cmd} ${args.join(' ')}: ${r.out}`);
  return r.out;
}

/** A bundle running `script` (stderr folded in), its config passed through `mutate`. */
function bundle(script: string, mutate?: (c: Config) => void): string {
  return pc.bundle(['sh', '-c', `exec 2>&1; ${script}`], mutate);
}

/** create, start, wait, delete (which must leave nothing): the container's output. */
async function inside(t: TestContext, b: string, beforeStart?: (pid: number) => void): Promise<string> {
  const id = pc.id(t);
  const out = await pc.createStartWait(id, b, { beforeStart });
  pc.finish(id, b);
  return out.stdout;
}

/** Foreground `run` (no exec fifo to open: a user namespace's root could not reach it in the state dir). */
function runForeground(t: TestContext, b: string): string {
  const id = pc.id(t);
  const r = pc.run(['run', '--bundle', b, id]);
  assert.equal(r.code, 0, `run: ${r.stdout}${r.stderr}`);
  leftovers(pc.root, id, b);
  return r.stdout;
}

/** A create that must fail: exit 1, one line on stderr, and nothing left behind. */
function refusedAtCreate(t: TestContext, b: string): string {
  const id = pc.id(t);
  const r = pc.run(['create', '--bundle', b, id]);
  assert.equal(r.code, 1, `create should fail: ${r.stdout}${r.stderr}`);
  const lines = r.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, `one error line: ${r.stderr}`);
  leftovers(pc.root, id, b);
  return lines[0]!;
}

/** mount point → per-mount options (field 6 of /proc/self/mountinfo) of the lines in `out`. */
function mountOptions(out: string): Record<string, string> {
  const res: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const f = line.split(' ');
    if (f.length > 6 && f.includes('-')) res[f[4]!] = f[5]!;
  }
  return res;
}

/** The bundle's directories, down from the scratch dir, traversable by a container root mapped to another host uid. */
function openUp(dir: string): void {
  for (let d = dir; d !== '/tmp' && d !== '/'; d = dirname(d)) chmodSync(d, 0o755);
}

const MAPS = { uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }], gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }] };

// ---- mounts ---------------------------------------------------------------------------------

test('rro, rnodev, rnoatime reach the mount below a rbind, as under runc', { skip }, async (t) => {
  const src = pc.scratchPath('rec-src');
  mkdirSync(join(src, 'sub'), { recursive: true });
  must('mount', '-t', 'tmpfs', '-o', 'size=1m', 'pc-it-rec', join(src, 'sub'));
  t.after(() => host('umount', '-l', join(src, 'sub')));
  const b = bundle('grep " /data" /proc/self/mountinfo; touch /data/sub/x', (c) => {
    c.mounts.push({ destination: '/data', type: 'bind', source: src, options: ['rbind', 'nosuid', 'rro', 'rnodev', 'rnoatime'] });
  });
  const out = await inside(t, b);
  // nosuid is a plain option: the top mount only. The r-options reach /data/sub too.
  assert.deepEqual(mountOptions(out), { '/data': 'ro,nosuid,nodev,noatime', '/data/sub': 'ro,nodev,noatime' });
  assert.match(out, /touch: \/data\/sub\/x: Read-only file system/);
  await t.test('the same under runc', { skip: noRunc }, () => {
    const runc = runcRun(b, uniqueId('runc'));
    assert.deepEqual(mountOptions(runc.stdout), mountOptions(out), `runc saw: ${runc.stdout}${runc.stderr}`);
  });
});

test('tmpcopyup: the tmpfs starts with a copy of the directory it covers (mode, owner, links), as under runc', { skip }, async (t) => {
  const b = bundle('grep " /etc/skel " /proc/self/mountinfo | cut -d" " -f9; stat -c "%n %a %u:%g %s" /etc/skel/a /etc/skel/sub; readlink /etc/skel/l; echo more > /etc/skel/new && echo written', (c) => {
    c.mounts.push({ destination: '/etc/skel', type: 'tmpfs', source: 'tmpfs', options: ['tmpcopyup', 'nodev', 'mode=755'] });
  });
  const skel = join(b, 'rootfs/etc/skel');
  mkdirSync(join(skel, 'sub'), { recursive: true });
  writeFileSync(join(skel, 'a'), 'hello\n');
  chownSync(join(skel, 'a'), 7, 8);
  chmodSync(join(skel, 'a'), 0o640);
  chownSync(join(skel, 'sub'), 3, 4);
  chmodSync(join(skel, 'sub'), 0o711);
  symlinkSync('/etc/passwd', join(skel, 'l'));
  const out = await inside(t, b);
  assert.equal(out, 'tmpfs\n/etc/skel/a 640 7:8 6\n/etc/skel/sub 711 3:4 40\n/etc/passwd\nwritten\n');
  assert.ok(!existsSync(join(skel, 'new')), 'what the container wrote went to the tmpfs, not the image');
  await t.test('the same under runc', { skip: noRunc }, () => {
    const runc = runcRun(b, uniqueId('runc'));
    assert.equal(runc.stdout, out, `runc: ${runc.stderr}`);
  });
});

test('an id-mapped bind mount shows the source\'s owners through its mappings, without a user namespace', { skip }, async (t) => {
  const src = pc.scratchPath('idmap-src');
  mkdirSync(join(src, 'd'), { recursive: true });
  writeFileSync(join(src, 'f'), '');
  chownSync(join(src, 'd'), 1000, 1000);
  const b = bundle('grep " /data " /proc/self/mountinfo | cut -d" " -f6; stat -c "%n %u:%g" /data /data/f /data/d', (c) => {
    c.mounts.push({ destination: '/data', type: 'bind', source: src, options: ['bind', 'idmap'], uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }], gidMappings: [{ containerID: 0, hostID: 200000, size: 65536 }] });
  });
  const out = await inside(t, b);
  assert.equal(out, 'rw,relatime,idmapped\n/data 100000:200000\n/data/f 100000:200000\n/data/d 101000:201000\n');
});

test('idmap without mappings uses the user namespace\'s: container root owns the host\'s root files and writes as host root', { skip }, (t) => {
  const src = pc.scratchPath('idmap-userns-src');
  mkdirSync(src);
  writeFileSync(join(src, 'f'), '');
  const b = bundle('stat -c "%n %u:%g" /tmp /tmp/f /etc/passwd; touch /tmp/made-inside && echo made', (c) => {
    c.linux.namespaces.push({ type: 'user' });
    Object.assign(c.linux, MAPS);
    c.mounts.push({ destination: '/tmp', type: 'bind', source: src, options: ['rbind', 'idmap'] });
  });
  openUp(b);
  const out = runForeground(t, b);
  // /etc/passwd is in the rootfs, owned by host root, which the user namespace does not map: nobody.
  assert.equal(out, '/tmp 0:0\n/tmp/f 0:0\n/etc/passwd 65534:65534\nmade\n');
  const made = statSync(join(src, 'made-inside'));
  assert.deepEqual([made.uid, made.gid], [0, 0], 'written through the mapping: host root, not host uid 100000');
});

// ---- time namespaces ------------------------------------------------------------------------

test('a time namespace with offsets: timens_offsets and the clocks inside show them', { skip }, async (t) => {
  const b = bundle('cat /proc/self/timens_offsets; cat /proc/uptime; readlink /proc/self/ns/time; readlink /proc/self/ns/time_for_children', (c) => {
    c.linux.namespaces.push({ type: 'time' });
    c.linux.timeOffsets = { monotonic: { secs: 86400 }, boottime: { secs: 100000, nanosecs: 250000000 } };
  });
  const hostBefore = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  const out = await inside(t, b);
  const hostAfter = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  const lines = out.trim().split('\n');
  assert.match(lines[0]!, /^monotonic\s+86400\s+0$/);
  assert.match(lines[1]!, /^boottime\s+100000\s+250000000$/);
  // /proc/uptime is CLOCK_BOOTTIME: the container's runs 100000.25 s ahead of the host's.
  const shifted = Number(lines[2]!.split(' ')[0]) - 100000.25;
  assert.ok(shifted >= hostBefore - 0.02 && shifted <= hostAfter + 0.02, `uptime inside minus the offset (${shifted}) is the host's (${hostBefore}..${hostAfter})`);
  assert.equal(lines[3], lines[4], 'the init entered the namespace it made for its children');
  assert.notEqual(lines[3], readlinkSync('/proc/self/ns/time'), 'not the host\'s time namespace');
});

test('a time offset the kernel refuses (monotonic clock below zero): one line naming timeOffsets, nothing left', { skip }, (t) => {
  const b = bundle('true', (c) => {
    c.linux.namespaces.push({ type: 'time' });
    c.linux.timeOffsets = { monotonic: { secs: -4000000000 } };
  });
  const line = refusedAtCreate(t, b);
  assert.match(line, /config\.json: \/linux\/timeOffsets: write time namespace offsets \(monotonic -4000000000 0\.\.\.\): numerical result out of range \(an offset may not take the clock below zero/);
});

// ---- process attributes ---------------------------------------------------------------------

/** /proc/<pid>/stat fields by number (1-based, as in proc(5)); comm must have no spaces. */
const statField = (line: string, n: number) => line.trim().split(' ')[n - 1];

test('scheduler, I/O priority, personality and memory policy: the container process has them', { skip }, async (t) => {
  const b = bundle('cat /proc/1/stat; ionice -p 1; uname -m; cat /proc/self/personality; head -1 /proc/1/numa_maps', (c) => {
    c.process.scheduler = { policy: 'SCHED_BATCH', nice: 7 };
    c.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 3 };
    c.linux.personality = { domain: 'LINUX32' };
    c.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0', flags: ['MPOL_F_STATIC_NODES'] };
  });
  const [stat, ionice, machine, personality, numa] = (await inside(t, b)).split('\n');
  assert.equal(statField(stat!, 19), '7', 'nice');
  assert.equal(statField(stat!, 41), '3', 'policy: SCHED_BATCH is 3');
  assert.equal(ionice, 'best-effort: prio 3');
  assert.equal(machine, 'i686', 'LINUX32 on x86_64');
  assert.equal(personality, '00000008', 'PER_LINUX32');
  assert.match(numa!, / bind=static:0 /);
});

// busybox has no chrt: sched_getattr(2) and ioprio_get(2) of a pid, printed by a static helper built here.
const SCHEDINFO_C = `
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/syscall.h>
struct attr { uint32_t size, policy; uint64_t flags; int32_t nice; uint32_t priority; uint64_t runtime, deadline, period; uint32_t umin, umax; };
int main(int argc, char **argv) {
  struct attr a = {0};
  int pid = argc > 1 ? atoi(argv[1]) : 0;
  if (syscall(SYS_sched_getattr, pid, &a, sizeof a, 0)) { perror("sched_getattr"); return 1; }
  long io = syscall(SYS_ioprio_get, 1, pid);
  printf("policy=%u flags=%llu nice=%d priority=%u", a.policy, (unsigned long long)a.flags, a.nice, a.priority);
  /* The times mean something for SCHED_DEADLINE only (for a fair task the kernel reports its slice). */
  if (a.policy == 6) printf(" runtime=%llu deadline=%llu period=%llu", (unsigned long long)a.runtime, (unsigned long long)a.deadline, (unsigned long long)a.period);
  printf(" ioclass=%ld iolevel=%ld\\n", io >> 13, io & 0xff);
  return 0;
}
`;
let schedinfo: string | undefined;
/** The helper, compiled once (cc -static: the busybox rootfs has no libc). */
function schedinfoBinary(): string {
  if (schedinfo) return schedinfo;
  const src = pc.scratchPath('schedinfo.c');
  writeFileSync(src, SCHEDINFO_C);
  must('cc', '-static', '-O2', '-o', pc.scratchPath('schedinfo'), src);
  return (schedinfo = pc.scratchPath('schedinfo'));
}

test('SCHED_DEADLINE with reset-on-fork: sched_getattr of pid 1 gives the configured times; its children are SCHED_OTHER', { skip }, async (t) => {
  const b = bundle('schedinfo 1; schedinfo; echo end', (c) => {
    c.process.scheduler = { policy: 'SCHED_DEADLINE', runtime: 1000000, deadline: 10000000, period: 20000000, flags: ['SCHED_FLAG_RESET_ON_FORK'] };
    c.process.ioPriority = { class: 'IOPRIO_CLASS_IDLE', priority: 0 };
  });
  must('cp', schedinfoBinary(), join(b, 'rootfs/bin/schedinfo'));
  const out = await inside(t, b);
  // SCHED_DEADLINE is 6, SCHED_FLAG_RESET_ON_FORK 1, IOPRIO_CLASS_IDLE 3 (uapi sched.h, ioprio.h).
  assert.equal(out, [
    'policy=6 flags=1 nice=0 priority=0 runtime=1000000 deadline=10000000 period=20000000 ioclass=3 iolevel=0',
    'policy=0 flags=0 nice=0 priority=0 ioclass=3 iolevel=0',
    'end', ''].join('\n'));
});

test('SCHED_RR and the real-time I/O class, in a cgroup given real-time runtime (cgroup v1)', { skip }, async (t) => {
  const path = `/planc-it-rt-${process.pid}`;
  const b = bundle('cat /proc/1/stat; ionice -p 1', (c) => {
    c.process.scheduler = { policy: 'SCHED_RR', priority: 10 };
    c.process.ioPriority = { class: 'IOPRIO_CLASS_RT', priority: 2 };
    c.linux.cgroupsPath = path;
    c.linux.resources.cpu = { realtimePeriod: 1000000, realtimeRuntime: 10000 };
  });
  const [stat, ionice] = (await inside(t, b)).split('\n');
  assert.equal(statField(stat!, 40), '10', 'rt_priority');
  assert.equal(statField(stat!, 41), '2', 'policy: SCHED_RR is 2');
  assert.equal(ionice, 'realtime: prio 2');
  assert.ok(!existsSync(cgroupDir('cpu', path)), 'the cgroup is gone');
});

test('SCHED_FIFO where the container\'s cpu cgroup has no real-time runtime: refused in one line, nothing left', { skip }, async (t) => {
  const b = bundle('cut -d" " -f41 /proc/1/stat', (c) => (c.process.scheduler = { policy: 'SCHED_FIFO', priority: 5 }));
  if (cgroupFileExists('cpu', 'cpu.rt_runtime_us')) {
    // CONFIG_RT_GROUP_SCHED on cgroup v1 (this machine): a new cgroup gets no real-time runtime.
    const line = refusedAtCreate(t, b);
    assert.match(line, /config\.json: \/process\/scheduler: sched_setattr SCHED_FIFO priority 5: operation not permitted \(a real-time policy needs .*linux\.resources\.cpu\.realtimeRuntime\)$/);
  } else {
    assert.equal(await inside(t, b), '1\n', 'without real-time group scheduling the policy applies: SCHED_FIFO is 1');
  }
});

test('a memory policy on a node this host does not have: one line naming memoryPolicy, nothing left', { skip }, (t) => {
  const nodes = readFileSync('/sys/devices/system/node/online', 'utf8').trim();
  assert.match(nodes, /^0(-\d+)?$/, 'nodes are numbered from 0 without gaps here');
  const missing = Number(nodes.split('-').at(-1)) + 1;
  const b = bundle('true', (c) => (c.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: String(missing) }));
  const line = refusedAtCreate(t, b);
  assert.match(line, new RegExp(`config\\.json: /linux/memoryPolicy: set_mempolicy MPOL_BIND on nodes ${missing}: invalid argument`));
});

// ---- netDevices -----------------------------------------------------------------------------

/** A veth pair on the host: `dev` with an IPv4 and an IPv6 address, its `peer`; deleted after the test. */
function vethPair(t: TestContext, tag: string): { dev: string; peer: string } {
  const n = `${process.pid % 100000}${tag}`;
  const dev = `pcv${n}a`;
  const peer = `pcv${n}b`;
  must('ip', 'link', 'add', dev, 'type', 'veth', 'peer', 'name', peer);
  t.after(() => host('ip', 'link', 'del', dev)); // deleting either end removes both; gone already is fine
  must('ip', 'addr', 'add', '10.211.7.1/24', 'dev', dev);
  must('ip', 'addr', 'add', '2001:db8:211::1/64', 'dev', dev);
  return { dev, peer };
}

const linkExists = (name: string) => host('ip', 'link', 'show', 'dev', name).code === 0;

test('netDevices: the interface leaves the host, arrives renamed with its addresses and up; gone with the namespace', { skip }, async (t) => {
  const { dev, peer } = vethPair(t, 'm');
  const b = bundle('ip -o link show ctr0; ip -o addr show dev ctr0', (c) => (c.linux.netDevices = { [dev]: { name: 'ctr0' } }));
  const out = await inside(t, b, () => {
    assert.ok(!linkExists(dev), `${dev} is no longer in the host's network namespace`);
    assert.ok(linkExists(peer), 'its peer stays on the host while the container lives');
  });
  assert.match(out, /^\d+: ctr0@if\d+: <[A-Z_,-]*\bUP\b[A-Z_,-]*>/m, 'up, under its new name');
  assert.match(out, / inet 10\.211\.7\.1\/24 .*scope global ctr0/);
  assert.match(out, / inet6 2001:db8:211::1\/64 scope global/);
  // runtime-spec: the runtime does not move it back; the kernel destroys a virtual device with its
  // namespace (a veth takes its peer along) and returns a physical one to the host.
  await waitFor(`${peer} to go with the container's network namespace`, () => !linkExists(peer) && !linkExists(dev));
});

test('netDevices: a name the container already has is refused before anything moves', { skip }, (t) => {
  const { dev } = vethPair(t, 'e');
  const b = bundle('true', (c) => (c.linux.netDevices = { [dev]: { name: 'lo' } }));
  const line = refusedAtCreate(t, b);
  assert.match(line, new RegExp(`config\\.json: /linux/netDevices/${dev}: move network device "${dev}": the container already has an interface called "lo"$`));
  assert.ok(linkExists(dev), 'still on the host');
  assert.match(must('ip', '-o', 'addr', 'show', 'dev', dev), /inet 10\.211\.7\.1\/24/, 'with its address');
});

test('netDevices: a host interface that does not exist is one line, nothing left', { skip }, (t) => {
  const b = bundle('true', (c) => (c.linux.netDevices = { 'pc-none0': {} }));
  assert.match(refusedAtCreate(t, b), /config\.json: \/linux\/netDevices\/pc-none0: move network device "pc-none0": no such interface in the runtime's network namespace$/);
});

test('in a user namespace too: time offsets, a moved interface, the scheduler, personality and a recursive attribute', { skip }, async (t) => {
  const { dev } = vethPair(t, 'u');
  const b = bundle('cat /proc/self/timens_offsets; ip -o addr show dev ctr0 | grep -o "inet [0-9./]*"; cut -d" " -f19,41 /proc/1/stat; uname -m; awk \'$5 == "/sys/fs/cgroup/cpu" { print $6 }\' /proc/self/mountinfo', (c) => {
    c.linux.namespaces.push({ type: 'user' }, { type: 'time' });
    Object.assign(c.linux, MAPS);
    c.linux.timeOffsets = { boottime: { secs: 7200 } };
    c.linux.netDevices = { [dev]: { name: 'ctr0' } };
    c.process.scheduler = { policy: 'SCHED_BATCH', nice: 4 };
    c.linux.personality = { domain: 'LINUX32' };
    // On the cgroup mount: its tmpfs and every hierarchy mounted on it, after them.
    c.mounts.find((m: { type: string }) => m.type === 'cgroup').options.push('rnoatime');
  });
  openUp(b);
  const out = runForeground(t, b).split('\n');
  assert.match(out[0]!, /^monotonic\s+0\s+0$/);
  assert.match(out[1]!, /^boottime\s+7200\s+0$/);
  assert.deepEqual(out.slice(2), ['inet 10.211.7.1/24', '4 3', 'i686', 'ro,nosuid,nodev,noexec,noatime', '']);
  await waitFor(`${dev} to go with the container's network namespace`, () => !linkExists(dev));
});
