# xmig-save: "xmig save" and "xmig restore" on real Xen with the xen
# backend, both ways compatible with xl: xmig's file restored by xl
# restore, xl's file restored by xmig restore, the guest's memory pattern
# checked after each move.  $XMIG_GUEST_TYPE picks pv or pvh (default pvh).
. /dom0-lib.sh

t=${XMIG_GUEST_TYPE:-pvh}
g=xs$t
create_guest $g $t
step xmig --backend xen save $g /results/$g.xmig || fail "xmig save failed"
ls -l /results/$g.xmig
domid $g >/dev/null && fail "domain still there after xmig save"
step xmig verify /results/$g.xmig || fail "xmig verify refused its own file"
export_file /results/$g.xmig

step xl restore /results/$g.xmig || fail "xl restore of xmig's file failed"
step wait_ok $g 120 || fail "pattern after xl restore of xmig's file"
rm -f /results/$g.xmig

step xl save $g /results/$g.xl || fail "xl save failed"
step xmig verify /results/$g.xl || fail "xmig verify refused xl's file"
step xmig --backend xen restore --name $g-back /results/$g.xl ||
	fail "xmig restore of xl's file failed"
step wait_ok $g-back 120 || fail "pattern after xmig restore of xl's file"
rm -f /results/$g.xl
detail "$t: xmig save -> xl restore, xl save -> xmig restore: pattern intact"
