#!/bin/sh
# hvm-sim.sh - HVM domains on the simulated host, each with its device
# model: types shown and kept; save and restore carry the device state,
# taken after the suspend (the restored guest's own check passes, and a
# file whose state is older, dropped, refused or missing is caught or
# refused with nothing left); "xmig verify" reports the emulator and its
# QEVM section; the device model dead before a save or dying inside
# xen-save-devices-state; a guest without PV drivers saved by hypercall.
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim-lib.sh"

H="$E2E_TMP/h"
sim_host "$H"
X() { "$XMIG" --sim-dir "$H" "$@"; }

# --- types
expect_exit 0 X sim create --name p1 --type pv --memory 16M
expect_exit 0 X sim create --name v1 --memory 16M
expect_exit 0 X sim create --name w1 --type hvm --memory 32M \
    --dirty-rate 20M
expect_exit 2 X sim create --name bad --memory 16M --no-pv-drivers
expect_grep "no-pv-drivers is for --type hvm" "$E2E_TMP/err"
expect_exit 2 X sim create --name bad --type xen --memory 16M
expect_exit 0 X list
expect_grep "^p1  *[0-9]* .* running  *pv$" "$E2E_TMP/out"
expect_grep "^v1  *[0-9]* .* running  *pvh$" "$E2E_TMP/out"
expect_grep "^w1  *[0-9]* .* running  *hvm$" "$E2E_TMP/out"
expect_exit 0 X --json list
expect_grep '"name":"w1",[^}]*"type":"hvm"' "$E2E_TMP/out"
sim_expect_dms "$H" 1
e2e_ok "pv, pvh (the default) and hvm; only hvm has a device model"

# --- the guest uses its device while it runs
r1=$(sim_dev_reg "$H" w1)
n=0
until [ "$(sim_dev_reg "$H" w1)" -gt "$r1" ]; do
	n=$((n + 1)); [ $n -lt 100 ] || e2e_fail "no device I/O"
	sleep 0.05
done
expect_exit 0 X sim check w1
expect_grep "^w1: 8192 pages checked, device register [0-9]*, all intact$" \
    "$E2E_TMP/out"
e2e_ok "device I/O while running, checked"

# --- save, verify, restore: the device state is carried
expect_exit 0 X save w1 "$E2E_TMP/w1.sav"
sim_has "$H" w1 && e2e_fail "w1 still exists after save"
sim_expect_dms "$H" 0
expect_exit 0 "$XMIG" verify "$E2E_TMP/w1.sav"
expect_grep "^  type: *hvm$" "$E2E_TMP/out"
expect_grep "device model: *qemu-xen (upstream), [0-9]* bytes of state, QEVM version 3, first section \"xmig-simdev\"" "$E2E_TMP/out"
expect_grep "libxl EMULATOR_CONTEXT  *1$" "$E2E_TMP/out"
vs=/usr/lib/xen-4.17/bin/verify-stream-v2
if [ -x "$vs" ]; then
	PYTHONPATH=/usr/lib/xen-4.17/lib/python /usr/bin/python3 "$vs" -f xl \
	    -i "$E2E_TMP/w1.sav" > "$E2E_TMP/vs" 2>&1 ||
	    { cat "$E2E_TMP/vs"; e2e_fail "verify-stream-v2 refused"; }
fi
e2e_ok "verify reports the emulator and its QEVM section"

# The register in the file, and edited copies: an older state (stale),
# one started again from 0 (dropped), one the device model refuses (a
# section of another device), and one without the EMULATOR_CONTEXT.
saved=$(/usr/bin/python3 - "$E2E_TMP" <<'PY'
import struct, sys
d = sys.argv[1]
b = open(d + "/w1.sav", "rb").read()
name = b"xmig-simdev"
i = b.find(name)
assert i > 0 and b.find(name, i + 1) < 0
off = i + len(name) + 8        # instance id, version
reg, ios = struct.unpack_from(">QQ", b, off)
assert reg > 2, reg
def out(f, data):
    open(d + "/" + f, "wb").write(data)
x = bytearray(b); struct.pack_into(">Q", x, off, reg - 2); out("stale.sav", x)
x = bytearray(b); struct.pack_into(">Q", x, off, 0); out("drop.sav", x)
x = bytearray(b); x[i + len(name) - 1] = ord("X"); out("other.sav", x)
# EMULATOR_CONTEXT (type 3) is the record before END: cut it out.
q = b.find(b"QEVM")
rec = q - 16
t, ln = struct.unpack_from("<II", b, rec)
assert t == 3, t
end = rec + 8 + ((ln + 7) & ~7)
assert b[end:] == struct.pack("<II", 0, 0), b[end:]
out("nodm.sav", b[:rec] + b[end:])
print(reg)
PY
)
expect_exit 0 X restore "$E2E_TMP/w1.sav"
[ "$(sim_state "$H" w1)" = running ] || e2e_fail "w1 not running"
sim_expect_dms "$H" 1
sim_intact "$H" w1
[ "$(sim_dev_reg "$H" w1)" -ge "$saved" ] ||
    e2e_fail "register below the saved $saved"
e2e_ok "restored: the device model has the state the guest last saw"

for f in stale drop; do
	expect_exit 0 X restore --name "$f" "$E2E_TMP/$f.sav"
	expect_exit 1 X sim check "$f"
	want=$f; [ "$f" = drop ] && want=dropped
	expect_grep "^$f: device state $want" "$E2E_TMP/out"
	expect_exit 0 X sim destroy "$f"
