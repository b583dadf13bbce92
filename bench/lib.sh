# Shared by bench/run.sh and bench/unpack.sh (sourced, not run).
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
  # Containers mount in their own namespaces; a mount of ours left in the host's
  # (a rootfs, a bind of a state dir) would show up under TMP here.
  left=$(awk -v t="$tmp" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
  if [ -n "$left" ]; then
    echo "bench: mounts left under $tmp (unmounting):" $left >&2
    for root in $left; do umount -l "$root" 2>/dev/null || true; done
    rc=1
  fi
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
  # a frozen task does not die of SIGKILL until thawed (a run stopped during pause/resume)
  for dir in $(find /sys/fs/cgroup/freezer -maxdepth 6 -type d -name "$1-*" 2>/dev/null); do
    echo THAWED >"$dir/freezer.state" 2>/dev/null || true
  done
  for dir in $(find /sys/fs/cgroup -maxdepth 6 -type d -name "$1-*" 2>/dev/null); do
    for pid in $(cat "$dir/cgroup.procs" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; found=1; done
  done
  [ "$found" = 0 ] || sleep 0.5
  find /sys/fs/cgroup -maxdepth 6 -depth -type d -name "$1-*" -exec rmdir {} \; 2>/dev/null || true
}


# bench_crun DIR ROOT ID: set CRUN to the command that runs crun here and CRUN_HOW
# to a sentence saying how, or CRUN="" and CRUN_HOW to why crun is left out.
# crun 1.8 refuses any cgroup v1 host that also has a controller on the v2 mount
# (/sys/fs/cgroup/unified; "cgroups in hybrid mode not supported, drop all
# controllers from cgroupv2"), whatever --cgroup-manager says: it looks at the
# mount table before anything else. runc and planc use the v1 controllers there.
# So crun runs in a mount namespace of its own that is the host's minus that one
# cgroup2 mount: crun then sees plain cgroup v1 and uses the same v1 hierarchies
# as runc. The namespace is held by a sleeper (BENCH_CRUN_HOLDER, which exits
# with this script) and each crun call enters it with nsenter.
bench_crun() {
  local dir=$1 root=$2 id=$3 out i
  CRUN="" CRUN_HOW="" BENCH_CRUN_HOLDER=""
  command -v crun >/dev/null || { CRUN_HOW="crun is not installed"; return 0; }
  if out=$(crun --root "$root" run --bundle "$dir/true/crun" "$id" 2>&1 </dev/null); then
    CRUN=crun CRUN_HOW="$(crun --version | head -1), run as is"
    return 0
  fi
  crun --root "$root" delete --force "$id" >/dev/null 2>&1 || true
  case "$out" in
    *"hybrid mode not supported"*) ;;
    *) CRUN_HOW="crun fails here: $(echo "$out" | tr '\n' ' ')"; return 0 ;;
  esac
  # the sleeper exits within a second of this script, however it ends
  unshare --mount --propagation private sh -c \
    "umount /sys/fs/cgroup/unified && : >$dir/crun-ns.ready && while kill -0 $$ 2>/dev/null; do sleep 1; done" </dev/null >/dev/null 2>&1 &
  BENCH_CRUN_HOLDER=$!
  for i in $(seq 1 100); do [ -e "$dir/crun-ns.ready" ] && break; sleep 0.05; done
  [ -e "$dir/crun-ns.ready" ] || { CRUN_HOW="could not make a mount namespace without /sys/fs/cgroup/unified for crun"; return 0; }
  if out=$(nsenter -t "$BENCH_CRUN_HOLDER" -m crun --root "$root" run --bundle "$dir/true/crun" "$id" 2>&1 </dev/null); then
    CRUN="nsenter -t $BENCH_CRUN_HOLDER -m crun"
    CRUN_HOW="$(crun --version | head -1) refuses this cgroup v1 host with $(cat /sys/fs/cgroup/unified/cgroup.controllers) on the v2 mount (\"hybrid mode not supported\", with every --cgroup-manager); it ran as \`nsenter -t HOLDER -m crun\`, HOLDER a process in a mount namespace made by \`unshare --mount --propagation private\` with /sys/fs/cgroup/unified unmounted, so crun sees plain cgroup v1 (the same v1 hierarchies runc uses; runc also joins the v2 one). Bundles say ociVersion 1.0.2 (crun 1.8 refuses 1.2). All paths absolute (nsenter -m leaves the cwd)."
  else
    nsenter -t "$BENCH_CRUN_HOLDER" -m crun --root "$root" delete --force "$id" >/dev/null 2>&1 || true
    CRUN_HOW="crun fails here even without /sys/fs/cgroup/unified: $(echo "$out" | tr '\n' ' ')"
  fi
}
