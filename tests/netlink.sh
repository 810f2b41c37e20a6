# netlink.sh - a modelled network link between two simulated hosts, for
# tests (tests/e2e/link-*.sh) and benchmarks (bench/link.sh).  Source it.
#
# Two network namespaces, "A" (the destination: xmigd) and "B" (the
# source: xmig), joined by a veth pair whose two ends are shaped with tc
# tbf to the link's rate, each way (this kernel has no netem: no latency
# or loss model).  Only the namespaces' own addresses are used:
# $NL_ADDR_A and $NL_ADDR_B, on a /30 that exists nowhere else (another
# link, even a concurrent one, lives in namespaces of its own).  Needs
# root, ip and tc (iproute2).
#
#   nl_check            0 if a link can be made here; else a reason on
#                       stdout and 1 (the caller skips)
#   nl_up RATE          make the link: RATE as tc writes it ("1gbit",
#                       "10gbit"); nl_down must run on exit (trap)
#   nl_rate RATE        reshape the link in place
#   nl_exec A|B CMD...  run CMD in namespace A or B
#   nl_xmigd CONF LOG   start $XMIGD in namespace A on CONF, its output in
#                       LOG, and wait (10 s at most) until it listens;
#                       0, or 1 with its log on stderr
#   nl_down             kill what runs in the namespaces, remove them
#                       (and with them the veth pair); idempotent
#
# The caller starts xmigd with "nl_exec A" (relocation-address
# $NL_ADDR_A) and xmig with "nl_exec B", each on a simulated host of its
# own; processes left in a namespace are killed by nl_down.

NL_A=""
NL_B=""
NL_ADDR_A=10.77.0.1
NL_ADDR_B=10.77.0.2

nl_check() {
	if [ "$(id -u)" != 0 ]; then
		echo "network namespaces need root"
		return 1
	fi
	for t in ip tc; do
		command -v "$t" >/dev/null ||
		    { echo "no $t (iproute2)"; return 1; }
	done
	n="xmnl-check-$$"
	if ! ip netns add "$n" 2>/dev/null; then
		echo "cannot create a network namespace"
		return 1
	fi
	ip netns del "$n"
	return 0
}

# The shaping of one end: a bucket of 1/100 s of the rate (at least
# 256 KiB; tbf needs one tick's worth, and a small one costs throughput
# at 10 Gbit/s), at most 20 ms of queue.
nl_shape() {
	bits=$(echo "$2" | awk '{
		v = $1 + 0; u = tolower($1); sub(/^[0-9.]+/, "", u)
		m = u == "gbit" ? 1e9 : u == "mbit" ? 1e6 : \
		    u == "kbit" ? 1e3 : 1
		printf "%d", v * m }')
	burst=$((bits / 8 / 100))
	[ "$burst" -lt 262144 ] && burst=262144
	tc -n "$1" qdisc replace dev "$3" root tbf rate "$2" burst "$burst" \
	    latency 20ms
}

nl_up() {
	NL_A="xmnl-$$-a"
	NL_B="xmnl-$$-b"
	va="xmnl$$a"
	vb="xmnl$$b"
	NL_VA=$va
	NL_VB=$vb
	ip netns add "$NL_A" || return 1
	ip netns add "$NL_B" || return 1
	ip link add "$va" type veth peer name "$vb" || return 1
	ip link set "$va" netns "$NL_A" || return 1
	ip link set "$vb" netns "$NL_B" || return 1
	ip -n "$NL_A" addr add "$NL_ADDR_A/30" dev "$va" &&
	ip -n "$NL_B" addr add "$NL_ADDR_B/30" dev "$vb" &&
	ip -n "$NL_A" link set lo up && ip -n "$NL_B" link set lo up &&
	ip -n "$NL_A" link set "$va" up && ip -n "$NL_B" link set "$vb" up ||
	    return 1
	# Each connection starts afresh: no window or threshold remembered
	# from the connections before (after a slower link's, the first one
	# over a faster link would crawl up to its speed).
	for ns in "$NL_A" "$NL_B"; do
		ip netns exec "$ns" sysctl -qw net.ipv4.tcp_no_metrics_save=1 \
		    2>/dev/null || :
	done
	nl_rate "$1"
}

nl_rate() {
	nl_shape "$NL_A" "$1" "$NL_VA" && nl_shape "$NL_B" "$1" "$NL_VB" ||
	    return 1
	ip -n "$NL_A" tcp_metrics flush all 2>/dev/null || :
	ip -n "$NL_B" tcp_metrics flush all 2>/dev/null || :
}

nl_exec() {
	case $1 in
	A) ns=$NL_A ;;
	B) ns=$NL_B ;;
	*) echo "nl_exec: A or B, not $1" >&2; return 2 ;;
	esac
	shift
	ip netns exec "$ns" "$@"
}

nl_xmigd() {
	nl_exec A "$XMIGD" -f -c "$1" > "$2" 2>&1 &
	i=0
	until grep -q "ready: listening" "$2"; do
		i=$((i + 1))
		[ $i -gt 100 ] && { cat "$2" >&2; return 1; }
		sleep 0.1
	done
	return 0
}

nl_down() {
	for ns in $NL_A $NL_B; do
		ip netns pids "$ns" 2>/dev/null |
		    xargs -r kill -9 2>/dev/null || :
		ip netns del "$ns" 2>/dev/null || :
	done
	# Gone with its namespace, unless nl_up failed before moving it.
	if [ -n "${NL_VA:-}" ]; then
		ip link del "$NL_VA" 2>/dev/null || :
	fi
	NL_A=""
	NL_B=""
	NL_VA=""
	return 0
}
