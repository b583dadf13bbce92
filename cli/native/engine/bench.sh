#!/bin/sh
# Measures the prototype engines (docs/performance.md "Planning without Node"):
# plans runc's default config (`planc spec`) with each, checks every digest
# against the in-process planner's, and times whole processes with hyperfine.
#   cli/native/engine/build.sh && cli/native/engine/bench.sh [runs]
set -eu
src=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$src/../../.." && pwd)
eng=$root/build/engine
runs=${1:-30}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bundle/rootfs"
(cd "$work/bundle" && node "$root/bin/planc.cjs" spec)
node --import tsx "$src/facts.ts" "$work/bundle" >"$work/facts.json"
opts="{\"configFile\":\"$work/bundle/config.json\"}"
want=$(node "$root/bin/planc.cjs" plan --bundle "$work/bundle" --digest)
echo "in-process planner: $want"

set -- "node -e 0" "node $root/bin/planc.cjs plan --bundle $work/bundle --digest" \
	"$eng/planc-engine $work/bundle/config.json $work/facts.json '$opts'" \
	"env PLANC_ENGINE_SNAPSHOT=$eng/planner.snapshot $eng/planc-engine $work/bundle/config.json $work/facts.json '$opts'"
if [ -x "$eng/planc-engine-jsc" ]; then
	set -- "$@" "$eng/planc-engine-jsc $eng/planner.js $work/bundle/config.json $work/facts.json '$opts'"
fi
if [ -x "$eng/planc-engine-mozjs" ]; then
	"$eng/planc-engine-mozjs" "$eng/planner.js" --save-stencil "$work/lazy.stencil"
	"$eng/planc-engine-mozjs" "$eng/planner.js" --save-stencil "$work/eager.stencil" --eager
	set -- "$@" "$eng/planc-engine-mozjs $eng/planner.js $work/bundle/config.json $work/facts.json '$opts'" \
		"env PLANC_ENGINE_STENCIL=$work/lazy.stencil $eng/planc-engine-mozjs $eng/planner.js $work/bundle/config.json $work/facts.json '$opts'" \
		"env PLANC_ENGINE_STENCIL=$work/eager.stencil $eng/planc-engine-mozjs $eng/planner.js $work/bundle/config.json $work/facts.json '$opts' --eager"
fi
# Every engine must print the in-process planner's digest before it is timed.
for cmd in "$@"; do
	case $cmd in node\ -e\ 0) continue ;; esac
	got=$(eval "$cmd")
	[ "$got" = "$want" ] || { echo "digest differs: $cmd -> $got" >&2; exit 1; }
	echo "same digest: ${cmd%% $work/bundle/config.json*}"
done
hyperfine -N --warmup 3 --runs "$runs" --export-json "$eng/bench.json" "$@"
for cmd in "$@"; do
	# Peak RSS of one run, in KiB.
	printf '%s KiB peak RSS: %s\n' "$(eval "/usr/bin/time -f %M $cmd" 2>&1 >/dev/null | tail -1)" "${cmd%% $work/bundle/config.json*}"
done
