#!/usr/bin/env bash
# Install what planc and its tests need on a bare Debian machine, as root:
# a C compiler for the native executor, busybox-static for example rootfs,
# runc/crun/hyperfine to compare against, then the npm dependencies (whose
# prepare step builds dist/ and build/planc-exec).
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
for pkg in gcc libc6-dev busybox-static runc crun hyperfine iproute2; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
node scripts/build.mjs
