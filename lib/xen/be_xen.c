/*
 * be_xen.c - the real backend: a Xen dom0 seen through libxenctrl,
 * libxenguest, libxenstore and, where it already does the job well,
 * libxenlight (destroying a domain with its devices, resuming, renaming,
 * the domain configuration, building a domain at restore).
 *
 * Save runs xc_domain_save() in this process with our callbacks.  Restore
 * goes through libxl_domain_create_restore(), which builds the domain with
 * its devices, xenstore and console from the libxl configuration and reads
 * a libxl stream: the backend boundary is the libxc stream, so a relay
 * thread frames the caller's libxc stream as a libxl stream (header,
 * LIBXC_CONTEXT, the libxc records through its END, libxl END) on a
 * socketpair.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * xenguest.h and backend.h both define "struct save_callbacks" and
 * "struct precopy_stats" (ours mirror libxenguest's).  Struct tags have no
 * linkage, so Xen's are renamed in this file only.
 */
#define save_callbacks	xg_save_callbacks
#define precopy_stats	xg_precopy_stats
#include <xenctrl.h>
#include <xenguest.h>
#undef save_callbacks
#undef precopy_stats
#include <xenstore.h>
#include <xentoollog.h>
#include <libxl.h>
#include <libxl_utils.h>

#include "backend.h"
#include "be_xen.h"
#include "log.h"
#include "pace.h"
#include "relocio.h"
#include "util.h"

#define XEN_LIST_BATCH		256
#define XEN_PROGRESS_NS		(200 * 1000 * 1000)
#define XEN_PACE_TIMEOUT_MS	120000	/* a capped write to the stream */

struct xen_priv {
	xentoollog_logger	 logger;	/* first: libxc casts back */
	xc_interface		*xch;
	struct xs_handle	*xsh;
	libxl_ctx		*ctx;
	/* The save in progress, for progress reports; NULL otherwise. */
	struct save_callbacks	*save_cb;
	unsigned		 save_iter;
	uint64_t		 save_last_ns;
	/*
	 * libxenguest counts its first round over the whole p2m, holes
	 * included (a 128 MiB PVH guest: 1044480 entries), and reports
	 * that as pages written.  The guest's populated pages and the p2m
	 * size let the figures be put back into pages actually sent.
	 */
	uint64_t		 save_pages;
	uint64_t		 save_p2m;
};

/* p2m entries of the first round as populated pages (0 < n <= pages). */
static uint64_t
xen_p2m_to_pages(const struct xen_priv *x, uint64_t n)
{
	if (x->save_p2m <= x->save_pages || x->save_pages == 0)
		return n;
	return n * x->save_pages / x->save_p2m;
}

static void
xen_log_emit(enum log_level level, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(level, err, fmt, ap);
	va_end(ap);
}

/* xentoollog sink: Xen's libraries log through lib/log.h. */
static void
xen_log_vmessage(xentoollog_logger *lg, xentoollog_level level, int errnoval,
    const char *context, const char *format, va_list al)
{
	enum log_level l;
	char buf[1024];

	(void)lg;
	if (level >= XTL_ERROR)
		l = LOG_LVL_ERR;
	else if (level >= XTL_WARN)
		l = LOG_LVL_WARN;
	else if (level >= XTL_NOTICE)
		l = LOG_LVL_INFO;
	else
		l = LOG_LVL_DEBUG;
	if (l > log_getlevel())
		return;
	vsnprintf(buf, sizeof(buf), format, al);
	xen_log_emit(l, errnoval > 0 ? errnoval : 0, "%s: %s",
	    context != NULL ? context : "xen", buf);
}

/* libxc's memory copy progress, forwarded to the save in progress. */
static void
xen_log_progress(xentoollog_logger *lg, const char *context,
    const char *doing_what, int percent, unsigned long done,
    unsigned long total)
{
	struct xen_priv *x = (struct xen_priv *)lg;
	uint64_t now;

	(void)context;
	(void)doing_what;
	(void)percent;
	/* total 0: a one-off note ("End of stream"), not a count. */
	if (x->save_cb == NULL || x->save_cb->progress == NULL || total == 0)
		return;
	now = util_now_ns();
	if (done != 0 && done != total &&
	    now - x->save_last_ns < XEN_PROGRESS_NS)
		return;
	x->save_last_ns = now;
	/* A first round (or a non-live save) walks the whole p2m. */
	if (x->save_iter == 0 && total > x->save_pages) {
		if (x->save_p2m < total)
			x->save_p2m = total;
		done = xen_p2m_to_pages(x, done);
		total = x->save_pages;
	}
	x->save_cb->progress(x->save_iter, done, total, x->save_cb->data);
}

