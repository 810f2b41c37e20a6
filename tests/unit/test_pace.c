/*
 * test_pace.c - the bandwidth cap and its relay thread.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pace.h"
#include "util.h"

/* 1 MiB of a pattern written through a relay capped at 4 MiB/s arrives
 * intact, and not before the cap allows (a lower bound: load can only
 * make it later). */
START_TEST(test_pace_relay_copies_at_the_cap)
{
	const size_t len = 1024 * 1024;
	char path[] = "/tmp/xmig-test-pace-XXXXXX";
	struct pace_relay *r;
	uint8_t *data, *back;
	uint64_t t0, ms;
	size_t i;
	int out, wfd;

	data = malloc(len);
	back = malloc(len);
	ck_assert_ptr_nonnull(data);
	ck_assert_ptr_nonnull(back);
	for (i = 0; i < len; i++)
		data[i] = (uint8_t)(i * 7 + i / 4096);
	out = mkstemp(path);
	ck_assert_int_ge(out, 0);
	unlink(path);
	t0 = util_now_ns();
	ck_assert_int_eq(pace_relay_start(out, 4 * 1024 * 1024, 10000, &r,
	    &wfd), 0);
	ck_assert_int_eq(util_write_full(wfd, data, len), (ssize_t)len);
	ck_assert_int_eq(pace_relay_finish(r), 0);
	ms = (util_now_ns() - t0) / 1000000u;
	ck_assert_msg(ms >= 240, "1 MiB at 4 MiB/s took %llu ms",
	    (unsigned long long)ms);
	ck_assert_int_eq(pread(out, back, len, 0), (ssize_t)len);
	ck_assert_int_eq(memcmp(data, back, len), 0);
	close(out);
	free(data);
	free(back);
}
END_TEST

/* When the output fails, the writer gets EPIPE (it does not block for
 * ever) and finish reports the output's error. */
START_TEST(test_pace_relay_output_error_reaches_writer)
{
	uint8_t buf[65536];
	struct pace_relay *r;
	int sv[2], wfd, rc;
	ssize_t n;

	signal(SIGPIPE, SIG_IGN);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[1]);
	memset(buf, 0x5a, sizeof(buf));
	ck_assert_int_eq(pace_relay_start(sv[0], 0, 10000, &r, &wfd), 0);
	do
		n = write(wfd, buf, sizeof(buf));
	while (n > 0);
	ck_assert_int_eq((int)n, -1);
	ck_assert_int_eq(errno, EPIPE);
	rc = pace_relay_finish(r);
	ck_assert_msg(rc == -EPIPE || rc == -ECONNRESET, "finish: %d", rc);
	close(sv[0]);
}
END_TEST

/* pace_wait counts what it lets through; no cap never sleeps. */
START_TEST(test_pace_wait_counts)
{
	struct pace p;

	pace_init(&p, 0);
	pace_wait(&p, 1000);
	pace_wait(&p, 24);
	ck_assert_uint_eq(p.written, 1024);
}
END_TEST

static Suite *
pace_suite(void)
{
	Suite *s = suite_create("pace");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_pace_relay_copies_at_the_cap);
	tcase_add_test(tc, test_pace_relay_output_error_reaches_writer);
	tcase_add_test(tc, test_pace_wait_counts);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(pace_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
