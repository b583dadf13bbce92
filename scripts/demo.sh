#!/usr/bin/env bash
# planc's main job on a built-in example: build a busybox bundle, show what
# creating it will do (explain), run it, and check the run's audit against its plan.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bash "$here/scripts/setup.sh"
bundle=$(mktemp -d /tmp/planc-demo.XXXXXX)
bash "$here/scripts/make-bundle.sh" "$bundle" sh -c 'echo "hello from $(hostname): pid $$, uid $(id -u)"; grep -E "^(CapEff|NoNewPrivs)" /proc/self/status; echo "memory limit: $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"'
node -e '
  const fs = require("fs"); const f = process.argv[1]; const c = JSON.parse(fs.readFileSync(f, "utf8"));
  c.linux.resources.memory = { limit: 67108864 }; c.linux.resources.pids = { limit: 32 };
  fs.writeFileSync(f, JSON.stringify(c, null, "\t"));' "$bundle/config.json"
# The planc command: the native front (build/planc), which runs the CLI for what it does not serve itself.
planc="$here/bin/planc"
echo "== planc explain --run (what the container will do to this host) =="
$planc explain --run --bundle "$bundle"
echo
echo "== planc run (the container's own output) =="
status=0
$planc run --bundle "$bundle" "demo-$$" || status=$?
echo "container exit status: $status"
echo
echo "== planc create + start, then planc audit (the trail checked against the plan), delete, and audit again (the trail stays) =="
root=$(mktemp -d /tmp/planc-demo-root.XXXXXX)
$planc --root "$root" create --bundle "$bundle" "demo-audit-$$"
$planc --root "$root" start "demo-audit-$$"
$planc --root "$root" audit "demo-audit-$$"
$planc --root "$root" delete --force "demo-audit-$$"
$planc --root "$root" audit "demo-audit-$$"
rm -rf "$bundle" "$root"
exit "$status"
