/*
 * test_precopy.c - the precopy policy's decisions on scripted rounds.
 */
#include "config.h"

#include <check.h>
#include <signal.h>
#include <stdlib.h>

#include "precopy.h"

#define MS	UINT64_C(1000000)

static struct precopy_stats
st(unsigned it, int64_t dirty)
{
	struct precopy_stats s = { .iteration = it, .dirty_count = dirty };

	return s;
}

START_TEST(test_precopy_first_round_continues)
{
	struct mig_stats ms;
	struct precopy p;

	precopy_init(&p, 0, 0, 0, NULL, &ms, 0);
	ck_assert_int_eq(precopy_decide(&p, &(struct precopy_stats){0, 0,
	    262144}, 0), PRECOPY_CONTINUE);
	ck_assert_uint_eq(ms.nrounds, 0);
}
END_TEST

START_TEST(test_precopy_stops_when_downtime_met)
{
	struct mig_stats ms;
	struct precopy p;
	struct precopy_stats s;

	precopy_init(&p, 300, 0, 0, NULL, &ms, 0);
	s = st(0, 262144);		/* 1 GiB to send */
	ck_assert_int_eq(precopy_decide(&p, &s, 0), PRECOPY_CONTINUE);
	/* 1 GiB took 1000 ms: 1 GiB/s.  100k pages left = 381 ms. */
	s = st(1, 100000);
	ck_assert_int_eq(precopy_decide(&p, &s, 1000 * MS),
	    PRECOPY_CONTINUE);
	ck_assert_uint_eq(p.bandwidth, UINT64_C(262144) * 4096);
	ck_assert_uint_eq(p.predicted_ms, 381);
	ck_assert_uint_eq(ms.nrounds, 1);
	ck_assert_uint_eq(ms.rounds[0].pages, 262144);
	ck_assert_uint_eq(ms.rounds[0].ms, 1000);
	ck_assert_uint_eq(ms.rounds[0].dirty_rate, 100000);
	/* 100k pages in 400 ms: 1 GB/s; 20k pages left: 78 ms. */
	s = st(2, 20000);
	ck_assert_int_eq(precopy_decide(&p, &s, 1400 * MS),
	    PRECOPY_STOP_AND_COPY);
	ck_assert_str_eq(p.reason, "downtime target met");
	ck_assert_uint_eq(ms.nrounds, 2);
	ck_assert_uint_eq(ms.rounds[1].dirty_rate, 50000);
}
END_TEST

START_TEST(test_precopy_round_limit)
{
	struct mig_stats ms;
	struct precopy p;
	struct precopy_stats s;
	unsigned i;
	int d = PRECOPY_CONTINUE;

	/* A guest that dirties faster than the link: never converges. */
	precopy_init(&p, 1, 4, 0, NULL, &ms, 0);
	for (i = 0; i < 10 && d == PRECOPY_CONTINUE; i++) {
		s = st(i, 100000);
		d = precopy_decide(&p, &s, (uint64_t)i * 1000 * MS);
	}
	ck_assert_int_eq(d, PRECOPY_STOP_AND_COPY);
	ck_assert_uint_eq(i, 4);
	ck_assert_str_eq(p.reason, "round limit reached");
}
END_TEST

START_TEST(test_precopy_time_limit)
{
	struct mig_stats ms;
	struct precopy p;
	struct precopy_stats s;

	precopy_init(&p, 1, 100, 5000, NULL, &ms, 0);
	s = st(0, 100000);
	ck_assert_int_eq(precopy_decide(&p, &s, 0), PRECOPY_CONTINUE);
	s = st(1, 100000);
	ck_assert_int_eq(precopy_decide(&p, &s, 4000 * MS), PRECOPY_CONTINUE);
	s = st(2, 100000);
	ck_assert_int_eq(precopy_decide(&p, &s, 5000 * MS),
	    PRECOPY_STOP_AND_COPY);
	ck_assert_str_eq(p.reason, "time limit reached");
}
END_TEST

