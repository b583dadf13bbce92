#!/usr/bin/env bash
# Issue 14's table: for each shape (run, the create/start/delete cycle, N
# concurrent cycles, and every hot verb on its own) the mean time of planc,
# runc and crun and of the Node floor, side by side in ONE hyperfine run per
# shape, the ratios planc÷runc and planc÷crun, and the peak RSS of each
# runtime (GNU time %M, in a separate short loop). Then the in-process
# planner (bench/planner.ts) and seccomp compiler (bench/seccomp.ts) figures.
# Usage (as root): npm run bench   (= bash bench/run.sh)
# env: WARMUP=2 MIN_RUNS=20 MAX_RUNS=40 (per command and shape), N=20 and
#      BURST_RUNS=3 (the concurrent shape), RSS_RUNS=3 (median of),
#      PLANC (default: build/planc if executable, else node bin/planc.cjs)
# Writes bench/results/latest.md (the table), latest.json, hyperfine-*.json.
set -euo pipefail
# $(…) keeps -e: a Ctrl-C that GNU time or a runtime turns into an exit status
# (bash then sees no SIGINT of its own) still stops the run.
shopt -s inherit_errexit
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_preflight hyperfine runc node unshare nsenter
[ -x /usr/bin/time ] || bench_die "GNU time is missing (apt-get install time)"

WARMUP=${WARMUP:-2}
MIN_RUNS=${MIN_RUNS:-20}
MAX_RUNS=${MAX_RUNS:-40}
N=${N:-20}
BURST_RUNS=${BURST_RUNS:-3}
RSS_RUNS=${RSS_RUNS:-3}
results=$BENCH_ROOT/bench/results
mkdir -p "$results"
rm -f "$results"/hyperfine-*.json
tmp=$(mktemp -d /tmp/planc-bench.XXXXXX)
tag=pb$$ # every container id (and so every cgroup) we make starts with this
proot=$tmp/planc-root rroot=$tmp/runc-root croot=$tmp/crun-root
CRUN="" BENCH_CRUN_HOLDER=""
meta=$tmp/meta.tsv # what report.mjs needs besides hyperfine's exports

cleanup() {
  local rc=$?
  trap '' INT TERM # a second Ctrl-C must not cut the cleanup short
  set +f
  bench_cleanup_root "${PLANC:-node $PLANC_JS}" "$proot"
  bench_cleanup_root runc "$rroot"
  [ -n "$CRUN" ] && bench_cleanup_root "$CRUN" "$croot"
  [ -n "$BENCH_CRUN_HOLDER" ] && kill "$BENCH_CRUN_HOLDER" 2>/dev/null
  exit "$(bench_finish "$tag" "$tmp" "$rc")"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "bench: preparing bundles in $tmp" >&2
bench_snapshot "$tmp"
# The one way planc is invoked everywhere below.
if [ -n "${PLANC:-}" ]; then
  planc_how="PLANC from the environment: \`$PLANC\`"
elif [ -x "$tmp/planc/build/planc" ]; then
  PLANC=$tmp/planc/build/planc
  planc_how="the native entry build/planc (a copy of the working tree's)"
else
  PLANC="node $PLANC_JS"
  planc_how="\`node bin/planc.cjs\` (no executable build/planc; a copy of the working tree's)"
fi
$PLANC --version >/dev/null || bench_die "planc does not start: $PLANC"
echo "bench: planc is $planc_how" >&2
bench_bundles "$tmp" true /bin/true
bench_bundles "$tmp" sleep /bin/sleep 1000000
bench_crun "$tmp" "$croot" "$tag-crun-probe"
echo "bench: crun: $CRUN_HOW" >&2
printf 'planc\t%s\ncrun\t%s\t%s\n' "$planc_how" "$CRUN" "$CRUN_HOW" >"$meta"
printf 'settings\t%s\t%s\t%s\t%s\t%s\t%s\n' "$WARMUP" "$MIN_RUNS" "$MAX_RUNS" "$N" "$BURST_RUNS" "$RSS_RUNS" >>"$meta"

runtimes=(planc runc)
[ -n "$CRUN" ] && runtimes+=(crun)
rt_cmd() { case $1 in planc) echo "$PLANC" ;; runc) echo runc ;; crun) echo "$CRUN" ;; esac; }
rt_root() { echo "$tmp/$1-root"; }

