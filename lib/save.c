/*
 * save.c - save to a file, restore from a file, and recovery of a
 * migration left undefined.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "json.h"
#include "log.h"
#include "migrate_int.h"
#include "relocio.h"
#include "streamio.h"
#include "util.h"

enum mig_result
mig_save_run(const struct mig_src_params *p, int out_fd, int keep_running,
    struct mig_stats *stats, char *why, size_t whylen)
{
	struct mig_src_params sp = *p;
	struct src_ctx c = { .p = &sp, .be = p->be, .fd = out_fd,
	    .stats = stats, .why = why, .whylen = whylen };
	enum mig_result res = MIG_FAILED;
	char *config = NULL, what[300];
	int rc;

	why[0] = '\0';
	memset(stats, 0, sizeof(*stats));
	sp.live = 0;		/* a file gains nothing from live rounds */
	c.start_ns = util_now_ns();
	snprintf(what, sizeof(what), "save %s", p->domain);
	if (src_prepare(&c, what) != 0)
		goto out;
	if ((rc = p->be->ops->config_json(p->be, c.dom.domid, &config))) {
		src_fail(&c, rc, "cannot read the configuration of %s",
		    c.name);
		goto out;
	}
	/* A pipe or a device cannot be synced (EINVAL): nothing to do. */
	if (src_write_stream(&c, config) != 0 ||
	    (fsync(out_fd) != 0 && errno != EINVAL && errno != EROFS)) {
		src_fail(&c, -EIO, "writing the save file failed: %s",
		    strerror(errno));
		if (c.suspended)
			res = src_resume(&c) == 0 ? MIG_RESUMED :
			    MIG_UNDEFINED;
		goto out;
	}
	stats->downtime_ms = (util_now_ns() - c.suspend_ns) / 1000000u;
	if (keep_running) {
		rc = src_resume(&c);
		res = rc == 0 ? MIG_OK : MIG_UNDEFINED;
		if (rc != 0)
			src_fail(&c, rc, "saved, but %s could not be resumed",
			    c.name);
	} else if ((rc = p->be->ops->destroy(p->be, c.dom.domid)) != 0) {
		src_fail(&c, rc, "saved, but %s could not be destroyed",
		    c.name);
		res = MIG_UNDEFINED;
	} else
		res = MIG_OK;
out:
	stats->total_ms = (util_now_ns() - c.start_ns) / 1000000u;
	free(config);
	src_release(&c);
	return res;
}

/* c_info.name of a libxl config, or NULL; copied into buf. */
static const char *
save_config_name(const char *config, char *buf, size_t len)
{
	const char *path[] = { "c_info", "name", NULL };
	yajl_val root, v;
	const char *name = NULL;

	if (config == NULL ||
	    (root = json_parse(config, NULL, 0)) == NULL)
		return NULL;
	v = yajl_tree_get(root, path, yajl_t_string);
	if (v != NULL && YAJL_GET_STRING(v) != NULL &&
	    util_strlcpy(buf, YAJL_GET_STRING(v), len) == 0)
		name = buf;
	yajl_tree_free(root);
	return name;
}

/* Numbers of b_info for the restore parameters; 0 when absent. */
static void
save_config_sizes(const char *config, struct restore_params *rp)
{
	const char *mem[] = { "b_info", "max_memkb", NULL };
	const char *vcpu[] = { "b_info", "max_vcpus", NULL };
	const char *type[] = { "c_info", "type", NULL };
	const char *t;
	yajl_val root, v;

	if (config == NULL ||
	    (root = json_parse(config, NULL, 0)) == NULL)
		return;
	if ((v = yajl_tree_get(root, mem, yajl_t_number)) != NULL &&
	    YAJL_IS_INTEGER(v) && YAJL_GET_INTEGER(v) > 0)
		rp->max_memkb = (uint64_t)YAJL_GET_INTEGER(v);
	if ((v = yajl_tree_get(root, vcpu, yajl_t_number)) != NULL &&
	    YAJL_IS_INTEGER(v) && YAJL_GET_INTEGER(v) > 0 &&
	    YAJL_GET_INTEGER(v) <= 4096)
		rp->vcpus = (unsigned)YAJL_GET_INTEGER(v);
	if ((v = yajl_tree_get(root, type, yajl_t_string)) != NULL &&
	    (t = YAJL_GET_STRING(v)) != NULL) {
		if (strcmp(t, "pv") == 0)
			rp->type = DOM_TYPE_PV;
		else if (strcmp(t, "pvh") == 0)
			rp->type = DOM_TYPE_PVH;
		else
			rp->type = DOM_TYPE_HVM;
	}
	yajl_tree_free(root);
}

int
mig_restore_run(struct backend *be, int in_fd, const char *name, int paused,
    uint32_t *domid, char *why, size_t whylen)
{
	struct restore_params rp = { .type = DOM_TYPE_HVM, .vcpus = 1 };
	struct streamio_in in;
	struct streamio_tail tail;
	struct emu_recs emu = { .n = 0 };
	struct dom_info d;
	struct srerr e;
	char ebuf[300], cname[DOMNAME_MAX];
	int rc, created = 0;

	*domid = 0;
	srerr_clear(&e);
	if ((rc = streamio_read_prefix(&in, in_fd, 60 * 1000, &e)) != 0) {
		snprintf(why, whylen, "not a valid save file: %s",
		    srerr_format(&e, ebuf, sizeof(ebuf)));
		goto out;
	}
	if (name == NULL)
		name = save_config_name(in.config, cname, sizeof(cname));
	if (name == NULL) {
		rc = -EINVAL;
		snprintf(why, whylen, "the save file names no domain: give "
		    "--name");
		goto out;
	}
	if (backend_lookup(be, name, &d) == 0) {
		rc = -EEXIST;
		snprintf(why, whylen, "a domain named %s already exists (id "
		    "%u)", name, d.domid);
		goto out;
	}
	rp.name = name;
	rp.config_json = in.config;
	save_config_sizes(in.config, &rp);
	streamio_tail_init(&tail, &in, &rp);
	rc = be->ops->restore(be, in_fd, &rp, domid);
	created = rc == 0;	/* on failure the backend cleaned up */
	if (rc != 0 && tail.done && tail.rc != 0) {
		snprintf(why, whylen, "the end of the save file is defective: "
		    "%s", srerr_format(&tail.e, ebuf, sizeof(ebuf)));
		goto out;
	}
	if (rc != 0) {
		snprintf(why, whylen, "restoring %s failed: %s", name,
		    strerror(-rc));
		goto out;
	}
	if ((rc = streamio_tail_finish(&tail, &emu)) != 0) {
		snprintf(why, whylen, "the end of the save file is defective: "
		    "%s", srerr_format(&tail.e, ebuf, sizeof(ebuf)));
		goto out;
	}
	if (!paused && (rc = be->ops->unpause(be, *domid)) != 0) {
		snprintf(why, whylen, "restored %s but cannot unpause it: %s",
		    name, strerror(-rc));
		goto out;
	}
	log_info("restored %s as domain %u%s", name, *domid,
	    paused ? " (paused)" : "");
out:
	if (rc != 0 && created && be->ops->destroy(be, *domid) != 0)
		log_warnx("could not destroy the partly restored domain %u",
		    *domid);
	if (rc != 0)
		log_warnx("%s", why);
	emu_recs_clear(&emu);
	streamio_in_clear(&in);
	return rc;
}
