# xmig-migrate: "xmig migrate" to localhost through xmigd with the xen
# backend.  PVH goes live; PV live needs shadow paging, which Debian's
# hypervisor lacks: xmig must refuse it before touching the guest, and
# --no-live must then work.  On a hypervisor with shadow paging PV must
# go live.
. /dom0-lib.sh

start_xmigd /results/xmigd.log

create_guest xmpvh pvh
# check_pages FILE MIN MAX: the pages the summary line of FILE reports
check_pages() {
	local n
	n=$(sed -n 's/.* sent (\([0-9]*\) pages.*/\1/p' "$1" | tail -1)
	[ -n "$n" ] && [ "$n" -ge "$2" ] && [ "$n" -le "$3" ] ||
		fail "pages sent: \"$n\", expected $2..$3"
}

step xmig --backend xen -v migrate xmpvh 127.0.0.1 >/tmp/pvh.out 2>&1
rc=$?
cat /tmp/pvh.out
[ $rc = 0 ] || fail "live migration of the PVH guest failed"
# 128 MiB is 32768 pages: each sent once at least, not the whole p2m
# (a million entries with the holes) nor every page many times over
check_pages /tmp/pvh.out 32768 98304
xl list
step wait_ok xmpvh--incoming 120 || step wait_ok xmpvh 120 ||
	fail "pattern after PVH live migration"
# The same guest, the same host, with xl: its total time side by side
# (xl does not report a downtime).
step xl migrate -s "" xmpvh "xl migrate-receive" ||
	fail "xl migrate of the PVH guest failed"
# xenconsoled names the log after the name at creation: xl, too, creates
# the copy as NAME--incoming.
step wait_ok xmpvh--incoming 120 || step wait_ok xmpvh 120 ||
	fail "pattern after xl migrate"
xl destroy xmpvh 2>/dev/null

create_guest xmpv pv
step xmig --backend xen migrate xmpv 127.0.0.1 >/tmp/pv.out 2>&1
rc=$?
cat /tmp/pv.out
if ! xl info | grep -q 'virt_caps.*shadow'; then
	[ $rc != 0 ] || fail "PV live migration should be refused"
	grep -q -- --no-live /tmp/pv.out || fail "no --no-live advice"
	# Refused before anything changed, at the destination too.
	grep -q "reserved memory" /tmp/pv.out &&
	    fail "PV live refused only after the reservation"
	step wait_ok xmpv 60 || fail "PV guest disturbed by the refusal"
	pvlive="PV live refused"
else
	# A hypervisor with shadow paging (XEN_IMAGE): PV goes live too.
	[ $rc = 0 ] || fail "live migration of the PV guest failed"
	check_pages /tmp/pv.out 32768 98304
	step wait_ok xmpv--incoming 120 || step wait_ok xmpv 120 ||
		fail "pattern after PV live migration"
	pvlive="PV live (shadow paging)"
fi
# Capped at 16 MiB/s, what goes on the wire (128 MiB of memory, less its
# zero pages sent as XALLOC entries) cannot take less than its size at
# that rate (uncapped 128 MiB takes about 4 s here): the backend paces
# the stream it sends.
step xmig --backend xen -v migrate --no-live --bandwidth 16 xmpv \
    127.0.0.1 >/tmp/pv.out 2>&1
rc=$?
cat /tmp/pv.out
[ $rc = 0 ] || fail "PV --no-live migration failed"
check_pages /tmp/pv.out 32768 33280
capped=$(sed -n 's/.*: done in \([0-9]*\) ms.*/\1/p' /tmp/pv.out | tail -1)
mib=$(sed -n 's/.* \([0-9.]*\) MiB sent.*/\1/p' /tmp/pv.out | tail -1)
floor=$(awk -v m="$mib" 'BEGIN { printf "%d", m / 16 * 1000 * 0.95 }')
[ -n "$capped" ] && [ -n "$mib" ] && [ "$floor" -ge 2000 ] &&
    [ "$capped" -ge "$floor" ] ||
	fail "--bandwidth 16 not enforced: $mib MiB sent in \"$capped\" ms" \
	    "(at least $floor ms)"
step wait_ok xmpv--incoming 120 || step wait_ok xmpv 120 ||
	fail "pattern after PV --no-live migration"
detail "PVH live and PV --no-live (capped at 16 MiB/s: $mib MiB in" \
    "$capped ms) through xmigd; $pvlive"