static void
xen_log_destroy(xentoollog_logger *lg)
{
	(void)lg;
}

/* libxl's ERROR_* as a negative errno. */
static int
xen_libxl_errno(int rc)
{
	switch (rc) {
	case 0:
		return 0;
	case ERROR_NOMEM:
		return -ENOMEM;
	case ERROR_INVAL:
		return -EINVAL;
	case ERROR_DOMAIN_NOTFOUND:
		return -ESRCH;
	case ERROR_NOT_READY:
		return -EAGAIN;
	default:
		return -EIO;
	}
}

static int
xen_open(struct backend *be, const char *sim_dir)
{
	struct xen_priv *x;
	int rc;

	(void)sim_dir;
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return -ENOMEM;
	x->logger.vmessage = xen_log_vmessage;
	x->logger.progress = xen_log_progress;
	x->logger.destroy = xen_log_destroy;
	if ((x->xch = xc_interface_open(&x->logger, &x->logger, 0)) == NULL) {
		rc = errno != 0 ? -errno : -ENODEV;
		log_warnx("xen: cannot open the hypervisor interface "
		    "(is this a Xen dom0 with privcmd loaded?)");
		goto fail_free;
	}
	if ((x->xsh = xs_open(0)) == NULL) {
		rc = errno != 0 ? -errno : -ENODEV;
		log_warn("xen: cannot connect to xenstored");
		goto fail_xc;
	}
	if ((rc = libxl_ctx_alloc(&x->ctx, LIBXL_VERSION, 0,
	    &x->logger)) != 0) {
		log_warnx("xen: cannot create a libxl context");
		rc = xen_libxl_errno(rc);
		goto fail_xs;
	}
	be->priv = x;
	return 0;

fail_xs:
	xs_close(x->xsh);
fail_xc:
	xc_interface_close(x->xch);
fail_free:
	free(x);
	return rc;
}

static void
xen_close(struct backend *be)
{
	struct xen_priv *x = be->priv;

	if (x == NULL)
		return;
	libxl_ctx_free(x->ctx);
	xs_close(x->xsh);
	xc_interface_close(x->xch);
	free(x);
	be->priv = NULL;
}

static enum dom_type
xen_dom_type(const xc_domaininfo_t *di)
{
	if (!(di->flags & XEN_DOMINF_hvm_guest))
		return DOM_TYPE_PV;
	/* PVH emulates at most the local APIC; HVM has the PC devices. */
	if ((di->arch_config.emulation_flags & ~XEN_X86_EMU_LAPIC) == 0)
		return DOM_TYPE_PVH;
	return DOM_TYPE_HVM;
}

/* Fill "out" from Xen's view of the domain and its xenstore name. */
static void
xen_fill_info(struct xen_priv *x, const xc_domaininfo_t *di,
    struct dom_info *out)
{
	char path[64], *name;
	unsigned len;

	memset(out, 0, sizeof(*out));
	out->domid = di->domain;
	memcpy(out->uuid, di->handle, sizeof(out->uuid));
	if (di->flags & XEN_DOMINF_dying)
		out->state = DOM_DYING;
	else if (di->flags & XEN_DOMINF_shutdown) {
		out->state = DOM_SHUTDOWN;
		out->shutdown_reason = (di->flags >> XEN_DOMINF_shutdownshift) &
		    XEN_DOMINF_shutdownmask;
	} else if (di->flags & XEN_DOMINF_paused)
		out->state = DOM_PAUSED;
	else
		out->state = DOM_RUNNING;
	out->type = xen_dom_type(di);
	out->cur_memkb = di->tot_pages * (XC_PAGE_SIZE / 1024);
	out->max_memkb = di->max_pages * (XC_PAGE_SIZE / 1024);
	out->vcpus = di->max_vcpu_id == XEN_INVALID_MAX_VCPU_ID ? 0 :
	    di->max_vcpu_id + 1;

	snprintf(path, sizeof(path), "/local/domain/%u/name", out->domid);
	name = xs_read(x->xsh, XBT_NULL, path, &len);
	if (name != NULL) {
		if (util_strlcpy(out->name, name, sizeof(out->name)) != 0)
			log_debug("xen: domain %u: name truncated", out->domid);
		free(name);
	} else if (out->domid == 0)
		util_strlcpy(out->name, "Domain-0", sizeof(out->name));
}

