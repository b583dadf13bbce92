#!/bin/sh
# Builds planc-exec: ./build.sh [outdir]  (default: <repo>/build)
#   <outdir>/planc-exec             the executor planc installs and runs
#   <outdir>/test/planc-exec-*      test-only variants (fault injection, deliberately
#                                   weakened protections); never run by planc itself,
#                                   only by the integration tests that name them
set -eu
src=$(cd "$(dirname "$0")" && pwd)
out=${1:-$src/../../build}

# The op table and the capability, rlimit, namespace and mount-flag tables
# (tables.generated.{h,c}) come from schemas/: regenerate them first, so a
# build never compiles a copy older than what the planner reads.
# tables.generated.c then checks each number against this host's headers.
node "$src/../../scripts/gen-tables.mjs"
mkdir -p "$out/test"
obj=$(mktemp -d)
trap 'rm -rf "$obj"' EXIT

# name:macro of the test variants. Each weak-* variant loses exactly one
# protection; test/integration/escapes.test.ts shows the attack it stops
# succeeding against it.
variants="faults:PLANC_FAULTS
weak-proc:PLANC_WEAKEN_PROC
weak-exe:PLANC_WEAKEN_EXE
weak-resolve:PLANC_WEAKEN_RESOLVE
weak-fds:PLANC_WEAKEN_FDS
weak-fscheck:PLANC_WEAKEN_FSCHECK
weak-devices:PLANC_WEAKEN_DEVICES"

cc_() {
	${CC:-cc} -std=c11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -D_FORTIFY_SOURCE=2 -fstack-protector-strong "$@"
}

# As many compilers at once as there are CPUs.
jobs=$(nproc 2>/dev/null || echo 2)
pids=""
bg() {
	"$@" &
	pids="$pids $!"
	[ "$(echo $pids | wc -w)" -lt "$jobs" ] || wait_all
}
wait_all() {
	for p in $pids; do wait "$p"; done
	pids=""
}

# The installed executor, from objects the variants reuse.
mkdir "$obj/base"
for f in "$src"/*.c; do
	bg cc_ -c -o "$obj/base/$(basename "$f" .c).o" "$f"
done
wait_all
cc_ -o "$out/planc-exec" "$obj"/base/*.o
# Test-only: the executor's sha256 over stdin (test/unit/sha256.test.ts).
cc_ -o "$out/test/planc-sha256" "$src/test/sha256-main.c" "$obj/base/sha256.o"

# A variant recompiles only the sources its macro appears in (all of them if a
# header uses it) and links them with the installed executor's other objects.
for v in $variants; do
	name=${v%%:*} macro=${v#*:}
	mkdir "$obj/$name"
	cp "$obj"/base/*.o "$obj/$name/"
	if grep -q "$macro" "$src"/*.h; then files=$(ls "$src"/*.c); else files=$(grep -l "$macro" "$src"/*.c || true); fi
	[ -n "$files" ] || { echo "build.sh: $macro is used nowhere" >&2; exit 1; }
	for f in $files; do
		bg cc_ -D"$macro" -c -o "$obj/$name/$(basename "$f" .c).o" "$f"
	done
done
wait_all
for v in $variants; do
	name=${v%%:*}
	bg cc_ -o "$out/test/planc-exec-$name" "$obj/$name"/*.o
done
wait_all
