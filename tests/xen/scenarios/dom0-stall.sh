# dom0-stall: the host's watch for a stalled dom0 (harness.sh,
# watch_dom0), checked: in the first boot this stops dom0's heartbeat and
# keeps quiet until the host kills the emulated host; in the next boot,
# where it runs again as a rerun, it passes.  Not in the default set: run
# it when the watch changes ("harness.sh dom0-stall smoke").
. /dom0-lib.sh

if [ "${XMIG_BOOT:-1}" = 1 ]; then
	kill -STOP "$(cat /run/heartbeat.pid)" || fail "no heartbeat to stop"
	sleep 600
	fail "still running after 600 s without a heartbeat"
fi
detail "boot $XMIG_BOOT, after a faked stall"
