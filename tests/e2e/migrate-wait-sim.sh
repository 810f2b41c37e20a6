#!/bin/sh
# migrate-wait-sim.sh - "xmig migrate --wait": 16 migrations started at
# once into one xmigd with max-incoming 4 all arrive intact (the refused
# ones wait, say so, and try again); without --wait a busy destination
# fails at once with exit 3; a refusal that waiting cannot cure (the name
# is already there) fails at once even with --wait; --wait=S gives up.
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/xmigd-lib.sh"
. "$top_srcdir/tests/e2e/sim-lib.sh"

XD_SIM_MEMORY=2G
XD_EXTRA_CONF='max-incoming = 4'
xd_start
SRC="$E2E_TMP/src"
sim_host "$SRC"
sim_host "$XD_SIM"
S() { "$XMIG" --sim-dir "$SRC" "$@"; }

N=16
i=1
while [ $i -le $N ]; do
	S sim create --name w$i --memory 16M --dirty-rate 2M \
	    > "$E2E_TMP/c" 2>&1 || { cat "$E2E_TMP/c"; e2e_fail "create w$i"; }
	i=$((i + 1))
done

# All at once; --bandwidth keeps each one in flight long enough that the
# slots stay full while the others knock.
pids=""
i=1
while [ $i -le $N ]; do
	S migrate --wait=120 --bandwidth 32M --port "$XD_PORT" w$i 127.0.0.1 \
	    > "$E2E_TMP/m$i.out" 2> "$E2E_TMP/m$i.err" &
	pids="$pids $!"
	i=$((i + 1))
done
fail=0
for p in $pids; do wait "$p" || fail=$((fail + 1)); done
if [ $fail -ne 0 ]; then
	for f in "$E2E_TMP"/m*.err; do echo "== $f"; tail -n 5 "$f"; done
	e2e_fail "$fail of $N migrations with --wait failed"
fi
waited=$(cat "$E2E_TMP"/m*.err | grep -c "waiting: .*max-incoming" || :)
[ "$waited" -ge 1 ] || e2e_fail "no migration said it waited"
i=1
while [ $i -le $N ]; do
	sim_has "$SRC" w$i && e2e_fail "w$i still on the source"
	[ "$(sim_state "$XD_SIM" w$i)" = running ] || e2e_fail "w$i not there"
	sim_intact "$XD_SIM" w$i
	i=$((i + 1))
done
grep -q "refused: .*max-incoming" "$XD_LOG" ||
    e2e_fail "the daemon never refused one as busy"
e2e_ok "$N concurrent migrations with --wait into max-incoming 4: all" \
    "intact ($waited waits)"

# Without --wait a busy destination fails at once: fill the 4 slots with
# reservations that hold them (a peer that never sends its stream).
for n in h1 h2 h3 h4; do
	$RELOC --port "$XD_PORT" reserve --name $n --wait-close 20 \
	    > "$E2E_TMP/hold.$n" 2>&1 &
done
xd_wait_status 'len(s["reservations"]) == 4'
S sim create --name late --memory 16M > /dev/null
expect_exit 3 S migrate --port "$XD_PORT" late 127.0.0.1
expect_grep "refused: .*max-incoming" "$E2E_TMP/err"
sim_state "$SRC" late | grep -q running || e2e_fail "late not running here"
e2e_ok "without --wait a busy destination refuses at once (exit 3)"

# --wait=S gives up after about S seconds, still busy.
t0=$(date +%s)
expect_exit 3 S migrate --wait=2 --port "$XD_PORT" late 127.0.0.1
t1=$(date +%s)
expect_grep "waiting: " "$E2E_TMP/err"
expect_grep "still busy after waiting" "$E2E_TMP/err"
[ $((t1 - t0)) -le 8 ] || e2e_fail "--wait=2 took $((t1 - t0)) s"
e2e_ok "--wait=2 gives up, saying it is still busy"
# Release the held slots (the reservation timeout is 30 s: cancel them).
for id in $(xd_ctl '{"cmd":"status"}' | $PYTHON -c 'import json, sys
print(" ".join(str(r["id"]) for r in json.load(sys.stdin)["reservations"]))'
); do
	xd_ctl "{\"cmd\":\"cancel\",\"job\":$id}" > /dev/null
done
xd_wait_status 's["reservations"] == []'

# A refusal that waiting cannot cure fails at once, even with --wait.
"$XMIG" --sim-dir "$XD_SIM" sim create --name late --memory 16M > /dev/null
t0=$(date +%s)
expect_exit 3 S migrate --wait --port "$XD_PORT" late 127.0.0.1
t1=$(date +%s)
expect_grep "already exists" "$E2E_TMP/err"
grep -q "waiting: " "$E2E_TMP/err" && e2e_fail "it waited for a clash"
[ $((t1 - t0)) -le 5 ] || e2e_fail "a clash took $((t1 - t0)) s to refuse"
sim_state "$SRC" late | grep -q running || e2e_fail "late not running here"
e2e_ok "--wait fails at once on a refusal that is not busy"
