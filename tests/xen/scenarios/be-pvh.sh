# be-pvh: the xen backend's own save and restore (lib/xen/ through
# tests/xen/xenbe_probe) of a PVH pattern guest, non-live then live; the
# guest checks its memory after each move.  Also config_json, rename,
# pause/unpause, destroy.
. /dom0-lib.sh

create_guest bepvh pvh
step $PROBE config $id >/tmp/bepvh.json || fail "config_json failed"
head -c 300 /tmp/bepvh.json; echo
step $PROBE pause $id || fail "pause failed"
step $PROBE info $id | grep -q " paused " || fail "not paused after pause"
step $PROBE unpause $id || fail "unpause failed"

for mode in plain live; do
	step $PROBE save $id /results/bepvh-$mode.libxc $mode ||
		fail "backend save ($mode) failed"
	ls -l /results/bepvh-$mode.libxc
	$PROBE info $id
	step $PROBE destroy $id || fail "destroy after save failed"
	# restored under a temporary name, renamed as the commit does;
	# its console log keeps the name it was created with
	step $PROBE restore /results/bepvh-$mode.libxc /tmp/bepvh.json \
		bepvh-$mode >/tmp/restore.out 2>&1 || {
		cat /tmp/restore.out; fail "backend restore ($mode) failed"; }
	cat /tmp/restore.out
	id=$(sed -n 's/^RESTORED //p' /tmp/restore.out)
	# the memory was claimed for the new domain, and the claim is gone
	grep -q "claimed [0-9]* pages for domain $id (bepvh-$mode)" \
	    /tmp/restore.out || fail "no memory claim for the restore"
	xl info | grep -q '^outstanding_claims *: 0$' ||
		fail "a claim outlived the restore: $(xl info | grep claims)"
	$PROBE info $id | grep -q "bepvh-$mode paused" ||
		fail "restored domain not paused"
	step $PROBE rename $id bepvh || fail "rename failed"
	xl list | grep -q '^bepvh ' || fail "xl does not see the new name"
	step $PROBE unpause $id || fail "unpause after restore failed"
	step wait_ok bepvh-$mode 120 || fail "pattern after $mode save/restore"
	rm -f /results/bepvh-$mode.libxc
done
detail "PVH save/restore plain+live through be_xen: pattern intact"
