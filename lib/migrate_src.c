/*
 * migrate_src.c - the source side of a live migration, and the steps it
 * shares with a save to a file.
 *
 * The order (DESIGN.md): check the domain; hello; reservation; device
 * step 0 (a refusal changes nothing) and 1; live precopy rounds under the
 * precopy policy; suspend over xenstore; device steps 2 and 3; the last
 * dirty pages and the state; RECEIVED; rename away; GO; REPORT; destroy.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <linux/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "compress.h"
#include "fault.h"
#include "log.h"
#include "migrate_int.h"
#include "relocio.h"
#include "streamio.h"
#include "suspend.h"
#include "util.h"
#include "xsutil.h"
#include "uuid.h"

#define PROGRESS_EVERY_NS	(200 * 1000 * 1000)

int
src_fail(struct src_ctx *c, int rc, const char *fmt, ...)
{
	va_list ap;

	if (c->why[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(c->why, c->whylen, fmt, ap);
		va_end(ap);
		log_warnx("%s", c->why);
	}
	return rc;
}

const char *
mig_state_dir(struct backend *be)
{
	const char *d = NULL;

	if (be->ops->state_dir != NULL)
		d = be->ops->state_dir(be);
	return d != NULL ? d : LOCALSTATEDIR "/lib/xmig";
}

int
mig_domain_busy(struct backend *be, const struct dom_info *d, char *busy,
    size_t busylen)
{
	char key[64];
	int rc;

	uuid_fmt(d->uuid, key);
	if ((rc = joblock_check(mig_state_dir(be), key, busy, busylen)) != 0)
		return rc;
	return mig_dst_busy(be, d->uuid, busy, busylen);
}

uint64_t
src_bytes(const struct src_ctx *c)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	off_t off;

	if (c->enc != NULL)	/* the stream's bytes, before framing */
		return wire_enc_raw(c->enc) - c->base_bytes;
	if ((off = lseek(c->fd, 0, SEEK_CUR)) >= 0)
		return (uint64_t)off - c->base_bytes;
	if (getsockopt(c->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0)
		return ti.tcpi_bytes_acked > 0 ? ti.tcpi_bytes_acked - 1 -
		    c->base_bytes : 0;
	return 0;
}

int
src_prepare(struct src_ctx *c, const char *what)
{
	char busy[512], uuid[UUID_STR_LEN];
	int rc;

	rc = backend_lookup(c->be, c->p->domain, &c->dom);
	if (rc == -ESRCH)
		return src_fail(c, rc, "no domain \"%s\"", c->p->domain);
	if (rc != 0)
		return src_fail(c, rc, "cannot look up domain \"%s\": %s",
		    c->p->domain, strerror(-rc));
	if (c->dom.domid == 0)
		return src_fail(c, -EPERM, "cannot migrate privileged "
		    "domain %s", c->dom.name);
	if (c->dom.state != DOM_RUNNING)
		return src_fail(c, -EINVAL, "domain %s is %s, not running",
		    c->dom.name, dom_state_name(&c->dom));
	/* Before anything changes, here or at the destination. */
	if (c->p->live && c->be->ops->can_live != NULL &&
	    (rc = c->be->ops->can_live(c->be, c->dom.domid)) != 0)
		return src_fail(c, rc, "domain %s cannot be migrated live "
		    "here; use --no-live", c->dom.name);
	util_strlcpy(c->name, c->dom.name, sizeof(c->name));
	util_strlcpy(c->stats->domain, c->dom.name, sizeof(c->stats->domain));
	uuid_fmt(c->dom.uuid, uuid);
	rc = joblock_take(&c->lock, mig_state_dir(c->be), uuid, what, busy,
	    sizeof(busy));
	if (rc == 0)
		rc = mig_dst_busy(c->be, c->dom.uuid, busy, sizeof(busy));
	if (rc == -EBUSY)
		return src_fail(c, rc, "domain %s is busy: %s", c->dom.name,
		    busy);
	if (rc != 0)
		return src_fail(c, rc, "cannot lock domain %s: %s",
		    c->dom.name, strerror(-rc));
	if ((c->xs = xsutil_open(c->be)) == NULL)
		return src_fail(c, -EIO, "cannot connect to xenstore");
	rc = devmig_init(&c->dm, c->xs, c->p->device_dir != NULL ?
	    c->p->device_dir : "/nonexistent", c->p->device_timeout_s ?
	    c->p->device_timeout_s : 60, c->dom.domid, c->dom.name,
	    c->p->host != NULL ? c->p->host : "");
	if (rc != 0)
		return src_fail(c, rc, "device migrate set-up failed");
	return 0;
}

