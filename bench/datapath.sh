#!/bin/sh
# datapath.sh - the framed stream over loopback, between two simulated
# hosts through a real xmigd: each case migrated with the data path on
# (zero pages as markers, lz4; zstd where said) and off ("--compress none
# --no-zero-elision": the plain stream), alternately, in the same run,
# next to iperf3's single-stream figure.  Prints every run, then the
# median of each case against its target.
#
#   bench/datapath.sh           (from a build directory, or set
#                                top_builddir and top_srcdir; BENCH_DIR
#                                holds the simulated hosts, default
#                                /dev/shm; BENCH_RUNS runs per case, 3)
# Cases: 1 GiB "random" (incompressible) idle guest, lz4 on and off;
# 2 GiB "mixed" guest (half zero pages, a quarter text, a quarter random)
# idle, on (lz4, and zstd) and off.
# Targets: random, on no slower than 0.95x off (the adaptive path sends
# what does not shrink raw) and >= 0.9x iperf3; mixed, on faster than off
# (bench/link.sh measures it on modelled 1 and 10 Gbit/s links, where
# its targets are).  The "off" case is also what XMIG_NO_ZERO_ELISION=1
# with --compress none gives.
set -eu
top_builddir=${top_builddir:-$(pwd)}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
XMIG="$top_builddir/cli/xmig"
XMIGD="$top_builddir/daemon/xmigd"
PY=/usr/bin/python3
bdir=${BENCH_DIR:-/dev/shm}
[ -d "$bdir" ] || bdir=/tmp
work=$(mktemp -d "$bdir/xmig-bench.XXXXXX")
runs=${BENCH_RUNS:-3}
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
command -v iperf3 >/dev/null ||
    { echo "iperf3 is needed (apt-get install iperf3)"; exit 1; }

free_port() {
	$PY -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Loopback TCP throughput, one stream, as the migration uses one.
iperf_mbps() {
	p=$(free_port)
	timeout 60 iperf3 -s -1 -B 127.0.0.1 -p "$p" > /dev/null 2>&1 &
	s=$!
	hex=$(printf ':%04X ' "$p")
	i=0
	until grep -q "$hex.* 0A " /proc/net/tcp; do
		i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.05
	done
	timeout 30 iperf3 -c 127.0.0.1 -p "$p" -t 4 -J > "$work/iperf.json" \
	    2>/dev/null || :
	wait "$s" 2>/dev/null || :
	$PY -c 'import json, sys
j = json.load(open(sys.argv[1]))
if "error" in j or "sum_received" not in j.get("end", {}):
    sys.exit("iperf3 failed: %s" % j.get("error", "no result"))
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
unset XMIG_NO_ZERO_ELISION

# run CASE CONTENT SIZE MIGRATE-OPTIONS...: migrate a fresh idle guest,
# check it arrived intact, print its figures, keep them in results.
run() {
	case=$1 content=$2 size=$3
	shift 3
	"$XMIG" --sim-dir "$src" sim create --name g --memory "$size" \
	    --content "$content" > /dev/null
	"$XMIG" --sim-dir "$src" --json migrate "$@" g "127.0.0.1:$port" \
	    > "$work/g.json" 2>"$work/g.err" ||
	    { cat "$work/g.err" "$work/g.json"; exit 1; }
	"$XMIG" --sim-dir "$dst" sim check g > /dev/null ||
	    { echo "g arrived damaged"; exit 1; }
	"$XMIG" --sim-dir "$dst" sim destroy g
	$PY - "$work/g.json" "$case" "$work/results" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
case, results = sys.argv[2:4]
mbps = j["bytes_raw"] * 8 / 1e3 / max(j["total_ms"], 1)
print("%-12s total %6d ms  wire %7.1f MiB of %7.1f MiB  ratio %5.2f  "
    "zero pages %7d  %6.0f Mbit/s of memory" % (case, j["total_ms"],
    j["bytes_sent"] / 1048576.0, j["bytes_raw"] / 1048576.0,
    j["compression_ratio"], j["zero_pages"], mbps))
with open(results, "a") as f:
    f.write("%s %d %f\n" % (case, j["total_ms"], mbps))
PY
}

OFF="--compress none --no-zero-elision"
IPERF=$(iperf_mbps)
echo "loopback TCP (iperf3, one stream): $IPERF Mbit/s"
echo "simulated hosts in $work"
# A warm-up: the destination keeps destroyed domains' memory for the
# next restore, as a Xen host's heap; from the second run on it is warm.
run warmup random 2G $OFF > /dev/null
: > "$work/results"
i=0
while [ $i -lt "$runs" ]; do
	run random-on random 1G --compress lz4
	run random-off random 1G $OFF
	run mixed-on mixed 2G --compress lz4
	run mixed-zstd mixed 2G --compress zstd
	run mixed-off mixed 2G $OFF
	i=$((i + 1))
done
IPERF2=$(iperf_mbps)
echo "loopback TCP again (iperf3, one stream): $IPERF2 Mbit/s"
$PY - "$work/results" "$runs" "$IPERF" "$IPERF2" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
iperf = max(float(sys.argv[3]), float(sys.argv[4]))
def med(case, col):
    v = sorted(float(r[col]) for r in rows if r[0] == case)
    return v[len(v) // 2]
def met(ok):
    return "met" if ok else "NOT met"
print("median of %s runs:" % sys.argv[2])
on, off = med("random-on", 1), med("random-off", 1)
print("  1 GiB random: on %.0f ms, off %.0f ms: on is %.2fx off's speed "
    "(target >= 0.95x: %s)" % (on, off, off / on, met(off / on >= 0.95)))
r = med("random-on", 2) / iperf
print("  1 GiB random, on: %.0f Mbit/s = %.2fx iperf3's %.0f (target "
    ">= 0.9x: %s)" % (med("random-on", 2), r, iperf, met(r >= 0.9)))
on, z, off = med("mixed-on", 1), med("mixed-zstd", 1), med("mixed-off", 1)
print("  2 GiB mixed: lz4 %.0f ms, zstd %.0f ms, off %.0f ms: lz4 takes "
    "%.2fx off's time, zstd %.2fx (on loopback: target < 1x: %s; the "
    "link targets are bench/link.sh's)" % (on, z, off, on / off, z / off,
    met(on < off)))
PY
