# reserve-too-big: a migration whose reservation is larger than the
# host's free memory is refused by xmigd with a reason; nothing is
# created and the guest runs on undisturbed.
. /dom0-lib.sh

start_xmigd /results/xmigd-big.log

# A guest of 60% of the free memory: a second copy cannot fit.
free=$(xl info | awk '/^free_memory/ { print $3 }')
[ -n "$free" ] || fail "no free_memory in xl info"
GUEST_MEM=$((free * 6 / 10))
# xl itself has been seen to abort after creating a guest this large
# ("corrupted double-linked list") while the guest runs fine: what counts
# is that the domain exists and its guest reports its pattern.
guest_cfg xmbig pvh
step xl create /etc/xen/xmbig.cfg || say "xl create exited $?"
[ -n "$(domid xmbig)" ] || fail "xl create pvh failed"
step wait_ok xmbig 300 || fail "the big guest did not report its pattern"
step xmig --backend xen migrate xmbig 127.0.0.1 >/tmp/big.out 2>&1
rc=$?
cat /tmp/big.out
[ "$rc" = 3 ] || fail "expected the refusal exit status 3, got $rc"
grep -q "not enough memory" /tmp/big.out || fail "no reason given"
xl list | grep -q "xmbig--incoming" && fail "an incoming domain was created"
step wait_ok xmbig 120 || fail "guest disturbed by the refusal"
xl destroy xmbig
detail "${GUEST_MEM} MiB guest, ${free} MiB free: refused, nothing created"
