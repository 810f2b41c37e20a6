# reserve-too-big: a migration whose reservation is larger than the
# host's free memory is refused by xmigd with a reason; nothing is
# created and the guest runs on undisturbed.
. /dom0-lib.sh

start_xmigd /results/xmigd-big.log

# A guest of 60% of the free memory: a second copy cannot fit.
free=$(xl info | awk '/^free_memory/ { print $3 }')
[ -n "$free" ] || fail "no free_memory in xl info"
GUEST_MEM=$((free * 6 / 10))
create_guest xmbig pvh
step xmig --backend xen migrate xmbig 127.0.0.1 >/tmp/big.out 2>&1
rc=$?
cat /tmp/big.out
[ "$rc" = 3 ] || fail "expected the refusal exit status 3, got $rc"
grep -q "not enough memory" /tmp/big.out || fail "no reason given"
xl list | grep -q "xmbig--incoming" && fail "an incoming domain was created"
step wait_ok xmbig 120 || fail "guest disturbed by the refusal"
xl destroy xmbig
detail "${GUEST_MEM} MiB guest, ${free} MiB free: refused, nothing created"
