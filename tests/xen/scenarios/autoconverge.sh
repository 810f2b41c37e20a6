# autoconverge: auto-converge's throttle on real Xen is a credit2 cap on
# the domain, lowered step by step while xmig copies it and given back
# afterwards, however xmig ends: after a successful migration (the
# source's cap set back at the suspend; the copy arrives with the cap
# the configuration xmig read before the throttle carried), when xmig is
# stopped with SIGTERM (cancelled: the guest runs on here with its own
# cap), and when it is killed with SIGKILL (its guard, xmig-throttle,
# sets the cap back).  The domain's own cap (80, set with xl first) must
# be what comes back each time, and "xl sched-credit2 -d" shows each
# value.  The pattern guest dirties too little to earn a throttle over
# any link this emulated host can model in reasonable time, and in
# bursts that leave some rounds with no dirty page at all, so the fault
# point precopy-too-dirty makes the policy take every round from the
# second as too dirty and end the live phase only at a limit or a
# cancel (empty rounds paced, moving no throttle): the scenario does not
# depend on how much the guest dirties (the policy itself is tested on
# the simulated host: tests/e2e/link-converge-sim.sh).
# Needs the credit2 scheduler (Xen 4.17's default): skipped otherwise.
. /dom0-lib.sh

sched=$(xl info | sed -n 's/^xen_scheduler *: *//p')
[ "$sched" = credit2 ] || skip "the scheduler is \"$sched\", not credit2"

start_xmigd /results/xmigd.log
create_guest acpvh pvh

# cap NAME|ID: the domain's credit2 cap now
cap() { xl sched-credit2 -d "$1" | awk 'NR == 2 { print $4 }'; }

# watch_caps ID FILE: record the cap of domain ID until it is gone (no
# answer three times in a row: dom0's tools now and then die of a
# segfault on this emulated host)
watch_caps() {
	local miss=0 c
	while [ $miss -lt 3 ]; do
		c=$(cap "$1" 2>/dev/null)
		case $c in
		'' | *[!0-9]*) miss=$((miss + 1)) ;;
		*) miss=0; echo "$c" >>"$2" ;;
		esac
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

# show LOG: xmig's log without most of its line per round
show() {
	grep -v '^xmig: precopy: round' "$1"
	say "$(grep -c '^xmig: precopy: round' "$1") precopy lines, the last:"
	grep '^xmig: precopy: round' "$1" | tail -n 3
}

# wait_throttled LOG: until xmig says it throttled by 30% (two steps)
wait_throttled() {
	local i=0
	until grep -q "throttled by 30%" "$1" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 1500 ] || ! kill -0 $mpid 2>/dev/null; then
			show "$1"
			fail "no throttle: $(tail -3 "$1")"
		fi
		sleep 0.2
	done
}

now() { cut -d. -f1 /proc/uptime; }

step xl sched-credit2 -d acpvh -c 80 || fail "cannot set the cap"
[ "$(cap acpvh)" = 80 ] || fail "cap $(cap acpvh), not 80"

# 1. SIGTERM while throttled: cancelled, the cap back to 80.
t0=$(now)
migrate_bg /tmp/ac-term.out --max-rounds 1000
wait_throttled /tmp/ac-term.out
t30=$(($(now) - t0))
c=$(cap acpvh)
# 30% off what 80 allows is 56; the next step may have come already
[ "$c" -le 56 ] && [ "$c" -gt 0 ] ||
	fail "cap $c while throttled by 30% or more, expected 1-56"
xl sched-credit2 -d acpvh
kill -TERM $mpid
wait $mpid
rc=$?
show /tmp/ac-term.out
[ $rc != 0 ] || fail "a cancelled migration succeeded"
[ "$(cap acpvh)" = 80 ] || fail "cap $(cap acpvh) after SIGTERM, not 80"
xl sched-credit2 -d acpvh
step wait_ok acpvh 120 || fail "pattern after the cancelled migration"
detail "SIGTERM: cap 80 -> $c while throttled (30% after ${t30} s) -> 80"

