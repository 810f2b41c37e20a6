#!/bin/bash
# harness.sh - run xmig's scenarios on a real Xen 4.17 hypervisor booted
# under QEMU TCG (no KVM needed), with a busybox dom0 that holds Xen's
# daemons and libraries and the xmig just built.
#
#   tests/xen/harness.sh [SCENARIO...]     (default: $DEFAULT_SCENARIOS)
#
# Steps: check the host has what it needs (else exit 77: scripts/setup.sh
# installs it); build, or take from the cache, a dom0 base initramfs
# (busybox, Xen userland with the libraries ldd finds, the HVM device model
# with its firmware, kernel modules, the guest kernel and the guest
# initramfs with tests/xen/guest_pattern.c) and always a small overlay
# (xmig, xmigd, tests/xen/xenbe_probe, dom0 /init, scenarios); boot Xen
# + dom0 in QEMU; dom0 runs each scenario under a timeout and prints
# "XMIG-SCENARIO name PASS|FAIL|SKIP secs detail" on the serial console;
# print a summary.  Exit 0 if no scenario failed.
#
# Environment: XEN_SCENARIOS (the list to run), XMIG_SKIP_XEN=1 (exit 77
# at once, to leave this out of a quick "make check"), XEN_WAIT=1 (wait
# for another run to end instead of skipping), XEN_LOCK (that lock file,
# /tmp/xmig-xen-harness.lock), top_builddir and
# top_srcdir (set by make; default: derived from this script and the
# current directory), XEN_WORK (cache and logs, default
# $top_builddir/tests/xen/work), QEMU_TIMEOUT (s, 3600), SCENARIO_TIMEOUT
# (s, 420), SOAK_ROUNDS (the soak scenarios' rounds, 8), GUEST_HAP (0:
# guests' paging by shadow page tables, on Debian's hypervisor rebuilt
# with shadow paging by tests/xen/shadow-xen.sh, once, kept in XEN_WORK;
# 1: hardware-assisted paging; empty: Xen's choice, which is HAP),
# QEMU_MEM (MiB, 3072), DOM0_MEM (MiB, 1536), QEMU_SMP (2), DOM0_VCPUS
# (dom0's vCPUs; fewer than QEMU_SMP: pinned to the first CPUs; default
# 1 with QEMU_SMP=2, else QEMU_SMP), GUEST_CPUS (the CPUs the guests may
# run on, xl's "cpus"; default 1 with QEMU_SMP=2, else any; empty: any),
# XEN_IMAGE (hypervisor; default /boot/xen-4.17-amd64.gz, or the shadow
# paging build with GUEST_HAP=0), EMU_RERUNS (reruns of
# scenarios failed on an emulation fault or a stall, 3; see "What runs by
# default"), DOM0_STALL (s of silence from a running dom0 taken for a
# stall, 60: the host is booted again, see boot_all), SOAK_HVM_TYPE
# (soak-hvm's guests: hvm or hvm-nopv), XL_HVM_NOPV (1: xl-hvm also
# moves a guest without PV drivers).
set -u

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
work=${XEN_WORK:-$top_builddir/tests/xen/work}
XENVER=4.17
XENBIN=/usr/lib/xen-$XENVER/bin
# empty: Debian's hypervisor, or with GUEST_HAP=0 the same rebuilt with
# shadow paging (shadow_image)
XEN_IMAGE=${XEN_IMAGE:-}
# HVM guests' device model (libxl's default path; not /usr/bin's
# qemu-system-i386, a wrapper) and firmware loader
HVM_DM=/usr/libexec/xen-qemu-system-i386
HVMLOADER=/usr/lib/xen-$XENVER/boot/hvmloader
# option ROMs the device model loads (fw_cfg, the -kernel boot)
HVM_ROMS="linuxboot linuxboot_dma multiboot multiboot_dma kvmvapic pvh"
QEMU_TIMEOUT=${QEMU_TIMEOUT:-3600}
SCENARIO_TIMEOUT=${SCENARIO_TIMEOUT:-420}
QEMU_MEM=${QEMU_MEM:-3072}
# dom0 keeps the save files of every scenario of a run in its RAM root
# (half of its memory): 1 GiB was not enough for all of them.
DOM0_MEM=${DOM0_MEM:-1536}
QEMU_SMP=${QEMU_SMP:-2}
# Two CPUs: dom0 on CPU 0 alone, the guests on CPU 1 (see "What runs by
# default"); DOM0_VCPUS=2 GUEST_CPUS= (empty) for the unpinned layout.
if [ "$QEMU_SMP" = 2 ]; then
	DOM0_VCPUS=${DOM0_VCPUS:-1}
	GUEST_CPUS=${GUEST_CPUS-1}
