# Shared by bench/run.sh and bench/concurrency.sh (sourced, not run).
# Bundles are built from Debian's busybox-static by scripts/make-bundle.sh:
# nothing is pulled. planc gets `planc spec`'s config as written; runc and
# crun get a copy with an older ociVersion (runc 1.1.5 speaks 1.0.2-dev,
# crun 1.8 refuses >= 1.2) and an absolute root.path to the same rootfs.

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PLANC_JS=$BENCH_ROOT/bin/planc.cjs

bench_die() { echo "bench: $*" >&2; exit 1; }

bench_preflight() {
  [ "$(id -u)" = 0 ] || bench_die "run as root (containers need it)"
  local tool
  for tool in "$@"; do command -v "$tool" >/dev/null || bench_die "$tool is missing (apt-get install $tool)"; done
  if ! node "$PLANC_JS" --version >/dev/null 2>&1 || [ ! -x "$BENCH_ROOT/build/planc-exec" ]; then
    echo "bench: building planc" >&2
    (cd "$BENCH_ROOT" && node scripts/build.mjs) >&2
  fi
}

# bench_snapshot DIR: copy the built planc (bin, dist, build, package.json; node_modules
# linked) to DIR/planc and point PLANC_JS there, so a rebuild of the working tree
# during the benchmark cannot change or break what is being measured.
bench_snapshot() {
  local dst=$1/planc
  mkdir -p "$dst"
  cp -a "$BENCH_ROOT/bin" "$BENCH_ROOT/dist" "$BENCH_ROOT/build" "$BENCH_ROOT/package.json" "$dst/"
  ln -s "$BENCH_ROOT/node_modules" "$dst/node_modules"
  PLANC_JS=$dst/bin/planc.cjs
  node "$PLANC_JS" --version >/dev/null || bench_die "the copied planc does not start ($PLANC_JS)"
}

# bench_config SRC DST_DIR OCI_VERSION ROOTFS [ARGS...]: DST_DIR/config.json is SRC
# with ociVersion, root.path and (when given) process.args replaced, and no terminal.
bench_config() {
  local src=$1 dst=$2 version=$3 rootfs=$4
  shift 4
  mkdir -p "$dst"
  node -e '
    const fs = require("fs");
    const [src, dst, version, rootfs, ...args] = process.argv.slice(1);
    const c = JSON.parse(fs.readFileSync(src, "utf8"));
    c.ociVersion = version;
    c.root.path = rootfs;
    if (args.length) c.process.args = args;
    c.process.terminal = false; // spec asks for an interactive terminal; benchmarks run without one
    fs.writeFileSync(dst + "/config.json", JSON.stringify(c, null, "\t") + "\n");
  ' "$src" "$dst" "$version" "$rootfs" "$@"
}

# bench_bundles DIR NAME [ARGS...]: DIR/NAME/{planc,runc,crun}/config.json running ARGS,
# all on the one rootfs DIR/base/rootfs (made on first call).
bench_bundles() {
  local dir=$1 name=$2
  shift 2
  [ -d "$dir/base/rootfs" ] || bash "$BENCH_ROOT/scripts/make-bundle.sh" "$dir/base" >/dev/null
  local planc_version
  planc_version=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).ociVersion' "$dir/base/config.json")
  bench_config "$dir/base/config.json" "$dir/$name/planc" "$planc_version" "$dir/base/rootfs" "$@"
  bench_config "$dir/base/config.json" "$dir/$name/runc" 1.0.2-dev "$dir/base/rootfs" "$@"
  bench_config "$dir/base/config.json" "$dir/$name/crun" 1.0.2 "$dir/base/rootfs" "$@"
}

