/*
 * qmpclient.c - a blocking QMP client (see qmpclient.h).
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "qmpclient.h"
#include "relocio.h"
#include "util.h"

struct qmpclient {
	int		 fd;
	char		 path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char		*buf;		/* not yet a whole line */
	size_t		 len;
	int64_t		 next_id;
	int		 major;
	int		 minor;
	unsigned	 events;
};

/* Room for the longest message, its "\r\n", and one read beyond. */
#define QMPCLIENT_BUF	(QMP_LINE_MAX + 4096)
#define QMPCLIENT_CONNECT_POLL_US	10000	/* a busy monitor asked again */

static int
qmpclient_remaining(uint64_t deadline)
{
	uint64_t now = util_now_ms();

	return now >= deadline ? 0 : (int)(deadline - now);
}

/*
 * Read the next line (without its "\r\n") and decode it into *m.
 * Returns 0, -ETIMEDOUT, -EPIPE, -EMSGSIZE, -EBADMSG (why says).
 */
static int
qmpclient_read(struct qmpclient *q, uint64_t deadline, struct qmp_msg *m,
    char *why, size_t whylen)
{
	char err[160], *nl;
	size_t linelen;
	ssize_t n;
	int rc;

	while ((nl = memchr(q->buf, '\n', q->len)) == NULL) {
		if (q->len >= QMP_LINE_MAX + 2) {
			snprintf(why, whylen, "%s: a message over %u bytes",
			    q->path, QMP_LINE_MAX);
			return -EMSGSIZE;
		}
		rc = relocio_wait(q->fd, POLLIN, qmpclient_remaining(deadline));
		if (rc != 0) {
			snprintf(why, whylen, "%s: no answer from the device "
			    "model in time", q->path);
			return rc == -ETIMEDOUT ? -ETIMEDOUT : rc;
		}
		n = read(q->fd, q->buf + q->len, QMPCLIENT_BUF - q->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(why, whylen, "%s: the device model closed "
			    "its monitor%s%s", q->path, n < 0 ? ": " : "",
			    n < 0 ? strerror(errno) : "");
			return -EPIPE;
		}
		q->len += (size_t)n;
	}
	linelen = (size_t)(nl - q->buf);
	rc = qmp_decode(q->buf, linelen > 0 && nl[-1] == '\r' ? linelen - 1 :
	    linelen, m, err, sizeof(err));
	memmove(q->buf, nl + 1, q->len - linelen - 1);
	q->len -= linelen + 1;
	if (rc != 0)
		snprintf(why, whylen, "%s: %s", q->path, err);
	return rc;
}

/* Send one command line. */
static int
qmpclient_send(struct qmpclient *q, const char *name, const char *args,
    int64_t id, uint64_t deadline, char *why, size_t whylen)
{
	char line[4096];
	int n, rc;

	if ((n = qmp_encode_command(line, sizeof(line), name, args,
	    id)) < 0) {
		snprintf(why, whylen, "QMP command %s: %s", name,
		    n == -ENOSPC ? "arguments too long" : "not a command name");
		return n == -ENOSPC ? -EINVAL : n;
	}
	rc = relocio_write_full(q->fd, line, (size_t)n,
	    qmpclient_remaining(deadline));
	if (rc != 0) {
		snprintf(why, whylen, "%s: cannot send %s: %s", q->path, name,
		    rc == -ETIMEDOUT ? "the device model does not read" :
		    "the device model closed its monitor");
		return rc == -ETIMEDOUT ? -ETIMEDOUT : -EPIPE;
	}
	return 0;
}

