#!/usr/bin/env node
// Generates planner/seccomp/syscalls.generated.ts: syscall name -> number for each architecture
// the seccomp compiler supports (x86_64, x86, x32, aarch64, arm).
//
// Source: libseccomp itself, as Debian ships it (libseccomp2 + python3-seccomp + libseccomp-dev):
//   - the list of every syscall name libseccomp knows is the set of __SNR_<name> macros in
//     /usr/include/seccomp-syscalls.h (libseccomp-dev); the same header gives the multiplexer
//     sub-call numbers (__PNR_socket = -101 means socketcall(1, ...), __PNR_semop = -201 means
//     ipc(1, ...));
//   - the numbers come from libseccomp's own resolver through python3-seccomp:
//     resolve_syscall(arch, number) -> name, for every number of the arch's range.
// Taking the numbers from the library that runc and crun link against is what makes planc's
// filters resolve names exactly as theirs do (same libseccomp version = same numbers).
//
//   node scripts/gen-seccomp-tables.mjs           write the file
//   node scripts/gen-seccomp-tables.mjs --check   regenerate in memory; exit 1 if the file differs
//
// No network: everything is read from the installed Debian packages. The Python interpreter is
// /usr/bin/python3 (python3-seccomp installs into its dist-packages only), or $PLANC_PYTHON.

import { execFileSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "planner/seccomp/syscalls.generated.ts");
const PYTHON = process.env.PLANC_PYTHON || "/usr/bin/python3";
const HEADER = "/usr/include/seccomp-syscalls.h";

// Runs inside python3: prints one JSON object. Numbers are enumerated per architecture (the
// reverse lookup gives the raw table, without the socketcall/ipc rewriting that the forward
// lookup applies on x86), names come from the header.
const PY = String.raw`
import json, re, sys
import seccomp as s
hdr = open(sys.argv[1]).read()
names = sorted(set(re.findall(r'#define __SNR_(\w+)\s', hdr)))
pnr = {m[0]: int(m[1]) for m in re.findall(r'#define __PNR_(\w+)\s+(-\d+)', hdr)}
A = s.Arch
arches = [('x86_64', A.X86_64, [(0, 2048)]),
          ('x86', A.X86, [(0, 2048)]),
          ('x32', A.X32, [(0x40000000, 0x40000000 + 2048)]),
          ('aarch64', A.AARCH64, [(0, 2048)]),
          ('arm', A.ARM, [(0, 2048), (0xf0000, 0xf0000 + 2048)])]
out = {'names': names, 'pnr': pnr, 'arches': {}}
for an, a, ranges in arches:
    rev = {}
    for lo, hi in ranges:
        for n in range(lo, hi):
            try:
                rev[n] = s.resolve_syscall(a, n).decode()
            except ValueError:
                pass
    fwd = {nm: s.resolve_syscall(a, nm) for nm in names}
    out['arches'][an] = {'token': int(a) & 0xffffffff, 'rev': rev, 'fwd': fwd}
print(json.dumps(out))
`;

/** Kernel's multiplexers: which sub-call number each name has (from __PNR_<name>). */
function subcalls(pnr) {
  const socket = {};
  const ipc = {};
  for (const [name, v] of Object.entries(pnr)) {
    if (v <= -100 && v >= -120) socket[name] = -v % 100;
    else if (v <= -200 && v >= -224) ipc[name] = -v % 200;
  }
  return { socket, ipc };
}

function libseccompVersion() {
  try {
    return execFileSync("dpkg-query", ["-W", "-f=${Version}", "libseccomp2"], { encoding: "utf8" }).trim();
  } catch {
    throw new Error("libseccomp2 is not installed (dpkg-query found no package); run scripts/setup.sh");
  }
}

