/*
 * xs_conformance.c - drive a xenstore server through the real
 * libxenstore and check what it answers.  Used by
 * tests/e2e/simxs-conformance.sh against the simulated host's server.
 *
 *   xs_conformance SIMDIR basic     every request type, perms, watches,
 *                                   conflicting transactions, domains
 *   xs_conformance SIMDIR sigusr1   SIGUSR1 to the server fires
 *                                   @releaseDomain
 *   xs_conformance SIMDIR guest     a process named in
 *                                   SIMDIR/domains/5/guest.pid is dom5
 *
 * XENSTORED_PATH is set to SIMDIR/xenstored.sock.  Prints one line per
 * check; exits 0 when all pass, 1 otherwise.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xenstore.h>

static int failures;

#define CHECK(cond, what) do {						\
	if (cond)							\
		printf("ok: %s\n", what);				\
	else {								\
		printf("FAIL: %s (errno %d %s) at line %d\n", what,	\
		    errno, strerror(errno), __LINE__);			\
		failures++;						\
	}								\
} while (0)

static bool
read_is(struct xs_handle *h, xs_transaction_t t, const char *path,
    const char *want)
{
	unsigned int len;
	char *v = xs_read(h, t, path, &len);
	bool ok = v != NULL && len == strlen(want) && strcmp(v, want) == 0;

	free(v);
	return ok;
}

/* Wait (up to 5 s) for a watch event; true when it has path and token. */
static bool
event_is(struct xs_handle *h, const char *path, const char *token)
{
	struct pollfd pfd = { .fd = xs_fileno(h), .events = POLLIN };
	unsigned int n;
	char **ev;
	bool ok;

	if (poll(&pfd, 1, 5000) != 1)
		return false;
	if ((ev = xs_read_watch(h, &n)) == NULL)
		return false;
	ok = strcmp(ev[XS_WATCH_PATH], path) == 0 &&
	    strcmp(ev[XS_WATCH_TOKEN], token) == 0;
	if (!ok)
		printf("   event %s %s, wanted %s %s\n", ev[XS_WATCH_PATH],
		    ev[XS_WATCH_TOKEN], path, token);
	free(ev);
	return ok;
}

/* No event within 200 ms. */
static bool
no_event(struct xs_handle *h)
{
	struct pollfd pfd = { .fd = xs_fileno(h), .events = POLLIN };

	return poll(&pfd, 1, 200) == 0;
}

static void
check_tree(struct xs_handle *h)
{
	unsigned int n;
	char **dir;

	CHECK(xs_write(h, XBT_NULL, "/test/a/b", "hello", 5), "write creates");
	CHECK(read_is(h, XBT_NULL, "/test/a/b", "hello"), "read back");
	CHECK(read_is(h, XBT_NULL, "/test/a", ""), "parent made empty");
	CHECK(xs_mkdir(h, XBT_NULL, "/test/a/c"), "mkdir");
	CHECK(xs_mkdir(h, XBT_NULL, "/test/a/b"), "mkdir existing is fine");
	CHECK(read_is(h, XBT_NULL, "/test/a/b", "hello"), "mkdir kept value");
	dir = xs_directory(h, XBT_NULL, "/test/a", &n);
	CHECK(dir != NULL && n == 2 && strcmp(dir[0], "b") == 0 &&
	    strcmp(dir[1], "c") == 0, "directory lists children");
	free(dir);
	CHECK(xs_read(h, XBT_NULL, "/test/none", &n) == NULL &&
	    errno == ENOENT, "read missing: ENOENT");
	CHECK(xs_write(h, XBT_NULL, "/test/bad//path", "", 0) == false &&
	    errno == EINVAL, "bad path: EINVAL");
	CHECK(xs_rm(h, XBT_NULL, "/test/a"), "rm subtree");
	CHECK(xs_read(h, XBT_NULL, "/test/a/b", &n) == NULL &&
	    errno == ENOENT, "rm removed children");
	CHECK(xs_rm(h, XBT_NULL, "/test/a"), "rm missing node is fine");
	CHECK(!xs_rm(h, XBT_NULL, "/test/x/y") && errno == ENOENT,
	    "rm without parent: ENOENT");
}

static void
check_perms(struct xs_handle *h)
{
	struct xs_permissions set[2] = {
		{ .id = 3, .perms = XS_PERM_NONE },
		{ .id = 7, .perms = XS_PERM_READ },
	};
	struct xs_permissions *got;
	unsigned int n;

	CHECK(xs_write(h, XBT_NULL, "/test/p", "v", 1), "write for perms");
	got = xs_get_permissions(h, XBT_NULL, "/test/p", &n);
	CHECK(got != NULL && n == 1 && got[0].id == 0 &&
	    got[0].perms == XS_PERM_NONE, "inherited perms n0");
	free(got);
	CHECK(xs_set_permissions(h, XBT_NULL, "/test/p", set, 2), "set perms");
	got = xs_get_permissions(h, XBT_NULL, "/test/p", &n);
	CHECK(got != NULL && n == 2 && got[0].id == 3 &&
	    got[0].perms == XS_PERM_NONE && got[1].id == 7 &&
	    got[1].perms == XS_PERM_READ, "perms read back");
	free(got);
}