fi
# seconds of silence from a booted dom0 taken for a stall (watch_dom0)
DOM0_STALL=${DOM0_STALL:-60}
# Xen under TCG: SMAP/SMEP crash dom0 in create_bounce_frame, and TCG's
# SVM reports RDTSCP without NRIP, which loops PVH guests.  No AVX: QEMU
# 7.2's TCG is the first with it, and under its emulated SVM guests'
# AVX instructions were refused with #UD now and then (see "What runs by
# default"); without it glibc, in dom0 and in the guests, takes its SSE2
# code.
QEMU_CPU=${QEMU_CPU:-max,-smap,-smep,-rdtscp,-avx,-avx2}
# Debian's kernel and guest modules the dom0 needs.
# ata_piix and sd_mod: the scratch disk that carries files back to the host.
# xen-blkback and loop: guests' phy disks; ext4: a file system for qdisk
# images that QEMU can open with O_DIRECT (dom0's RAM root cannot).
DOM0_MODULES="xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs ata_piix
	sd_mod xen-blkback loop ext4"
# The guest's: its disk (qdisk-migrate).
GUEST_MODULES="xen-blkfront"
# What runs by default.  The emulated host (QEMU 7.2's TCG, its SVM
# emulated) has faults of its own, with xl as with xmig:
# - Now and then a guest triple faults under hardware-assisted paging (6
#   of about 160 live migrations of a PVH guest by xmig, none of about 50
#   by xl; on shadow paging, GUEST_HAP=0 with shadow-xen.sh's hypervisor,
#   90 of 90 passed), or a Xen helper or xl dies of a signal or finds
#   glibc's heap corrupt.
# - With dom0 and the guests sharing both CPUs, dom0's processes die
#   (segfaults in libc: busybox, xl, QEMU) while a QEMU in dom0 serves a
#   guest (an HVM device model, a qdisk disk), and dom0 may fall silent:
#   soak-hvm faulted in 6 of 6 HVM boots (load 8-10), on HAP and shadow
#   paging alike; one of two full runs lost three HVM scenarios.  With
#   dom0 on CPU 0 alone and the guests on CPU 1 (DOM0_VCPUS=1
#   GUEST_CPUS=1) none of that was seen: no dom0 segfault, stall or
#   triple fault in 13 HVM boots of soak-hvm and in two scenario runs
#   (the HVM scenarios and qdisk-migrate; then the whole default list
#   with them; load average 1-5).
# - Pinned so, a guest's init died of SIGILL, glibc's first AVX
#   instruction (vmovd, "c5 f9 6e c6") refused with #UD (QEMU 7.2 is the
#   first TCG with AVX): a PVH guest just created by xl (suspend-crash)
#   and an HVM guest without PV drivers after "xmig migrate" (hvm-nopv,
#   3 runs of 3, in printf's AVX2 search for '%', which had worked
#   before the move).  The emulated CPU now has no AVX (QEMU_CPU).
# A scenario that fails with one of those signs (dom0-init.sh, emu_fault)
# runs once more in the same boot, three times per run in all
# (EMU_RERUNS; 0: never): both runs are in the report, the failed one's
# log first, and the second decides.  A dom0 silent for DOM0_STALL s is
# killed and the host booted again for the scenarios not yet done
# (boot_all), the interrupted one as such a rerun (seen with QEMU_SMP=1:
# 2 stalls in 6 HVM boots, its CPU halted in Xen's idle loop).
# Pinned, each took (s): xl-hvm 135, hvm-save 143-155, hvm-migrate
# 140-236, hvm-qemu-killed 56-148 (each with an HVM boot of 45-218 s),
# qdisk-migrate 93; the 14 PVH and PV scenarios about 660.
# datapath (an lz4 framed migration of a mostly zero guest) once lost a
# page to zeros in the stream and once a record header to garbage, in
# user-space copies, with AVX on; without AVX it passed 2 of 2 (and with
# glibc told to avoid AVX in dom0, 1 of 1).  Migrations on Xen still
# take the plain stream unless --compress is given.  autoconverge passed
# 3 times in its present form (its first run lost a page type to the
# text "grep", with AVX on).  Both run by default.
# The soak scenarios (soak-*) run by name.
HVM_SCENARIOS="xl-hvm hvm-save hvm-migrate hvm-nopv hvm-qemu-killed"
DEFAULT_SCENARIOS="smoke be-pvh be-pv xmig-save xmig-save-pv suspend-timeout
	suspend-crash reserve-too-big xmig-migrate never-neither evacuate
	xl-relay xmig-to-xl xl-refused $HVM_SCENARIOS qdisk-migrate datapath
	autoconverge"
