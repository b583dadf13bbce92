#!/usr/bin/env bash
# Start-up benchmark: planc vs runc (vs crun when it can run here) vs the Node
# floor, one hyperfine invocation per scenario so the numbers sit side by side.
# Usage (as root): bash bench/run.sh        env: WARMUP=3 MIN_RUNS=20
# Writes bench/results/latest.json (+ the raw hyperfine-*.json) and prints a table.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_preflight hyperfine runc node

WARMUP=${WARMUP:-3}
MIN_RUNS=${MIN_RUNS:-20}
results=$BENCH_ROOT/bench/results
mkdir -p "$results"
tmp=$(mktemp -d /tmp/planc-bench.XXXXXX)
PLANC="node $PLANC_JS" # the copy's, after bench_snapshot
tag=pb$$ # every container id (and so every cgroup) we make starts with this
proot=$tmp/planc-root rroot=$tmp/runc-root croot=$tmp/crun-root
CRUN=""

trap bench_cleanup_all EXIT
trap 'exit 130' INT TERM

echo "bench: preparing bundles in $tmp" >&2
bench_snapshot "$tmp"
PLANC="node $PLANC_JS"
bench_bundles "$tmp" true /bin/true

# crun 1.8 refuses ociVersion >= 1.2 (its bundles say 1.0.2) and may refuse
# this host's cgroup setup whatever the manager: find out, once.
crun_why=""
if bench_crun_probe "$tmp" "$croot" "$tag-crun-probe"; then
  CRUN="crun $BENCH_CRUN_FLAGS"
  echo "bench: crun runs here as: $CRUN" >&2
else
  crun_why=$BENCH_CRUN_WHY
  echo "bench: skipping crun: $crun_why" >&2
fi

# uid NAME: a shell prefix that bumps a counter file, so $id is fresh each
# iteration (only dash builtins: it costs microseconds, not a fork).
uid() {
  echo 0 >"$tmp/ctr.$1"
  printf 'read n <%s; n=$((n+1)); echo $n >%s; id=%s-%s-$n; ' "$tmp/ctr.$1" "$tmp/ctr.$1" "$tag" "$1"
}

hf() { # hf SCENARIO hyperfine-args...
  local scenario=$1
  shift
  echo >&2
  echo "== $scenario" >&2
  hyperfine --warmup "$WARMUP" --min-runs "$MIN_RUNS" --style basic \
    --export-json "$results/hyperfine-$scenario.json" "$@" >&2
}

# 1. run of /bin/true (run without -d deletes the container when it exits)
args=(-n 'node -e 0' 'node -e 0'
  -n 'planc run' "$(uid prun)$PLANC --root $proot run --bundle $tmp/true/planc \$id"
  -n 'runc run' "$(uid rrun)runc --root $rroot run --bundle $tmp/true/runc \$id")
[ -n "$CRUN" ] && args+=(-n 'crun run' "$(uid crun)$CRUN --root $croot run --bundle $tmp/true/crun \$id")
hf run "${args[@]}"

# 2. state and list of one created container (its init waits for start)
$PLANC --root "$proot" create --bundle "$tmp/true/planc" "$tag-state-planc" </dev/null >/dev/null
runc --root "$rroot" create --bundle "$tmp/true/runc" "$tag-state-runc" </dev/null >/dev/null
args=(-n 'node -e 0' 'node -e 0'
  -n 'planc state' "$PLANC --root $proot state $tag-state-planc"
  -n 'runc state' "runc --root $rroot state $tag-state-runc"
  -n 'planc list' "$PLANC --root $proot list"
  -n 'runc list' "runc --root $rroot list")
if [ -n "$CRUN" ]; then
  $CRUN --root "$croot" create --bundle "$tmp/true/crun" "$tag-state-crun" </dev/null >/dev/null
  args+=(-n 'crun state' "$CRUN --root $croot state $tag-state-crun" -n 'crun list' "$CRUN --root $croot list")
fi
hf state-list -N "${args[@]}" # no shell: runc state is under 5 ms, below what hyperfine can subtract
$PLANC --root "$proot" delete --force "$tag-state-planc"
runc --root "$rroot" delete --force "$tag-state-runc"
[ -n "$CRUN" ] && $CRUN --root "$croot" delete --force "$tag-state-crun"

# 3. create + start + delete, one after the other (delete --force: /bin/true
# may not have exited yet when start returns)
seq_cmd() { # RUNTIME_CMD ROOT BUNDLE
  echo "$1 --root $2 create --bundle $3 \$id && $1 --root $2 start \$id && $1 --root $2 delete --force \$id"
}
args=(-n 'node -e 0' 'node -e 0'
  -n 'planc create+start+delete' "$(uid pseq)$(seq_cmd "$PLANC" "$proot" "$tmp/true/planc")"
  -n 'runc create+start+delete' "$(uid rseq)$(seq_cmd runc "$rroot" "$tmp/true/runc")")
[ -n "$CRUN" ] && args+=(-n 'crun create+start+delete' "$(uid cseq)$(seq_cmd "$CRUN" "$croot" "$tmp/true/crun")")
hf create-start-delete "${args[@]}"

echo >&2
node "$BENCH_ROOT/bench/report.mjs" "$results" "$crun_why" "${CRUN:-}" run state-list create-start-delete
