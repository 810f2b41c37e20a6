#!/bin/sh
# autoconverge-sim.sh - auto-converge throttles a guest that dirties its
# memory faster than the migration carries it, and the throttle never
# outlives the migration: it is gone after a success, after a failure
# (the destination killed mid-precopy), after xmig is killed (its guard
# gives it back), and, where xmig and its guard both died, after "xmig
# recover".  --no-auto-converge leaves the guest alone.
#
# The "link" is --bandwidth: 32 MiB/s against a guest that rewrites an
# 8 MiB working set as fast as it can.  The throttle is read where the
# guest reads it: the "throttle" word of the domain's control area (the
# 10th 32-bit word of SIMDIR/domains/ID/shared, struct simmem_ctl).
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/xmigd-lib.sh"
. "$top_srcdir/tests/e2e/sim-lib.sh"

command -v setsid >/dev/null || e2e_skip "no setsid"
XD_SIM_MEMORY=2G
xd_start
SRC="$E2E_TMP/src"
sim_host "$SRC"
sim_host "$XD_SIM"
S() { "$XMIG" --sim-dir "$SRC" "$@"; }
LINK="--bandwidth 32"

# throttle DIR NAME: the guest's throttle in percent.
throttle() {
	id=$("$XMIG" --sim-dir "$1" list | awk -v n="$2" '$1 == n { print $2 }')
	[ -n "$id" ] || e2e_fail "no $2 on $1"
	od -An -tu4 -j36 -N4 "$1/domains/$id/shared" | tr -d ' '
}

# wait_for FILE PATTERN [SECONDS]: bounded wait for a line in FILE.
wait_for() {
	i=0
	while ! grep -q -- "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt $(( ${3:-30} * 10 )) ] &&
		    { cat "$1" >&2; e2e_fail "no \"$2\" in $1"; }
		sleep 0.1
	done
}

# wait_unthrottled NAME: the guard works after xmig ended; bounded.
wait_unthrottled() {
	i=0
	while [ "$(throttle "$SRC" "$1")" != 0 ]; do
		i=$((i + 1))
		[ $i -gt 100 ] && e2e_fail "$1 still throttled by" \
		    "$(throttle "$SRC" "$1")%"
		sleep 0.1
	done
}

# no_guard SID: nothing of xmig's session is left (its guard ended too).
no_guard() {
	i=0
	while pgrep -s "$1" >/dev/null; do
		i=$((i + 1))
		[ $i -gt 100 ] && { ps -o pid,comm -s "$1"; \
		    e2e_fail "processes of xmig's session left"; }
		sleep 0.1
	done
}

new_guest() {
	expect_exit 0 S sim create --name "$1" --memory 32M \
	    --working-set 8M --dirty-rate 10G
}

# A migration in the background, in a session of its own ($MSID), with
# -v (its log in $E2E_TMP/$1.log) and no chance to converge.
migrate_bg() {
	name=$1
	shift
	setsid "$XMIG" --sim-dir "$SRC" -v migrate --port "$XD_PORT" $LINK \
	    --max-downtime 1 --max-rounds 1000 "$@" "$name" 127.0.0.1 \
	    > "$E2E_TMP/$name.log" 2>&1 &
	MSID=$!
}

# 1. Success: throttled on the way, given back at the suspend; the copy
#    at the destination runs at its own pace.
new_guest ok1
setsid "$XMIG" --sim-dir "$SRC" -v --json migrate --port "$XD_PORT" \
    $LINK --max-downtime 20 --max-rounds 40 ok1 127.0.0.1 \
    > "$E2E_TMP/ok1.json" 2> "$E2E_TMP/ok1.log" &