# The shapes, in table order. Each runtime's container has a fixed id,
# $tag-SHAPE-RUNTIME: every timed command does exactly its verb on a container
# its --prepare put in the right state (hyperfine runs the prepare before each
# warm-up and timed run, untimed); the prepare also deletes the previous
# iteration's container. "svc" is one running `sleep` per runtime, for the
# verbs that only look at a container (or pause and resume it).
shapes=(run cycle burst create start state list kill delete pause resume ps exec events)
label() {
  case $1 in
    run) echo 'run of /bin/true' ;;
    cycle) echo 'create && start && delete -f' ;;
    burst) echo "$N× concurrent create+start+delete (wall)" ;;
    create) echo 'create' ;;
    start) echo 'start' ;;
    state) echo 'state (running)' ;;
    list) echo 'list (1 container)' ;;
    kill) echo 'kill KILL (running)' ;;
    delete) echo 'delete (stopped)' ;;
    pause) echo 'pause' ;;
    resume) echo 'resume' ;;
    ps) echo 'ps --format json' ;;
    exec) echo 'exec of /bin/true (running)' ;;
    events) echo 'events --stats' ;;
  esac
}

# shape SHAPE RUNTIME: set cmd (what is timed), prep (sh script run before each
# timed run, maybe empty) and shell (1 when cmd needs sh: hyperfine then
# subtracts the shell's start; otherwise it runs with -N, no shell).
# RUNTIME "node" gives the shape's Node floor: the shape with every runtime
# call replaced by `node -e 0`.
shape() {
  local s=$1 rt=$2 R id svc bt bs
  prep="" shell=0
  if [ "$rt" = node ]; then
    case $s in
      cycle) cmd="node -e 0 && node -e 0 && node -e 0" shell=1 ;;
      burst) cmd="sh $BENCH_ROOT/bench/burst.sh $N - - - node -e 0" ;;
      events) cmd="node -e 0" ;;
      *) cmd="node -e 0" ;;
    esac
    return 0
  fi
  R="$(rt_cmd "$rt") --root $(rt_root "$rt")"
  id=$tag-$s-$rt svc=$tag-svc-$rt bt=$tmp/true/$rt bs=$tmp/sleep/$rt
  local del="$R delete --force $id >/dev/null 2>&1;" # the previous iteration's, if any
  case $s in
    run) cmd="$R run --bundle $bt $id" ;; # run deletes its container when /bin/true exits
    cycle) cmd="$R create --bundle $bt $id && $R start $id && $R delete --force $id" shell=1 ;;
    burst) cmd="sh $BENCH_ROOT/bench/burst.sh $N $(rt_root "$rt") $bt $id $(rt_cmd "$rt")" ;;
    create) prep="$del" cmd="$R create --bundle $bt $id" ;;
    start) prep="$del $R create --bundle $bs $id" cmd="$R start $id" ;;
    state) cmd="$R state $svc" ;;
    list) cmd="$R list" ;;
    # a running sleep, SIGKILLed: what an engine's stop ends with
    kill) prep="$del $R create --bundle $bs $id && $R start $id" cmd="$R kill $id KILL" ;;
    # /bin/true started and waited for until state says stopped
    delete) prep="$del $R create --bundle $bt $id && $R start $id && i=0 && until $R state $id | grep -q stopped; do i=\$((i+1)); [ \$i -lt 500 ] || exit 1; sleep 0.01; done"
      cmd="$R delete $id" ;;
    pause) prep="$R resume $svc" cmd="$R pause $svc" ;;
    resume) prep="$R pause $svc" cmd="$R resume $svc" ;;
    ps) cmd="$R ps --format json $svc" ;;
    # a foreground process in the running sleep: what an engine's health check or `podman exec` costs
    exec) cmd="$R exec $svc true" ;;
    events) cmd="$R events --stats $svc" ;;
  esac
}
has() { # has SHAPE RUNTIME: crun 1.8 has no events verb
  [ "$1:$2" != events:crun ]
}

all() { # all VERB [ARGS]: VERB on every runtime's svc container
  local rt
  for rt in "${runtimes[@]}"; do $(rt_cmd "$rt") --root "$(rt_root "$rt")" "$1" "$tag-svc-$rt" "${@:2}" </dev/null >/dev/null; done
}
before() {
  case $1 in
    state) # the svc containers serve state … events
      local rt
      for rt in "${runtimes[@]}"; do
        $(rt_cmd "$rt") --root "$(rt_root "$rt")" create --bundle "$tmp/sleep/$rt" "$tag-svc-$rt" </dev/null >/dev/null
        $(rt_cmd "$rt") --root "$(rt_root "$rt")" start "$tag-svc-$rt"
      done ;;
    pause) all pause ;; # pause's prepare resumes them
    resume) all resume ;; # pause left them paused; resume's prepare pauses them
  esac
}
after() { # delete what the shape's runs left (its fixed ids)
  local rt
  for rt in "${runtimes[@]}"; do
    $(rt_cmd "$rt") --root "$(rt_root "$rt")" delete --force "$tag-$1-$rt" >/dev/null 2>&1 || true
  done
  [ "$1" != events ] || for rt in "${runtimes[@]}"; do $(rt_cmd "$rt") --root "$(rt_root "$rt")" delete --force "$tag-svc-$rt"; done
}

