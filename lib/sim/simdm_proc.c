/*
 * simdm_proc.c - the device model process of an HVM sim domain: start,
 * watch, kill, probe (see simdm.h).
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "be_sim.h"
#include "log.h"
#include "simdm.h"
#include "simhost.h"
#include "simproc.h"
#include "util.h"

#define SIMDM_SPAWN_TIMEOUT_MS	10000
#define SIMDM_PEEK_TIMEOUT_MS	2000
#define SIMDM_READY_MAX		512	/* bytes of "PID\nready\n" */

int
simdm_paths(const char *dir, uint32_t domid, char *qmp, char *dev,
    size_t len)
{
	struct sockaddr_un sun;

	if (len > sizeof(sun.sun_path))
		len = sizeof(sun.sun_path);
	if ((size_t)snprintf(qmp, len, "%s/domains/%u/dm-qmp.sock", dir,
	    domid) >= len || (size_t)snprintf(dev, len,
	    "%s/domains/%u/dm-dev.sock", dir, domid) >= len) {
		log_warnx("%s: too long for a device model's socket", dir);
		return -ENAMETOOLONG;
	}
	return 0;
}

int
simdm_main(const char *dir, uint32_t domid, const char *incoming,
    int ready_fd)
{
	struct simdm_params p = { .incoming = incoming, .ready_fd = ready_fd };
	char qmp[PATH_MAX], dev[PATH_MAX];

	if (simdm_paths(dir, domid, qmp, dev, sizeof(qmp)) != 0)
		return 1;
	p.qmp_path = qmp;
	p.dev_path = dev;
	return simdm_run(&p) == 0 ? 0 : 1;
}

/* The detached grandchild: tells its pid on 3, never returns. */
static void
simdm_child(const char *dir, uint32_t domid, const char *exe,
    const char *incoming, int ready)
{
	char id[16], path[PATH_MAX], pid[32];

	simproc_detach(dir, domid, "dm.log", ready);
	/*
	 * The pid file first, by the process itself: whoever started it may
	 * be killed at any moment from here on, and a destroy must still
	 * find it.
	 */
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if ((size_t)snprintf(path, sizeof(path), "%s/domains/%u/dm.pid",
	    dir, domid) >= sizeof(path) ||
	    util_write_atomic(path, pid, 0644) != 0) {
		log_warnx("domain %u: cannot write the device model's pid "
		    "file", domid);
		_exit(1);
	}
	dprintf(3, "%s", pid);
	if (exe != NULL) {
		snprintf(id, sizeof(id), "%u", domid);
		if (incoming != NULL)
			execl(exe, exe, "sim", "dm", "--sim-dir", dir,
			    "--domid", id, "--incoming", incoming,
			    "--ready-fd", "3", (char *)NULL);
		else
			execl(exe, exe, "sim", "dm", "--sim-dir", dir,
			    "--domid", id, "--ready-fd", "3", (char *)NULL);
		_exit(127);
	}
	(void)prctl(PR_SET_NAME, "xmig-simdm");
	log_init("xmig-simdm", 1, log_getlevel());
	_exit(simdm_main(dir, domid, incoming, 3));
}

/* Read what the device model says on the pipe until it closes it. */
static int
simdm_spawn_read(int fd, char *buf, size_t len)
{
	uint64_t deadline = util_now_ms() + SIMDM_SPAWN_TIMEOUT_MS;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t used = 0;
	int64_t left;
	ssize_t n;

	for (;;) {
		if ((left = (int64_t)(deadline - util_now_ms())) <= 0)
			return -ETIMEDOUT;
		if ((n = poll(&pfd, 1, (int)left)) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -ETIMEDOUT;
		if (used + 1 >= len)
			break;
		n = read(fd, buf + used, len - used - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
		buf[used] = '\0';
		if (strstr(buf, "ready\n") != NULL)
			break;
	}
	buf[used] = '\0';
	return 0;
}

int
simdm_spawn(struct simhost *h, uint32_t domid, const char *exe,
    const char *incoming, char *why, size_t whylen)
{
	char buf[SIMDM_READY_MAX], *nl;
	const char *dir = simhost_dir(h);
	pid_t child;
	int p[2], rc;

	snprintf(why, whylen, "the device model did not start");
	if (pipe2(p, O_CLOEXEC) == -1)
		return -errno;
	if ((child = fork()) == -1) {
		rc = -errno;
		log_warn("fork");
		close(p[0]);
		close(p[1]);
		return rc;
	}
	if (child == 0)
		simdm_child(dir, domid, exe, incoming, p[1]);
	close(p[1]);
	while (waitpid(child, NULL, 0) == -1 && errno == EINTR)
		;
	buf[0] = '\0';
	rc = simdm_spawn_read(p[0], buf, sizeof(buf));
	close(p[0]);
	/* First line: the pid, which the process wrote to dm.pid itself. */
	if ((nl = strchr(buf, '\n')) != NULL)
		memmove(buf, nl + 1, strlen(nl + 1) + 1);
	if (rc == 0 && strcmp(buf, "ready\n") == 0) {
		log_debug("domain %u: device model up", domid);
		return 0;
	}
	if (strncmp(buf, "refused: ", 9) == 0) {
		buf[strcspn(buf, "\n")] = '\0';
		snprintf(why, whylen, "the device model refused the state: "
		    "%s", buf + 9);
		rc = -EBADMSG;
	} else {
		snprintf(why, whylen, "the device model did not start%s (see "
		    "%s/domains/%u/dm.log)", rc == -ETIMEDOUT ?
		    " in time" : "", dir, domid);
		rc = rc != 0 ? rc : -EIO;
	}
	log_warnx("domain %u: %s", domid, why);
	(void)simdm_kill(h, domid);
	return rc;
}

int
simdm_alive(struct simhost *h, uint32_t domid)
{
	pid_t pid;

	return simproc_alive(h, domid, "dm.pid", &pid);
}

int
simdm_kill(struct simhost *h, uint32_t domid)
{
	return simproc_kill(h, domid, "dm.pid", "device model");
}

int
simdm_peek(struct simhost *h, uint32_t domid, uint64_t *reg, char *why,
    size_t whylen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char qmp[PATH_MAX], dev[PATH_MAX], buf[32];
	struct pollfd pfd;
	ssize_t n;
	size_t used = 0;
	int fd, rc;

	if ((rc = simdm_paths(simhost_dir(h), domid, qmp, dev,
	    sizeof(qmp))) != 0) {
		snprintf(why, whylen, "socket path too long");
		return rc;
	}
	(void)util_strlcpy(sun.sun_path, dev, sizeof(sun.sun_path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		rc = -errno;
		snprintf(why, whylen, "no device model: %s", strerror(-rc));
		goto out;
	}
	rc = -EPIPE;
	snprintf(why, whylen, "the device model did not answer");
	if (util_write_full(fd, "peek\n", 5) != 5)
		goto out;
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (memchr(buf, '\n', used) == NULL) {
		if (used + 1 >= sizeof(buf) ||
		    poll(&pfd, 1, SIMDM_PEEK_TIMEOUT_MS) <= 0 ||
		    (n = read(fd, buf + used, sizeof(buf) - 1 - used)) <= 0)
			goto out;
		used += (size_t)n;
	}
	buf[used] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (util_parse_uint(buf, 0, UINT64_MAX, reg) != 0) {
		snprintf(why, whylen, "the device model answered \"%s\"", buf);
		rc = -EPROTO;
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}
