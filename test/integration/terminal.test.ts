// Terminals (process.terminal): the pty master sent over --console-socket as
// engines receive it (a receiver in python3, whose socket.recv_fds takes
// SCM_RIGHTS: Node cannot), for create and for exec -d -t, compared with runc
// on the same bundle; and planc's own relay for `run` and `exec -t` in a real
// terminal, driven through tmux: a prompt, typed commands, the window size
// (and a resize), Ctrl-C. tmux must be installed (scripts/setup.sh).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { NEEDS_ROOT, PLANC, Planc, type Result, uniqueId, waitFor } from '../helpers/planc.js';
import { runcBinary } from '../helpers/runc.js';

const pc = new Planc();
const RUNC = runcBinary();
const runcRoot = pc.scratchPath('runc-root');
mkdirSync(runcRoot, { recursive: true });
const runcIds: string[] = [];
const TMUX = `planc-test-${process.pid}`;
after(() => {
  for (const id of runcIds) runc(['delete', '--force', id]);
  spawnSync('tmux', ['-L', TMUX, 'kill-server'], { stdio: 'ignore' });
  pc.cleanup();
});
const skip = NEEDS_ROOT;
// The skip gate checks "needs runc" against the machine itself (test/skip-allowlist.json).
const skipRunc = NEEDS_ROOT || (RUNC === null && 'needs runc');

let calls = 0;
function runc(args: string[]): Result {
  const n = ++calls;
  const stdoutFile = pc.scratchPath(`runc-out-${n}`);
  const stderrFile = pc.scratchPath(`runc-err-${n}`);
  const fds = [openSync(stdoutFile, 'w+'), openSync(stderrFile, 'w+')];
  try {
    const r = spawnSync(RUNC!, ['--root', runcRoot, ...args], { stdio: ['ignore', fds[0]!, fds[1]!], timeout: 20_000 });
    return { code: r.status, signal: r.signal, stdout: readFileSync(stdoutFile, 'utf8'), stderr: readFileSync(stderrFile, 'utf8'), stdoutFile, stderrFile };
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}

// A console socket receiver as an engine has one (conmon, containerd's shim): it accepts one
// connection, records every message until the sender closes it — its payload and how many fds
// came with it — then types a line on the terminal it got and reads until a marker appears.
const RECEIVER = String.raw`
import json, os, select, socket, sys, time
path, line, marker = sys.argv[1], sys.argv[2], sys.argv[3]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
print("listening", flush=True)
srv.settimeout(30)
conn, _ = srv.accept()
conn.settimeout(30)
messages, fds = [], []
while True:
    data, got, _, _ = socket.recv_fds(conn, 4096, 16)
    if not data and not got:
        break
    messages.append({"payload": data.decode(), "fds": len(got)})
    fds.extend(got)
conn.close()
out = b""
if fds:
    os.write(fds[0], line.encode() + b"\n")
    end = time.time() + 15
    while marker.encode() not in out and time.time() < end:
        if select.select([fds[0]], [], [], 0.2)[0]:
            try:
                chunk = os.read(fds[0], 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
print(json.dumps({"messages": messages, "isatty": bool(fds) and os.isatty(fds[0]), "output": out.decode(errors="replace")}), flush=True)
`;
const receiverScript = pc.scratchPath('console-receiver.py');
writeFileSync(receiverScript, RECEIVER);

interface Received {
  messages: { payload: string; fds: number }[];
  isatty: boolean;
  output: string;
}

/** Start a receiver on a fresh socket path; resolves once it listens. */
async function receiver(line: string, marker: string): Promise<{ path: string; result: Promise<Received>; child: ChildProcess }> {
  const path = pc.scratchPath(`console-${++calls}.sock`);
  const child = spawn('python3', [receiverScript, path, line, marker], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => (out += d));
  const result = new Promise<Received>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !last.startsWith('{')) reject(new Error(`console receiver exited ${code}: ${out}`));
      else resolve(JSON.parse(last) as Received);
    });
  });
  await waitFor('the console receiver to listen', () => out.startsWith('listening'), 10_000);
  return { path, result, child };
}

/** Commands typed into the terminal, ending with a marker that is not in their echo. */
const probe = (...cmds: string[]) => [...cmds, 'echo end-$((40+2))'].join('; ');
const MARKER = 'end-42';
// Its name, size, and what device it is (devpts majors are 136 = 0x88).
const CREATE_PROBE = probe('tty', 'stty size', 'stat -L -c "%t:%T" /dev/console /proc/self/fd/0');
// (Short: without a window size the shell wraps what it echoes at 80 columns.)
const EXEC_PROBE = probe('tty', 'stat -L -c %t:%T /proc/self/fd/[012]');

/** What the probe printed, without the terminal's echo of it and the prompts. */
function probed(output: string, sent: string): string[] {
  const lines = output.replace(/\r/g, '').split('\n');
  // The line shows twice: echoed by the terminal as it was typed, then after the shell's prompt.
  const start = lines.map((l) => l.endsWith(sent)).lastIndexOf(true) + 1;
  return lines.slice(start, lines.findIndex((l, k) => k >= start && l === MARKER));
}

