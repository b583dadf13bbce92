#!/usr/bin/env bash
# Concurrency and memory: wall time to create+start N (default 20) `sleep 1`
# containers at once with planc and with runc, and the peak RSS of one
# `run` of /bin/true (planc, runc, and `node -e 0` as the floor).
# Usage (as root): bash bench/concurrency.sh     env: N=20 RSS_RUNS=5
# Writes bench/results/concurrency.json.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_preflight runc node
if [ ! -x /usr/bin/time ]; then
  echo "bench: installing GNU time for peak RSS" >&2
  apt-get install -y time >/dev/null
fi

N=${N:-20}
RSS_RUNS=${RSS_RUNS:-5}
results=$BENCH_ROOT/bench/results
mkdir -p "$results"
tmp=$(mktemp -d /tmp/planc-bench.XXXXXX)
PLANC="node $PLANC_JS" # the copy's, after bench_snapshot
tag=pc$$
proot=$tmp/planc-root rroot=$tmp/runc-root

trap bench_cleanup_all EXIT
trap 'exit 130' INT TERM

echo "bench: preparing bundles in $tmp" >&2
bench_snapshot "$tmp"
PLANC="node $PLANC_JS"
bench_bundles "$tmp" sleep /bin/sleep 1
bench_bundles "$tmp" true /bin/true

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# burst NAME RUNTIME_CMD ROOT BUNDLE: create+start N containers as background
# jobs; print the wall ms until every create+start returned.
burst() {
  local name=$1 cmd=$2 root=$3 bundle=$4 i t0 t1 failed=0
  local pids=()
  t0=$(now_ms)
  for i in $(seq 1 "$N"); do
    # shellcheck disable=SC2086
    ($cmd --root "$root" create --bundle "$bundle" "$tag-$name-$i" </dev/null >/dev/null &&
      $cmd --root "$root" start "$tag-$name-$i" </dev/null >/dev/null) &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || failed=$((failed + 1)); done
  t1=$(now_ms)
  [ "$failed" = 0 ] || bench_die "$name: $failed of $N create+start failed"
  echo $((t1 - t0))
}

# delete_all RUNTIME_CMD ROOT NAME: delete --force the N containers (and time it).
delete_all() {
  local cmd=$1 root=$2 name=$3 i t0 pids=()
  t0=$(now_ms)
  for i in $(seq 1 "$N"); do
    # shellcheck disable=SC2086
    $cmd --root "$root" delete --force "$tag-$name-$i" >/dev/null &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || true; done
  echo $(($(now_ms) - t0))
}

echo "bench: $N concurrent create+start (sleep 1) with planc" >&2
planc_ms=$(burst planc "$PLANC" "$proot" "$tmp/sleep/planc")
planc_running=$($PLANC --root "$proot" list 2>/dev/null | grep -c " running " || true)
planc_del_ms=$(delete_all "$PLANC" "$proot" planc)
echo "bench: $N concurrent create+start (sleep 1) with runc" >&2
runc_ms=$(burst runc runc "$rroot" "$tmp/sleep/runc")
runc_running=$(runc --root "$rroot" list 2>/dev/null | grep -c " running " || true)
runc_del_ms=$(delete_all runc "$rroot" runc)

# peak RSS (GNU time's "Maximum resident set size": the largest single
# process in the tree, i.e. node for planc) — median of RSS_RUNS runs, in KiB
peak_kb() { # ID_PREFIX COMMAND...
  local prefix=$1 i out=()
  shift
  for i in $(seq 1 "$RSS_RUNS"); do
    /usr/bin/time -f %M -o "$tmp/rss" "$@" "$prefix-$i" </dev/null >/dev/null
    out+=("$(tail -1 "$tmp/rss")")
  done
  printf '%s\n' "${out[@]}" | sort -n | sed -n "$(((RSS_RUNS + 1) / 2))p"
}
echo "bench: peak RSS of run /bin/true ($RSS_RUNS runs each)" >&2
planc_kb=$(peak_kb "$tag-rss-planc" node "$PLANC_JS" --root "$proot" run --bundle "$tmp/true/planc")
runc_kb=$(peak_kb "$tag-rss-runc" runc --root "$rroot" run --bundle "$tmp/true/runc")
node_kb=$(/usr/bin/time -f %M node -e 0 2>&1 >/dev/null | tail -1)

node - "$results/concurrency.json" <<JS
const fs = require('fs');
const mb = (kb) => Math.round((kb / 1024) * 10) / 10;
const out = {
  date: new Date().toISOString(),
  containers: $N,
  createStartWallMs: { planc: $planc_ms, runc: $runc_ms, ratio: Math.round(($planc_ms / $runc_ms) * 100) / 100 },
  runningAfterBurst: { planc: $planc_running, runc: $runc_running },
  deleteForceWallMs: { planc: $planc_del_ms, runc: $runc_del_ms },
  peakRssMB: { plancRun: mb($planc_kb), runcRun: mb($runc_kb), nodeE0: mb($node_kb), runs: $RSS_RUNS, statistic: 'median' },
};
fs.writeFileSync(process.argv[2], JSON.stringify(out, null, 2) + '\n');
console.log(JSON.stringify(out, null, 2));
console.log(\`concurrency: \${out.containers} containers create+start at once: planc \${out.createStartWallMs.planc} ms, runc \${out.createStartWallMs.runc} ms (\${out.createStartWallMs.ratio}×); delete --force all: planc \${out.deleteForceWallMs.planc} ms, runc \${out.deleteForceWallMs.runc} ms\`);
console.log(\`memory: peak RSS of run /bin/true: planc \${out.peakRssMB.plancRun} MB, runc \${out.peakRssMB.runcRun} MB, node -e 0 \${out.peakRssMB.nodeE0} MB\`);
JS