static int
xen_list(struct backend *be, struct dom_info **out, size_t *n)
{
	struct xen_priv *x = be->priv;
	xc_domaininfo_t batch[XEN_LIST_BATCH];
	struct dom_info *list = NULL, *grown;
	size_t count = 0;
	uint32_t next = 0;
	int got, i;

	for (;;) {
		got = xc_domain_getinfolist(x->xch, next, XEN_LIST_BATCH,
		    batch);
		if (got < 0) {
			log_warn("xen: cannot list domains");
			free(list);
			return -errno;
		}
		if (got == 0)
			break;
		grown = reallocarray(list, count + got, sizeof(*list));
		if (grown == NULL) {
			free(list);
			return -ENOMEM;
		}
		list = grown;
		for (i = 0; i < got; i++)
			xen_fill_info(x, &batch[i], &list[count++]);
		next = batch[got - 1].domain + 1;
		if (got < XEN_LIST_BATCH)
			break;
	}
	*out = list;
	*n = count;
	return 0;
}

static int
xen_info(struct backend *be, uint32_t domid, struct dom_info *out)
{
	struct xen_priv *x = be->priv;
	xc_domaininfo_t di;
	int got;

	got = xc_domain_getinfolist(x->xch, domid, 1, &di);
	if (got < 0) {
		log_warn("xen: cannot get domain %u", domid);
		return -errno;
	}
	if (got == 0 || di.domain != domid)
		return -ESRCH;
	xen_fill_info(x, &di, out);
	return 0;
}

/* Refuse dom0 and domains that do not exist before acting on them. */
static int
xen_check_guest(struct backend *be, uint32_t domid, struct dom_info *di)
{
	int rc;

	if (domid == 0) {
		log_warnx("xen: domain 0 is the control domain");
		return -EPERM;
	}
	if ((rc = xen_info(be, domid, di)) == -ESRCH)
		log_warnx("xen: no domain %u", domid);
	return rc;
}

static int
xen_pause(struct backend *be, uint32_t domid)
{
	struct xen_priv *x = be->priv;
	struct dom_info di;
	int rc;

	if ((rc = xen_check_guest(be, domid, &di)) != 0)
		return rc;
	if ((rc = libxl_domain_pause(x->ctx, domid, NULL)) != 0) {
		log_warnx("xen: cannot pause domain %u", domid);
		return xen_libxl_errno(rc);
	}
	return 0;
}

static int
xen_unpause(struct backend *be, uint32_t domid)
{
	struct xen_priv *x = be->priv;
	struct dom_info di;
	int rc;

	if ((rc = xen_check_guest(be, domid, &di)) != 0)
		return rc;
	if ((rc = libxl_domain_unpause(x->ctx, domid, NULL)) != 0) {
		log_warnx("xen: cannot unpause domain %u", domid);
		return xen_libxl_errno(rc);
	}
	return 0;
}

static int
xen_destroy(struct backend *be, uint32_t domid)
{
	struct xen_priv *x = be->priv;
	struct dom_info di;
	int rc;

	if ((rc = xen_check_guest(be, domid, &di)) != 0)
		return rc;
	/* libxl tears down the backends and the xenstore directories. */
	if ((rc = libxl_domain_destroy(x->ctx, domid, NULL)) != 0) {
		log_warnx("xen: cannot destroy domain %u", domid);
		return xen_libxl_errno(rc);
	}
	return 0;
}

static int
xen_rename(struct backend *be, uint32_t domid, const char *name)
{
	struct xen_priv *x = be->priv;
	struct dom_info di;
	uint32_t other;
	int rc;

	if (strlen(name) >= DOMNAME_MAX || name[0] == '\0') {
		log_warnx("xen: bad domain name \"%s\"", name);
		return -EINVAL;
	}
	if ((rc = xen_check_guest(be, domid, &di)) != 0)
		return rc;
	if (libxl_name_to_domid(x->ctx, name, &other) == 0 &&
	    other != domid) {
		log_warnx("xen: domain %u is already called \"%s\"", other,
		    name);
		return -EEXIST;
	}
	if ((rc = libxl_domain_rename(x->ctx, domid, NULL, name)) != 0) {
		log_warnx("xen: cannot rename domain %u to \"%s\"", domid,
		    name);
		return xen_libxl_errno(rc);
	}
	return 0;
}

/*
 * As xl does when a migration fails after the suspend: a cooperative
 * resume (suspend_cancel), the guest sees its suspend hypercall return
 * "cancelled" and carries on with its devices still connected.
 */