function ttyBundle(mutate?: (c: any) => void): string {
  return pc.bundle(['sh'], (c) => {
    c.process.terminal = true;
    c.process.consoleSize = { height: 30, width: 100 };
    mutate?.(c);
  });
}

test('create --console-socket: one message, payload /dev/ptmx, one fd: the master of the container\'s terminal (consoleSize, /dev/console); the same as runc', { skip: skipRunc }, async (t) => {
  const bundle = ttyBundle();
  const observe = async (create: (socket: string) => Result, start: () => Result) => {
    const rcv = await receiver(CREATE_PROBE, MARKER);
    const c = create(rcv.path);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(start().code, 0);
    return rcv.result;
  };
  const id = pc.id(t, 'tty');
  const p = await observe((s) => pc.run(['create', '--console-socket', s, '--bundle', bundle, id]), () => pc.run(['start', id]));
  assert.deepEqual(p.messages, [{ payload: '/dev/ptmx', fds: 1 }]);
  assert.equal(p.isatty, true);
  // The first pty of the container's own devpts, 30 rows by 100 columns, also on /dev/console (devpts major 136 = 0x88).
  assert.deepEqual(probed(p.output, CREATE_PROBE), ['/dev/pts/0', '30 100', '88:0', '88:0']);

  const rid = uniqueId('ttyr');
  runcIds.push(rid);
  const r = await observe((s) => runc(['create', '--console-socket', s, '--bundle', bundle, rid]), () => runc(['start', rid]));
  assert.deepEqual(r.messages, p.messages, 'runc sends the same one message');
  assert.deepEqual(probed(r.output, CREATE_PROBE), probed(p.output, CREATE_PROBE), 'runc\'s terminal answers the same');
});

test('exec -d -t --console-socket: the exec\'d process gets its own terminal in the container\'s devpts; the same as runc', { skip: skipRunc }, async (t) => {
  const bundle = pc.bundle(['sleep', '1000']);
  const id = pc.id(t, 'ttye');
  pc.ok(['run', '-d', '--bundle', bundle, id]);
  const rid = uniqueId('ttyer');
  runcIds.push(rid);
  assert.equal(runc(['run', '-d', '--bundle', bundle, rid]).code, 0);
  const observe = async (exec: (socket: string, pidFile: string) => Result) => {
    const rcv = await receiver(EXEC_PROBE, MARKER);
    const pidFile = pc.scratchPath(`tty-pid-${++calls}`);
    const e = exec(rcv.path, pidFile);
    assert.equal(e.code, 0, e.stderr);
    assert.match(readFileSync(pidFile, 'utf8'), /^[0-9]+$/);
    return rcv.result;
  };
  const p = await observe((s, f) => pc.run(['exec', '-d', '-t', '--console-socket', s, '--pid-file', f, id, 'sh']));
  const r = await observe((s, f) => runc(['exec', '-d', '-t', '--console-socket', s, '--pid-file', f, rid, 'sh']));
  assert.deepEqual(p.messages, [{ payload: '/dev/ptmx', fds: 1 }]);
  assert.deepEqual(r.messages, p.messages);
  assert.deepEqual(probed(p.output, EXEC_PROBE), ['/dev/pts/0', '88:0', '88:0', '88:0']);
  assert.deepEqual(probed(r.output, EXEC_PROBE), probed(p.output, EXEC_PROBE));
});

test('terminal rules, in runc\'s words: a detached terminal needs a socket; a socket needs a detached terminal', { skip: skipRunc }, async (t) => {
  const bundle = ttyBundle();
  // A socket that exists and listens: what is refused is the combination, not the path.
  const rcv = await receiver('true', 'x');
  rcv.result.catch(() => {}); // killed below, without a connection
  t.after(() => rcv.child.kill());
  const cases: [string[], string[], string][] = [
    [['create', '--bundle', bundle], ['create', '--bundle', bundle], 'cannot allocate tty if '],
    [['run', '-d', '--bundle', bundle], ['run', '-d', '--bundle', bundle], 'cannot allocate tty if '],
    [['run', '--console-socket', rcv.path, '--bundle', bundle], ['run', '--console-socket', rcv.path, '--bundle', bundle], 'cannot use console socket if '],
  ];
  for (const [pargs, rargs, words] of cases) {
    const id = pc.id(t, 'rule');
    const p = pc.run([...pargs, id]);
    assert.equal(p.code, 1, p.stderr);
    assert.ok(p.stderr.includes(words), p.stderr);
    const rid = uniqueId('ruler');
    runcIds.push(rid);
    const r = runc([...rargs, rid]);
    assert.notEqual(r.code, 0);
    assert.ok(r.stderr.includes(words), r.stderr);
  }
  const c = pc.id(t, 'rule');
  pc.ok(['run', '-d', '--bundle', pc.bundle(['sleep', '100']), c]);
  const e = pc.run(['exec', '--console-socket', rcv.path, c, 'true']);
  assert.equal(e.stderr, 'planc: cannot use console socket if planc will not detach or allocate tty\n');
  // A foreground terminal with no terminal to relay to (no tty on stdio, no controlling terminal:
  // setsid): refused before anything exists, where the shell would otherwise wait forever (runc
  // fails on open /dev/tty too).
  const none = 'a terminal was asked for, but planc has none to relay it to: stdin, stdout and stderr are not terminals (open /dev/tty: no such device or address); give --console-socket with --detach, or set "terminal": false';
  const id = pc.id(t, 'rule');
  const r = pc.run(['run', '--bundle', bundle, id], { wrap: ['setsid', '-w'] });
  assert.equal(r.stderr, `planc: ${bundle}/config.json: /process/terminal: ${none}\n`);
  assert.equal(pc.run(['state', id]).code, 1, 'nothing was created');
  const x = pc.run(['exec', '-t', c, 'sh'], { wrap: ['setsid', '-w'] });
  assert.equal(x.stderr, `planc: ${none}\n`);
  assert.deepEqual(readdirSync(pc.stateFiles(c).dir).filter((n) => n.startsWith('exec-')), [], 'no exec trail');
});

