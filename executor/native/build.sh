#!/bin/sh
# Builds planc-exec: ./build.sh [outdir]  (default: <repo>/build)
set -eu
src=$(cd "$(dirname "$0")" && pwd)
out=${1:-$src/../../build}
mkdir -p "$out"
${CC:-cc} -std=c11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -D_FORTIFY_SOURCE=2 \
	-fstack-protector-strong -o "$out/planc-exec" "$src"/*.c