static int
xen_resume(struct backend *be, uint32_t domid)
{
	struct xen_priv *x = be->priv;
	struct dom_info di;
	int rc;

	if ((rc = xen_check_guest(be, domid, &di)) != 0)
		return rc;
	if (di.state != DOM_SHUTDOWN ||
	    di.shutdown_reason != DOM_SHUTDOWN_SUSPEND) {
		log_warnx("xen: domain %u is not suspended", domid);
		return -EINVAL;
	}
	if ((rc = libxl_domain_resume(x->ctx, domid, 1, NULL)) != 0) {
		log_warnx("xen: cannot resume domain %u", domid);
		return xen_libxl_errno(rc);
	}
	if ((rc = xen_info(be, domid, &di)) != 0)
		return rc;
	if (di.state == DOM_PAUSED &&
	    (rc = libxl_domain_unpause(x->ctx, domid, NULL)) != 0) {
		log_warnx("xen: domain %u resumed but cannot unpause", domid);
		return xen_libxl_errno(rc);
	}
	return 0;
}

static int
xen_free_memory(struct backend *be, uint64_t *bytes)
{
	struct xen_priv *x = be->priv;
	uint64_t kb;
	int rc;

	if ((rc = libxl_get_free_memory(x->ctx, &kb)) != 0) {
		log_warnx("xen: cannot read the free memory");
		return xen_libxl_errno(rc);
	}
	*bytes = kb * 1024;
	return 0;
}

static int
xen_config_json(struct backend *be, uint32_t domid, char **json)
{
	struct xen_priv *x = be->priv;
	libxl_domain_config dc;
	struct dom_info di;
	char *s;
	int rc;

	if ((rc = xen_check_guest(be, domid, &di)) != 0)
		return rc;
	libxl_domain_config_init(&dc);
	if ((rc = libxl_retrieve_domain_configuration(x->ctx, domid, &dc,
	    NULL)) != 0) {
		log_warnx("xen: no libxl configuration for domain %u "
		    "(not created by libxl?)", domid);
		rc = xen_libxl_errno(rc);
		goto out;
	}
	if ((s = libxl_domain_config_to_json(x->ctx, &dc)) == NULL) {
		log_warnx("xen: cannot write domain %u's configuration",
		    domid);
		rc = -ENOMEM;
		goto out;
	}
	*json = s;
	rc = 0;
out:
	libxl_domain_config_dispose(&dc);
	return rc;
}

static const char *
xen_xenstore_path(struct backend *be)
{
	(void)be;
	return NULL;
}

int
xen_check_live(struct backend *be, uint32_t domid)
{
	struct xen_priv *x = be->priv;
	struct dom_info di;
	xc_physinfo_t pi;
	int rc;

	if ((rc = xen_check_guest(be, domid, &di)) != 0)
		return rc;
	if (di.type != DOM_TYPE_PV)
		return 0;	/* HAP provides log-dirty for PVH and HVM */
	memset(&pi, 0, sizeof(pi));
	if (xc_physinfo(x->xch, &pi) != 0) {
		log_warn("xen: cannot read the host's capabilities");
		return -errno;
	}
	if (!(pi.capabilities & XEN_SYSCTL_PHYSCAP_shadow)) {
		log_warnx("xen: live migration of PV domain %u needs "
		    "log-dirty mode, which this hypervisor lacks (built "
		    "without shadow paging); use --no-live", domid);
		return -EOPNOTSUPP;
	}
	return 0;
}

int
xen_claim(struct backend *be, uint32_t domid, uint64_t pages)
{
	struct xen_priv *x = be->priv;

	if (pages > ULONG_MAX)
		return -ERANGE;
	if (xc_domain_claim_pages(x->xch, domid, pages) != 0) {
		if (errno == ENOMEM) {
			log_warnx("xen: cannot claim %llu pages for domain "
			    "%u: not enough free memory",
			    (unsigned long long)pages, domid);
			return -ENOMEM;
		}
		log_warn("xen: cannot claim %llu pages for domain %u",
		    (unsigned long long)pages, domid);
		return -errno;
	}
	return 0;
}

/*
 * Save.  Our callbacks are libxenguest's in shape; these adapt the types
 * and keep the round number for progress reports.
 */
struct xen_save {
	struct xen_priv		*x;
	struct save_callbacks	*cb;
};

static int
xen_save_suspend(void *data)
{
	struct xen_save *s = data;

	return s->cb->suspend(s->cb->data);
}

