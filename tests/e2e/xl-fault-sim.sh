#!/bin/sh
# xl-fault-sim.sh - "never neither, never twice" on xl's protocol: a
# migration "xmig migrate --xl" into "xmig xl-receive" (and into a
# real xmigd through "xmig xl-relay") with the connection cut, or a
# process killed, at each step of xl's handshake on each side: before
# and after "ready", after "cleared to unpause", before the report.
# xl's protocol has no settling query: where the sender cannot know, it
# leaves its copy suspended as NAME--migratedaway (exit 5) and the
# domain runs at most at the destination.  Each trial checks where the
# domain is, in which state, and that its pages are intact.
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/xmigd-lib.sh"
. "$top_srcdir/tests/e2e/sim-lib.sh"

A="$E2E_TMP/a"
B="$E2E_TMP/b"
sim_host "$A"
sim_host "$B"
sim_host "$XD_SIM"
N=0

# states DIR NAME: "NAME=state NAME--incoming=state ..." on DIR.
states() {
	sim_list "$1" | awk -v n="$2" '$1 == n || index($1, n "--") == 1 {
	    printf "%s=%s ", $1, $2 }'
}

# trial FAULT RUNE EXIT SRC DST: migrate a new guest from A with
# XMIG_FAULT=FAULT (the sender and the receiver it starts see it) to
# RUNE; xmig must exit EXIT, and the states on A and on the destination
# must be SRC and DST (as "states" prints them, NAME standing for the
# guest).  EXIT may be "4|5" when the outcome depends on whether the cut
# reached the peer before its write; the states are then checked against
# the outcome (the first SRC/DST pair for 4, the second for 5).
trial() {
	N=$((N + 1))
	g=xg$N
	"$XMIG" --sim-dir "$A" sim create --name $g --memory 16M \
	    --dirty-rate 4M >/dev/null
	set +e
	XMIG_FAULT=$1 "$XMIG" --sim-dir "$A" migrate --xl --rune "$2" $g \
	    >"$E2E_TMP/out" 2>&1
	rc=$?
	set -e
	want_src=$4 want_dst=$5
	case "$3" in
	"4|5")
		[ $rc = 4 ] || [ $rc = 5 ] ||
		    { cat "$E2E_TMP/out"; e2e_fail "$1: exit $rc, not 4|5"; }
		if [ $rc = 5 ]; then want_src=$6 want_dst=$7; fi ;;
	*)
		[ $rc = "$3" ] ||
		    { cat "$E2E_TMP/out"; e2e_fail "$1: exit $rc, not $3"; } ;;
	esac
	got_src=$(states "$A" $g | sed "s/$g/NAME/g")
	got_dst=$(states "$DST" $g | sed "s/$g/NAME/g")
	[ "$got_src" = "$want_src" ] && [ "$got_dst" = "$want_dst" ] || {
		cat "$E2E_TMP/out"
		e2e_fail "$1: source \"$got_src\" (want \"$want_src\"), " \
		    "destination \"$got_dst\" (want \"$want_dst\")"
	}
	# The copy that runs, or the one to be resumed, has every page.
	if [ "$got_dst" = "NAME=running " ]; then
		sim_intact "$DST" $g
	elif [ "$got_src" = "NAME=running " ]; then
		sim_intact "$A" $g
	fi
	[ $rc != 5 ] || grep -q "Check on .* whether $g runs there" \
	    "$E2E_TMP/out" || e2e_fail "$1: no advice with exit 5"
	e2e_ok "$1: exit $rc; source: $got_src; destination: $got_dst"
	for h in "$A" "$DST"; do
		for d in $(sim_list "$h" | awk -v n=$g '$1 == n ||
		    index($1, n "--") == 1 { print $1 }'); do
			"$XMIG" --sim-dir "$h" sim destroy "$d" >/dev/null
		done
	done
}

DST="$B"
R="$XMIG --sim-dir $B xl-receive"
# The receiver's side.
trial xldst-before-ready:cut "$R" 4 "NAME=running " ""
# Killed with its paused copy: nothing is left to destroy it, but it
# never runs.
trial xldst-before-ready:kill "$R" 4 "NAME=running " \
    "NAME--incoming=paused "
trial xldst-after-ready:cut "$R" "4|5" "NAME=running " "" \
    "NAME--migratedaway=suspended " ""
trial xldst-after-go:cut "$R" 5 "NAME--migratedaway=suspended " \
    "NAME=running "
trial xldst-after-go:kill "$R" 5 "NAME--migratedaway=suspended " \
    "NAME--incoming=paused "
trial xldst-before-report:cut "$R" 5 "NAME--migratedaway=suspended " \
    "NAME=running "
# A copy that cannot start after go: the report says so, the receiver
# destroys it and gives the sender its permission back: it resumes.
trial xldst-start-fails "$R" 4 "NAME=running " ""
# The sender's side.
trial xlsrc-before-ready:cut "$R" 4 "NAME=running " ""
trial xlsrc-after-ready:cut "$R" 4 "NAME=running " ""
trial xlsrc-after-go:cut "$R" 5 "NAME--migratedaway=suspended " \
    "NAME=running "
trial xlsrc-before-report:cut "$R" 5 "NAME--migratedaway=suspended " \
    "NAME=running "
trial xlsrc-after-go:kill "$R" 137 "NAME--migratedaway=suspended " \
    "NAME=running "

# Into xmigd: its worker killed before "ready" (the incoming copy is
# destroyed by xmigd) and after "go" (xmigd finishes it forward from
# the GO record: it runs there).
DST="$XD_SIM"
for f in xldst-before-ready:kill xldst-after-go:kill xldst-start-fails; do
	XMIG_FAULT=$f
	xd_start
	XMIG_FAULT=
	R="$XMIG xl-relay 127.0.0.1:$XD_PORT xl migrate-receive"
	case $f in
	*before-ready* | *start-fails)
		trial "$f" "$R" 4 "NAME=running " "" ;;
	*)
		trial "$f" "$R" 5 "NAME--migratedaway=suspended " \
		    "NAME=running "
		expect_grep "finished forward" "$XD_LOG" ;;
	esac
	xd_stop
done
