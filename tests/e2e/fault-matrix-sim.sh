#!/bin/sh
# fault-matrix-sim.sh - never neither, at every phase boundary on both
# sides: each fault point of a live migration, armed to SIGKILL its
# process, to cut the connection, or (in a receiving worker) to SIGKILL
# xmigd with it, in a trial of its own (tests/e2e/fault-lib.sh): after
# xmig's own settling and at most one "xmig recover", exactly one intact
# copy runs, under its own name, where the point says (before GO at the
# source, after GO at the destination), and nothing is left behind.
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/xmigd-lib.sh"
. "$top_srcdir/tests/e2e/sim-lib.sh"
. "$top_srcdir/tests/e2e/fault-lib.sh"

fm_init

# SIDE POINT ACTIONS (comma-separated) EXPECT (where the domain runs at
# the end).
while read -r side point actions expect; do
	case $side in ''|'#'*) continue ;; esac
	for a in $(echo "$actions" | tr , ' '); do
		fm_trial "$side" "$point:$a" "$expect"
	done
done <<'MATRIX'
# The source (xmig migrate).
src src-after-hello	kill,cut	src
src src-after-reserve	kill,cut	src
src src-after-step1	kill,cut	src
src src-mid-precopy	kill,cut	src
src src-after-suspend	kill,cut	src
src src-after-step3	kill,cut	src
src src-after-stream	kill,cut	src
src src-after-received	kill,cut	src
src src-before-go	kill,cut	src
src src-after-go	kill,cut	dst
src src-after-report	kill,cut	dst
src src-after-destroy	kill,cut	dst
# The destination: xmigd itself, then its receiving worker.
dst xmigd-after-accept	kill,cut	src
dst xmigd-after-reserve	kill,cut	src
dst dst-at-start	kill,killd,cut	src
dst dst-mid-stream	kill,killd,cut	src
dst dst-after-restore	kill,killd,cut	src
dst dst-after-received	kill,killd,cut	src
dst dst-after-go	kill,killd,cut	dst
dst dst-after-unpause	kill,killd,cut	dst
dst dst-before-report	kill,killd,cut	dst
dst dst-after-report	kill,killd,cut	dst
MATRIX

e2e_ok "$FM_N trials: exactly one intact copy runs after each"
