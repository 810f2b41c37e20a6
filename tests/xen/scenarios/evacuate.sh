# evacuate: "xmig evacuate --to 127.0.0.1" of two PVH guests through
# xmigd with the xen backend (a localhost evacuation goes through every
# step of the real path: status, plan, reservation, live migration of
# each guest in its own worker, the summary).  Both guests must arrive
# with every page intact and nothing left behind as --incoming or
# --migratedaway; the dry run must plan both within the free memory
# xmigd reports.
. /dom0-lib.sh

start_xmigd /results/xmigd-evac.log

# The plan counts both guests against the free memory at once.
free=$(xl info | awk '/^free_memory/ { print $3 }')
[ -n "$free" ] || fail "no free_memory in xl info"
[ "$free" -ge $((GUEST_MEM * 2 + 16)) ] ||
	skip "${free} MiB free: too little for two ${GUEST_MEM} MiB guests"

create_guest xmev1 pvh
create_guest xmev2 pvh

# leftovers: no copy in the middle of a move may remain.
leftovers() {
	xl list | grep -e '--incoming' -e '--migratedaway' && return 0
	return 1
}

# ok_count FILE: how many "result":"ok" the JSON in FILE holds.
ok_count() { grep -o '"result":"ok"' "$1" | wc -l; }

step xmig --backend xen --json status --host 127.0.0.1 >/tmp/evst.json
cat /tmp/evst.json
grep -q '"free_bytes":' /tmp/evst.json || fail "status has no free_bytes"

step xmig --backend xen --json evacuate --dry-run --to 127.0.0.1 \
    >/tmp/evplan.json 2>/tmp/evplan.err
rc=$?
cat /tmp/evplan.json /tmp/evplan.err
[ $rc = 0 ] || fail "dry run: exit $rc, both guests should have a place"
grep -q '"planned_guests":2' /tmp/evplan.json || fail "not both planned"
leftovers && fail "the dry run moved something"

step xmig --backend xen --json evacuate --to 127.0.0.1 --parallel 2 \
    >/tmp/evac.json 2>/tmp/evac.err
rc=$?
cat /tmp/evac.json /tmp/evac.err
xl list
[ $rc = 0 ] || fail "evacuate: exit $rc"
# The whole run and each of the two guests.
[ "$(ok_count /tmp/evac.json)" = 3 ] || fail "not every guest moved"
for g in xmev1 xmev2; do
	[ -n "$(domid $g)" ] || fail "no $g after the evacuation"
	step wait_ok $g--incoming 120 || step wait_ok $g 120 ||
		fail "pattern of $g after the evacuation"
done
leftovers && fail "a copy was left behind"

# Once more, one at a time, with the table.
step xmig --backend xen evacuate --to 127.0.0.1 --parallel 1 \
    >/tmp/evac.out 2>&1
rc=$?
cat /tmp/evac.out
[ $rc = 0 ] || fail "second evacuate: exit $rc"
grep -q '^GUEST .*DESTINATION .*RESULT' /tmp/evac.out || fail "no table"
[ "$(grep -c '^xmev[12] .* ok ' /tmp/evac.out)" = 2 ] ||
	fail "the table does not say both moved"
for g in xmev1 xmev2; do
	step wait_ok $g--incoming 120 || step wait_ok $g 120 ||
		fail "pattern of $g after the second evacuation"
done
leftovers && fail "a copy was left behind the second time"
xl destroy xmev1 2>/dev/null
xl destroy xmev2 2>/dev/null
detail "two PVH guests evacuated to 127.0.0.1 through xmigd, twice" \
    "(parallel 2, then 1); ${free} MiB free"