void
src_release(struct src_ctx *c)
{
	joblock_release(&c->lock);
	if (c->xs != NULL)
		xs_close(c->xs);
	c->xs = NULL;
}

static void
src_report(struct src_ctx *c, const char *phase)
{
	struct mig_progress pr;
	uint64_t now = util_now_ns();
	unsigned int i;

	if (c->p->progress == NULL)
		return;
	memset(&pr, 0, sizeof(pr));
	pr.phase = phase;
	pr.round = c->round;
	pr.round_sent = c->round_sent;
	pr.round_total = c->pc.last_dirty > 0 ? (uint64_t)c->pc.last_dirty :
	    0;
	pr.bytes_sent = src_bytes(c);
	pr.elapsed_ms = (now - c->start_ns) / 1000000u;
	/* The last round's rate once known, else the average so far. */
	pr.bandwidth = c->pc.bandwidth;
	if (pr.bandwidth == 0 && now > c->stream_ns)
		pr.bandwidth = pr.bytes_sent * 1000000000u /
		    (now - c->stream_ns);
	pr.predicted_ms = c->pc.predicted_ms;
	pr.throttle_pct = c->thr.pct;
	/* The latest measured rate (a round sent after the last decision
	 * has none of its own). */
	for (i = c->stats->nrounds; i > 0 && pr.dirty_rate == 0; i--)
		pr.dirty_rate = c->stats->rounds[i - 1].dirty_rate;
	if (c->vbd != NULL && c->vbd->n > 0) {
		pr.disk_sent = c->vbd->fig.sent;
		pr.disk_total = c->vbd->fig.total;
		pr.disk_round = c->vbd->fig.rounds;
		pr.disk_dirty_rate = c->vbd->fig.dirty_rate;
	}
	c->p->progress(&pr, c->p->arg);
}

/* The disks' copy: its progress now and then, its figures at the end. */
static void
src_vbd_progress(void *arg)
{
	struct src_ctx *c = arg;
	uint64_t now = util_now_ns();

	if (now - c->last_progress_ns >= PROGRESS_EVERY_NS) {
		c->last_progress_ns = now;
		src_report(c, c->suspended ? "disks, last blocks" : "disks");
	}
}

static void
src_vbd_stats(struct src_ctx *c)
{
	struct mig_stats *s = c->stats;

	if (c->vbd == NULL || c->vbd->n == 0)
		return;
	s->disks = c->vbd->n;
	s->disk_total = c->vbd->fig.total;
	s->disk_bytes = c->vbd->fig.sent;
	s->disk_rounds = c->vbd->fig.rounds;
	s->disk_dirty_rate = c->vbd->fig.dirty_rate;
	s->disk_final_bytes = c->vbd->fig.final_bytes;
	s->disk_final_ms = c->vbd->fig.final_ms;
	s->disk_bulk_ms = c->vbd->fig.bulk_ms;
}

/*
 * Device step 0 of the disks: which are copied, which refused.  Before
 * the reservation, which carries their list.
 */
static int
src_vbd_prepare(struct src_ctx *c)
{
	struct vbdmig_opts o = {
		.copy = c->p->copy_storage,
		.shared = c->p->shared_storage,
		.shared_prefixes = c->p->shared_prefixes,
		.live = c->p->live,
	};
	char why[768];
	int rc;

	rc = vbdmig_src_prepare(c->vbd, c->be, c->dom.domid, &o, why,
	    sizeof(why));
	if (rc != 0)
		return src_fail(c, rc, "domain %s cannot move: %s",
		    c->dom.name, why);
	c->vbd->cancel = c->p->cancel;
	c->vbd->progress = src_vbd_progress;
	c->vbd->arg = c;
	return 0;
}

/* save_callbacks.suspend: suspend, then device steps 2 and 3. */
/* The domain's state as a word for messages ("shutdown(crash)"). */
static const char *
src_state_now(struct src_ctx *c)
{
	struct dom_info d;

	if (c->be->ops->info(c->be, c->dom.domid, &d) != 0)
		return "unknown";
	return dom_state_name(&d);
}

