/*
 * test_qmpclient.c - the QMP client against a scripted monitor: greeting
 * and capabilities, a command's return with events before it, a refused
 * command, a monitor that closes or goes silent mid-command, one that
 * does not greet, and answers to another command's id skipped.
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
#include "qmp.h"
#include "qmpclient.h"
#include "util.h"

static char dir[] = "/tmp/xmig-test-qmp-XXXXXX";
static char sock[96];

/*
 * The monitor's script, one step a string:
 *   "greet"          the greeting
 *   "cmd NAME"       read a command, which must be NAME (else exit 3)
 *   "ret VALUE"      answer the last command with VALUE
 *   "err CLASS"      refuse the last command
 *   "event NAME"     an event
 *   "raw TEXT"       TEXT and "\r\n" as they are
 *   "close"          close the connection
 *   "hang"           never answer again
 */
static void
monitor_run(int fd, const char *const *script)
{
	char line[4096], out[4096];
	struct qmp_msg m;
	int64_t id = -1;
	size_t len = 0;
	ssize_t n;
	char *nl;

	for (; *script != NULL; script++) {
		const char *s = *script;

		if (strcmp(s, "greet") == 0)
			n = qmp_encode_greeting(out, sizeof(out), 7, 2, 0);
		else if (strncmp(s, "cmd ", 4) == 0) {
			while ((nl = memchr(line, '\n', len)) == NULL) {
				if ((n = read(fd, line + len,
				    sizeof(line) - len)) <= 0)
					_exit(2);
				len += (size_t)n;
			}
			if (qmp_decode(line, (size_t)(nl - line) - 1, &m, NULL,
			    0) != 0 || m.kind != QMP_COMMAND ||
			    strcmp(m.name, s + 4) != 0)
				_exit(3);
			id = m.id;
			qmp_msg_clear(&m);
			len -= (size_t)(nl + 1 - line);
			memmove(line, nl + 1, len);
			continue;
		} else if (strncmp(s, "ret ", 4) == 0)
			n = qmp_encode_return(out, sizeof(out), s + 4, id);
		else if (strncmp(s, "err ", 4) == 0)
			n = qmp_encode_error(out, sizeof(out), s + 4,
			    "it \"cannot\" be done", id);
		else if (strncmp(s, "event ", 6) == 0)
			n = qmp_encode_event(out, sizeof(out), s + 6, NULL);
		else if (strncmp(s, "raw ", 4) == 0)
			n = snprintf(out, sizeof(out), "%s\r\n", s + 4);
		else if (strcmp(s, "close") == 0)
			_exit(0);
		else {
			for (;;)
				pause();
		}
		if (n < 0 || write(fd, out, (size_t)n) != n)
			_exit(4);
	}
	for (;;)
		pause();
}

/* Start a monitor on the socket running script; its pid. */
static pid_t
monitor_start(const char *const *script)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int lfd, fd;
	pid_t pid;

	log_init("test", 1, LOG_LVL_ERR);
	if (sock[0] == '\0') {
		ck_assert_ptr_nonnull(mkdtemp(dir));
		snprintf(sock, sizeof(sock), "%s/qmp", dir);
	}
	unlink(sock);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock);
	ck_assert_int_ge(lfd = socket(AF_UNIX, SOCK_STREAM, 0), 0);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(lfd, 4), 0);
	if ((pid = fork()) == 0) {
		if ((fd = accept(lfd, NULL, NULL)) < 0)
			_exit(1);
		monitor_run(fd, script);
	}
	close(lfd);
	return pid;
}

static void
monitor_stop(pid_t pid)
{
	int st;

	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
}