function dump() {
  let text;
  try {
    text = execFileSync(PYTHON, ["-c", PY, HEADER], { encoding: "utf8", maxBuffer: 64 << 20, stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    const why = String(e.stderr || e.message).trim().split("\n").pop();
    throw new Error(`${PYTHON} with python3-seccomp failed (${why}); run scripts/setup.sh`);
  }
  return JSON.parse(text);
}

/** Expected libseccomp tokens: AUDIT_ARCH_* of linux/audit.h, except x32 (libseccomp's own token). */
const TOKENS = { x86_64: 0xc000003e, x86: 0x40000003, x32: 0x4000003e, aarch64: 0xc00000b7, arm: 0x40000028 };

function generate() {
  const d = dump();
  const version = libseccompVersion();
  const names = d.names;
  const { socket, ipc } = subcalls(d.pnr);
  const muxNames = new Set([...Object.keys(socket), ...Object.keys(ipc)]);
  const numbers = {};
  const multiplexed = {};
  for (const [arch, t] of Object.entries(d.arches)) {
    if (t.token !== TOKENS[arch]) throw new Error(`libseccomp token of ${arch} is 0x${t.token.toString(16)}, expected 0x${TOKENS[arch].toString(16)}`);
    const byName = new Map();
    for (const [n, name] of Object.entries(t.rev)) {
      if (byName.has(name)) throw new Error(`${arch}: ${name} has two numbers (${byName.get(name)}, ${n})`);
      byName.set(name, Number(n));
    }
    // The arch multiplexes socket/ipc calls when libseccomp rewrites socket() to socketcall().
    const sc = byName.get("socketcall");
    const muxes = sc !== undefined && t.fwd.socket === sc;
    const row = [];
    for (const name of names) {
      const fwd = t.fwd[name];
      const raw = byName.get(name);
      if (fwd === -1) throw new Error(`${arch}: libseccomp does not know ${name}, though its header lists it`);
      // Forward and reverse lookups must agree, except where the forward one rewrites a
      // multiplexed call to its multiplexer.
      if (fwd >= 0 && fwd !== raw && !(muxes && muxNames.has(name))) {
        throw new Error(`${arch}: ${name} resolves to ${fwd} but number ${fwd} is ${t.rev[fwd]}`);
      }
      if (fwd < 0 && raw !== undefined) throw new Error(`${arch}: ${name} is number ${raw} but resolves to ${fwd}`);
      row.push(raw === undefined ? -1 : raw);
    }
    if (byName.size !== row.filter((n) => n >= 0).length) throw new Error(`${arch}: a numbered syscall is missing from the header's names`);
    numbers[arch] = row;
    if (muxes) multiplexed[arch] = { socketcall: sc, ipc: byName.get("ipc") };
  }
  const sortObj = (o) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const lines = [];
  lines.push("// generated by scripts/gen-seccomp-tables.mjs — do not edit");
  lines.push(`// source: libseccomp ${version} (Debian libseccomp2, libseccomp-dev's seccomp-syscalls.h, python3-seccomp)`);
  lines.push("");
  lines.push("/** The Debian version of libseccomp the tables were read from. */");
  lines.push(`export const LIBSECCOMP_VERSION = ${JSON.stringify(version)};`);
  lines.push("");
  lines.push("/** Every syscall name libseccomp knows on any architecture, sorted. A name outside this list is unknown (runc skips it). */");
  lines.push("export const SYSCALL_NAMES: readonly string[] = [");
  for (let i = 0; i < names.length; i += 8) lines.push("  " + names.slice(i, i + 8).map((n) => JSON.stringify(n)).join(", ") + ",");
  lines.push("];");
  lines.push("");
  lines.push("/**");
  lines.push(" * Per architecture, the number of SYSCALL_NAMES[i] at index i; -1: the syscall does not exist there.");
  lines.push(" * x32 numbers include __X32_SYSCALL_BIT (0x40000000), as the kernel sees them; arm's private calls are 0xf0000+.");
  lines.push(" * On x86 the socket and SysV ipc calls also have a multiplexed form, see MULTIPLEXED.");
  lines.push(" */");
  lines.push("export const SYSCALL_NUMBERS = {");
  for (const arch of Object.keys(numbers)) {
    lines.push(`  ${arch}: [`);
    const row = numbers[arch];
    for (let i = 0; i < row.length; i += 16) lines.push("    " + row.slice(i, i + 16).join(", ") + ",");
    lines.push("  ],");
  }
  lines.push("} as const satisfies Record<string, readonly number[]>;");
  lines.push("");
  lines.push("/** Architectures where libseccomp adds a rule for the multiplexer too: socketcall(SUBCALL, …) and ipc(SUBCALL, …). */");
  lines.push(`export const MULTIPLEXED: Readonly<Record<string, { socketcall: number; ipc: number }>> = ${JSON.stringify(multiplexed)};`);
  lines.push("");
  lines.push("/** Sub-call numbers (first argument) of socketcall(2) and ipc(2), from libseccomp's __PNR_* values. */");
  lines.push(`export const SOCKETCALL_SUBCALLS: Readonly<Record<string, number>> = ${JSON.stringify(sortObj(socket))};`);
  lines.push(`export const IPC_SUBCALLS: Readonly<Record<string, number>> = ${JSON.stringify(sortObj(ipc))};`);
  return lines.join("\n") + "\n";
}

async function main() {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== "--check");
  if (unknown.length) {
    console.error(`gen-seccomp-tables: unknown argument(s): ${unknown.join(" ")}\nusage: node scripts/gen-seccomp-tables.mjs [--check]`);
    process.exit(2);
  }
  const content = generate();
  const rel = relative(ROOT, OUT);
  const onDisk = await readFile(OUT, "utf8").catch((e) => (e.code === "ENOENT" ? null : Promise.reject(e)));
  if (args.includes("--check")) {
    if (onDisk !== content) {
      console.error(`gen-seccomp-tables --check: ${rel} is ${onDisk === null ? "missing" : "out of date"}; run \`node scripts/gen-seccomp-tables.mjs\` and commit it`);
      process.exit(1);
    }
    console.log(`gen-seccomp-tables --check: ${rel} is up to date`);
    return;
  }
  if (onDisk !== content) {
    await writeFile(OUT, content);
    console.log(`wrote ${rel}`);
  } else console.log(`gen-seccomp-tables: ${rel} up to date`);
}

main().catch((e) => {
  console.error(`gen-seccomp-tables: ${e.message ?? e}`);
  process.exit(1);
});
