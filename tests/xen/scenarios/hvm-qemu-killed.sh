# hvm-qemu-killed: the device model (QEMU) of an HVM guest is killed while
# "xmig save" runs, in the window between QEMU's "stop" and its device
# state save (fault point xen-dm-before-save holds it open): the save
# fails cleanly (no save file, no device-state file, no monitor lock, no
# job lock) and the guest is resumed (without a device model now: the
# log says so) and reported as it is; a second save, with no QEMU at
# all, is refused before anything changes.
. /dom0-lib.sh

g=xkhvm
create_guest $g hvm
qpid=$(xenstore-read /local/domain/$id/image/device-model-pid 2>/dev/null)
[ -n "$qpid" ] && kill -0 "$qpid" || fail "no device model pid for $g"
XMIG_FAULT=xen-dm-before-save:sleep=5000 xmig --backend xen -v save $g \
    /results/$g.xmig >/tmp/kill.out 2>&1 &
spid=$!
end=$(($(cut -d. -f1 /proc/uptime) + 180))
until grep -q "fault point xen-dm-before-save:" /tmp/kill.out; do
	[ "$(cut -d. -f1 /proc/uptime)" -lt $end ] ||
		fail "the save never reached QEMU's state save"
	kill -0 $spid 2>/dev/null || { cat /tmp/kill.out;
		fail "the save ended before QEMU's state save"; }
	sleep 0.2
done
t0=$(up)
kill -9 "$qpid" && say "killed QEMU ($qpid)"
wait $spid
rc=$?
secs=$(awk "BEGIN { printf \"%.1f\", $(up) - $t0 }")
cat /tmp/kill.out
[ $rc != 0 ] || fail "the save succeeded without a device model"
grep -q "device model" /tmp/kill.out || fail "no word about QEMU"
ls /results/$g.xmig* 2>/dev/null && fail "save file left behind"
ls /var/lib/xen/qemu-save.* 2>/dev/null && fail "device-state file left"
ls /var/lib/xen/userdata-l.*qmp-socket-lock 2>/dev/null &&
	fail "monitor lock left"
ls /var/lib/xmig/locks/* 2>/dev/null && fail "job lock left"
xl list
state=$(xl list | awk -v g=$g '$1 == g { print $5 }')
[ -n "$state" ] || fail "the guest is gone"
case $state in
*s*) fail "the guest was left suspended ($state)" ;;
esac
xmig --backend xen list | grep -w $g || fail "xmig list lost the guest"
grep -q "resuming the guest without it" /tmp/kill.out ||
	fail "resumed, but the log does not say the device model is gone"
# Now without a device model: refused before anything changes.
xmig --backend xen save $g /results/$g.again >/tmp/again.out 2>&1 &&
	fail "a save without a device model succeeded"
cat /tmp/again.out
grep -q "device model (QEMU) is not running" /tmp/again.out ||
	fail "the refusal does not say QEMU is gone"
ls /results/$g.again* 2>/dev/null && fail "save file left after refusal"
case $(xl list | awk -v g=$g '$1 == g { print $5 }') in
*s*) fail "refused, yet the guest was suspended" ;;
'') fail "the guest is gone after the refusal" ;;
esac
xl destroy $g || fail "xl destroy of the guest failed"
ls /var/lib/xen/qemu-* 2>/dev/null && fail "files left after destroy"
detail "QEMU killed mid-save: failed in ${secs}s after the kill," \
    "nothing left, guest resumed without QEMU ($state); saved again:" \
    "refused before the suspend"
