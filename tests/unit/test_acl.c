/*
 * test_acl.c - hosts-allow matching: anchoring, empty pieces, bad
 * expressions, address formatting.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "log.h"

START_TEST(test_acl_match_is_anchored)
{
	struct acl *acl;

	ck_assert_int_eq(acl_new("10\\.0\\.0\\.1 host[ab]\\.example\\.org",
	    &acl), 0);
	ck_assert_uint_eq(acl_count(acl), 2);
	ck_assert_int_eq(acl_match(acl, "10.0.0.1"), 1);
	/* xend matched these unanchored and let them in. */
	ck_assert_int_eq(acl_match(acl, "110.0.0.1"), 0);
	ck_assert_int_eq(acl_match(acl, "10.0.0.12"), 0);
	ck_assert_int_eq(acl_match(acl, "hosta.example.org"), 1);
	ck_assert_int_eq(acl_match(acl, "HOSTB.Example.ORG"), 1);
	ck_assert_int_eq(acl_match(acl, "hostc.example.org"), 0);
	ck_assert_int_eq(acl_match(acl, "evil-hosta.example.org"), 0);
	ck_assert_int_eq(acl_match(acl, ""), 0);
	ck_assert_int_eq(acl_match(acl, NULL), 0);
	acl_free(acl);
}
END_TEST

START_TEST(test_acl_alternation_stays_anchored)
{
	struct acl *acl;

	/* Without the group, "^alpha|beta$" would match "alphabet". */
	ck_assert_int_eq(acl_new("alpha|beta", &acl), 0);
	ck_assert_int_eq(acl_match(acl, "beta"), 1);
	ck_assert_int_eq(acl_match(acl, "alphabet"), 0);
	ck_assert_int_eq(acl_match(acl, "xbeta"), 0);
	acl_free(acl);
}
END_TEST

START_TEST(test_acl_empty_pieces_ignored)
{
	struct acl *acl;

	ck_assert_int_eq(acl_new("   a  \t b   ", &acl), 0);
	ck_assert_uint_eq(acl_count(acl), 2);
	ck_assert_int_eq(acl_match(acl, "b"), 1);
	acl_free(acl);
	ck_assert_int_eq(acl_new("", &acl), 0);
	ck_assert_uint_eq(acl_count(acl), 0);
	ck_assert_int_eq(acl_match(acl, "127.0.0.1"), 0);
	acl_free(acl);
}
END_TEST

START_TEST(test_acl_bad_expression_refused)
{
	struct acl *acl = NULL;

	log_init("test", 1, LOG_LVL_ERR);
	ck_assert_int_eq(acl_new("good bad[ more", &acl), -EINVAL);
	ck_assert_ptr_null(acl);
	acl_free(NULL);
}
END_TEST

/*
 * regcomp copies a repeated expression once per repetition: stacked and
 * nested repetitions are refused before they cost gigabytes; ordinary
 * host patterns with repetitions still compile and match.
 */
START_TEST(test_acl_runaway_repetition_refused)
{
	static const char *const bad[] = {
		"a++++++++++++++++++++++++++++++++++++++++",
		"(a{255}){255}",
		"((((a*)*)*)*){1000}",
		"x{60000}",
		"1*********0",
		"a**",
		"a+{2}",
		"((((a*)*)*)*)*",
		"((((((((((((((((((((((((((((((((((a))))))))))))))))))))))))))))))))))",
	};
	static const char *const good[] = {
		"10\\.0\\.[0-9]{1,3}\\.[0-9]{1,3}",
		"host[0-9]+\\.example\\.com",
		"(web|db)[0-9]*\\.lan",
		"[]a{}]+x{2}",
		"(a*)*b+c?",
	};
	struct acl *acl;
	size_t i;

	log_init("test", 1, LOG_LVL_ERR);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		acl = NULL;
		ck_assert_msg(acl_new(bad[i], &acl) == -EINVAL, "%s", bad[i]);
		ck_assert_ptr_null(acl);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		acl = NULL;
		ck_assert_msg(acl_new(good[i], &acl) == 0, "%s", good[i]);
		acl_free(acl);
	}
	ck_assert_int_eq(acl_new(good[0], &acl), 0);
	ck_assert_int_eq(acl_match(acl, "10.0.12.3"), 1);
	ck_assert_int_eq(acl_match(acl, "10.0.1234.3"), 0);
	acl_free(acl);
}
END_TEST

START_TEST(test_acl_addr_string_forms)
{
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	char buf[64];

	inet_pton(AF_INET, "127.0.0.2", &s4.sin_addr);
	ck_assert_str_eq(acl_addr_string((struct sockaddr *)&s4, sizeof(s4),
	    buf, sizeof(buf)), "127.0.0.2");
	inet_pton(AF_INET6, "::ffff:127.0.0.3", &s6.sin6_addr);
	ck_assert_str_eq(acl_addr_string((struct sockaddr *)&s6, sizeof(s6),
	    buf, sizeof(buf)), "127.0.0.3");
	inet_pton(AF_INET6, "::1", &s6.sin6_addr);
	ck_assert_str_eq(acl_addr_string((struct sockaddr *)&s6, sizeof(s6),
	    buf, sizeof(buf)), "::1");
	/* A short length is not read past. */
	ck_assert_str_eq(acl_addr_string((struct sockaddr *)&s6, 8, buf,
	    sizeof(buf)), "?");
}
END_TEST

static Suite *
acl_suite(void)
{
	Suite *s = suite_create("acl");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_acl_match_is_anchored);
	tcase_add_test(tc, test_acl_alternation_stays_anchored);
	tcase_add_test(tc, test_acl_empty_pieces_ignored);
	tcase_add_test(tc, test_acl_bad_expression_refused);
	tcase_add_test(tc, test_acl_runaway_repetition_refused);
	tcase_add_test(tc, test_acl_addr_string_forms);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(acl_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