START_TEST(test_qmpclient_commands)
{
	static const char *const script[] = {
		"greet", "cmd qmp_capabilities", "ret {}",
		"cmd stop", "event STOP", "event RESUME", "ret {}",
		"cmd query-status",
		"ret {\"status\": \"paused\", \"running\": false}",
		"cmd xen-save-devices-state", "err GenericError",
		"cmd cont", "ret {}", "hang", NULL
	};
	struct qmpclient *q;
	struct qmp_msg m;
	char why[256];
	int major, minor;
	pid_t pid = monitor_start(script);

	ck_assert_int_eq(qmpclient_open(&q, sock, 2000, why, sizeof(why)),
	    0);
	qmpclient_version(q, &major, &minor);
	ck_assert_int_eq(major, 7);
	ck_assert_int_eq(minor, 2);
	ck_assert_int_eq(qmpclient_execute(q, "stop", NULL, 2000, NULL, why,
	    sizeof(why)), 0);
	ck_assert_uint_eq(qmpclient_events(q), 2);
	ck_assert_int_eq(qmpclient_execute(q, "query-status", NULL, 2000, &m,
	    why, sizeof(why)), 0);
	ck_assert_int_eq(m.kind, QMP_RETURN);
	ck_assert(YAJL_IS_OBJECT(m.value));
	qmp_msg_clear(&m);
	ck_assert_int_eq(qmpclient_execute(q, "xen-save-devices-state",
	    "{\"filename\": \"/x\", \"live\": false}", 2000, NULL, why,
	    sizeof(why)), -EREMOTEIO);
	ck_assert_str_eq(why, "the device model refused "
	    "xen-save-devices-state: GenericError: it \"cannot\" be done");
	/* Still usable after a refusal. */
	ck_assert_int_eq(qmpclient_execute(q, "cont", NULL, 2000, NULL, why,
	    sizeof(why)), 0);
	ck_assert_int_eq(qmpclient_execute(q, "bad name", NULL, 2000, NULL,
	    why, sizeof(why)), -EINVAL);
	qmpclient_close(q);
	monitor_stop(pid);
}
END_TEST

START_TEST(test_qmpclient_monitor_gone_or_silent)
{
	static const char *const closes[] = {
		"greet", "cmd qmp_capabilities", "ret {}", "cmd stop", "close",
		NULL
	};
	static const char *const silent[] = {
		"greet", "cmd qmp_capabilities", "ret {}", "cmd stop", "hang",
		NULL
	};
	static const char *const mute[] = { "hang", NULL };
	struct qmpclient *q;
	char why[256];
	pid_t pid;

	pid = monitor_start(closes);
	ck_assert_int_eq(qmpclient_open(&q, sock, 2000, why, sizeof(why)),
	    0);
	ck_assert_int_eq(qmpclient_execute(q, "stop", NULL, 2000, NULL, why,
	    sizeof(why)), -EPIPE);
	ck_assert_ptr_nonnull(strstr(why, "closed its monitor"));
	qmpclient_close(q);
	monitor_stop(pid);

	pid = monitor_start(silent);
	ck_assert_int_eq(qmpclient_open(&q, sock, 2000, why, sizeof(why)),
	    0);
	ck_assert_int_eq(qmpclient_execute(q, "stop", NULL, 200, NULL, why,
	    sizeof(why)), -ETIMEDOUT);
	qmpclient_close(q);
	monitor_stop(pid);

	/* No greeting: another client holds it, or QEMU is stuck. */
	pid = monitor_start(mute);
	ck_assert_int_eq(qmpclient_open(&q, sock, 200, why, sizeof(why)),
	    -ETIMEDOUT);
	ck_assert_ptr_nonnull(strstr(why, "no QMP greeting"));
	ck_assert_ptr_null(q);
	monitor_stop(pid);

	/* Nothing listens. */
	unlink(sock);
	ck_assert_int_eq(qmpclient_open(&q, sock, 200, why, sizeof(why)),
	    -ENOENT);
}
END_TEST

/* A monitor whose backlog is full (it serves someone else): timed out. */
START_TEST(test_qmpclient_monitor_busy)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct qmpclient *q;
	int lfd, c[8], n = 0, i;
	uint64_t t0;
	char why[256];

	unlink(sock);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(lfd, 0);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(lfd, 0), 0);
	/* Fill the backlog: connections nobody accepts. */
	for (;;) {
		ck_assert_int_lt(n, 8);
		c[n] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		ck_assert_int_ge(c[n], 0);
		if (connect(c[n], (struct sockaddr *)&sun, sizeof(sun)) != 0) {
			ck_assert_int_eq(errno, EAGAIN);
			close(c[n]);
			break;
		}
		n++;
	}
	t0 = util_now_ms();
	ck_assert_int_eq(qmpclient_open(&q, sock, 300, why, sizeof(why)),
	    -ETIMEDOUT);
	ck_assert_ptr_nonnull(strstr(why, "busy"));
	ck_assert_ptr_null(q);
	ck_assert_uint_lt(util_now_ms() - t0, 5000);
	for (i = 0; i < n; i++)
		close(c[i]);
	close(lfd);
	unlink(sock);
}
END_TEST

