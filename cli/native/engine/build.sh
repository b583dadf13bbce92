#!/bin/sh
# Builds the embedded planner (engine.h, docs/performance.md "Planning without Node"):
#   ./build.sh [outdir]   (default: <repo>/build)
#   <outdir>/engine/libplanc-engine.a    what the native front links: engine.c, QuickJS in C
#                                        (wasm2c of the npm package's emscripten-module.wasm,
#                                        unchanged), wasm2c's runtime, the planner script
#                                        link: <outdir>/engine/libplanc-engine.a -lm
#   <outdir>/engine/planner.snapshot     the engine with the planner evaluated (engine.c load_snapshot)
#   <outdir>/test/planc-engine-plan      test/bench driver (plan-main.c)
# Needs Debian's wabt (wasm2c and its runtime; scripts/setup.sh installs it) and node (to
# bundle cli/native/engine/entry.ts). QuickJS's C is compiled again only when the module
# changes: it is most of the time (about 20 s), the rest takes a second.
set -eu
src=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$src/../../.." && pwd)
out=${1:-$root/build}
eng=$out/engine
node=${NODE:-node}
mkdir -p "$eng" "$out/test"
rt=/usr/share/wabt/wasm2c
wasm=$("$node" -p "require.resolve('@jitl/quickjs-wasmfile-release-sync/wasm', { paths: ['$root'] })")
engine_sha=$(sha256sum "$wasm" | cut -d' ' -f1)
# wasm2c's output and runtime are generated/third-party C: built without -Werror.
if [ ! -f "$eng/quickjs.o" ] || [ ! -f "$eng/quickjs.h" ] || [ "$(cat "$eng/quickjs.sha256" 2>/dev/null)" != "$engine_sha" ]; then
	rm -f "$eng/quickjs.sha256"
	wasm2c "$wasm" -n quickjs -o "$eng/quickjs.c"
	${CC:-cc} -std=c11 -O2 -I"$rt" -c -o "$eng/quickjs.o" "$eng/quickjs.c"
	rm "$eng/quickjs.c"
	echo "$engine_sha" >"$eng/quickjs.sha256"
fi
${CC:-cc} -std=c11 -O2 -D_GNU_SOURCE -c -o "$eng/wasm-rt-impl.o" "$rt/wasm-rt-impl.c"
# The planner script, linked in: its hash ties a snapshot to it.
"$node" "$root/scripts/build-wasm.mjs" --engine-js "$eng/planner.js"
script_sha=$(sha256sum "$eng/planner.js" | cut -d' ' -f1)
printf '\t.section .rodata\n\t.globl planc_planner_script\nplanc_planner_script:\n\t.incbin "%s"\n\t.globl planc_planner_script_end\nplanc_planner_script_end:\n\t.byte 0\n\t.section .note.GNU-stack,"",@progbits\n' "$eng/planner.js" >"$eng/planner-script.S"
${CC:-cc} -c -o "$eng/planner-script.o" "$eng/planner-script.S"
cc_() {
	${CC:-cc} -std=c11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -D_FORTIFY_SOURCE=2 -fstack-protector-strong "$@"
}
cc_ -DENGINE_SHA256="\"$engine_sha\"" -DSCRIPT_SHA256="\"$script_sha\"" -I"$eng" -I"$rt" -c -o "$eng/engine.o" "$src/engine.c"
rm -f "$eng/libplanc-engine.a.tmp"
ar rcs "$eng/libplanc-engine.a.tmp" "$eng/engine.o" "$eng/quickjs.o" "$eng/wasm-rt-impl.o" "$eng/planner-script.o"
mv "$eng/libplanc-engine.a.tmp" "$eng/libplanc-engine.a"
cc_ -I"$src" -I"$root/executor/native" -o "$out/test/planc-engine-plan" "$src/plan-main.c" "$root/executor/native/sha256.c" "$eng/libplanc-engine.a" -lm
# The snapshot: the state of an engine that evaluated this script (and planned nothing: host facts are the run's).
"$out/test/planc-engine-plan" --save-snapshot "$eng/planner.snapshot"