static void
check_watches(struct xs_handle *h)
{
	CHECK(xs_watch(h, "/test/w", "tok"), "watch");
	CHECK(event_is(h, "/test/w", "tok"), "initial event");
	CHECK(xs_write(h, XBT_NULL, "/test/w/child", "1", 1), "write child");
	CHECK(event_is(h, "/test/w/child", "tok"), "child event");
	CHECK(xs_write(h, XBT_NULL, "/test/other", "1", 1), "write elsewhere");
	CHECK(no_event(h), "no event elsewhere");
	CHECK(xs_rm(h, XBT_NULL, "/test/w"), "rm watched");
	/* As xenstored: the removed root fires, children only exactly. */
	CHECK(event_is(h, "/test/w", "tok"), "rm event");
	CHECK(no_event(h), "no event per removed child");
	CHECK(!xs_watch(h, "/test/w", "tok") && errno == EEXIST,
	    "same watch twice: EEXIST");
	CHECK(xs_unwatch(h, "/test/w", "tok"), "unwatch");
	CHECK(!xs_unwatch(h, "/test/w", "tok") && errno == ENOENT,
	    "unwatch twice: ENOENT");
}

static void
check_transactions(struct xs_handle *h1, struct xs_handle *h2)
{
	xs_transaction_t t1, t2;

	CHECK(xs_write(h1, XBT_NULL, "/test/tx", "0", 1), "tx setup");
	t1 = xs_transaction_start(h1);
	t2 = xs_transaction_start(h2);
	CHECK(t1 != XBT_NULL && t2 != XBT_NULL && t1 != t2, "two tx");
	CHECK(read_is(h1, t1, "/test/tx", "0") &&
	    read_is(h2, t2, "/test/tx", "0"), "both read");
	CHECK(xs_write(h1, t1, "/test/tx", "1", 1) &&
	    xs_write(h2, t2, "/test/tx", "2", 1), "both write");
	CHECK(read_is(h1, XBT_NULL, "/test/tx", "0"), "tx writes isolated");
	CHECK(xs_transaction_end(h1, t1, false), "first commit");
	CHECK(!xs_transaction_end(h2, t2, false) && errno == EAGAIN,
	    "second commit: EAGAIN");
	CHECK(read_is(h2, XBT_NULL, "/test/tx", "1"), "first one won");
	t2 = xs_transaction_start(h2);
	CHECK(xs_write(h2, t2, "/test/tx", "3", 1), "write then abort");
	CHECK(xs_transaction_end(h2, t2, true), "abort");
	CHECK(read_is(h2, XBT_NULL, "/test/tx", "1"), "abort kept value");
	t1 = xs_transaction_start(h1);
	CHECK(xs_write(h1, t1, "/test/txnew/x", "n", 1), "tx creates");
	CHECK(xs_rm(h1, t1, "/test/other"), "tx removes");
	CHECK(xs_transaction_end(h1, t1, false), "commit without conflict");
	CHECK(read_is(h2, XBT_NULL, "/test/txnew/x", "n"), "created seen");
	CHECK(xs_read(h2, XBT_NULL, "/test/other", NULL) == NULL &&
	    errno == ENOENT, "removed seen");
}

static void
check_domains(struct xs_handle *h)
{
	char *p;

	CHECK(xs_watch(h, "@introduceDomain", "intro"), "watch intro");
	CHECK(event_is(h, "@introduceDomain", "intro"), "intro initial");
	CHECK(xs_watch(h, "@releaseDomain", "rel"), "watch release");
	CHECK(event_is(h, "@releaseDomain", "rel"), "release initial");
	CHECK(!xs_is_domain_introduced(h, 9), "9 not introduced");
	CHECK(xs_introduce_domain(h, 9, 0x1234, 5), "introduce 9");
	CHECK(event_is(h, "@introduceDomain", "intro"), "intro event");
	CHECK(xs_is_domain_introduced(h, 9), "9 introduced");
	p = xs_get_domain_path(h, 9);
	CHECK(p != NULL && strcmp(p, "/local/domain/9") == 0,
	    "domain path");
	free(p);
	CHECK(xs_release_domain(h, 9), "release 9");
	CHECK(event_is(h, "@releaseDomain", "rel"), "release event");
	CHECK(!xs_is_domain_introduced(h, 9), "9 released");
	CHECK(xs_unwatch(h, "@introduceDomain", "intro") &&
	    xs_unwatch(h, "@releaseDomain", "rel"), "unwatch specials");
}

