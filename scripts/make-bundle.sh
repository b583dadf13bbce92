#!/usr/bin/env bash
# Build an OCI bundle from Debian's busybox-static: DIR/rootfs (busybox and
# its applet links) and DIR/config.json (`planc spec`, args set to the rest
# of the command line). No image pulls: the rootfs is one static binary.
# Without ARGS the config is `planc spec`'s own: an interactive sh on a
# terminal. With ARGS the command runs without one (terminal: false), its
# output going to planc's own stdout, so it can be created and piped.
set -euo pipefail
dir=${1:?usage: make-bundle.sh DIR [ARGS...]}
shift
busybox=/bin/busybox
[ -x "$busybox" ] || { echo "make-bundle.sh: $busybox is missing: apt-get install busybox-static" >&2; exit 1; }
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$dir/rootfs/bin" "$dir/rootfs"/{proc,sys,dev,etc,tmp,root}
cp "$busybox" "$dir/rootfs/bin/busybox"
# Relative links: `busybox --install` would point them at this host's path.
for applet in $("$busybox" --list); do [ "$applet" = busybox ] || ln -sf busybox "$dir/rootfs/bin/$applet"; done
echo 'root:x:0:0:root:/root:/bin/sh' > "$dir/rootfs/etc/passwd"
echo 'root:x:0:' > "$dir/rootfs/etc/group"
rm -f "$dir/config.json"
node "$here/bin/planc.cjs" spec --bundle "$dir"
if [ $# -gt 0 ]; then
  node -e '
    const fs = require("fs"); const [file, ...args] = process.argv.slice(1);
    const c = JSON.parse(fs.readFileSync(file, "utf8")); c.process.args = args; c.process.terminal = false;
    fs.writeFileSync(file, JSON.stringify(c, null, "\t") + "\n");' "$dir/config.json" "$@"
fi