static int	src_record_write(struct src_ctx *c);

/* Auto-converge: apply the throttle the policy asks for now. */
static void
src_throttle(struct src_ctx *c)
{
	unsigned want = c->pc.throttle_pct;
	int rc;

	if (!c->pc.auto_converge || want == c->thr.pct)
		return;
	if ((rc = throttle_apply(&c->thr, want)) != 0) {
		/* The migration goes on, as it would without. */
		log_warnx("domain %s cannot be throttled (%s): auto-converge "
		    "is off for this migration", c->dom.name, rc ==
		    -EOPNOTSUPP ? "not supported here" : strerror(-rc));
		c->pc.auto_converge = 0;
		return;
	}
	c->stats->throttle_pct = c->thr.max_pct;
}

/* Give the guest its CPU back (logged on failure; the guard retries). */
static void
src_unthrottle(struct src_ctx *c)
{
	(void)throttle_release(&c->thr);
	c->pc.auto_converge = 0;
}

static int
src_cb_suspend(void *data)
{
	struct src_ctx *c = data;
	char why[256];
	int rc;

	/*
	 * The pages the policy let go with its last decision were sent live
	 * after it, with no later call to count them: a round of its own.
	 */
	if (c->round_sent > 0) {
		c->pages_sent += c->round_sent;
		mig_stats_add_round(c->stats, c->round_sent,
		    (util_now_ns() - c->pc.last_ns) / 1000000u, 0);
		c->round_sent = 0;
	}
	/*
	 * From the suspend on a source killed here leaves a stopped guest:
	 * the recovery record says where it was going, so that "xmig
	 * recover" can ask there and resume it (or destroy it, once GO
	 * was sent and the destination runs it).
	 */
	if (c->migrating && src_record_write(c) != 0) {
		src_fail(c, -EIO, "cannot write the recovery record; %s keeps "
		    "running here", c->dom.name);
		return 0;
	}
	src_report(c, "suspending");
	c->suspend_ns = util_now_ns();
	rc = suspend_domain(c->be, c->xs, c->dom.domid,
	    c->p->suspend_timeout_s ? c->p->suspend_timeout_s : 60,
	    c->p->cancel);
	if (rc == -ETIMEDOUT || rc == -ECANCELED || rc == -EOPNOTSUPP) {
		src_fail(c, rc, "domain %s: %s", c->dom.name, rc ==
		    -ETIMEDOUT ? "the guest did not acknowledge the suspend "
		    "request; it keeps running here" : rc == -EOPNOTSUPP ?
		    "it has no PV drivers and cannot be suspended here; it "
		    "keeps running" : "cancelled");
		return 0;
	}
	if (rc == -EIO || rc == -ESRCH) {
		/* Never resumed: resuming a crashed domain undoes the crash. */
		src_fail(c, rc, "domain %s stopped instead of suspending "
		    "(%s): it was not moved and is left as it is here",
		    c->dom.name, rc == -ESRCH ? "it is gone" :
		    src_state_now(c));
		return 0;
	}
	/* Acknowledged: from here on it may be stopped, resume on failure. */
	c->suspended = 1;
	if (c->migrating)
		fault_point("src-after-suspend", c->fd);
	src_unthrottle(c);
	if (rc != 0) {
		src_fail(c, rc, "domain %s did not suspend: %s", c->dom.name,
		    strerror(-rc));
		return 0;
	}
	if ((rc = devmig_step(&c->dm, 2, why, sizeof(why))) != 0 ||
	    (rc = devmig_step(&c->dm, 3, why, sizeof(why))) != 0) {
		src_fail(c, rc, "device migrate step %d failed: %s",
		    c->dm.reached, why);
		return 0;
	}
	if (c->migrating)
		fault_point("src-after-step3", c->fd);
	src_report(c, "copying");
	return 1;
}

/* save_callbacks.postcopy: the libxl records after the libxc stream. */
static int
src_cb_postcopy(void *data)
{
	struct src_ctx *c = data;

	int tmo = (int)(c->p->reply_timeout_s ? c->p->reply_timeout_s : 60);

	return streamio_write_suffix(c->fd, &c->emu, tmo * 1000) == 0;
}