int
qmpclient_execute(struct qmpclient *q, const char *name, const char *args,
    int timeout_ms, struct qmp_msg *reply, char *why, size_t whylen)
{
	uint64_t deadline = util_now_ms() + (uint64_t)timeout_ms;
	int64_t id = q->next_id++;
	struct qmp_msg m;
	int rc;

	if ((rc = qmpclient_send(q, name, args, id, deadline, why,
	    whylen)) != 0)
		return rc;
	for (;;) {
		if ((rc = qmpclient_read(q, deadline, &m, why, whylen)) != 0)
			return rc;
		if (m.kind == QMP_EVENT) {
			q->events++;
			log_debug("%s: event %s", q->path, m.name);
		} else if ((m.kind == QMP_RETURN || m.kind == QMP_ERROR) &&
		    (m.id == id || m.id < 0))
			break;
		else
			log_debug("%s: message of kind %d (id %lld) skipped",
			    q->path, m.kind, (long long)m.id);
		qmp_msg_clear(&m);
	}
	if (m.kind == QMP_ERROR) {
		snprintf(why, whylen, "the device model refused %s: %s: %s",
		    name, m.name, m.desc);
		qmp_msg_clear(&m);
		return -EREMOTEIO;
	}
	if (reply != NULL)
		*reply = m;
	else
		qmp_msg_clear(&m);
	return 0;
}

/*
 * Connect by the deadline: QEMU's monitor listens with a backlog of one
 * while it serves another client, and a blocking connect to a full
 * backlog waits without limit; a non-blocking one says EAGAIN and is
 * tried again.
 */
static int
qmpclient_connect(struct qmpclient *q, const char *path, uint64_t deadline,
    char *why, size_t whylen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int rc, fl;

	if (util_strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) != 0) {
		snprintf(why, whylen, "%s: path too long for a socket", path);
		return -ENAMETOOLONG;
	}
	util_strlcpy(q->path, path, sizeof(q->path));
	if ((q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) < 0) {
		rc = -errno;
		snprintf(why, whylen, "socket: %s", strerror(-rc));
		return rc;
	}
	while (connect(q->fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		rc = -errno;
		if (rc == -EINTR)
			continue;
		if (rc == -EAGAIN && util_now_ms() < deadline) {
			usleep(QMPCLIENT_CONNECT_POLL_US);
			continue;
		}
		snprintf(why, whylen, rc == -EAGAIN ? "%s: the device model "
		    "is busy with another client" : "%s: no device model "
		    "listens there (%s)", path, strerror(-rc));
		return rc == -EAGAIN ? -ETIMEDOUT : rc;
	}
	if ((fl = fcntl(q->fd, F_GETFL)) < 0 ||
	    fcntl(q->fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		rc = -errno;
		snprintf(why, whylen, "fcntl: %s", strerror(-rc));
		return rc;
	}
	return 0;
}

int
qmpclient_open(struct qmpclient **out, const char *path, int timeout_ms,
    char *why, size_t whylen)
{
	uint64_t deadline = util_now_ms() + (uint64_t)timeout_ms;
	struct qmpclient *q;
	struct qmp_msg m;
	int rc;

	*out = NULL;
	if ((q = calloc(1, sizeof(*q))) == NULL ||
	    (q->buf = malloc(QMPCLIENT_BUF)) == NULL) {
		free(q);
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	q->fd = -1;
	q->next_id = 1;
	if ((rc = qmpclient_connect(q, path, deadline, why, whylen)) != 0)
		goto fail;
	if ((rc = qmpclient_read(q, deadline, &m, why, whylen)) != 0) {
		if (rc == -ETIMEDOUT)
			snprintf(why, whylen, "%s: no QMP greeting in time (is "
			    "another client connected?)", path);
		goto fail;
	}
	if (m.kind != QMP_GREETING) {
		snprintf(why, whylen, "%s: the first message is not a QMP "
		    "greeting", path);
		qmp_msg_clear(&m);
		rc = -EPROTO;
		goto fail;
	}
	q->major = m.qemu_major;
	q->minor = m.qemu_minor;
	qmp_msg_clear(&m);
	rc = qmpclient_execute(q, "qmp_capabilities", NULL,
	    qmpclient_remaining(deadline), NULL, why, whylen);
	if (rc != 0)
		goto fail;
	*out = q;
	return 0;
fail:
	qmpclient_close(q);
	return rc;
}

void
qmpclient_version(const struct qmpclient *q, int *major, int *minor)
{
	*major = q->major;
	*minor = q->minor;
}

unsigned
qmpclient_events(const struct qmpclient *q)
{
	return q->events;
}

void
qmpclient_close(struct qmpclient *q)
{
	if (q == NULL)
		return;
	if (q->fd >= 0)
		close(q->fd);
	free(q->buf);
	free(q);
}
