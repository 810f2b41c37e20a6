#!/bin/sh
# migrate-fail-sim.sh - failures never lose a domain nor run it twice:
# a refused device step 0 changes nothing; a guest that ignores suspend
# times out and keeps running at the source, one that crashes instead is
# left crashed; the destination killed
# mid-stream leaves the source running and intact; the source killed
# mid-stream leaves no --incoming domain on the destination.
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
DEV="$E2E_TMP/devices"
mkdir -p "$DEV"
export XMIG_CONF="$E2E_TMP/xmig.conf"
printf 'device-migrate-dir = %s\nsuspend-timeout = 2\n' "$DEV" > "$XMIG_CONF"

# 1. A device handler refuses at step 0.
expect_exit 0 S sim create --name web1 --memory 32M --dirty-rate 10M
id=$(S list | awk '$1 == "web1" { print $2 }')
XENSTORED_PATH="$SRC/xenstored.sock" xenstore-write \
    "/local/domain/0/backend/vif/$id/0/state" 4
cat > "$DEV/vif" <<'SH'
#!/bin/sh
echo "$*" >> "${0%/*}/calls"
case "$*" in *"--step 0"*) echo "bridge xenbr9 missing"; exit 1;; esac
exit 0
SH
chmod +x "$DEV/vif"
expect_exit 3 S migrate --port "$XD_PORT" web1 127.0.0.1
expect_grep "step 0 refused: bridge xenbr9 missing" "$E2E_TMP/err"
expect_grep "--step 0 --type vif --device 0 --domain web1 --domid $id --host 127.0.0.1" "$DEV/calls"
[ "$(sim_state "$SRC" web1)" = running ] || e2e_fail "web1 not running"
sim_has "$XD_SIM" web1--incoming && e2e_fail "incoming copy created"
xd_wait_status 's["reserved_bytes"] == 0'
sim_intact "$SRC" web1
rm -f "$DEV/vif"
e2e_ok "a refused step 0 changes nothing"

# 2. A guest that never acknowledges suspend: timeout, runs on here.
expect_exit 0 S sim create --name deaf --memory 32M --dirty-rate 10M \
    --ignore-suspend
expect_exit 1 S migrate --port "$XD_PORT" deaf 127.0.0.1
expect_grep "did not acknowledge the suspend request" "$E2E_TMP/err"
[ "$(sim_state "$SRC" deaf)" = running ] || e2e_fail "deaf not running"
sim_wait_gone "$XD_SIM" deaf--incoming
sim_intact "$SRC" deaf
e2e_ok "suspend timeout: the guest keeps running at the source"

# 2a. The same, but the request cannot be withdrawn: the guest may still
#     act on it, so xmig waits for it as if acknowledged and resumes it
#     (exit 4) rather than leave a guest that may suspend with nobody to
#     resume it.
XMIG_FAULT=suspend-withdraw-fails expect_exit 4 S migrate \
    --port "$XD_PORT" deaf 127.0.0.1
expect_grep "cannot withdraw the suspend request" "$E2E_TMP/err"
expect_grep "deaf was resumed and runs here" "$E2E_TMP/err"
[ "$(sim_state "$SRC" deaf)" = running ] || e2e_fail "deaf not running"
sim_wait_gone "$XD_SIM" deaf--incoming
sim_intact "$SRC" deaf
e2e_ok "suspend request not withdrawn: waited for, then resumed here"

# 2b. A guest that crashes while xmig waits for it to acknowledge the
#     suspend: xmig stops waiting, does not resume it (that would undo
#     the crash), and leaves nothing at the destination.
expect_exit 0 S sim create --name crashy --memory 32M --ignore-suspend
cid=$(S list | awk '$1 == "crashy" { print $2 }')
printf 'device-migrate-dir = %s\nsuspend-timeout = 60\n' "$DEV" \
    > "$E2E_TMP/long.conf"
XMIG_CONF="$E2E_TMP/long.conf" "$XMIG" --sim-dir "$SRC" migrate \
    --port "$XD_PORT" crashy 127.0.0.1 > "$E2E_TMP/m2b.out" 2>&1 &
mpid=$!
i=0
until [ "$(XENSTORED_PATH="$SRC/xenstored.sock" xenstore-read \
    "/local/domain/$cid/control/shutdown" 2>/dev/null)" = suspend ]; do
	i=$((i + 1))
	[ $i -gt 300 ] && { cat "$E2E_TMP/m2b.out"; e2e_fail "no suspend request"; }
	sleep 0.1
done
t0=$(date +%s)
kill -9 "$(cat "$SRC/domains/$cid/guest.pid")"
set +e
wait "$mpid"
rc=$?
set -e
t1=$(date +%s)
[ "$rc" = 1 ] || { cat "$E2E_TMP/m2b.out"; e2e_fail "exit $rc, wanted 1"; }
[ $((t1 - t0)) -lt 20 ] || e2e_fail "xmig waited $((t1 - t0)) s for a crashed guest"
expect_grep "crashy stopped instead of suspending (shutdown(crash))" "$E2E_TMP/m2b.out"
grep -q "resumed" "$E2E_TMP/m2b.out" &&
    { cat "$E2E_TMP/m2b.out"; e2e_fail "a crashed guest was resumed"; }
[ "$(sim_state "$SRC" crashy)" = "shutdown(crash)" ] ||
    { sim_list "$SRC"; e2e_fail "crashy is not crashed"; }
[ -z "$(XENSTORED_PATH="$SRC/xenstored.sock" xenstore-read \
    "/local/domain/$cid/control/shutdown" 2>/dev/null)" ] ||
    e2e_fail "the suspend request was not withdrawn"
sim_wait_gone "$XD_SIM" crashy--incoming
xd_wait_status 's["reserved_bytes"] == 0'
e2e_ok "a guest that crashes before suspending is left crashed, not resumed"

# 3. The destination dies mid-stream: the source runs on, intact.
expect_exit 0 S sim create --name big --memory 256M --dirty-rate 10M
"$XMIG" --sim-dir "$SRC" migrate --bandwidth 16M --port "$XD_PORT" big \
    127.0.0.1 > "$E2E_TMP/m3.out" 2>&1 &
mpid=$!
sim_wait_there "$XD_SIM" big--incoming
pkill -9 -P "$XD_PID" 2>/dev/null || :
kill -9 "$XD_PID"
XD_PID=""
set +e
wait "$mpid"
rc=$?
set -e
[ "$rc" = 1 ] || [ "$rc" = 4 ] || { cat "$E2E_TMP/m3.out"; e2e_fail "exit $rc"; }
[ "$(sim_state "$SRC" big)" = running ] || e2e_fail "big not running"
sim_intact "$SRC" big
e2e_ok "destination killed mid-stream: the source runs on, intact"

# 4. The source dies mid-stream: no --incoming copy survives.
xd_start
sim_host "$XD_SIM"
"$XMIG" --sim-dir "$SRC" migrate --bandwidth 16M --port "$XD_PORT" big \
    127.0.0.1 > "$E2E_TMP/m4.out" 2>&1 &
mpid=$!
sim_wait_there "$XD_SIM" big--incoming
kill -9 "$mpid" 2>/dev/null ||
    { cat "$E2E_TMP/m4.out" "$XD_LOG"; e2e_fail "xmig ended before the kill"; }
wait "$mpid" 2>/dev/null || :
sim_wait_gone "$XD_SIM" big--incoming 60
[ "$(sim_state "$SRC" big)" = running ] || e2e_fail "big not running"
sim_intact "$SRC" big
e2e_ok "source killed mid-stream: no --incoming domain left"
