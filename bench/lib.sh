# lib.sh - what the benchmark scripts (bench/*.sh) and
# scripts/quickstart.sh share: the programs, a work directory holding two
# simulated hosts and its removal, an xmigd on a loopback port, iperf3's
# single-stream figure, and the ratio and verdict lines.  Sourced (sh),
# after top_srcdir is set:
#
#   top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
#   . "$top_srcdir/bench/lib.sh"
#
# The functions set and use these globals: XMIG, XMIGD, PY, work, src,
# dst, xd (xmigd's pid), port; names of their own start with "_b".
top_builddir=${top_builddir:-$(pwd)}
XMIG="$top_builddir/cli/xmig"
XMIGD="$top_builddir/daemon/xmigd"
PY=/usr/bin/python3
xd=""
bench_on_exit=""

# bench_work DIR PREFIX [SRC DST]: a fresh directory DIR/PREFIX.XXXXXX in
# $work (in /tmp where DIR is no writable directory: a guest's memory is
# a file of its host, which a tmpfs keeps in memory, where a disk file
# system's write-back would compete with the migration), the hosts
# $src and $dst in it (named SRC and DST, default a and b), and the trap
# that stops xmigd and both hosts and removes it all on exit (first
# running $bench_on_exit, if set).
bench_work() {
	_bdir=$1
	[ -d "$_bdir" ] && [ -w "$_bdir" ] || _bdir=/tmp
	work=$(mktemp -d "$_bdir/$2.XXXXXX")
	src="$work/${3:-a}"
	dst="$work/${4:-b}"
	trap bench_cleanup EXIT INT TERM
}

bench_cleanup() {
	[ -n "$xd" ] && kill "$xd" 2>/dev/null
	for _bh in "$src" "$dst"; do
		"$XMIG" --sim-dir "$_bh" sim stop >/dev/null 2>&1 || :
	done
	[ -z "$bench_on_exit" ] || $bench_on_exit
	rm -rf "$work"
}

# bench_need_iperf3: exit, saying so, without iperf3.
bench_need_iperf3() {
	command -v iperf3 >/dev/null ||
	    { echo "iperf3 is needed (apt-get install iperf3)"; exit 1; }
}

# free_port: a TCP port free on 127.0.0.1 now.
free_port() {
	$PY -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# bench_xmigd_conf SIM-MEMORY [LINE...]: $port, a free loopback port, and
# $work/xmigd.conf: xmigd listening there, a simulated host in $dst with
# SIM-MEMORY, then each LINE.
bench_xmigd_conf() {
	port=$(free_port)
	{
		cat <<CONF
relocation-address = 127.0.0.1
relocation-port = $port
backend = sim
sim-dir = $dst
sim-memory = $1
control-socket = $work/ctl.sock
CONF
		shift
		for _bl in "$@"; do
			echo "$_bl"
		done
	} > "$work/xmigd.conf"
}

# bench_xmigd: start xmigd on $work/xmigd.conf (log $work/xmigd.log), its
# pid in $xd, and wait until it listens (exit, showing its log, if it
# does not within 10 s or dies).
bench_xmigd() {
	"$XMIGD" -f -c "$work/xmigd.conf" > "$work/xmigd.log" 2>&1 &
	xd=$!
	_bi=0
	until grep -q "ready: listening" "$work/xmigd.log"; do
		_bi=$((_bi + 1))
		if [ $_bi -gt 100 ] || ! kill -0 "$xd" 2>/dev/null; then
			cat "$work/xmigd.log"
			exit 1
		fi
		sleep 0.1
	done
}

# bench_iperf ADDR PORT [SERVER-NS CLIENT-NS]: the Mbit/s of one TCP
# stream (as a migration uses one) to iperf3 on ADDR:PORT, over 4 s; with
# namespaces (tests/netlink.sh's A or B), the server runs in SERVER-NS
# and the client in CLIENT-NS.  Exits if iperf3 gives no figure.
bench_iperf() {
	_ba=$1 _bp=$2 _bsx="" _bcx=""
	[ $# -lt 4 ] || { _bsx="nl_exec $3"; _bcx="nl_exec $4"; }
	$_bsx timeout 60 iperf3 -s -1 -B "$_ba" -p "$_bp" > /dev/null 2>&1 &
	_bs=$!
	# Wait until it listens (state 0A in /proc/net/tcp).
	_bhex=$(printf ':%04X ' "$_bp")
	_bi=0
	until $_bsx grep -q "$_bhex.* 0A " /proc/net/tcp; do
		_bi=$((_bi + 1)); [ $_bi -gt 100 ] && break; sleep 0.05
	done
	$_bcx timeout 30 iperf3 -c "$_ba" -p "$_bp" -t 4 -J \
	    > "$work/iperf.json" 2>/dev/null || :
	wait "$_bs" 2>/dev/null || :
	$PY -c 'import json, sys
j = json.load(open(sys.argv[1]))
if "error" in j or "sum_received" not in j.get("end", {}):
    sys.exit("iperf3 failed: %s" % j.get("error", "no result"))
print("%.0f" % (j["end"]["sum_received"]["bits_per_second"] / 1e6))' \
	    "$work/iperf.json"
}

# median_line: of the lines on stdin, sorted by their first field, the
# middle one (odd count; the lower middle for an even one).
median_line() {
	sort -n | awk '{ l[NR] = $0 } END { print l[int((NR + 1) / 2)] }'
}

# verdict OK TEXT: one target line, "met" where OK is 1.
verdict() {
	printf '  target: %-58s %s\n' "$2" \
	    "$([ "$1" = 1 ] && echo met || echo MISSED)"
}

# ratio A B: A / B to two places (0 where B is 0).
ratio() {
	$PY -c 'import sys
a, b = float(sys.argv[1]), float(sys.argv[2])
print("%.2f" % (a / b if b else 0))' "$1" "$2"
}

# le A B: 1 if A <= B, else 0.
le() {
	$PY -c 'import sys
print(1 if float(sys.argv[1]) <= float(sys.argv[2]) else 0)' "$1" "$2"
}
