#!/bin/busybox sh
# dom0-init.sh - /init of the emulated dom0 built by tests/xen/harness.sh.
# Starts what xencommons would (xenstored, xen-init-dom0, xenconsoled), runs
# every scenario named in /harness.conf under a timeout, prints one line
#   XMIG-SCENARIO <name> PASS|FAIL|SKIP <seconds> <detail>
# per scenario on the console (the host reads it from QEMU's serial port),
# then powers the machine off (QEMU runs with -no-reboot and exits).
export PATH=/usr/lib/xen-4.17/bin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root
# a sanitizer build of xmig: libxl's own allocations are not ours to report
export ASAN_OPTIONS=detect_leaks=0
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=755 tmpfs /run
ln -s /run /var/run
mkdir -p /run/xen /run/xenstored /results /var/lib/xen /var/log/xen/console
# xmig's state directory (job locks, recovery records) for either prefix
mkdir -p /var/lib/xmig /usr/local/var/lib/xmig /run/xmig
up() { cut -d' ' -f1 /proc/uptime; }
echo "XMIG-DOM0-INIT uptime=$(up)"
# A line every 10 s until poweroff, with the running scenario's last log
# line: the host takes a minute of silence for a stalled dom0 (harness.sh,
# watch_dom0), and the last beat says where it was.
# Not "while sleep 10": dom0's processes now and then die while an HVM
# guest boots (harness.sh, "What runs by default"), and a sleep killed
# by a signal would end the beat of a dom0 that still runs.
heartbeat() {
	local s
	while :; do
		sleep 10
		s=$(cat /run/scenario-now 2>/dev/null)
		echo "XMIG-HEARTBEAT uptime=$(up) ${s:--}" \
		    "$([ -n "$s" ] && tail -n 1 /results/$s.log | cut -c1-120)"
	done
}
heartbeat &
echo $! >/run/heartbeat.pid
. /harness.conf
for m in $(cat /modules.list); do
	insmod "$m" 2>/dev/null || echo "XMIG-DOM0 insmod $m failed"
done
mount -t xenfs xenfs /proc/xen
xenstored --pid-file /run/xen/xenstored.pid
xen-init-dom0 >/results/xen-init-dom0.log 2>&1
xenconsoled --pid-file=/run/xen/xenconsoled.pid --log=guest \
	--log-dir=/var/log/xen/console --timestamp=guest
ip link set lo up
echo "XMIG-DOM0-READY uptime=$(up)"

# emu_fault S: the first sign, in Xen's log since the scenario began or in
# its own log, of a fault this emulated host shows under hardware-assisted
# paging with xl as with xmig: a guest's triple fault, a Xen helper (or xl
# itself, seen once in libgcc_s after "Restore successful") killed by a
# signal, glibc finding its heap corrupted or, once, xl's own mutex
# ("Assertion `mutex->__data.__owner == 0' failed" after "Restore
# successful" of a PV guest), or a guest's init killed by SIGILL (an
# AVX instruction of glibc's refused with #UD, in a guest just created by
# xl too), in a console log written since the scenario began (see "What
# runs by default" in harness.sh).  Nothing of xmig's own failures
# matches; a fault that a stream of ours caused would come back in the
# rerun and fail it.
emu_fault() {
	local f
	{ xl dmesg 2>/dev/null; cat /results/$1.log; } |
	    grep -m1 -oE 'd[1-9][0-9]*(v[0-9]+)? Triple fault|helper \[[0-9]+\] died due to fatal signal [A-Za-z ]+|malloc\(\): [a-z ]+|xl: pthread_mutex_lock\.c:[0-9]+: [_a-z]+: Assertion|(libxl-save-hel[^ ]*|xl\[[0-9]+\]:) segfault' &&
	    return
	for f in $(find /var/log/xen/console -name '*.log' \
	    -newer /run/scenario-start 2>/dev/null); do
		grep -q 'Attempted to kill init! exitcode=0x00000004' "$f" &&
		    echo "guest init killed by SIGILL (${f##*/})" && return
	done
}

# run_scenario S: run it once, print its log and verdict line; the
# verdict's word in $verdict
run_scenario() {
	local s=$1 t0 t1 rc secs detail
	t0=$(up)
	echo "XMIG-BEGIN $s uptime=$t0"
	echo $s >/run/scenario-now
	touch /run/scenario-start
	rm -f /results/$s.detail
	# dom0-lib.sh's console_log: names seen by an earlier scenario
	rm -rf /run/console-of
	xl dmesg -c >/dev/null 2>&1
	SCENARIO=$s timeout -s KILL "$SCENARIO_TIMEOUT" \
		sh /scenarios/$s.sh >/results/$s.log 2>&1
	rc=$?
	t1=$(up)
	secs=$(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }")
	case $rc in
	0) verdict=PASS ;;
	77) verdict=SKIP ;;
	137) verdict=FAIL; echo "timeout after $SCENARIO_TIMEOUT s" \
		>>/results/$s.detail ;;
	*) verdict=FAIL ;;
	esac
	# the log first, each line tagged, so a failure can be read on the host
	rm -f /run/scenario-now
	sed "s/^/XMIG-LOG $s: /" /results/$s.log
	detail=$(tr '\n' ' ' </results/$s.detail 2>/dev/null | cut -c1-300)
	fault=
	[ $verdict = FAIL ] && fault=$(emu_fault $s)
	[ -n "$fault" ] && detail="$detail [emulation fault: $fault]"
	echo "XMIG-SCENARIO $s $verdict $secs rc=$rc ${detail}"
	# leave no guest behind for the next scenario, nor an xmigd: a
	# scenario killed by its timeout never ran its trap, and its xmigd
	# would keep the relocation port from the next one's
	for d in $(xl list 2>/dev/null | awk 'NR > 2 { print $1 }'); do
		xl destroy "$d" >/dev/null 2>&1
	done
	for p in $(pidof xmigd); do
		kill "$p" 2>/dev/null
	done
	# nor a scratch file system in dom0's RAM root (qdisk-migrate's
	# images): the root holds every save file the scenarios write
	umount /vm 2>/dev/null || umount -l /vm 2>/dev/null
	rm -f /tmp/vm.fs
	echo "XMIG-SPACE after $s: $(stat -f -c '%a %S' / |
	    awk '{ print $1 * $2 / 1024 }') KiB free in dom0's root"
}

# A scenario that failed on an emulation fault runs once more (once per
# boot in all): the host's report shows both runs, and the second decides.
reruns=${EMU_RERUNS-1}
for s in $SCENARIOS; do
	run_scenario $s
	if [ $verdict = FAIL ] && [ -n "$fault" ] && [ "$reruns" -gt 0 ]; then
		reruns=$((reruns - 1))
		echo "XMIG-RERUN $s: $fault"
		run_scenario $s
	fi
done
echo "XMIG-DOM0-DONE uptime=$(up)"
# save files for the host's checks, as a tar on the scratch disk
if [ -d /results/export ] && [ -b /dev/sda ]; then
	tar -cf /dev/sda -C /results export &&
		echo "XMIG-EXPORT-WRITTEN uptime=$(up)"
fi
sync
poweroff -f