# Bump when the layout of the cached base image changes.
BASE_FORMAT=6

log() { echo "xen-harness: $*" >&2; }
skip() { log "SKIP: $*"; exit 77; }

# ------------------------------------------------------------ requirements
check_host() {
	local f
	[ -z "${XMIG_SKIP_XEN:-}" ] || skip "XMIG_SKIP_XEN is set"
	[ "$(id -u)" = 0 ] || skip "needs root (device nodes in the initramfs)"
	for f in qemu-system-x86_64 cpio gzip perl modprobe gcc sha256sum \
	    timeout flock; do
		command -v $f >/dev/null 2>&1 || skip "$f not installed"
	done
	[ -n "$XEN_IMAGE" ] || [ "${GUEST_HAP:-}" = 0 ] ||
		XEN_IMAGE=/boot/xen-$XENVER-amd64.gz
	[ -z "$XEN_IMAGE" ] || [ -f "$XEN_IMAGE" ] ||
		skip "no hypervisor $XEN_IMAGE"
	for f in xl xenstored xenconsoled xen-init-dom0 libxl-save-helper; do
		[ -x $XENBIN/$f ] || skip "no $XENBIN/$f"
	done
	# HVM guests: the device model libxl starts, hvmloader, the BIOS
	# it loads (Debian's Xen takes SeaBIOS from the seabios package)
	for f in $HVM_DM $HVMLOADER /usr/share/seabios/bios-256k.bin \
	    /usr/share/qemu/keymaps/en-us; do
		[ -e $f ] || skip "no $f: HVM guests need qemu-system-xen" \
		    "and seabios (scripts/setup.sh installs them)"
	done
	[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 ||
		skip "no static /bin/busybox (busybox-static)"
	KVER=$(ls /boot/vmlinuz-* 2>/dev/null | sed 's,.*/vmlinuz-,,' |
	    sort -V | tail -1)
	[ -n "$KVER" ] || skip "no kernel in /boot (linux-image-amd64)"
	[ -d /lib/modules/$KVER ] || skip "no modules for $KVER"
	for f in cli/xmig daemon/xmigd tests/xen/xenbe_probe; do
		[ -x "$top_builddir/$f" ] ||
			skip "$f not built (no xen backend configured?)"
	done
}

# shadow_image: with guests on shadow paging (GUEST_HAP=0) and no
# XEN_IMAGE, Debian's hypervisor rebuilt with shadow paging, which it
# leaves out (shadow-xen.sh: built once, kept in $work); outside the
# machine's lock, the build takes minutes.
shadow_image() {
	[ -z "$XEN_IMAGE" ] || return 0
	XEN_IMAGE=$(bash "$here/shadow-xen.sh" "$work")
	case $? in
	0) log "hypervisor with shadow paging: $XEN_IMAGE" ;;
	77) skip "cannot build the hypervisor with shadow paging" \
	    "(scripts/setup.sh installs what it needs)" ;;
	*) log "building the hypervisor with shadow paging failed"
	   exit 1 ;;
	esac
}

# One emulated Xen at a time on this machine: TCG takes whole cores.  In
# "make check" a busy lock skips (77) rather than doubling everyone's wait;
# "make check-xen" (XEN_WAIT=1) waits for it.
take_lock() {
	local lock=${XEN_LOCK:-/tmp/xmig-xen-harness.lock}
	exec 9>>"$lock" || skip "cannot open $lock"
	if [ -n "${XEN_WAIT:-}" ]; then
		flock -w 3600 9 || skip "cannot take $lock"
	else
		flock -n 9 || skip "another harness run is going ($lock)"
	fi
}

# ------------------------------------------------------------ image helpers
# copy binaries and every shared library ldd reports into root $1
copy_with_libs() {
	local root=$1 f
	shift
	for f in "$@"; do
		mkdir -p "$root$(dirname "$f")"
		cp -L "$f" "$root$f" && copy_libs "$root" "$f" || return 1
	done
}

