#!/bin/sh
# storage-sim.sh - live migration without shared storage (lib/vbdmig.h):
# a domain with two disks its guest writes moves live with
# --copy-storage; memory and every disk block intact at the destination
# (the guest's own check), its images in the destination's storage-dir,
# none left at the source; the refusals (no flag, no storage-dir, no
# room, a name taken, an image name that is a path); --shared-storage;
# --no-live; over TLS.
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/xmigd-lib.sh"
. "$top_srcdir/tests/e2e/sim-lib.sh"

STORE="$E2E_TMP/store"
mkdir -p "$STORE"
XD_SIM_MEMORY=2G
XD_EXTRA_CONF="storage-dir = $STORE"
xd_start
SRC="$E2E_TMP/src"
sim_host "$SRC"
sim_host "$XD_SIM"
S() { "$XMIG" --sim-dir "$SRC" "$@"; }

expect_exit 0 S sim create --name db1 --memory 64M --dirty-rate 20M \
    --disk 64M,32M --disk-rate 20M
[ -f "$SRC/disks/db1-0.img" ] || e2e_fail "no image db1-0.img"
sleep 0.5
sim_intact "$SRC" db1

# Without a word about its disks, a domain with disks does not move.
expect_exit 3 S migrate --port "$XD_PORT" db1 127.0.0.1
expect_grep "not on shared storage: use --copy-storage" "$E2E_TMP/err"
[ "$(sim_state "$SRC" db1)" = running ] || e2e_fail "not running at src"

expect_exit 0 S --json migrate --copy-storage --port "$XD_PORT" db1 \
    127.0.0.1
out=$(cat "$E2E_TMP/out")
[ "$(json_get "$out" result)" = ok ] || e2e_fail "migrate: $out"
/usr/bin/python3 -c 'import json, sys
j = json.loads(sys.argv[1])
d = j["disks"]
assert d["count"] == 2, d
assert d["size_bytes"] == 96 << 20, d
assert d["bytes_sent"] >= 1, d
assert d["rounds"] >= 1, d' "$out" || e2e_fail "disks in the JSON: $out"
sim_has "$SRC" db1 && e2e_fail "the source copy is still there"
[ -e "$SRC/disks/db1-0.img" ] && e2e_fail "source image left"
[ -e "$SRC/disks/db1-1.img" ] && e2e_fail "source image left"
[ -f "$STORE/db1-0.img" ] || e2e_fail "no image in the storage-dir"
[ "$(sim_state "$XD_SIM" db1)" = running ] || e2e_fail "not running there"
sleep 0.5
sim_intact "$XD_SIM" db1
"$XMIG" --sim-dir "$XD_SIM" --json sim check db1 > "$E2E_TMP/check"
grep -q '"disk_blocks":1536' "$E2E_TMP/check" ||
    e2e_fail "not every disk block checked: $(cat "$E2E_TMP/check")"
ls "$XD_SIM" | grep -q '^vbd-' && e2e_fail "disk record left"
e2e_ok "two written disks moved live, intact; nothing left at the source"

# The check is no formality: one byte changed in a written block of an
# image is found and named.
"$XMIG" --sim-dir "$XD_SIM" sim pause db1 > /dev/null
/usr/bin/python3 - "$STORE/db1-0.img" <<'PY'
import sys
f = open(sys.argv[1], "r+b")
blk = 65536
i = 0
while True:
    f.seek(i * blk)
    b = f.read(blk)
    if not b:
        raise SystemExit("no written block")
    if any(b):
        f.seek(i * blk + 100)
        c = f.read(1)
        f.seek(i * blk + 100)
        f.write(bytes([c[0] ^ 1]))
        break
    i += 1
PY
expect_exit 1 "$XMIG" --sim-dir "$XD_SIM" sim check db1
expect_grep "disk blocks damaged, first: disk 0 block .*corrupted" \
    "$E2E_TMP/out"
"$XMIG" --sim-dir "$XD_SIM" sim destroy db1 > /dev/null
rm -f "$STORE"/db1-*.img
e2e_ok "a changed byte in a disk block is found"

# Refusals at the reservation, before anything moves: an image of that
# name that is not empty; no storage-dir at all; no room for the disks.
expect_exit 0 S sim create --name db2 --memory 32M --disk 8M --disk-rate 4M
echo data > "$STORE/db2-0.img"
expect_exit 3 S migrate --copy-storage --port "$XD_PORT" db2 127.0.0.1
expect_grep "refused the reservation: disk xvda: .*/db2-0.img exists and" \
    "$E2E_TMP/err"
[ "$(cat "$STORE/db2-0.img")" = data ] || e2e_fail "the file was touched"
rm "$STORE/db2-0.img"
: > "$STORE/db2-0.img"	# an empty file is taken, and emptied on failure
[ "$(sim_state "$SRC" db2)" = running ] || e2e_fail "db2 not running"

xd_stop
XD_EXTRA_CONF=""
xd_start
expect_exit 3 S migrate --copy-storage --port "$XD_PORT" db2 127.0.0.1
expect_grep "this host takes no disks: no storage-dir" "$E2E_TMP/err"
ls "$XD_SIM" | grep -q "db2" && e2e_fail "something of db2 arrived"
e2e_ok "refused early: image name taken, no storage-dir"