# 2. SIGKILL while throttled: the guard sets 80 back.
migrate_bg /tmp/ac-kill.out --max-rounds 1000
wait_throttled /tmp/ac-kill.out
c=$(cap acpvh)
[ "$c" -lt 80 ] || fail "cap $c while throttled"
kill -KILL $mpid
wait $mpid 2>/dev/null
wait_cap acpvh 80 20 || fail "the guard did not set the cap back"
show /tmp/ac-kill.out
grep -q "its throttle was removed" /tmp/ac-kill.out ||
	fail "no word from the guard"
xl sched-credit2 -d acpvh
step wait_ok acpvh 120 || fail "pattern after xmig was killed"
detail "SIGKILL: cap 80 -> $c while throttled -> 80 (guard)"

# 3. Success: the live phase ends at its round limit, 10: up to 80%
#    (every live round here has a few pages dirty; one with none moves
#    no throttle), not 99%: under TCG a guest capped at 1% of a CPU
#    could hardly acknowledge the suspend in time.  The steps are xmig's
#    "throttled by N%" lines, each logged once Xen took the cap: 20%,
#    then 10% more each; they come faster than "xl sched-credit2" can
#    sample, so the source's caps seen, in order, are 80, then lower
#    values (each one of the steps' caps, 80 less N%), then 80 again
#    from the suspend until the source copy is gone; the copy has 80.
id=$(domid acpvh)
: >/tmp/ac-caps
watch_caps "$id" /tmp/ac-caps &
wpid=$!
migrate_bg /tmp/ac-ok.out --max-rounds 10 --max-time 150
wait $mpid
rc=$?
# the watch ends with the source copy, destroyed once the copy runs
i=0
while kill -0 $wpid 2>/dev/null && [ $i -lt 150 ]; do
	i=$((i + 1))
	sleep 0.2
done
kill $wpid 2>/dev/null
show /tmp/ac-ok.out
[ $rc = 0 ] || fail "migration with auto-converge failed"
grep -q "throttled by 30%" /tmp/ac-ok.out ||
	fail "not throttled by 30% in 10 rounds"
steps=$(grep -o 'throttled by [0-9]*%' /tmp/ac-ok.out | tr -dc '0-9 \n' |
    awk '{ print $NF }' | tr '\n' ' ')
seen=$(uniq /tmp/ac-caps | tr '\n' ' ')
say "throttle steps (%): $steps; caps seen on the source, in order: $seen"
echo "$steps" | awk '{
	if (NF < 2)
		exit 1
	for (i = 1; i <= NF; i++)
		if ($i != 10 + 10 * i)
			exit 1
}' || fail "throttle steps $steps; expected 20, 30, ... (10% each)"
# 80, lower (each a step's cap, no higher than the one before), 80
echo "$seen" | awk -v steps="$steps" '{
	n = split(steps, p, " ")
	for (i = 1; i <= n; i++) {
		c = int(80 * (100 - p[i]) / 100)
		ok[c > 0 ? c : 1] = 1
	}
	if (NF < 3 || $1 != 80 || $NF != 80)
		exit 1
	for (i = 2; i < NF; i++)
		if (!ok[$i] || (i > 2 && $i > $(i - 1)))
			exit 1
}' || fail "caps on the source: $seen; expected 80, the steps' caps," \
    "80"
step wait_ok acpvh--incoming 120 || step wait_ok acpvh 120 ||
	fail "pattern after the migration"
xl sched-credit2 -d acpvh
[ "$(cap acpvh)" = 80 ] || fail "the copy arrived with cap $(cap acpvh)"
xl destroy acpvh 2>/dev/null
detail "migrated: throttle steps (%) $steps; caps seen on the source" \
    "in order: $seen; the copy has cap 80"
