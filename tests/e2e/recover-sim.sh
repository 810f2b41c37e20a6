#!/bin/sh
# recover-sim.sh - a connection lost around GO leaves the outcome
# undefined: the source copy stays suspended (never destroyed, never
# resumed) and "xmig recover" settles it by asking the destination.
#   lost after GO:  the domain runs there; recover destroys the copy here.
#   lost before GO: it is not there; recover resumes the copy here.
# Either way exactly one copy runs, with every page intact.  xmig migrate
# itself asks the destination before giving up (the last two cases); the
# fault point src-skip-settle keeps it from doing so, to test recover.
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/xmigd-lib.sh"
. "$top_srcdir/tests/e2e/sim-lib.sh"

xd_start
SRC="$E2E_TMP/src"
sim_host "$SRC"
sim_host "$XD_SIM"
S() { "$XMIG" --sim-dir "$SRC" "$@"; }

expect_exit 0 S sim create --name web1 --memory 32M --dirty-rate 10M
XMIG_FAULT=src-drop-after-go,src-skip-settle expect_exit 5 S migrate --port "$XD_PORT" \
    web1 127.0.0.1
expect_grep 'run "xmig recover web1"' "$E2E_TMP/err"
[ "$(sim_state "$SRC" web1--migratedaway)" = suspended ] ||
    { sim_list "$SRC"; e2e_fail "source copy not left suspended"; }
sim_wait_there "$XD_SIM" web1
[ "$(sim_state "$XD_SIM" web1)" = running ] || e2e_fail "not running there"
expect_exit 0 S recover web1
expect_grep "web1 runs on 127.0.0.1" "$E2E_TMP/out"
sim_has "$SRC" web1--migratedaway && e2e_fail "source copy not destroyed"
sim_has "$SRC" web1 && e2e_fail "a source copy is left"
sim_intact "$XD_SIM" web1
expect_exit 1 S recover web1
e2e_ok "lost after GO: recover destroys the source copy"

expect_exit 0 S sim create --name web2 --memory 32M --dirty-rate 10M
XMIG_FAULT=src-drop-before-go,src-skip-settle expect_exit 5 S migrate --port "$XD_PORT" \
    web2 127.0.0.1
[ "$(sim_state "$SRC" web2--migratedaway)" = suspended ] ||
    { sim_list "$SRC"; e2e_fail "source copy not left suspended"; }
sim_wait_gone "$XD_SIM" web2--incoming
expect_exit 0 S --json recover web2
expect_grep '"result":"resumed"' "$E2E_TMP/out"
[ "$(sim_state "$SRC" web2)" = running ] || e2e_fail "web2 not resumed"
sim_has "$XD_SIM" web2 && e2e_fail "web2 runs at the destination too"
sim_intact "$SRC" web2
e2e_ok "lost before GO: recover resumes the source copy"

# With the destination gone, recover cannot tell and changes nothing.
expect_exit 0 S sim create --name web3 --memory 32M --dirty-rate 10M
XMIG_FAULT=src-drop-before-go,src-skip-settle expect_exit 5 S migrate --port "$XD_PORT" \
    web3 127.0.0.1
xd_stop
expect_exit 5 S recover web3
[ "$(sim_state "$SRC" web3--migratedaway)" = suspended ] ||
    e2e_fail "web3 changed without an answer"
e2e_ok "no answer: nothing changes"

# xmig migrate settles it by itself when the destination answers.
xd_start
sim_host "$XD_SIM"
# With the destination back, while another job holds web3's lock,
# recover is refused and names it (two settlements must not rename and resume at once).
uuid=$(S --json list | $PYTHON -c 'import json, sys
print([d["uuid"] for d in json.load(sys.stdin)
    if d["name"] == "web3--migratedaway"][0])')
lock="$SRC/locks/$uuid.lock"
[ -f "$lock" ] || e2e_fail "no lock file $lock"
$PYTHON - "$lock" "$E2E_TMP/held" <<'PY' &
import fcntl, os, sys, time
f = open(sys.argv[1], "r+")
fcntl.flock(f, fcntl.LOCK_EX)
f.seek(0); f.truncate(); f.write("migrate web3 to elsewhere (pid %d)\n" % os.getpid()); f.flush()
open(sys.argv[2], "w").close()
time.sleep(30)
PY
holder=$!
wait_file "$E2E_TMP/held" "lock holder"
expect_exit 3 S --json recover web3
expect_grep '"result":"refused"' "$E2E_TMP/out"
expect_grep 'busy: migrate web3 to elsewhere' "$E2E_TMP/out"
kill "$holder"; wait "$holder" 2>/dev/null || true
[ "$(sim_state "$SRC" web3--migratedaway)" = suspended ] ||
    e2e_fail "web3 changed while another job held it"
e2e_ok "recover refused while another job holds the domain"

expect_exit 0 S sim create --name web4 --memory 32M --dirty-rate 10M
XMIG_FAULT=src-drop-after-go expect_exit 0 S migrate --port "$XD_PORT" \
    web4 127.0.0.1
expect_grep "asking 127.0.0.1 what became of web4" "$E2E_TMP/err"
expect_grep "migrate web4 to 127.0.0.1: done" "$E2E_TMP/out"
sim_has "$SRC" web4--migratedaway && e2e_fail "web4's source copy is left"
[ "$(sim_state "$XD_SIM" web4)" = running ] || e2e_fail "web4 not there"
sim_intact "$XD_SIM" web4
e2e_ok "lost after GO: migrate finds the domain running there (exit 0)"

expect_exit 0 S sim create --name web5 --memory 32M --dirty-rate 10M
XMIG_FAULT=src-drop-before-go expect_exit 4 S migrate --port "$XD_PORT" \
    web5 127.0.0.1
expect_grep "web5 was not there and was resumed here" "$E2E_TMP/err"
[ "$(sim_state "$SRC" web5)" = running ] || e2e_fail "web5 not resumed"
sim_has "$XD_SIM" web5 && e2e_fail "web5 runs at the destination too"
sim_has "$XD_SIM" web5--incoming && e2e_fail "web5--incoming is left there"
sim_intact "$SRC" web5
e2e_ok "lost before GO: migrate resumes the source copy (exit 4)"