# copy the shared libraries of binary $2 into root $1
copy_libs() {
	local lib
	for lib in $(ldd "$2" 2>/dev/null | grep -o '/[^ ]*'); do
		[ -e "$1$lib" ] && continue
		mkdir -p "$1$(dirname "$lib")"
		cp -L "$lib" "$1$lib" || return 1
	done
}

make_skeleton() {
	local root=$1 a
	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,dev,proc,sys,run,tmp,etc,root,usr/bin} \
	    "$root"/{usr/sbin,usr/local/bin,var/log,var/lib,var/lock}
	cp /bin/busybox "$root/bin/busybox"
	for a in $(/bin/busybox --list); do
		[ -e "$root/bin/$a" ] || ln -s busybox "$root/bin/$a"
	done
	mknod -m 600 "$root/dev/console" c 5 1
	mknod -m 666 "$root/dev/null" c 1 3
}

pack_cpio() {	# pack_cpio ROOT OUT.gz
	(cd "$1" && find . -print0 | cpio --null -o -H newc --quiet) |
	    gzip -1 >"$2.$$" && mv "$2.$$" "$2"
}

# copy modules $2... with what they need into root $1, in load order in
# its /modules.list
copy_modules() {
	local root=$1 m line
	shift
	: >"$root/modules.list"
	for m in "$@"; do
		modprobe -S "$KVER" --show-depends "$m" | while read -r line; do
			set -- $line
			[ "$1" = insmod ] || continue
			grep -qx "$2" "$root/modules.list" && continue
			mkdir -p "$root$(dirname "$2")"
			cp "$2" "$root$2" || return 1
			echo "$2" >>"$root/modules.list"
		done || return 1
	done
}

pkgver() { dpkg-query -W -f='${Package}=${Version} ' "$@" 2>/dev/null; }

# --------------------------------------------------------- guest initramfs
build_guest() {
	local key root=$run/guest-root
	key=$( (cat "$top_srcdir/tests/xen/guest_pattern.c"; gcc --version;
	    pkgver busybox-static; echo $BASE_FORMAT $KVER $GUEST_MODULES) |
	    sha256sum | cut -c1-16)
	GUEST_INITRD=$work/guest-initrd-$key.gz
	[ -f "$GUEST_INITRD" ] && return 0
	log "building the guest initramfs ($key)"
	make_skeleton "$root"
	gcc -static -O2 -o "$root/bin/guest_pattern" \
	    "$top_srcdir/tests/xen/guest_pattern.c" || return 1
	copy_modules "$root" $GUEST_MODULES || return 1
	cat >"$root/init" <<'EOF'
#!/bin/busybox sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
echo "GUEST-UP uptime=$(cut -d' ' -f1 /proc/uptime)"
disk=
if ls /sys/bus/xen/devices 2>/dev/null | grep -q '^vbd-'; then
	for m in $(cat /modules.list); do insmod $m; done
	i=0
	while [ ! -b /dev/xvda ] && [ $i -lt 40 ]; do
		sleep 0.5
		i=$((i + 1))
	done
	disk=/dev/xvda
fi
# 32 MiB checked every 2 s, 256 pages rewritten per round; the disk's
# every block checked too, 64 of them rewritten per round
exec /bin/guest_pattern 32 2 256 $disk 64
EOF
	chmod +x "$root/init"
	pack_cpio "$root" "$GUEST_INITRD" && rm -rf "$root"
}

