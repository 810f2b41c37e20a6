#!/bin/sh
# sim-basics.sh - the simulated host: create domains, list them, check a
# guest's memory while it dirties pages, pause and unpause, destroy; two
# hosts in two directories; over-commit refused with a reason and
# nothing created.
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"

A="$E2E_TMP/hostA"
B="$E2E_TMP/hostB"
unset XMIG_SIM_DIR XMIG_BACKEND
export XMIG_SIM_MEMORY=256M
stop_host() { "$XMIG" --sim-dir "$1" sim stop >/dev/null 2>&1 || :; }
stop_hosts() { stop_host "$A"; stop_host "$B"; }
e2e_on_exit stop_hosts

# Create: prints the new id; the host directory is made on first use.
expect_exit 0 "$XMIG" --sim-dir "$A" sim create --name web1 --memory 32M \
    --dirty-rate 20M/s
expect_grep "^1$" "$E2E_TMP/out"
[ "$(stat -c %a "$A")" = 700 ] || e2e_fail "host directory mode"
expect_exit 0 "$XMIG" --sim-dir "$A" sim create --name db1 --memory 16M
expect_grep "^2$" "$E2E_TMP/out"
XMIG_SIM_DIR="$A" expect_exit 0 "$XMIG" --backend sim list
expect_grep "^Name  *ID Mem(MiB) VCPUs State  *Type" "$E2E_TMP/out"
expect_grep "^Domain-0  *0 .* running  *pv" "$E2E_TMP/out"
expect_grep "^web1  *1  *32  *1 running  *pvh" "$E2E_TMP/out"
expect_grep "^db1  *2  *16  *1 running  *pvh" "$E2E_TMP/out"
expect_exit 0 "$XMIG" --backend sim --sim-dir "$A" --json list
expect_grep '"name":"web1","domid":1,"mem_mib":32' "$E2E_TMP/out"
e2e_ok "create and list"

# The guest dirties pages; every check pauses it and finds all intact.
gen1=$("$XMIG" --sim-dir "$A" --json sim check web1 |
    sed 's/.*"generation":\([0-9]*\).*/\1/')
expect_exit 0 "$XMIG" --sim-dir "$A" sim check web1
expect_grep "^web1: 8192 pages checked, all intact$" "$E2E_TMP/out"
n=0
while :; do
	gen2=$("$XMIG" --sim-dir "$A" --json sim check web1 |
	    sed 's/.*"generation":\([0-9]*\).*/\1/')
	[ "$gen2" -gt "$gen1" ] && break
	n=$((n + 1))
	[ $n -lt 200 ] || e2e_fail "guest wrote nothing ($gen1 -> $gen2)"
done
expect_exit 0 "$XMIG" --sim-dir "$A" --json sim check db1
expect_grep '"result":"intact","pages":4096,"bad_pages":0,"generation":0' \
    "$E2E_TMP/out"
e2e_ok "check intact while dirtying"

# Pause stops the guest; unpause lets it go on.
expect_exit 0 "$XMIG" --sim-dir "$A" sim pause web1
"$XMIG" --sim-dir "$A" list | grep -q "^web1 .* paused " ||
    e2e_fail "web1 not paused"
p1=$("$XMIG" --sim-dir "$A" --json sim check web1 |
    sed 's/.*"generation":\([0-9]*\).*/\1/')
p2=$("$XMIG" --sim-dir "$A" --json sim check web1 |
    sed 's/.*"generation":\([0-9]*\).*/\1/')
[ "$p1" = "$p2" ] || e2e_fail "paused guest wrote pages ($p1 -> $p2)"
expect_exit 0 "$XMIG" --sim-dir "$A" sim unpause web1
"$XMIG" --sim-dir "$A" list | grep -q "^web1 .* running " ||
    e2e_fail "web1 not running"
e2e_ok "pause and unpause"

# Damage is found: flip a byte in a data page of db1's memory.
printf '\377' | dd of="$A/domains/2/mem" bs=1 seek=$((4000 * 4096 + 100)) \
    conv=notrunc 2>/dev/null
