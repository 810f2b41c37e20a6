# suspend-timeout: a guest that never acknowledges the suspend request
# (its control/shutdown node is made unreadable to it, so its watch never
# fires).  "xmig save" must give up after suspend-timeout, withdraw the
# request and leave the guest running as it was, pattern intact.
. /dom0-lib.sh

create_guest stpv pv
cat >/tmp/st.conf <<CONF
suspend-timeout = 10
CONF
node=/local/domain/$id/control/shutdown
step xenstore-chmod $node n0 || fail "cannot hide $node from the guest"
t0=$(cut -d. -f1 /proc/uptime)
XMIG_CONF=/tmp/st.conf step xmig --backend xen save stpv /results/st.xmig \
	>/tmp/st.out 2>&1
rc=$?
t1=$(cut -d. -f1 /proc/uptime)
cat /tmp/st.out
[ $rc != 0 ] || fail "save of a guest that cannot suspend succeeded"
[ $((t1 - t0)) -lt 60 ] || fail "gave up after $((t1 - t0)) s, not ~10 s"
[ "$(domid stpv)" = "$id" ] || fail "the guest is gone"
$PROBE info $id | grep -q " shutdown " && fail "guest left shut down"
req=$(xenstore-read $node 2>/dev/null)
[ -z "$req" ] || fail "suspend request left in xenstore: '$req'"
[ -e /results/st.xmig ] && fail "a partial save file was left"
step wait_ok stpv 120 || fail "pattern after the abandoned suspend"
detail "exit $rc after $((t1 - t0)) s; request withdrawn, guest intact"
