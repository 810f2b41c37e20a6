/*
 * precopy.c - when to stop copying a running guest.
 */
#include "config.h"

#include <string.h>

#include "log.h"
#include "precopy.h"
#include "util.h"

void
precopy_init(struct precopy *p, uint64_t max_downtime_ms,
    unsigned max_rounds, uint64_t max_time_ms,
    volatile sig_atomic_t *cancel, struct mig_stats *stats, uint64_t now_ns)
{
	memset(p, 0, sizeof(*p));
	p->max_downtime_ms = max_downtime_ms ? max_downtime_ms :
	    PRECOPY_DEFAULT_DOWNTIME_MS;
	p->max_rounds = max_rounds ? max_rounds : PRECOPY_DEFAULT_MAX_ROUNDS;
	p->max_time_ms = max_time_ms;
	p->cancel = cancel;
	p->start_ns = now_ns;
	p->last_ns = now_ns;
	p->last_dirty = -1;
	p->stats = stats;
	stats->nrounds = 0;
	memset(stats->rounds, 0, sizeof(stats->rounds));
}

/*
 * Record the round that ended now: last_dirty pages in (now - last).
 * Returns 1, or 0 when that round sent nothing (nothing to measure).
 */
static int
precopy_record(struct precopy *p, const struct precopy_stats *s,
    uint64_t now_ns)
{
	uint64_t ns = now_ns - p->last_ns, pages;

	if (p->last_dirty <= 0)
		return 0;
	pages = (uint64_t)p->last_dirty;
	if (ns == 0)
		ns = 1;
	p->bandwidth = pages * PRECOPY_PAGE_SIZE * 1000000000u / ns;
	p->dirty_rate = s->dirty_count > 0 ?
	    (uint64_t)s->dirty_count * 1000000000u / ns : 0;
	mig_stats_add_round(p->stats, pages, ns / 1000000u, p->dirty_rate);
	return 1;
}

/*
 * Auto-converge: one more round in which the guest dirtied at least half
 * of what the link carried and the downtime predicted is above the
 * target raises the throttle asked for (precopy.h).  A round that is not
 * so resets the count and keeps the throttle where it is.
 */
static void
precopy_converge(struct precopy *p)
{
	if (p->bandwidth == 0 || (!p->too_dirty &&
	    (p->predicted_ms <= p->max_downtime_ms ||
	    p->dirty_rate * PRECOPY_PAGE_SIZE * 2 < p->bandwidth))) {
		p->high_rounds = 0;
		return;
	}
	if (++p->high_rounds < PRECOPY_THROTTLE_AFTER && p->throttle_pct == 0)
		return;
	if (p->throttle_pct == 0)
		p->throttle_pct = PRECOPY_THROTTLE_FIRST;
	else if (p->throttle_pct + PRECOPY_THROTTLE_STEP <
	    PRECOPY_THROTTLE_MAX)
		p->throttle_pct += PRECOPY_THROTTLE_STEP;
	else
		p->throttle_pct = PRECOPY_THROTTLE_MAX;
	log_debug("precopy: %llu ms of downtime predicted at %llu pages/s "
	    "dirtied: throttle %u%%", (unsigned long long)p->predicted_ms,
	    (unsigned long long)p->dirty_rate, p->throttle_pct);
}

/*
 * libxenguest asks twice a round: before it reads the dirty log
 * (dirty_count -1), then with the pages counted.  The first call cannot
 * judge the round: only a cancel or a limit stops the live phase there,
 * and the round just sent is recorded only then (else at the counted
 * call).
 */
static int
precopy_uncounted(struct precopy *p, const struct precopy_stats *s,
    uint64_t now_ns)
{
	if (p->cancel != NULL && *p->cancel) {
		p->reason = "cancelled";
		return PRECOPY_ABORT;
	}
	if (s->iteration + 1 >= p->max_rounds)
		p->reason = "round limit reached";
	else if (p->max_time_ms > 0 &&
	    (now_ns - p->start_ns) / 1000000u >= p->max_time_ms)
		p->reason = "time limit reached";
	else
		return PRECOPY_CONTINUE;
	log_debug("precopy: stop after round %u: %s (%lld pages dirty at "
	    "the last count, %llu ms predicted)", s->iteration, p->reason,
	    (long long)p->last_dirty, (unsigned long long)p->predicted_ms);
	/* No counted call follows: the round sent since ends here. */
	(void)precopy_record(p, s, now_ns);
	p->last_ns = now_ns;
	p->last_dirty = 0;
	return PRECOPY_STOP_AND_COPY;
}

int
precopy_decide(struct precopy *p, const struct precopy_stats *s,
    uint64_t now_ns)
{
	int64_t dirty = s->dirty_count;
	int decision = PRECOPY_CONTINUE, measured;

	if (dirty < 0)
		return precopy_uncounted(p, s, now_ns);
	measured = precopy_record(p, s, now_ns);
	p->last_ns = now_ns;
	p->last_dirty = dirty;
	p->predicted_ms = 0;
	if (p->bandwidth > 0 && dirty > 0)
		p->predicted_ms = (uint64_t)dirty * PRECOPY_PAGE_SIZE * 1000u /
		    p->bandwidth;

	if (p->cancel != NULL && *p->cancel) {
		p->reason = "cancelled";
		return PRECOPY_ABORT;
	}
	/*
	 * Under the fault point precopy-too-dirty no round is clean enough
	 * to end the live phase: only a cancel or a limit does.
	 */
	if (dirty == 0 && !p->too_dirty) {
		p->reason = "no dirty pages left";
		decision = PRECOPY_STOP_AND_COPY;
	} else if (!p->too_dirty && s->iteration > 0 && p->bandwidth > 0 &&
	    p->predicted_ms <= p->max_downtime_ms) {
		p->reason = "downtime target met";
		decision = PRECOPY_STOP_AND_COPY;
	} else if (s->iteration + 1 >= p->max_rounds) {
		p->reason = "round limit reached";
		decision = PRECOPY_STOP_AND_COPY;
	} else if (p->max_time_ms > 0 &&
	    (now_ns - p->start_ns) / 1000000u >= p->max_time_ms) {
		p->reason = "time limit reached";
		decision = PRECOPY_STOP_AND_COPY;
	}
	/* A round that sent nothing (too_dirty only) moves no throttle. */
	if (decision == PRECOPY_CONTINUE && p->auto_converge && measured)
		precopy_converge(p);
	if (decision == PRECOPY_STOP_AND_COPY)
		log_debug("precopy: stop after round %u: %s (%lld pages "
		    "dirty, %llu ms predicted)", s->iteration, p->reason,
		    (long long)dirty, (unsigned long long)p->predicted_ms);
	return decision;
}

int
precopy_callback(struct precopy_stats stats, void *data)
{
	return precopy_decide(data, &stats, util_now_ns());
}