/* libxenguest's own default: 5 rounds, or under 50 dirty pages. */
static int
xen_save_precopy(struct xg_precopy_stats st, void *data)
{
	struct xen_save *s = data;
	struct precopy_stats ours;

	s->x->save_iter = st.iteration;
	ours.iteration = st.iteration;
	ours.total_written = st.total_written;
	ours.dirty_count = st.dirty_count;
	/* Round 0's "dirty" pages are the p2m size: see struct xen_priv. */
	if (st.iteration == 0 && st.dirty_count > 0) {
		s->x->save_p2m = (uint64_t)st.dirty_count;
		ours.dirty_count = (int64_t)xen_p2m_to_pages(s->x,
		    (uint64_t)st.dirty_count);
	} else if (s->x->save_p2m > s->x->save_pages &&
	    st.total_written >= s->x->save_p2m)
		ours.total_written = st.total_written - s->x->save_p2m +
		    s->x->save_pages;
	if (s->cb->precopy_policy != NULL)
		return s->cb->precopy_policy(ours, s->cb->data);
	if ((ours.dirty_count >= 0 && ours.dirty_count < 50) ||
	    ours.iteration >= 5)
		return PRECOPY_STOP_AND_COPY;
	return PRECOPY_CONTINUE;
}

/*
 * libxenguest asks for this on every live save of an HVM-container guest.
 * HVM guests with a device model are refused before the save, so this
 * only runs for PVH, which has no device model to switch: success.
 */
static int
xen_save_qemu_logdirty(uint32_t domid, unsigned enable, void *data)
{
	(void)domid;
	(void)enable;
	(void)data;
	return 0;
}

static int
xen_save(struct backend *be, uint32_t domid, int fd,
    const struct save_params *params, struct save_callbacks *cb)
{
	struct xen_priv *x = be->priv;
	struct xg_save_callbacks xcb;
	struct xen_save s = { .x = x, .cb = cb };
	struct pace_relay *relay = NULL;
	struct dom_info di;
	uint32_t flags = 0;
	int rc, rrc, out = fd;

	if ((rc = xen_check_guest(be, domid, &di)) != 0)
		return rc;
	if (di.type == DOM_TYPE_HVM) {
		log_warnx("xen: domain %u is HVM with a device model: not "
		    "supported yet (PV and PVH only)", domid);
		return -EOPNOTSUPP;
	}
	if (cb->suspend == NULL)
		return -EINVAL;
	if (params->live) {
		if ((rc = xen_check_live(be, domid)) != 0)
			return rc;
		flags |= XCFLAGS_LIVE;
	}

	memset(&xcb, 0, sizeof(xcb));
	xcb.suspend = xen_save_suspend;
	xcb.precopy_policy = xen_save_precopy;
	xcb.switch_qemu_logdirty = xen_save_qemu_logdirty;
	xcb.data = &s;
	x->save_cb = cb;
	x->save_iter = 0;
	x->save_last_ns = 0;
	x->save_pages = di.cur_memkb / 4;
	x->save_p2m = 0;
	/*
	 * libxenguest writes as fast as it can: with a cap it writes into a
	 * pipe that a thread empties into fd at the capped rate.
	 */
	if (params->bandwidth != 0 &&
	    (rc = pace_relay_start(fd, params->bandwidth, XEN_PACE_TIMEOUT_MS,
	    &relay, &out)) != 0) {
		log_warnx("xen: cannot start the bandwidth cap: %s",
		    strerror(-rc));
		x->save_cb = NULL;
		return rc;
	}
	rc = xc_domain_save(x->xch, out, domid, flags, &xcb, XC_STREAM_PLAIN,
	    -1);
	if (rc != 0)
		rc = errno > 0 ? -errno : -EIO;
	x->save_cb = NULL;
	/* Drained before anything else is written to fd (postcopy). */
	if (relay != NULL && (rrc = pace_relay_finish(relay)) != 0) {
		log_warnx("xen: writing the capped stream failed: %s",
		    strerror(-rrc));
		if (rc == 0 || rc == -EPIPE)
			rc = rrc;
	}
	if (rc != 0) {
		log_warnx("xen: saving domain %u failed", domid);
		return rc;
	}
	/* A plain stream never calls libxenguest's postcopy: we do. */
	if (cb->postcopy != NULL && !cb->postcopy(cb->data))
		return -EIO;
	return 0;
}

/*
 * Restore relay: libxl reads a libxl stream (docs/specs/
 * libxl-migration-stream), the caller hands us the libxc stream.  The
 * relay writes a libxl header and a LIBXC_CONTEXT record, then copies the
 * libxc stream record by record up to and including its END (so not a
 * byte past it is read from the caller's fd), then a libxl END record.
 */