# ----------------------------------------------------- dom0 base initramfs
build_base() {
	local key root=$run/base-root m line
	key=$( (echo $KVER $BASE_FORMAT $DOM0_MODULES; cat "$GUEST_INITRD";
	    pkgver xen-utils-$XENVER libxenmisc$XENVER busybox-static \
	    libxen-dev qemu-system-xen qemu-system-data seabios) |
	    sha256sum | cut -c1-16)
	BASE_INITRD=$work/dom0-base-$key.gz
	[ -f "$BASE_INITRD" ] && return 0
	log "building the dom0 base initramfs ($key)"
	make_skeleton "$root"
	# paths kept as installed: libxl hard-codes /usr/lib/xen-4.17/bin
	copy_with_libs "$root" $XENBIN/xl $XENBIN/xenstored \
	    $XENBIN/xenconsoled $XENBIN/xenconsole $XENBIN/xen-init-dom0 \
	    $XENBIN/libxl-save-helper $XENBIN/xenstore-control \
	    $XENBIN/xenctx $XENBIN/xen-hvmctx $XENBIN/xen-hvmcrash \
	    /usr/bin/xenstore || return 1
	# dlopen()ed by glibc for pthread_cancel: ldd does not list it
	copy_with_libs "$root" /lib/x86_64-linux-gnu/libgcc_s.so.1 || return 1
	for m in read write ls list exists rm chmod watch; do
		ln -sf xenstore "$root/usr/bin/xenstore-$m"
	done
	ln -sf $XENBIN/xl "$root/usr/sbin/xl"
	copy_with_libs "$root" $HVM_DM || return 1
	mkdir -p "$root$(dirname $HVMLOADER)" "$root/usr/share/qemu"
	cp $HVMLOADER "$root$HVMLOADER" || return 1
	cp -a /usr/share/seabios "$root/usr/share/" || return 1
	cp -a /usr/share/qemu/keymaps "$root/usr/share/qemu/" || return 1
	for m in $HVM_ROMS; do
		cp /usr/share/qemu/$m.bin "$root/usr/share/qemu/" || return 1
	done
	cp -a /etc/xen "$root/etc/"
	mkdir -p "$root"/var/lib/xenstored "$root"/var/log/xen/console
	copy_modules "$root" $DOM0_MODULES || return 1
	mkdir -p "$root/guest"
	cp /boot/vmlinuz-$KVER "$root/guest/vmlinuz"
	cp "$GUEST_INITRD" "$root/guest/initrd.gz"
	pack_cpio "$root" "$BASE_INITRD" && rm -rf "$root"
}

