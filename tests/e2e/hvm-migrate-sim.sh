#!/bin/sh
# hvm-migrate-sim.sh - live migration of HVM sim domains through xmigd:
# the device model's state arrives (the guest's own check passes on the
# destination; its register is where the source's was, or further), the
# device model's log-dirty is on for the live rounds; a guest without PV
# drivers is suspended by hypercall; failures never lose the domain nor
# run it twice, and leave nothing: a state the destination's device model
# refuses (the source resumes), the source's device model dying inside
# xen-save-devices-state (the source resumes without it, says so).
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/xmigd-lib.sh"
. "$top_srcdir/tests/e2e/sim-lib.sh"
. "$top_srcdir/tests/e2e/fault-lib.sh"

XD_SIM_MEMORY=2G
fm_init
FM_CREATE_OPTS="--type hvm"

# --- live migration, the device state carried
expect_exit 0 S sim create --name web1 --type hvm --memory 64M \
    --dirty-rate 40M
r0=$(sim_dev_reg "$SRC" web1)
expect_exit 0 S --json migrate --port "$XD_PORT" web1 127.0.0.1
out=$(cat "$E2E_TMP/out")
[ "$(json_get "$out" result)" = ok ] || e2e_fail "migrate: $out"
/usr/bin/python3 -c 'import json, sys
assert len(json.loads(sys.argv[1])["rounds"]) >= 2' "$out" ||
    e2e_fail "not live: $out"
sim_has "$SRC" web1 && e2e_fail "the source copy is still there"
[ "$(sim_state "$XD_SIM" web1)" = running ] || e2e_fail "not running there"
D list | grep -q "^web1 .* hvm$" || e2e_fail "web1 is not hvm there"
sim_intact "$XD_SIM" web1
[ "$(sim_dev_reg "$XD_SIM" web1)" -gt "$r0" ] ||
    e2e_fail "device register behind the source's $r0"
sim_expect_dms "$SRC" 0
sim_expect_dms "$XD_SIM" 1
D sim destroy web1 >/dev/null
sim_expect_dms "$XD_SIM" 0
e2e_ok "live migration: the device state arrived with the guest"

# --- no PV drivers: suspended by hypercall
expect_exit 0 S sim create --name np1 --type hvm --no-pv-drivers \
    --memory 32M --dirty-rate 10M
expect_exit 0 S -v -v migrate --port "$XD_PORT" np1 127.0.0.1
expect_grep "no PV drivers: suspending by hypercall" "$E2E_TMP/err"
sim_intact "$XD_SIM" np1
D sim destroy np1 >/dev/null
e2e_ok "no PV drivers: migrated, suspended by hypercall"

# --- the destination's device model refuses the state: the migration
#     fails before GO, the source resumes, nothing is left there
fm_trial dst simdm-refuse-state src
sim_expect_dms "$XD_SIM" 0
sim_expect_dms "$SRC" 0
grep -q "the device model refused the state" "$XD_LOG" ||
    e2e_fail "the refusal is not in the xmigd log"
e2e_ok "a refused device state: the source resumes, nothing left there"

# The same, looked at before the clean-up: the source's device model
# saw its log-dirty switched on and off around the live rounds, and was
# stopped for the save and started again.
expect_exit 0 S sim create --name lg1 --type hvm --memory 32M \
    --dirty-rate 10M
FM_XD_FAULT=simdm-refuse-state
fm_xd_restart simdm-refuse-state
fm_migrate "" lg1
FM_XD_FAULT=""
fm_xd_restart ""
[ "$FM_MIG_RC" = 4 ] || e2e_fail "migrate exit $FM_MIG_RC, wanted 4"
id=$(S list | awk '$1 == "lg1" { print $2 }')
log="$SRC/domains/$id/dm.log"
expect_grep "dirty log on" "$log"
expect_grep "dirty log off" "$log"
expect_grep "device state saved" "$log"
sim_intact "$SRC" lg1
sim_has "$XD_SIM" lg1--incoming && e2e_fail "an --incoming copy is left"
S sim destroy lg1 >/dev/null
e2e_ok "log-dirty on and off around the live rounds"

# --- the source's device model dies inside xen-save-devices-state: after
#     the suspend, before GO; the source resumes without it
XMIG_FAULT=simdm-save-devices expect_exit 0 S sim create --name k1 \
    --type hvm --memory 32M --dirty-rate 10M
fm_migrate "" k1
[ "$FM_MIG_RC" = 4 ] || { fm_show; e2e_fail "exit $FM_MIG_RC, wanted 4"; }
grep -q "xen-save-devices-state: .*closed its monitor" "$E2E_TMP/mig.err" ||
    { fm_show; e2e_fail "the device model's death is not reported"; }
[ "$(fm_where k1)" = src ] || { fm_show; e2e_fail "k1 not at the source"; }
sim_has "$XD_SIM" k1--incoming && e2e_fail "an --incoming copy is left"
ls "$SRC" "$XD_SIM" | grep -qE '^(recover|incoming)-' &&
    e2e_fail "a recovery or GO record is left"
expect_exit 1 S sim check k1
expect_grep "^k1: device model not running" "$E2E_TMP/out"
S sim destroy k1 >/dev/null
sim_expect_dms "$SRC" 0
sim_expect_dms "$XD_SIM" 0
xd_wait_status 's["jobs"]==[] and s["reserved_bytes"]==0'
e2e_ok "device model killed in the save: the source resumes, nothing left"
