# dom0-lib.sh - helpers for the scenario scripts of tests/xen/, sourced by
# each /scenarios/NAME.sh inside the emulated dom0 (busybox sh).
# A scenario exits 0 (pass), 77 (skip) or anything else (fail), and writes
# a one-line reason with detail() (shown in the host's summary).

GUEST_MEM=${GUEST_MEM:-128}	# MiB: Debian's kernel needs ~58 MiB to load
PROBE=/usr/local/bin/xenbe_probe

up() { cut -d' ' -f1 /proc/uptime; }
# progress goes to stderr: a step's stdout may be captured
say() { echo "[$(up)] $*" >&2; }
detail() { echo "$*" >>/results/$SCENARIO.detail; }
fail() { say "FAIL: $*"; detail "$*"; dump; exit 1; }
skip() { say "SKIP: $*"; detail "$*"; exit 77; }

# run a command, log it with its status and time (also left in
# $step_secs); returns its status
step() {
	local t0=$(up) rc
	say "+ $*"
	"$@"
	rc=$?
	step_secs=$(awk "BEGIN { printf \"%.1f\", $(up) - $t0 }")
	say "= rc=$rc secs=$step_secs"
	return $rc
}

# guest_cfg NAME TYPE: an xl config for the pattern guest.  TYPE: pv, pvh,
# hvm, or hvm-nopv (HVM without the Xen platform PCI device and with a
# kernel told not to use Xen: no PV drivers, xl suspends it by
# hypercall).  An HVM guest's
# console is its emulated serial port, which the device model appends to
# hvm_log NAME: the device model of a restore or an incoming migration
# gets the same config and carries on the same file.
guest_cfg() {
	local type=$2 console=hvc0 nopv=
	case $2 in
	hvm*) type=hvm console=ttyS0 ;;
	esac
	# Without the platform device Linux still finds Xen by CPUID and sets
	# its callback irq, and so still answers control/shutdown: "nopv"
	# makes it a guest without PV drivers for Xen's toolstack too.
	[ "$2" != hvm-nopv ] || nopv=" nopv"
	cat >/etc/xen/$1.cfg <<CFG
name     = "$1"
type     = "$type"
kernel   = "/guest/vmlinuz"
ramdisk  = "/guest/initrd.gz"
extra    = "console=$console quiet loglevel=3$nopv"
memory   = $GUEST_MEM
vcpus    = 1
on_crash = "preserve"
CFG
	case $2 in
	hvm*) cat >>/etc/xen/$1.cfg <<CFG
vnc      = 0
sdl      = 0
device_model_args_hvm = [ "-chardev",
    "file,id=ser,path=$(hvm_log $1),append=on", "-serial", "chardev:ser" ]
CFG
	esac
	[ "$2" != hvm-nopv ] || echo "xen_platform_pci = 0" >>/etc/xen/$1.cfg
	[ -z "${GUEST_HAP:-}" ] || echo "hap = $GUEST_HAP" >>/etc/xen/$1.cfg
	[ -z "${GUEST_CPUS:-}" ] || echo "cpus = \"$GUEST_CPUS\"" >>/etc/xen/$1.cfg
	# the guest's disks: xl's disk specs, quoted, comma-separated
	[ -z "${GUEST_DISK:-}" ] || echo "disk = [ $GUEST_DISK ]" \
	    >>/etc/xen/$1.cfg
}

# not xenconsoled's file: it opens one for an HVM guest too and writes
# its "Logfile Opened" lines in it
hvm_log() { echo /var/log/xen/console/hvm-$1.log; }

# dm_log KEY VALUE: the serial log on the command line of the device
# model started with "KEY VALUE" (libxl passes -name and -xen-domid)
dm_log() {
	local p
	for p in $(pidof xen-qemu-system-i386); do
		tr '\0' '\n' </proc/$p/cmdline 2>/dev/null | awk -v k="$1" \
		    -v v="$2" 'last == k && $0 == v { hit = 1 } { last = $0 }
		    sub(/^file,id=ser,path=/, "") { sub(/,.*/, ""); f = $0 }
		    END { if (hit && f != "") print f }'
	done | head -n 1
}

# console_log NAME: the file that holds guest NAME's console: for an HVM
# guest its device model's file, under the name the guest had when that
# was started (NAME--incoming during and after an xl migrate) or, through
# its domain id, any later name; else xenconsoled's.  Found once, then
# remembered.  No xl call unless a device model runs: PV and PVH guests
# have none.
console_log() {
	local m=/run/console-of/$1 f id
	[ -f $m ] && { cat $m; return; }
	f=$(dm_log -name "$1")
	if [ -z "$f" ] && [ -n "$(pidof xen-qemu-system-i386)" ] &&
	    id=$(xl domid "$1" 2>/dev/null); then
		f=$(dm_log -xen-domid "$id")
	fi
	if [ -z "$f" ]; then
		echo /var/log/xen/console/guest-$1.log
		return
	fi
	mkdir -p /run/console-of && echo $f >$m && echo $f
}