START_TEST(test_precopy_clean_guest_stops)
{
	struct mig_stats ms;
	struct precopy p;
	struct precopy_stats s;

	precopy_init(&p, 0, 0, 0, NULL, &ms, 0);
	s = st(0, 1000);
	ck_assert_int_eq(precopy_decide(&p, &s, 0), PRECOPY_CONTINUE);
	s = st(1, 0);
	ck_assert_int_eq(precopy_decide(&p, &s, 10 * MS),
	    PRECOPY_STOP_AND_COPY);
	ck_assert_str_eq(p.reason, "no dirty pages left");
}
END_TEST

START_TEST(test_precopy_cancel_aborts)
{
	static volatile sig_atomic_t cancel;
	struct mig_stats ms;
	struct precopy p;
	struct precopy_stats s;

	precopy_init(&p, 0, 0, 0, &cancel, &ms, 0);
	s = st(0, 1000);
	ck_assert_int_eq(precopy_callback(s, &p), PRECOPY_CONTINUE);
	cancel = 1;
	s = st(1, 0);
	ck_assert_int_eq(precopy_callback(s, &p), PRECOPY_ABORT);
	ck_assert_str_eq(p.reason, "cancelled");
}
END_TEST

START_TEST(test_precopy_rounds_capped)
{
	struct mig_stats ms;
	struct precopy p;
	struct precopy_stats s;
	uint64_t sum;
	unsigned i;

	precopy_init(&p, 1, 1000, 0, NULL, &ms, 0);
	for (i = 0; i < MIG_ROUNDS_MAX + 10; i++) {
		s = st(i, 1000);
		precopy_decide(&p, &s, (uint64_t)i * MS * 100);
	}
	ck_assert_uint_eq(ms.nrounds, MIG_ROUNDS_MAX);
	/* Every round after the first sent the 1000 pages dirtied before
	 * it; past the list's end they are summed into its last entry. */
	for (i = 0, sum = 0; i < ms.nrounds; i++)
		sum += ms.rounds[i].pages;
	ck_assert_uint_eq(sum, (MIG_ROUNDS_MAX + 9) * UINT64_C(1000));
	ck_assert_uint_eq(ms.rounds[MIG_ROUNDS_MAX - 1].pages, 10 * 1000);
}
END_TEST

/*
 * Auto-converge, over a link of 1 GiB/s (262144 pages a second): each
 * call reports "dirty" pages and the next round takes as long as they
 * take to send.  A 1 GiB working set dirtied whole every round predicts
 * 1000 ms of downtime and never converges.
 */
#define LINK_PAGES	UINT64_C(262144)

static unsigned
converge_rounds(struct precopy *p, unsigned from, unsigned n,
    int64_t dirty, uint64_t *now)
{
	struct precopy_stats s;
	unsigned i;

	for (i = from; i < from + n; i++) {
		s = st(i, dirty);
		ck_assert_int_eq(precopy_decide(p, &s, *now),
		    PRECOPY_CONTINUE);
		*now += (uint64_t)dirty * 1000 * MS / LINK_PAGES;
	}
	return p->throttle_pct;
}

START_TEST(test_precopy_converge_steps_up)
{
	struct mig_stats ms;
	struct precopy p;
	uint64_t now = 0;

	precopy_init(&p, 300, 1000, 0, NULL, &ms, 0);
	p.auto_converge = 1;
	/* Round 0 has no rate yet; round 1 is the first too dirty one. */
	ck_assert_uint_eq(converge_rounds(&p, 0, 2, 262144, &now), 0);
	ck_assert_uint_eq(converge_rounds(&p, 2, 1, 262144, &now),
	    PRECOPY_THROTTLE_FIRST);
	ck_assert_uint_eq(converge_rounds(&p, 3, 1, 262144, &now),
	    PRECOPY_THROTTLE_FIRST + PRECOPY_THROTTLE_STEP);
	ck_assert_uint_eq(converge_rounds(&p, 4, 20, 262144, &now),
	    PRECOPY_THROTTLE_MAX);
}
END_TEST

