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
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/bench/lib.sh"
bench_work "${BENCH_DIR:-/dev/shm}" xmig-bench
runs=${BENCH_RUNS:-3}
bench_need_iperf3

bench_xmigd_conf 8G
bench_xmigd
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
IPERF=$(bench_iperf 127.0.0.1 "$(free_port)")
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
IPERF2=$(bench_iperf 127.0.0.1 "$(free_port)")
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