# count PATTERN-... lines of guest $1 matching $2
count() {
	local c
	c=$(grep -c "$2" "$(console_log $1)" 2>/dev/null)
	echo ${c:-0}
}

# wait_ok NAME SECS [WHAT]: wait for one more WHAT-OK (PATTERN-OK: the
# memory; DISK-OK: the disk) than seen now, and fail at once on a
# WHAT-BAD (the guest found a page or block lost or corrupted)
# (xenconsoled names the log after the domain's name at creation)
wait_ok() {
	local w=${3:-PATTERN} n end=$(($(cut -d. -f1 /proc/uptime) + $2))
	n=$(count $1 $w-OK)
	while [ "$(cut -d. -f1 /proc/uptime)" -lt $end ]; do
		if [ "$(count $1 $w-BAD)" -gt 0 ]; then
			grep $w-BAD "$(console_log $1)" | head -3
			return 2
		fi
		[ "$(count $1 $w-OK)" -gt "$n" ] && return 0
		sleep 0.5
	done
	say "timeout: no new $w-OK from $1 in $2 s"
	return 1
}

domid() { xl domid "$1" 2>/dev/null; }

# export FILE: the host runs Xen's verify-stream-v2 on it after the run
export_file() {
	mkdir -p /results/export
	# A hard link: dom0's root is RAM, and a copy of each save file
	# filled it once the scenarios added up.
	{ ln -f "$1" /results/export/ 2>/dev/null ||
	    cp "$1" /results/export/; } && say "exported $1 for the host"
}

# create_guest NAME TYPE: xl create the pattern guest (TYPE as for
# guest_cfg), wait for its first verdict and set $id.  A PVH guest under
# TCG now and then triple faults early in boot (Xen logs "d1v0 Triple
# fault"); xl restarts it (on_reboot), so the domain id is read only once
# the guest runs.
create_guest() {
	guest_cfg $1 $2
	rm -f /run/console-of/$1 "$(hvm_log $1)"
	step xl create /etc/xen/$1.cfg || fail "xl create $2 failed"
	step wait_ok $1 300 || fail "$2 guest did not report its pattern"
	id=$(domid $1)
	if [ "$(count $1 'Logfile Opened')" -gt 1 ] ||
	    [ "$(count $1 GUEST-UP)" -gt 1 ]; then
		say "note: guest $1 rebooted during boot"
	fi
	[ -n "$id" ] || fail "no domain id for $1"
}

dump() {
	say "---- xl list"; xl list
	say "---- xl dmesg (last 25 lines)"; xl dmesg | tail -n 25
	# dom0's own kernel: a helper's segfault shows here
	say "---- dmesg (last 15 lines)"; dmesg | tail -n 15
	for f in /var/log/xen/console/*.log; do
		[ -f "$f" ] || continue
		say "---- $f (last 15 lines)"; tail -n 15 "$f"
	done
	for f in /var/log/xen/xl-*.log /var/log/xen/qemu-dm-*.log; do
		[ -f "$f" ] || continue
		say "---- $f (last 15 lines)"; tail -n 15 "$f"
	done
}

# start_xmigd LOG: xmigd on 127.0.0.1:8002 with the xen backend, its log
# in LOG (appended to); waits (bounded) until it listens and stops it on
# exit.  $XMIGD_FAULT, if set, arms fault points in it (XMIG_FAULT).
start_xmigd() {
	ip link set lo up
	mkdir -p /etc/xmig
	cat >/etc/xmig/xmigd.conf <<CONF
relocation-address = 127.0.0.1
relocation-port = 8002
hosts-allow = ${XMIGD_HOSTS_ALLOW:-127\.0\.0\.1 localhost}
backend = xen
${XMIGD_EXTRA_CONF:-}
CONF
	local ready
	ready=$(grep -c 'ready: listening' "$1" 2>/dev/null)
	XMIG_FAULT="${XMIGD_FAULT:-}" xmigd -f -c /etc/xmig/xmigd.conf \
	    >>"$1" 2>&1 &
	xmigd_pid=$!
	xmigd_log=$1
	trap 'kill $xmigd_pid 2>/dev/null; cat "$xmigd_log"' EXIT
	i=0
	until [ "$(grep -c 'ready: listening' "$1")" -gt "${ready:-0}" ]; do
		i=$((i + 1))
		[ $i -gt 60 ] && fail "xmigd did not listen"
		sleep 0.5
	done
}