static int
src_cb_policy(struct precopy_stats stats, void *data)
{
	struct src_ctx *c = data;
	int d;

	if (stats.iteration > 0 || c->round > 0)
		c->pages_sent += c->round_sent;
	c->round = stats.iteration;
	c->round_sent = 0;
	if (c->migrating && stats.iteration == 1)
		fault_point("src-mid-precopy", c->fd);
	d = precopy_decide(&c->pc, &stats, util_now_ns());
	if (d == PRECOPY_CONTINUE)
		src_throttle(c);
	if (d == PRECOPY_CONTINUE && c->pc.too_dirty && stats.dirty_count == 0)
		(void)usleep(PRECOPY_IDLE_MS * 1000);
	src_report(c, "precopy");
	return d;
}

static void
src_cb_progress(unsigned iteration, uint64_t sent, uint64_t total,
    void *data)
{
	struct src_ctx *c = data;
	uint64_t now = util_now_ns();

	(void)total;
	c->round_sent = sent;
	if (iteration != c->round)
		c->round = iteration;
	if (now - c->last_progress_ns >= PROGRESS_EVERY_NS) {
		c->last_progress_ns = now;
		src_report(c, c->suspended ? "copying" : "precopy");
	}
}

int
src_write_stream(struct src_ctx *c, const char *config)
{
	uint64_t xalloc = 0;
	struct save_callbacks cb = {
		.suspend = src_cb_suspend,
		.precopy_policy = src_cb_policy,
		.postcopy = src_cb_postcopy,
		.progress = src_cb_progress,
		.data = c,
	};
	struct save_params sp = {
		.live = c->p->live,
		.bandwidth = c->p->bandwidth,
		.emu = &c->emu,
		/*
		 * Zero pages as XALLOC entries, which the destination's
		 * restore populates without a byte read; framed, the
		 * backend decides (save_params.framed).
		 */
		.xalloc = !c->p->no_zero_elision,
		.framed = c->enc != NULL,
		.xalloc_pages = &xalloc,
	};
	int rc;

	precopy_init(&c->pc, c->p->max_downtime_ms, c->p->max_rounds,
	    c->p->max_time_ms, c->p->cancel, c->stats, util_now_ns());
	throttle_init(&c->thr, c->be, &c->dom);
	c->pc.auto_converge = c->migrating && c->p->live &&
	    !c->p->no_auto_converge;
	if (c->pc.auto_converge)
		c->pc.too_dirty = fault_armed("precopy-too-dirty");
	c->base_bytes = 0;
	c->base_bytes = src_bytes(c);
	c->stream_ns = util_now_ns();
	rc = streamio_write_prefix(c->fd, config, 60 * 1000);
	if (rc != 0)
		return src_fail(c, rc, "cannot write the stream: %s",
		    strerror(-rc));
	rc = c->be->ops->save(c->be, c->dom.domid, c->fd, &sp, &cb);
	/* A save that failed before the suspend leaves the guest running. */
	src_unthrottle(c);
	emu_recs_clear(&c->emu);
	/* The final round: pages copied while the guest was suspended. */
	c->pages_sent += c->round_sent;
	c->stats->pages_sent = c->pages_sent;
	if (c->suspended)
		mig_stats_add_round(c->stats, c->round_sent,
		    (util_now_ns() - c->suspend_ns) / 1000000u, 0);
	c->stats->bytes_sent = src_bytes(c);
	c->stats->zero_pages = xalloc;
	if (rc != 0)
		return src_fail(c, rc, "saving domain %s failed%s%s",
		    c->dom.name, c->pc.reason != NULL &&
		    strcmp(c->pc.reason, "cancelled") == 0 ? ": cancelled" :
		    "", rc == -EOPNOTSUPP ? " (try --no-live)" : "");
	return 0;
}

int
src_resume(struct src_ctx *c)
{
	struct dom_info now;
	int rc;

	devmig_recover(&c->dm);
	if (c->renamed && c->be->ops->rename(c->be, c->dom.domid,
	    c->name) == 0) {
		c->renamed = 0;
		util_strlcpy(c->dom.name, c->name, sizeof(c->dom.name));
	}
	/*
	 * A guest that acknowledged the request and then gave up its
	 * suspend (or never acted on a request we could not withdraw) runs
	 * on: there is nothing to resume.
	 */
	if (backend_lookup(c->be, c->name, &now) == 0 &&
	    now.domid == c->dom.domid && now.state == DOM_RUNNING) {
		c->suspended = 0;
		log_info("domain %s did not stop: it runs on at the source",
		    c->dom.name);
		return 0;
	}
	if ((rc = c->be->ops->resume(c->be, c->dom.domid)) != 0) {
		log_warnx("domain %s (id %u) could not be resumed and is left "
		    "suspended: %s", c->dom.name, c->dom.domid,
		    strerror(-rc));
		return rc;
	}
	c->suspended = 0;
	log_info("domain %s resumed at the source", c->dom.name);
	return 0;
}