#define LIBXL_STREAM_IDENT	UINT64_C(0x4c6962786c466d74) /* LibxlFmt */
#define LIBXL_STREAM_VERSION	2
#define LIBXL_REC_END		0
#define LIBXL_REC_LIBXC_CONTEXT	1
#define LIBXC_IHDR_MARKER	UINT64_C(0xffffffffffffffff)
#define LIBXC_IHDR_ID		0x58454e46U	/* XENF */
#define LIBXC_HEADERS_LEN	(24 + 16)	/* image + domain header */
#define LIBXC_REC_END		0
#define LIBXC_REC_MAX		(128U << 20)	/* libxenguest's limit */

#define LIBXC_REC_PAGE_DATA	1
#define XEN_CLAIM_WAIT_MS	10000

struct xen_relay {
	int			 in;
	int			 out;
	int			 pipe[2];	/* for splice; -1 when not used */
	int			 rc;
	/* The claim made for the new domain (see xen_relay_claim). */
	struct backend		*be;
	const char		*name;
	const uint8_t		*uuid;
	uint64_t		 claim_pages;
	uint32_t		 claimed_domid;
};

static void
xen_put_be(uint8_t *p, uint64_t v, int n)
{
	while (n-- > 0) {
		p[n] = v & 0xff;
		v >>= 8;
	}
}

static uint32_t
xen_get_le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static int
xen_relay_send(int out, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		n = send(out, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= n;
	}
	return 0;
}

/* Read exactly len bytes: a short stream is -EPIPE. */
static int
xen_relay_read(int in, void *buf, size_t len)
{
	ssize_t n;

	if ((n = util_read_full(in, buf, len)) < 0)
		return n;
	return (size_t)n == len ? 0 : -EPIPE;
}

/*
 * Forward len bytes: spliced socket -> pipe -> libxl's socket, the pages
 * never copied through this process (every copy counts on a busy dom0);
 * read + send where the input cannot be spliced.
 */
static int
xen_relay_copy(struct xen_relay *r, uint64_t len)
{
	uint8_t buf[65536];
	size_t chunk;
	int rc;

	if (r->pipe[0] >= 0) {
		rc = relocio_splice_full(r->in, r->out, NULL, len, r->pipe, -1);
		if (rc != -EOPNOTSUPP)
			return rc == -ECONNRESET ? -EPIPE : rc;
		relocio_pipe_close(r->pipe);
	}
	while (len > 0) {
		chunk = len < sizeof(buf) ? len : sizeof(buf);
		if ((rc = xen_relay_read(r->in, buf, chunk)) != 0 ||
		    (rc = xen_relay_send(r->out, buf, chunk)) != 0)
			return rc;
		len -= chunk;
	}
	return 0;
}

/* The domain libxl is building under "name" (and our uuid), if any yet. */
static uint32_t
xen_relay_find(struct xen_priv *x, struct xs_handle *xsh, const char *name,
    const uint8_t *uuid)
{
	xc_domaininfo_t info[XEN_LIST_BATCH];
	char path[64], *v;
	unsigned int len;
	uint32_t found = (uint32_t)INVALID_DOMID, next = 1;
	int n, i;

	while ((n = xc_domain_getinfolist(x->xch, next, XEN_LIST_BATCH,
	    info)) > 0) {
		for (i = 0; i < n; i++) {
			if (uuid != NULL && memcmp(info[i].handle, uuid, 16))
				continue;
			snprintf(path, sizeof(path), "/local/domain/%u/name",
			    info[i].domain);
			v = xs_read(xsh, XBT_NULL, path, &len);
			if (v != NULL && strcmp(v, name) == 0)
				found = info[i].domain;
			free(v);
		}
		if (found != (uint32_t)INVALID_DOMID || n < XEN_LIST_BATCH)
			break;
		next = info[n - 1].domain + 1;
	}
	return found;
}

/*
 * Claim the new domain's memory from the hypervisor before its first page
 * arrives (xc_domain_claim_pages), so that nothing else on the host can
 * take it while a long live migration streams in: the restore then cannot
 * fail half way for lack of memory.  libxl builds the domain before it
 * reads the stream; its name and uuid find it.  A claim the host cannot
 * give fails the restore before any page is placed.
 */