# -------------------------------------------------- overlay: this build
build_overlay() {
	local root=$run/overlay-root s f
	rm -rf "$root"
	mkdir -p "$root/usr/local/bin" "$root/scenarios" "$root/etc"
	for f in cli/xmig daemon/xmigd tests/xen/xenbe_probe; do
		cp "$top_builddir/$f" "$root/usr/local/bin/" &&
		    copy_libs "$root" "$top_builddir/$f" || return 1
	done
	cp "$top_srcdir/tests/xen/dom0-init.sh" "$root/init"
	chmod +x "$root/init"
	cp "$top_srcdir/tests/xen/dom0-lib.sh" "$root/dom0-lib.sh"
	cp "$top_srcdir"/tests/xen/scenarios/*.sh "$root/scenarios/"
	{
		echo "SCENARIOS=\"$BOOT_SCENARIOS\""
		echo "SCENARIO_TIMEOUT=$SCENARIO_TIMEOUT"
		echo "export SOAK_ROUNDS=${SOAK_ROUNDS:-8}"
		echo "export SOAK_HVM_TYPE=${SOAK_HVM_TYPE:-hvm}"
		echo "export XL_HVM_NOPV=${XL_HVM_NOPV:-}"
		echo "export GUEST_HAP=${GUEST_HAP:-}"
		echo "export GUEST_CPUS=\"${GUEST_CPUS:-}\""
		echo "EMU_RERUNS=$BOOT_RERUNS"
		echo "export XMIG_BOOT=$BOOT_NUMBER"
	} >"$root/harness.conf"
	pack_cpio "$root" "$run/dom0-overlay.gz" && rm -rf "$root"
	# the kernel unpacks concatenated compressed archives in order
	cat "$BASE_INITRD" "$run/dom0-overlay.gz" >"$run/dom0-initrd.gz"
}

prepare_xen() {
	local key
	key=$(sha256sum "$XEN_IMAGE" | cut -c1-16)
	XEN_ELF=$work/xen-$key.elf
	[ -f "$XEN_ELF" ] && return 0
	# QEMU's -kernel wants the multiboot ELF, Debian ships it gzipped
	case $XEN_IMAGE in
	*.gz) zcat "$XEN_IMAGE" >"$XEN_ELF.$$" ;;
	*) cp "$XEN_IMAGE" "$XEN_ELF.$$" ;;
	esac && mv "$XEN_ELF.$$" "$XEN_ELF"
}

# drop cached images built from other inputs (we hold the lock)
prune_cache() {
	local f
	for f in "$work"/guest-initrd-*.gz "$work"/dom0-base-*.gz \
	    "$work"/xen-*.elf; do
		case $f in
		"$GUEST_INITRD"|"$BASE_INITRD"|"$XEN_ELF") ;;
		*) rm -f "$f" ;;
		esac
	done
}

# ----------------------------------------------------------------- boot
# Each run has its own directory under $work ($run: overlay, QEMU's pid
# file, serial log, export disk): runs from several build trees or users
# never touch each other's QEMU.  The images in $work are shared.
cleanup() {
	local pid
	if [ -f "$run/qemu.pid" ]; then
		pid=$(cat "$run/qemu.pid" 2>/dev/null)
		[ -n "$pid" ] && kill "$pid" 2>/dev/null
	fi
	# keep the serial log of the last runs, not their images
	rm -rf "$run/export.img" "$run/export" "$run/dom0-initrd.gz" \
	    "$run/overlay-root" "$run/dom0-overlay.gz" "$run/qemu.pid" \
	    "$run/monitor.sock"
	ls -dt "$work"/run.* 2>/dev/null | tail -n +6 | xargs rm -rf
}

# boot: one boot of the emulated host, its serial output appended to
# $SERIAL; watched by watch_dom0.  $STALL: empty, or what the watch saw.
boot() {
	local xen_args dom0_args rc pid off
	xen_args="console=com1 com1=115200,8n1"
	xen_args+=" dom0_mem=${DOM0_MEM}M,max:${DOM0_MEM}M"
	xen_args+=" dom0_max_vcpus=${DOM0_VCPUS:-$QEMU_SMP}"
	# fewer than the host's CPUs: pinned, the guests may take the others
	[ "${DOM0_VCPUS:-$QEMU_SMP}" = "$QEMU_SMP" ] ||
		xen_args+=" dom0_vcpus_pin"
	xen_args+=" loglvl=warning guest_loglvl=warning"
	dom0_args="console=hvc0 earlyprintk=xen loglevel=3"
	# files dom0 puts in /results/export come back as a tar on this disk
	rm -f "$run/export.img" "$run/monitor.sock"
	truncate -s 1G "$run/export.img" || return 1
	log "booting Xen under QEMU TCG (timeout ${QEMU_TIMEOUT}s)"
	log "serial console: $SERIAL"
	off=$(stat -c %s "$SERIAL" 2>/dev/null || echo 0)
	timeout -s KILL "$QEMU_TIMEOUT" qemu-system-x86_64 \
	    -accel tcg -M pc -cpu "$QEMU_CPU" -smp "$QEMU_SMP" -m "$QEMU_MEM" \
	    -nodefaults -display none -no-reboot -nic none \
	    -serial stdio -pidfile "$run/qemu.pid" \
	    -monitor unix:"$run/monitor.sock",server=on,wait=off \
	    -drive file="$run/export.img",format=raw,if=ide,index=0 \
	    -kernel "$XEN_ELF" -append "$xen_args" \
	    -initrd "/boot/vmlinuz-$KVER $dom0_args,$run/dom0-initrd.gz" \
	    </dev/null 2>&1 |
	    perl -MTime::HiRes=time -ne \
	    'BEGIN { $| = 1; $t0 = time } s/\r//g;
	     printf "[%7.2f] %s", time - $t0, $_' >>"$SERIAL" &
	pid=$!
	watch_dom0 $pid $off
	wait $pid
	rc=$?
	rm -f "$run/qemu.pid"
	return $rc
}

# monitor CMD...: QEMU's human monitor commands, their output on stdout
monitor() {
	command -v python3 >/dev/null 2>&1 || return 0
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(3)
def drain():
    out = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            out += d
    except socket.timeout:
        pass
    return out.decode(errors="replace")
drain()
for c in sys.argv[2:]:
    s.sendall(c.encode() + b"\n")
    print(drain())
' "$run/monitor.sock" "$@" 2>&1
}

# watch_dom0 PID OFFSET: while the QEMU pipeline PID runs, and once dom0
# has begun (XMIG-DOM0-INIT in $SERIAL past OFFSET), take silence on the
# serial line for $DOM0_STALL s for a stalled emulated host: dom0-init.sh
# prints a heartbeat every 10 s however slow a scenario is.  Then save
# the vCPUs' registers and local APIC (its timer) twice (do they move?)
# and kill QEMU; $STALL says what happened.
watch_dom0() {
	local pid=$1 off=$2 begun= quiet f
	STALL=
	while kill -0 $pid 2>/dev/null; do
		sleep 5
		if [ -z "$begun" ]; then
			tail -c +$((off + 1)) "$SERIAL" |
			    grep -aq XMIG-DOM0-INIT && begun=1
			continue
		fi
		quiet=$(( $(date +%s) - $(stat -c %Y "$SERIAL") ))
		[ $quiet -ge "$DOM0_STALL" ] || continue
		STALL="dom0 silent for $quiet s"
		f=$run/stall.$(date +%s).txt
		log "$STALL; registers in $f; killing QEMU"
		{ monitor "info cpus" "info registers -a" "info lapic"
		  sleep 3; monitor "info registers -a" "info lapic"; } >"$f"
		grep -a 'RIP=' "$f" | sed 's/^/  /' >&2
		kill "$(cat "$run/qemu.pid" 2>/dev/null)" 2>/dev/null
		break
	done
}

# boot_all: boot the emulated host with all $SCENARIOS, and again, with
# those it did not finish, after a stall (watch_dom0).  The scenario a
# stall interrupted fails; it runs again as one of the EMU_RERUNS (shared
# with dom0's reruns after an emulation fault), the rest always do.  Each
# reboot either runs one scenario fewer or uses a rerun, so this ends.
# The serial log says XMIG-HOST-REBOOT at each reboot.
boot_all() {
	local part cur s next last
	BOOT_NUMBER=1
	BOOT_SCENARIOS=$SCENARIOS
	BOOT_RERUNS=${EMU_RERUNS:-3}
	while :; do
		build_overlay || return 1
		part=$(stat -c %s "$SERIAL" 2>/dev/null || echo 0)
		boot
		[ -n "$STALL" ] || return 0
		part=$(tail -c +$((part + 1)) "$SERIAL")
		cur=$(echo "$part" | awk '/XMIG-SCENARIO /{ c = "" }
		    /XMIG-BEGIN /{ c = $0; sub(/.*XMIG-BEGIN /, "", c)
			sub(/ .*/, "", c) } END { print c }')
		last=$(echo "$part" | grep -a XMIG-HEARTBEAT | tail -1 |
		    sed 's/.*XMIG-HEARTBEAT //' | cut -c1-150)
		BOOT_RERUNS=$((BOOT_RERUNS - $(echo "$part" |
		    grep -ac XMIG-RERUN)))
		next=
		for s in $BOOT_SCENARIOS; do
			echo "$part" | grep -aq "XMIG-SCENARIO $s " ||
			    [ "$s" = "$cur" ] || next+=" $s"
		done
		if [ -n "$cur" ]; then
			echo "XMIG-SCENARIO $cur FAIL - $STALL" \
			    "(last heartbeat: $last)" >>"$SERIAL"
		fi
		if [ "$BOOT_RERUNS" -gt 0 ]; then
			BOOT_RERUNS=$((BOOT_RERUNS - 1))
			next="$cur$next"
		elif [ -z "$cur" ]; then
			next=
		fi
		BOOT_NUMBER=$((BOOT_NUMBER + 1))
		echo "XMIG-HOST-REBOOT boot $BOOT_NUMBER after $STALL in" \
		    "${cur:-no scenario}; to run: $(echo ${next:-nothing})" \
		    >>"$SERIAL"
		BOOT_SCENARIOS=$next
		[ -n "$(echo $next)" ] || return 0
	done
}

