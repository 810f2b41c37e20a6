# hvm-migrate: "xmig migrate" of a live HVM guest (with PV drivers: it
# suspends through xenstore) to localhost through xmigd, twice (the
# device model the first move started must carry on), the guest's memory
# pattern checked after each.  $HVM_TYPE: hvm (default) or hvm-nopv.
. /dom0-lib.sh

t=${HVM_TYPE:-hvm}
g=xm${t%-*}${t#hvm}
start_xmigd /results/xmigd.log
create_guest $g $t
figures=
for n in 1 2; do
	step xmig --backend xen -vv migrate $g 127.0.0.1 >/tmp/mig.out 2>&1
	rc=$?
	secs=$step_secs
	cat /tmp/mig.out
	[ $rc = 0 ] || fail "$t: live migration $n failed"
	if [ $t = hvm-nopv ]; then
		grep -q "suspending by hypercall" /tmp/mig.out ||
			fail "$t: not suspended by hypercall"
	fi
	sum=$(grep ": done in" /tmp/mig.out | tail -1 | sed 's/^.*: done/done/')
	figures="$figures move $n: ${secs}s ($sum);"
	xl list
	step wait_ok $g 120 || step wait_ok $g--incoming 120 ||
		fail "$t: pattern after live migration $n"
done
ls /var/lib/xen/qemu-save.* /var/lib/xen/qemu-resume.* 2>/dev/null &&
	fail "$t: device-state file left"
xl destroy $g
detail "$t live through xmigd:$figures pattern intact"
