/*
 * resolve.c - reverse name lookups off the event loop.
 *
 * getnameinfo() blocks (DNS, /etc/hosts, NSS modules), so each lookup runs
 * in a detached helper thread that owns a copy of the address and one end
 * of a socketpair; it writes the name and a newline and exits.  The loop
 * owns the other end, with a deadline: if it gives up first it closes its
 * end and the thread's write fails harmlessly.  The only state shared with
 * the loop is the count of threads alive, updated atomically, which bounds
 * how many lookups run at once.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "xmigd.h"

struct resolve_job {
	struct sockaddr_storage	ss;
	socklen_t		salen;
	int			fd;
	int			*alive;
};

static void *
resolve_thread(void *arg)
{
	struct resolve_job *j = arg;
	char host[NI_MAXHOST + 1];
	size_t len;

	if (getnameinfo((struct sockaddr *)&j->ss, j->salen, host,
	    NI_MAXHOST, NULL, 0, NI_NAMEREQD) != 0)
		host[0] = '\0';
	len = strlen(host);
	host[len++] = '\n';
	/* The loop may have given up: EPIPE is fine, SIGPIPE is not. */
	(void)send(j->fd, host, len, MSG_NOSIGNAL);
	close(j->fd);
	__atomic_sub_fetch(j->alive, 1, __ATOMIC_SEQ_CST);
	free(j);
	return NULL;
}

int
resolve_start(struct xmigd *d, const struct sockaddr *sa, socklen_t salen)
{
	struct resolve_job *j;
	pthread_attr_t attr;
	pthread_t tid;
	int sv[2], rc;

	if (salen > sizeof(j->ss))
		return -EINVAL;
	if (__atomic_load_n(&d->lookups, __ATOMIC_SEQ_CST) >=
	    XMIGD_LOOKUPS_MAX)
		return -EAGAIN;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return -ENOMEM;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		rc = -errno;
		free(j);
		return rc;
	}
	memcpy(&j->ss, sa, salen);
	j->salen = salen;
	j->fd = sv[1];
	j->alive = &d->lookups;
	__atomic_add_fetch(&d->lookups, 1, __ATOMIC_SEQ_CST);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* getnameinfo needs little; keep idle memory small. */
	pthread_attr_setstacksize(&attr, 256 * 1024);
	rc = pthread_create(&tid, &attr, resolve_thread, j);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		__atomic_sub_fetch(&d->lookups, 1, __ATOMIC_SEQ_CST);
		close(sv[0]);
		close(sv[1]);
		free(j);
		return -rc;
	}
	return sv[0];
}