SMALL="$E2E_TMP/small"
mkdir -p "$SMALL"
if mount -t tmpfs -o size=4m tmpfs "$SMALL" 2>/dev/null; then
	small_umount() { umount "$SMALL"; }
	e2e_on_exit small_umount
	xd_stop
	XD_EXTRA_CONF="storage-dir = $SMALL"
	xd_start
	expect_exit 3 S migrate --copy-storage --port "$XD_PORT" db2 \
	    127.0.0.1
	expect_grep "no room for disk xvda (db2-0.img)" "$E2E_TMP/err"
	[ -z "$(ls "$SMALL")" ] || e2e_fail "written to the small disk"
	e2e_ok "refused early: no room in the storage-dir (a 4 MiB tmpfs)"
else
	echo "(no tmpfs mount here: the no-room case is left to the" \
	    "fault test)"
fi

# --shared-storage: both "hosts" see the image here; nothing is copied
# and the domain uses the very same image at the destination.
expect_exit 0 S migrate --shared-storage --port "$XD_PORT" db2 127.0.0.1
[ -f "$SRC/disks/db2-0.img" ] || e2e_fail "the shared image was removed"
[ -z "$(ls "$SMALL")" ] || e2e_fail "a shared disk was copied"
sleep 0.3
sim_intact "$XD_SIM" db2
e2e_ok "--shared-storage: nothing copied, the same image used"

# shared-storage in xmigd.conf: a disk under the prefix is never copied.
expect_exit 0 S sim create --name db4 --memory 32M --disk 4M
printf 'shared-storage = /nonexistent %s/disks\n' "$SRC" \
    > "$E2E_TMP/shared.conf"
XMIG_CONF="$E2E_TMP/shared.conf" expect_exit 0 S migrate \
    --port "$XD_PORT" db4 127.0.0.1
[ -f "$SRC/disks/db4-0.img" ] || e2e_fail "the shared image was removed"
sim_intact "$XD_SIM" db4
e2e_ok "shared-storage prefixes of xmigd.conf: nothing copied"

# --no-live: the disks go while the guest is suspended (nothing in bulk).
xd_stop
XD_SIM_SAVE=$XD_SIM
XD_SIM="$E2E_TMP/third"
sim_host "$XD_SIM"
XD_EXTRA_CONF="storage-dir = $STORE"
xd_start
rm -f "$STORE/db2-0.img"
expect_exit 0 "$XMIG" --sim-dir "$XD_SIM_SAVE" --json migrate --no-live \
    --copy-storage --port "$XD_PORT" db2 127.0.0.1
out=$(cat "$E2E_TMP/out")
/usr/bin/python3 -c 'import json, sys
d = json.loads(sys.argv[1])["disks"]
assert d["rounds"] == 0 and d["final_bytes"] > 0, d' "$out" ||
    e2e_fail "--no-live disks: $out"
[ -e "$SRC/disks/db2-0.img" ] && e2e_fail "source image left"
sleep 0.3
sim_intact "$XD_SIM" db2
e2e_ok "--no-live --copy-storage: every block after the suspend, intact"

# Over TLS: the disk sections pass the daemon's TLS pump like the stream.
if command -v openssl >/dev/null; then
	P="$E2E_TMP/pki"
	mkdir -p "$P"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=ca" \
	    -keyout "$P/ca.key" -out "$P/ca.crt" 2>/dev/null
	for n in server client; do
		openssl req -newkey rsa:2048 -nodes -subj "/CN=$n" \
		    -keyout "$P/$n.key" -out "$P/$n.csr" 2>/dev/null
		openssl x509 -req -in "$P/$n.csr" -CA "$P/ca.crt" \
		    -CAkey "$P/ca.key" -CAcreateserial -days 2 \
		    -out "$P/$n.crt" 2>/dev/null
	done
	xd_stop
	XD_EXTRA_CONF="storage-dir = $STORE
tls = on
tls-cert = $P/server.crt
tls-key = $P/server.key
tls-ca = $P/ca.crt"
	xd_start
	printf 'tls-cert = %s\ntls-key = %s\ntls-ca = %s\n' "$P/client.crt" \
	    "$P/client.key" "$P/ca.crt" > "$E2E_TMP/client.conf"
	expect_exit 0 S sim create --name db3 --memory 32M --dirty-rate 4M \
	    --disk 16M --disk-rate 8M
	sleep 0.3
	rm -f "$STORE/db3-0.img"
	XMIG_CONF="$E2E_TMP/client.conf" expect_exit 0 S migrate --tls \
	    --copy-storage --port "$XD_PORT" db3 127.0.0.1
	[ -f "$STORE/db3-0.img" ] || e2e_fail "TLS: no image arrived"
	sleep 0.3
	sim_intact "$XD_SIM" db3
	e2e_ok "over TLS: the disk arrived intact"
else
	echo "(no openssl command: the TLS case is not run)"
fi