static int
run_basic(void)
{
	struct xs_handle *h1 = xs_open(0), *h2 = xs_open(0);

	if (h1 == NULL || h2 == NULL) {
		printf("FAIL: xs_open: %s\n", strerror(errno));
		return 1;
	}
	check_tree(h1);
	check_perms(h1);
	check_watches(h1);
	check_transactions(h1, h2);
	check_domains(h1);
	xs_close(h1);
	xs_close(h2);
	return failures ? 1 : 0;
}

static int
run_sigusr1(const char *simdir)
{
	struct xs_handle *h = xs_open(0);
	char path[4096];
	FILE *f;
	long pid = 0;

	snprintf(path, sizeof(path), "%s/xenstored.pid", simdir);
	if (h == NULL || (f = fopen(path, "r")) == NULL ||
	    fscanf(f, "%ld", &pid) != 1) {
		printf("FAIL: setup: %s\n", strerror(errno));
		return 1;
	}
	fclose(f);
	CHECK(xs_watch(h, "@releaseDomain", "virq"), "watch release");
	CHECK(event_is(h, "@releaseDomain", "virq"), "initial event");
	CHECK(kill((pid_t)pid, SIGUSR1) == 0, "SIGUSR1 to the server");
	CHECK(event_is(h, "@releaseDomain", "virq"), "VIRQ_DOM_EXC event");
	xs_close(h);
	return failures ? 1 : 0;
}

/* In the guest process: checks as domain 5; exit status = failures. */
static void __attribute__((noreturn))
guest_checks(int go_fd)
{
	struct xs_handle *h;
	unsigned int n;
	char c;

	if (read(go_fd, &c, 1) != 1)
		_exit(99);
	if ((h = xs_open(0)) == NULL)
		_exit(98);
	CHECK(xs_read(h, XBT_NULL, "/test/secret", &n) == NULL &&
	    errno == EACCES, "guest: dom0 node: EACCES");
	CHECK(!xs_write(h, XBT_NULL, "/test/secret", "x", 1) &&
	    errno == EACCES, "guest: write dom0 node: EACCES");
	CHECK(xs_write(h, XBT_NULL, "/local/domain/5/data/x", "1", 1),
	    "guest: write own subtree");
	CHECK(xs_write(h, XBT_NULL, "data/y", "2", 1) &&
	    read_is(h, XBT_NULL, "/local/domain/5/data/y", "2"),
	    "guest: relative path");
	CHECK(!xs_write(h, XBT_NULL, "/local/domain/6/x", "1", 1) &&
	    errno == EACCES, "guest: other domain: EACCES");
	CHECK(!xs_introduce_domain(h, 7, 1, 1) && errno == EACCES,
	    "guest: introduce: EACCES");
	xs_close(h);
	fflush(stdout);
	_exit(failures);
}

static int
run_guest(const char *simdir)
{
	struct xs_permissions own = { .id = 5, .perms = XS_PERM_NONE };
	struct xs_handle *h = xs_open(0);
	struct xs_permissions *got;
	char path[4096];
	int go[2], status;
	unsigned int n;
	FILE *f;
	pid_t pid;

	if (h == NULL || pipe(go) != 0)
		return 1;
	CHECK(xs_write(h, XBT_NULL, "/test/secret", "s", 1) &&
	    xs_mkdir(h, XBT_NULL, "/local/domain/5") &&
	    xs_set_permissions(h, XBT_NULL, "/local/domain/5", &own, 1),
	    "dom0 setup");
	fflush(stdout);
	if ((pid = fork()) == 0) {
		close(go[1]);
		guest_checks(go[0]);
	}
	close(go[0]);
	snprintf(path, sizeof(path), "%s/domains", simdir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/domains/5", simdir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/domains/5/guest.pid", simdir);
	if ((f = fopen(path, "w")) == NULL)
		return 1;
	fprintf(f, "%ld\n", (long)pid);
	fclose(f);
	if (write(go[1], "g", 1) != 1)
		return 1;
	close(go[1]);
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "guest checks passed");
	got = xs_get_permissions(h, XBT_NULL, "/local/domain/5/data/x", &n);
	CHECK(got != NULL && got[0].id == 5, "guest owns what it created");
	free(got);
	unlink(path);
	xs_close(h);
	return failures ? 1 : 0;
}

int
main(int argc, char **argv)
{
	char sock[4096];

	if (argc != 3) {
		fprintf(stderr, "usage: xs_conformance SIMDIR "
		    "basic|sigusr1|guest\n");
		return 2;
	}
	snprintf(sock, sizeof(sock), "%s/xenstored.sock", argv[1]);
	setenv("XENSTORED_PATH", sock, 1);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(argv[2], "basic") == 0)
		return run_basic();
	if (strcmp(argv[2], "sigusr1") == 0)
		return run_sigusr1(argv[1]);
	if (strcmp(argv[2], "guest") == 0)
		return run_guest(argv[1]);
	fprintf(stderr, "xs_conformance: unknown suite %s\n", argv[2]);
	return 2;
}
