# soak-migrate: "xmig migrate" of one PVH guest to localhost through xmigd,
# again and again ($SOAK_ROUNDS, default 8); the guest's pattern checked
# after each move.  Not in the default set: run it when a change touches
# the live path ("harness.sh soak-migrate").
. /dom0-lib.sh

start_xmigd /results/xmigd.log
g=soakm
create_guest $g pvh
i=1
while [ $i -le ${SOAK_ROUNDS:-8} ]; do
	step xmig --backend xen -v migrate $g 127.0.0.1 ||
		fail "round $i: xmig migrate failed"
	if ! step wait_ok $g--incoming 60; then
		id=$(domid $g)
		xl list -v
		xmig --backend xen list --json
		xenstore-ls /local/domain/$id | head -60
		/usr/lib/xen-4.17/bin/xenctx -a $id 2>&1 | head -40
		fail "round $i: no pattern after xmig migrate"
	fi
	i=$((i + 1))
done
detail "pvh: $((i - 1)) live migrations to localhost: pattern intact"
