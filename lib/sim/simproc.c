/*
 * simproc.c - a simulated domain's processes (see simproc.h).
 */
#include "config.h"

#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "simproc.h"
#include "util.h"

#define SIMPROC_KILL_TIMEOUT_MS	5000

int
simproc_alive(struct simhost *h, uint32_t domid, const char *pidfile,
    pid_t *pid)
{
	char buf[512], *nl, *rp;
	uint64_t v;
	int rc;

	rc = simhost_dom_read_file(h, domid, pidfile, buf, 32);
	if (rc != 0)
		return rc;
	if ((nl = strchr(buf, '\n')) != NULL)
		*nl = '\0';
	if (util_parse_uint(buf, 2, INT32_MAX, &v) != 0) {
		log_warnx("domain %u: bad %s \"%s\"", domid, pidfile, buf);
		return -EINVAL;
	}
	*pid = (pid_t)v;
	/* A zombie nobody reaped is dead too (pid 1 may not reap). */
	snprintf(buf, sizeof(buf), "/proc/%llu/stat", (unsigned long long)v);
	if ((rc = open(buf, O_RDONLY | O_CLOEXEC)) == -1)
		return -ESRCH;
	v = (uint64_t)read(rc, buf, sizeof(buf) - 1);
	close(rc);
	if ((ssize_t)v <= 0)
		return -ESRCH;
	buf[v] = '\0';
	if ((rp = strrchr(buf, ')')) == NULL || rp[1] != ' ' ||
	    rp[2] == 'Z' || rp[2] == 'X')
		return -ESRCH;
	return 0;
}

int
simproc_kill(struct simhost *h, uint32_t domid, const char *pidfile,
    const char *what)
{
	struct pollfd pfd;
	pid_t pid;
	int fd, rc;

	if ((rc = simproc_alive(h, domid, pidfile, &pid)) != 0)
		return rc == -ENOENT || rc == -ESRCH ? 0 : rc;
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (kill(pid, SIGKILL) == -1 && errno != ESRCH) {
		rc = -errno;
		log_warn("domain %u: kill %s %ld", domid, what, (long)pid);
		goto out;
	}
	if (fd == -1)
		goto out;	/* gone already, or an old kernel */
	pfd.fd = fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, SIMPROC_KILL_TIMEOUT_MS) == 0) {
		log_warnx("domain %u: %s %ld did not die", domid, what,
		    (long)pid);
		rc = -ETIMEDOUT;
	}
out:
	if (fd != -1)
		close(fd);
	return rc;
}

void
simproc_detach(const char *dir, uint32_t domid, const char *logleaf,
    int ready)
{
	char log[PATH_MAX];
	sigset_t all;
	int fd, sig;

	if (setsid() == -1 || fork() != 0)
		_exit(0);
	/* Nothing of the parent's signal set-up (xmigd's, a test's). */
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)signal(sig, SIG_DFL);
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, 0);
		dup2(fd, 1);
	}
	snprintf(log, sizeof(log), "%s/domains/%u/%s", dir, domid, logleaf);
	if ((fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600)) != -1)
		dup2(fd, 2);
	if (ready == 3)
		fcntl(3, F_SETFD, 0);
	else
		dup2(ready, 3);
	close_range(4, ~0U, 0);
}