START_TEST(test_qmpclient_not_qmp)
{
	static const char *const no_greeting[] = {
		"raw {\"return\": {}}", "hang", NULL
	};
	static const char *const garbage[] = {
		"greet", "cmd qmp_capabilities", "raw {\"return\": ", "hang",
		NULL
	};
	static const char *const stale[] = {
		"greet", "cmd qmp_capabilities", "ret {}", "cmd stop",
		"raw {\"return\": {\"old\": 1}, \"id\": 99}", "ret {}", "hang",
		NULL
	};
	struct qmpclient *q;
	struct qmp_msg m;
	char why[256];
	pid_t pid;

	pid = monitor_start(no_greeting);
	ck_assert_int_eq(qmpclient_open(&q, sock, 2000, why, sizeof(why)),
	    -EPROTO);
	monitor_stop(pid);

	pid = monitor_start(garbage);
	ck_assert_int_eq(qmpclient_open(&q, sock, 2000, why, sizeof(why)),
	    -EBADMSG);
	ck_assert_ptr_nonnull(strstr(why, "not JSON"));
	monitor_stop(pid);

	/* An answer to another command is not this one's. */
	pid = monitor_start(stale);
	ck_assert_int_eq(qmpclient_open(&q, sock, 2000, why, sizeof(why)),
	    0);
	ck_assert_int_eq(qmpclient_execute(q, "stop", NULL, 2000, &m, why,
	    sizeof(why)), 0);
	ck_assert(YAJL_IS_OBJECT(m.value));
	ck_assert_uint_eq(YAJL_GET_OBJECT(m.value)->len, 0);
	qmp_msg_clear(&m);
	qmpclient_close(q);
	monitor_stop(pid);
}
END_TEST

START_TEST(test_qmpclient_decode)
{
	struct qmp_msg m;
	char err[128], buf[256];
	int n;

	ck_assert_int_eq(qmp_decode("{\"event\": \"STOP\", \"data\": {}}", 29,
	    &m, err, sizeof(err)), 0);
	ck_assert_int_eq(m.kind, QMP_EVENT);
	ck_assert_str_eq(m.name, "STOP");
	qmp_msg_clear(&m);
	ck_assert_int_eq(qmp_decode("[1]", 3, &m, err, sizeof(err)),
	    -EBADMSG);
	ck_assert_int_eq(qmp_decode("{\"error\": {\"class\": 1}}", 22, &m,
	    err, sizeof(err)), -EBADMSG);
	ck_assert_int_eq(qmp_decode("{\"hello\": 1}", 12, &m, err,
	    sizeof(err)), -EBADMSG);
	ck_assert_int_eq(qmp_decode("{\"a\":1}", QMP_LINE_MAX + 1, &m, err,
	    sizeof(err)), -EMSGSIZE);
	ck_assert_int_eq(qmp_decode("{\"execute\": \"x\", \"arguments\": 3}",
	    32, &m, err, sizeof(err)), -EBADMSG);
	/* What the encoders write, the decoder reads back. */
	n = qmp_encode_error(buf, sizeof(buf), "GenericError", "a\"b\\c\n",
	    7);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(qmp_decode(buf, (size_t)n - 2, &m, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(m.kind, QMP_ERROR);
	ck_assert_str_eq(m.desc, "a\"b\\c\n");
	ck_assert_int_eq(m.id, 7);
	qmp_msg_clear(&m);
	ck_assert_int_eq(qmp_encode_command(buf, 20, "query-status",
	    "{\"a\": 1}", 1), -ENOSPC);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("qmpclient");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_qmpclient_commands);
	tcase_add_test(tc, test_qmpclient_monitor_gone_or_silent);
	tcase_add_test(tc, test_qmpclient_monitor_busy);
	tcase_add_test(tc, test_qmpclient_not_qmp);
	tcase_add_test(tc, test_qmpclient_decode);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
