/*
 * xsutil.c - xenstore helpers.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"
#include "xsutil.h"

struct xs_handle *
xsutil_open(struct backend *be)
{
	const char *path = NULL;
	struct xs_handle *xs;
	unsigned long flags = 0;

	if (be->ops->xenstore_path != NULL)
		path = be->ops->xenstore_path(be);
	if (path != NULL) {
		/* libxenstore finds its socket through the environment. */
		if (setenv("XENSTORED_PATH", path, 1) != 0) {
			log_warn("setenv XENSTORED_PATH");
			return NULL;
		}
		flags = XS_OPEN_SOCKETONLY;
	}
	if ((xs = xs_open(flags)) == NULL)
		log_warn("cannot connect to xenstore%s%s",
		    path != NULL ? " at " : "", path != NULL ? path : "");
	return xs;
}

char *
xsutil_read_dom(struct xs_handle *xs, uint32_t domid, const char *rel)
{
	char path[256];
	unsigned int len;

	snprintf(path, sizeof(path), "/local/domain/%u/%s", domid, rel);
	return xs_read(xs, XBT_NULL, path, &len);
}

int
xsutil_write_dom(struct xs_handle *xs, uint32_t domid, const char *rel,
    const char *value)
{
	char path[256];
	int rc;

	snprintf(path, sizeof(path), "/local/domain/%u/%s", domid, rel);
	if (!xs_write(xs, XBT_NULL, path, value, strlen(value))) {
		rc = -errno;
		log_warn("xenstore write %s", path);
		return rc;
	}
	return 0;
}

int
xsutil_wait_watch(struct xs_handle *xs, int timeout_ms, char *path,
    size_t pathlen)
{
	uint64_t deadline = util_now_ms() + (uint64_t)timeout_ms;
	struct pollfd pfd = { .fd = xs_fileno(xs), .events = POLLIN };
	char **vec;
	int n, left;

	for (;;) {
		/* Events may already be queued inside libxenstore. */
		vec = xs_check_watch(xs);
		if (vec != NULL) {
			if (path != NULL)
				util_strlcpy(path, vec[XS_WATCH_PATH],
				    pathlen);
			free(vec);
			return 1;
		}
		if (errno != EAGAIN) {
			n = -errno;
			log_warn("xenstore watch");
			return n;
		}
		left = (int)(deadline - util_now_ms());
		if ((int64_t)(deadline - util_now_ms()) <= 0)
			return 0;
		n = poll(&pfd, 1, left);
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}
