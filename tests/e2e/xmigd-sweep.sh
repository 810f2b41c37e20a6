#!/bin/sh
# xmigd-sweep.sh - at start-up xmigd removes the NAME--incoming domains an
# earlier daemon or worker left behind before GO: a paused one (never
# ran) and a dying one (its destroy was cut short); a running one got GO
# and is left alone.  A dying domain never runs again, and another
# destroy finishes it; a running daemon finishes a dying one when its
# name is reserved again.
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/xmigd-lib.sh"
. "$top_srcdir/tests/e2e/sim-lib.sh"

sim_host "$XD_SIM"
D() { "$XMIG" --sim-dir "$XD_SIM" "$@"; }
for n in a b c d; do
	expect_exit 0 D sim create --name "$n--incoming" --memory 16M
done
expect_exit 0 D sim pause a--incoming
# A destroy that dies after marking the domain dying.
set +e
XMIG_FAULT=sim-destroy-cut-short D sim destroy b--incoming \
    > "$E2E_TMP/out" 2>&1
rc=$?
set -e
[ "$rc" != 0 ] || e2e_fail "the cut-short destroy succeeded"
[ "$(sim_state "$XD_SIM" b--incoming)" = dying ] ||
    { sim_list "$XD_SIM"; e2e_fail "b--incoming is not dying"; }
expect_exit 1 D sim unpause b--incoming
expect_grep "being destroyed" "$E2E_TMP/err"
[ "$(sim_state "$XD_SIM" b--incoming)" = dying ] ||
    e2e_fail "b--incoming changed"
# The same for a domain xmigd has no business with: a second destroy
# finishes it.
set +e
XMIG_FAULT=sim-destroy-cut-short D sim destroy d--incoming \
    > "$E2E_TMP/out" 2>&1
set -e
[ "$(sim_state "$XD_SIM" d--incoming)" = dying ] ||
    e2e_fail "d--incoming is not dying"
expect_exit 0 D sim destroy d--incoming
sim_has "$XD_SIM" d--incoming && e2e_fail "d--incoming survived a destroy"
e2e_ok "a destroy cut short leaves the domain dying; another finishes it"

xd_start
expect_grep "a--incoming (domain [0-9]*), left paused by an earlier run, destroyed" "$XD_LOG"
expect_grep "b--incoming (domain [0-9]*), left dying by an earlier run, destroyed" "$XD_LOG"
expect_grep "c--incoming (domain [0-9]*) is running: left as it is" "$XD_LOG"
sim_has "$XD_SIM" a--incoming && e2e_fail "a--incoming left"
sim_has "$XD_SIM" b--incoming && e2e_fail "b--incoming left"
[ "$(sim_state "$XD_SIM" c--incoming)" = running ] ||
    e2e_fail "c--incoming does not run"
e2e_ok "start-up sweep: paused and dying incoming copies go, a running one stays"

# While the daemon runs: a dying NAME--incoming does not refuse the next
# migration of NAME (its destroy is finished), a paused one does (it may
# be a copy on its way, xl's say).
expect_exit 0 D sim create --name e--incoming --memory 16M
set +e
XMIG_FAULT=sim-destroy-cut-short D sim destroy e--incoming \
    > "$E2E_TMP/out" 2>&1
set -e
[ "$(sim_state "$XD_SIM" e--incoming)" = dying ] ||
    e2e_fail "e--incoming is not dying"
$RELOC --port "$XD_PORT" reserve --name e --memkb 16384 > "$E2E_TMP/r"
expect_grep '^ACCEPT' "$E2E_TMP/r"
expect_grep "e--incoming (domain [0-9]*), left dying by a destroy cut short, destroyed" "$XD_LOG"
sim_has "$XD_SIM" e--incoming && e2e_fail "e--incoming left"
expect_exit 0 D sim create --name f--incoming --memory 16M
expect_exit 0 D sim pause f--incoming
$RELOC --port "$XD_PORT" reserve --name f --memkb 16384 > "$E2E_TMP/r"
expect_grep '^DENY .*name of f already exists' "$E2E_TMP/r"
[ "$(sim_state "$XD_SIM" f--incoming)" = paused ] ||
    e2e_fail "f--incoming was touched"
e2e_ok "running: a dying incoming copy is finished, a paused one refuses"
