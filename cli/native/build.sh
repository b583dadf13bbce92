#!/bin/sh
# Builds planc's native front: ./build.sh [outdir]  (default: <repo>/build)
#   <outdir>/planc              the `planc` command: the hot verbs and create/run/exec without Node, the rest handed to bin/planc.cjs
#   <outdir>/test/planc-front-parse  test-only: the front's parser alone (test/unit/native-front.test.ts)
#   <outdir>/test/planc-trail   test-only driver of trail.c (test/unit/native-trail.test.ts): the front's modules
#                               but front.c, with trail.c's test hooks (-DPLANC_TRAIL_TEST)
# libcrypto is not linked: trail.c loads it (dlopen) only when a sign key is read.
# NODE: the node binary the front hands other command lines to (default: the one on PATH at build time).
set -eu
src=$(cd "$(dirname "$0")" && pwd)
out=${1:-$src/../../build}
node=${NODE:-$(command -v node)}
mkdir -p "$out/test"
obj=$(mktemp -d)
trap 'rm -rf "$obj"' EXIT
cc_() {
	${CC:-cc} -std=c11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -D_FORTIFY_SOURCE=2 -fstack-protector-strong "$@"
}
# The executor's msgpack reader, sha256 and hook runner, shared rather than copied.
shared="$src/../../executor/native/msgpack.c $src/../../executor/native/sha256.c $src/../../executor/native/hookrun.c"
# PLANC_VERSION and PLANC_SPEC_VERSION (scripts/build.mjs reads them from package.json and the planner, the
# sources of the CLI's own --version): what --version prints. Without them (or with anything but a plain
# version in them) the front hands --version to the CLI.
ver=${PLANC_VERSION:-} spec=${PLANC_SPEC_VERSION:-}
case "$ver/$spec" in
*[!0-9A-Za-z.+/-]* | /* | */) ver="" spec="" ;;
esac
# The embedded planner (cli/native/engine/build.sh, built first by scripts/build.mjs): create.c calls it.
engine="$out/engine/libplanc-engine.a"
[ -f "$engine" ] || { echo "cli/native/build.sh: $engine is missing: build cli/native/engine/build.sh first" >&2; exit 1; }
cc_ -I"$src/engine" -DPLANC_NODE="\"$node\"" -DPLANC_VERSION="\"$ver\"" -DPLANC_SPEC_VERSION="\"$spec\"" -o "$obj/planc" "$src"/*.c $shared "$engine" -lm -ldl
modules=$(ls "$src"/*.c | grep -v '/front\.c$' | grep -v '/create\.c$' | grep -v '/exec\.c$')
cc_ -DPLANC_TRAIL_TEST -o "$obj/planc-trail" "$src/test/trail-main.c" $modules $shared -ldl
mv "$obj/planc" "$out/planc"
mv "$obj/planc-trail" "$out/test/planc-trail"
# Test-only: the front's parser alone, printing what it would do (test/unit/native-front.test.ts).
cc_ -DPLANC_PARSE_DUMP -I"$src/engine" -DPLANC_NODE="\"$node\"" -DPLANC_VERSION="\"$ver\"" -DPLANC_SPEC_VERSION="\"$spec\"" -o "$out/test/planc-front-parse" "$src"/*.c $shared "$engine" -lm -ldl
# Test-only: the JSON writer's numbers (test/unit/native-json.test.ts).
cc_ -o "$out/test/planc-json" "$src/test/json-main.c" "$src/json.c" "$src/../../executor/native/msgpack.c"
