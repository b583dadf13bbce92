#!/bin/sh
# One sample of the concurrent shape: N jobs at once, each `create && start &&
# delete --force` of its own container (ids PREFIX-1 … PREFIX-N), and return
# when every job has. Timed by hyperfine from bench/run.sh, so it is plain sh
# (dash) and forks nothing but the jobs: the same overhead for every runtime.
# RUNTIME is the runtime's command (e.g. `runc`, `node /x/bin/planc.cjs`); when
# it is `node -e 0`, each job runs `node -e 0` three times instead: the Node
# floor of the shape. Exits 1 (and hyperfine stops) if any job failed.
# usage: burst.sh N ROOT BUNDLE PREFIX RUNTIME...
n=$1 root=$2 bundle=$3 prefix=$4
shift 4
i=1 pids=
while [ "$i" -le "$n" ]; do
  if [ "$*" = "node -e 0" ]; then
    ("$@" && "$@" && "$@") &
  else
    ("$@" --root "$root" create --bundle "$bundle" "$prefix-$i" </dev/null >/dev/null &&
      "$@" --root "$root" start "$prefix-$i" &&
      "$@" --root "$root" delete --force "$prefix-$i") &
  fi
  pids="$pids $!"
  i=$((i + 1))
done
failed=0
for p in $pids; do wait "$p" || failed=$((failed + 1)); done
[ "$failed" = 0 ] || { echo "burst.sh: $failed of $n jobs failed" >&2; exit 1; }
