/*
 * xlmig.c - both halves of xl's migration protocol on xmig's engine.
 *
 * The sender reuses the source flow's steps (migrate_int.h): the same
 * checks, job lock, device steps, precopy policy and stream; only the
 * commit is xl's.  The receiver reads the same stream as a restore and
 * keeps the destination's rules of migrate_dst.c: a paused
 * NAME--incoming until "go", a GO record from then until it runs.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"
#include "log.h"
#include "migrate_int.h"
#include "relocio.h"
#include "streamio.h"
#include "util.h"
#include "uuid.h"
#include "xlmig.h"

int
xlmig_read_msg(int fd, enum xlproto_msg m, int timeout_ms)
{
	uint8_t buf[XLPROTO_MSG_MAX];
	size_t len;
	int rc;

	(void)xlproto_msg(m, &len);
	if ((rc = relocio_read_full(fd, buf, len, timeout_ms)) != 0)
		return rc;
	return xlproto_msg_check(m, buf, len);
}

int
xlmig_write_msg(int fd, enum xlproto_msg m, int timeout_ms)
{
	const void *b;
	size_t len;

	b = xlproto_msg(m, &len);
	return relocio_write_full(fd, b, len, timeout_ms);
}

/* "closed", "timed out" or "sent other bytes" for a failed read. */
static const char *
xlmig_read_error(int rc)
{
	if (rc == -EPROTO)
		return "other bytes came instead";
	if (rc == -ECONNRESET)
		return "the connection was closed";
	return strerror(-rc);
}

/* ------------------------------------------------------- sender */

/*
 * xl's commit after the stream: "ready", rename away, "go", the report
 * and its status.  Returns the outcome; undoes what it must on failure.
 */
static enum mig_result
xlsrc_commit(struct src_ctx *c, int tmo)
{
	char away[DOMNAME_MAX + 16];
	uint8_t status;
	int rc;

	fault_point("xlsrc-before-ready", c->fd);
	if ((rc = xlmig_read_msg(c->fd, XLPROTO_MSG_READY, tmo)) != 0) {
		src_fail(c, rc, "the xl receiver on %s did not receive the "
		    "domain (no ready message: %s)", c->p->host,
		    xlmig_read_error(rc));
		goto fail_resume_source;
	}
	fault_point("xlsrc-after-ready", c->fd);
	snprintf(away, sizeof(away), "%s%s", c->name, MIG_SUFFIX_AWAY);
	if ((rc = c->be->ops->rename(c->be, c->dom.domid, away)) != 0) {
		src_fail(c, rc, "cannot rename %s to %s", c->name, away);
		goto fail_resume_source;
	}
	c->renamed = 1;
	util_strlcpy(c->dom.name, away, sizeof(c->dom.name));

	/*
	 * The point of no return: once "go" may have reached the receiver
	 * the source copy must neither run nor be destroyed until the
	 * receiver reports.
	 */
	fault_point("xlsrc-before-go", c->fd);
	if ((rc = xlmig_write_msg(c->fd, XLPROTO_MSG_GO, tmo)) != 0) {
		/*
		 * Not all of it went: the receiver reads the whole message
		 * or destroys its copy (as xl's does), so ours may run.
		 */
		src_fail(c, rc, "cannot send the go message to %s: %s",
		    c->p->host, strerror(-rc));
		goto fail_resume_source;
	}
	fault_point("xlsrc-after-go", c->fd);
	fault_point("xlsrc-before-report", c->fd);
	if ((rc = xlmig_read_msg(c->fd, XLPROTO_MSG_REPORT, tmo)) != 0 ||
	    (rc = relocio_read_full(c->fd, &status, 1, tmo)) != 0)
		goto undefined;
	if (status != 0) {
		/* It destroys its copy, then gives us permission back. */
		log_warnx("the xl receiver on %s reports a startup failure "
		    "(status %u)", c->p->host, status);
		if ((rc = xlmig_read_msg(c->fd, XLPROTO_MSG_GO, tmo)) != 0)
			goto undefined;
		src_fail(c, -EIO, "the destination %s could not start the "
		    "domain (xl status %u) and destroyed its copy", c->p->host,
		    status);
		if (src_resume(c) != 0)
			return MIG_UNDEFINED;
		return MIG_RESUMED;
	}
	fault_point("xlsrc-after-report", c->fd);
	c->stats->downtime_ms = (util_now_ns() - c->suspend_ns) / 1000000u;
	if ((rc = c->be->ops->destroy(c->be, c->dom.domid)) != 0)
		log_warnx("domain %s runs on %s, but its source copy %s could "
		    "not be destroyed: %s", c->name, c->p->host, away,
		    strerror(-rc));
	return MIG_OK;

undefined:
	src_fail(c, rc, "connection to the xl receiver on %s lost after it "
	    "was cleared to unpause; %s is left suspended here as %s.  "
	    "Check on %s (\"xl list\") whether %s runs there: if it does, "
	    "destroy %s here; if it does not, rename %s back and resume "
	    "it, never both", c->p->host, c->name, away, c->p->host, c->name,
	    away, away);
	return MIG_UNDEFINED;
fail_resume_source:
	return src_resume(c) == 0 ? MIG_RESUMED : MIG_UNDEFINED;
}

