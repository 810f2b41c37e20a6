/*
 * xen_dm.c - an HVM guest's QEMU over QMP during a save (see xen_dm.h):
 * libxl's monitor lock, the log-dirty switch, stop and the device-state
 * file.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen_dm.h"
#include "fault.h"
#include "log.h"
#include "qmpclient.h"
#include "util.h"
#include "uuid.h"

#define XEN_DM_LOCK_POLL_US	10000

static int
xen_dm_fmt(size_t len, const char *what, int n)
{
	if (n < 0 || (size_t)n >= len) {
		log_warnx("xen: the path of %s is too long", what);
		return -ENAMETOOLONG;
	}
	return 0;
}

int
xen_dm_init(struct xen_dm *dm, uint32_t domid, const uint8_t uuid[16],
    const char *run_dir, const char *lib_dir)
{
	char u[UUID_STR_LEN];
	int rc;

	memset(dm, 0, sizeof(*dm));
	dm->domid = domid;
	dm->timeout_ms = 10000;		/* libxl's for the log-dirty switch */
	dm->save_timeout_ms = 60000;
	uuid_fmt(uuid, u);
	if ((rc = xen_dm_fmt(sizeof(dm->sock), "QEMU's monitor",
	    snprintf(dm->sock, sizeof(dm->sock), "%s/qmp-libxl-%u", run_dir,
	    domid))) != 0 ||
	    (rc = xen_dm_fmt(sizeof(dm->lock), "the monitor lock",
	    snprintf(dm->lock, sizeof(dm->lock),
	    "%s/userdata-l.%u.%s.qmp-socket-lock", lib_dir, domid, u))) != 0 ||
	    (rc = xen_dm_fmt(sizeof(dm->state), "the state file",
	    snprintf(dm->state, sizeof(dm->state), "%s/qemu-save.%u", lib_dir,
	    domid))) != 0)
		return rc;
	return 0;
}

/* Is the file still the one at "path" (a holder unlinks it on release)? */
static int
xen_dm_lock_current(const char *path, int fd)
{
	struct stat st, fst;

	if (fstat(fd, &fst) != 0)
		return -errno;
	if (stat(path, &st) != 0)
		return errno == ENOENT ? 0 : -errno;
	return st.st_dev == fst.st_dev && st.st_ino == fst.st_ino;
}

int
xen_dm_lock(const char *path, int timeout_ms, int *out)
{
	uint64_t deadline = util_now_ms() + (uint64_t)timeout_ms;
	int fd, rc;

	for (;;) {
		if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC,
		    0666)) < 0) {
			rc = -errno;
			log_warn("xen: cannot open the monitor lock %s", path);
			return rc;
		}
		while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
			rc = -errno;
			if (rc == -EINTR)
				continue;
			if (rc != -EWOULDBLOCK) {
				log_warn("xen: cannot lock %s", path);
				goto fail;
			}
			if (util_now_ms() >= deadline) {
				log_warnx("xen: %s is held by another "
				    "toolstack (xl?) for over %d ms", path,
				    timeout_ms);
				rc = -ETIMEDOUT;
				goto fail;
			}
			usleep(XEN_DM_LOCK_POLL_US);
		}
		if ((rc = xen_dm_lock_current(path, fd)) == 1) {
			*out = fd;
			return 0;
		}
		if (rc < 0) {
			log_warn("xen: cannot check the monitor lock %s", path);
			goto fail;
		}
		/* Released and removed while we waited: take the new one. */
		close(fd);
	}
fail:
	close(fd);
	return rc;
}

void
xen_dm_unlock(const char *path, int fd)
{
	if (fd < 0)
		return;
	/* As libxl: unlink before unlock, so a waiter sees it is stale. */
	(void)unlink(path);
	(void)flock(fd, LOCK_UN);
	close(fd);
}

int
xen_dm_open(const struct xen_dm *dm, struct xen_dm_conn *c)
{
	char why[256];
	int rc;

	c->q = NULL;
	if ((rc = xen_dm_lock(dm->lock, dm->timeout_ms, &c->lockfd)) != 0) {
		c->lockfd = -1;
		return rc;
	}
	if ((rc = qmpclient_open(&c->q, dm->sock, dm->timeout_ms, why,
	    sizeof(why))) != 0) {
		log_warnx("xen: domain %u's device model: %s", dm->domid, why);
		xen_dm_unlock(dm->lock, c->lockfd);
		c->lockfd = -1;
	}
	return rc;
}

void
xen_dm_close(const struct xen_dm *dm, struct xen_dm_conn *c)
{
	qmpclient_close(c->q);
	c->q = NULL;
	xen_dm_unlock(dm->lock, c->lockfd);
	c->lockfd = -1;
}

int
xen_dm_call(const struct xen_dm *dm, struct xen_dm_conn *c, const char *name,
    const char *args, struct qmp_msg *reply, char *why, size_t whylen)
{
	if (c->q == NULL) {
		snprintf(why, whylen, "not connected");
		return -ENOTCONN;
	}
	return qmpclient_execute(c->q, name, args, dm->timeout_ms, reply, why,
	    whylen);
}

