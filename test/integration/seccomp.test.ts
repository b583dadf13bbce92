// linux.seccomp, live: the filter planc compiled at plan time is the one the container runs
// under. Each test runs a real container and looks from inside (/proc/self/status, what a
// blocked syscall returns, how a killed process ends); the errno case runs the same bundle under
// runc too (a differential test); NOTIFY hands the listener fd and the state to an agent.
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { type Config, leftovers, NEEDS_ROOT, Planc, uniqueId, waitFor } from '../helpers/planc.js';
import { runcBinary, runcRun } from '../helpers/runc.js';
import { dockerToOci, PODMAN_CAPS, type DockerProfile } from '../unit/helpers/docker-seccomp.js';

const pc = new Planc();
after(() => pc.cleanup());
const skip = NEEDS_ROOT;
// The differential half of a test is a subtest named "the same under runc": it may skip only where runc is absent.
const noRunc = runcBinary() ? false : 'needs runc';
const PODMAN_PROFILE = '/usr/share/containers/seccomp.json';
const GOARCH = process.arch === 'arm64' ? 'arm64' : 'amd64';

/** A bundle running `script` (stderr folded in) with linux.seccomp and no_new_privs as given. */
function bundle(script: string, seccomp: unknown, mutate?: (c: Config) => void): string {
  return pc.bundle(['sh', '-c', `exec 2>&1; ${script}`], (c) => {
    c.linux.seccomp = seccomp;
    c.process.noNewPrivileges = true;
    mutate?.(c);
  });
}

async function inside(t: TestContext, b: string): Promise<string> {
  const id = pc.id(t);
  const out = await pc.createStartWait(id, b);
  pc.finish(id, b);
  return out.stdout;
}

// Both spellings: libc's mkdir(3) is mkdir(2) or mkdirat(2) depending on the libc and arch.
const MKDIR = ['mkdir', 'mkdirat'];
const MKDIR_ENOSYS = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: MKDIR, action: 'SCMP_ACT_ERRNO', errnoRet: 38 }] };
const STATUS_AND_MKDIR = 'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status; mkdir /tmp/made; echo "mkdir exit $?"';

test('a blocked syscall returns the configured errno; /proc/self/status shows Seccomp: 2 — as under runc', { skip }, async (t) => {
  const b = bundle(STATUS_AND_MKDIR, MKDIR_ENOSYS);
  const out = await inside(t, b);
  // ENOSYS (38) in busybox's words; SECCOMP_MODE_FILTER is 2.
  assert.equal(out, "NoNewPrivs:\t1\nSeccomp:\t2\nmkdir: can't create directory '/tmp/made': Function not implemented\nmkdir exit 1\n");
  await t.test('the same under runc', { skip: noRunc }, () => {
    const runc = runcRun(b, uniqueId('runc'));
    assert.equal(runc.stdout, out, `runc: ${runc.stderr}`);
  });
});

test('default ERRNO with the names busybox sh needs allowed: the shell runs, anything else fails with EPERM', { skip }, async (t) => {
  const allowed = [
    'read', 'write', 'writev', 'readv', 'open', 'openat', 'close', 'close_range', 'fstat', 'newfstatat', 'stat', 'lstat', 'statx',
    'execve', 'execveat', 'exit', 'exit_group', 'brk', 'mmap', 'munmap', 'mprotect', 'arch_prctl', 'set_tid_address',
    'set_robust_list', 'rseq', 'prlimit64', 'getuid', 'geteuid', 'getgid', 'getegid', 'getpid', 'getppid', 'rt_sigaction',
    'rt_sigprocmask', 'rt_sigreturn', 'ioctl', 'fcntl', 'dup', 'dup2', 'dup3', 'getcwd', 'chdir', 'uname', 'wait4', 'clone',
    'clone3', 'fork', 'vfork', 'readlink', 'readlinkat', 'access', 'faccessat', 'faccessat2', 'lseek', 'getdents64', 'futex',
    'pipe', 'pipe2', 'sysinfo', 'poll', 'ppoll', 'getrandom', 'sendmsg', 'sendto', 'madvise',
  ];
  const b = bundle('echo shell runs; mkdir /tmp/made; echo "mkdir exit $?"', {
    defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1, syscalls: [{ names: allowed, action: 'SCMP_ACT_ALLOW' }],
  });
  assert.equal(await inside(t, b), "shell runs\nmkdir: can't create directory '/tmp/made': Operation not permitted\nmkdir exit 1\n");
});

test('KILL_PROCESS: the process that makes the syscall dies by SIGSYS', { skip }, async (t) => {
  // busybox sh forks for mkdir: that child is killed, the shell reports it and goes on.
  const b = bundle('echo shell runs; mkdir /tmp/made; echo "mkdir exit $?"', {
    defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: MKDIR, action: 'SCMP_ACT_KILL_PROCESS' }],
  });
  // strsignal(SIGSYS), and 128 + SIGSYS (31) as the exit status
  assert.equal(await inside(t, b), 'shell runs\nBad system call\nmkdir exit 159\n');
});

