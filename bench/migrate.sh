#!/bin/sh
# migrate.sh - live migration between two simulated hosts over loopback,
# through a real xmigd, next to the loopback TCP throughput iperf3
# measures in the same run.  Prints, per case: total time, downtime,
# bytes sent, throughput and its ratio to iperf3's figure, and the peak
# private memory (RssAnon) of xmig and of the receiving worker, for two
# guest sizes, to show it does not grow with the guest.
#
#   bench/migrate.sh            (from a build directory, or set
#                                top_builddir and top_srcdir; BENCH_DIR
#                                holds the simulated hosts, default /tmp)
# Cases: a 1 GiB warm-up (see below); 1 GiB idle with incompressible
# contents; 1 GiB dirtying 100 MB/s; 256 MiB idle (for the memory
# comparison).
# Targets: idle throughput >= 80% of iperf3's; downtime < 50 ms while
# dirtying 100 MB/s.
set -eu
top_builddir=${top_builddir:-$(pwd)}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
XMIG="$top_builddir/cli/xmig"
XMIGD="$top_builddir/daemon/xmigd"
PY=/usr/bin/python3
work=$(mktemp -d "${BENCH_DIR:-/tmp}/xmig-bench.XXXXXX")
src="$work/a"
dst="$work/b"
xd=""
cleanup() {
	[ -n "$xd" ] && kill "$xd" 2>/dev/null
	for h in "$src" "$dst"; do
		"$XMIG" --sim-dir "$h" sim stop >/dev/null 2>&1 || :
	done
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
command -v iperf3 >/dev/null || { echo "iperf3 is needed (apt-get install iperf3)"; exit 1; }

free_port() {
	$PY -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Loopback TCP throughput, one stream, as the migration uses one.
iperf_gbps() {
	p=$(free_port)
	timeout 60 iperf3 -s -1 -B 127.0.0.1 -p "$p" > /dev/null 2>&1 &
	s=$!
	i=0
	until timeout 30 iperf3 -c 127.0.0.1 -p "$p" -t 4 -J \
	    > "$work/iperf.json" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 50 ] && break; sleep 0.1
	done
	wait "$s" 2>/dev/null || :
	$PY -c 'import json, sys
j = json.load(open(sys.argv[1]))
print("%.0f" % (j["end"]["sum_received"]["bits_per_second"] / 1e6))' \
	    "$work/iperf.json"
}

port=$(free_port)
cat > "$work/xmigd.conf" <<CONF
relocation-address = 127.0.0.1
relocation-port = $port
backend = sim
sim-dir = $dst
sim-memory = 8G
control-socket = $work/ctl.sock
CONF
"$XMIGD" -f -c "$work/xmigd.conf" > "$work/xmigd.log" 2>&1 &
xd=$!
i=0
until grep -q "ready: listening" "$work/xmigd.log"; do
	i=$((i + 1)); [ $i -gt 100 ] && { cat "$work/xmigd.log"; exit 1; }
	sleep 0.1
done
export XMIG_SIM_MEMORY=8G

# Sample the peak RssAnon (kB) of xmigd's workers until stopped.
watch_workers() {
	peak=0
	while [ ! -e "$work/stop" ]; do
		for c in $(pgrep -P "$xd" 2>/dev/null); do
			r=$(awk '/^RssAnon/ { print $2 }' "/proc/$c/status" \
			    2>/dev/null || echo 0)
			[ -n "$r" ] && [ "$r" -gt "$peak" ] && peak=$r
		done
		echo "$peak" > "$work/worker.peak"
		sleep 0.02
	done
}

# run NAME SIZE RATE: migrate a fresh domain, print one line of figures.
run() {
	"$XMIG" --sim-dir "$src" sim create --name "$1" --memory "$2" \
	    --dirty-rate "$3" > /dev/null
	rm -f "$work/stop"
	watch_workers &
	w=$!
	# xmig's own peak: sampled the same way.
	"$XMIG" --sim-dir "$src" --json migrate "$1" "127.0.0.1:$port" \
	    > "$work/$1.json" 2>"$work/$1.err" &
	m=$!
	peak=0
	while kill -0 "$m" 2>/dev/null; do
		r=$(awk '/^RssAnon/ { print $2 }' "/proc/$m/status" \
		    2>/dev/null || echo 0)
		[ -n "$r" ] && [ "$r" -gt "$peak" ] && peak=$r
		sleep 0.02
	done
	wait "$m" || { cat "$work/$1.err" "$work/$1.json"; exit 1; }
	touch "$work/stop"
	wait "$w"
	$PY - "$work/$1.json" "$1" "$2" "$3" "$IPERF" "$peak" \
	    "$(cat "$work/worker.peak")" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
name, size, rate, iperf, xpeak, wpeak = sys.argv[2:8]
mbps = j["throughput_mbps"]
print("%-10s %6s %9s  total %6d ms  downtime %4d ms  %7.1f MiB  "
      "%6.0f Mbit/s (%3.0f%% of iperf3)  rounds %2d  xmig %5.1f MiB  "
      "worker %5.1f MiB" % (name, size, rate, j["total_ms"],
      j["downtime_ms"], j["bytes_sent"] / 1048576.0, mbps,
      100.0 * mbps / float(iperf), len(j["rounds"]),
      int(xpeak) / 1024.0, int(wpeak) / 1024.0))
PY
	"$XMIG" --sim-dir "$dst" sim check "$1" > /dev/null ||
	    { echo "$1 arrived damaged"; exit 1; }
	"$XMIG" --sim-dir "$dst" sim destroy "$1"
}

IPERF=$(iperf_gbps)
echo "loopback TCP (iperf3, one stream): $IPERF Mbit/s"
echo "private memory (RssAnon peak) excludes the guest memory both ends map"
# A warm-up first: in a fresh virtual machine the first touch of each
# page of its memory costs the host ~3 s/GiB (measured: the first 1 GiB
# migration 3.2-4.2 s, the same one again 1.0-1.3 s); that is the
# machine's, not the migration's, and a Xen host's memory is not fresh.
run warmup 1G 0
run idle1g 1G 0
run dirty1g 1G 100M/s
run idle256m 256M 0
IPERF=$(iperf_gbps)
echo "loopback TCP again (iperf3, one stream): $IPERF Mbit/s"
