#!/usr/bin/env bash
# Image unpack benchmark: `planc image unpack` vs `umoci unpack` of the same
# OCI image layout with one ~100 MB gzip layer, side by side in one hyperfine
# run, then the ratio (umoci's mean / planc's: above 1.0× planc is faster).
# The layer's tree is generated here, deterministically (no pull): ~16,000
# files in ~800 directories — mostly small text files, some incompressible
# "binaries", a few large ones, symlinks — and made into a layout with
# `planc image create`. Both trees are checked to be the same afterwards.
# Usage (as root): bash bench/unpack.sh      env: RUNS=5 WARMUP=1 BENCH_DIR=/tmp
# (BENCH_DIR=/dev/shm takes the disk out: what is left is the unpackers' own work.)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_preflight hyperfine umoci node

RUNS=${RUNS:-5}
WARMUP=${WARMUP:-1}
results=$BENCH_ROOT/bench/results
mkdir -p "$results"
tmp=$(mktemp -d "${BENCH_DIR:-/tmp}/planc-bench-unpack.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
bench_snapshot "$tmp"

echo "bench: generating the image tree in $tmp/src" >&2
mkdir -p "$tmp/src"
node - "$tmp/src/rootfs" <<'EOF'
const { mkdirSync, writeFileSync, symlinkSync } = require('node:fs');
const { createHash } = require('node:crypto');
const root = process.argv[2];
let seed = 42;
const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const words = 'the of and to in is that for it as with was on be by at this from or an are not have which but all were can when there use each she do how their if will up other about out many then them these so some her would make like him into time has look two more write go see number no way could people my than first water been call who oil its now find long down day did get come made may part'.split(' ');
const text = (n) => { let s = ''; while (s.length < n) s += words[Math.floor(rnd() * words.length)] + (rnd() < 0.1 ? '\n' : ' '); return s.slice(0, n); };
let files = 0, bytes = 0;
for (let d = 0; d < 800; d++) {
  const dir = `${root}/usr/lib/pkg${d % 97}/mod${d}`;
  mkdirSync(dir, { recursive: true });
  for (let f = 0; f < 20; f++) {
    const r = rnd();
    let data;
    if (r < 0.62) data = Buffer.from(text(500 + Math.floor(rnd() * 15000)));
    else if (r < 0.995) data = createHash('shake256', { outputLength: 8000 + Math.floor(rnd() * 4000) }).update(`${d}/${f}`).digest();
    else data = createHash('shake256', { outputLength: 2e6 + Math.floor(rnd() * 4e6) }).update(`big ${d}/${f}`).digest();
    writeFileSync(`${dir}/file${f}`, data, { mode: rnd() < 0.2 ? 0o755 : 0o644 });
    files++;
    bytes += data.length;
    if (f % 10 === 0) symlinkSync(`file${f}`, `${dir}/link${f}`);
  }
}
console.error(`bench: ${files} files, ${(bytes / 1e6).toFixed(1)} MB`);
EOF
node "$PLANC_JS" spec --bundle "$tmp/src"
node "$PLANC_JS" image create "$tmp/src" "$tmp/layout:bench" >&2
layer=$(du -b "$tmp"/layout/blobs/sha256/* | sort -n | tail -1 | cut -f1)
echo "bench: layer blob $((layer / 1000000)) MB" >&2

json=$results/hyperfine-unpack.json
hyperfine --style basic --warmup "$WARMUP" --runs "$RUNS" --export-json "$json" \
  --prepare "rm -rf $tmp/out-planc; sync" -n "planc image unpack" "node $PLANC_JS image unpack -q $tmp/layout:bench $tmp/out-planc" \
  --prepare "rm -rf $tmp/out-umoci; sync" -n "umoci unpack" "umoci unpack --image $tmp/layout:bench $tmp/out-umoci"

# The same work: both trees list the same paths, types, modes, owners, sizes and link targets.
diff <(cd "$tmp/out-planc/rootfs" && find . -printf '%p %y %m %U:%G %s %l\n' | sort) \
     <(cd "$tmp/out-umoci/rootfs" && find . -printf '%p %y %m %U:%G %s %l\n' | sort) >/dev/null \
  || bench_die "planc and umoci unpacked different trees"

node - "$json" "$layer" <<'EOF'
const fs = require('node:fs');
const [file, layer] = process.argv.slice(2);
const r = JSON.parse(fs.readFileSync(file, 'utf8')).results;
const by = Object.fromEntries(r.map((x) => [x.command, x]));
const p = by['planc image unpack'], u = by['umoci unpack'];
const ms = (x) => `${(x.mean * 1000).toFixed(0)} ± ${(x.stddev * 1000).toFixed(0)} ms`;
console.log(`unpack of a ${(layer / 1e6).toFixed(0)} MB gzip layer: planc ${ms(p)}, umoci ${ms(u)}; umoci/planc = ${(u.mean / p.mean).toFixed(2)}× (above 1: planc is faster)`);
fs.writeFileSync(file.replace(/hyperfine-unpack\.json$/, 'unpack.json'), JSON.stringify({ date: new Date().toISOString(), layerBytes: Number(layer), planc: p.mean, umoci: u.mean, ratio: u.mean / p.mean }, null, 2) + '\n');
EOF
