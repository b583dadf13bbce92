#!/bin/sh
# Measures the embedded planner (docs/performance.md "Planning without Node"):
# plans runc's default config (`planc spec`) with the driver build/test/planc-engine-plan
# from the snapshot and cold, checks each digest against `planc plan --digest`, times
# whole processes with hyperfine beside Node, then the time inside engine_plan_create
# (the driver's --timings, the first and only call of each process) and peak RSS.
#   node scripts/build.mjs && cli/native/engine/bench.sh [runs]
set -eu
src=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$src/../../.." && pwd)
drv=$root/build/test/planc-engine-plan
snap=$root/build/engine/planner.snapshot
runs=${1:-30}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bundle/rootfs"
(cd "$work/bundle" && node "$root/bin/planc.cjs" spec)
# `create` refuses runc's default terminal without --console-socket (runc's rule): the same config without it.
sed -i 's/"terminal": true/"terminal": false/' "$work/bundle/config.json"
want=$(node "$root/bin/planc.cjs" plan --bundle "$work/bundle" --digest)
echo "planc plan --digest: $want"
for how in "--snapshot $snap" --no-snapshot; do
	# shellcheck disable=SC2086 # $how is two words or one
	got=$("$drv" --bundle "$work/bundle" $how)
	[ "$got" = "$want" ] || { echo "digest differs: planc-engine-plan $how -> $got" >&2; exit 1; }
done
echo "planc-engine-plan: the same digest, from the snapshot and cold"
set -- "node -e 0" "node $root/bin/planc.cjs plan --bundle $work/bundle --digest" \
	"$drv --bundle $work/bundle --snapshot $snap" "$drv --bundle $work/bundle --no-snapshot"
hyperfine -N --warmup 3 --runs "$runs" "$@"
for how in "--snapshot $snap" --no-snapshot; do
	i=0
	while [ $i -lt "$runs" ]; do
		# shellcheck disable=SC2086
		"$drv" --bundle "$work/bundle" $how --timings 2>&1 >/dev/null | sed -n 's/.*engine_plan_create \([0-9.]*\) ms.*/\1/p'
		i=$((i + 1))
	done | sort -n | awk -v how="$how" '{ v[NR] = $1 } END { printf "inside engine_plan_create (%s): median %.2f ms, min %.2f, max %.2f over %d runs\n", how ~ /no-snapshot/ ? "cold" : "snapshot", v[int((NR + 1) / 2)], v[1], v[NR], NR }'
done
for cmd in "$@"; do
	printf '%s KiB peak RSS: %s\n' "$(/usr/bin/time -f %M $cmd 2>&1 >/dev/null | tail -1)" "$cmd"
done
