#!/bin/sh
# Prototype (issue 14, docs/performance.md "Planning without Node"): builds
# planc-engine, the planner run by QuickJS inside a native program.
#   ./build.sh [outdir]   (default: <repo>/build/engine)
# Needs Debian's wabt (wasm2c and its runtime) and node (to bundle the planner).
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
${CC:-cc} -std=c11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -I"$out" -c -o "$out/host.o" "$src/wasm2c-host.c"
${CC:-cc} -c -o "$out/planner-script.o" "$out/planner-script.S"
${CC:-cc} -o "$out/planc-engine" "$out/host.o" "$out/quickjs.o" "$out/wasm-rt-impl.o" "$out/planner-script.o" -lm
echo "build: $out/planc-engine"