enum mig_result
xlmig_src_run(const struct mig_src_params *p, struct mig_stats *stats,
    char *why, size_t whylen)
{
	struct src_ctx c = { .p = p, .be = p->be, .fd = p->fd,
	    .stats = stats, .why = why, .whylen = whylen };
	int tmo = (int)(p->reply_timeout_s ? p->reply_timeout_s : 120) * 1000;
	enum mig_result res = MIG_FAILED;
	char *config = NULL, what[300];
	int rc, refused;

	why[0] = '\0';
	memset(stats, 0, sizeof(*stats));
	c.start_ns = util_now_ns();
	snprintf(what, sizeof(what), "migrate %s to xl on %s", p->domain,
	    p->host);
	if (src_prepare(&c, what) != 0)
		goto out;
	rc = p->be->ops->config_json(p->be, c.dom.domid, &config);
	if (rc != 0) {
		src_fail(&c, rc, "cannot read the configuration of %s",
		    c.name);
		goto out;
	}
	if ((rc = xlmig_read_msg(c.fd, XLPROTO_MSG_BANNER, tmo)) != 0) {
		src_fail(&c, rc, "no xl migration receiver on %s: %s",
		    p->host, rc == -EPROTO ? "it answered with something "
		    "else than xl's banner" : xlmig_read_error(rc));
		goto out;
	}
	if (src_device_steps(&c, &refused) != 0) {
		if (refused)
			res = MIG_REFUSED;
		goto out;
	}
	if (src_write_stream(&c, config) != 0) {
		if (!c.suspended) {
			devmig_recover(&c.dm);
			goto out;	/* the guest never stopped */
		}
		res = src_resume(&c) == 0 ? MIG_RESUMED : MIG_UNDEFINED;
		goto out;
	}
	res = xlsrc_commit(&c, tmo);
out:
	stats->total_ms = (util_now_ns() - c.start_ns) / 1000000u;
	if (res != MIG_OK && c.suspend_ns != 0 && stats->downtime_ms == 0)
		stats->downtime_ms = (util_now_ns() - c.suspend_ns) / 1000000u;
	free(config);
	src_release(&c);
	return res;
}

/* ------------------------------------------------------- receiver */

struct xldst {
	const struct xlmig_dst_params *p;
	struct xlproto_facts f;
	char		 incoming[DOMNAME_MAX + 16];
	char		 key[UUID_STR_LEN];	/* GO record's, or "" */
	struct mig_dst_record rec;
	uint32_t	 domid;
	int		 created;
	char		*why;
	size_t		 whylen;
};

static void
xldst_phase(struct xldst *x, enum mig_phase ph, const char *detail)
{
	if (x->p->phase != NULL)
		x->p->phase(x->p->arg, ph, x->created ? (int64_t)x->domid : -1,
		    detail);
}

