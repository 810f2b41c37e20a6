#!/bin/sh
# evacuate-sim.sh - "xmig evacuate" on simulated hosts.
#  1. 12 guests of mixed sizes, three destinations: A with room, B too
#     small for the largest guest, C refusing this host by hosts-allow.
#     The dry run's plan never puts more on a host than the room its
#     xmigd reports (free minus reserved, as "xmig status --host" says);
#     the evacuation moves every placed guest intact, leaves the rest
#     running here and reports them; exit 1 as not all moved.
#  2. A destination killed in the middle (its worker kills it while a
#     stream arrives): that guest settles by the usual rules (it runs
#     here again), the others move to the live host, the report says so,
#     and no guest is lost or runs twice.
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/xmigd-lib.sh"
. "$top_srcdir/tests/e2e/sim-lib.sh"

SRC="$E2E_TMP/src"
sim_host "$SRC"
S() { "$XMIG" --sim-dir "$SRC" "$@"; }
PIDS=""
stop_all() { for p in $PIDS; do kill "$p" 2>/dev/null || :; done; }
e2e_on_exit stop_all

# start_dest NAME MEMORY EXTRA-CONF [FAULT]: an xmigd of its own; sets
# PORT_<NAME> and SIM_<NAME>.
start_dest() {
	XD_LOG="$E2E_TMP/$1.log"
	XD_CONF="$E2E_TMP/$1.conf"
	XD_CTL="$E2E_TMP/$1.sock"
	XD_SIM="$E2E_TMP/$1.sim"
	XD_SIM_MEMORY=$2
	XD_EXTRA_CONF=$3
	XMIG_FAULT=${4:-}
	xd_start
	XMIG_FAULT=
	sim_host "$XD_SIM"
	PIDS="$PIDS $XD_PID"
	eval "PORT_$1=$XD_PORT SIM_$1=$XD_SIM PID_$1=$XD_PID"
	XD_PID=""
}

start_dest A 256M 'max-incoming = 2'
start_dest B 80M ''
start_dest C 1G 'hosts-allow = 10\.9\.9\.9'
TO="127.0.0.1:$PORT_A,127.0.0.1:$PORT_B,127.0.0.1:$PORT_C"

sizes="96 64 48 48 32 32 24 24 16 16 16 16"
n=0
for m in $sizes; do
	n=$((n + 1))
	S sim create --name g$n --memory ${m}M --dirty-rate 1M > "$E2E_TMP/c" \
	    2>&1 || { cat "$E2E_TMP/c"; e2e_fail "create g$n"; }
done
S sim create --name parked --memory 16M > /dev/null
S sim create --name idle --memory 16M > /dev/null

expect_exit 0 S --json status --host "127.0.0.1:$PORT_A"
cp "$E2E_TMP/out" "$E2E_TMP/status.A"
expect_exit 0 S --json status --host "127.0.0.1:$PORT_B"
cp "$E2E_TMP/out" "$E2E_TMP/status.B"

set +e
S --json evacuate --dry-run --exclude parked,idle --to "$TO" \
    > "$E2E_TMP/plan" 2> "$E2E_TMP/plan.err"
rc=$?
set -e
[ $rc -eq 1 ] || { cat "$E2E_TMP/plan" "$E2E_TMP/plan.err";
    e2e_fail "dry run: exit $rc, wanted 1 (some fit nowhere)"; }
expect_grep "not used: refused: .*hosts-allow" "$E2E_TMP/plan.err"
$PYTHON - "$E2E_TMP/plan" "$E2E_TMP/status.A" "$E2E_TMP/status.B" <<'PY' ||
import json, sys
plan = json.load(open(sys.argv[1]))
st = [json.load(open(f)) for f in sys.argv[2:4]]
hosts = plan["hosts"]
assert plan["dry_run"] is True, plan
assert len(plan["guests"]) == 12, plan["guests"]
names = {g["domain"] for g in plan["guests"]}
assert "parked" not in names and "idle" not in names, names
mem = [g["memory_bytes"] for g in plan["guests"]]
assert mem == sorted(mem, reverse=True), mem
for i in range(2):
    h, s = hosts[i], st[i]
    assert h["usable"], h
    assert h["free_bytes"] == s["free_bytes"], (h, s)
    assert h["room_bytes"] == s["free_bytes"] - s["reserved_bytes"], h
    placed = [g for g in plan["guests"] if g["destination"] == h["host"]]
    total = sum(g["memory_bytes"] for g in placed)
    assert total == h["planned_bytes"], (total, h)
    assert total <= h["room_bytes"], (total, h)
    assert len(placed) == h["planned_guests"], h
assert not hosts[2]["usable"] and "hosts-allow" in hosts[2]["error"], hosts
assert hosts[1]["room_bytes"] < max(mem), "B must be too small"
big = plan["guests"][0]
assert big["destination"] == hosts[0]["host"], big
left = [g for g in plan["guests"] if g["destination"] is None]
assert left and all(g["result"] == "unplaced" for g in left), left
# Nothing left out would have fitted where it was planned to go.
for g in left:
    for h in hosts[:2]:
        assert g["memory_bytes"] > h["room_bytes"] - h["planned_bytes"], g