test("podman's default profile (converted to OCI as engines do) runs busybox commands normally", { skip }, async (t) => {
  assert.ok(existsSync(PODMAN_PROFILE), `${PODMAN_PROFILE} is missing: run scripts/setup.sh (it installs golang-github-containers-common)`);
  const docker = JSON.parse(readFileSync(PODMAN_PROFILE, 'utf8')) as DockerProfile;
  const seccomp = dockerToOci(docker, GOARCH, PODMAN_CAPS, release());
  const b = bundle('grep "^Seccomp:" /proc/self/status; mkdir /dev/shm/made && echo made; ls -d /dev/shm/made; head -c 3 /proc/self/stat >/dev/null && echo read; echo $(( 6 * 7 )); ps >/dev/null && echo ps', seccomp);
  assert.equal(await inside(t, b), 'Seccomp:\t2\nmade\n/dev/shm/made\nread\n42\nps\n');
});

test('unknown syscall names: a plan warning names each, the container still runs with the rest of the filter', { skip }, async (t) => {
  const b = bundle(STATUS_AND_MKDIR, { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [...MKDIR, 'no_such_syscall'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }] });
  const id = pc.id(t);
  const c = pc.ok(['--debug', 'create', '--bundle', b, id]);
  assert.match(readFileSync(c.stderrFile, 'utf8'), /warning: unknown syscall no_such_syscall: skipped \(libseccomp [^ ]+ does not know it; runc skips it too\) \(\/linux\/seccomp\/syscalls\/0\/names\/2\)/);
  const pid = pc.state(id).pid;
  pc.ok(['start', id]);
  await pc.waitExited(pid);
  pc.finish(id, b);
  assert.equal(readFileSync(c.stdoutFile, 'utf8'), "NoNewPrivs:\t1\nSeccomp:\t2\nmkdir: can't create directory '/tmp/made': Function not implemented\nmkdir exit 1\n");
});

// The agent: accepts one connection, receives the state and the fd (socket.recv_fds), writes
// what it got as JSON, and closes the fd without answering — the notified syscall then fails
// with ENOSYS (seccomp_unotify(2)).
const AGENT = `
import json, os, socket, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(1)
c, _ = s.accept()
msg, fds, flags, addr = socket.recv_fds(c, 65536, 4)
link = os.readlink('/proc/self/fd/%d' % fds[0]) if fds else None
with open(out + '.tmp', 'w') as f:
    json.dump({'state': json.loads(msg), 'nfds': len(fds), 'link': link}, f)
os.rename(out + '.tmp', out)
for fd in fds:
    os.close(fd)
c.close()
`;

test('NOTIFY: the agent at listenerPath gets the listener fd and the container process state', { skip }, async (t) => {
  const dir = pc.bundle(['true']); // a scratch directory removed with the bundles
  const sock = join(dir, 'agent.sock');
  const got = join(dir, 'agent.json');
  const agent = spawn('python3', ['-c', AGENT, sock, got], { stdio: ['ignore', 'inherit', 'inherit'] });
  t.after(() => agent.kill('SIGKILL'));
  await waitFor(`the agent's socket ${sock}`, () => existsSync(sock));
  const b = bundle('mkdir /tmp/made; echo "mkdir exit $?"', {
    defaultAction: 'SCMP_ACT_ALLOW', listenerPath: sock, listenerMetadata: 'planc-test',
    syscalls: [{ names: MKDIR, action: 'SCMP_ACT_NOTIFY' }],
  }, (c) => (c.annotations = { 'org.example.key': 'value' }));
  const id = pc.id(t);
  const r = await pc.createStartWait(id, b);
  pc.finish(id, b);
  const received = JSON.parse(readFileSync(got, 'utf8'));
  assert.deepEqual(received, {
    nfds: 1,
    link: 'anon_inode:seccomp notify',
    state: {
      ociVersion: '1.2.0', fds: ['seccompFd'], pid: r.pid, metadata: 'planc-test',
      state: { ociVersion: '1.2.0', id, status: 'created', bundle: b, pid: r.pid, annotations: { 'org.example.key': 'value' } },
    },
  });
  // The agent closed the fd without answering: the notified mkdir failed with ENOSYS.
  assert.equal(r.stdout, "mkdir: can't create directory '/tmp/made': Function not implemented\nmkdir exit 1\n");
  leftovers(pc.root, id, b);
});

test("exec: the exec'd process gets the container's seccomp filter too (as runc), with and without no_new_privs", { skip }, async (t) => {
  for (const nnp of [true, false]) {
    const b = bundle('sleep 30', MKDIR_ENOSYS, (c) => (c.process.noNewPrivileges = nnp));
    const id = pc.id(t);
    pc.ok(['run', '-d', '--bundle', b, id]);
    const r = pc.run(['exec', id, 'sh', '-c', `exec 2>&1; ${STATUS_AND_MKDIR}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `NoNewPrivs:\t${nnp ? 1 : 0}\nSeccomp:\t2\nmkdir: can't create directory '/tmp/made': Function not implemented\nmkdir exit 1\n`);
    pc.ok(['delete', '--force', id]);
  }
});
