#!/bin/sh
# migrate.sh - live migration between two simulated hosts over loopback,
# through a real xmigd, next to the loopback TCP throughput iperf3
# measures in the same run, before and after.  Prints, per run: total
# time, downtime, bytes sent and throughput; then the median of each
# case against its target (throughput against the higher of the two
# iperf3 figures); then the peak private memory
# (RssAnon) of xmig and of the receiving worker for two guest sizes, to
# show it does not grow with the guest.
#
#   bench/migrate.sh            (from a build directory, or set
#                                top_builddir and top_srcdir; BENCH_DIR
#                                holds the simulated hosts, default
#                                /dev/shm; BENCH_RUNS runs per case, 5)
# Cases: a 1 GiB warm-up (see below); 1 GiB idle with incompressible
# contents; 1 GiB dirtying 100 MB/s; memory: 256 MiB and 1 GiB dirtying
# 100 MB/s (the buffers for scattered pages in use).
# Targets: idle throughput >= 80% of iperf3's; downtime < 50 ms while
# dirtying 100 MB/s.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/bench/lib.sh"
bench_work "${BENCH_DIR:-/dev/shm}" xmig-bench
runs=${BENCH_RUNS:-5}
bench_need_iperf3

bench_xmigd_conf 8G
bench_xmigd
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

# run NAME SIZE RATE [mem]: migrate a fresh domain, print one line of
# figures and keep them in $work/results.  With "mem", sample the private
# memory of xmig and of the worker meanwhile (the sampling takes CPU from
# the migration: those runs are not the timed ones).
run() {
	"$XMIG" --sim-dir "$src" sim create --name "$1" --memory "$2" \
	    --dirty-rate "$3" > /dev/null
	peak=0
	if [ "${4:-}" = mem ]; then
		rm -f "$work/stop"
		echo 0 > "$work/worker.peak"
		watch_workers &
		w=$!
		"$XMIG" --sim-dir "$src" --json migrate "$1" \
		    "127.0.0.1:$port" > "$work/$1.json" 2>"$work/$1.err" &
		m=$!
		while kill -0 "$m" 2>/dev/null; do
			r=$(awk '/^RssAnon/ { print $2 }' "/proc/$m/status" \
			    2>/dev/null || echo 0)
			[ -n "$r" ] && [ "$r" -gt "$peak" ] && peak=$r
			sleep 0.02
		done
		wait "$m" || { cat "$work/$1.err" "$work/$1.json"; exit 1; }
		touch "$work/stop"
		wait "$w"
	else
		echo 0 > "$work/worker.peak"
		"$XMIG" --sim-dir "$src" --json migrate "$1" \
		    "127.0.0.1:$port" > "$work/$1.json" 2>"$work/$1.err" ||
		    { cat "$work/$1.err" "$work/$1.json"; exit 1; }
	fi
	$PY - "$work/$1.json" "$1" "$2" "$3" "$peak" \
	    "$(cat "$work/worker.peak")" "${4:-}" "$work/results" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
name, size, rate, xpeak, wpeak, mem, results = sys.argv[2:9]
mbps = j["throughput_mbps"]
line = ("%-10s %5s %7s  total %5d ms  downtime %4d ms  %7.1f MiB  "
    "%6.0f Mbit/s  rounds %2d" % (name, size, rate, j["total_ms"],
    j["downtime_ms"], j["bytes_sent"] / 1048576.0, mbps,
    len(j["rounds"])))
if mem:
    line += "  xmig %5.1f MiB  worker %5.1f MiB" % (int(xpeak) / 1024.0,
        int(wpeak) / 1024.0)
print(line)
with open(results, "a") as f:
    f.write("%s %d %f\n" % (name, j["downtime_ms"], mbps))
PY
	"$XMIG" --sim-dir "$dst" sim check "$1" > /dev/null ||
	    { echo "$1 arrived damaged"; exit 1; }
	"$XMIG" --sim-dir "$dst" sim destroy "$1"
}

IPERF=$(bench_iperf 127.0.0.1 "$(free_port)")
echo "loopback TCP (iperf3, one stream): $IPERF Mbit/s"
echo "simulated hosts in $work"
# A warm-up first.  In this kind of virtual machine the first touch of a
# page of memory costs the host below ~3 s/GiB (the warm-up shows it);
# the destination host keeps the memory of destroyed domains for the
# next one it restores into (xmig(1), sim destroy), as a Xen host's heap
# does, so from the second migration on its memory is warm, as a real
# host's is.
run warmup 1G 0
: > "$work/results"
i=0
while [ $i -lt "$runs" ]; do
	run idle1g 1G 0
	run dirty1g 1G 100M/s
	i=$((i + 1))
done
IPERF2=$(bench_iperf 127.0.0.1 "$(free_port)")
echo "loopback TCP again (iperf3, one stream): $IPERF2 Mbit/s"
$PY - "$work/results" "$runs" "$IPERF" "$IPERF2" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
iperf = max(float(sys.argv[3]), float(sys.argv[4]))
def med(v):
    v = sorted(v)
    return v[len(v) // 2]
idle = [float(r[2]) for r in rows if r[0] == "idle1g"]
down = [int(r[1]) for r in rows if r[0] == "dirty1g"]
pct = 100.0 * med(idle) / iperf
print("median of %s runs, against the higher iperf3 figure (%.0f Mbit/s):"
    % (sys.argv[2], iperf))
print("  idle 1 GiB: %.0f Mbit/s = %.0f%% of iperf3 (target >= 80%%: %s; "
    "runs %s)" % (med(idle), pct, "met" if pct >= 80 else "NOT met",
    ", ".join("%.0f%%" % (100.0 * v / iperf) for v in idle)))
print("  downtime dirtying 100 MB/s: %d ms (target < 50 ms: %s; runs %s)"
    % (med(down), "met" if med(down) < 50 else "NOT met",
    ", ".join("%d" % v for v in down)))
PY
echo "private memory (RssAnon peak; the guest memory both ends map is not"
echo "private), sampled in runs of their own:"
run mem256m 256M 100M/s mem
run mem1g 1G 100M/s mem