START_TEST(test_precopy_converge_off)
{
	struct mig_stats ms;
	struct precopy p;
	uint64_t now = 0;

	/* Off unless asked for: precopy_init() leaves it off. */
	precopy_init(&p, 300, 1000, 0, NULL, &ms, 0);
	ck_assert_uint_eq(converge_rounds(&p, 0, 10, 262144, &now), 0);
}
END_TEST

START_TEST(test_precopy_converge_slow_dirtier)
{
	struct mig_stats ms;
	struct precopy p;
	struct precopy_stats s;
	uint64_t now = 0, dirty = LINK_PAGES, rate = LINK_PAGES * 2 / 5;
	unsigned i;
	int d = PRECOPY_CONTINUE;

	/*
	 * A guest that dirties 40% of what the link carries, against a
	 * tight target: it converges on its own and is never throttled.
	 */
	precopy_init(&p, 5, 1000, 0, NULL, &ms, 0);
	p.auto_converge = 1;
	for (i = 0; d == PRECOPY_CONTINUE; i++) {
		s = st(i, (int64_t)dirty);
		d = precopy_decide(&p, &s, now);
		ck_assert_uint_eq(p.throttle_pct, 0);
		now += dirty * 1000 * MS / LINK_PAGES;
		dirty = dirty * rate / LINK_PAGES;
	}
	ck_assert_str_eq(p.reason, "downtime target met");
	ck_assert_uint_gt(i, 3);
}
END_TEST

START_TEST(test_precopy_uncounted_call)
{
	struct mig_stats ms;
	struct precopy p;
	struct precopy_stats s;

	/*
	 * libxenguest's two calls a round: the first (dirty_count -1,
	 * before the dirty log is read) neither stops a guest that is far
	 * from converging nor counts as a round.
	 */
	precopy_init(&p, 300, 0, 0, NULL, &ms, 0);
	s = st(0, 262144);
	ck_assert_int_eq(precopy_decide(&p, &s, 0), PRECOPY_CONTINUE);
	s = st(1, -1);
	ck_assert_int_eq(precopy_decide(&p, &s, 1000 * MS),
	    PRECOPY_CONTINUE);
	ck_assert_uint_eq(ms.nrounds, 0);
	/* The counted call measures round 0 from its start. */
	s = st(1, 200000);
	ck_assert_int_eq(precopy_decide(&p, &s, 1001 * MS),
	    PRECOPY_CONTINUE);
	ck_assert_uint_eq(ms.nrounds, 1);
	ck_assert_uint_eq(ms.rounds[0].pages, 262144);
	ck_assert_uint_eq(ms.rounds[0].ms, 1001);
	ck_assert_uint_gt(p.predicted_ms, 300);
	/* A limit still stops it there, and the round sent is recorded. */
	precopy_init(&p, 300, 2, 0, NULL, &ms, 0);
	s = st(0, 262144);
	ck_assert_int_eq(precopy_decide(&p, &s, 0), PRECOPY_CONTINUE);
	s = st(1, -1);
	ck_assert_int_eq(precopy_decide(&p, &s, 1000 * MS),
	    PRECOPY_STOP_AND_COPY);
	ck_assert_str_eq(p.reason, "round limit reached");
	ck_assert_uint_eq(ms.nrounds, 1);
	ck_assert_uint_eq(ms.rounds[0].pages, 262144);
}
END_TEST

START_TEST(test_precopy_converge_too_dirty)
{
	struct mig_stats ms;
	struct precopy p;
	uint64_t now = 0;

	/* The test switch: a guest that dirties nothing is throttled. */
	precopy_init(&p, 1, 1000, 0, NULL, &ms, 0);
	p.auto_converge = 1;
	p.too_dirty = 1;
	ck_assert_uint_eq(converge_rounds(&p, 0, 3, 1000, &now),
	    PRECOPY_THROTTLE_FIRST);
}
END_TEST

/*
 * The test switch keeps the live phase going through rounds that would
 * end it (no dirty pages; within the downtime target) as libxenguest
 * asks (an uncounted call, then the counted one); rounds that sent
 * nothing move no throttle; a limit or a cancel still ends it.
 */
