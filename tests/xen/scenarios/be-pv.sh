# be-pv: a PV pattern guest.  Debian's hypervisor has no shadow paging, so
# a live save must be refused up front (-EOPNOTSUPP, "use --no-live") with
# the guest untouched (with shadow paging, XEN_IMAGE, it must work); a non-live save and restore through the backend
# keeps its memory intact; a suspended guest resumes cooperatively.
. /dom0-lib.sh

create_guest bepv pv
step $PROBE config $id >/tmp/bepv.json || fail "config_json failed"

if xl info | grep -q 'virt_caps.*shadow'; then
	# A hypervisor with shadow paging (XEN_IMAGE): a live save works,
	# and leaves the guest suspended, to be resumed.
	step $PROBE save $id /results/bepv-live.libxc live ||
		fail "live PV save failed on a hypervisor with shadow paging"
	$PROBE info $id | grep -q " shutdown 2 " ||
		fail "not suspended after the live save"
	step $PROBE resume $id || fail "resume after the live save failed"
	step wait_ok bepv 120 || fail "pattern after the live save"
	rm -f /results/bepv-live.libxc
	live="PV live save OK (shadow paging)"
else
	live="PV live refused (EOPNOTSUPP)"
	step $PROBE save $id /results/bepv-live.libxc live >/tmp/live.out 2>&1
	cat /tmp/live.out
	grep -q "ERROR save 95" /tmp/live.out ||
		fail "live PV save not refused with EOPNOTSUPP"
	grep -q "use --no-live" /tmp/live.out || fail "no --no-live advice"
	$PROBE info $id | grep -q " running " || fail "guest disturbed"
	step wait_ok bepv 120 || fail "pattern after refused live save"
fi

step $PROBE save $id /results/bepv.libxc || fail "backend save failed"
$PROBE info $id | grep -q " shutdown 2 " || fail "not suspended after save"
# the source copy is still there, suspended: resume it (the failure path)
step $PROBE resume $id || fail "cooperative resume failed"
step wait_ok bepv 120 || fail "pattern after resume"
step $PROBE destroy $id || fail "destroy failed"
step $PROBE restore /results/bepv.libxc /tmp/bepv.json bepv \
	>/tmp/restore.out || fail "backend restore failed"
cat /tmp/restore.out
id=$(sed -n 's/^RESTORED //p' /tmp/restore.out)
step $PROBE unpause $id || fail "unpause after restore failed"
step wait_ok bepv 120 || fail "pattern after save/restore"
rm -f /results/bepv.libxc
detail "$live, resume and non-live save/restore OK"