# ------------------------------------------------- exported save files
# Xen's own checker on every save file dom0 exported (xl format); one
# summary line each, "verify:FILE".  Its Python 3 quirks: DESIGN.md.
verify_exports() {
	local f rc t0 checker=$XENBIN/verify-stream-v2
	VERIFY_LINES=
	VERIFY_FAILED=0
	grep -aq XMIG-EXPORT-WRITTEN "$SERIAL" || return 0
	(cd "$run" && tar -xf export.img) || {
		VERIFY_FAILED=1
		VERIFY_LINES+=$(printf '%-18s %-5s %8s  %s' verify FAIL - \
		    "cannot read the export disk")$'\n'
		return 0
	}
	for f in "$run"/export/*; do
		[ -f "$f" ] || continue
		if [ ! -x "$checker" ]; then
			VERIFY_LINES+=$(printf '%-18s %-5s %8s  %s' \
			    "verify:${f##*/}" SKIP - "no $checker")$'\n'
			continue
		fi
		t0=$(date +%s)
		PYTHONPATH=/usr/lib/xen-$XENVER/lib/python python3 "$checker" \
		    -f xl -i "$f" >"$run/${f##*/}.verify.log" 2>&1
		rc=$?
		if [ $rc = 0 ]; then
			VERIFY_LINES+=$(printf '%-18s %-5s %8s  %s' \
			    "verify:${f##*/}" PASS $(( $(date +%s) - t0 )) \
			    "verify-stream-v2 -f xl accepts it")$'\n'
		else
			VERIFY_FAILED=$((VERIFY_FAILED + 1))
			VERIFY_LINES+=$(printf '%-18s %-5s %8s  %s' \
			    "verify:${f##*/}" FAIL $(( $(date +%s) - t0 )) \
			    "$(tail -n 1 "$run/${f##*/}.verify.log")")$'\n'
		fi
		rm -f "$f"
	done
}

# ----------------------------------------------------------------- report
report() {
	local s line verdict secs rest failed=0 table
	# the failing scenarios' logs first and the table last, so that the
	# end of the output (what a CI excerpt shows) holds every verdict
	for s in $SCENARIOS; do
		grep -aq "XMIG-SCENARIO $s FAIL" "$SERIAL" || continue
		echo "---- log of $s: the steps up to the failure"
		grep -a "XMIG-LOG $s: " "$SERIAL" |
		    sed 's/.*XMIG-LOG [^:]*: /    | /' >"$run/$s.failed.log"
		[ -s "$run/$s.failed.log" ] || grep -a \
		    "XMIG-SCENARIO $s FAIL" "$SERIAL" | sed 's/^/    | /'
		sed '/FAIL: /q' "$run/$s.failed.log" | tail -n 40
		echo "---- log of $s: after the failure (first 50 lines)"
		sed '1,/FAIL: /d' "$run/$s.failed.log" | head -n 50
	done
	table=$(printf '%-18s %-5s %8s  %s' SCENARIO RESULT SECONDS DETAIL)
	for s in $SCENARIOS; do
		line=$(grep -a "XMIG-SCENARIO $s " "$SERIAL" | tail -1 |
		    sed 's/.*XMIG-SCENARIO //')
		if [ -z "$line" ]; then
			table+=$'\n'$(printf '%-18s %-5s %8s  %s' "$s" FAIL - \
			    "no result (dom0 crashed or QEMU timed out)")
			failed=$((failed + 1))
			continue
		fi
		set -- $line
		verdict=$2 secs=$3
		shift 3
		rest="$*"
		table+=$'\n'$(printf '%-18s %-5s %8s  %s' "$s" "$verdict" \
		    "$secs" "$rest")
		[ "$verdict" = FAIL ] && failed=$((failed + 1))
	done
	echo "$table"
	printf '%s' "$VERIFY_LINES"
	failed=$((failed + VERIFY_FAILED))
	grep -aE 'XMIG-DOM0-(READY|DONE)|XMIG-EXPORT|XMIG-(HOST-RE|RE|SPACE)' \
	    "$SERIAL" |
	    sed 's/^/  /'
	return $failed
}

main() {
	local t0 failed
	check_host
	if [ $# -gt 0 ]; then
		SCENARIOS="$*"
	else
		SCENARIOS=${XEN_SCENARIOS:-$DEFAULT_SCENARIOS}
	fi
	for s in $SCENARIOS; do
		[ -f "$top_srcdir/tests/xen/scenarios/$s.sh" ] || {
			log "no scenario $s"; exit 2; }
	done
	mkdir -p "$work" || exit 1
	shadow_image
	take_lock
	run=$(mktemp -d "$work/run.XXXXXX") || exit 1
	ln -sfn "${run##*/}" "$work/last"
	SERIAL=$run/serial.log
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	t0=$(date +%s)
	build_guest && build_base && prepare_xen || {
		log "building the images failed"; exit 1; }
	log "images ready in $(( $(date +%s) - t0 )) s (kernel $KVER)"
	prune_cache
	boot_all
	log "QEMU exited after $(( $(date +%s) - t0 )) s in all"
	verify_exports
	report
	failed=$?
	if [ $failed -ne 0 ]; then
		log "$failed scenario(s) failed; full serial log: $SERIAL"
		exit 1
	fi
	log "all scenarios passed ($(( $(date +%s) - t0 )) s)"
	exit 0
}

main "$@"
