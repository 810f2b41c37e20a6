/*
 * test_conf.c - xmigd.conf parsing: defaults, every key, errors with
 * file and line, and that a bad file reports every bad line.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compress.h"
#include "conf.h"
#include "log.h"
#include "util.h"

static char path[] = "/tmp/xmig-test-conf-XXXXXX";

static void
write_conf(const char *text)
{
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(util_write_full(fd, text, strlen(text)),
	    (ssize_t)strlen(text));
	close(fd);
}

START_TEST(test_conf_defaults_match_contract)
{
	struct conf c;

	conf_defaults(&c);
	ck_assert_uint_eq(c.relocation_port, 8002);
	ck_assert_str_eq(c.relocation_address, "");
	ck_assert_int_eq(c.tls, 0);
	ck_assert_uint_eq(c.max_incoming, 4);
	ck_assert_uint_eq(c.suspend_timeout, 60);
	ck_assert_uint_eq(c.device_migrate_timeout, 60);
	ck_assert_int_eq(c.backend, CONF_BACKEND_AUTO);
	ck_assert_int_eq(c.compress, COMPRESS_AUTO);
	ck_assert_ptr_nonnull(strstr(c.hosts_allow, "localhost"));
}
END_TEST

START_TEST(test_conf_load_every_key)
{
	struct conf c;

	write_conf("# comment\n\n"
	    "relocation-address = 127.0.0.2\n"
	    "relocation-port=9000   # trailing comment\n"
	    "hosts-allow = 127\\.0\\.0\\.[23] ::1\n"
	    "tls = on\n"
	    "tls-cert = /a/cert\n"
	    "tls-key = /a/key\n"
	    "tls-ca = /a/ca\n"
	    "max-incoming = 2\n"
	    "reservation-timeout = 30\n"
	    "suspend-timeout = 5\n"
	    "device-migrate-timeout = 7\n"
	    "device-migrate-dir = /x/dev\n"
	    "backend = sim\n"
	    "sim-dir = /tmp/simhost\n"
	    "sim-memory = 2G\n"
	    "control-socket = /tmp/ctl.sock\n"
	    "compress = zstd\n"
	    "log-level = debug\n");
	conf_defaults(&c);
	ck_assert_int_eq(conf_load(&c, path, 0), 0);
	unlink(path);
	ck_assert_str_eq(c.relocation_address, "127.0.0.2");
	ck_assert_uint_eq(c.relocation_port, 9000);
	ck_assert_str_eq(c.hosts_allow, "127\\.0\\.0\\.[23] ::1");
	ck_assert_int_eq(c.tls, 1);
	ck_assert_str_eq(c.tls_ca, "/a/ca");
	ck_assert_uint_eq(c.max_incoming, 2);
	ck_assert_uint_eq(c.reservation_timeout, 30);
	ck_assert_uint_eq(c.suspend_timeout, 5);
	ck_assert_uint_eq(c.device_migrate_timeout, 7);
	ck_assert_str_eq(c.device_migrate_dir, "/x/dev");
	ck_assert_int_eq(c.backend, CONF_BACKEND_SIM);
	ck_assert_str_eq(c.sim_dir, "/tmp/simhost");
	ck_assert_uint_eq(c.sim_memory, 2 * GiB);
	ck_assert_str_eq(c.control_socket, "/tmp/ctl.sock");
	ck_assert_int_eq(c.log_level, LOG_LVL_DEBUG);
	ck_assert_int_eq(c.compress, FRAME_CODEC_ZSTD);
}
END_TEST

static char errbuf[4096];

/* Load "text" with stderr captured into errbuf; returns conf_load's rc. */
static int
load_captured(const char *text)
{
	struct conf c;
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO), rc;
	size_t n;

	write_conf(text);
	log_init("xmigd", 1, LOG_LVL_INFO);
	fflush(stderr);
	dup2(fileno(tmp), STDERR_FILENO);
	conf_defaults(&c);
	rc = conf_load(&c, path, 0);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(errbuf, 1, sizeof(errbuf) - 1, tmp);
	errbuf[n] = '\0';
	fclose(tmp);
	unlink(path);
	return rc;
}

