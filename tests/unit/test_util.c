/*
 * test_util.c - number, size and rate parsing; fd helpers.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

START_TEST(test_util_parse_uint_bounds)
{
	uint64_t v = 42;

	ck_assert_int_eq(util_parse_uint("8002", 1, 65535, &v), 0);
	ck_assert_uint_eq(v, 8002);
	ck_assert_int_eq(util_parse_uint("0", 1, 65535, &v), -ERANGE);
	ck_assert_int_eq(util_parse_uint("65536", 1, 65535, &v), -ERANGE);
	ck_assert_int_eq(util_parse_uint("12x", 0, 100, &v), -EINVAL);
	ck_assert_int_eq(util_parse_uint("-1", 0, 100, &v), -EINVAL);
	ck_assert_int_eq(util_parse_uint("", 0, 100, &v), -EINVAL);
	ck_assert_int_eq(util_parse_uint("99999999999999999999999", 0,
	    UINT64_MAX, &v), -ERANGE);
	ck_assert_uint_eq(v, 8002);	/* untouched on failure */
}
END_TEST

START_TEST(test_util_parse_size_units)
{
	uint64_t v;

	ck_assert_int_eq(util_parse_size("512M", 1, &v), 0);
	ck_assert_uint_eq(v, 512 * MiB);
	ck_assert_int_eq(util_parse_size("1GiB", 1, &v), 0);
	ck_assert_uint_eq(v, GiB);
	ck_assert_int_eq(util_parse_size("4k", 1, &v), 0);
	ck_assert_uint_eq(v, 4096);
	ck_assert_int_eq(util_parse_size("100", MiB, &v), 0);
	ck_assert_uint_eq(v, 100 * MiB);
	ck_assert_int_eq(util_parse_size("100B", MiB, &v), 0);
	ck_assert_uint_eq(v, 100);
	ck_assert_int_eq(util_parse_size("10X", 1, &v), -EINVAL);
	ck_assert_int_eq(util_parse_size("M", 1, &v), -EINVAL);
	ck_assert_int_eq(util_parse_size("99999999999T", 1, &v), -ERANGE);
}
END_TEST

START_TEST(test_util_parse_rate_suffix)
{
	uint64_t v;

	ck_assert_int_eq(util_parse_rate("50M/s", &v), 0);
	ck_assert_uint_eq(v, 50 * MiB);
	ck_assert_int_eq(util_parse_rate("1G", &v), 0);
	ck_assert_uint_eq(v, GiB);
	ck_assert_int_eq(util_parse_rate("0", &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(util_parse_rate("5M/h", &v), -EINVAL);
}
END_TEST

START_TEST(test_util_parse_bandwidth_in_mib)
{
	uint64_t v;

	ck_assert_int_eq(util_parse_bandwidth("100", &v), 0);
	ck_assert_uint_eq(v, 100 * MiB);
	ck_assert_int_eq(util_parse_bandwidth("512K", &v), 0);
	ck_assert_uint_eq(v, 512 * KiB);
	ck_assert_int_eq(util_parse_bandwidth("1G/s", &v), 0);
	ck_assert_uint_eq(v, GiB);
	ck_assert_int_eq(util_parse_bandwidth("4096b", &v), 0);
	ck_assert_uint_eq(v, 4096);
	ck_assert_int_eq(util_parse_bandwidth("fast", &v), -EINVAL);
}
END_TEST

START_TEST(test_util_parse_bool_words)
{
	int b = -1;

	ck_assert_int_eq(util_parse_bool("on", &b), 0);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(util_parse_bool("No", &b), 0);
	ck_assert_int_eq(b, 0);
	ck_assert_int_eq(util_parse_bool("maybe", &b), -EINVAL);
}
END_TEST

START_TEST(test_util_fmt_size_readable)
{
	char buf[32];

	ck_assert_str_eq(util_fmt_size(900, buf, sizeof(buf)), "900 B");
	ck_assert_str_eq(util_fmt_size(512 * MiB, buf, sizeof(buf)),
	    "512.0 MiB");
	ck_assert_str_eq(util_fmt_size(3 * GiB + GiB / 2, buf, sizeof(buf)),
	    "3.5 GiB");
}
END_TEST

START_TEST(test_util_full_io_pipe)
{
	char out[100000], in[100000];
	int p[2];
	size_t i;

	for (i = 0; i < sizeof(out); i++)
		out[i] = (char)(i * 7);
	ck_assert_int_eq(pipe(p), 0);
	if (fork() == 0) {
		close(p[0]);
		_exit(util_write_full(p[1], out, sizeof(out)) ==
		    (ssize_t)sizeof(out) ? 0 : 1);
	}
	close(p[1]);
	ck_assert_int_eq(util_read_full(p[0], in, sizeof(in)),
	    (ssize_t)sizeof(in));
	ck_assert_int_eq(memcmp(in, out, sizeof(in)), 0);
	/* End of file: a short count, not an error. */
	ck_assert_int_eq(util_read_full(p[0], in, 10), 0);
	close(p[0]);
	ck_assert_int_eq(util_read_full(-1, in, 10), -EBADF);
}
END_TEST

START_TEST(test_util_strlcpy_truncates)
{
	char b[4];

	ck_assert_int_eq(util_strlcpy(b, "abc", sizeof(b)), 0);
	ck_assert_str_eq(b, "abc");
	ck_assert_int_eq(util_strlcpy(b, "abcd", sizeof(b)), -ENAMETOOLONG);
	ck_assert_str_eq(b, "abc");
}
END_TEST

static void
kv_collect(const char *key, const char *value, void *arg)
{
	char *out = arg;
	size_t n = strlen(out);

	snprintf(out + n, 256 - n, "[%s|%s]", key, value);
}

START_TEST(test_util_read_kv_lines)
{
	char dir[] = "/tmp/test_util_XXXXXX", path[64], out[256] = "";

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/rec", dir);
	ck_assert_int_eq(util_read_kv(path, kv_collect, out), -ENOENT);
	ck_assert_int_eq(util_write_atomic(path, "name=a=b\nno equals\n"
	    "empty=\nlast=x", 0600), 0);
	ck_assert_int_eq(util_read_kv(path, kv_collect, out), 0);
	/* Split at the first '='; no newline kept; the last line too. */
	ck_assert_str_eq(out, "[name|a=b][empty|][last|x]");
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

static Suite *
util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_util_parse_uint_bounds);
	tcase_add_test(tc, test_util_parse_size_units);
	tcase_add_test(tc, test_util_parse_rate_suffix);
	tcase_add_test(tc, test_util_parse_bandwidth_in_mib);
	tcase_add_test(tc, test_util_parse_bool_words);
	tcase_add_test(tc, test_util_fmt_size_readable);
	tcase_add_test(tc, test_util_full_io_pipe);
	tcase_add_test(tc, test_util_strlcpy_truncates);
	tcase_add_test(tc, test_util_read_kv_lines);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(util_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
