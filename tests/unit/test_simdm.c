/*
 * test_simdm.c - the simulated device model through the same QMP client
 * the backends use: capabilities first, the guest's I/O changes the
 * register only while it runs, stop/cont, a save that "xmig verify"'s
 * checker accepts and a second device model that loads it (refused while
 * running), an incoming state to start from, one monitor client at a
 * time, quit.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "qevm.h"
#include "qmpclient.h"
#include "sim/simdm.h"

static char dir[] = "/tmp/xmig-test-simdm-XXXXXX";
static char qmp[96], dev[96], file[96];

static pid_t
dm_start(const char *incoming, const char *tag)
{
	struct simdm_params p = { .qmp_path = qmp, .dev_path = dev,
	    .incoming = incoming };
	char c;
	int fds[2];
	pid_t pid;

	log_init("test", 1, LOG_LVL_ERR);
	if (file[0] == '\0')
		ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(qmp, sizeof(qmp), "%s/qmp-%s", dir, tag);
	snprintf(dev, sizeof(dev), "%s/dev-%s", dir, tag);
	snprintf(file, sizeof(file), "%s/state", dir);
	ck_assert_int_eq(pipe(fds), 0);
	if ((pid = fork()) == 0) {
		close(fds[0]);
		p.ready_fd = fds[1];
		_exit(simdm_run(&p) == 0 ? 0 : 1);
	}
	close(fds[1]);
	ck_assert_int_eq(read(fds[0], &c, 1), 1);
	close(fds[0]);
	return pid;
}

/* One I/O of the guest: the device's answer. */
static void
io(const char *path, char *ans, size_t len)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	ssize_t n;
	int fd;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	ck_assert_int_ge(fd = socket(AF_UNIX, SOCK_STREAM, 0), 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)),
	    0);
	ck_assert_int_eq(write(fd, "inc\n", 4), 4);
	ck_assert_int_gt(n = read(fd, ans, len - 1), 0);
	ans[n] = '\0';
	close(fd);
}

static void
status_is(struct qmpclient *q, const char *want)
{
	const char *path[] = { "status", NULL };
	struct qmp_msg m;
	char why[256];
	yajl_val v;

	ck_assert_int_eq(qmpclient_execute(q, "query-status", NULL, 2000, &m,
	    why, sizeof(why)), 0);
	ck_assert_ptr_nonnull(v = yajl_tree_get(m.value, path,
	    yajl_t_string));
	ck_assert_str_eq(YAJL_GET_STRING(v), want);
	qmp_msg_clear(&m);
}

START_TEST(test_simdm_save_and_load)
{
	struct qmpclient *q, *q2;
	struct simdm_state st;
	struct qevm_info info;
	struct srerr e;
	uint8_t buf[SIMDM_FILE_MAX + 1];
	char why[256], ans[32], args[160], dev1[96];
	FILE *f;
	size_t n;
	pid_t a, b;
	int st2;

	a = dm_start(NULL, "a");
	snprintf(dev1, sizeof(dev1), "%s", dev);
	ck_assert_int_eq(qmpclient_open(&q, qmp, 2000, why, sizeof(why)), 0);
	/* One monitor client at a time: a second gets no greeting. */
	ck_assert_int_eq(qmpclient_open(&q2, qmp, 300, why, sizeof(why)),
	    -ETIMEDOUT);
	status_is(q, "running");
	io(dev1, ans, sizeof(ans));
	ck_assert_str_eq(ans, "1\n");
	io(dev1, ans, sizeof(ans));
	ck_assert_str_eq(ans, "2\n");
	ck_assert_int_eq(qmpclient_execute(q, "xen-set-global-dirty-log",
	    "{\"enable\": true}", 2000, NULL, why, sizeof(why)), 0);
	ck_assert_int_eq(qmpclient_execute(q, "stop", NULL, 2000, NULL, why,
	    sizeof(why)), 0);
	status_is(q, "paused");
	/* Stopped, the device changes nothing. */
	io(dev1, ans, sizeof(ans));
	ck_assert_str_eq(ans, "stopped\n");
	snprintf(args, sizeof(args), "{\"filename\": \"%s\", \"live\": false}",
	    file);
	ck_assert_int_eq(qmpclient_execute(q, "xen-save-devices-state", args,
	    2000, NULL, why, sizeof(why)), 0);
	ck_assert_int_eq(qmpclient_execute(q, "xen-save-devices-state", NULL,
	    2000, NULL, why, sizeof(why)), -EREMOTEIO);
	ck_assert_ptr_nonnull(strstr(why, "'filename' is missing"));
	/* The file is a QEMU device-state file with the register in it. */
	ck_assert_ptr_nonnull(f = fopen(file, "rb"));
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	srerr_clear(&e);
	ck_assert_int_eq(qevm_check(buf, n, 0, &info, &e), 0);
	ck_assert_str_eq(info.first, SIMDM_SECTION);
	ck_assert_int_eq(simdm_decode(buf, n, &st, why, sizeof(why)), 0);
	ck_assert_uint_eq(st.reg, 2);
	ck_assert_uint_eq(st.ios, 2);
	ck_assert_int_eq(qmpclient_execute(q, "quit", NULL, 2000, NULL, why,
	    sizeof(why)), 0);
	qmpclient_close(q);
	ck_assert_int_eq(waitpid(a, &st2, 0), a);
	ck_assert(WIFEXITED(st2) && WEXITSTATUS(st2) == 0);

	/* A new device model: loads it only while stopped. */
	b = dm_start(NULL, "b");
	ck_assert_int_eq(qmpclient_open(&q, qmp, 2000, why, sizeof(why)), 0);
	snprintf(args, sizeof(args), "{\"filename\": \"%s\"}", file);
	ck_assert_int_eq(qmpclient_execute(q, "xen-load-devices-state", args,
	    2000, NULL, why, sizeof(why)), -EREMOTEIO);
	ck_assert_ptr_nonnull(strstr(why, "while vm is running"));
	ck_assert_int_eq(qmpclient_execute(q, "stop", NULL, 2000, NULL, why,
	    sizeof(why)), 0);
	ck_assert_int_eq(qmpclient_execute(q, "xen-load-devices-state", args,
	    2000, NULL, why, sizeof(why)), 0);
	ck_assert_int_eq(qmpclient_execute(q, "cont", NULL, 2000, NULL, why,
	    sizeof(why)), 0);
	io(dev, ans, sizeof(ans));
	ck_assert_str_eq(ans, "3\n");
	ck_assert_int_eq(qmpclient_execute(q, "no-such-command", NULL, 2000,
	    NULL, why, sizeof(why)), -EREMOTEIO);
	ck_assert_ptr_nonnull(strstr(why, "CommandNotFound"));
	qmpclient_close(q);
	kill(b, SIGTERM);
	ck_assert_int_eq(waitpid(b, &st2, 0), b);
	ck_assert(WIFEXITED(st2) && WEXITSTATUS(st2) == 0);
}
END_TEST

