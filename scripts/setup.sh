#!/usr/bin/env bash
# Install what planc and its tests need on a bare Debian machine, as root:
# a C compiler for the native executor and front (libssl3: the front loads its
# libcrypto.so.3 to sign audit trails; no headers needed), busybox-static for example rootfs,
# runc/crun/hyperfine to compare against, podman (+ conmon) and containerd (+ ctr)
# for the engine tests, wabt (wasm2c and its runtime) for the planner the
# front embeds (cli/native/engine/build.sh), then the npm dependencies (whose
# prepare step builds dist/, build/planc-exec, build/planc and build/engine/).
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
for pkg in gcc libc6-dev libssl3 busybox-static runc crun hyperfine iproute2 strace chromium python3-seccomp libseccomp-dev golang-github-containers-common util-linux umoci skopeo uidmap zstd python3 tmux podman conmon containerd wabt; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
# `npm install` with the committed lock, not `npm ci`: this registry serves only some of
# msgpackr's optional native packages, and npm ci insists the lock lists them all.
npm install --no-audit --no-fund
node scripts/build.mjs