/* ------------------------------------------------------- migration */

/* The recovery record: where the domain went when GO was sent. */
static void
src_record_path(struct src_ctx *c, char *path, size_t len)
{
	char uuid[UUID_STR_LEN];

	uuid_fmt(c->dom.uuid, uuid);
	snprintf(path, len, "%s/recover-%s", mig_state_dir(c->be), uuid);
}

static int
src_record_write(struct src_ctx *c)
{
	char path[4200], line[600 + BE_DISK_MAX * 1040];
	unsigned i;
	size_t len;
	int rc;

	src_record_path(c, path, sizeof(path));
	len = (size_t)snprintf(line, sizeof(line), "name=%s\ndomid=%u\n"
	    "host=%s\nport=%u\n", c->name, c->dom.domid, c->p->host,
	    c->p->port);
	/* Auto-converge's throttle: what "xmig recover" gives back. */
	if (c->thr.held && len < sizeof(line))
		len += (size_t)snprintf(line + len, sizeof(line) - len,
		    "throttle=%u\n", c->thr.orig);
	/* The images copied: "xmig recover" removes them if it moved. */
	for (i = 0; c->vbd != NULL && i < c->vbd->n && len < sizeof(line);
	    i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len,
		    "image=%s\n", c->vbd->d[i].be.path);
	if ((rc = util_write_atomic(path, line, 0600)) != 0) {
		log_warnx("%s: %s", path, strerror(-rc));
		return rc;
	}
	c->recorded = 1;
	return 0;
}

static void
src_record_remove(struct src_ctx *c)
{
	char path[4200];

	src_record_path(c, path, sizeof(path));
	unlink(path);
	c->recorded = 0;
}

int
src_device_steps(struct src_ctx *c, int *refused)
{
	char dwhy[256];
	int rc;

	*refused = 0;
	if ((rc = devmig_step(&c->dm, 0, dwhy, sizeof(dwhy))) != 0) {
		*refused = 1;
		return src_fail(c, rc, "device migrate step 0 refused: %s",
		    dwhy);
	}
	if ((rc = devmig_step(&c->dm, 1, dwhy, sizeof(dwhy))) != 0) {
		src_fail(c, rc, "device migrate step 1 failed: %s", dwhy);
		devmig_recover(&c->dm);
		return rc;
	}
	return 0;
}