START_TEST(test_precopy_too_dirty_keeps_live)
{
	struct mig_stats ms;
	struct precopy p;
	struct precopy_stats s;
	volatile sig_atomic_t cancel = 0;
	unsigned i;
	const int64_t dirty[] = { 262144, 0, 0, 1, 5, 5 };
	const unsigned pct[] = { 0, 0, 0, 0, PRECOPY_THROTTLE_FIRST,
	    PRECOPY_THROTTLE_FIRST + PRECOPY_THROTTLE_STEP };

	precopy_init(&p, 1, 7, 0, &cancel, &ms, 0);
	p.auto_converge = 1;
	p.too_dirty = 1;
	for (i = 0; i < 6; i++) {
		if (i > 0) {
			s = st(i, -1);
			ck_assert_int_eq(precopy_decide(&p, &s, i * 1000 * MS),
			    PRECOPY_CONTINUE);
		}
		s = st(i, dirty[i]);
		ck_assert_int_eq(precopy_decide(&p, &s, i * 1000 * MS),
		    PRECOPY_CONTINUE);
		ck_assert_uint_eq(p.throttle_pct, pct[i]);
	}
	/* Three rounds measured: 0, 3 and 4 (1 and 2 sent nothing). */
	ck_assert_uint_eq(ms.nrounds, 3);
	s = st(6, -1);
	ck_assert_int_eq(precopy_decide(&p, &s, 6000 * MS),
	    PRECOPY_STOP_AND_COPY);
	ck_assert_str_eq(p.reason, "round limit reached");

	precopy_init(&p, 1, 100, 0, &cancel, &ms, 0);
	p.too_dirty = 1;
	s = st(0, 262144);
	ck_assert_int_eq(precopy_decide(&p, &s, 0), PRECOPY_CONTINUE);
	cancel = 1;
	s = st(1, 0);
	ck_assert_int_eq(precopy_decide(&p, &s, 1000 * MS), PRECOPY_ABORT);
	ck_assert_str_eq(p.reason, "cancelled");
}
END_TEST

START_TEST(test_precopy_converge_holds)
{
	struct mig_stats ms;
	struct precopy p;
	uint64_t now = 0;

	precopy_init(&p, 300, 1000, 0, NULL, &ms, 0);
	p.auto_converge = 1;
	ck_assert_uint_eq(converge_rounds(&p, 0, 3, 262144, &now),
	    PRECOPY_THROTTLE_FIRST);
	/*
	 * A round in which the guest dirtied 38% of what the link carried,
	 * still above the target: the throttle stays, the count restarts.
	 */
	ck_assert_uint_eq(converge_rounds(&p, 3, 1, 100000, &now),
	    PRECOPY_THROTTLE_FIRST);
	ck_assert_uint_eq(p.high_rounds, 0);
	ck_assert_uint_gt(p.predicted_ms, 300);
}
END_TEST

static Suite *
precopy_suite(void)
{
	Suite *s = suite_create("precopy");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_precopy_first_round_continues);
	tcase_add_test(tc, test_precopy_stops_when_downtime_met);
	tcase_add_test(tc, test_precopy_round_limit);
	tcase_add_test(tc, test_precopy_time_limit);
	tcase_add_test(tc, test_precopy_clean_guest_stops);
	tcase_add_test(tc, test_precopy_cancel_aborts);
	tcase_add_test(tc, test_precopy_rounds_capped);
	tcase_add_test(tc, test_precopy_converge_steps_up);
	tcase_add_test(tc, test_precopy_converge_off);
	tcase_add_test(tc, test_precopy_converge_slow_dirtier);
	tcase_add_test(tc, test_precopy_converge_holds);
	tcase_add_test(tc, test_precopy_converge_too_dirty);
	tcase_add_test(tc, test_precopy_too_dirty_keeps_live);
	tcase_add_test(tc, test_precopy_uncounted_call);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(precopy_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
