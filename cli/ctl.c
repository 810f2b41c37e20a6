/*
 * ctl.c - talk to xmigd's control socket.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"
#include "ctl.h"
#include "json.h"
#include "relocio.h"
#include "util.h"
#include "xmig.h"

int
ctl_socket_path(const char *opt, char *buf, size_t len)
{
	struct conf c;

	if (opt != NULL) {
		util_strlcpy(buf, opt, len);
		return 0;
	}
	if (cli_conf(&c) != 0)
		return XMIG_EXIT_FAILED;
	util_strlcpy(buf, c.control_socket, len);
	return 0;
}

/* Connect to the unix socket at path; the fd or -1 (printed). */
static int
ctl_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (util_strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) != 0) {
		fprintf(stderr, "xmig: %s: path too long\n", path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		fprintf(stderr, "xmig: cannot reach xmigd at %s: %s\n", path,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Read one line (bounded) into a malloc()ed string; NULL on failure. */
static char *
ctl_read_line(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *nb;
	ssize_t n;

	while (buf != NULL) {
		if (len + 1 >= cap) {
			if (cap >= CTL_REPLY_MAX ||
			    (nb = realloc(buf, cap * 2)) == NULL)
				break;
			buf = nb;
			cap *= 2;
		}
		if (poll(&pfd, 1, CTL_TIMEOUT_MS) <= 0)
			break;
		if ((n = read(fd, buf + len, cap - 1 - len)) <= 0)
			break;
		len += (size_t)n;
		if (memchr(buf, '\n', len) != NULL) {
			buf[len] = '\0';
			return buf;
		}
	}
	free(buf);
	return NULL;
}

int
ctl_request(const char *path, const char *request, yajl_val *reply,
    char **raw)
{
	char err[128], *line;
	int fd;

	if ((fd = ctl_connect(path)) < 0)
		return XMIG_EXIT_FAILED;
	if (relocio_write_full(fd, request, strlen(request),
	    CTL_TIMEOUT_MS) != 0 ||
	    relocio_write_full(fd, "\n", 1, CTL_TIMEOUT_MS) != 0 ||
	    (line = ctl_read_line(fd)) == NULL) {
		fprintf(stderr, "xmig: no answer from xmigd at %s\n", path);
		close(fd);
		return XMIG_EXIT_FAILED;
	}
	close(fd);
	*reply = json_parse(line, err, sizeof(err));
	if (raw != NULL && *reply != NULL)
		*raw = line;
	else
		free(line);
	if (*reply == NULL || !YAJL_IS_OBJECT(*reply)) {
		fprintf(stderr, "xmig: xmigd's answer is not JSON\n");
		yajl_tree_free(*reply);
		return XMIG_EXIT_FAILED;
	}
	return 0;
}