done
e2e_ok "a stale or a dropped device state fails the guest's check"

n_before=$(ls "$H/domains" | wc -l)
expect_exit 6 X restore --name other "$E2E_TMP/other.sav"
expect_grep "the device model refused the state" "$E2E_TMP/err"
sim_has "$H" other && e2e_fail "a refused state left a domain"
expect_exit 1 X restore --name nodm "$E2E_TMP/nodm.sav"
expect_grep "carries no device model state" "$E2E_TMP/err"
sim_has "$H" nodm && e2e_fail "a missing state left a domain"
[ "$(ls "$H/domains" | wc -l)" = "$n_before" ] ||
    e2e_fail "files left behind: $(ls "$H/domains")"
sim_expect_dms "$H" 1
e2e_ok "a refused or a missing device state: restore fails, nothing left"

# --- the device model dead before the save: nothing changes
kill -9 "$(cat "$H/domains/$(X list | awk '$1 == "w1" { print $2 }')/dm.pid")"
sim_expect_dms "$H" 0
expect_exit 1 X save w1 "$E2E_TMP/dead.sav"
expect_grep "device model does not answer: not saved" "$E2E_TMP/err"
[ "$(sim_state "$H" w1)" = running ] || e2e_fail "w1 not running"
ls "$E2E_TMP"/dead.sav* 2>/dev/null && e2e_fail "a save file is left"
expect_exit 1 X sim check w1
expect_grep "^w1: device model not running" "$E2E_TMP/out"
expect_exit 0 X sim destroy w1
e2e_ok "device model dead before the save: refused, the guest as it was"

# --- the device model dies inside xen-save-devices-state (a fault point
#     in its environment): after the suspend; the guest is resumed and
#     runs on, its check saying the device model is gone.
XMIG_FAULT=simdm-save-devices expect_exit 0 X sim create --name k1 \
    --type hvm --memory 32M --dirty-rate 10M
expect_exit 4 X save k1 "$E2E_TMP/k1.sav"
expect_grep "xen-save-devices-state: .*closed its monitor" "$E2E_TMP/err"
expect_grep "k1 was resumed" "$E2E_TMP/err"
[ "$(sim_state "$H" k1)" = running ] || e2e_fail "k1 not running"
ls "$E2E_TMP"/k1.sav* 2>/dev/null && e2e_fail "a save file is left"
sim_expect_dms "$H" 0
expect_exit 1 X sim check k1
expect_grep "^k1: device model not running" "$E2E_TMP/out"
expect_exit 0 X sim destroy k1
[ "$(ls "$H/domains" | wc -l)" = "$((n_before - 1))" ] ||
    e2e_fail "files left behind: $(ls "$H/domains")"
e2e_ok "device model killed in the save: resumed, reported, nothing left"

# --- no PV drivers: nobody answers control/shutdown; suspended by
#     hypercall, on save and again after the restore (the flag is kept)
expect_exit 0 X sim create --name np --type hvm --no-pv-drivers \
    --memory 32M --dirty-rate 10M
id=$(X list | awk '$1 == "np" { print $2 }')
node=/local/domain/$id/control/shutdown
XENSTORED_PATH="$H/xenstored.sock" xenstore-write "$node" suspend
# A guest that reads xenstore clears the node within milliseconds.
sleep 0.5
[ "$(XENSTORED_PATH="$H/xenstored.sock" xenstore-read "$node")" = suspend ] ||
    e2e_fail "np answered control/shutdown"
[ "$(sim_state "$H" np)" = running ] || e2e_fail "np acted on xenstore"
XENSTORED_PATH="$H/xenstored.sock" xenstore-write "$node" ""
expect_exit 0 X -v -v save --keep-running np "$E2E_TMP/np1.sav"
expect_grep "no PV drivers: suspending by hypercall" "$E2E_TMP/err"
sim_intact "$H" np
expect_exit 0 X sim destroy np
expect_exit 0 X restore "$E2E_TMP/np1.sav"
sim_intact "$H" np
expect_exit 0 X -v -v save np "$E2E_TMP/np2.sav"
expect_grep "no PV drivers: suspending by hypercall" "$E2E_TMP/err"
expect_exit 0 X restore "$E2E_TMP/np2.sav"
sim_intact "$H" np
e2e_ok "no PV drivers: suspended by hypercall, the flag carried"

# A domain with PV drivers is suspended over xenstore, as before.
expect_exit 0 X sim create --name pvd --type hvm --memory 32M
expect_exit 0 X -v -v save --keep-running pvd "$E2E_TMP/pvd.sav"
grep -q "by hypercall" "$E2E_TMP/err" && e2e_fail "pvd: by hypercall"
sim_intact "$H" pvd
e2e_ok "with PV drivers: over xenstore"

# PV and PVH domains are saved and restored as their type.
for d in p1 v1; do
	t=$(X list | awk -v n="$d" '$1 == n { print $6 }')
	expect_exit 0 X save "$d" "$E2E_TMP/$d.sav"
	expect_exit 0 X restore "$E2E_TMP/$d.sav"
	[ "$(X list | awk -v n="$d" '$1 == n { print $6 }')" = "$t" ] ||
	    e2e_fail "$d came back as another type"
	sim_intact "$H" "$d"
done
expect_exit 0 "$XMIG" verify "$E2E_TMP/p1.sav"
expect_grep "x86 PV domain" "$E2E_TMP/out"
e2e_ok "pv and pvh keep their type through save and restore"
