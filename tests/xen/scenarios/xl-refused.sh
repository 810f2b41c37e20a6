# xl-refused: xmigd refuses an xl migration (hosts-allow; then a
# reservation larger than the free memory).  xl fails with the reason on
# its standard error, the guest runs on at the source, undisturbed, and
# nothing is left at the destination.
. /dom0-lib.sh

# untouched NAME: exactly one NAME, running, no --incoming or
# --migratedaway copy, and its guest still reports its pattern.
untouched() {
	xl list
	[ "$(xl list | awk -v n="$1" '$1 == n' | wc -l)" = 1 ] ||
		fail "$2: $1 does not run exactly once"
	xl list | grep -q -- "$1--" && fail "$2: a copy of $1 is left"
	step wait_ok $1 120 || fail "$2: guest disturbed"
	:
}

XMIGD_HOSTS_ALLOW='10\.255\.255\.1' start_xmigd /results/xmigd-xlno.log
create_guest xln pvh
step xl migrate -s "xmig xl-relay" xln 127.0.0.1 >/tmp/xln.out 2>&1
rc=$?
cat /tmp/xln.out
[ $rc != 0 ] || fail "xl migrate succeeded past hosts-allow"
grep -q "not allowed by hosts-allow" /tmp/xln.out ||
	fail "the refusal did not reach xl's stderr"
untouched xln "hosts-allow"
xl destroy xln
kill "$xmigd_pid" 2>/dev/null
wait "$xmigd_pid" 2>/dev/null

start_xmigd /results/xmigd-xlno.log
free=$(xl info | awk '/^free_memory/ { print $3 }')
[ -n "$free" ] || fail "no free_memory in xl info"
GUEST_MEM=$((free * 6 / 10))
guest_cfg xlbig pvh
step xl create /etc/xen/xlbig.cfg || say "xl create exited $?"
[ -n "$(domid xlbig)" ] || fail "xl create of the big guest failed"
step wait_ok xlbig 300 || fail "the big guest did not report its pattern"
step xl migrate -s "xmig xl-relay" xlbig 127.0.0.1 >/tmp/xlbig.out 2>&1
rc=$?
cat /tmp/xlbig.out
[ $rc != 0 ] || fail "xl migrate of a guest too big succeeded"
grep -q "not enough memory" /tmp/xlbig.out ||
	fail "the reservation's refusal did not reach xl's stderr"
untouched xlbig "reservation too big"
xl destroy xlbig
detail "hosts-allow and a ${GUEST_MEM} MiB reservation (${free} MiB free) refused: xl failed, guest ran on, nothing left"
