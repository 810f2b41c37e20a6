/*
 * pace.c - bandwidth cap, in place and as a relay thread (see pace.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "pace.h"
#include "relocio.h"
#include "util.h"

#define PACE_CHUNK	(256 * 1024)

void
pace_init(struct pace *p, uint64_t rate)
{
	p->rate = rate;
	p->start_ns = util_now_ns();
	p->written = 0;
}

void
pace_wait(struct pace *p, size_t len)
{
	struct timespec ts;
	uint64_t due_ns, now;

	if (p->rate > 0) {
		/* When may these bytes leave, at the capped rate? */
		due_ns = p->start_ns + (uint64_t)((unsigned __int128)
		    (p->written + len) * 1000000000u / p->rate);
		now = util_now_ns();
		if (due_ns > now) {
			ts.tv_sec = (time_t)((due_ns - now) / 1000000000u);
			ts.tv_nsec = (long)((due_ns - now) % 1000000000u);
			while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
				;
		}
	}
	p->written += len;
}

struct pace_relay {
	pthread_t	 th;
	int		 rfd;		/* the pipe's read end */
	int		 wfd;		/* its write end, the caller's */
	int		 out;
	int		 timeout_ms;
	struct pace	 pace;
	int		 rc;
};

static void *
pace_relay_main(void *arg)
{
	struct pace_relay *r = arg;
	uint8_t *buf;
	ssize_t n;

	if ((buf = malloc(PACE_CHUNK)) == NULL) {
		r->rc = -ENOMEM;
		goto out;
	}
	for (;;) {
		n = read(r->rfd, buf, PACE_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r->rc = -errno;
			break;
		}
		if (n == 0)
			break;
		pace_wait(&r->pace, (size_t)n);
		if ((r->rc = relocio_write_full(r->out, buf, (size_t)n,
		    r->timeout_ms)) != 0)
			break;
	}
	free(buf);
out:
	/* Writers see EPIPE from now on instead of blocking for ever. */
	close(r->rfd);
	return NULL;
}

int
pace_relay_start(int out, uint64_t rate, int timeout_ms,
    struct pace_relay **rp, int *wfd)
{
	struct pace_relay *r;
	int p[2], rc;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -ENOMEM;
	if (pipe2(p, O_CLOEXEC) != 0) {
		rc = -errno;
		free(r);
		return rc;
	}
	r->rfd = p[0];
	r->wfd = p[1];
	r->out = out;
	r->timeout_ms = timeout_ms;
	pace_init(&r->pace, rate);
	if ((rc = pthread_create(&r->th, NULL, pace_relay_main, r)) != 0) {
		close(p[0]);
		close(p[1]);
		free(r);
		return -rc;
	}
	*rp = r;
	*wfd = r->wfd;
	return 0;
}

int
pace_relay_finish(struct pace_relay *r)
{
	int rc;

	close(r->wfd);
	pthread_join(r->th, NULL);
	rc = r->rc;
	free(r);
	return rc;
}
