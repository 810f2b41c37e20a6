#!/bin/sh
# xmigd-crash-restore.sh - a worker that crashes after the stream was
# restored (XMIG_FAULT=worker-crash-after-stream, before GO): the daemon
# destroys the incoming copy, keeps serving, and the source keeps its
# domain.  Needs a real migration from "xmig migrate" (skipped, 77, while
# that does not reach the daemon).
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/xmigd-lib.sh"

no_incoming() {
	"$XMIG" --sim-dir "$XD_SIM" list > "$E2E_TMP/list" 2>&1 ||
	    { cat "$E2E_TMP/list"; e2e_fail "xmig list"; }
	if grep -q -- "--incoming" "$E2E_TMP/list"; then
		cat "$E2E_TMP/list"; e2e_fail "an incoming domain was left"
	fi
}

# 4. A crash after the stream was restored (before GO): the incoming
#    copy is destroyed by the daemon.  Needs a real migration.
SRC="$E2E_TMP/src"
"$XMIG" --sim-dir "$SRC" sim create --name web1 --memory 32M \
    > "$E2E_TMP/out" 2>&1 || { cat "$E2E_TMP/out"; e2e_fail "sim create"; }
src_cleanup() { "$XMIG" --sim-dir "$SRC" sim stop || :; }
e2e_on_exit src_cleanup
XMIG_FAULT=worker-crash-after-stream xd_start
set +e
"$XMIG" --sim-dir "$SRC" migrate web1 "127.0.0.1:$XD_PORT" \
    > "$E2E_TMP/m.out" 2> "$E2E_TMP/m.err"
mrc=$?
set -e
grep -q "reservation 1 accepted: web1" "$XD_LOG" ||
    { cat "$E2E_TMP/m.err"; e2e_skip "xmig migrate does not reach xmigd yet"; }
xd_wait_log "job 1: migration of web1 .* failed (signal 6) in phase received"
xd_wait_log "job 1: incoming copy web1--incoming (domain [0-9]*) destroyed"
no_incoming
# The source saw the connection drop after GO, asked the daemon, and,
# the incoming copy being gone, resumed its own: failed and resumed.
[ "$mrc" = 4 ] || { cat "$E2E_TMP/m.err"; e2e_fail "migrate exit $mrc"; }
"$XMIG" --sim-dir "$SRC" list > "$E2E_TMP/srclist"
grep -q "^web1 .* running " "$E2E_TMP/srclist" ||
    { cat "$E2E_TMP/srclist"; e2e_fail "web1 does not run at the source"; }
$RELOC --port "$XD_PORT" hello > "$E2E_TMP/e"
expect_grep '^HELLO' "$E2E_TMP/e"
e2e_ok "worker crash mid-restore: incoming copy destroyed, source kept (xmig migrate exit $mrc)"