PY
    e2e_fail "the plan"
e2e_ok "dry run: largest first, within each destination's reported room"

# The evacuation itself: placed guests move, the rest stay and are named.
set +e
S --json evacuate --exclude parked,idle --parallel 3 --to "$TO" \
    > "$E2E_TMP/run" 2> "$E2E_TMP/run.err"
rc=$?
set -e
[ $rc -eq 1 ] || { cat "$E2E_TMP/run" "$E2E_TMP/run.err";
    e2e_fail "evacuate: exit $rc, wanted 1"; }
$PYTHON - "$E2E_TMP/plan" "$E2E_TMP/run" > "$E2E_TMP/where" <<'PY' ||
import json, sys
plan = json.load(open(sys.argv[1]))
run = json.load(open(sys.argv[2]))
assert run["result"] == "partial", run["result"]
pd = {g["domain"]: g["destination"] for g in plan["guests"]}
for g in run["guests"]:
    for k in ("domain", "destination", "result", "total_ms", "downtime_ms"):
        assert k in g, (k, g)
    if pd[g["domain"]] is None:
        assert g["result"] == "unplaced" and g["error"], g
        print(g["domain"], "-")
    else:
        assert g["result"] == "ok", g
        assert g["destination"] == pd[g["domain"]], g
        print(g["domain"], g["destination"].rsplit(":", 1)[1])
PY
    { cat "$E2E_TMP/run" "$E2E_TMP/run.err"; e2e_fail "the report"; }
while read -r name port; do
	if [ "$port" = - ]; then
		[ "$(sim_state "$SRC" "$name")" = running ] ||
		    e2e_fail "$name, placed nowhere, is not running here"
		continue
	fi
	[ "$port" = "$PORT_A" ] && d=$SIM_A || d=$SIM_B
	sim_has "$SRC" "$name" && e2e_fail "$name still here"
	[ "$(sim_state "$d" "$name")" = running ] || e2e_fail "$name not there"
	sim_intact "$d" "$name"
done < "$E2E_TMP/where"
[ "$(sim_state "$SRC" parked)" = running ] || e2e_fail "parked moved"
sim_has "$SIM_C" g1 && e2e_fail "a guest went to the refusing host"
# The table, without --json.
expect_exit 1 S evacuate --exclude parked --to "127.0.0.1:$PORT_C"
expect_grep "^GUEST .*DESTINATION .*RESULT .*TIME .*DOWNTIME" "$E2E_TMP/out"
e2e_ok "evacuation: every placed guest moved intact, the rest reported"

# 2. A destination dies during an evacuation.
stop_all
PIDS=""
for n in 1 2 3 4 5 6 7 8 9 10 11 12; do
	for d in "$SIM_A" "$SIM_B"; do
		"$XMIG" --sim-dir "$d" sim destroy g$n > /dev/null 2>&1 || :
	done
	S sim destroy g$n > /dev/null 2>&1 || :
done
for n in 1 2 3 4; do
	S sim create --name k$n --memory 32M --dirty-rate 1M > /dev/null
done
start_dest D 1G ''
start_dest E 1G '' dst-mid-stream:killd
set +e
S --json evacuate --exclude parked,idle --parallel 2 \
    --to "127.0.0.1:$PORT_D,127.0.0.1:$PORT_E" \
    > "$E2E_TMP/kill" 2> "$E2E_TMP/kill.err"
rc=$?
set -e
[ $rc -eq 1 ] || { cat "$E2E_TMP/kill" "$E2E_TMP/kill.err";
    e2e_fail "evacuate with a dying host: exit $rc, wanted 1"; }
kill -0 "$PID_E" 2>/dev/null && e2e_fail "E was not killed"
$PYTHON - "$E2E_TMP/kill" "$PORT_D" "$PORT_E" <<'PY' ||
import json, sys
run = json.load(open(sys.argv[1]))
res = {g["domain"]: (g["result"], g["destination"]) for g in run["guests"]}
assert len(res) == 4, res
bad = [d for d, r in res.items() if r[0] != "ok"]
assert len(bad) >= 1, res
for d, (r, dest) in res.items():
    if r == "ok":
        assert dest.endswith(":" + sys.argv[2]), (d, r, dest)
    else:
        assert r in ("failed", "resumed"), (d, r)
        assert dest.endswith(":" + sys.argv[3]), (d, r, dest)
PY
    { cat "$E2E_TMP/kill" "$E2E_TMP/kill.err"; e2e_fail "the report"; }
for n in 1 2 3 4; do
	c=0
	for d in "$SRC" "$SIM_D" "$SIM_E"; do
		[ "$(sim_state "$d" k$n)" = running ] && c=$((c + 1))
	done
	[ $c -eq 1 ] || e2e_fail "k$n runs $c times"
	for d in "$SRC" "$SIM_D"; do
		[ "$(sim_state "$d" k$n)" = running ] && sim_intact "$d" k$n
	done
done
e2e_ok "a destination killed mid-evacuation: its guest runs here again," \
    "the others moved, none lost or twice"