/* HELLO both ways, then RESERVE and its answer. */
static int
src_negotiate(struct src_ctx *c, const char *config, int tmo)
{
	struct reloc_msg m;
	char uuid[UUID_STR_LEN];
	int rc, old;

	/* Tests: a source older than the framed stream. */
	old = fault_armed("src-no-frames");
	/* Xen: the plain stream unless asked (mig_src_params). */
	if (!old && !c->p->compress_asked &&
	    strcmp(c->be->ops->name, "xen") == 0)
		old = 1;
	rc = relocio_hello_offer(c->fd, &m, old ? NULL : compress_offer(),
	    tmo);
	if (rc == -ECONNREFUSED) {
		util_strlcpy(c->stats->refusal, m.code,
		    sizeof(c->stats->refusal));
		return src_fail(c, rc, "%s refused: %s", c->p->host,
		    m.reason);
	}
	if (rc == -EPROTONOSUPPORT)
		return src_fail(c, rc, "xmigd on %s answered in "
		    "relocation protocol version %u; this xmig speaks %u",
		    c->p->host, m.version, RELOC_VERSION);
	if (rc != 0)
		return src_fail(c, rc, "no answer from xmigd on %s: %s",
		    c->p->host, strerror(-rc));
	fault_point("src-after-hello", c->fd);
	if (!old && wire_choose(&m, c->p->compress, !c->p->no_zero_elision,
	    &c->codec, &c->dense))
		snprintf(c->stats->codec, sizeof(c->stats->codec), "%s%s%s",
		    frame_codec_name(c->codec), c->dense != FRAME_CODEC_NONE ?
		    "+" : "", c->dense != FRAME_CODEC_NONE ?
		    frame_codec_name(c->dense) : "");

	reloc_msg_init(&m, RELOC_RESERVE);
	uuid_fmt(c->dom.uuid, uuid);
	snprintf(m.job, sizeof(m.job), "%ld-%s", (long)getpid(), uuid);
	util_strlcpy(m.name, c->name, sizeof(m.name));
	memcpy(m.uuid, c->dom.uuid, sizeof(m.uuid));
	m.has_uuid = 1;
	util_strlcpy(m.domtype, dom_type_name(c->dom.type), sizeof(m.domtype));
	m.memkb = c->dom.max_memkb;
	m.vcpus = c->dom.vcpus ? c->dom.vcpus : 1;
	m.config = (char *)config;
	if (c->vbd != NULL && c->vbd->n > 0 &&
	    (m.disks = vbdmig_src_spec(c->vbd)) == NULL)
		return src_fail(c, -ENOMEM, "cannot describe the disks");
	rc = relocio_send(c->fd, &m, tmo);
	m.config = NULL;
	free(m.disks);
	m.disks = NULL;
	if (rc != 0)
		return src_fail(c, rc, "cannot send the reservation: %s",
		    strerror(-rc));
	rc = relocio_expect(c->fd, RELOC_ACCEPT, &m, tmo);
	if (rc == -ECONNREFUSED) {
		util_strlcpy(c->stats->refusal, m.code,
		    sizeof(c->stats->refusal));
		return src_fail(c, rc, "%s refused the reservation: %s",
		    c->p->host, m.reason);
	}
	if (rc != 0)
		return src_fail(c, rc, "no answer to the reservation: %s",
		    strerror(-rc));
	log_info("%s reserved memory for %s, arriving as %s", c->p->host,
	    c->name, m.incoming);
	fault_point("src-after-reserve", c->fd);
	return 0;
}

/* Send ABORT with a reason, best effort: the peer may be gone. */
static void
src_abort(struct src_ctx *c)
{
	struct reloc_msg m;

	reloc_msg_init(&m, RELOC_ABORT);
	util_strlcpy(m.reason, c->why[0] ? c->why : "aborted by the source",
	    sizeof(m.reason));
	(void)relocio_send(c->fd, &m, 2000);
}

/*
 * The commit handshake after the stream: RECEIVED, rename away, GO,
 * REPORT.  Returns the outcome; undoes what it must on failure.
 */
static enum mig_result
src_commit(struct src_ctx *c, int tmo)
{
	char away[DOMNAME_MAX + 16];
	struct reloc_msg m;
	int rc;

	rc = relocio_expect(c->fd, RELOC_RECEIVED, &m, tmo);
	if (rc != 0) {
		src_fail(c, rc, "the destination did not receive the domain: "
		    "%s", rc == -ECANCELED ? m.reason : strerror(-rc));
		goto fail_resume_source;
	}
	fault_point("src-after-received", c->fd);
	snprintf(away, sizeof(away), "%s%s", c->name, MIG_SUFFIX_AWAY);
	if ((rc = c->be->ops->rename(c->be, c->dom.domid, away)) != 0) {
		src_fail(c, rc, "cannot rename %s to %s", c->name, away);
		goto fail_resume_source;
	}
	c->renamed = 1;
	util_strlcpy(c->dom.name, away, sizeof(c->dom.name));
	if (src_record_write(c) != 0) {
		src_fail(c, -EIO, "cannot write the recovery record");
		goto fail_resume_source;
	}

	/*
	 * The point of no return: once GO may have reached the
	 * destination, the source copy must neither run nor be destroyed
	 * until the destination says what happened.
	 */
	if (fault_armed("src-drop-before-go"))
		shutdown(c->fd, SHUT_RDWR);
	fault_point("src-before-go", c->fd);
	reloc_msg_init(&m, RELOC_GO);
	if ((rc = relocio_send(c->fd, &m, tmo)) != 0)
		goto undefined;
	if (fault_armed("src-drop-after-go"))
		shutdown(c->fd, SHUT_RDWR);
	fault_point("src-after-go", c->fd);
	rc = relocio_expect(c->fd, RELOC_REPORT, &m, tmo);
	if (rc == -ECANCELED) {
		/* The destination did not start it and destroyed its copy. */
		src_fail(c, rc, "the destination could not start the domain: "
		    "%s", m.reason);
		src_record_remove(c);
		goto fail_resume_source;
	}
	if (rc != 0 || strcmp(m.result, "running") != 0)
		goto undefined;
	fault_point("src-after-report", c->fd);
	c->stats->downtime_ms = (util_now_ns() - c->suspend_ns) / 1000000u;
	/* All acknowledged by now: what was in flight at the end counts. */
	c->stats->bytes_sent = src_bytes(c);
	if ((rc = c->be->ops->destroy(c->be, c->dom.domid)) != 0)
		log_warnx("domain %s runs on %s, but its source copy %s could "
		    "not be destroyed: %s", c->name, c->p->host, away,
		    strerror(-rc));
	else if (c->vbd != NULL)
		vbdmig_src_remove(c->vbd);	/* its disks moved too */
	src_record_remove(c);
	fault_point("src-after-destroy", c->fd);
	reloc_msg_init(&m, RELOC_DONE);
	(void)relocio_send(c->fd, &m, 2000);
	return MIG_OK;

undefined:
	src_fail(c, rc, "connection to %s lost after the destination was "
	    "cleared to unpause; %s is left suspended here as %s: run "
	    "\"xmig recover %s\"", c->p->host, c->name, away, c->name);
	return MIG_UNDEFINED;
fail_resume_source:
	src_abort(c);
	return src_resume(c) == 0 ? MIG_RESUMED : MIG_UNDEFINED;
}

