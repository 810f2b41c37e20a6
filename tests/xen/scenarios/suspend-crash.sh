# suspend-crash: a guest that crashes while "xmig save" waits for it to
# acknowledge the suspend (its control/shutdown node is hidden from it, as
# in suspend-timeout, then xen-hvmcrash crashes it).  xmig must stop
# waiting at once, not resume it (that would undo the crash), withdraw
# the request and leave no file; the guest stays crashed (on_crash =
# "preserve").
. /dom0-lib.sh

create_guest scpvh pvh
cat >/tmp/sc.conf <<CONF
suspend-timeout = 120
CONF
node=/local/domain/$id/control/shutdown
step xenstore-chmod $node n0 || fail "cannot hide $node from the guest"
XMIG_CONF=/tmp/sc.conf xmig --backend xen save scpvh /results/sc.xmig \
	>/tmp/sc.out 2>&1 &
pid=$!
i=0
until [ "$(xenstore-read $node 2>/dev/null)" = suspend ]; do
	i=$((i + 1))
	[ $i -le 600 ] || { cat /tmp/sc.out; fail "no suspend request"; }
	sleep 0.1
done
t0=$(cut -d. -f1 /proc/uptime)
step /usr/lib/xen-4.17/bin/xen-hvmcrash $id || fail "xen-hvmcrash failed"
wait $pid
rc=$?
t1=$(cut -d. -f1 /proc/uptime)
cat /tmp/sc.out
[ $rc = 1 ] || fail "xmig save exit $rc, expected 1"
[ $((t1 - t0)) -lt 30 ] || fail "gave up after $((t1 - t0)) s"
grep -q "stopped instead of suspending (shutdown(crash))" \
    /tmp/sc.out || fail "no word of the crash"
grep -q "resumed" /tmp/sc.out && fail "the crashed guest was resumed"
xl list scpvh
state=$(xl list scpvh | awk 'NR == 2 { print $5 }')
case $state in
*c*) ;;
*) fail "guest state '$state', expected crashed" ;;
esac
req=$(xenstore-read $node 2>/dev/null)
[ -z "$req" ] || fail "suspend request left in xenstore: '$req'"
[ -e /results/sc.xmig ] && fail "a partial save file was left"
xl destroy scpvh
detail "exit $rc $((t1 - t0)) s after the crash; not resumed, request withdrawn, no file"
