/*
 * test_fault.c - fault points: armed by whole name only, with or without
 * an action; "kill" and "killd" end processes with SIGKILL (no clean-up
 * runs), "cut" shuts a connection down and returns, and an unarmed point
 * does nothing.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "fault.h"
#include "log.h"

static void
setup(const char *armed)
{
	log_init("test", 1, LOG_LVL_ERR);
	if (armed != NULL)
		setenv("XMIG_FAULT", armed, 1);
	else
		unsetenv("XMIG_FAULT");
}

START_TEST(test_fault_armed_by_whole_name)
{
	setup(NULL);
	ck_assert_int_eq(fault_armed("src-after-go"), 0);
	setup("src-after-go-x,xsrc-after-go,dst-after-go:cut");
	ck_assert_int_eq(fault_armed("src-after-go"), 0);
	ck_assert_int_eq(fault_armed("dst-after-go"), 1);
	ck_assert_int_eq(fault_armed("dst-after"), 0);
	setup("a,b:kill,c");
	ck_assert_int_eq(fault_armed("a"), 1);
	ck_assert_int_eq(fault_armed("b"), 1);
	ck_assert_int_eq(fault_armed("c"), 1);
	ck_assert_int_eq(fault_armed("kill"), 0);
}
END_TEST

/* Run fault_point(name) in a child; its wait status. */
static int
child_status(const char *name)
{
	int status;
	pid_t pid;

	if ((pid = fork()) == 0) {
		fault_point(name, -1);
		_exit(7);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return status;
}

START_TEST(test_fault_point_kill)
{
	int st;

	setup("p,q:kill,r:sleep=1,s:cut");
	st = child_status("p");
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	st = child_status("q");
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	/* Not armed, a sleep, a cut with no connection: it returns. */
	st = child_status("t");
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 7);
	st = child_status("r");
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 7);
	st = child_status("s");
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 7);
}
END_TEST

START_TEST(test_fault_point_killd_kills_the_parent)
{
	int st;
	pid_t pid;

	setup("w:killd");
	if ((pid = fork()) == 0) {
		/* The "daemon": its "worker" kills it and itself. */
		if (fork() == 0) {
			fault_point("w", -1);
			_exit(0);
		}
		for (;;)
			pause();
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
}
END_TEST

START_TEST(test_fault_point_cut)
{
	char c;
	int sv[2];

	setup("c:cut");
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	fault_point("c", sv[0]);
	/* The peer sees the end, and this side can no longer read. */
	ck_assert_int_eq(read(sv[1], &c, 1), 0);
	ck_assert_int_eq(read(sv[0], &c, 1), 0);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("fault");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_fault_armed_by_whole_name);
	tcase_add_test(tc, test_fault_point_kill);
	tcase_add_test(tc, test_fault_point_killd_kills_the_parent);
	tcase_add_test(tc, test_fault_point_cut);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
