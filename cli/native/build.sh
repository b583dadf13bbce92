#!/bin/sh
# Builds planc's native front: ./build.sh [outdir]  (default: <repo>/build)
#   <outdir>/planc   the `planc` command: the hot verbs without Node, the rest handed to bin/planc.cjs
# NODE: the node binary the front hands other command lines to (default: the one on PATH at build time).
set -eu
src=$(cd "$(dirname "$0")" && pwd)
out=${1:-$src/../../build}
node=${NODE:-$(command -v node)}
mkdir -p "$out"
obj=$(mktemp -d)
trap 'rm -rf "$obj"' EXIT
cc_() {
	${CC:-cc} -std=c11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -D_FORTIFY_SOURCE=2 -fstack-protector-strong "$@"
}
# The executor's msgpack reader and sha256, shared rather than copied.
shared="$src/../../executor/native/msgpack.c $src/../../executor/native/sha256.c"
cc_ -DPLANC_NODE="\"$node\"" -o "$obj/planc" "$src"/*.c $shared -lcrypto
mv "$obj/planc" "$out/planc"
# Test-only: the front's parser alone, printing what it would do (test/unit/native-front.test.ts).
mkdir -p "$out/test"
cc_ -DPLANC_PARSE_DUMP -DPLANC_NODE="\"$node\"" -o "$out/test/planc-front-parse" "$src"/*.c $shared -lcrypto
