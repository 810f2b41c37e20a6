# soak-save: xmig save then xl restore of one PVH guest, again and again
# ($SOAK_ROUNDS, default 6); the pattern checked after each.  Not in
# the default set ("harness.sh soak-save").
. /dom0-lib.sh

t=${XMIG_GUEST_TYPE:-pvh}
g=soak$t
create_guest $g $t
i=1
while [ $i -le ${SOAK_ROUNDS:-6} ]; do
	step xmig --backend xen save $g /results/$g.xmig || fail "round $i: xmig save failed"
	step xl restore /results/$g.xmig || fail "round $i: xl restore failed"
	rm -f /results/$g.xmig
	if ! step wait_ok $g 60; then
		id=$(domid $g)
		xl list
		xenstore-ls /local/domain/$id
		/usr/lib/xen-4.17/bin/xenctx -a $id 2>&1 | head -40
		/usr/lib/xen-4.17/bin/xen-hvmctx $id 2>&1 | head -80
		xl debug-keys q; xl dmesg | tail -40
		fail "round $i: no pattern after xl restore of xmig's file"
	fi
	i=$((i + 1))
done
detail "$t: $((i - 1)) rounds of xmig save -> xl restore: pattern intact"