static int
xen_relay_claim(struct xen_relay *r)
{
	struct xen_priv *x = r->be->priv;
	uint64_t end = util_now_ns() + XEN_CLAIM_WAIT_MS * 1000000ULL;
	struct xs_handle *xsh;
	xc_domaininfo_t info;
	uint64_t pages;
	uint32_t id;
	int rc = 0, old;

	if (r->claim_pages == 0 || r->name == NULL)
		return 0;
	/* Bounded; a cancel must not leave a library lock held. */
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
	if ((xsh = xs_open(0)) == NULL) {
		log_warn("xen: xenstore; restoring without a memory claim");
		goto out;
	}
	while ((id = xen_relay_find(x, xsh, r->name, r->uuid)) ==
	    (uint32_t)INVALID_DOMID) {
		if (util_now_ns() > end) {
			log_warnx("xen: domain \"%s\" not found to claim its "
			    "memory; restoring without a claim", r->name);
			goto out;
		}
		usleep(10 * 1000);
	}
	/*
	 * Xen takes a claim only above the domain's pages and up to its
	 * maximum, which libxl sets once the domain is built: wait for it.
	 */
	for (;;) {
		if (xc_domain_getinfolist(x->xch, id, 1, &info) != 1 ||
		    info.domain != id) {
			log_warnx("xen: domain %u (%s) is gone", id, r->name);
			goto out;
		}
		if (info.max_pages > info.tot_pages)
			break;
		if (util_now_ns() > end) {
			log_warnx("xen: domain %u (%s) has no memory maximum "
			    "yet; restoring without a claim", id, r->name);
			goto out;
		}
		usleep(10 * 1000);
	}
	pages = r->claim_pages < info.max_pages ? r->claim_pages :
	    info.max_pages;
	if (pages <= info.tot_pages)
		goto out;
	/* Only a host short of memory stops the restore; else warn. */
	if ((rc = xen_claim(r->be, id, pages)) != 0) {
		if (rc != -ENOMEM) {
			log_warnx("xen: restoring domain %u (%s) without a "
			    "memory claim", id, r->name);
			rc = 0;
		}
		goto out;
	}
	r->claimed_domid = id;
	log_info("xen: claimed %llu pages for domain %u (%s)",
	    (unsigned long long)pages, id, r->name);
out:
	if (xsh != NULL)
		xs_close(xsh);
	pthread_setcancelstate(old, NULL);
	return rc;
}

static int
xen_relay_run(struct xen_relay *r)
{
	uint8_t hdr[24], rec[8], ihdr[LIBXC_HEADERS_LEN];
	uint32_t type, len;
	int rc, in = r->in, out = r->out, claimed = 0;

	xen_put_be(hdr, LIBXL_STREAM_IDENT, 8);
	xen_put_be(hdr + 8, LIBXL_STREAM_VERSION, 4);
	xen_put_be(hdr + 12, 0, 4);		/* little endian, not legacy */
	memset(hdr + 16, 0, 8);			/* LIBXC_CONTEXT, length 0 */
	hdr[16] = LIBXL_REC_LIBXC_CONTEXT;
	if ((rc = xen_relay_send(out, hdr, sizeof(hdr))) != 0)
		return rc;
	if ((rc = xen_relay_read(in, ihdr, sizeof(ihdr))) != 0)
		return rc;
	if (memcmp(ihdr, "\xff\xff\xff\xff\xff\xff\xff\xff" "XENF", 12) != 0)
		return -EPROTO;
	if ((rc = xen_relay_send(out, ihdr, sizeof(ihdr))) != 0)
		return rc;
	do {
		if ((rc = xen_relay_read(in, rec, sizeof(rec))) != 0)
			return rc;
		type = xen_get_le32(rec);
		len = xen_get_le32(rec + 4);
		if (len > LIBXC_REC_MAX)
			return -EPROTO;
		if (type == LIBXC_REC_PAGE_DATA && !claimed) {
			claimed = 1;
			if ((rc = xen_relay_claim(r)) != 0)
				return rc;
		}
		if ((rc = xen_relay_send(out, rec, sizeof(rec))) != 0 ||
		    (rc = xen_relay_copy(r, (len + 7ULL) & ~7ULL)) != 0)
			return rc;
	} while (type != LIBXC_REC_END);
	memset(rec, 0, sizeof(rec));		/* libxl END */
	return xen_relay_send(out, rec, sizeof(rec));
}

static void *
xen_relay_main(void *arg)
{
	struct xen_relay *r = arg;

	r->rc = xen_relay_run(r);
	/* Let libxl see the end of what it will get. */
	shutdown(r->out, SHUT_WR);
	return NULL;
}

