/*
 * test_reserve.c - xmigd's reservation accounting (daemon/reserve.c).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"
#include "xmigd.h"

static struct reserve_req
req(const char *name, uint64_t memkb, unsigned vcpus)
{
	struct reserve_req r = { .name = name, .memkb = memkb,
	    .vcpus = vcpus };

	return r;
}

START_TEST(test_reserve_concurrent_requests_are_accounted)
{
	struct reserve_host h = { .free_bytes = 1 * GiB };
	struct reserve_table t;
	struct reserve_req a = req("a", 600 * 1024, 1), b = req("b",
	    600 * 1024, 1);
	struct reservation *ra, *rb;
	char why[256];

	reserve_init(&t);
	ck_assert_int_eq(reserve_admit(&t, &a, &h, 4, &ra, why, sizeof(why)),
	    0);
	ck_assert_str_eq(ra->incoming, "a--incoming");
	ck_assert_uint_eq(reserve_held(&t), 600 * MiB);
	/* Each fits alone; not both: "busy" while a's is held. */
	ck_assert_int_eq(reserve_admit(&t, &b, &h, 4, &rb, why, sizeof(why)),
	    -EAGAIN);
	ck_assert_ptr_nonnull(strstr(why, "not enough memory for b"));
	ck_assert_ptr_nonnull(strstr(why, "try later"));
	ck_assert_uint_eq(t.count, 1);
	reserve_release(&t, ra);
	ck_assert_uint_eq(reserve_held(&t), 0);
	ck_assert_int_eq(reserve_admit(&t, &b, &h, 4, &rb, why, sizeof(why)),
	    0);
	ck_assert_uint_ne(rb->id, 0);
	ck_assert_ptr_eq(reserve_find(&t, rb->id), rb);
	reserve_clear(&t);
	ck_assert_uint_eq(t.count, 0);
}
END_TEST

START_TEST(test_reserve_exact_fit_and_one_byte_over)
{
	struct reserve_host h = { .free_bytes = 512 * MiB };
	struct reserve_table t;
	struct reserve_req a = req("a", 512 * 1024, 1), b = req("b", 1, 1);
	struct reservation *r;
	char why[256];

	reserve_init(&t);
	ck_assert_int_eq(reserve_admit(&t, &a, &h, 4, &r, why, sizeof(why)),
	    0);
	ck_assert_int_eq(reserve_admit(&t, &b, &h, 4, &r, why, sizeof(why)),
	    -EAGAIN);
	reserve_clear(&t);
	/* Over what is free with nothing held: waiting cannot help. */
	h.free_bytes = 512 * MiB - 1;
	ck_assert_int_eq(reserve_admit(&t, &a, &h, 4, &r, why, sizeof(why)),
	    -ENOSPC);
	ck_assert_ptr_null(strstr(why, "try later"));
}
END_TEST

START_TEST(test_reserve_name_and_uuid_clashes)
{
	struct reserve_host h = { .free_bytes = 8 * GiB };
	struct reserve_table t;
	uint8_t u1[16] = { 1 }, u2[16] = { 2 };
	struct reserve_req a = req("web", 1024, 1), b = req("web", 1024, 1),
	    c = req("other", 1024, 1);
	struct reservation *r;
	char why[256];

	reserve_init(&t);
	a.uuid = u1;
	ck_assert_int_eq(reserve_admit(&t, &a, &h, 4, &r, why, sizeof(why)),
	    0);
	/* Same name arriving. */
	b.uuid = u2;
	ck_assert_int_eq(reserve_admit(&t, &b, &h, 4, &r, why, sizeof(why)),
	    -EEXIST);
	ck_assert_ptr_nonnull(strstr(why, "already arriving"));
	/* Same uuid under another name. */
	c.uuid = u1;
	ck_assert_int_eq(reserve_admit(&t, &c, &h, 4, &r, why, sizeof(why)),
	    -EEXIST);
	/* A name that exists on the host. */
	h.name_taken = 1;
	c.uuid = NULL;
	ck_assert_int_eq(reserve_admit(&t, &c, &h, 4, &r, why, sizeof(why)),
	    -EEXIST);
	ck_assert_ptr_nonnull(strstr(why, "already exists"));
	h.name_taken = 0;
	h.uuid_taken = 1;
	ck_assert_int_eq(reserve_admit(&t, &c, &h, 4, &r, why, sizeof(why)),
	    -EEXIST);
	ck_assert_uint_eq(t.count, 1);
	reserve_clear(&t);
}
END_TEST

START_TEST(test_reserve_limits_and_bad_requests)
{
	struct reserve_host h = { .free_bytes = 8 * GiB };
	struct reserve_table t;
	struct reserve_req r;
	struct reservation *res;
	char why[256], longname[80];

	reserve_init(&t);
	r = req("v", 1024, 0);
	ck_assert_int_eq(reserve_admit(&t, &r, &h, 4, &res, why, sizeof(why)),
	    -EINVAL);
	r = req("v", 1024, XMIGD_VCPUS_MAX + 1);
	ck_assert_int_eq(reserve_admit(&t, &r, &h, 4, &res, why, sizeof(why)),
	    -EINVAL);
	r = req("v", 0, 1);
	ck_assert_int_eq(reserve_admit(&t, &r, &h, 4, &res, why, sizeof(why)),
	    -EINVAL);
	r = req("v", UINT64_MAX / 512, 1);	/* *1024 would overflow */
	ck_assert_int_eq(reserve_admit(&t, &r, &h, 4, &res, why, sizeof(why)),
	    -EINVAL);
	r = req("a/b", 1024, 1);
	ck_assert_int_eq(reserve_admit(&t, &r, &h, 4, &res, why, sizeof(why)),
	    -EINVAL);
	r = req("", 1024, 1);
	ck_assert_int_eq(reserve_admit(&t, &r, &h, 4, &res, why, sizeof(why)),
	    -EINVAL);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	r = req(longname, 1024, 1);
	ck_assert_int_eq(reserve_admit(&t, &r, &h, 4, &res, why, sizeof(why)),
	    -EINVAL);
	/* max-incoming. */
	r = req("one", 1024, 1);
	ck_assert_int_eq(reserve_admit(&t, &r, &h, 1, &res, why, sizeof(why)),
	    0);
	r = req("two", 1024, 1);
	ck_assert_int_eq(reserve_admit(&t, &r, &h, 1, &res, why, sizeof(why)),
	    -EBUSY);
	ck_assert_ptr_nonnull(strstr(why, "max-incoming"));
	ck_assert_uint_eq(t.count, 1);
	reserve_clear(&t);
}
END_TEST

static Suite *
reserve_suite(void)
{
	Suite *s = suite_create("reserve");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_reserve_concurrent_requests_are_accounted);
	tcase_add_test(tc, test_reserve_exact_fit_and_one_byte_over);
	tcase_add_test(tc, test_reserve_name_and_uuid_clashes);
	tcase_add_test(tc, test_reserve_limits_and_bad_requests);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(reserve_suite());
	int failed;

	log_init("test_reserve", 1, LOG_LVL_ERR);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
