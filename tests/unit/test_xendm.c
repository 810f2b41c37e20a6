/*
 * test_xendm.c - the xen backend's device-model exchanges (lib/xen/
 * xen_dm.c) against a scripted monitor: libxl's paths, libxl's monitor
 * lock (held only during an exchange, removed after, a holder waited for
 * and timed out), the log-dirty switch, stop and the device-state file
 * (written, taken, removed), QEMU dying during the save or refusing it
 * (the file removed, the lock released), the xenstore data encoding, and
 * a qdisk disk's copy through QEMU (xen_qdisk.c): its node found by file
 * name, the bitmaps rotated in one transaction, the exports, and all of
 * it taken back after a failure at each step.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "qmp.h"
#include "xen_dm.h"
#include "xen_qdisk.h"

static char dir[] = "/tmp/xmig-test-xendm-XXXXXX";
static const uint8_t uuid[16] = {
	0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef
};

static void
setup(struct xen_dm *dm)
{
	log_init("test", 1, LOG_LVL_ERR);
	if (dir[strlen(dir) - 1] == 'X')
		ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(xen_dm_init(dm, 7, uuid, dir, dir), 0);
	dm->timeout_ms = 2000;
	dm->save_timeout_ms = 2000;
}

static int
exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/*
 * The monitor's script, one step a string, one connection at a time:
 *   "greet", "cmd NAME", "ret VALUE", "err CLASS", "close", "hang" as in
 *   test_qmpclient.c; "locked" exits 5 unless the lock file is held;
 *   "state" writes the device-state file; "next" waits for the next
 *   connection (the client closed the previous one); "has TEXT" exits 7
 *   unless the last command's line holds TEXT; "err CLASS DESC" gives
 *   the error that description (else "no").
 */
static void
monitor_run(int lfd, const struct xen_dm *dm, const char *const *script)
{
	char line[4096], out[4096], last[4096] = "", cls[64];
	const char *sp;
	struct qmp_msg m;
	int64_t id = -1;
	size_t len = 0;
	ssize_t n;
	char *nl;
	int fd, lk;

	if ((fd = accept(lfd, NULL, NULL)) < 0)
		_exit(1);
	for (; *script != NULL; script++) {
		const char *s = *script;

		n = 0;
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
			snprintf(last, sizeof(last), "%.*s", (int)(nl - line),
			    line);
			len -= (size_t)(nl + 1 - line);
			memmove(line, nl + 1, len);
			continue;
		} else if (strncmp(s, "ret ", 4) == 0)
			n = qmp_encode_return(out, sizeof(out), s + 4, id);
		else if (strncmp(s, "err ", 4) == 0) {
			sp = strchr(s + 4, ' ');
			snprintf(cls, sizeof(cls), "%.*s", sp != NULL ?
			    (int)(sp - s - 4) : (int)strlen(s + 4), s + 4);
			n = qmp_encode_error(out, sizeof(out), cls,
			    sp != NULL ? sp + 1 : "no", id);
		} else if (strncmp(s, "has ", 4) == 0) {
			if (strstr(last, s + 4) == NULL)
				_exit(7);
			continue;
		} else if (strcmp(s, "locked") == 0) {
			if ((lk = open(dm->lock, O_RDWR)) < 0 ||
			    flock(lk, LOCK_EX | LOCK_NB) == 0)
				_exit(5);
			close(lk);
			continue;
		} else if (strcmp(s, "state") == 0) {
			if ((lk = open(dm->state, O_WRONLY | O_TRUNC)) < 0 ||
			    write(lk, "QEVM\0\0\0\3", 8) != 8)
				_exit(6);
			close(lk);
			continue;
		} else if (strcmp(s, "next") == 0) {
			close(fd);
			len = 0;
			if ((fd = accept(lfd, NULL, NULL)) < 0)
				_exit(1);
			continue;
		} else if (strcmp(s, "close") == 0)
			_exit(0);
		else
			for (;;)
				pause();
		if (n < 0 || write(fd, out, (size_t)n) != n)
			_exit(4);
	}
	_exit(0);
}

static pid_t
monitor_start(const struct xen_dm *dm, const char *const *script)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int lfd;
	pid_t pid;

	unlink(dm->sock);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", dm->sock);
	ck_assert_int_ge(lfd = socket(AF_UNIX, SOCK_STREAM, 0), 0);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(lfd, 4), 0);
	if ((pid = fork()) == 0)
		monitor_run(lfd, dm, script);
	close(lfd);
	return pid;
}

