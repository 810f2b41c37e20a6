/*
 * relocio.c - blocking relocation frames with timeouts.
 */
#include "config.h"

#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "relocio.h"

/* Bytes per sendfile() call (Linux moves at most 2 GiB anyway). */
#define RELOCIO_SENDFILE_MAX	(1U << 30)

int
relocio_wait(int fd, short events, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int n;

	do {
		n = poll(&pfd, 1, timeout_ms);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ETIMEDOUT;
	return 0;
}

int
relocio_read_full(int fd, void *buf, size_t len, int timeout_ms)
{
	size_t done = 0;
	ssize_t n;
	int rc;

	while (done < len) {
		if ((rc = relocio_wait(fd, POLLIN, timeout_ms)) != 0)
			return rc;
		n = read(fd, (uint8_t *)buf + done, len - done);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		done += (size_t)n;
	}
	return 0;
}

int
relocio_writev_full(int fd, const struct iovec *iov, unsigned int n,
    int timeout_ms)
{
	struct iovec v[RELOCIO_IOV_MAX];
	struct msghdr mh;
	unsigned int k, i = 0;
	size_t skip = 0;	/* bytes of iov[i] already written */
	ssize_t w;
	int rc;

	for (;;) {
		while (i < n && iov[i].iov_len == skip) {	/* all gone */
			i++;
			skip = 0;
		}
		if (i == n)
			break;
		for (k = 0; k < RELOCIO_IOV_MAX && i + k < n; k++)
			v[k] = iov[i + k];
		v[0].iov_base = (uint8_t *)v[0].iov_base + skip;
		v[0].iov_len -= skip;
		if ((rc = relocio_wait(fd, POLLOUT, timeout_ms)) != 0)
			return rc;
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = v;
		mh.msg_iovlen = k;
		w = sendmsg(fd, &mh, MSG_NOSIGNAL);
		if (w < 0 && errno == ENOTSOCK)
			w = writev(fd, v, (int)k);
		if (w < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		/* Step over what went. */
		while (i < n && (size_t)w >= iov[i].iov_len - skip) {
			w -= (ssize_t)(iov[i].iov_len - skip);
			skip = 0;
			i++;
		}
		skip += (size_t)w;
	}
	return 0;
}

int
relocio_write_full(int fd, const void *buf, size_t len, int timeout_ms)
{
	struct iovec v = { .iov_base = (void *)(uintptr_t)buf, .iov_len = len };

	return relocio_writev_full(fd, &v, 1, timeout_ms);
}

/*
 * sendfile() has no MSG_NOSIGNAL: a peer that went away raises SIGPIPE.
 * Block it in this thread meanwhile and take back one we caused.
 */
int
relocio_sendfile_full(int fd, int infd, uint64_t off, uint64_t len,
    int timeout_ms)
{
	static const struct timespec zero = { 0, 0 };
	sigset_t pipe_set, old, pending;
	off_t o = (off_t)off;
	int rc = 0, was_pending;
	ssize_t w;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	while (len > 0) {
		if ((rc = relocio_wait(fd, POLLOUT, timeout_ms)) != 0)
			break;
		w = sendfile(fd, infd, &o, len > RELOCIO_SENDFILE_MAX ?
		    RELOCIO_SENDFILE_MAX : (size_t)len);
		if (w == 0) {
			rc = -ECONNRESET;
			break;
		}
		if (w < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			rc = -errno;
			break;
		}
		len -= (uint64_t)w;
	}
	if (rc == -EPIPE && !was_pending)
		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 &&
		    errno == EINTR)
			;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

void
relocio_pipe_open(int pipefd[2])
{
	if (pipe2(pipefd, O_CLOEXEC) == 0)
		(void)fcntl(pipefd[1], F_SETPIPE_SZ, RELOCIO_SPLICE_CHUNK);
	else
		pipefd[0] = pipefd[1] = -1;
}

int
relocio_stream_pair(int sv[2])
{
	int n = (int)RELOCIO_PAIR_BUF, i;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return -errno;
	/* Capped by net.core.wmem_max; smaller is slower, not wrong. */
	for (i = 0; i < 2; i++)
		(void)setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &n, sizeof(n));
	return 0;
}

void
relocio_pipe_close(int pipefd[2])
{
	if (pipefd[0] >= 0) {
		close(pipefd[0]);
		close(pipefd[1]);
	}
	pipefd[0] = pipefd[1] = -1;
}

int
relocio_splice_full(int in, int out, int64_t *out_off, uint64_t len,
    const int pipefd[2], int timeout_ms)
{
	uint64_t left = len;
	loff_t off = out_off != NULL ? (loff_t)*out_off : 0;
	ssize_t n, k;
	int rc;

	while (left > 0) {
		if ((rc = relocio_wait(in, POLLIN, timeout_ms)) != 0)
			return rc;
		n = splice(in, NULL, pipefd[1], NULL, left < RELOCIO_SPLICE_CHUNK ?
		    (size_t)left : RELOCIO_SPLICE_CHUNK,
		    SPLICE_F_MOVE | SPLICE_F_MORE | SPLICE_F_NONBLOCK);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return left == len && errno == EINVAL ? -EOPNOTSUPP :
			    -errno;
		if (n == 0)
			return -ECONNRESET;
		left -= (uint64_t)n;
		while (n > 0) {
			k = splice(pipefd[0], NULL, out, out_off != NULL ?
			    &off : NULL, (size_t)n, SPLICE_F_MOVE |
			    (left > 0 ? SPLICE_F_MORE : 0));
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0 && errno == EAGAIN) {
				if ((rc = relocio_wait(out, POLLOUT,
				    timeout_ms)) != 0)
					return rc;
				continue;
			}
			if (k <= 0)
				return k < 0 ? -errno : -EIO;
			n -= k;
			if (out_off != NULL)
				*out_off = (int64_t)off;
		}
	}
	return 0;
}

