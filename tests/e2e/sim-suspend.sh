#!/bin/sh
# sim-suspend.sh - a simulated guest suspends like a Linux PV guest:
# "suspend" written to control/shutdown is acknowledged by clearing the
# node, the domain reaches shutdown(suspend) and @releaseDomain fires;
# resume cancels the suspend and the guest writes again.  A guest made
# with --ignore-suspend never acknowledges.  Poweroff and a dead guest
# process give shutdown(poweroff) and shutdown(crash).
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"

command -v xenstore-write >/dev/null && command -v xenstore-watch \
    >/dev/null || e2e_skip "Xen's xenstore tools are not installed"

A="$E2E_TMP/host"
unset XMIG_BACKEND
export XMIG_SIM_DIR="$A" XMIG_SIM_MEMORY=128M
export XENSTORED_PATH="$A/xenstored.sock"
WATCH_PID=""
stop_all() {
	[ -n "$WATCH_PID" ] && kill "$WATCH_PID" 2>/dev/null
	"$XMIG" --sim-dir "$A" sim stop >/dev/null 2>&1 || :
}
e2e_on_exit stop_all

# wait_for N CMD...: run CMD until it succeeds, at most N times.
wait_for() {
	n=$1
	shift
	while ! "$@" >/dev/null 2>&1; do
		n=$((n - 1))
		[ $n -gt 0 ] || return 1
		sleep 0.05
	done
}
state_is() { "$XMIG" list | grep -q "^$1  *[0-9].* $2 "; }
node_is() { [ "$(xenstore-read "$1")" = "$2" ]; }
lines_at_least() { [ "$(wc -l < "$1")" -ge "$2" ]; }
generation() {
	"$XMIG" --json sim check "$1" | sed 's/.*"generation":\([0-9]*\).*/\1/'
}

expect_exit 0 "$XMIG" sim create --name web1 --memory 16M --dirty-rate 10M/s
expect_exit 0 "$XMIG" sim create --name lazy --memory 16M --dirty-rate 1M/s \
    --ignore-suspend
node_is /local/domain/1/control/shutdown "" || e2e_fail "no control node"

xenstore-watch @releaseDomain > "$E2E_TMP/watch" 2>&1 &
WATCH_PID=$!
# A watch fires once when it is set: from then on it is in place.
wait_for 100 lines_at_least "$E2E_TMP/watch" 1 || e2e_fail "watch not set"

xenstore-write /local/domain/1/control/shutdown suspend
wait_for 100 node_is /local/domain/1/control/shutdown "" ||
    e2e_fail "suspend not acknowledged"
wait_for 100 state_is web1 suspended || e2e_fail "web1 not suspended"
wait_for 100 lines_at_least "$E2E_TMP/watch" 2 ||
    e2e_fail "no @releaseDomain after the suspend"
g1=$(generation web1)
g2=$(generation web1)
[ "$g1" = "$g2" ] || e2e_fail "suspended guest wrote pages ($g1 -> $g2)"
expect_exit 0 "$XMIG" sim check web1
expect_grep "all intact" "$E2E_TMP/out"
e2e_ok "suspend acknowledged, shutdown(suspend), @releaseDomain"

expect_exit 0 "$XMIG" sim resume web1
state_is web1 running || e2e_fail "web1 not running after resume"
wait_for 200 sh -c "[ \$(\"$XMIG\" --json sim check web1 |
    sed 's/.*\"generation\":\([0-9]*\).*/\1/') -gt $g2 ]" ||
    e2e_fail "resumed guest does not write"
expect_exit 1 "$XMIG" sim resume web1
expect_grep "not suspended" "$E2E_TMP/err"
e2e_ok "resume"

# --ignore-suspend: the request stays unanswered while the guest runs on.
xenstore-write /local/domain/2/control/shutdown suspend
g1=$(generation lazy)
wait_for 200 sh -c "[ \$(\"$XMIG\" --json sim check lazy |
    sed 's/.*\"generation\":\([0-9]*\).*/\1/') -gt $g1 ]" ||
    e2e_fail "lazy stopped writing"
node_is /local/domain/2/control/shutdown suspend ||
    e2e_fail "lazy acknowledged the suspend"
state_is lazy running || e2e_fail "lazy is not running"
e2e_ok "an --ignore-suspend guest never acknowledges"

# Poweroff, and a guest process that dies: crashed.
xenstore-write /local/domain/1/control/shutdown poweroff
wait_for 100 state_is web1 'shutdown(poweroff)' || e2e_fail "no poweroff"
kill -9 "$(cat "$A/domains/2/guest.pid")"
wait_for 100 state_is lazy 'shutdown(crash)' || e2e_fail "no crash"
expect_exit 0 "$XMIG" sim destroy web1
expect_exit 0 "$XMIG" sim destroy lazy
xenstore-ls /local/domain > "$E2E_TMP/ls" 2>&1 || :
grep -q "^[12] " "$E2E_TMP/ls" && e2e_fail "xenstore entries left behind"
e2e_ok "poweroff, crash, destroy"