/* The monitor's exit status (killed if still running unless "wait": -1). */
static int
monitor_end(pid_t pid, int wait)
{
	int st;

	if (!wait)
		kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

START_TEST(test_xendm_paths)
{
	struct xen_dm dm;
	char longdir[300];

	setup(&dm);
	ck_assert_str_eq(strrchr(dm.sock, '/'), "/qmp-libxl-7");
	ck_assert_str_eq(strrchr(dm.lock, '/'), "/userdata-l.7."
	    "12345678-9abc-def0-0123-456789abcdef.qmp-socket-lock");
	ck_assert_str_eq(strrchr(dm.state, '/'), "/qemu-save.7");
	memset(longdir, 'a', sizeof(longdir) - 1);
	longdir[sizeof(longdir) - 1] = '\0';
	ck_assert_int_eq(xen_dm_init(&dm, 7, uuid, longdir, "/x"),
	    -ENAMETOOLONG);
	ck_assert_int_eq(xen_dm_init(&dm, 7, uuid, "/x", longdir),
	    -ENAMETOOLONG);
}
END_TEST

START_TEST(test_xendm_lock)
{
	struct xen_dm dm;
	int fd, fd2, st;
	pid_t pid;

	setup(&dm);
	ck_assert_int_eq(xen_dm_lock(dm.lock, 1000, &fd), 0);
	/* Another toolstack waits, then gives up. */
	if ((pid = fork()) == 0)
		_exit(xen_dm_lock(dm.lock, 200, &fd2) == -ETIMEDOUT ? 0 : 1);
	waitpid(pid, &st, 0);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* It gets it once released (removed, then taken anew). */
	if ((pid = fork()) == 0) {
		if (xen_dm_lock(dm.lock, 3000, &fd2) != 0)
			_exit(1);
		xen_dm_unlock(dm.lock, fd2);
		_exit(0);
	}
	usleep(100 * 1000);
	xen_dm_unlock(dm.lock, fd);
	waitpid(pid, &st, 0);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert(!exists(dm.lock));
	xen_dm_unlock(dm.lock, -1);
}
END_TEST

START_TEST(test_xendm_save)
{
	static const char *const script[] = {
		"greet", "cmd qmp_capabilities", "ret {}",
		"locked", "cmd xen-set-global-dirty-log", "ret {}", "next",
		"greet", "cmd qmp_capabilities", "ret {}",
		"cmd stop", "ret {}", "locked",
		"cmd xen-save-devices-state", "state", "ret {}", "next",
		"close", NULL
	};
	struct xen_dm dm;
	uint8_t *buf = NULL;
	size_t len = 0;
	pid_t pid;

	setup(&dm);
	pid = monitor_start(&dm, script);
	ck_assert_int_eq(xen_dm_logdirty(&dm, 1), 0);
	ck_assert(!exists(dm.lock));
	ck_assert_int_eq(xen_dm_suspend(&dm), 0);
	ck_assert(!exists(dm.lock));
	ck_assert(exists(dm.state));
	ck_assert_int_eq(xen_dm_take_state(&dm, &buf, &len), 0);
	ck_assert_uint_eq(len, 8);
	ck_assert_int_eq(memcmp(buf, "QEVM", 4), 0);
	ck_assert(!exists(dm.state));
	free(buf);
	ck_assert_int_eq(xen_dm_alive(&dm), 1);
	ck_assert_int_eq(monitor_end(pid, 1), 0);
	/* QEMU gone: nothing listens on its socket. */
	ck_assert_int_eq(xen_dm_alive(&dm), 0);
	/* A state file that was never written. */
	ck_assert_int_eq(xen_dm_take_state(&dm, &buf, &len), -ENOENT);
}
END_TEST

START_TEST(test_xendm_dm_fails)
{
	static const char *const dies[] = {
		"greet", "cmd qmp_capabilities", "ret {}",
		"cmd stop", "ret {}", "cmd xen-save-devices-state", "close",
		NULL
	};
	static const char *const refuses[] = {
		"greet", "cmd qmp_capabilities", "ret {}",
		"cmd xen-set-global-dirty-log", "err GenericError", "next",
		"greet", "cmd qmp_capabilities", "ret {}",
		"cmd stop", "ret {}", "cmd xen-save-devices-state",
		"err GenericError", "hang", NULL
	};
	struct xen_dm dm;
	uint8_t *buf;
	size_t len;
	pid_t pid;
	int fd;

	setup(&dm);
	pid = monitor_start(&dm, dies);
	ck_assert_int_eq(xen_dm_suspend(&dm), -EPIPE);
	ck_assert(!exists(dm.state));
	ck_assert(!exists(dm.lock));
	monitor_end(pid, 0);
	unlink(dm.sock);
	ck_assert_int_eq(xen_dm_logdirty(&dm, 0), -ENOENT);
	ck_assert(!exists(dm.lock));

	pid = monitor_start(&dm, refuses);
	ck_assert_int_eq(xen_dm_logdirty(&dm, 1), -EREMOTEIO);
	ck_assert_int_eq(xen_dm_suspend(&dm), -EREMOTEIO);
	ck_assert(!exists(dm.state));
	ck_assert(!exists(dm.lock));
	monitor_end(pid, 0);

	/* An empty state file is refused, and removed. */
	ck_assert_int_ge(fd = open(dm.state, O_WRONLY | O_CREAT, 0600), 0);
	close(fd);
	ck_assert_int_eq(xen_dm_take_state(&dm, &buf, &len), -ENODATA);
	ck_assert(!exists(dm.state));
}
END_TEST

START_TEST(test_xendm_xsdata)
{
	char *buf = NULL;
	size_t len = 0;

	ck_assert_int_eq(xen_dm_xsdata_append(&buf, &len,
	    "physmap/f0000000/start_addr", "f0000000"), 0);
	ck_assert_int_eq(xen_dm_xsdata_append(&buf, &len,
	    "physmap/f0000000/name", "vga.vram"), 0);
	ck_assert_uint_eq(len, 28 + 9 + 22 + 9);
	ck_assert_int_eq(memcmp(buf, "physmap/f0000000/start_addr\0f0000000\0"
	    "physmap/f0000000/name\0vga.vram\0", len), 0);
	free(buf);
}
END_TEST

/* The nodes of a QEMU serving /img/a.raw as xvda (and /img/b.raw). */
#define NODES	"ret [{\"node-name\": \"xvda\", \"drv\": \"raw\", " \
	"\"file\": \"/img/a.raw\"}, {\"node-name\": \"#block1\", " \
	"\"drv\": \"file\", \"file\": \"/img/a.raw\"}, " \
	"{\"node-name\": \"xvdb\", \"drv\": \"qcow2\", " \
	"\"file\": \"/img/b.raw\"}]"
#define HELLO	"greet", "cmd qmp_capabilities", "ret {}"
/* Nothing left by an earlier attempt: no export, no bitmap. */
#define CLEAN	"cmd query-block-exports", "ret []", \
	"cmd query-named-block-nodes", NODES

/* FMT with xmig's name NAME (its PID put in) for its "@", in buf. */
static const char *
has(char *buf, size_t len, const char *fmt, const char *name)
{
	const char *at = strchr(fmt, '@');

	ck_assert_ptr_nonnull(at);
	snprintf(buf, len, "%.*sxmig-%ld-%s%s", (int)(at - fmt), fmt,
	    (long)getpid(), name, at + 1);
	return buf;
}

START_TEST(test_xendm_qdisk)
{
	char b0[96], b0r[96], e0[96], r0[96], t0[160], t1[160];
	char d0r[96], m0[96], m0b[96], m1[96], d0[96], rd[96], bm[96];
	const char *script[] = {
		HELLO, "cmd query-named-block-nodes", "has \"flat\": true",
		NODES, CLEAN,
		"cmd block-dirty-bitmap-add", "has \"node\": \"xvda\"",
		has(b0, sizeof(b0), "has \"name\": \"@\"", "0-0"),
		"locked", "ret {}",
		"cmd nbd-server-start", "has \"type\": \"unix\"",
		"has /nbd.sock\"", "ret {}",
		"cmd block-export-add", "has \"node-name\": \"xvda\"",
		has(e0, sizeof(e0), "has \"name\": \"@\"", "0"),
		"has \"writable\": false",
		"ret {}", "next",
		/* A round: the bitmaps swap atomically, the old exported. */
		HELLO, "cmd transaction",
		has(t0, sizeof(t0), "has {\"type\": "
		"\"block-dirty-bitmap-disable\", \"data\": "
		"{\"node\": \"xvda\", \"name\": \"@\"}}", "0-0"),
		has(t1, sizeof(t1), "has {\"type\": "
		"\"block-dirty-bitmap-add\", \"data\": "
		"{\"node\": \"xvda\", \"name\": \"@\"}}", "0-1"),
		"ret {}",
		"cmd block-export-add",
		has(r0, sizeof(r0), "has \"name\": \"@\"", "0-0-round"),
		has(b0r, sizeof(b0r), "has \"bitmaps\": [\"@\"]", "0-0"),
		"ret {}", "next",
		HELLO, "cmd block-export-del",
		has(d0r, sizeof(d0r), "has \"id\": \"@\"", "0-0-round"),
		"has \"mode\": \"hard\"", "ret {}",
		/* Busy until QEMU has let the export go: asked again. */
		"cmd block-dirty-bitmap-remove",
		has(m0, sizeof(m0), "has \"name\": \"@\"", "0-0"),
		"err GenericError Bitmap is currently in use",
		"cmd block-dirty-bitmap-remove",
		has(m0b, sizeof(m0b), "has \"name\": \"@\"", "0-0"),
		"ret {}", "next",
		/* The end: the export, the server, the recording bitmap. */
		HELLO, "cmd block-export-del",
		has(d0, sizeof(d0), "has \"id\": \"@\"", "0"),
		"ret {}", "cmd nbd-server-stop", "ret {}",
		"cmd block-dirty-bitmap-remove",
		has(m1, sizeof(m1), "has \"name\": \"@\"", "0-1"),
		"ret {}", "close", NULL
	};
	struct xen_qdisk qd;
	struct xen_dm dm;
	char sock[200];
	pid_t pid;

	setup(&dm);
	snprintf(sock, sizeof(sock), "%s/nbd.sock", dir);
	pid = monitor_start(&dm, script);
	ck_assert_int_eq(xen_qdisk_start(&qd, &dm, 0, "/img/a.raw", sock), 0);
	ck_assert_str_eq(qd.node, "xvda");
	ck_assert(!exists(dm.lock));
	ck_assert_int_eq(xen_qdisk_round(&qd), 0);
	ck_assert_str_eq(qd.round, has(rd, sizeof(rd), "@", "0-0-round"));
	ck_assert_str_eq(qd.bitmap, has(bm, sizeof(bm), "@", "0-0"));
	/* One round at a time. */
	ck_assert_int_eq(xen_qdisk_round(&qd), -EINVAL);
	ck_assert_int_eq(xen_qdisk_round_end(&qd), 0);
	xen_qdisk_stop(&qd);
	ck_assert(!exists(dm.lock));
	/* Nothing left to take back: no more exchanges. */
	xen_qdisk_stop(&qd);
	ck_assert_int_eq(monitor_end(pid, 1), 0);
}
END_TEST

START_TEST(test_xendm_qdisk_fails)
{
	char m10[96], m00[96], exports[400], nodes[600], sib[96];
	static const char *const nonode[] = {
		HELLO, "cmd query-named-block-nodes", NODES, "next",
		HELLO, "cmd query-named-block-nodes", NODES, "close", NULL
	};
	/* The export refused: the server and the bitmap taken back. */
	const char *noexport[] = {
		HELLO, "cmd query-named-block-nodes", NODES, CLEAN,
		"cmd block-dirty-bitmap-add", "ret {}",
		"cmd nbd-server-start", "ret {}",
		"cmd block-export-add", "err GenericError", "next",
		HELLO, "cmd nbd-server-stop", "ret {}",
		"cmd block-dirty-bitmap-remove",
		has(m10, sizeof(m10), "has \"name\": \"@\"", "1-0"),
		"ret {}", "close", NULL
	};
	/*
	 * Left in QEMU: an export and a bitmap of an earlier attempt (PID
	 * 7) on this disk's node and one of another process's bitmaps on
	 * xvdb (removed), another disk's export of this process and an
	 * export not xmig's (kept).  That disk's server is used, not
	 * stopped; a round refused leaves the recording bitmap as it was,
	 * taken back at the end.
	 */
	const char *shared[] = {
		HELLO, "cmd query-named-block-nodes", NODES,
		"cmd query-block-exports", exports,
		"cmd block-export-del", "has \"id\": \"xmig-7-0\"", "ret {}",
		"cmd query-named-block-nodes", nodes,
		"cmd block-dirty-bitmap-remove", "has \"node\": \"xvda\"",
		"has \"name\": \"xmig-7-0-3\"", "ret {}",
		"cmd block-dirty-bitmap-remove", "has \"node\": \"xvdb\"",
		"has \"name\": \"xmig-0-0\"", "ret {}",
		"cmd block-dirty-bitmap-add", "ret {}",
		"cmd nbd-server-start",
		"err GenericError NBD server already running",
		"cmd block-export-add", "ret {}", "next",
		HELLO, "cmd transaction", "err GenericError", "next",
		HELLO, "cmd block-export-del", "ret {}",
		"cmd block-dirty-bitmap-remove",
		has(m00, sizeof(m00), "has \"name\": \"@\"", "0-0"),
		"ret {}", "close", NULL
	};
	struct xen_qdisk qd;
	struct xen_dm dm;
	char sock[200];
	pid_t pid;
	int fd;

	has(sib, sizeof(sib), "@", "1");
	snprintf(exports, sizeof(exports), "ret [{\"id\": \"xmig-7-0\", "
	    "\"node-name\": \"xvda\"}, {\"id\": \"%s\", \"node-name\": "
	    "\"xvdb\"}, {\"id\": \"theirs\", \"node-name\": \"xvda\"}]", sib);
	has(sib, sizeof(sib), "@", "1-0");
	snprintf(nodes, sizeof(nodes), "ret [{\"node-name\": \"xvda\", "
	    "\"dirty-bitmaps\": [{\"name\": \"xmig-7-0-3\"}, {\"name\": "
	    "\"theirs\"}]}, {\"node-name\": \"xvdb\", \"dirty-bitmaps\": "
	    "[{\"name\": \"%s\"}, {\"name\": \"xmig-0-0\"}]}]", sib);
	setup(&dm);
	snprintf(sock, sizeof(sock), "%s/nbd.sock", dir);
	pid = monitor_start(&dm, nonode);
	ck_assert_int_eq(xen_qdisk_start(&qd, &dm, 0, "/img/c.raw", sock),
	    -ENOENT);
	/* A qcow2 node: QEMU's view is not the file's bytes. */
	ck_assert_int_eq(xen_qdisk_start(&qd, &dm, 0, "/img/b.raw", sock),
	    -EOPNOTSUPP);
	ck_assert_int_eq(monitor_end(pid, 1), 0);
	/* A path that cannot go into JSON as it is: nothing is asked. */
	ck_assert_int_eq(xen_qdisk_start(&qd, &dm, 0, "/img/\"a", sock),
	    -EINVAL);

	pid = monitor_start(&dm, noexport);
	ck_assert_int_eq(xen_qdisk_start(&qd, &dm, 1, "/img/a.raw", sock),
	    -EREMOTEIO);
	ck_assert(!exists(dm.lock));
	ck_assert_int_eq(monitor_end(pid, 1), 0);

	ck_assert_int_ge(fd = open(sock, O_WRONLY | O_CREAT, 0600), 0);
	close(fd);
	pid = monitor_start(&dm, shared);
	ck_assert_int_eq(xen_qdisk_start(&qd, &dm, 0, "/img/a.raw", sock), 0);
	ck_assert_int_eq(qd.server, 0);
	ck_assert_int_eq(xen_qdisk_round(&qd), -EREMOTEIO);
	ck_assert_int_eq(xen_qdisk_round_end(&qd), 0);
	xen_qdisk_stop(&qd);
	ck_assert_int_eq(monitor_end(pid, 1), 0);
	ck_assert(exists(sock));
	unlink(sock);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("xendm");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_xendm_paths);
	tcase_add_test(tc, test_xendm_lock);
	tcase_add_test(tc, test_xendm_save);
	tcase_add_test(tc, test_xendm_dm_fails);
	tcase_add_test(tc, test_xendm_xsdata);
	tcase_add_test(tc, test_xendm_qdisk);
	tcase_add_test(tc, test_xendm_qdisk_fails);
	tcase_set_timeout(tc, 20);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
