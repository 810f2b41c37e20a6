/*
 * test_log.c - levels, prefixes and the errno suffix of the log helpers.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* Run fn with stderr redirected to a buffer; returns what it printed. */
static char captured[4096];

static void
capture(void (*fn)(void))
{
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);
	size_t n;

	ck_assert_ptr_nonnull(tmp);
	fflush(stderr);
	dup2(fileno(tmp), STDERR_FILENO);
	fn();
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(captured, 1, sizeof(captured) - 1, tmp);
	captured[n] = '\0';
	fclose(tmp);
}

static void
emit_levels(void)
{
	log_init("xmig-test", 1, LOG_LVL_INFO);
	log_debug("hidden %d", 1);
	log_info("shown %d", 2);
	log_warnx("warned %s", "x");
}

START_TEST(test_log_level_filters)
{
	capture(emit_levels);
	ck_assert_ptr_null(strstr(captured, "hidden"));
	ck_assert_ptr_nonnull(strstr(captured, "xmig-test: shown 2\n"));
	ck_assert_ptr_nonnull(strstr(captured, "xmig-test: warned x\n"));
}
END_TEST

static void
emit_errno(void)
{
	log_init("/usr/sbin/xmigd", 1, LOG_LVL_DEBUG);
	log_setprefix("job 7");
	errno = ENOENT;
	log_warn("open %s", "/nope");
	log_setprefix(NULL);
	log_debug("plain");
}

START_TEST(test_log_warn_appends_strerror)
{
	capture(emit_errno);
	ck_assert_str_eq(captured,
	    "xmigd: job 7: open /nope: No such file or directory\n"
	    "xmigd: plain\n");
}
END_TEST

START_TEST(test_log_parse_level_names)
{
	enum log_level l = LOG_LVL_ERR;

	ck_assert_int_eq(log_parse_level("debug", &l), 0);
	ck_assert_int_eq(l, LOG_LVL_DEBUG);
	ck_assert_int_eq(log_parse_level("warning", &l), 0);
	ck_assert_int_eq(l, LOG_LVL_WARN);
	ck_assert_int_eq(log_parse_level("loud", &l), -EINVAL);
	ck_assert_int_eq(l, LOG_LVL_WARN);
}
END_TEST

static void
emit_fatal(void)
{
	log_init("xmig", 1, LOG_LVL_INFO);
	fatalx("broken invariant %d", 3);
}

START_TEST(test_log_fatalx_exits)
{
	emit_fatal();
}
END_TEST

static Suite *
log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_log_level_filters);
	tcase_add_test(tc, test_log_warn_appends_strerror);
	tcase_add_test(tc, test_log_parse_level_names);
	tcase_add_exit_test(tc, test_log_fatalx_exits, 1);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(log_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
