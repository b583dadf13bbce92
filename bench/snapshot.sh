#!/usr/bin/env bash
# V8 startup snapshot against the code cache, for the verbs that keep a Node start
# (issue 14): --version, plan, create, run of /bin/true, exec of /bin/true, with
# `node -e 0` as the floor, one hyperfine run per shape so they sit side by side.
#   cache  node bin/planc.cjs ARGS                         (what planc ships: dist/planc.cjs + .cache)
#   plain  node --snapshot-blob dist/planc-plain.blob -- ARGS   (bundle evaluated, modules lazy)
#   warm   node --snapshot-blob dist/planc-warm.blob -- ARGS    (hot verbs' modules initialized and
#          one plan run before the heap is serialized: the best case; see bench/snapshot-entry.mjs)
# `empty blob` (in the --version shape) starts Node from a snapshot whose main does nothing:
# what any user snapshot costs over `node -e 0` before planc runs.
# Usage (as root): bash bench/snapshot.sh      env: WARMUP=3 MIN_RUNS=20 ROUNDS=2
# Each shape runs ROUNDS times, the entries in reverse order every other round (hyperfine
# runs one command's iterations back to back, so a load change on a shared machine would
# otherwise land on one entry); the table pools all rounds' times.
# Writes bench/results/snapshot.json (+ hyperfine-snapshot-*.json) and prints a table.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_preflight hyperfine node

WARMUP=${WARMUP:-3}
MIN_RUNS=${MIN_RUNS:-20}
ROUNDS=${ROUNDS:-2}
results=$BENCH_ROOT/bench/results
mkdir -p "$results"
tmp=$(mktemp -d /tmp/planc-bench.XXXXXX)
tag=ps$$ # every container id (and so every cgroup) we make starts with this
proot=$tmp/planc-root rroot=$tmp/runc-root # bench_cleanup_all visits both; no runc here
PLANC="node $PLANC_JS"

trap bench_cleanup_all EXIT
trap 'exit 130' INT TERM

echo "bench: preparing the copy, the blobs and the bundles in $tmp" >&2
bench_snapshot "$tmp"
PLANC="node $PLANC_JS"
dist=$tmp/planc/dist
for mode in plain warm; do
  node "$BENCH_ROOT/bench/snapshot-entry.mjs" "$dist" "$mode" "$tmp/entry-$mode.cjs"
  # The builder warns about built-ins it has not verified (child_process, tty, module): the warm
  # mode loads them; the figures are what matters here, and each blob is checked below.
  node --snapshot-blob "$dist/planc-$mode.blob" --build-snapshot "$tmp/entry-$mode.cjs" >/dev/null 2>"$tmp/build-$mode.log" ||
    { cat "$tmp/build-$mode.log" >&2; bench_die "building the $mode snapshot failed"; }
done
# The fixed cost of starting from any user snapshot at all: one whose main does nothing.
echo "require('node:v8').startupSnapshot.setDeserializeMainFunction(() => {});" >"$tmp/entry-empty.cjs"
node --snapshot-blob "$tmp/empty.blob" --build-snapshot "$tmp/entry-empty.cjs"
bench_bundles "$tmp" true /bin/true
bench_bundles "$tmp" sleep sleep 1000000
cp "$BENCH_ROOT/test/unit/fixtures/default.json" "$tmp/true/config-default.json"
mkdir -p "$tmp/plan" && cp "$BENCH_ROOT/test/unit/fixtures/default.json" "$tmp/plan/config.json"

declare -A CMD=(
  [cache]="node $PLANC_JS"
  [plain]="node --snapshot-blob $dist/planc-plain.blob --"
  [warm]="node --snapshot-blob $dist/planc-warm.blob --"
)
VARIANTS=(cache plain warm)

# Every variant must print what the shipped entry prints before it is timed.
want=$(${CMD[cache]} plan --bundle "$tmp/plan" --format json | sha256sum)
for v in plain warm; do
  [ "$(${CMD[$v]} plan --bundle "$tmp/plan" --format json | sha256sum)" = "$want" ] || bench_die "$v: plan differs from the code-cache entry's"
  [ "$(${CMD[$v]} --version)" = "$(${CMD[cache]} --version)" ] || bench_die "$v: --version differs"
done

# The container exec goes into: sleep, created and started once.
$PLANC --root "$proot" create --bundle "$tmp/sleep/planc" "$tag-target" </dev/null >/dev/null
$PLANC --root "$proot" start "$tag-target"

# counter NAME: shell text that reads NAME's counter into $n (prepare bumps it).
counter() { echo 0 >"$tmp/ctr.$1"; printf 'read n <%s; ' "$tmp/ctr.$1"; }
bump() { printf 'read n <%s; n=$((n+1)); echo $n >%s; ' "$tmp/ctr.$1" "$tmp/ctr.$1"; }

