# xl-relay: "xl migrate -s 'xmig xl-relay' GUEST 127.0.0.1" into a
# running xmigd: xl's own sender, xmigd's hosts-allow, reservation
# (from the configuration in xl's header), memory claim and worker on
# the receiving side.  The guest runs once, under its own name, its
# pattern intact; the source copy is gone.
. /dom0-lib.sh

start_xmigd /results/xmigd-xlr.log
create_guest xlr pvh
step xl migrate -s "xmig xl-relay" xlr 127.0.0.1 >/tmp/xlr.out 2>&1
rc=$?
cat /tmp/xlr.out
[ $rc = 0 ] || fail "xl migrate through xmig xl-relay exited $rc"
secs=$step_secs
grep -q "Migration successful" /tmp/xlr.out || fail "xl did not succeed"
xl list
[ "$(xl list | awk '$1 == "xlr"' | wc -l)" = 1 ] ||
	fail "xlr does not run exactly once"
xl list | grep -q -- "xlr--" && fail "a copy of xlr is left behind"
xl list | awk '$1 == "xlr" { print $5 }' | grep -q "[rb]" ||
	fail "xlr is not running"
grep -q "reservation .* accepted: xlr.*(from xl)" /results/xmigd-xlr.log ||
	fail "no reservation in xmigd's log"
grep -q "claimed .* pages .*xlr" /results/xmigd-xlr.log ||
	fail "no memory claim in xmigd's log"
grep -q "xlr received from xl and running" /results/xmigd-xlr.log ||
	fail "the worker did not report the domain running"
step wait_ok xlr--incoming 120 || step wait_ok xlr 120 ||
	fail "pattern after xl migrate into xmigd"
xl destroy xlr
detail "xl migrate -s \"xmig xl-relay\" into xmigd: $secs s, reserved, claimed, intact"
