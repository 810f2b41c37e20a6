/*
 * notify.c - systemd readiness (Type=notify) without libsystemd: one
 * datagram per state change to the unix socket named by $NOTIFY_SOCKET.
 * A name starting with '@' is in the abstract namespace.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "xmigd.h"

int
notify_send(const char *state)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *path = getenv("NOTIFY_SOCKET");
	socklen_t len;
	size_t plen;
	ssize_t n;
	int fd, rc = 0;

	if (path == NULL || path[0] == '\0')
		return 0;
	plen = strlen(path);
	if ((path[0] != '/' && path[0] != '@') ||
	    plen >= sizeof(sun.sun_path)) {
		log_warnx("NOTIFY_SOCKET=%s not usable", path);
		return -EINVAL;
	}
	memcpy(sun.sun_path, path, plen);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen +
	    (path[0] == '/' ? 1 : 0));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	n = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
	    (struct sockaddr *)&sun, len);
	if (n < 0) {
		rc = -errno;
		log_debug("notify %s: %s", path, strerror(errno));
	}
	close(fd);
	return rc;
}

int
notify_sendf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return notify_send(buf);
}