/*
 * A framed stream: the backend writes into the encoder, which sends
 * frames on the connection until src_frame_finish().
 */
static int
src_frame_start(struct src_ctx *c, int tmo)
{
	int rc, infd;

	if (c->stats->codec[0] == '\0')
		return 0;
	c->netfd = c->fd;
	c->frame_base = src_bytes(c);	/* the connection's, so far */
	if ((rc = wire_enc_start(c->fd, c->codec, c->dense,
	    !c->p->no_zero_elision, 0, tmo, &c->enc, &infd)) != 0)
		return rc;
	c->fd = infd;
	return 0;
}

/*
 * The stream could not be sent: a destination that refused it (a bad
 * frame) said why in FAILED, which is the reason to give.
 */
static void
src_frame_refusal(struct src_ctx *c)
{
	struct reloc_msg m;

	if (relocio_expect(c->fd, RELOC_RECEIVED, &m, 2000) == -ECANCELED)
		snprintf(c->why, c->whylen, "the destination refused the "
		    "stream: %s", m.reason);
	reloc_msg_clear(&m);
}

/* The END frame; the connection is the flow's again.  0 or -errno. */
static int
src_frame_finish(struct src_ctx *c)
{
	struct wire_stats ws;
	int rc;

	if (c->enc == NULL) {
		c->stats->bytes_raw = c->stats->bytes_sent;
		return 0;
	}
	rc = wire_enc_finish(c->enc, &ws);
	c->enc = NULL;
	c->fd = c->netfd;
	/* From here bytes_sent counts what went on the wire. */
	c->base_bytes = c->frame_base;
	c->stats->bytes_raw = ws.raw;
	c->stats->zero_pages += ws.zero_pages;
	c->stats->frames = ws.frames;
	c->stats->frames_lz4 = ws.lz4;
	c->stats->frames_zstd = ws.zstd;
	c->stats->bytes_sent = src_bytes(c);
	if (c->stats->bytes_sent < ws.wire)
		c->stats->bytes_sent = ws.wire;	/* not all acked yet */
	log_info("stream of %s: %llu bytes in %llu on the wire (%s: %llu "
	    "frames, %llu with lz4, %llu with zstd), %llu zero pages elided",
	    c->name, (unsigned long long)ws.raw, (unsigned long long)ws.wire,
	    c->stats->codec, (unsigned long long)ws.frames,
	    (unsigned long long)ws.lz4, (unsigned long long)ws.zstd,
	    (unsigned long long)ws.zero_pages);
	if (rc != 0) {
		src_fail(c, rc, "sending the stream failed: %s",
		    strerror(-rc));
		src_frame_refusal(c);
	}
	return rc;
}

