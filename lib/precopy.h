/*
 * precopy.h - xmig's precopy policy, shared by both backends.
 *
 * libxenguest calls its precopy_policy callback before each live round
 * with the pages about to be sent ("dirty_count") and stops the live
 * phase when told to; its default is 5 rounds or fewer than 50 dirty
 * pages, and libxl never lets anyone change it.  xmig decides like QEMU:
 * it measures the bandwidth of each round and stops when the pages left
 * would go in under the downtime target, or when a round or time limit
 * is reached; a cancel request aborts.  Per-round figures are kept.
 *
 * Auto-converge, as QEMU's: when the guest dirtied at least half as many
 * bytes as the link carried in a round and the downtime predicted is
 * above the target, PRECOPY_THROTTLE_AFTER rounds in a row, the policy
 * asks for a throttle of PRECOPY_THROTTLE_FIRST percent, then
 * PRECOPY_THROTTLE_STEP more after each round that is still so, up to
 * PRECOPY_THROTTLE_MAX (throttle_pct; the caller applies it).
 */
#ifndef XMIG_PRECOPY_H
#define XMIG_PRECOPY_H

#include <signal.h>
#include <stdint.h>

#include "backend.h"
#include "migrate.h"

#define PRECOPY_PAGE_SIZE		4096
#define PRECOPY_DEFAULT_DOWNTIME_MS	300
#define PRECOPY_DEFAULT_MAX_ROUNDS	30
#define PRECOPY_THROTTLE_AFTER		2
#define PRECOPY_THROTTLE_FIRST		20
#define PRECOPY_THROTTLE_STEP		10
#define PRECOPY_THROTTLE_MAX		99
/*
 * too_dirty only: the wait after a round with no dirty pages, so that
 * the live phase goes on at the guest's pace rather than spinning
 * through empty rounds up to the round limit.
 */
#define PRECOPY_IDLE_MS			200

struct precopy {
	/* Settings. */
	uint64_t	max_downtime_ms;	/* 0: the default */
	unsigned	max_rounds;		/* 0: the default */
	uint64_t	max_time_ms;		/* 0: no limit */
	volatile sig_atomic_t *cancel;		/* non-zero: abort */
	int		auto_converge;	/* 0 by precopy_init(); set after */
	/*
	 * Tests (fault point "precopy-too-dirty"): every round from the
	 * second counts as too dirty to converge, whatever the guest does,
	 * so that the throttle engages on a guest too slow to earn it; no
	 * round ends the live phase (neither one with no dirty pages nor
	 * one within the downtime target), only a cancel or a limit; a
	 * round that sent nothing leaves the throttle as it is.  The
	 * caller paces such empty rounds (PRECOPY_IDLE_MS).
	 */
	int		too_dirty;

	/* State, zeroed by precopy_init(). */
	uint64_t	start_ns;
	uint64_t	last_ns;
	int64_t		last_dirty;	/* pages the last call let go */
	uint64_t	bandwidth;	/* bytes/s, last round's */
	uint64_t	predicted_ms;	/* downtime predicted at last call */
	uint64_t	dirty_rate;	/* pages/s, last round's */
	unsigned	high_rounds;	/* in a row too dirty to converge */
	unsigned	throttle_pct;	/* auto-converge asks for this */
	const char	*reason;	/* why the live phase stopped */
	struct mig_stats *stats;	/* rounds are appended here */
};

/*
 * Set up *p with the given limits (0 for defaults), recording rounds into
 * *stats (whose rounds are reset here).  "cancel" may be NULL.
 */
void	precopy_init(struct precopy *p, uint64_t max_downtime_ms,
	    unsigned max_rounds, uint64_t max_time_ms,
	    volatile sig_atomic_t *cancel, struct mig_stats *stats,
	    uint64_t now_ns);

/*
 * Decide at time now_ns, given libxenguest-style statistics: returns
 * PRECOPY_CONTINUE, PRECOPY_STOP_AND_COPY or PRECOPY_ABORT and leaves the
 * reason in p->reason ("downtime target met", "round limit", ...).
 */
int	precopy_decide(struct precopy *p, const struct precopy_stats *s,
	    uint64_t now_ns);

/*
 * The save_callbacks.precopy_policy adapter: "data" is a struct precopy.
 */
int	precopy_callback(struct precopy_stats stats, void *data);

#endif /* XMIG_PRECOPY_H */