START_TEST(test_conf_errors_name_every_line)
{
	char want[PATH_MAX + 64];

	ck_assert_int_eq(load_captured("relocation-port = 8002\n"
	    "relocation-port = 70000\n"
	    "no equals sign\n"
	    "colour = blue\n"
	    "tls = perhaps\n"
	    "sim-dir = relative/dir\n"
	    "backend = kvm\n"
	    "compress = lz5\n"), -EINVAL);
	snprintf(want, sizeof(want), "%s:2: relocation-port: number out of "
	    "range: 70000", path);
	ck_assert_msg(strstr(errbuf, want) != NULL, "got: %s", errbuf);
	snprintf(want, sizeof(want), "%s:3: expected \"key = value\"", path);
	ck_assert_msg(strstr(errbuf, want) != NULL, "got: %s", errbuf);
	snprintf(want, sizeof(want), "%s:4: colour: unknown key", path);
	ck_assert_msg(strstr(errbuf, want) != NULL, "got: %s", errbuf);
	snprintf(want, sizeof(want), "%s:5: tls: expected on or off", path);
	ck_assert_msg(strstr(errbuf, want) != NULL, "got: %s", errbuf);
	snprintf(want, sizeof(want), "%s:6: sim-dir: must be an absolute "
	    "path", path);
	ck_assert_msg(strstr(errbuf, want) != NULL, "got: %s", errbuf);
	snprintf(want, sizeof(want), "%s:7: backend: expected xen, sim or "
	    "auto", path);
	ck_assert_msg(strstr(errbuf, want) != NULL, "got: %s", errbuf);
	snprintf(want, sizeof(want), "%s:8: compress: expected auto, lz4, "
	    "zstd or none", path);
	ck_assert_msg(strstr(errbuf, want) != NULL, "got: %s", errbuf);
}
END_TEST

START_TEST(test_conf_missing_file)
{
	struct conf c;

	conf_defaults(&c);
	ck_assert_int_eq(conf_load(&c, "/nonexistent/xmigd.conf", 1), 0);
	log_init("xmigd", 1, LOG_LVL_ERR);
	ck_assert_int_eq(conf_load(&c, "/nonexistent/xmigd.conf", 0),
	    -ENOENT);
}
END_TEST

START_TEST(test_conf_dist_example_parses)
{
	char p[PATH_MAX];
	const char *top = getenv("top_srcdir");
	struct conf c, d;

	if (top == NULL)
		top = ".";
	snprintf(p, sizeof(p), "%s/dist/xmigd.conf", top);
	conf_defaults(&c);
	ck_assert_int_eq(conf_load(&c, p, 0), 0);
	/* Everything in the example is commented out: defaults stand. */
	conf_defaults(&d);
	ck_assert_int_eq(memcmp(&c, &d, sizeof(c)), 0);
}
END_TEST

/*
 * A line too long for the buffer is skipped up to its newline; a NUL
 * byte at the start of a piece of it must not make the skip read before
 * the buffer (it did: line[strlen(line) - 1]).
 */
START_TEST(test_conf_long_line_with_nul)
{
	static const char tail[] = "\0zz\nrelocation-port = 8003\n";
	struct conf c;
	char *text;
	size_t len = CONF_LINE_MAX + sizeof(tail) - 1;
	int fd;

	text = malloc(len);
	ck_assert_ptr_nonnull(text);
	text[0] = '#';
	memset(text + 1, 'b', CONF_LINE_MAX - 2);
	memcpy(text + CONF_LINE_MAX - 1, tail, sizeof(tail) - 1);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(util_write_full(fd, text, len - 1), (ssize_t)len - 1);
	close(fd);
	free(text);
	log_init("xmigd", 1, LOG_LVL_ERR);
	conf_defaults(&c);
	ck_assert_int_eq(conf_load(&c, path, 0), -EINVAL);
	unlink(path);
	/* The line after the long one is still read. */
	ck_assert_uint_eq(c.relocation_port, 8003);
}
END_TEST

static Suite *
conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_conf_defaults_match_contract);
	tcase_add_test(tc, test_conf_load_every_key);
	tcase_add_test(tc, test_conf_errors_name_every_line);
	tcase_add_test(tc, test_conf_missing_file);
	tcase_add_test(tc, test_conf_dist_example_parses);
	tcase_add_test(tc, test_conf_long_line_with_nul);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(conf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
