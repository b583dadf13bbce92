// Evaluates libseccomp's pseudo filter code (seccomp_export_pfc, gen_pfc.c): the rule database
// as libseccomp means it, before its BPF generator. The differential test consults it when
// libseccomp's BPF and planc's disagree, to tell a planc error from a libseccomp BPF bug.
// The PFC has one section per ABI; x86_64 and x32 share the arch value, and the syscall number's
// x32 bit picks the section (the PFC leaves out the bad-arch check on that bit: libseccomp's BPF
// has it, planc too).

type Stmt = { kind: 'if'; cond: string; then: Stmt[]; else?: Stmt[]; abi?: string } | { kind: 'action'; ret: number };

function actionRet(s: string): number {
  const m = /^action (\w+)(?:\((\d+)\))?;$/.exec(s);
  if (!m) throw new Error(`PFC action: ${s}`);
  const data = Number(m[2] ?? 0);
  switch (m[1]) {
    case 'KILL_PROCESS': return 0x80000000;
    case 'KILL': return 0;
    case 'TRAP': return 0x00030000;
    case 'ERRNO': return (0x00050000 | data) >>> 0;
    case 'TRACE': return (0x7ff00000 | data) >>> 0;
    case 'LOG': return 0x7ffc0000;
    case 'ALLOW': return 0x7fff0000;
    case 'NOTIFY': return 0x7fc00000;
  }
  if (m[1]!.startsWith('0x')) return Number(m[1]) >>> 0;
  throw new Error(`PFC action: ${s}`);
}

export function parsePfc(text: string): Stmt[] {
  // Keep the "# filter for arch NAME (N)" comments: they name the ABI of the next section.
  const lines = text
    .split('\n')
    .map((l) => ({ indent: l.length - l.trimStart().length, text: l.trim() }))
    .filter((l) => l.text && (!l.text.startsWith('#') || l.text.startsWith('# filter for arch ')));
  let i = 0;
  const block = (indent: number): Stmt[] => {
    const out: Stmt[] = [];
    let abi: string | undefined;
    while (i < lines.length && lines[i]!.indent === indent) {
      const l = lines[i++]!;
      if (l.text.startsWith('# filter for arch ')) {
        abi = l.text.split(' ')[4];
        continue;
      }
      if (l.text.startsWith('if (')) {
        const s: Stmt = { kind: 'if', cond: l.text.slice(4, l.text.lastIndexOf(')')), then: block(indent + 2), abi };
        abi = undefined;
        if (i < lines.length && lines[i]!.indent === indent && lines[i]!.text.startsWith('else')) {
          i++;
          s.else = block(indent + 2);
        }
        out.push(s);
      } else if (l.text.startsWith('action ')) out.push({ kind: 'action', ret: actionRet(l.text) });
      else throw new Error(`PFC line: ${l.text}`);
    }
    return out;
  };
  const prog = block(0);
  if (i !== lines.length) throw new Error(`PFC: unparsed from line ${i}`);
  return prog;
}

/** The verdict of the PFC for one input ($aN without .hi32/.lo32 is the low word: 32-bit ABIs). */
export function runPfc(prog: Stmt[], nr: number, arch: number, args: readonly bigint[]): number {
  const value = (operand: string): bigint => {
    if (operand === '$arch') return BigInt(arch >>> 0);
    if (operand === '$syscall') return BigInt(nr >>> 0);
    const m = /^\$a(\d)(?:\.(hi32|lo32))?$/.exec(operand);
    if (!m) throw new Error(`PFC operand ${operand}`);
    const a = args[Number(m[1])] ?? 0n;
    return m[2] === 'hi32' ? (a >> 32n) & 0xffffffffn : a & 0xffffffffn;
  };
  const test = (cond: string): boolean => {
    const m = /^(\S+)(?: & 0x([0-9a-f]+))? (==|>=|>) (\d+)$/.exec(cond);
    if (!m) throw new Error(`PFC condition ${cond}`);
    let v = value(m[1]!);
    if (m[2]) v &= BigInt('0x' + m[2]);
    const d = BigInt(m[4]!);
    return m[3] === '==' ? v === d : m[3] === '>=' ? v >= d : v > d;
  };
  const x32 = (nr & 0x40000000) !== 0;
  const run = (b: Stmt[]): number | undefined => {
    for (const s of b) {
      if (s.kind === 'action') return s.ret;
      // x86_64 and x32 sections both test the same arch value: the number's x32 bit chooses.
      if ((s.abi === 'x86_64' && x32 && b.some((o) => o.kind === 'if' && o.abi === 'x32')) || (s.abi === 'x32' && !x32)) continue;
      const r = test(s.cond) ? run(s.then) : s.else ? run(s.else) : undefined;
      if (r !== undefined) return r;
    }
    return undefined;
  };
  const r = run(prog);
  if (r === undefined) throw new Error('PFC fell through');
  return r;
}
