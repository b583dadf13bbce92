#!/bin/sh
# Builds planc-exec: ./build.sh [outdir]  (default: <repo>/build)
#   <outdir>/planc-exec             the executor planc installs and runs
#   <outdir>/test/planc-exec-*      test-only variants (fault injection, deliberately
#                                   weakened protections); never run by planc itself,
#                                   only by the integration tests that name them
set -eu
src=$(cd "$(dirname "$0")" && pwd)
out=${1:-$src/../../build}
mkdir -p "$out/test"

cc_exec() { # <output> [extra cc flags...]
	o=$1
	shift
	${CC:-cc} -std=c11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -D_FORTIFY_SOURCE=2 \
		-fstack-protector-strong "$@" -o "$o" "$src"/*.c
}

# name:flags of the test variants (cc flags separated by commas)
variants="faults:-DPLANC_FAULTS weak-proc:-DPLANC_WEAKEN_PROC"

cc_exec "$out/planc-exec" &
pids=$!
for v in $variants; do
	cc_exec "$out/test/planc-exec-${v%%:*}" $(echo "${v#*:}" | tr , ' ') &
	pids="$pids $!"
done
for p in $pids; do
	wait "$p"
done
