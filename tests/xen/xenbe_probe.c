/*
 * xenbe_probe.c - drive the xen backend (lib/xen/) directly, one op per
 * invocation, so the real-Xen harness (tests/xen/harness.sh) can test the
 * backend inside an emulated dom0 before the xmig commands that use it
 * exist.
 *
 *   xenbe_probe list | free
 *   xenbe_probe info|pause|unpause|destroy|resume|checklive|config DOMID
 *   xenbe_probe rename DOMID NAME
 *   xenbe_probe save DOMID FILE [live]   (suspends over xenstore, polling)
 *   xenbe_probe restore FILE CONFIG.json NAME
 *
 * Prints results on stdout and a last "OK op" or "ERROR op errno text"
 * line on stderr; exits 0 on success, 1 on failure, 2 on usage errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xenstore.h>

#include "backend.h"
#include "xen/be_xen.h"
#include "log.h"
#include "util.h"

#define PROBE_SUSPEND_MS	60000

static const char *probe_states[] = { "running", "paused", "shutdown",
    "dying" };
static const char *probe_types[] = { "pv", "pvh", "hvm" };

static void
probe_print(const struct dom_info *d)
{
	printf("DOM %u %s %s %d %s %" PRIu64 " %u\n", d->domid,
	    d->name[0] != '\0' ? d->name : "-", probe_states[d->state],
	    d->shutdown_reason, probe_types[d->type], d->max_memkb,
	    d->vcpus);
}

static int
probe_list(struct backend *be)
{
	struct dom_info *list;
	size_t n, i;
	int rc;

	if ((rc = be->ops->list(be, &list, &n)) != 0)
		return rc;
	for (i = 0; i < n; i++)
		probe_print(&list[i]);
	free(list);
	return 0;
}

struct probe_suspend {
	struct backend	*be;
	uint32_t	 domid;
};

/* The xenstore suspend request, then wait for the suspend shutdown. */
static int
probe_suspend(void *data)
{
	struct probe_suspend *ps = data;
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	struct dom_info di;
	struct xs_handle *xs;
	char path[64];
	uint64_t end;
	int ok;

	if ((xs = xs_open(0)) == NULL)
		return 0;
	snprintf(path, sizeof(path), "/local/domain/%u/control/shutdown",
	    ps->domid);
	ok = xs_write(xs, XBT_NULL, path, "suspend", strlen("suspend"));
	xs_close(xs);
	if (!ok)
		return 0;
	end = util_now_ms() + PROBE_SUSPEND_MS;
	while (util_now_ms() < end) {
		if (ps->be->ops->info(ps->be, ps->domid, &di) != 0)
			return 0;
		if (di.state == DOM_SHUTDOWN &&
		    di.shutdown_reason == DOM_SHUTDOWN_SUSPEND)
			return 1;
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "probe: domain %u did not suspend\n", ps->domid);
	return 0;
}

static int
probe_precopy(struct precopy_stats st, void *data)
{
	(void)data;
	printf("ROUND %u written %" PRIu64 " dirty %" PRId64 "\n",
	    st.iteration, st.total_written, st.dirty_count);
	if ((st.dirty_count >= 0 && st.dirty_count < 50) || st.iteration >= 5)
		return PRECOPY_STOP_AND_COPY;
	return PRECOPY_CONTINUE;
}

