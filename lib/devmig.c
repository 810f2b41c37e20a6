/*
 * devmig.c - run device migrate handlers.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "devmig.h"
#include "log.h"
#include "util.h"

/* Add the devices of one backend type that have an executable handler. */
static void
devmig_scan_type(struct devmig *dm, struct xs_handle *xs, const char *type)
{
	char path[256], handler[4200];
	unsigned int i, n;
	char **ids;

	if (strlen(type) >= sizeof(dm->devs[0].type))
		return;
	snprintf(handler, sizeof(handler), "%s/%s", dm->dir, type);
	if (access(handler, X_OK) != 0)
		return;
	snprintf(path, sizeof(path), "/local/domain/0/backend/%s/%u", type,
	    dm->domid);
	if ((ids = xs_directory(xs, XBT_NULL, path, &n)) == NULL)
		return;
	for (i = 0; i < n && dm->ndev < DEVMIG_MAX; i++) {
		if (strlen(ids[i]) >= sizeof(dm->devs[0].id))
			continue;
		snprintf(dm->devs[dm->ndev].type, sizeof(dm->devs[0].type),
		    "%s", type);
		snprintf(dm->devs[dm->ndev].id, sizeof(dm->devs[0].id), "%s",
		    ids[i]);
		dm->ndev++;
	}
	free(ids);
}

int
devmig_init(struct devmig *dm, struct xs_handle *xs, const char *dir,
    unsigned timeout_s, uint32_t domid, const char *domain, const char *host)
{
	unsigned int i, n;
	char **types;

	memset(dm, 0, sizeof(*dm));
	dm->reached = -1;
	dm->timeout_s = timeout_s;
	dm->domid = domid;
	if (util_strlcpy(dm->dir, dir, sizeof(dm->dir)) != 0 ||
	    util_strlcpy(dm->domain, domain, sizeof(dm->domain)) != 0 ||
	    util_strlcpy(dm->host, host, sizeof(dm->host)) != 0) {
		log_warnx("device migrate: name too long");
		return -ENAMETOOLONG;
	}
	types = xs_directory(xs, XBT_NULL, "/local/domain/0/backend", &n);
	if (types == NULL)
		return 0;	/* no backends at all */
	for (i = 0; i < n; i++)
		devmig_scan_type(dm, xs, types[i]);
	free(types);
	if (dm->ndev > 0)
		log_debug("device migrate: %zu device(s) with handlers",
		    dm->ndev);
	return 0;
}

/* Wait for pid with a timeout; returns its wait status or -ETIMEDOUT. */
static int
devmig_wait(pid_t pid, unsigned timeout_s)
{
	uint64_t deadline = util_now_ms() + (uint64_t)timeout_s * 1000;
	struct pollfd pfd = { .events = POLLIN };
	int status, pidfd;

	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	for (;;) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			if (pidfd >= 0)
				close(pidfd);
			return status;
		}
		if ((int64_t)(deadline - util_now_ms()) <= 0)
			break;
		if (pidfd >= 0) {
			pfd.fd = pidfd;
			poll(&pfd, 1, (int)(deadline - util_now_ms()));
		} else
			poll(NULL, 0, 20);	/* no pidfd: old kernel */
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	if (pidfd >= 0)
		close(pidfd);
	return -ETIMEDOUT;
}

/* Run one handler; its first output line goes to why. */
static int
devmig_run(struct devmig *dm, const struct devmig_dev *d, int step,
    int recover, char *why, size_t whylen)
{
	char handler[4200], stepstr[8], domid[16];
	char *argv[16];
	int out[2], status, argc = 0;
	ssize_t n;
	pid_t pid;

	snprintf(handler, sizeof(handler), "%s/%s", dm->dir, d->type);
	snprintf(stepstr, sizeof(stepstr), "%d", step);
	snprintf(domid, sizeof(domid), "%u", dm->domid);
	argv[argc++] = handler;
	argv[argc++] = (char *)"--step";
	argv[argc++] = stepstr;
	argv[argc++] = (char *)"--type";
	argv[argc++] = (char *)d->type;
	argv[argc++] = (char *)"--device";
	argv[argc++] = (char *)d->id;
	argv[argc++] = (char *)"--domain";
	argv[argc++] = dm->domain;
	argv[argc++] = (char *)"--domid";
	argv[argc++] = domid;
	argv[argc++] = (char *)"--host";
	argv[argc++] = dm->host;
	if (recover)
		argv[argc++] = (char *)"--recover";
	argv[argc] = NULL;

	if (pipe2(out, O_CLOEXEC) != 0)
		return -errno;
	if ((pid = fork()) < 0) {
		close(out[0]);
		close(out[1]);
		return -errno;
	}
	if (pid == 0) {
		dup2(out[1], STDOUT_FILENO);
		dup2(out[1], STDERR_FILENO);
		execv(handler, argv);
		_exit(127);
	}
	close(out[1]);
	status = devmig_wait(pid, dm->timeout_s);
	/* The handler has exited: read what it said without blocking. */
	util_set_nonblock(out[0], 1);
	n = read(out[0], why, whylen - 1);
	why[n > 0 ? n : 0] = '\0';
	why[strcspn(why, "\n")] = '\0';
	close(out[0]);
	if (status == -ETIMEDOUT) {
		snprintf(why, whylen, "handler %s timed out after %u s",
		    handler, dm->timeout_s);
		return -ETIMEDOUT;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (why[0] == '\0')
		snprintf(why, whylen, "handler %s %s %d", handler,
		    WIFEXITED(status) ? "exited with" : "killed by signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) :
		    WTERMSIG(status));
	return -EPERM;
}

int
devmig_step(struct devmig *dm, int step, char *why, size_t whylen)
{
	size_t i;
	int rc;

	dm->reached = step;
	for (i = 0; i < dm->ndev; i++) {
		rc = devmig_run(dm, &dm->devs[i], step, 0, why, whylen);
		if (rc != 0) {
			log_warnx("device %s/%s: migrate step %d %s: %s",
			    dm->devs[i].type, dm->devs[i].id, step,
			    step == 0 && rc == -EPERM ? "refused" : "failed",
			    why);
			return rc;
		}
	}
	return 0;
}

void
devmig_recover(struct devmig *dm)
{
	char why[256];
	size_t i;

	if (dm->reached < 0)
		return;
	for (i = 0; i < dm->ndev; i++)
		if (devmig_run(dm, &dm->devs[i], dm->reached, 1, why,
		    sizeof(why)) != 0)
			log_warnx("device %s/%s: recover after step %d failed: "
			    "%s", dm->devs[i].type, dm->devs[i].id,
			    dm->reached, why);
}