/* Parse the caller's configuration and apply the name and uuid asked. */
static int
xen_restore_config(struct xen_priv *x, const struct restore_params *p,
    libxl_domain_config *dc)
{
	if (p->config_json == NULL) {
		log_warnx("xen: a restore needs the domain's libxl "
		    "configuration");
		return -EINVAL;
	}
	if (libxl_domain_config_from_json(x->ctx, dc, p->config_json) != 0) {
		log_warnx("xen: cannot parse the domain configuration");
		return -EINVAL;
	}
	if (dc->c_info.type == LIBXL_DOMAIN_TYPE_INVALID) {
		log_warnx("xen: the domain configuration has no type");
		return -EINVAL;
	}
	/* A configuration without the build-info union leaves it unset. */
	if (dc->b_info.type == LIBXL_DOMAIN_TYPE_INVALID)
		libxl_domain_build_info_init_type(&dc->b_info,
		    dc->c_info.type);
	if (p->name != NULL) {
		free(dc->c_info.name);
		if ((dc->c_info.name = strdup(p->name)) == NULL)
			return -ENOMEM;
	}
	if (p->uuid != NULL)
		memcpy(libxl_uuid_bytearray(&dc->c_info.uuid), p->uuid, 16);
	else
		libxl_uuid_generate(&dc->c_info.uuid);
	return 0;
}

static int
xen_restore(struct backend *be, int fd, const struct restore_params *params,
    uint32_t *domid)
{
	struct xen_priv *x = be->priv;
	libxl_domain_config dc;
	libxl_domain_restore_params rp;
	struct xen_relay r;
	pthread_t th;
	uint32_t newid = INVALID_DOMID;
	int sv[2], rc, lrc;

	*domid = INVALID_DOMID;
	libxl_domain_config_init(&dc);
	libxl_domain_restore_params_init(&rp);
	if ((rc = xen_restore_config(x, params, &dc)) != 0)
		goto out;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		rc = -errno;
		log_warn("xen: socketpair");
		goto out;
	}
	memset(&r, 0, sizeof(r));
	r.in = fd;
	r.out = sv[1];
	relocio_pipe_open(r.pipe);
	r.be = be;
	r.name = dc.c_info.name;
	r.uuid = libxl_uuid_bytearray(&dc.c_info.uuid);
	/* The larger of the configured and the reserved memory. */
	r.claim_pages = params->max_memkb / 4;
	if (dc.b_info.max_memkb != LIBXL_MEMKB_DEFAULT &&
	    dc.b_info.max_memkb / 4 > r.claim_pages)
		r.claim_pages = dc.b_info.max_memkb / 4;
	r.claimed_domid = INVALID_DOMID;
	if ((rc = pthread_create(&th, NULL, xen_relay_main, &r)) != 0) {
		rc = -rc;
		goto out_close;
	}
	rp.checkpointed_stream = LIBXL_CHECKPOINTED_STREAM_NONE;
	rp.stream_version = 2;
	/* Builds the domain paused; on failure libxl destroys it. */
	lrc = libxl_domain_create_restore(x->ctx, &dc, &newid, sv[0], -1, &rp,
	    NULL, NULL);
	if (lrc != 0)
		pthread_cancel(th);	/* may wait on the caller's fd */
	pthread_join(th, NULL);
	if (lrc != 0) {
		log_warnx("xen: restoring domain \"%s\" failed%s",
		    dc.c_info.name != NULL ? dc.c_info.name : "?",
		    r.rc == -EPROTO ? ": not a libxc stream" :
		    r.rc == -ENOMEM ? ": the host cannot give its memory" :
		    "");
		rc = xen_libxl_errno(lrc);
		goto out_close;
	}
	if (r.rc != 0) {
		log_warnx("xen: restore relay failed: %s", strerror(-r.rc));
		libxl_domain_destroy(x->ctx, newid, NULL);
		rc = r.rc;
		goto out_close;
	}
	/* What the restore did not populate goes back to the host. */
	if (r.claimed_domid == newid)
		(void)xen_claim(be, newid, 0);
	*domid = newid;
	rc = 0;
out_close:
	close(sv[0]);
	close(sv[1]);
	relocio_pipe_close(r.pipe);
out:
	libxl_domain_restore_params_dispose(&rp);
	libxl_domain_config_dispose(&dc);
	return rc;
}

const struct backend_ops xen_backend_ops = {
	.name = "xen",
	.open = xen_open,
	.close = xen_close,
	.list = xen_list,
	.info = xen_info,
	.pause = xen_pause,
	.unpause = xen_unpause,
	.destroy = xen_destroy,
	.rename = xen_rename,
	.resume = xen_resume,
	.save = xen_save,
	.restore = xen_restore,
	.free_memory = xen_free_memory,
	.config_json = xen_config_json,
	.xenstore_path = xen_xenstore_path,
	.can_live = xen_check_live,
};
