#!/usr/bin/env bash
# The cost of moving a fresh process into its cgroup v1 hierarchies, three
# ways (bench/cgroup-join.c): the figures behind docs/cgroups.md's "How the
# init joins its cgroups". Usage (as root): bash bench/cgroup-join.sh [ROUNDS] [PAUSE_MS]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_preflight gcc
rounds=${1:-15} pause=${2:-300}
tmp=$(mktemp -d /tmp/planc-cgjoin.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
gcc -O2 -Wall -o "$tmp/cgroup-join" "$BENCH_ROOT/bench/cgroup-join.c"
# Every mounted v1 hierarchy, as planc's plans name them (one directory each).
mapfile -t hier < <(awk '$3 == "cgroup" { print $2 }' /proc/self/mounts | sort -u)
[ "${#hier[@]}" -gt 0 ] || bench_die "no cgroup v1 hierarchy is mounted here"
"$tmp/cgroup-join" "$rounds" "$pause" "${hier[@]}"
