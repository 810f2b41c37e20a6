/*
 * throttle.c - apply the auto-converge throttle and guard its removal.
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "throttle.h"
#include "util.h"

#define THROTTLE_DONE	'd'	/* to the guard: given back, just end */

void
throttle_init(struct throttle *t, struct backend *be,
    const struct dom_info *d)
{
	const char *dir = NULL;

	memset(t, 0, sizeof(*t));
	t->be = be;
	t->domid = d->domid;
	memcpy(t->uuid, d->uuid, sizeof(t->uuid));
	/* The sim backend's state directory is its host's directory. */
	if (be->ops->state_dir != NULL)
		dir = be->ops->state_dir(be);
	if (dir != NULL)
		util_strlcpy(t->dir, dir, sizeof(t->dir));
	t->guard = -1;
	t->guard_fd = -1;
}

/*
 * The guard, in its own process: wait until xmig says it is done or
 * ends; in the second case give the domain its own limit back, through
 * a backend of its own (a library handle is not carried over a fork).
 */
static void __attribute__((noreturn))
throttle_guard(const struct throttle *t, int fd)
{
	struct backend be;
	struct dom_info d;
	char c = 0;
	ssize_t n;
	long i, max;
	int null;

	(void)prctl(PR_SET_NAME, "xmig-throttle");
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	/*
	 * Nothing of xmig's but the pipe and stderr: a connection held
	 * open here would hide xmig's end from its peer, and stdout from
	 * whoever reads it.
	 */
	if ((null = open("/dev/null", O_RDWR)) != -1) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
	}
	if (dup2(fd, 3) != 3)
		_exit(1);
	if (close_range(4, ~0U, 0) != 0)
		for (max = sysconf(_SC_OPEN_MAX), i = 4; i < max; i++)
			close((int)i);
	do
		n = read(3, &c, 1);
	while (n == -1 && errno == EINTR);
	if (n == 1 && c == THROTTLE_DONE)
		_exit(0);
	if (backend_open(&be, t->be->ops->name, t->dir[0] ? t->dir : NULL)
	    != 0)
		_exit(1);
	if (be.ops->info(&be, t->domid, &d) == 0 &&
	    memcmp(d.uuid, t->uuid, sizeof(d.uuid)) == 0 &&
	    be.ops->throttle_set(&be, t->domid, 0, t->orig) == 0)
		log_info("domain %u: xmig ended; its throttle was removed",
		    t->domid);
	backend_close(&be);
	_exit(0);
}

static int
throttle_guard_start(struct throttle *t)
{
	int p[2], rc;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) == -1)
		return -errno;
	if ((pid = fork()) == -1) {
		rc = -errno;
		log_warn("fork");
		close(p[0]);
		close(p[1]);
		return rc;
	}
	if (pid == 0) {
		close(p[1]);
		throttle_guard(t, p[0]);
	}
	close(p[0]);
	t->guard = pid;
	t->guard_fd = p[1];
	return 0;
}

/* Tell the guard (done: it was given back) and wait for it to end. */
static void
throttle_guard_stop(struct throttle *t, int done)
{
	char c = THROTTLE_DONE;

	if (t->guard_fd != -1) {
		if (done)
			(void)util_write_full(t->guard_fd, &c, 1);
		close(t->guard_fd);
	}
	if (t->guard > 0)
		while (waitpid(t->guard, NULL, 0) == -1 && errno == EINTR)
			;
	t->guard = -1;
	t->guard_fd = -1;
}

int
throttle_apply(struct throttle *t, unsigned pct)
{
	const struct backend_ops *ops = t->be->ops;
	int rc;

	if (pct == 0 || pct > 99)
		return -EINVAL;
	if (ops->throttle_get == NULL || ops->throttle_set == NULL)
		return -EOPNOTSUPP;
	if (!t->held) {
		if ((rc = ops->throttle_get(t->be, t->domid, &t->orig)) != 0)
			return rc;
		if ((rc = throttle_guard_start(t)) != 0) {
			log_warnx("domain %u: cannot start the throttle's "
			    "guard: %s", t->domid, strerror(-rc));
			return rc;
		}
		t->held = 1;
	}
	if ((rc = ops->throttle_set(t->be, t->domid, pct, t->orig)) != 0)
		return rc;
	log_info("domain %u: throttled by %u%% (auto-converge)", t->domid,
	    pct);
	t->pct = pct;
	if (pct > t->max_pct)
		t->max_pct = pct;
	return 0;
}

int
throttle_release(struct throttle *t)
{
	int rc;

	if (!t->held)
		return 0;
	rc = t->be->ops->throttle_set(t->be, t->domid, 0, t->orig);
	if (rc == 0 && t->pct != 0)
		log_info("domain %u: throttle removed", t->domid);
	/* A domain gone (destroyed) has nothing left to give back. */
	throttle_guard_stop(t, rc == 0 || rc == -ESRCH);
	t->held = 0;
	t->pct = 0;
	return rc == -ESRCH ? 0 : rc;
}