# bench_crun_probe DIR ROOT ID: set BENCH_CRUN_FLAGS to the crun global flags that
# can run DIR/true/crun here (maybe none), or fail with crun's complaint in BENCH_CRUN_WHY.
bench_crun_probe() {
  local dir=$1 root=$2 id=$3 flags out
  BENCH_CRUN_FLAGS="" BENCH_CRUN_WHY=""
  command -v crun >/dev/null || { BENCH_CRUN_WHY="crun is not installed"; return 1; }
  for flags in "" "--cgroup-manager=cgroupfs" "--cgroup-manager=disabled"; do
    # shellcheck disable=SC2086
    if out=$(crun $flags --root "$root" run --bundle "$dir/true/crun" "$id" 2>&1 </dev/null); then
      BENCH_CRUN_FLAGS=$flags
      return 0
    fi
    # shellcheck disable=SC2086
    crun $flags --root "$root" delete --force "$id" >/dev/null 2>&1 || true
    out=$(echo "$out" | tr '\n' ' ' | sed 's/ *$//')
    case "$BENCH_CRUN_WHY" in *"$out"*) ;; *) BENCH_CRUN_WHY="${BENCH_CRUN_WHY:+$BENCH_CRUN_WHY; }$out" ;; esac
  done
  local v2
  v2=$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null || true)
  BENCH_CRUN_WHY="$(crun --version | head -1) fails with every cgroup manager (default, cgroupfs, disabled): \"$BENCH_CRUN_WHY\"${v2:+ (this host is cgroup v1 hybrid with controller(s) \"$v2\" on the v2 hierarchy; crun would need them moved back to v1)}"
  return 1
}

# bench_cleanup_root RUNTIME_CMD ROOT: delete --force every container left in ROOT
# (a private --root this script made, so all of them are ours).
bench_cleanup_root() {
  local cmd=$1 root=$2 id
  [ -d "$root" ] || return 0
  for id in $(ls -A "$root" 2>/dev/null); do
    [ -d "$root/$id" ] || continue
    # shellcheck disable=SC2086
    $cmd --root "$root" delete --force "$id" >/dev/null 2>&1 || true
  done
}

# bench_finish TAG TMP RC: after the runtimes' deletes: report containers their delete
# left in our roots, kill and remove what is left in our cgroups, remove TMP if
# nothing is; print the exit status to use (RC, or 1 when cleanup was not clean).
bench_finish() {
  local tag=$1 tmp=$2 rc=$3 root left
  for root in "$tmp"/*-root; do
    [ -d "$root" ] || continue
    left=$(ls -A "$root")
    [ -z "$left" ] || { echo "bench: delete --force failed in $root for:" $left >&2; rc=1; }
  done
  bench_rm_cgroups "$tag"
  left=$(find /sys/fs/cgroup -maxdepth 6 -type d -name "$tag-*" 2>/dev/null || true)
  if [ -n "$left" ]; then
    echo "bench: could not remove these cgroups; keeping $tmp:" >&2
    echo "$left" >&2
    rc=1
  else
    rm -rf "$tmp"
  fi
  echo "$rc"
}

# bench_rm_cgroups TAG: last resort after the runtimes' own delete: SIGKILL what is
# still in cgroups named TAG-* and remove them (TAG holds our pid: they are ours).
bench_rm_cgroups() {
  local dir pid found=0
  for dir in $(find /sys/fs/cgroup -maxdepth 6 -type d -name "$1-*" 2>/dev/null); do
    for pid in $(cat "$dir/cgroup.procs" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; found=1; done
  done
  [ "$found" = 0 ] || sleep 0.5
  find /sys/fs/cgroup -maxdepth 6 -depth -type d -name "$1-*" -exec rmdir {} \; 2>/dev/null || true
}

# The EXIT trap both scripts use: delete every container of ours in each runtime's
# private root ($proot, $rroot, and $croot when $CRUN is set), then check nothing is left.
bench_cleanup_all() {
  local rc=$?
  bench_cleanup_root "$PLANC" "$proot"
  bench_cleanup_root runc "$rroot"
  [ -n "${CRUN:-}" ] && bench_cleanup_root "$CRUN" "$croot"
  exit "$(bench_finish "$tag" "$tmp" "$rc")"
}