# peak RSS SHAPE RUNTIME: median over RSS_RUNS runs of GNU time's %M (the
# largest resident set of any one process of the command's tree, KB), each
# after the shape's prepare, outside hyperfine. A no-shell command is exec'd
# by time directly, so a small native entry is not hidden behind a shell's RSS.
peak_rss() {
  local s=$1 rt=$2 i runs=$RSS_RUNS kbs=()
  [ "$s" != burst ] || runs=1 # one burst is already N×3 processes
  shape "$s" "$rt"
  for i in $(seq 1 "$runs"); do
    [ -z "$prep" ] || sh -c "$prep" </dev/null >/dev/null || bench_die "$s/$rt: prepare failed: $prep"
    if [ "$shell" = 1 ]; then
      /usr/bin/time -f %M -o "$tmp/rss" sh -c "$cmd" </dev/null >/dev/null || bench_die "$s/$rt failed: $cmd"
    else
      # shellcheck disable=SC2086
      /usr/bin/time -f %M -o "$tmp/rss" $cmd </dev/null >/dev/null || bench_die "$s/$rt failed: $cmd"
    fi
    kbs+=("$(tail -1 "$tmp/rss")")
  done
  printf '%s\n' "${kbs[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p"
}

set -f # commands are word-split below ($cmd), never globbed
t_start=$(date +%s)
for s in "${shapes[@]}"; do
  echo >&2
  echo "== $s: $(label "$s")" >&2
  before "$s"
  args=(--style basic --export-json "$results/hyperfine-$s.json")
  # no warm-up for the burst: every runtime and node already ran many times above
  if [ "$s" = burst ]; then args+=(--runs "$BURST_RUNS"); else args+=(--warmup "$WARMUP" --min-runs "$MIN_RUNS" --max-runs "$MAX_RUNS"); fi
  preps=() any_prep=0
  for rt in node "${runtimes[@]}"; do
    has "$s" "$rt" || continue
    shape "$s" "$rt"
    args+=(-n "$rt" "$cmd")
    [ -z "$prep" ] || any_prep=1
    preps+=("${prep:-:}")
  done
  [ "$shell" = 1 ] || args+=(-N)
  if [ "$any_prep" = 1 ]; then for p in "${preps[@]}"; do args+=(--prepare "sh -c '$p'"); done; fi
  hyperfine "${args[@]}" >&2
  printf 'shape\t%s\t%s\n' "$s" "$(label "$s")" >>"$meta"
  for rt in "${runtimes[@]}"; do
    has "$s" "$rt" || continue
    kb=$(peak_rss "$s" "$rt") # an assignment, so set -e sees peak_rss fail
    printf 'rss\t%s\t%s\t%s\n' "$s" "$rt" "$kb" >>"$meta"
  done
  after "$s"
done
kb=$(/usr/bin/time -f %M node -e 0 2>&1 >/dev/null | tail -1)
printf 'nodeRss\t%s\n' "$kb" >>"$meta"

# What entering crun's namespace costs by itself (it is inside every crun figure).
if [ -n "$BENCH_CRUN_HOLDER" ]; then
  hyperfine -N --style none --warmup 10 --runs 200 --export-json "$tmp/nsenter.json" \
    -n bare /bin/true -n nsenter "nsenter -t $BENCH_CRUN_HOLDER -m /bin/true" >/dev/null
  node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).results;
    console.log("nsenter\t" + ((r[1].median - r[0].median) * 1e3).toFixed(2))' "$tmp/nsenter.json" >>"$meta"
fi
printf 'seconds\t%s\n' "$(($(date +%s) - t_start))" >>"$meta"

echo >&2
echo "== planner and seccomp compiler, in process" >&2
node --import tsx "$BENCH_ROOT/bench/planner.ts" >&2
node --import tsx "$BENCH_ROOT/bench/seccomp.ts" | tee "$results/seccomp.txt" >&2

echo >&2
node "$BENCH_ROOT/bench/report.mjs" "$results" "$meta"