static int
xldst_fail(struct xldst *x, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
xldst_fail(struct xldst *x, int rc, const char *fmt, ...)
{
	va_list ap;

	if (x->why[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(x->why, x->whylen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* The receiving lock on the domain's uuid, as an xmigd worker's. */
static int
xldst_lock(struct xldst *x, struct joblock *l)
{
	char key[UUID_STR_LEN + 16], what[128], busy[256];
	int rc;

	l->fd = -1;
	if (!x->f.has_uuid)
		return 0;
	uuid_fmt(x->f.uuid, key);
	strcat(key, MIG_LOCK_INCOMING);
	snprintf(what, sizeof(what), "receive %s from xl", x->f.name);
	rc = joblock_take(l, mig_state_dir(x->p->be), key, what, busy,
	    sizeof(busy));
	if (rc != 0)
		return xldst_fail(x, rc, "%s is busy here: %s", x->f.name,
		    rc == -EBUSY ? busy : strerror(-rc));
	return 0;
}

/* The header and stream into a paused NAME--incoming. */
static int
xldst_receive(struct xldst *x, struct streamio_in *in)
{
	const struct xlmig_dst_params *p = x->p;
	struct restore_params rp = { .vcpus = 1 };
	struct streamio_tail tail;
	struct emu_recs emu = { .n = 0 };
	struct dom_info d;
	char ebuf[300];
	int rc;

	if (backend_lookup(p->be, x->incoming, &d) == 0)
		return xldst_fail(x, -EEXIST, "a domain named %s already "
		    "exists here (id %u)", x->incoming, d.domid);
	rp.name = x->incoming;
	rp.uuid = x->f.has_uuid ? x->f.uuid : NULL;
	rp.type = strcmp(x->f.type, "pv") == 0 ? DOM_TYPE_PV :
	    strcmp(x->f.type, "pvh") == 0 ? DOM_TYPE_PVH : DOM_TYPE_HVM;
	rp.max_memkb = x->f.max_memkb;
	rp.vcpus = x->f.vcpus;
	rp.config_json = in->config;
	xldst_phase(x, MIG_PHASE_RECEIVING, NULL);
	streamio_tail_init(&tail, in, &rp);
	rc = p->be->ops->restore(p->be, p->in_fd, &rp, &x->domid);
	if (rc != 0 && tail.done && tail.rc != 0)
		return xldst_fail(x, rc, "bad end of stream: %s",
		    srerr_format(&tail.e, ebuf, sizeof(ebuf)));
	if (rc != 0)
		return xldst_fail(x, rc, "restoring %s failed: %s", x->f.name,
		    strerror(-rc));
	x->created = 1;
	rc = streamio_tail_finish(&tail, &emu);
	emu_recs_clear(&emu);
	if (rc != 0)
		return xldst_fail(x, rc, "bad end of stream: %s",
		    srerr_format(&tail.e, ebuf, sizeof(ebuf)));
	return 0;
}

/*
 * The header: the configuration, its facts, the names.  in->config is
 * set on success.
 */
static int
xldst_header(struct xldst *x, struct streamio_in *in)
{
	const struct xlmig_dst_params *p = x->p;
	struct srerr e;
	char ebuf[300], fwhy[200];
	int rc;

	srerr_clear(&e);
	rc = streamio_read_prefix(in, p->in_fd, (int)p->timeout_s * 1000, &e);
	if (rc != 0)
		return xldst_fail(x, rc, "bad migration stream: %s",
		    srerr_format(&e, ebuf, sizeof(ebuf)));
	if (in->config == NULL)
		return xldst_fail(x, -EINVAL, "the xl header carries no "
		    "domain configuration");
	if (p->reserved_config != NULL &&
	    strcmp(in->config, p->reserved_config) != 0)
		return xldst_fail(x, -EINVAL, "the xl header's configuration "
		    "is not the one the reservation was made for");
	if ((rc = xlproto_config_facts(in->config, strlen(in->config), &x->f,
	    fwhy, sizeof(fwhy))) != 0)
		return xldst_fail(x, rc, "%s", fwhy);
	snprintf(x->incoming, sizeof(x->incoming), "%s%s", x->f.name,
	    MIG_SUFFIX_INCOMING);
	return 0;
}

/* Write the report and its status byte.  0 or a negative errno. */
static int
xldst_report(struct xldst *x, uint8_t status)
{
	int tmo = (int)x->p->timeout_s * 1000, rc;

	if ((rc = xlmig_write_msg(x->p->out_fd, XLPROTO_MSG_REPORT, tmo)) != 0)
		return rc;
	return relocio_write_full(x->p->out_fd, &status, 1, tmo);
}

/* After "go": rename to the own name, unpause unless paused. */
static int
xldst_start(struct xldst *x, char *name, size_t namelen)
{
	struct backend *be = x->p->be;
	int rc;

	if (fault_armed("xldst-start-fails"))
		return xldst_fail(x, -EIO, "cannot start %s: fault point "
		    "xldst-start-fails", x->incoming);
	if ((rc = be->ops->rename(be, x->domid, x->f.name)) != 0)
		return xldst_fail(x, rc, "cannot rename %s to %s: %s",
		    x->incoming, x->f.name, strerror(-rc));
	util_strlcpy(name, x->f.name, namelen);
	if (!x->p->paused && (rc = be->ops->unpause(be, x->domid)) != 0)
		return xldst_fail(x, rc, "cannot unpause %s: %s", x->f.name,
		    strerror(-rc));
	return 0;
}

/* Write the GO record: from here the domain is ours to start. */
static int
xldst_record(struct xldst *x)
{
	int rc;

	if (!x->f.has_uuid)
		return 0;
	uuid_fmt(x->f.uuid, x->key);
	memset(&x->rec, 0, sizeof(x->rec));
	util_strlcpy(x->rec.name, x->f.name, sizeof(x->rec.name));
	util_strlcpy(x->rec.incoming, x->incoming, sizeof(x->rec.incoming));
	x->rec.domid = x->domid;
	if ((rc = mig_dst_record_write(x->p->be, x->key, &x->rec)) != 0) {
		x->key[0] = '\0';
		return xldst_fail(x, rc, "cannot record GO: %s",
		    strerror(-rc));
	}
	return 0;
}

int
xlmig_dst_run(const struct xlmig_dst_params *p, char *name, size_t namelen,
    char *why, size_t whylen)
{
	struct xldst x = { .p = p, .why = why, .whylen = whylen };
	int tmo = (int)p->timeout_s * 1000, rc;
	struct streamio_in in = { .config = NULL };
	struct joblock lock = { .fd = -1 };

	why[0] = '\0';
	name[0] = '\0';
	if (p->banner &&
	    (rc = xlmig_write_msg(p->out_fd, XLPROTO_MSG_BANNER, tmo)) != 0) {
		xldst_fail(&x, rc, "cannot write the banner: %s",
		    strerror(-rc));
		goto fail_destroy_incoming;
	}
	if ((rc = xldst_header(&x, &in)) != 0 ||
	    (rc = xldst_lock(&x, &lock)) != 0 ||
	    (rc = xldst_receive(&x, &in)) != 0)
		goto fail_destroy_incoming;
	fault_point("xldst-before-ready", p->out_fd);
	if ((rc = xlmig_write_msg(p->out_fd, XLPROTO_MSG_READY, tmo)) != 0) {
		xldst_fail(&x, rc, "cannot tell the sender: %s",
		    strerror(-rc));
		goto fail_destroy_incoming;
	}
	xldst_phase(&x, MIG_PHASE_RECEIVED, NULL);
	fault_point("xldst-after-ready", p->out_fd);
	if ((rc = xlmig_read_msg(p->in_fd, XLPROTO_MSG_GO, tmo)) != 0) {
		/* As xl: a sender still there is told, and may resume. */
		xldst_fail(&x, rc, "no go message from the sender: %s",
		    xlmig_read_error(rc));
		goto fail_give_back;
	}
	/*
	 * The point of no return: the sender may have stopped for good.
	 * A GO record that cannot be written fails the start while the
	 * sender can still resume its copy.
	 */
	if ((rc = xldst_record(&x)) != 0)
		goto fail_give_back;
	xldst_phase(&x, MIG_PHASE_GO, NULL);
	fault_point("xldst-after-go", p->out_fd);
	if ((rc = xldst_start(&x, name, namelen)) != 0)
		goto fail_give_back;
	if (x.key[0] != '\0')
		mig_dst_record_remove(p->be, x.key);
	xldst_phase(&x, MIG_PHASE_RUNNING, name);
	fault_point("xldst-before-report", p->out_fd);
	if (xldst_report(&x, 0) != 0)
		log_warnx("%s runs here, but the xl sender was not told: it "
		    "leaves its copy suspended as %s%s", name, x.f.name,
		    MIG_SUFFIX_AWAY);
	log_info("%s received from xl and %s as domain %u", name,
	    p->paused ? "left paused" : "running", x.domid);
	streamio_in_clear(&in);
	joblock_release(&lock);
	return 0;

fail_give_back:
	/*
	 * Without "go", or after it, as xl: report the failure, destroy our
	 * copy, then give the sender its permission to resume.  A copy that cannot be
	 * destroyed keeps its GO record marked "abandon" for xmigd, and
	 * the sender is not given permission.
	 */
	log_warnx("incoming %s: %s", x.f.name, why);
	if (x.key[0] != '\0') {
		x.rec.abandon = 1;
		(void)mig_dst_record_write(p->be, x.key, &x.rec);
	}
	(void)xldst_report(&x, XLPROTO_STATUS_FAILED);
	if (p->be->ops->destroy(p->be, x.domid) != 0) {
		log_warnx("could not destroy the incoming copy of %s (domain "
		    "%u)", x.f.name, x.domid);
		xldst_phase(&x, MIG_PHASE_FAILED, why);
		goto out;
	}
	if (x.key[0] != '\0')
		mig_dst_record_remove(p->be, x.key);
	(void)xlmig_write_msg(p->out_fd, XLPROTO_MSG_GO, tmo);
	xldst_phase(&x, MIG_PHASE_FAILED, why);
	goto out;

fail_destroy_incoming:
	log_warnx("incoming %s: %s", x.f.name[0] ? x.f.name : "domain", why);
	if (x.created && p->be->ops->destroy(p->be, x.domid) != 0)
		log_warnx("could not destroy the incoming copy %s (domain %u)",
		    x.incoming, x.domid);
	xldst_phase(&x, MIG_PHASE_FAILED, why);
out:
	streamio_in_clear(&in);
	joblock_release(&lock);
	return rc < 0 ? rc : -EIO;
}