hf() { # hf SHAPE ROUND hyperfine-args...
  local shape=$1 round=$2
  shift 2
  echo >&2
  echo "== $shape (round $round)" >&2
  hyperfine --warmup "$WARMUP" --min-runs "$MIN_RUNS" --style basic \
    --export-json "$results/hyperfine-snapshot-$shape-$round.json" "$@" >&2
}

for round in $(seq 1 "$ROUNDS"); do
  order=("${VARIANTS[@]}")
  [ $((round % 2)) = 1 ] || order=(warm plain cache)

  args=(-N -n 'node -e 0' 'node -e 0' -n 'empty blob' "node --snapshot-blob $tmp/empty.blob")
  for v in "${order[@]}"; do args+=(-n "$v" "${CMD[$v]} --version"); done
  hf version "$round" "${args[@]}"

  args=(-N -n 'node -e 0' 'node -e 0')
  for v in "${order[@]}"; do args+=(-n "$v" "${CMD[$v]} plan --bundle $tmp/plan"); done
  hf plan "$round" "${args[@]}"

  # create: each iteration a fresh id; the one before is deleted by --prepare, outside the timing.
  args=(--prepare 'true' -n 'node -e 0' 'node -e 0')
  for v in "${order[@]}"; do
    args+=(--prepare "$(bump "c$v$round")$PLANC --root $proot delete --force $tag-c$v$round-\$((n-1)) >/dev/null 2>&1 || true"
      -n "$v" "$(counter "c$v$round")${CMD[$v]} --root $proot create --bundle $tmp/true/planc $tag-c$v$round-\$n </dev/null")
  done
  hf create "$round" "${args[@]}"

  # run of /bin/true (run without -d deletes the container when it exits)
  args=(--prepare 'true' -n 'node -e 0' 'node -e 0')
  for v in "${order[@]}"; do
    args+=(--prepare "$(bump "r$v$round")" -n "$v" "$(counter "r$v$round")${CMD[$v]} --root $proot run --bundle $tmp/true/planc $tag-r$v$round-\$n </dev/null")
  done
  hf run "$round" "${args[@]}"

  args=(-N -n 'node -e 0' 'node -e 0')
  for v in "${order[@]}"; do args+=(-n "$v" "${CMD[$v]} --root $proot exec $tag-target /bin/true"); done
  hf exec "$round" "${args[@]}"
done

echo >&2
node - "$results" "$ROUNDS" version plan create run exec <<'JS'
const fs = require('fs');
const [dir, rounds, ...shapes] = process.argv.slice(2);
const stats = (t) => {
  const s = [...t].sort((a, b) => a - b);
  const mean = t.reduce((a, b) => a + b, 0) / t.length;
  const sd = Math.sqrt(t.reduce((a, b) => a + (b - mean) ** 2, 0) / (t.length - 1));
  return { mean: mean * 1e3, stddev: sd * 1e3, median: s[s.length >> 1] * 1e3, runs: t.length };
};
const out = { date: new Date().toISOString(), node: process.version, rounds: Number(rounds), shapes: {} };
const rows = [];
for (const shape of shapes) {
  const times = {};
  const cpu = {}; // hyperfine gives user and system time per command as means only: weight them by runs
  for (let r = 1; r <= Number(rounds); r++) {
    for (const x of JSON.parse(fs.readFileSync(`${dir}/hyperfine-snapshot-${shape}-${r}.json`, 'utf8')).results) {
      (times[x.command] ??= []).push(...x.times);
      const c = (cpu[x.command] ??= { sum: 0, runs: 0 });
      c.sum += (x.user + x.system) * x.times.length;
      c.runs += x.times.length;
    }
  }
  const s = (out.shapes[shape] = Object.fromEntries(Object.entries(times).map(([k, t]) => [k, { ...stats(t), cpu: (cpu[k].sum / cpu[k].runs) * 1e3 }])));
  for (const [name, x] of Object.entries(s)) {
    const d = (f) => `${(x[f] - s.cache[f]).toFixed(1).replace(/^(?!-)/, '+')}`;
    const floor = ['node -e 0', 'empty blob', 'cache'].includes(name);
    const vs = floor ? '' : `${d('mean')} / ${d('median')}`;
    const vsCpu = floor ? '' : (x.cpu - s.cache.cpu).toFixed(1).replace(/^(?!-)/, '+');
    rows.push([shape, name, `${x.mean.toFixed(1)} ± ${x.stddev.toFixed(1)}`, x.median.toFixed(1), x.cpu.toFixed(1), x.runs, vs, vsCpu]);
  }
}
fs.writeFileSync(`${dir}/snapshot.json`, JSON.stringify(out, null, 2) + '\n');
const head = ['shape', 'entry', 'mean ± σ (ms)', 'median (ms)', 'user+sys (ms)', 'runs', 'vs cache: mean / median (ms)', 'vs cache: user+sys (ms)'];
console.log(`| ${head.join(' | ')} |\n|${head.map(() => '---').join('|')}|`);
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
JS
