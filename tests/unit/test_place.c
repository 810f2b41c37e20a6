/*
 * test_place.c - placement of evacuated guests (cli/place.c).
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "place.h"

#define MiB	(UINT64_C(1) << 20)

static struct place_host
host(uint64_t room_mib)
{
	struct place_host h = { .room = room_mib * MiB, .usable = 1 };

	return h;
}

static void
guests(struct place_guest *g, const unsigned *mib, size_t n)
{
	size_t i;

	memset(g, 0, n * sizeof(*g));
	for (i = 0; i < n; i++) {
		g[i].bytes = mib[i] * MiB;
		g[i].id = i;
	}
}

/* Where guest "id" went after sorting. */
static int
where(const struct place_guest *g, size_t n, size_t id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (g[i].id == id)
			return g[i].host;
	ck_abort_msg("no guest %zu", id);
	return -2;
}

/* Largest first onto the host with most room left; the rest nowhere. */
START_TEST(test_place_largest_first_most_room)
{
	static const unsigned mib[] = { 32, 192, 96, 64, 128, 16, 96, 64,
	    48, 48, 32, 16 };
	struct place_host h[2] = { host(512), host(256) };
	struct place_guest g[12];
	size_t left, i;

	guests(g, mib, 12);
	left = place_plan(h, 2, g, 12);
	for (i = 1; i < 12; i++)
		ck_assert_uint_ge(g[i - 1].bytes, g[i].bytes);
	/* 192 A(320 left), 128 A(192), 96 B(160), 96 A(96), 64 B(96),
	 * 64 A(32: the tie goes to the first), 48 B(48), 48 B(0), 32 A(0);
	 * 32, 16, 16 fit nowhere. */
	ck_assert_int_eq(where(g, 12, 1), 0);
	ck_assert_int_eq(where(g, 12, 4), 0);
	ck_assert_int_eq(where(g, 12, 2), 1);
	ck_assert_int_eq(where(g, 12, 6), 0);
	ck_assert_uint_eq(left, 3);
	ck_assert_uint_eq(h[0].planned, 512 * MiB);
	ck_assert_uint_eq(h[1].planned, 256 * MiB);
	ck_assert_uint_eq(h[0].nplanned + h[1].nplanned, 9);
	for (i = 0; i < 12; i++)
		if (g[i].host < 0)
			ck_assert_uint_le(g[i].bytes, 32 * MiB);
}
END_TEST

/* Never more than a host's room; a host too small for a guest is skipped. */
START_TEST(test_place_never_over_room)
{
	static const unsigned mib[] = { 100, 100, 100, 60, 40, 7, 3 };
	struct place_host h[3] = { host(99), host(150), host(210) };
	struct place_guest g[7];
	uint64_t sum[3] = { 0, 0, 0 };
	size_t i;

	guests(g, mib, 7);
	place_plan(h, 3, g, 7);
	for (i = 0; i < 7; i++)
		if (g[i].host >= 0)
			sum[g[i].host] += g[i].bytes;
	for (i = 0; i < 3; i++) {
		ck_assert_uint_le(sum[i], h[i].room);
		ck_assert_uint_eq(sum[i], h[i].planned);
	}
	ck_assert_int_ne(where(g, 7, 0), 0);
	ck_assert_int_ne(where(g, 7, 1), 0);
	ck_assert_int_ne(where(g, 7, 2), 0);
}
END_TEST

/* Exact fit places; one byte over does not. */
START_TEST(test_place_exact_fit)
{
	struct place_host h = host(64);
	struct place_guest g = { .bytes = 64 * MiB };

	ck_assert_int_eq(place_one(&h, 1, &g), 0);
	g.bytes = 1;
	ck_assert_int_eq(place_one(&h, 1, &g), -1);
	ck_assert_uint_eq(h.nplanned, 1);
}
END_TEST

/* Unusable hosts, and hosts that refused the guest, are passed over. */
START_TEST(test_place_refused_and_unusable)
{
	struct place_host h[3] = { host(1000), host(500), host(400) };
	struct place_guest g = { .bytes = 100 * MiB };

	h[0].usable = 0;
	ck_assert_int_eq(place_one(h, 3, &g), 1);
	/* The reservation there says no: placed elsewhere. */
	place_remove(h, &g);
	ck_assert_uint_eq(h[1].planned, 0);
	ck_assert_uint_eq(h[1].nplanned, 0);
	ck_assert_int_eq(g.host, -1);
	g.refused |= 1u << 1;
	ck_assert_int_eq(place_one(h, 3, &g), 2);
	place_remove(h, &g);
	g.refused |= 1u << 2;
	ck_assert_int_eq(place_one(h, 3, &g), -1);
	place_remove(h, &g);	/* placed nowhere: nothing to take off */
	ck_assert_uint_eq(h[2].planned, 0);
}
END_TEST

/* Nothing to place, or nowhere to place it. */
START_TEST(test_place_empty)
{
	static const unsigned mib[] = { 1, 2 };
	struct place_host h = host(0);
	struct place_guest g[2];

	ck_assert_uint_eq(place_plan(&h, 1, NULL, 0), 0);
	guests(g, mib, 2);
	ck_assert_uint_eq(place_plan(NULL, 0, g, 2), 2);
	ck_assert_uint_eq(place_plan(&h, 1, g, 2), 2);
}
END_TEST

/* Equal sizes keep the caller's order. */
START_TEST(test_place_stable_ties)
{
	static const unsigned mib[] = { 8, 8, 8, 8 };
	struct place_host h[2] = { host(16), host(16) };
	struct place_guest g[4];

	guests(g, mib, 4);
	place_plan(h, 2, g, 4);
	ck_assert_uint_eq(g[0].id, 0);
	ck_assert_uint_eq(g[3].id, 3);
	ck_assert_int_eq(g[0].host, 0);
	ck_assert_int_eq(g[1].host, 1);
	ck_assert_int_eq(g[2].host, 0);
	ck_assert_int_eq(g[3].host, 1);
}
END_TEST

static Suite *
place_suite(void)
{
	Suite *s = suite_create("place");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_place_largest_first_most_room);
	tcase_add_test(tc, test_place_never_over_room);
	tcase_add_test(tc, test_place_exact_fit);
	tcase_add_test(tc, test_place_refused_and_unusable);
	tcase_add_test(tc, test_place_empty);
	tcase_add_test(tc, test_place_stable_ties);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(place_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
