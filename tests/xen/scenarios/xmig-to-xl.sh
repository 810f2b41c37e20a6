# xmig-to-xl: "xmig migrate --xl --rune 'xl migrate-receive' GUEST" to a
# plain xl receiver on this host (no ssh, no xmigd): xmig's precopy and
# xl's handshake.  The guest runs once, under its own name, intact.
. /dom0-lib.sh

create_guest xtx pvh
step xmig --backend xen -v migrate --xl --rune "xl migrate-receive" xtx \
    >/tmp/xtx.out 2>&1
rc=$?
cat /tmp/xtx.out
[ $rc = 0 ] || fail "xmig migrate --xl exited $rc"
secs=$step_secs
xl list
[ "$(xl list | awk '$1 == "xtx"' | wc -l)" = 1 ] ||
	fail "xtx does not run exactly once"
xl list | grep -q -- "xtx--" && fail "a copy of xtx is left behind"
step wait_ok xtx--incoming 120 || step wait_ok xtx 120 ||
	fail "pattern after xmig migrate --xl"
xl destroy xtx
detail "xmig migrate --xl into xl migrate-receive: $secs s, intact; $(grep -o 'done in .*' /tmp/xtx.out | tail -1)"