expect_exit 1 "$XMIG" --sim-dir "$A" sim check db1
expect_grep "^db1: 4096 pages checked, 1 damaged" "$E2E_TMP/out"
expect_grep "pfn 0xfa0: corrupted (byte 100 differs)" "$E2E_TMP/out"
e2e_ok "damage detected"

# A second host in another directory is independent.
expect_exit 0 "$XMIG" --sim-dir "$B" sim create --name web1 --memory 32M
expect_grep "^1$" "$E2E_TMP/out"
expect_exit 1 "$XMIG" --sim-dir "$A" sim create --name web1 --memory 8M
expect_grep "already exists" "$E2E_TMP/err"
e2e_ok "two hosts"

# Over-commit: refused with both figures, nothing created.
expect_exit 1 "$XMIG" --sim-dir "$A" sim create --name huge --memory 300M
expect_grep "host has 208 MiB free, huge needs 300 MiB" "$E2E_TMP/err"
"$XMIG" --sim-dir "$A" list | grep -q huge && e2e_fail "huge was created"
[ ! -e "$A/domains/3" ] || e2e_fail "a directory was left for huge"
expect_exit 0 "$XMIG" --sim-dir "$A" sim info
expect_grep "free:    208.0 MiB" "$E2E_TMP/out"
e2e_ok "over-commit refused"

# Destroy: the guest process goes, its memory comes back, Domain-0 stays.
gpid=$(cat "$A/domains/1/guest.pid")
expect_exit 0 "$XMIG" --sim-dir "$A" sim destroy web1
[ ! -e "$A/domains/1" ] || e2e_fail "web1's directory is left"
state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' /proc/$gpid/status \
    2>/dev/null || :)
[ -z "$state" ] || [ "$state" = Z ] || e2e_fail "guest $gpid still runs"
expect_exit 1 "$XMIG" --sim-dir "$A" sim destroy web1
expect_grep "no domain web1" "$E2E_TMP/err"
expect_exit 1 "$XMIG" --sim-dir "$A" sim destroy Domain-0
expect_grep "Domain-0 cannot be destroyed" "$E2E_TMP/err"
expect_exit 0 "$XMIG" --sim-dir "$A" sim create --name web3 --memory 8M
expect_grep "^3$" "$E2E_TMP/out"
e2e_ok "destroy; ids are not reused"

# A guest whose domain directory is removed under it (a destroy that
# came before the guest wrote its pid file) ends by itself.
expect_exit 0 "$XMIG" --sim-dir "$A" sim create --name orphan --memory 8M \
    --dirty-rate 0
oid=$("$XMIG" --sim-dir "$A" list | awk '$1 == "orphan" { print $2 }')
opid=$(cat "$A/domains/$oid/guest.pid")
kill -0 "$opid" || e2e_fail "the guest of orphan does not run"
rm -rf "${A:?}/domains/$oid"
i=0
while kill -0 "$opid" 2>/dev/null &&
    [ "$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' \
    /proc/"$opid"/status 2>/dev/null)" != Z ]; do
	i=$((i + 1))
	[ $i -le 50 ] || e2e_fail "an orphaned guest still runs after 5 s"
	sleep 0.1
done
e2e_ok "a guest without its domain directory ends"

# Stop: the host powered off; no guest process and no xenstore server is
# left; a second stop, and a stop of a host that never was, change nothing.
gpid=$(cat "$A/domains/3/guest.pid")
xpid=$(cat "$A/xenstored.pid")
expect_exit 0 "$XMIG" --sim-dir "$A" sim stop
for p in $gpid $xpid; do
	state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' \
	    /proc/$p/status 2>/dev/null || :)
	[ -z "$state" ] || [ "$state" = Z ] || e2e_fail "pid $p still runs"
done
expect_exit 0 "$XMIG" --sim-dir "$A" sim stop
expect_exit 0 "$XMIG" --sim-dir "$E2E_TMP/nohost" sim stop
[ ! -e "$E2E_TMP/nohost" ] || e2e_fail "sim stop made a host directory"
e2e_ok "stop"
