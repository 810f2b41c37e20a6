/*
 * backend.c - choosing a backend by name, and helpers over any backend.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "log.h"
#include "util.h"

#if defined(HAVE_XEN) && defined(XMIG_HAVE_XEN_BACKEND)
#define BACKEND_XEN	1
#else
#define BACKEND_XEN	0
#endif

static const struct backend_ops *const backend_table[] = {
#if BACKEND_XEN
	&xen_backend_ops,
#endif
	&sim_backend_ops,
};

/* Is this a Xen control domain?  /proc/xen/capabilities says so. */
static int
backend_on_dom0(void)
{
	char buf[256];
	ssize_t n;
	int fd;

	if ((fd = open("/proc/xen/capabilities", O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = util_read_full(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strstr(buf, "control_d") != NULL;
}

int
backend_open(struct backend *be, const char *name, const char *sim_dir)
{
	size_t i;
	int rc;

	memset(be, 0, sizeof(*be));
	if (strcmp(name, "auto") == 0)
		name = BACKEND_XEN && backend_on_dom0() ? "xen" : "sim";
	for (i = 0; i < ARRAY_SIZE(backend_table); i++)
		if (strcmp(backend_table[i]->name, name) == 0)
			break;
	if (i == ARRAY_SIZE(backend_table)) {
		if (strcmp(name, "xen") == 0) {
			log_warnx("this xmig was built without the xen "
			    "backend");
			return -ENOTSUP;
		}
		log_warnx("unknown backend \"%s\"", name);
		return -ENOENT;
	}
	be->ops = backend_table[i];
	if ((rc = be->ops->open(be, sim_dir)) != 0) {
		memset(be, 0, sizeof(*be));
		return rc;
	}
	log_debug("backend %s open", be->ops->name);
	return 0;
}

void
backend_close(struct backend *be)
{
	if (be == NULL || be->ops == NULL)
		return;
	be->ops->close(be);
	memset(be, 0, sizeof(*be));
}

static int
backend_all_digits(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

int
backend_lookup(struct backend *be, const char *what, struct dom_info *out)
{
	struct dom_info *v;
	uint64_t id;
	size_t n, i, found = 0;
	int rc;

	if (backend_all_digits(what)) {
		if (util_parse_uint(what, 0, UINT32_MAX, &id) != 0 ||
		    (rc = be->ops->info(be, (uint32_t)id, out)) == -ESRCH)
			return -ESRCH;
		return rc;
	}
	if ((rc = be->ops->list(be, &v, &n)) != 0)
		return rc;
	for (i = 0; i < n; i++) {
		if (strcmp(v[i].name, what) != 0)
			continue;
		if (found++ == 0)
			*out = v[i];
	}
	free(v);
	if (found == 0)
		return -ESRCH;
	if (found > 1) {
		log_warnx("%zu domains are named %s: use the id", found, what);
		return -EEXIST;
	}
	return 0;
}

const char *
dom_state_name(const struct dom_info *d)
{
	static const char *const shutdown[] = {
		[DOM_SHUTDOWN_POWEROFF] = "shutdown(poweroff)",
		[DOM_SHUTDOWN_REBOOT] = "shutdown(reboot)",
		[DOM_SHUTDOWN_SUSPEND] = "suspended",
		[DOM_SHUTDOWN_CRASH] = "shutdown(crash)",
		[DOM_SHUTDOWN_WATCHDOG] = "shutdown(watchdog)",
		[DOM_SHUTDOWN_SOFT_RESET] = "shutdown(soft_reset)",
	};

	switch (d->state) {
	case DOM_RUNNING:
		return "running";
	case DOM_PAUSED:
		return "paused";
	case DOM_SHUTDOWN:
		if (d->shutdown_reason >= 0 &&
		    (size_t)d->shutdown_reason < ARRAY_SIZE(shutdown))
			return shutdown[d->shutdown_reason];
		return "shutdown(unknown)";
	case DOM_DYING:
		return "dying";
	}
	return "unknown";
}

const char *
dom_type_name(enum dom_type t)
{
	switch (t) {
	case DOM_TYPE_PV:
		return "pv";
	case DOM_TYPE_PVH:
		return "pvh";
	case DOM_TYPE_HVM:
		return "hvm";
	}
	return "unknown";
}
