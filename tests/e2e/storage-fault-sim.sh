#!/bin/sh
# storage-fault-sim.sh - never lost, never twice, no partial disk left:
# the fault matrix (tests/e2e/fault-lib.sh) for a domain with two disks
# its guest writes, moved with --copy-storage, with the disk copy's own
# fault points on both sides and the destination's disk filling up
# (at the allocation, and halfway through the copy).  After each trial
# exactly one intact copy runs (memory and every disk block, the guest's
# own check); where it runs at the source, the destination's storage-dir
# holds nothing of it and no disk record is left; where it runs at the
# destination, its images are there and gone from the source.
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/xmigd-lib.sh"
. "$top_srcdir/tests/e2e/sim-lib.sh"
. "$top_srcdir/tests/e2e/fault-lib.sh"

STORE="$E2E_TMP/store"
mkdir -p "$STORE"
XD_EXTRA_CONF="storage-dir = $STORE"
FM_CREATE_OPTS="--disk 8M,4M --disk-rate 8M"
FM_MIG_OPTS="--copy-storage"
fm_init

# The disks' side of the promise, after fm_trial ($dom, $where).
st_check() {
	ls "$XD_SIM" | grep -q '^vbd-' && { ls "$XD_SIM"; e2e_fail \
	    "$1: a disk record is left"; }
	case $where in
	src)
		[ -f "$SRC/disks/$dom-0.img" ] ||
		    e2e_fail "$1: the source lost its image"
		ls "$STORE" | grep -q "^$dom-" && { ls -l "$STORE"; e2e_fail \
		    "$1: a partial disk is left at the destination"; }
		;;
	dst)
		[ -f "$STORE/$dom-0.img" ] && [ -f "$STORE/$dom-1.img" ] ||
		    e2e_fail "$1: the images are not at the destination"
		[ -e "$SRC/disks/$dom-0.img" ] &&
		    e2e_fail "$1: the source's images are left"
		;;
	esac
	rm -f "$SRC/disks/$dom-"*.img "$STORE/$dom-"*.img
}

while read -r side point actions expect; do
	case $side in ''|'#'*) continue ;; esac
	for a in $(echo "$actions" | tr , ' '); do
		f="$point:$a"
		[ "$a" = armed ] && f=$point
		fm_trial "$side" "$f" "$expect"
		st_check "$side $f"
	done
done <<'MATRIX'
src src-after-reserve	kill,cut	src
src src-vbd-mid-bulk	kill,cut	src
src src-after-step1	kill,cut	src
src src-mid-precopy	kill	src
src src-after-suspend	kill,cut	src
src src-vbd-before-final	kill,cut	src
src src-after-stream	kill,cut	src
src src-after-received	kill	src
src src-before-go	kill,cut	src
src src-after-go	kill,cut	dst
src src-after-destroy	kill	dst
dst dst-at-start	kill,killd,cut	src
dst dst-vbd-mid-bulk	kill,killd,cut	src
dst dst-mid-stream	kill	src
dst dst-vbd-after-final	kill,killd,cut	src
dst dst-after-received	kill,killd	src
dst dst-after-go	kill,killd	dst
dst dst-after-report	kill	dst
# The destination's disk fills up: when the images are allocated, and
# in the middle of the copy.
dst dst-vbd-nospace	armed	src
dst dst-vbd-write-nospace	armed	src
MATRIX

e2e_ok "$FM_N trials: one intact copy with its disks, no partial disk"
