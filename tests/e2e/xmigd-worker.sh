#!/bin/sh
# xmigd-worker.sh - the worker model: a worker that crashes at start (a
# fault point), one that hangs and is cancelled, one past its deadline;
# the daemon survives each, releases the reservation and leaves no
# NAME--incoming domain behind.  (xmigd-crash-restore.sh: mid-restore.)
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

# 1. Crash at start: the source is dropped, the daemon carries on.
XMIG_FAULT=worker-crash-at-start xd_start
$RELOC --port "$XD_PORT" reserve --name c1 --stream x > "$E2E_TMP/a"
expect_grep '^ACCEPT' "$E2E_TMP/a"
expect_grep '^CLOSED' "$E2E_TMP/a"
xd_wait_log "job 1: migration of c1 .* failed (signal 6)"
xd_wait_status 's["jobs"] == [] and s["reserved_bytes"] == 0 and s["counters"]["migrations_failed"] == 1'
$RELOC --port "$XD_PORT" hello > "$E2E_TMP/b"
expect_grep '^HELLO' "$E2E_TMP/b"
no_incoming
e2e_ok "worker crash at start: daemon serves on, reservation released"
xd_stop

# 2. A hanging worker, cancelled through the control socket.
XMIG_FAULT=worker-hang xd_start
$RELOC --port "$XD_PORT" reserve --name h1 --stream x --wait-close 30 \
    > "$E2E_TMP/c" &
cpid=$!
xd_wait_status 'len(s["jobs"]) == 1 and s["jobs"][0]["domain"] == "h1"'
expect_exit 0 "$XMIG" status --socket "$XD_CTL"
expect_grep '^1 .*incoming  *h1 .*127.0.0.1 *starting' "$E2E_TMP/out"
expect_exit 0 "$XMIG" --json status --socket "$XD_CTL"
[ "$(xd_json_get "$(cat "$E2E_TMP/out")" jobs.0.domain)" = h1 ] ||
    e2e_fail "xmig --json status"
expect_exit 1 "$XMIG" cancel --socket "$XD_CTL" 77
expect_grep "no job 77" "$E2E_TMP/err"
r=$(xd_ctl '{"cmd":"cancel"}')
echo "$r" | grep -q '"ok":false' || e2e_fail "bad cancel request: $r"
expect_exit 0 "$XMIG" cancel --socket "$XD_CTL" 1
expect_grep "job 1 cancelled" "$E2E_TMP/out"
wait "$cpid" || :
xd_wait_log "job 1: migration of h1 .* failed (signal 9, cancelled"
xd_wait_status 's["jobs"] == [] and s["reserved_bytes"] == 0'
no_incoming
e2e_ok "a hanging worker is cancelled, its reservation released"
xd_stop

# 3. The hard deadline.
XMIGD_WORKER_DEADLINE_S=1 XMIG_FAULT=worker-hang xd_start
$RELOC --port "$XD_PORT" reserve --name d1 --stream x --wait-close 30 \
    > "$E2E_TMP/d" || :
xd_wait_log "job 1: worker for d1 ran past its deadline of 1 s"
xd_wait_log "failed (signal 9, deadline exceeded)"
xd_wait_status 's["jobs"] == []'
e2e_ok "a worker past its deadline is killed"
xd_stop