static int
probe_save(struct backend *be, uint32_t domid, const char *file, int live)
{
	struct probe_suspend ps = { be, domid };
	struct save_callbacks cb = { .suspend = probe_suspend,
	    .precopy_policy = probe_precopy, .data = &ps };
	struct emu_recs emu = { .n = 0 };
	struct save_params sp = { .live = live, .emu = &emu };
	int fd, rc;

	if ((fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		return -errno;
	rc = be->ops->save(be, domid, fd, &sp, &cb);
	/* PV and PVH have no device model: nothing may come back. */
	if (rc == 0 && emu.n != 0) {
		fprintf(stderr, "probe: %u device model records for a domain "
		    "without one\n", emu.n);
		rc = -EPROTO;
	}
	emu_recs_clear(&emu);
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	return rc;
}

static char *
probe_slurp(const char *file)
{
	char *buf;
	FILE *f;
	long len;

	if ((f = fopen(file, "r")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (buf = malloc(len + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	if (fread(buf, 1, len, f) != (size_t)len) {
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[len] = '\0';
	fclose(f);
	return buf;
}

static int
probe_restore(struct backend *be, const char *file, const char *conf,
    const char *name)
{
	struct restore_params rp = { .name = name };
	uint32_t domid;
	int fd, rc;

	if ((rp.config_json = probe_slurp(conf)) == NULL)
		return -errno;
	if ((fd = open(file, O_RDONLY)) < 0) {
		rc = -errno;
		goto out;
	}
	rc = be->ops->restore(be, fd, &rp, &domid);
	close(fd);
	if (rc == 0)
		printf("RESTORED %u\n", domid);
out:
	free((char *)rp.config_json);
	return rc;
}

static int
probe_domid(const char *s, uint32_t *domid)
{
	uint64_t v;

	if (util_parse_uint(s, 0, UINT32_MAX, &v) != 0)
		return -EINVAL;
	*domid = v;
	return 0;
}

static int
probe_one(struct backend *be, int argc, char **argv)
{
	const struct backend_ops *op = be->ops;
	struct dom_info di;
	uint32_t domid = 0;
	uint64_t bytes;
	char *json;
	int rc;

	if (strcmp(argv[1], "list") == 0)
		return probe_list(be);
	if (strcmp(argv[1], "free") == 0) {
		if ((rc = op->free_memory(be, &bytes)) == 0)
			printf("FREE %" PRIu64 "\n", bytes);
		return rc;
	}
	if (strcmp(argv[1], "restore") == 0 && argc == 5)
		return probe_restore(be, argv[2], argv[3], argv[4]);
	if (argc < 3 || probe_domid(argv[2], &domid) != 0)
		return -EINVAL;
	if (strcmp(argv[1], "info") == 0) {
		if ((rc = op->info(be, domid, &di)) == 0)
			probe_print(&di);
		return rc;
	}
	if (strcmp(argv[1], "config") == 0) {
		if ((rc = op->config_json(be, domid, &json)) == 0) {
			printf("%s\n", json);
			free(json);
		}
		return rc;
	}
	if (strcmp(argv[1], "checklive") == 0)
		return xen_check_live(be, domid);
	if (strcmp(argv[1], "pause") == 0)
		return op->pause(be, domid);
	if (strcmp(argv[1], "unpause") == 0)
		return op->unpause(be, domid);
	if (strcmp(argv[1], "destroy") == 0)
		return op->destroy(be, domid);
	if (strcmp(argv[1], "resume") == 0)
		return op->resume(be, domid);
	if (strcmp(argv[1], "rename") == 0 && argc == 4)
		return op->rename(be, domid, argv[3]);
	if (strcmp(argv[1], "save") == 0 && argc >= 4)
		return probe_save(be, domid, argv[3],
		    argc == 5 && strcmp(argv[4], "live") == 0);
	return -EINVAL;
}

int
main(int argc, char **argv)
{
	struct backend be = { .ops = &xen_backend_ops };
	int rc;

	log_init("xenbe_probe", 1, getenv("PROBE_DEBUG") != NULL ?
	    LOG_LVL_DEBUG : LOG_LVL_INFO);
	if (argc < 2) {
		fprintf(stderr, "usage: xenbe_probe OP [ARGS]\n");
		return 2;
	}
	if ((rc = be.ops->open(&be, NULL)) != 0) {
		fprintf(stderr, "probe: open: %s\n", strerror(-rc));
		return 1;
	}
	rc = probe_one(&be, argc, argv);
	be.ops->close(&be);
	if (rc == -EINVAL && argc < 3 && strcmp(argv[1], "list") != 0 &&
	    strcmp(argv[1], "free") != 0) {
		fprintf(stderr, "usage: xenbe_probe OP [ARGS]\n");
		return 2;
	}
	/* Verdicts on stderr: stdout may be captured (config JSON). */
	if (rc != 0) {
		fprintf(stderr, "ERROR %s %d %s\n", argv[1], -rc,
		    strerror(-rc));
		return 1;
	}
	fprintf(stderr, "OK %s\n", argv[1]);
	return 0;
}
