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

xmig="$build/cli/xmig"
xmigd="$build/daemon/xmigd"
# The simulated hosts keep their guests' memory in files: on a tmpfs it
# stays in memory (see XMIG_SIM_DIR in xmig(1)).
shm=/dev/shm
[ -d "$shm" ] && [ -w "$shm" ] || shm=/tmp
work=$(mktemp -d "$shm/xmig-quickstart.XXXXXX")
src="$work/hostA"
dst="$work/hostB"
xmigd_pid=""

cleanup() {
	[ -n "$xmigd_pid" ] && kill "$xmigd_pid" 2>/dev/null
	for h in "$src" "$dst"; do
		"$xmig" --sim-dir "$h" sim stop >/dev/null 2>&1 || :
	done
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

port=$(/usr/bin/python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$work/xmigd.conf" <<CONF
relocation-address = 127.0.0.1
relocation-port = $port
backend = sim
sim-dir = $dst
sim-memory = 2G
control-socket = $work/xmigd.sock
CONF

echo "== $("$xmig" --version | head -n 1): live migration on simulated hosts"
echo "== host B: xmigd on 127.0.0.1:$port ($dst)"
"$xmigd" -f -c "$work/xmigd.conf" > "$work/xmigd.log" 2>&1 &
xmigd_pid=$!
i=0
until grep -q "ready: listening" "$work/xmigd.log"; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$xmigd_pid" 2>/dev/null; then
		cat "$work/xmigd.log"
		exit 1
	fi
	sleep 0.1
done

export XMIG_SIM_MEMORY=2G
echo "== host A: a 512 MiB domain dirtying 30 MB/s ($src)"
"$xmig" --sim-dir "$src" sim create --name web1 --memory 512M \
    --dirty-rate 30M/s --working-set 128M > /dev/null
"$xmig" --sim-dir "$src" list

echo "== xmig migrate web1 127.0.0.1:$port"
"$xmig" --sim-dir "$src" -v migrate web1 "127.0.0.1:$port"
echo "== host A after the move:"
"$xmig" --sim-dir "$src" list
echo "== host B:"
"$xmig" --sim-dir "$dst" list
echo "== the guest's own verdict on its memory, on host B:"
"$xmig" --sim-dir "$dst" sim check web1
