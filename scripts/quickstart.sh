#!/bin/sh
# quickstart.sh - install what is missing, build, and run xmig's main job
# on the embedded simulated Xen host.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/build"
"$top/scripts/setup.sh" "$build"

xmig="$build/cli/xmig"
xmigd="$build/daemon/xmigd"

echo
echo "== xmig $("$xmig" --version | head -n 1)"
"$xmig" help
echo
echo "== xmigd configuration check"
"$xmigd" -n -c "$top/dist/xmigd.conf"
