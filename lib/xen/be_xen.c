/*
 * be_xen.c - the real backend: a Xen dom0 seen through libxenctrl,
 * libxenguest, libxenstore and, where it already does the job well,
 * libxenlight (destroying a domain with its devices, resuming, renaming,
 * the domain configuration, building a domain at restore).
 *
 * This file opens the backend and handles domains; save is in xen_save.c,
 * restore and claims in xen_restore.c (xen_int.h says what they share).
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

#include "xen_int.h"
#include "xen_dm.h"
#include "be_xen.h"
#include "log.h"
#include "util.h"

#define XEN_PROGRESS_NS		(200 * 1000 * 1000)

uint64_t
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

int
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
	if (out->type == DOM_TYPE_HVM && !(di->flags & XEN_DOMINF_dying))
		out->no_pv_drivers = xen_hvm_no_pv_drivers(x, di->domain);
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

int
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
 * An HVM guest whose QEMU died: libxl's resume fails at "cont".  Cancel
 * the suspend without it, so that the guest is as it was before the save
 * (its device model already gone), and say so.  Anything else: as it is.
 */
static int
xen_resume_hvm_no_dm(struct backend *be, const struct dom_info *di,
    int lrc)
{
	struct xen_priv *x = be->priv;
	struct xen_dm dm;
	int rc;

	if (di->type != DOM_TYPE_HVM ||
	    xen_dm_init(&dm, di->domid, di->uuid, XEN_DM_RUN_DIR,
	    XEN_DM_LIB_DIR) != 0 || xen_dm_alive(&dm)) {
		log_warnx("xen: cannot resume domain %u", di->domid);
		return xen_libxl_errno(lrc);
	}
	log_warnx("xen: domain %u's device model (QEMU) is gone: resuming "
	    "the guest without it (its emulated devices no longer answer)",
	    di->domid);
	if ((rc = xen_hvm_resume_without_dm(x, di->domid)) != 0)
		log_warnx("xen: domain %u stays suspended", di->domid);
	return rc;
}

/*
 * As xl does when a migration fails after the suspend: a cooperative
 * resume (suspend_cancel), the guest sees its suspend hypercall return
 * "cancelled" and carries on with its devices still connected.  For HVM
 * libxl first sends QEMU "cont" (libxl__domain_resume).
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
	if ((rc = libxl_domain_resume(x->ctx, domid, 1, NULL)) != 0)
		return xen_resume_hvm_no_dm(be, &di, rc);
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
	struct xen_dm dm;
	char *s;
	int rc;

	if ((rc = xen_check_guest(be, domid, &di)) != 0)
		return rc;
	/*
	 * libxl asks an HVM guest's QEMU for its vCPUs: with QEMU gone it
	 * fails, and the reason is that, not the configuration.
	 */
	if (di.type == DOM_TYPE_HVM &&
	    (rc = xen_hvm_dm_ready(x, domid, di.uuid, &dm)) != 0)
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
	.suspend_hypercall = xen_suspend_hypercall,
	.throttle_get = xen_throttle_get,
	.throttle_set = xen_throttle_set,
	.disk_list = xen_disk_list,
	.disk_track_start = xen_disk_track_start,
	.disk_track_dirty = xen_disk_track_dirty,
	.disk_track_read = xen_disk_track_read,
	.disk_track_stop = xen_disk_track_stop,
	.disk_track_sweep = xen_disk_track_sweep,
};
