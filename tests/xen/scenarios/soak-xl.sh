# soak-xl: soak-migrate's loop with "xl migrate" instead of xmig, on the
# same emulated host: the reference for any failure soak-migrate shows
# (is it the emulation, or xmig?).  Not in the default set.
. /dom0-lib.sh

g=soakx
create_guest $g pvh
i=1
while [ $i -le ${SOAK_ROUNDS:-8} ]; do
	step xl migrate -s "" $g "xl migrate-receive" ||
		fail "round $i: xl migrate failed"
	if ! step wait_ok $g--incoming 60; then
		xl list -v
		fail "round $i: no pattern after xl migrate"
	fi
	i=$((i + 1))
done
detail "pvh: $((i - 1)) xl live migrations to localhost: pattern intact"