int
xen_dm_exec(const struct xen_dm *dm, struct xen_dm_conn *c, const char *name,
    const char *args, int timeout_ms)
{
	char why[512];
	int rc;

	rc = qmpclient_execute(c->q, name, args, timeout_ms, NULL, why,
	    sizeof(why));
	if (rc != 0)
		log_warnx("xen: domain %u's device model: %s", dm->domid, why);
	return rc;
}

int
xen_dm_logdirty(const struct xen_dm *dm, int enable)
{
	struct xen_dm_conn c;
	int rc;

	if ((rc = xen_dm_open(dm, &c)) != 0)
		return rc;
	rc = xen_dm_exec(dm, &c, "xen-set-global-dirty-log", enable ?
	    "{\"enable\": true}" : "{\"enable\": false}", dm->timeout_ms);
	xen_dm_close(dm, &c);
	return rc;
}

int
xen_dm_json_safe(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20)
			return 0;
	return 1;
}

int
xen_dm_suspend(const struct xen_dm *dm)
{
	struct xen_dm_conn c;
	char args[XEN_DM_PATH_MAX + 64];
	int fd, rc, major, minor;

	if (!xen_dm_json_safe(dm->state)) {
		log_warnx("xen: unusual characters in %s", dm->state);
		return -EINVAL;
	}
	if ((rc = xen_dm_open(dm, &c)) != 0)
		return rc;
	if ((rc = xen_dm_exec(dm, &c, "stop", NULL, dm->timeout_ms)) != 0)
		goto out;
	/* Created here, so that it has our mode whoever QEMU runs as. */
	if ((fd = open(dm->state, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) < 0) {
		rc = -errno;
		log_warn("xen: cannot create %s", dm->state);
		goto out;
	}
	close(fd);
	fault_point("xen-dm-before-save", -1);
	/* "live" came with QEMU 2.11; libxl leaves it out before. */
	qmpclient_version(c.q, &major, &minor);
	if (major > 2 || (major == 2 && minor >= 11))
		snprintf(args, sizeof(args), "{\"filename\": \"%s\", "
		    "\"live\": false}", dm->state);
	else
		snprintf(args, sizeof(args), "{\"filename\": \"%s\"}",
		    dm->state);
	rc = xen_dm_exec(dm, &c, "xen-save-devices-state", args,
	    dm->save_timeout_ms);
	if (rc != 0)
		xen_dm_discard_state(dm);
out:
	xen_dm_close(dm, &c);
	return rc;
}

int
xen_dm_take_state(const struct xen_dm *dm, uint8_t **buf, size_t *len)
{
	struct stat st;
	uint8_t *p = NULL;
	ssize_t n;
	int fd, rc;

	if ((fd = open(dm->state, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = -errno;
		log_warn("xen: domain %u's device state %s", dm->domid,
		    dm->state);
		return rc;
	}
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		log_warn("xen: %s", dm->state);
		goto out;
	}
	if (st.st_size <= 0 || (uint64_t)st.st_size > XEN_DM_STATE_MAX) {
		log_warnx("xen: domain %u's device state %s is %s (%lld "
		    "bytes)", dm->domid, dm->state, st.st_size <= 0 ?
		    "empty" : "too large for the stream",
		    (long long)st.st_size);
		rc = st.st_size <= 0 ? -ENODATA : -EFBIG;
		goto out;
	}
	if ((p = malloc((size_t)st.st_size)) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	if ((n = util_read_full(fd, p, (size_t)st.st_size)) !=
	    (ssize_t)st.st_size) {
		rc = n < 0 ? (int)n : -EIO;
		log_warnx("xen: reading %s: %s", dm->state, n < 0 ?
		    strerror((int)-n) : "shorter than its size");
		free(p);
		goto out;
	}
	*buf = p;
	*len = (size_t)st.st_size;
	rc = 0;
out:
	close(fd);
	xen_dm_discard_state(dm);
	return rc;
}

void
xen_dm_discard_state(const struct xen_dm *dm)
{
	if (unlink(dm->state) != 0 && errno != ENOENT)
		log_warn("xen: cannot remove %s", dm->state);
}

int
xen_dm_alive(const struct xen_dm *dm)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, rc;

	if (util_strlcpy(sun.sun_path, dm->sock, sizeof(sun.sun_path)) != 0)
		return 1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return 1;
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	if (rc != 0)
		rc = errno == ENOENT || errno == ECONNREFUSED ? 0 : 1;
	else
		rc = 1;
	close(fd);
	return rc;
}

int
xen_dm_xsdata_append(char **buf, size_t *len, const char *key,
    const char *value)
{
	size_t kl = strlen(key) + 1, vl = strlen(value) + 1;
	char *p;

	if (kl + vl > XEN_DM_STATE_MAX - *len)
		return -EFBIG;
	if ((p = realloc(*buf, *len + kl + vl)) == NULL)
		return -ENOMEM;
	memcpy(p + *len, key, kl);
	memcpy(p + *len + kl, value, vl);
	*buf = p;
	*len += kl + vl;
	return 0;
}
