#!/bin/sh
# migrate-sim.sh - live migration of a dirtying simulated domain between
# two simulated hosts, from xmig to a real xmigd over loopback: the
# domain arrives with every page intact and the source copy is gone;
# the JSON report; --no-live; a second job on a migrating domain is
# refused naming the running one.
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/xmigd-lib.sh"
. "$top_srcdir/tests/e2e/sim-lib.sh"

XD_SIM_MEMORY=2G
xd_start
SRC="$E2E_TMP/src"
sim_host "$SRC"
sim_host "$XD_SIM"
S() { "$XMIG" --sim-dir "$SRC" "$@"; }

expect_exit 0 S sim create --name web1 --memory 64M --dirty-rate 40M
expect_exit 0 S --json migrate --port "$XD_PORT" web1 127.0.0.1
out=$(cat "$E2E_TMP/out")
[ "$(json_get "$out" result)" = ok ] || e2e_fail "migrate: $out"
for k in domain total_ms downtime_ms bytes_sent pages_sent rounds \
    throughput_mbps; do
	json_get "$out" "$k" > /dev/null || e2e_fail "no $k in $out"
done
[ "$(json_get "$out" pages_sent)" -ge 16384 ] || e2e_fail "pages: $out"
/usr/bin/python3 -c 'import json, sys
j = json.loads(sys.argv[1])
r = j["rounds"]
assert len(r) >= 2, r
assert all(x["pages"] >= 0 and x["ms"] >= 0 for x in r), r
# every page sent is in a round, and the bytes of the stream (bytes_raw:
# bytes_sent counts those on the wire, compressed) are those pages (each
# with its 8-byte pfn) plus headers and records: no round uncounted
assert sum(x["pages"] for x in r) == j["pages_sent"], j
assert j["pages_sent"] * 4104 <= j["bytes_raw"], j
assert j["bytes_raw"] <= j["pages_sent"] * 4104 + (1 << 20), j' "$out" ||
    e2e_fail "rounds: $out"
sim_has "$SRC" web1 && e2e_fail "the source copy is still there"
[ "$(sim_state "$XD_SIM" web1)" = running ] || e2e_fail "not running there"
sim_has "$XD_SIM" web1--incoming && e2e_fail "an --incoming copy is left"
sim_intact "$XD_SIM" web1
e2e_ok "live migration: arrived intact, source copy gone"

# xmigd's worker is threaded: the guest it started is a fresh image of
# xmig, not a fork of the worker.
id=$("$XMIG" --sim-dir "$XD_SIM" list | awk '$1 == "web1" { print $2 }')
gpid=$(cat "$XD_SIM/domains/$id/guest.pid")
tr '\0' ' ' <"/proc/$gpid/cmdline" | grep -q "xmig sim guest " ||
    e2e_fail "guest of xmigd: $(tr '\0' ' ' <"/proc/$gpid/cmdline")"
e2e_ok "xmigd's guest runs xmig sim guest"

# And back again without live rounds, by domain id.
SRC2_PORT=$XD_PORT
XD_SIM_SAVE=$XD_SIM
xd_stop
XD_SIM="$SRC"
xd_start
sim_host "$XD_SIM"
expect_exit 0 "$XMIG" --sim-dir "$XD_SIM_SAVE" migrate --no-live \
    --port "$XD_PORT" "$id" 127.0.0.1
expect_grep "migrate web1 to 127.0.0.1: done" "$E2E_TMP/out"
sim_has "$XD_SIM_SAVE" web1 && e2e_fail "still on the second host"
sim_intact "$SRC" web1
e2e_ok "--no-live by domain id, back to the first host"
: "$SRC2_PORT"

# A slow migration (8 MB/s; one live round, so it ends in seconds however
# fast the guest dirties) holds the domain's job lock: a save is refused and
# names the migration.
xd_stop
XD_SIM="$XD_SIM_SAVE"
xd_start
S migrate --bandwidth 8M --max-rounds 1 --port "$XD_PORT" web1 127.0.0.1 \
    > "$E2E_TMP/slow.out" 2>&1 &
mpid=$!
sim_wait_there "$XD_SIM" web1--incoming
expect_exit 1 S save web1 "$E2E_TMP/x.sav"
expect_grep "busy: migrate web1 to 127.0.0.1" "$E2E_TMP/err"
expect_exit 1 S sim destroy web1
expect_grep "busy: migrate web1 to 127.0.0.1" "$E2E_TMP/err"
expect_exit 1 "$XMIG" --sim-dir "$XD_SIM" sim destroy web1--incoming
expect_grep "busy: receive web1" "$E2E_TMP/err"
wait "$mpid" || { cat "$E2E_TMP/slow.out"; e2e_fail "slow migration"; }
sim_intact "$XD_SIM" web1
e2e_ok "a second job on a migrating domain is refused, naming it"