START_TEST(test_simdm_incoming_starts_stopped)
{
	struct simdm_state s = { .reg = 41, .ios = 41 };
	uint8_t buf[SIMDM_FILE_MAX];
	struct qmpclient *q;
	char why[256], ans[32];
	FILE *f;
	size_t n;
	pid_t pid;
	int st;

	pid = dm_start(NULL, "x");	/* makes the directory */
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	n = simdm_encode(&s, buf);
	ck_assert_ptr_nonnull(f = fopen(file, "wb"));
	ck_assert_uint_eq(fwrite(buf, 1, n, f), n);
	fclose(f);
	pid = dm_start(file, "c");
	ck_assert_int_eq(qmpclient_open(&q, qmp, 2000, why, sizeof(why)), 0);
	status_is(q, "paused");
	io(dev, ans, sizeof(ans));
	ck_assert_str_eq(ans, "stopped\n");
	ck_assert_int_eq(qmpclient_execute(q, "cont", NULL, 2000, NULL, why,
	    sizeof(why)), 0);
	io(dev, ans, sizeof(ans));
	ck_assert_str_eq(ans, "42\n");
	qmpclient_close(q);
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	/* A state that is not ours is refused, and nothing starts. */
	buf[n - 2] ^= 0xff;
	ck_assert_int_eq(simdm_decode(buf, n - 1, &s, why, sizeof(why)),
	    -EBADMSG);
	ck_assert_int_eq(simdm_decode(buf, n, &s, why, sizeof(why)), 0);
	buf[QEVM_HDR_SIZE + 6] = 'y';	/* the section's name */
	ck_assert_int_eq(simdm_decode(buf, n, &s, why, sizeof(why)),
	    -EBADMSG);
	ck_assert_ptr_nonnull(strstr(why, "not the simulated device"));
}
END_TEST

START_TEST(test_simdm_requires_capabilities)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char buf[1024];
	ssize_t n;
	size_t got = 0;
	pid_t pid;
	int fd, st;

	pid = dm_start(NULL, "d");
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", qmp);
	ck_assert_int_ge(fd = socket(AF_UNIX, SOCK_STREAM, 0), 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)),
	    0);
	ck_assert_int_eq(write(fd, "{\"execute\": \"stop\", \"id\": 1}\r\n",
	    30), 30);
	while (got < sizeof(buf) - 1 && strstr(buf, "\"id\": 1") == NULL) {
		ck_assert_int_gt(n = read(fd, buf + got, sizeof(buf) - 1 -
		    got), 0);
		got += (size_t)n;
		buf[got] = '\0';
	}
	ck_assert_ptr_nonnull(strstr(buf, "\"QMP\""));
	ck_assert_ptr_nonnull(strstr(buf, "Expecting capabilities "
	    "negotiation"));
	close(fd);
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("simdm");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_simdm_save_and_load);
	tcase_add_test(tc, test_simdm_incoming_starts_stopped);
	tcase_add_test(tc, test_simdm_requires_capabilities);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
