#!/bin/sh
# quickstart.sh - install what is missing, build, and run xmig's main job
# on the embedded simulated Xen host: a live migration of a 512 MiB
# domain that dirties 30 MB/s, from one simulated host to another, through
# a real xmigd on a loopback port, with progress, the final figures and
# the guest's own verdict on its memory.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/build"
"$top/scripts/setup.sh" "$build"

top_builddir="$build"
. "$top/bench/lib.sh"
# The simulated hosts keep their guests' memory in files: on a tmpfs it
# stays in memory (see XMIG_SIM_DIR in xmig(1)).
bench_work /dev/shm xmig-quickstart hostA hostB
bench_xmigd_conf 2G

echo "== $("$XMIG" --version | head -n 1): live migration on simulated hosts"
echo "== host B: xmigd on 127.0.0.1:$port ($dst)"
bench_xmigd

export XMIG_SIM_MEMORY=2G
echo "== host A: a 512 MiB domain dirtying 30 MB/s ($src)"
"$XMIG" --sim-dir "$src" sim create --name web1 --memory 512M \
    --dirty-rate 30M/s --working-set 128M > /dev/null
"$XMIG" --sim-dir "$src" list

echo "== xmig migrate web1 127.0.0.1:$port"
"$XMIG" --sim-dir "$src" -v migrate web1 "127.0.0.1:$port"
echo "== host A after the move:"
"$XMIG" --sim-dir "$src" list
echo "== host B:"
"$XMIG" --sim-dir "$dst" list
echo "== the guest's own verdict on its memory, on host B:"
"$XMIG" --sim-dir "$dst" sim check web1
