# qdisk-migrate: a PVH guest with a raw image QEMU serves (qdisk), which
# it writes and reads back all the time (O_DIRECT, every block checked
# each round), moves live with "xmig migrate --copy-storage" to
# localhost: its image lands in xmigd's storage-dir (a path other than
# the source's), the source's is removed, nothing of xmig's is left in
# QEMU, and the guest keeps reading back what it wrote before, during and
# after.  A guest with a blkback disk (phy, a loop device) is refused
# before anything moves, with the reason, and keeps running.
. /dom0-lib.sh

# QEMU opens images with O_DIRECT, which dom0's RAM root does not do:
# an ext2 file system on a loop device holds them.
mkdir -p /vm
dd if=/dev/zero of=/tmp/vm.fs bs=1M count=96 2>/dev/null &&
    mke2fs -q -F /tmp/vm.fs && mount -o loop /tmp/vm.fs /vm ||
	fail "cannot make the images' file system"
mkdir -p /vm/src /vm/dst
dd if=/dev/zero of=/vm/src/qd.img bs=1M count=4 2>/dev/null ||
	fail "cannot make the image"

XMIGD_EXTRA_CONF="storage-dir = /vm/dst" start_xmigd /results/xmigd.log

spec="'format=raw, vdev=xvda, access=rw, backendtype=qdisk,"
GUEST_DISK="$spec target=/vm/src/qd.img'" create_guest qdpvh pvh
step wait_ok qdpvh 120 DISK || fail "the guest does not see its disk"
grep -m1 DISK-READY "$(console_log qdpvh)"

step xmig --backend xen -v migrate --copy-storage qdpvh 127.0.0.1 \
    >/tmp/qd.out 2>&1
rc=$?
cat /tmp/qd.out
[ $rc = 0 ] || fail "live migration of the qdisk guest failed"
grep -q "tracked by domain .*'s QEMU" /results/xmigd.log /tmp/qd.out ||
	say "note: no tracking line in the logs"
[ -f /vm/dst/qd.img ] || fail "no image in the storage-dir"
[ ! -e /vm/src/qd.img ] || fail "the source's image is still there"
# The guest's own check after the move: the blocks written before and
# during the migration are read back from the new image, then new ones.
step wait_ok qdpvh--incoming 120 DISK || step wait_ok qdpvh 120 DISK ||
	fail "the disk after the live migration"
step wait_ok qdpvh--incoming 60 DISK || step wait_ok qdpvh 60 DISK ||
	fail "the disk after the live migration (second round)"
step wait_ok qdpvh--incoming 60 || step wait_ok qdpvh 60 ||
	fail "memory pattern after the live migration"
xl block-list qdpvh 2>/dev/null || xl block-list qdpvh--incoming
xenstore-ls /local/domain/0/backend/qdisk 2>/dev/null | grep params
rounds=$(sed -n 's/.*disks: \([^;]*\).*/\1/p' /tmp/qd.out | tail -1)
xl destroy qdpvh 2>/dev/null
xl destroy qdpvh--incoming 2>/dev/null

# blkback: refused before anything changes.
dd if=/dev/zero of=/vm/src/phy.img bs=1M count=8 2>/dev/null
loop=$(losetup -f) && losetup "$loop" /vm/src/phy.img ||
	fail "no loop device"
# Xen's "block" hotplug script needs bash, which dom0 lacks: the same
# for a device, in sh.
cat >/tmp/block-sh <<'SH'
#!/bin/sh
[ "$1" = add ] || exit 0
dev=$(xenstore-read "$XENBUS_PATH/params")
xenstore-write "$XENBUS_PATH/physical-device" "$(stat -L -c %t:%T "$dev")"
xenstore-write "$XENBUS_PATH/hotplug-status" connected
SH
chmod +x /tmp/block-sh
spec="'format=raw, vdev=xvda, access=rw, script=/tmp/block-sh,"
GUEST_DISK="$spec target=$loop'" create_guest phypvh pvh
xenstore-ls /local/domain/0/backend/vbd 2>/dev/null | grep -E "params|physical"
step xmig --backend xen migrate --copy-storage phypvh 127.0.0.1 \
    >/tmp/phy.out 2>&1
rc=$?
cat /tmp/phy.out
[ $rc != 0 ] || fail "live migration of a phy disk should be refused"
grep -q "blkback, which cannot track" /tmp/phy.out ||
	fail "no reason given for the refusal"
grep -q -- "--no-live" /tmp/phy.out || fail "no --no-live advice"
grep -q "reserved memory" /tmp/phy.out &&
	fail "refused only after the reservation"
step wait_ok phypvh 60 || fail "phy guest disturbed by the refusal"
xl destroy phypvh 2>/dev/null
losetup -d "$loop"
detail "qdisk PVH live with its disk (${rounds:-?}); phy refused"
