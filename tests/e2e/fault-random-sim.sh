#!/bin/sh
# fault-random-sim.sh - never neither, at random moments: SIGKILL of the
# receiving worker (6 trials in 10), of xmigd (2 in 10, and so of its
# worker; it is started again at once) or of xmig migrate (2 in 10), at a
# moment drawn uniformly over 1.2 times a clean migration's length; every
# fifth trial also holds the worker 300 ms between GO and the unpause, a
# window (about 1 in 80 of a migration) that a uniform draw rarely finds.
# After each, exactly one intact copy runs, under its own name, and
# nothing is left behind (tests/e2e/fault-lib.sh).
#
#   FAULT_TRIALS   trials (default 30; the long run: 200)
#   FAULT_SEED     the random seed (default: the clock); printed, so a
#                  failing run can be repeated
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/xmigd-lib.sh"
. "$top_srcdir/tests/e2e/sim-lib.sh"
. "$top_srcdir/tests/e2e/fault-lib.sh"

trials=${FAULT_TRIALS:-30}
seed=${FAULT_SEED:-$(date +%s)}
FM_MEM=64M
FM_RATE=20M
FM_MIG_OPTS="--bandwidth 64"
echo "seed $seed, $trials trials"

fm_init
# A clean migration's length, to spread the kills over.
expect_exit 0 S sim create --name clean --memory "$FM_MEM" \
    --dirty-rate "$FM_RATE"
expect_exit 0 S --json migrate --port "$XD_PORT" $FM_MIG_OPTS clean 127.0.0.1
len=$(json_get "$(cat "$E2E_TMP/out")" total_ms)
expect_exit 0 D sim destroy clean
echo "a clean migration takes $len ms"

awk -v seed="$seed" -v n="$trials" -v len="$len" 'BEGIN {
	srand(seed)
	for (i = 1; i <= n; i++) {
		r = rand()
		t = r < 0.6 ? "worker" : r < 0.8 ? "xmigd" : "src"
		printf "%s %d %d\n", t, int(rand() * len * 1.2), i % 5 == 0
	}
}' > "$E2E_TMP/plan"
while read -r target delay widen; do
	fm_trial_random "$target" "$delay" "$widen"
done < "$E2E_TMP/plan"

e2e_ok "$FM_N trials (seed $seed): exactly one intact copy runs after each"