sid=$!
wait "$sid" || e2e_fail "migrate failed: $(cat "$E2E_TMP/ok1.log")"
j=$(cat "$E2E_TMP/ok1.json")
[ "$(json_get "$j" result)" = ok ] || e2e_fail "result: $j"
pct=$(json_get "$j" throttle_pct)
[ "$pct" -ge 20 ] || e2e_fail "never throttled: $j"
expect_grep "throttled by 20% (auto-converge)" "$E2E_TMP/ok1.log"
expect_grep "throttle removed" "$E2E_TMP/ok1.log"
sim_has "$SRC" ok1 && e2e_fail "ok1 left at the source"
[ "$(throttle "$XD_SIM" ok1)" = 0 ] || e2e_fail "ok1 throttled there"
sim_intact "$XD_SIM" ok1
no_guard "$sid"
e2e_ok "success: throttled up to $pct%, given back, no guard left"

# 2. --no-auto-converge: the same migration never throttles.
new_guest off1
expect_exit 0 S -v --json migrate --port "$XD_PORT" $LINK \
    --max-downtime 20 --max-rounds 12 --no-auto-converge off1 127.0.0.1
j=$(cat "$E2E_TMP/out")
[ "$(json_get "$j" throttle_pct)" = 0 ] || e2e_fail "throttled: $j"
grep -q "throttled by" "$E2E_TMP/err" && e2e_fail "throttled anyway"
sim_intact "$XD_SIM" off1
e2e_ok "--no-auto-converge: never throttled"

# 3. Failure: the destination dies while the guest is throttled; the
#    guest runs on here at its own pace.
new_guest fail1
migrate_bg fail1
wait_for "$E2E_TMP/fail1.log" "throttled by 30%"
[ "$(throttle "$SRC" fail1)" -ge 30 ] || e2e_fail "not throttled"
kill -9 "$XD_PID"
XD_PID=""
rc=0
wait "$MSID" || rc=$?
[ "$rc" = 1 ] || e2e_fail "exit $rc: $(cat "$E2E_TMP/fail1.log")"
[ "$(sim_state "$SRC" fail1)" = running ] || e2e_fail "fail1 not running"
[ "$(throttle "$SRC" fail1)" = 0 ] || e2e_fail "fail1 left throttled"
no_guard "$MSID"
sim_intact "$SRC" fail1
xd_stop_sim
xd_start
e2e_ok "failure mid-precopy: the guest runs here, unthrottled"

# 4. xmig killed (SIGKILL: no clean-up of its own): its guard gives the
#    guest its CPU back.
new_guest kill1
migrate_bg kill1
wait_for "$E2E_TMP/kill1.log" "throttled by 30%"
kill -9 "$MSID"
wait "$MSID" 2>/dev/null || :
wait_unthrottled kill1
expect_grep "xmig ended; its throttle was removed" "$E2E_TMP/kill1.log"
no_guard "$MSID"
[ "$(sim_state "$SRC" kill1)" = running ] || e2e_fail "kill1 not running"
sim_wait_gone "$XD_SIM" kill1--incoming
sim_intact "$SRC" kill1
e2e_ok "xmig killed: its guard removed the throttle"

# 5. xmig and its guard both killed after the suspend, throttle held:
#    the recovery record has it, and "xmig recover" gives it back before
#    resuming the guest.
new_guest rec1
XMIG_FAULT=src-after-suspend:sleep=60000 migrate_bg rec1
wait_for "$E2E_TMP/rec1.log" "fault point src-after-suspend"
[ "$(throttle "$SRC" rec1)" -ge 30 ] || e2e_fail "rec1 not throttled"
grep -q "^throttle=0$" "$SRC"/recover-* ||
    e2e_fail "no throttle in the recovery record"
kill -KILL -"$MSID"
wait "$MSID" 2>/dev/null || :
no_guard "$MSID"
[ "$(throttle "$SRC" rec1)" -ge 30 ] || e2e_fail "rec1 unthrottled by whom?"
sim_wait_gone "$XD_SIM" rec1--incoming
expect_exit 0 S recover rec1
expect_grep "was not on 127.0.0.1; it was resumed here" "$E2E_TMP/out"
[ "$(sim_state "$SRC" rec1)" = running ] || e2e_fail "rec1 not running"
[ "$(throttle "$SRC" rec1)" = 0 ] || e2e_fail "rec1 still throttled"
sim_intact "$SRC" rec1
e2e_ok "xmig recover: the recorded throttle removed, the guest resumed"