int
relocio_send(int fd, const struct reloc_msg *m, int timeout_ms)
{
	const char *why = NULL;
	uint8_t *frame;
	size_t len;
	int rc;

	if ((frame = reloc_encode(m, &len, &why)) == NULL) {
		log_warnx("cannot encode %s frame: %s",
		    reloc_type_name(m->type), why);
		return -EINVAL;
	}
	rc = relocio_write_full(fd, frame, len, timeout_ms);
	free(frame);
	if (rc != 0)
		log_warnx("sending %s frame: %s", reloc_type_name(m->type),
		    rc == -ETIMEDOUT ? "timed out" : strerror(-rc));
	return rc;
}

int
relocio_recv(int fd, struct reloc_msg *m, int timeout_ms)
{
	uint8_t hdr[RELOC_HDR_LEN], *payload = NULL;
	struct reloc_hdr h;
	const char *why = NULL;
	char reason[RELOC_TEXT_MAX];
	int rc;

	reloc_msg_init(m, RELOC_HELLO);
	if ((rc = relocio_read_full(fd, hdr, sizeof(hdr), timeout_ms)) != 0)
		return rc;
	if (reloc_hdr_decode(hdr, &h, &why) != 0) {
		log_warnx("bad frame from peer: %s", why);
		return -EPROTO;
	}
	/* The length was checked against the type's maximum. */
	if (h.len > 0 && (payload = malloc(h.len)) == NULL)
		return -ENOMEM;
	if ((rc = relocio_read_full(fd, payload, h.len, timeout_ms)) != 0)
		goto out;
	if ((rc = reloc_decode(&h, payload, m, reason, sizeof(reason))) != 0)
		log_warnx("bad %s frame from peer: %s",
		    reloc_type_name(h.type), reason);
out:
	free(payload);
	return rc;
}

int
relocio_expect(int fd, enum reloc_type want, struct reloc_msg *m,
    int timeout_ms)
{
	int rc;

	if ((rc = relocio_recv(fd, m, timeout_ms)) != 0)
		return rc;
	if (m->type == want)
		return 0;
	if (m->type == RELOC_DENY)
		return -ECONNREFUSED;
	if (m->type == RELOC_FAILED)
		return -ECANCELED;
	log_warnx("peer sent %s, expected %s", reloc_type_name(m->type),
	    reloc_type_name(want));
	reloc_msg_clear(m);
	return -EPROTO;
}

int
relocio_hello(int fd, struct reloc_msg *m, int timeout_ms)
{
	return relocio_hello_offer(fd, m, NULL, timeout_ms);
}

int
relocio_hello_offer(int fd, struct reloc_msg *m, const char *offer,
    int timeout_ms)
{
	int rc;

	reloc_msg_init(m, RELOC_HELLO);
	m->version = RELOC_VERSION;
	snprintf(m->software, sizeof(m->software), "xmig %s",
	    PACKAGE_VERSION);
	if (offer != NULL) {
		m->frames = RELOC_FRAMES;
		snprintf(m->compress, sizeof(m->compress), "%s", offer);
	}
	if ((rc = relocio_send(fd, m, timeout_ms)) != 0 ||
	    (rc = relocio_expect(fd, RELOC_HELLO, m, timeout_ms)) != 0)
		return rc;
	return m->version == RELOC_VERSION ? 0 : -EPROTONOSUPPORT;
}