enum mig_result
mig_src_run(const struct mig_src_params *p, struct mig_stats *stats,
    char *why, size_t whylen)
{
	struct vbdmig vbd;
	struct src_ctx c = { .p = p, .be = p->be, .fd = p->fd,
	    .stats = stats, .why = why, .whylen = whylen, .vbd = &vbd };
	int tmo = (int)(p->reply_timeout_s ? p->reply_timeout_s : 120) * 1000;
	enum mig_result res = MIG_FAILED;
	char *config = NULL, what[300], dwhy[256];
	struct reloc_msg m;
	int rc, refused;

	why[0] = '\0';
	memset(stats, 0, sizeof(*stats));
	memset(&vbd, 0, sizeof(vbd));
	c.start_ns = util_now_ns();
	c.migrating = 1;
	snprintf(what, sizeof(what), "migrate %s to %s", p->domain, p->host);
	if (src_prepare(&c, what) != 0)
		goto out;
	rc = p->be->ops->config_json(p->be, c.dom.domid, &config);
	if (rc != 0) {
		src_fail(&c, rc, "cannot read the configuration of %s",
		    c.name);
		goto out;
	}
	if ((rc = src_vbd_prepare(&c)) != 0) {
		res = rc == -EPERM ? MIG_REFUSED : MIG_FAILED;
		goto out;
	}
	if ((rc = src_negotiate(&c, config, tmo)) != 0) {
		res = rc == -ECONNREFUSED ? MIG_REFUSED : MIG_FAILED;
		goto out;
	}
	if (src_device_steps(&c, &refused) != 0) {
		if (refused)
			res = MIG_REFUSED;
		goto fail_abort;
	}
	if (vbd.n > 0 && (rc = vbdmig_src_bulk(&vbd, c.fd, p->live,
	    p->bandwidth, tmo, dwhy, sizeof(dwhy))) != 0) {
		src_fail(&c, rc, "device migrate step 1 (disks) failed: %s",
		    dwhy);
		devmig_recover(&c.dm);
		goto fail_abort;
	}
	fault_point("src-after-step1", c.fd);
	reloc_msg_init(&m, RELOC_STREAM);
	/* Framed: the codec's name (frames say their own codec). */
	if (stats->codec[0] != '\0')
		util_strlcpy(m.codec, frame_codec_name(c.codec),
		    sizeof(m.codec));
	if ((rc = relocio_send(c.fd, &m, tmo)) != 0 ||
	    (rc = src_frame_start(&c, tmo)) != 0) {
		src_fail(&c, rc, "cannot start the stream: %s", strerror(-rc));
		devmig_recover(&c.dm);
		goto out;
	}
	rc = src_write_stream(&c, config);
	if (src_frame_finish(&c) != 0 && rc == 0)
		rc = -EIO;
	if (rc != 0) {
		if (!c.suspended) {
			devmig_recover(&c.dm);
			goto out;	/* the guest never stopped */
		}
		src_abort(&c);
		res = src_resume(&c) == 0 ? MIG_RESUMED : MIG_UNDEFINED;
		goto out;
	}
	/* Step 2 of the disks: the guest is suspended, its stream sent. */
	if (vbd.n > 0 && (rc = vbdmig_src_final(&vbd, c.fd, tmo, dwhy,
	    sizeof(dwhy))) != 0) {
		src_fail(&c, rc, "device migrate step 2 (disks) failed: %s",
		    dwhy);
		src_abort(&c);
		res = src_resume(&c) == 0 ? MIG_RESUMED : MIG_UNDEFINED;
		goto out;
	}
	fault_point("src-after-stream", c.fd);
	src_report(&c, "committing");
	res = src_commit(&c, tmo);
	goto out;

fail_abort:
	src_abort(&c);
out:
	/* Settled here: nothing left for "xmig recover". */
	if (c.recorded && res != MIG_UNDEFINED)
		src_record_remove(&c);
	stats->total_ms = (util_now_ns() - c.start_ns) / 1000000u;
	if (res != MIG_OK && c.suspend_ns != 0 && stats->downtime_ms == 0)
		stats->downtime_ms = (util_now_ns() - c.suspend_ns) / 1000000u;
	src_vbd_stats(&c);
	vbdmig_src_free(&vbd);
	free(config);
	src_release(&c);
	return res;
}
