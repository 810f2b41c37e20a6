/*
 * test_joblock.c - per-domain job locks: exclusion, the holder named in
 * the refusal, and no stale lock after a holder dies.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "joblock.h"
#include "log.h"

static char dir[] = "/tmp/xmig-test-lock-XXXXXX";

static void
setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	log_init("test", 1, LOG_LVL_ERR);
}

START_TEST(test_joblock_excludes_and_names_holder)
{
	struct joblock a, b;
	char busy[256];

	setup();
	ck_assert_int_eq(joblock_take(&a, dir, "uuid-1", "migrate web1 to "
	    "hostb", busy, sizeof(busy)), 0);
	ck_assert_int_eq(joblock_check(dir, "uuid-1", busy, sizeof(busy)),
	    -EBUSY);
	ck_assert_ptr_nonnull(strstr(busy, "migrate web1 to hostb (pid "));
	ck_assert_int_eq(joblock_take(&b, dir, "uuid-1", "save web1", busy,
	    sizeof(busy)), -EBUSY);
	ck_assert_ptr_nonnull(strstr(busy, "migrate web1 to hostb"));
	/* Another domain is independent. */
	ck_assert_int_eq(joblock_take(&b, dir, "uuid-2", "save web2", busy,
	    sizeof(busy)), 0);
	joblock_release(&a);
	joblock_release(&a);	/* idempotent */
	ck_assert_int_eq(joblock_check(dir, "uuid-1", busy, sizeof(busy)),
	    0);
	ck_assert_int_eq(joblock_take(&a, dir, "uuid-1", "save web1", busy,
	    sizeof(busy)), 0);
	joblock_release(&a);
	joblock_release(&b);
}
END_TEST

START_TEST(test_joblock_crashed_holder_leaves_no_lock)
{
	struct joblock l;
	char busy[256];
	int p[2], status;
	pid_t pid;
	char c;

	setup();
	ck_assert_int_eq(pipe(p), 0);
	if ((pid = fork()) == 0) {
		if (joblock_take(&l, dir, "uuid-3", "migrate x", busy,
		    sizeof(busy)) != 0)
			_exit(1);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		pause();	/* killed below, never releases */
		_exit(0);
	}
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	ck_assert_int_eq(joblock_take(&l, dir, "uuid-3", "save x", busy,
	    sizeof(busy)), -EBUSY);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	ck_assert_int_eq(joblock_take(&l, dir, "uuid-3", "save x", busy,
	    sizeof(busy)), 0);
	joblock_release(&l);
}
END_TEST

START_TEST(test_joblock_creates_parents)
{
	struct joblock l;
	char deep[256], busy[64];

	setup();
	snprintf(deep, sizeof(deep), "%s/var/lib/xmig", dir);
	ck_assert_int_eq(joblock_take(&l, deep, "uuid-4", "save x", busy,
	    sizeof(busy)), 0);
	joblock_release(&l);
}
END_TEST

START_TEST(test_joblock_bad_keys)
{
	struct joblock l;
	char busy[64];

	setup();
	ck_assert_int_eq(joblock_take(&l, dir, "../etc", "x", busy,
	    sizeof(busy)), -EINVAL);
	ck_assert_int_eq(joblock_take(&l, dir, "", "x", busy, sizeof(busy)),
	    -EINVAL);
}
END_TEST

static Suite *
joblock_suite(void)
{
	Suite *s = suite_create("joblock");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_joblock_excludes_and_names_holder);
	tcase_add_test(tc, test_joblock_crashed_holder_leaves_no_lock);
	tcase_add_test(tc, test_joblock_creates_parents);
	tcase_add_test(tc, test_joblock_bad_keys);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(joblock_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