// ---- a real terminal: tmux

function tmux(...args: string[]): string {
  const r = spawnSync('tmux', ['-L', TMUX, ...args], { encoding: 'utf8' });
  if (r.error) assert.fail(`tmux is needed for the terminal tests (scripts/setup.sh installs it): ${r.error.message}`);
  assert.equal(r.status, 0, `tmux ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** A tmux session running `command`, then "EXIT=<status>"; its name. */
function session(command: string): string {
  const name = `s${++calls}`;
  tmux('new-session', '-d', '-s', name, '-x', '100', '-y', '30', `${command}; echo EXIT=$?; sleep 600`);
  tmux('set-option', '-t', name, 'status', 'off');
  return name;
}

const screen = (s: string) => tmux('capture-pane', '-p', '-J', '-t', s);
const paneSize = (s: string) => tmux('display-message', '-p', '-t', s, '#{pane_height} #{pane_width}').trim();
async function type(s: string, keys: string, expect: RegExp, ms = 10_000): Promise<void> {
  tmux('send-keys', '-t', s, keys, 'Enter');
  await waitFor(`${JSON.stringify(expect.source)} on the screen of ${s}`, () => expect.test(screen(s)), ms);
}

/** The interactive checks both `run` and `exec -t` must pass: prompt, commands, size, resize, ^C, exit status. */
async function interactive(s: string): Promise<void> {
  await waitFor('the shell prompt', () => /\/ # $/m.test(screen(s)), 15_000);
  await type(s, 'echo typed-$((6*7))', /^typed-42$/m);
  // Markers are computed by the shell, so the echo of the typed line never matches them.
  await type(s, 'stty size; echo size-$((1+1))', /^size-2$/m);
  const size = paneSize(s);
  assert.match(screen(s), new RegExp(`^${size}$`, 'm'), `stty size inside is the pane's (${size})`);
  tmux('resize-window', '-t', s, '-x', '80', '-y', '20');
  await waitFor('the pane to be resized', () => paneSize(s) === '20 80');
  await type(s, 'clear; stty size; echo resized-$((2+1))', /^resized-3$/m);
  assert.match(screen(s), /^20 80$/m, 'the new window size reached the container');
  await type(s, 'sleep 100', /sleep 100/);
  await new Promise((r) => setTimeout(r, 300));
  tmux('send-keys', '-t', s, 'C-c');
  await type(s, 'echo interrupted=$?', /^interrupted=130$/m, 5000);
  await type(s, 'exit 3', /^EXIT=3$/m);
}

const planc = (args: string) => `${PLANC} --root ${pc.root} ${args}`;

test('run with a terminal and no socket: planc relays its own terminal (tmux): prompt, commands, window size and resize, ^C, exit status', { skip }, async (t) => {
  const id = pc.id(t, 'ttyrun');
  const s = session(planc(`run --bundle ${ttyBundle()} ${id}`));
  await interactive(s);
  // planc gave the terminal back as it found it: the outer shell's line discipline echoes and cooks again.
  tmux('respawn-pane', '-k', '-t', s, 'stty -a; sleep 600');
  await waitFor('stty -a in the pane', () => /icanon/.test(screen(s)));
  assert.match(screen(s), /(^| )echo( |$)/m);
  assert.match(screen(s), /(^| )icanon( |$)/m);
});

test('exec -t without a socket: the same relay for a process in a running container (tmux)', { skip }, async (t) => {
  const id = pc.id(t, 'ttyexec');
  pc.ok(['run', '-d', '--bundle', pc.bundle(['sleep', '1000']), id]);
  const s = session(planc(`exec -t ${id} sh`));
  await interactive(s);
  assert.equal(pc.state(id).status, 'running', 'the container outlives its exec');
});
