#!/bin/sh
# simxs-conformance.sh - the simulated host's xenstore server against
# real clients: libxenstore (tests/tools/xs_conformance), Xen's
# xenstore-* tools, python3-pyxs, and malformed raw messages; SIGUSR1 as
# VIRQ_DOM_EXC; the guest.pid identity rule; start and stop.
set -eu
. "$top_srcdir/tests/e2e/lib.sh"

CTL="$top_builddir/tests/tools/simxs_ctl"
CONF="$top_builddir/tests/tools/xs_conformance"
[ -x "$CTL" ] && [ -x "$CONF" ] || e2e_skip "test tools not built"

# Unix socket paths are short: keep the directory name short too.
SIMDIR=$(mktemp -d /tmp/simxs.XXXXXX)
e2e_on_exit "rm -rf $SIMDIR"
e2e_on_exit "$CTL stop $SIMDIR"
XENSTORED_PATH="$SIMDIR/xenstored.sock"
export XENSTORED_PATH

# Two concurrent starters start one server.
"$CTL" start "$SIMDIR" & p1=$!
"$CTL" start "$SIMDIR" & p2=$!
wait $p1 || e2e_fail "first start failed"
wait $p2 || e2e_fail "second start failed"
[ -S "$SIMDIR/xenstored.sock" ] || e2e_fail "no socket"
pid=$(cat "$SIMDIR/xenstored.pid")
kill -0 "$pid" || e2e_fail "server $pid not running"
n=$(grep -c "serving xenstore" "$SIMDIR/xenstored.log")
[ "$n" = 1 ] || e2e_fail "$n servers started"
e2e_ok "one server started by two starters"

# (a) libxenstore
expect_exit 0 "$CONF" "$SIMDIR" basic
e2e_ok "libxenstore: $(grep -c '^ok' "$E2E_TMP/out") checks"
expect_exit 0 "$CONF" "$SIMDIR" sigusr1
e2e_ok "SIGUSR1 fires @releaseDomain"
expect_exit 0 "$CONF" "$SIMDIR" guest
e2e_ok "guest.pid identity"

# (b) Xen's command-line tools
if command -v xenstore-write >/dev/null 2>&1; then
	expect_exit 0 xenstore-write /cli/a 1 /cli/b "two words"
	expect_exit 0 xenstore-read /cli/a /cli/b
	printf '1\ntwo words\n' | cmp -s - "$E2E_TMP/out" ||
	    e2e_fail "xenstore-read: $(cat "$E2E_TMP/out")"
	expect_exit 0 xenstore-list /cli
	printf 'a\nb\n' | cmp -s - "$E2E_TMP/out" || e2e_fail "xenstore-list"
	expect_exit 0 xenstore-chmod /cli/a b0 r5
	expect_exit 0 xenstore-ls -p /cli
	expect_grep 'a = "1" .*(b0,r5)' "$E2E_TMP/out"
	expect_exit 0 xenstore-rm /cli/a
	expect_exit 1 xenstore-read /cli/a
	# A watch prints its initial event, then the change.
	xenstore-watch -n 2 /cli >"$E2E_TMP/watch" 2>&1 & wpid=$!
	e2e_on_exit "kill $wpid"
	i=0
	until grep -q '^/cli$' "$E2E_TMP/watch"; do
		i=$((i + 1))
		[ $i -lt 500 ] || e2e_fail "xenstore-watch: no initial event"
		sleep 0.01
	done
	expect_exit 0 xenstore-write /cli/new x
	wait $wpid || e2e_fail "xenstore-watch failed"
	expect_grep '^/cli/new$' "$E2E_TMP/watch"
	e2e_ok "xenstore-read/write/ls/list/chmod/rm/watch"
else
	echo "note: xenstore-utils not installed, CLI tools not tested"
fi

# (c) an independent client: python3-pyxs, Debian's own python
set +e
/usr/bin/python3 "$top_srcdir/tests/e2e/simxs_pyxs.py" "$XENSTORED_PATH" \
    >"$E2E_TMP/out" 2>&1
rc=$?
set -e
cat "$E2E_TMP/out"
case $rc in
0) e2e_ok "pyxs" ;;
77) echo "note: python3-pyxs not installed, not tested" ;;
*) e2e_fail "pyxs checks failed" ;;
esac

# (d) malformed and hostile clients
expect_exit 0 /usr/bin/python3 "$top_srcdir/tests/e2e/simxs_raw.py" \
    "$XENSTORED_PATH"
cat "$E2E_TMP/out"
kill -0 "$pid" || e2e_fail "server died"

# Stop: socket and pid file go, the server exits.
expect_exit 0 "$CTL" stop "$SIMDIR"
[ ! -e "$SIMDIR/xenstored.sock" ] || e2e_fail "socket left behind"
[ ! -e "$SIMDIR/xenstored.pid" ] || e2e_fail "pid file left behind"
# Gone, or a zombie waiting for whoever adopted it to reap it.
case $(ps -o stat= -p "$pid" 2>/dev/null || :) in
"" | Z*) ;;
*) e2e_fail "server still running after stop" ;;
esac
if grep -q 'ERROR: AddressSanitizer\|runtime error' "$SIMDIR/xenstored.log"
then
	cat "$SIMDIR/xenstored.log"
	e2e_fail "sanitizer report in the server log"
fi
e2e_ok "stop"
