/*
 * listener.c - the relocation port: bind, accept, pause when file
 * descriptors run short, rebind on reload.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "xmigd.h"

/* Pause accepting this long when out of file descriptors. */
#define LISTENER_PAUSE_S	1

static void listener_accept(evutil_socket_t fd, short ev, void *arg);

/* Bind one socket for ai.  Returns the fd or a negative errno. */
static int
listener_bind_one(const struct addrinfo *ai)
{
	int fd, on = 1;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0)
		return -errno;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	/* Inherited by accepted connections: see transport_connect(). */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	/* Each family gets its own socket: no mapped addresses. */
	if (ai->ai_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
		    sizeof(on));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
	    listen(fd, 64) != 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

/* Bind every address of (addr, port) into ls.  Returns the count or -errno. */
static int
listener_bind(const char *addr, unsigned port, struct listener *ls,
    int max)
{
	struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV,
	    .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res, *ai;
	char serv[16], host[XMIGD_ADDR_MAX];
	int n = 0, fd, rc, err = -EADDRNOTAVAIL;

	snprintf(serv, sizeof(serv), "%u", port);
	rc = getaddrinfo(addr[0] != '\0' ? addr : NULL, serv, &hints, &res);
	if (rc != 0) {
		log_warnx("listen address \"%s\": %s", addr, gai_strerror(rc));
		return -EADDRNOTAVAIL;
	}
	for (ai = res; ai != NULL && n < max; ai = ai->ai_next) {
		if ((fd = listener_bind_one(ai)) < 0) {
			err = fd;
			/* A host without IPv6 still listens on IPv4. */
			if (fd == -EAFNOSUPPORT)
				continue;
			acl_addr_string(ai->ai_addr, ai->ai_addrlen, host,
			    sizeof(host));
			log_warnx("bind %s port %u: %s", host, port,
			    strerror(-fd));
			continue;
		}
		ls[n].fd = fd;
		ls[n].ev = NULL;
		acl_addr_string(ai->ai_addr, ai->ai_addrlen, host,
		    sizeof(host));
		snprintf(ls[n].name, sizeof(ls[n].name),
		    ai->ai_family == AF_INET6 ? "[%s]:%u" : "%s:%u", host, port);
		n++;
	}
	freeaddrinfo(res);
	if (n == 0)
		return err;
	/* All or nothing: a half-bound set is not what was configured. */
	if (err != -EADDRNOTAVAIL && err != -EAFNOSUPPORT) {
		while (n-- > 0)
			close(ls[n].fd);
		return err;
	}
	return n;
}

void
listener_close_all(struct xmigd *d)
{
	int i;

	for (i = 0; i < d->nlisteners; i++) {
		if (d->listeners[i].ev != NULL)
			event_free(d->listeners[i].ev);
		close(d->listeners[i].fd);
	}
	d->nlisteners = 0;
	if (d->ev_accept_pause != NULL) {
		event_free(d->ev_accept_pause);
		d->ev_accept_pause = NULL;
	}
}

int
listener_open(struct xmigd *d)
{
	struct listener ls[XMIGD_LISTEN_MAX];
	int n, i;

	n = listener_bind(d->conf.relocation_address, d->conf.relocation_port,
	    ls, XMIGD_LISTEN_MAX);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		ls[i].ev = event_new(d->base, ls[i].fd, EV_READ | EV_PERSIST,
		    listener_accept, d);
		if (ls[i].ev == NULL || event_add(ls[i].ev, NULL) != 0) {
			log_warnx("cannot watch %s", ls[i].name);
			while (i >= 0) {
				if (ls[i].ev != NULL)
					event_free(ls[i].ev);
				i--;
			}
			for (i = 0; i < n; i++)
				close(ls[i].fd);
			return -ENOMEM;
		}
	}
	listener_close_all(d);
	memcpy(d->listeners, ls, sizeof(ls[0]) * (size_t)n);
	d->nlisteners = n;
	util_strlcpy(d->listen_addr, d->conf.relocation_address,
	    sizeof(d->listen_addr));
	d->listen_port = d->conf.relocation_port;
	return 0;
}

int
listener_reload(struct xmigd *d)
{
	char where[256];
	int rc;

	if (strcmp(d->listen_addr, d->conf.relocation_address) == 0 &&
	    d->listen_port == d->conf.relocation_port)
		return 0;
	if ((rc = listener_open(d)) != 0)
		return rc;
	listener_describe(d, where, sizeof(where));
	log_info("now listening on %s", where);
	return 0;
}

void
listener_describe(const struct xmigd *d, char *buf, size_t len)
{
	size_t off = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < d->nlisteners && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
		    i > 0 ? ", " : "", d->listeners[i].name);
	if (d->nlisteners == 0)
		util_strlcpy(buf, "nothing", len);
}

static void
listener_resume(evutil_socket_t fd, short ev, void *arg)
{
	struct xmigd *d = arg;
	int i;

	(void)fd;
	(void)ev;
	for (i = 0; i < d->nlisteners; i++)
		event_add(d->listeners[i].ev, NULL);
}

/* Out of descriptors: stop accepting for a moment instead of spinning. */
static void
listener_pause(struct xmigd *d)
{
	struct timeval tv = { LISTENER_PAUSE_S, 0 };
	int i;

	log_warnx("out of file descriptors; not accepting for %d s",
	    LISTENER_PAUSE_S);
	for (i = 0; i < d->nlisteners; i++)
		event_del(d->listeners[i].ev);
	if (d->ev_accept_pause == NULL)
		d->ev_accept_pause = evtimer_new(d->base, listener_resume, d);
	if (d->ev_accept_pause != NULL)
		evtimer_add(d->ev_accept_pause, &tv);
}

static void
listener_accept(evutil_socket_t lfd, short ev, void *arg)
{
	struct xmigd *d = arg;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd;

	(void)ev;
	fd = accept4(lfd, (struct sockaddr *)&ss, &len,
	    SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM)
			listener_pause(d);
		else if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("accept");
		return;
	}
	session_accept(d, fd, (struct sockaddr *)&ss, len);
}
