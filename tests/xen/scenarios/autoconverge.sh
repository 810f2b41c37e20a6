# autoconverge: auto-converge's throttle on real Xen is a credit2 cap on
# the domain, set while xmig copies it and given back afterwards, however
# xmig ends: after a successful migration (the copy arrives with the cap
# of its configuration), when xmig is stopped with SIGTERM (cancelled:
# the guest runs on here with its own cap), and when it is killed with
# SIGKILL (its guard, xmig-throttle, sets the cap back).  The domain's
# own cap (80, set with xl first) must be what comes back, and "xl
# sched-credit2 -d" shows each value.  The pattern guest dirties too
# little to earn a throttle over any link this emulated host can model in
# reasonable time, so the fault point precopy-too-dirty makes the policy
# take every round from the second as too dirty (the policy itself is
# tested on the simulated host: tests/e2e/link-converge-sim.sh).
# Needs the credit2 scheduler (Xen 4.17's default): skipped otherwise.
. /dom0-lib.sh

sched=$(xl info | sed -n 's/^xen_scheduler *: *//p')
[ "$sched" = credit2 ] || skip "the scheduler is \"$sched\", not credit2"

start_xmigd /results/xmigd.log
create_guest acpvh pvh

# cap NAME|ID: the domain's credit2 cap now
cap() { xl sched-credit2 -d "$1" | awk 'NR == 2 { print $4 }'; }

# watch_caps ID FILE: record the cap of domain ID until it is gone
watch_caps() {
	while xl sched-credit2 -d "$1" >/dev/null 2>&1; do
		cap "$1" >>"$2"
		sleep 0.2
	done
}

# wait_cap NAME WANT SECS: bounded wait until NAME's cap is WANT
wait_cap() {
	local end=$(($(cut -d. -f1 /proc/uptime) + $3))
	while [ "$(cut -d. -f1 /proc/uptime)" -lt $end ]; do
		[ "$(cap "$1")" = "$2" ] && return 0
		sleep 0.2
	done
	say "cap of $1: $(cap "$1"), expected $2"
	return 1
}

# migrate_bg LOG ARGS...: xmig migrate in the background ($mpid), capped
# at 8 MiB/s (round 0, 128 MiB, takes 16 s or more) and with a target no
# round meets
migrate_bg() {
	local log=$1
	shift
	XMIG_FAULT=precopy-too-dirty xmig --backend xen -v migrate \
	    --bandwidth 8 --max-downtime 1 "$@" acpvh 127.0.0.1 >"$log" 2>&1 &
	mpid=$!
}

# wait_throttled LOG: until xmig says it throttled by 30% (two steps)
wait_throttled() {
	local i=0
	until grep -q "throttled by 30%" "$1" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 1500 ] || ! kill -0 $mpid 2>/dev/null; then
			cat "$1"
			fail "no throttle: $(tail -3 "$1")"
		fi
		sleep 0.2
	done
}

step xl sched-credit2 -d acpvh -c 80 || fail "cannot set the cap"
[ "$(cap acpvh)" = 80 ] || fail "cap $(cap acpvh), not 80"

# 1. SIGTERM while throttled: cancelled, the cap back to 80.
migrate_bg /tmp/ac-term.out --max-rounds 1000
wait_throttled /tmp/ac-term.out
c=$(cap acpvh)
# 30% off what 80 allows is 56; short rounds may have stepped further
[ "$c" -le 56 ] && [ "$c" -gt 0 ] ||
	fail "cap $c while throttled by 30% or more, expected 1-56"
xl sched-credit2 -d acpvh
kill -TERM $mpid
wait $mpid
rc=$?
cat /tmp/ac-term.out
[ $rc != 0 ] || fail "a cancelled migration succeeded"
[ "$(cap acpvh)" = 80 ] || fail "cap $(cap acpvh) after SIGTERM, not 80"
xl sched-credit2 -d acpvh
step wait_ok acpvh 120 || fail "pattern after the cancelled migration"
detail "SIGTERM: cap 80 -> $c while throttled -> 80"

# 2. SIGKILL while throttled: the guard sets 80 back.
migrate_bg /tmp/ac-kill.out --max-rounds 1000
wait_throttled /tmp/ac-kill.out
c=$(cap acpvh)
[ "$c" -lt 80 ] || fail "cap $c while throttled"
kill -KILL $mpid
wait $mpid 2>/dev/null
wait_cap acpvh 80 20 || fail "the guard did not set the cap back"
cat /tmp/ac-kill.out
grep -q "its throttle was removed" /tmp/ac-kill.out ||
	fail "no word from the guard"
xl sched-credit2 -d acpvh
step wait_ok acpvh 120 || fail "pattern after xmig was killed"
detail "SIGKILL: cap 80 -> $c while throttled -> 80 (guard)"

# 3. Success, from the domain's own cap of 0 (none): the cap steps down
#    from 100 (all of its one vCPU) while it copies (live rounds for up
#    to 150 s: round 0 alone takes about 45 s under TCG); the copy
#    arrives with the cap of its configuration (none).
step xl sched-credit2 -d acpvh -c 0 || fail "cannot clear the cap"
id=$(domid acpvh)
: >/tmp/ac-caps
watch_caps "$id" /tmp/ac-caps &
wpid=$!
migrate_bg /tmp/ac-ok.out --max-rounds 1000 --max-time 150
wait_throttled /tmp/ac-ok.out
c=$(cap "$id")
[ -n "$c" ] && [ "$c" -gt 0 ] && [ "$c" -le 70 ] ||
	fail "cap \"$c\" while throttled by 30% or more, expected 1-70"
xl sched-credit2 -d "$id"
wait $mpid
rc=$?
kill $wpid 2>/dev/null
cat /tmp/ac-ok.out
[ $rc = 0 ] || fail "migration with auto-converge failed"
seen=$(sort -n /tmp/ac-caps | uniq | tr '\n' ' ')
say "caps seen on the source: $seen"
step wait_ok acpvh--incoming 120 || step wait_ok acpvh 120 ||
	fail "pattern after the migration"
xl sched-credit2 -d acpvh
[ "$(cap acpvh)" = 0 ] || fail "the copy arrived with cap $(cap acpvh)"
xl destroy acpvh 2>/dev/null
detail "migrated: cap $c while throttled (seen on the source: $seen);" \
    "the copy has cap 0"
