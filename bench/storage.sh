#!/bin/sh
# storage.sh - live migration with a disk copied (xmig migrate
# --copy-storage) against the same guest without a disk, in the same
# run, between two simulated hosts over loopback through a real xmigd.
# The guest: 512 MiB of memory dirtying BENCH_MEM_RATE (default 20M/s)
# and, in the disk case, a 1 GiB disk it writes at 20 MB/s.  Prints per
# run the total time, downtime, memory rounds, and for the disk its
# bytes sent, rounds and the bytes sent after the suspend with their
# time; then the medians, and how much the downtime grew against the
# time the disk's last blocks took (the bound: it may not grow by more
# than they need) and would take at the memory stream's throughput.
#
#   bench/storage.sh            (from a build directory, or set
#                                top_builddir and top_srcdir; BENCH_DIR
#                                holds the simulated hosts and the
#                                images, default /dev/shm; BENCH_RUNS runs
#                                per case, default 3)
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/bench/lib.sh"
bench_work "${BENCH_DIR:-/dev/shm}" xmig-bench
runs=${BENCH_RUNS:-3}
memrate=${BENCH_MEM_RATE:-20M}
store="$work/store"
mkdir -p "$store"

bench_xmigd_conf 8G "storage-dir = $store"
bench_xmigd
export XMIG_SIM_MEMORY=8G

# run NAME DISK: migrate a fresh 512 MiB guest (with DISK "1G", a 1 GiB
# disk written at 20 MB/s; "-" none), print its figures, keep them.
run() {
	if [ "$2" = - ]; then
		"$XMIG" --sim-dir "$src" sim create --name "$1" --memory 512M \
		    --dirty-rate "$memrate" > /dev/null
	else
		"$XMIG" --sim-dir "$src" sim create --name "$1" --memory 512M \
		    --dirty-rate "$memrate" --disk "$2" --disk-rate 20M \
		    > /dev/null
	fi
	sleep 1	# the guest under way
	"$XMIG" --sim-dir "$src" --json migrate --copy-storage "$1" \
	    "127.0.0.1:$port" > "$work/$1.json" 2>"$work/$1.err" ||
	    { cat "$work/$1.err" "$work/$1.json"; exit 1; }
	$PY - "$work/$1.json" "$1" "$work/results" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
name, results = sys.argv[2:4]
d = j.get("disks")
line = ("%-8s total %5d ms  downtime %4d ms  memory %6.1f MiB in %2d "
    "rounds" % (name, j["total_ms"], j["downtime_ms"],
    j["bytes_sent"] / 1048576.0, len(j["rounds"])))
fin = 0
if d:
    fin = d["final_bytes"]
    line += ("  disk %6.1f MiB in %d rounds (%d ms), %.2f MiB after the "
        "suspend in %d ms" % (d["bytes_sent"] / 1048576.0, d["rounds"],
        d["bulk_ms"], fin / 1048576.0, d["final_ms"]))
print(line)
# bytes per ms of the memory stream: what the last blocks cost at it
bpms = j["bytes_sent"] / max(j["total_ms"] - (d["bulk_ms"] if d else 0), 1)
with open(results, "a") as f:
    f.write("%s %d %d %d %f %d\n" % ("disk" if d else "nodisk",
        j["total_ms"], j["downtime_ms"], fin, bpms,
        d["final_ms"] if d else 0))
PY
	"$XMIG" --sim-dir "$dst" sim check "$1" > "$work/check" ||
	    { cat "$work/check"; echo "$1 arrived damaged"; exit 1; }
	"$XMIG" --sim-dir "$dst" sim destroy "$1"
	rm -f "$store"/*.img
}

echo "simulated hosts and images in $work"
: > "$work/results"
run warmup -
: > "$work/results"
i=0
while [ $i -lt "$runs" ]; do
	run "plain$i" -
	run "disk$i" 1G
	i=$((i + 1))
done
$PY - "$work/results" "$runs" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
def med(v):
    v = sorted(v)
    return v[len(v) // 2]
p = [r for r in rows if r[0] == "nodisk"]
d = [r for r in rows if r[0] == "disk"]
pt, pd = med([int(r[1]) for r in p]), med([int(r[2]) for r in p])
dt, dd = med([int(r[1]) for r in d]), med([int(r[2]) for r in d])
fin = med([int(r[3]) for r in d])
need = med([int(r[3]) / float(r[4]) for r in d])
print("median of %s runs, 512 MiB guest dirtying its memory:" % sys.argv[2])
print("  without a disk:          total %5d ms, downtime %4d ms" % (pt, pd))
print("  with a 1 GiB disk, 20 MB/s written: total %5d ms, downtime %4d ms"
    % (dt, dd))
fms = med([int(r[5]) for r in d])
print("  downtime grew by %d ms; the disk's last %.2f MiB took %d ms to "
    "send (median), and would take %.0f ms at the run's memory "
    "throughput" % (dd - pd, fin / 1048576.0, fms, need))
PY
