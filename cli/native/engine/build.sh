#!/bin/sh
# Prototype (issue 14, docs/performance.md "Planning without Node"): builds
# planc-engine, the planner run by QuickJS inside a native program.
#   ./build.sh [outdir]   (default: <repo>/build/engine)
# Needs Debian's wabt (wasm2c and its runtime) and node (to bundle the planner);
# also builds the JavaScriptCore and SpiderMonkey hosts it was compared with
# when libjavascriptcoregtk-4.1-dev / libmozjs-102-dev are installed.
# Not part of scripts/build.mjs: it is a measurement prototype.
set -eu
src=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$src/../../.." && pwd)
out=${1:-$root/build/engine}
mkdir -p "$out"

# The engine: the npm package's emscripten-module.wasm, unchanged, to C.
wasm=$(node -p "require.resolve('@jitl/quickjs-wasmfile-release-sync/wasm', { paths: ['$root'] })")
wasm2c "$wasm" -n quickjs -o "$out/quickjs.c"
# The planner script, the same text as dist/planner.wasm's planc.planner section.
node "$root/scripts/build-wasm.mjs" --out "$out/planner.wasm" --emit-js "$out/planner.js" --quiet
printf '\t.section .rodata\n\t.globl planc_planner_script\nplanc_planner_script:\n\t.incbin "%s"\n\t.globl planc_planner_script_end\nplanc_planner_script_end:\n\t.byte 0\n\t.section .note.GNU-stack,"",@progbits\n' "$out/planner.js" >"$out/planner-script.S"

rt=/usr/share/wabt/wasm2c
# wasm2c's output and runtime are generated/third-party C: built without -Werror.
${CC:-cc} -std=c11 -O2 -I"$rt" -I/usr/include -c -o "$out/quickjs.o" "$out/quickjs.c"
${CC:-cc} -std=c11 -O2 -D_GNU_SOURCE -c -o "$out/wasm-rt-impl.o" "$rt/wasm-rt-impl.c"
engine_sha=$(sha256sum "$wasm" | cut -d' ' -f1)
${CC:-cc} -std=c11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -DENGINE_SHA256="\"$engine_sha\"" -I"$out" -c -o "$out/host.o" "$src/wasm2c-host.c"
${CC:-cc} -c -o "$out/planner-script.o" "$out/planner-script.S"
${CC:-cc} -o "$out/planc-engine" "$out/host.o" "$out/quickjs.o" "$out/wasm-rt-impl.o" "$out/planner-script.o" -lm
# The engine with the planner evaluated, saved once: a run maps it instead of
# starting QuickJS and evaluating the planner (PLANC_ENGINE_SNAPSHOT).
PLANC_ENGINE_SNAPSHOT="$out/planner.snapshot" "$out/planc-engine" --save-snapshot
echo "build: $out/planc-engine, $out/planner.snapshot"

# The engines it was measured against, where their Debian -dev packages are installed.
if pkg-config --exists javascriptcoregtk-4.1; then
	# shellcheck disable=SC2046 # pkg-config's flags are several words
	${CC:-cc} -std=c11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE $(pkg-config --cflags javascriptcoregtk-4.1) -o "$out/planc-engine-jsc" "$src/jsc-host.c" $(pkg-config --libs javascriptcoregtk-4.1)
	echo "build: $out/planc-engine-jsc"
fi
if pkg-config --exists mozjs-102; then
	# shellcheck disable=SC2046
	${CXX:-c++} -std=c++17 -O2 -Wall -Wextra -Werror $(pkg-config --cflags mozjs-102) -o "$out/planc-engine-mozjs" "$src/mozjs-host.cpp" $(pkg-config --libs mozjs-102)
	echo "build: $out/planc-engine-mozjs"
fi
