/*
 * xen_save.c - the xen backend's save: xc_domain_save() in this process
 * with our callbacks adapted to libxenguest's, and the stream paced to
 * the --bandwidth cap through a pipe (lib/pace.c).
 *
 * An HVM guest's QEMU is driven as libxl drives it: its log-dirty
 * switched when libxenguest asks (switch_qemu_logdirty), then, right
 * after the guest suspended and before libxenguest's last memory round,
 * stopped and its device state written to a file; after the libxc stream
 * the file and QEMU's xenstore keys become the emulator records
 * (save_params.emu) that the caller writes before the libxl END.
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
#include "pace.h"
#include "util.h"
#include "zerofilt.h"

#define XEN_PACE_TIMEOUT_MS	120000	/* a capped write to the stream */

/*
 * Save.  Our callbacks are libxenguest's in shape; these adapt the types
 * and keep the round number for progress reports.
 */
struct xen_save {
	struct xen_priv		*x;
	struct save_callbacks	*cb;
	int			 hvm;	/* with a device model: dm */
	struct xen_dm		 dm;
	int			 dm_rc;	/* why the device model failed */
	int			 dm_saved;	/* its state file is written */
};

/*
 * The guest first (the caller's suspend), then its device model, as
 * libxl's suspend callback: QEMU stops before the last memory round, so
 * what it wrote to guest memory is in the stream.
 */
static int
xen_save_suspend(void *data)
{
	struct xen_save *s = data;
	int rc;

	if (!s->cb->suspend(s->cb->data))
		return 0;
	if (!s->hvm)
		return 1;
	if ((rc = xen_dm_suspend(&s->dm)) != 0) {
		log_warnx("xen: domain %u suspended, but not its device model",
		    s->dm.domid);
		s->dm_rc = rc;
		return 0;
	}
	s->dm_saved = 1;
	return 1;
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
 * libxenguest asks for this at the start and the end of every save of an
 * HVM-container guest.  PVH has no device model: success, as in libxl.
 */
static int
xen_save_qemu_logdirty(uint32_t domid, unsigned enable, void *data)
{
	struct xen_save *s = data;
	int rc;

	(void)domid;
	if (!s->hvm)
		return 0;
	if ((rc = xen_dm_logdirty(&s->dm, enable != 0)) != 0) {
		if (s->dm_rc == 0)
			s->dm_rc = rc;
		return -1;
	}
	return 0;
}

/*
 * The device model's records, with the domain suspended after the libxc
 * stream: QEMU's xenstore keys when it has some, then its state file
 * (which is removed).
 */
static int
xen_save_emu(struct xen_save *s, uint32_t domid, struct emu_recs *emu)
{
	char *xs = NULL;
	uint8_t *st = NULL;
	size_t xslen = 0, stlen = 0;
	int rc;

	if ((rc = xen_hvm_xsdata(s->x, domid, &xs, &xslen)) != 0)
		goto out;
	if (xslen > 0 && (rc = emu_recs_add(emu,
	    XEN_REC_EMULATOR_XENSTORE_DATA, XEN_EMU_QEMU_UPSTREAM, 0, xs,
	    xslen)) != 0) {
		log_warnx("xen: domain %u: keeping QEMU's xenstore keys: %s",
		    domid, strerror(-rc));
		goto out;
	}
	if ((rc = xen_dm_take_state(&s->dm, &st, &stlen)) != 0)
		goto out;
	if ((rc = emu_recs_add(emu, XEN_REC_EMULATOR_CONTEXT,
	    XEN_EMU_QEMU_UPSTREAM, 0, st, stlen)) != 0)
		log_warnx("xen: domain %u: keeping QEMU's state: %s", domid,
		    strerror(-rc));
	else
		log_debug("xen: domain %u: device state %zu bytes, xenstore "
		    "keys %zu bytes", domid, stlen, xslen);
out:
	free(xs);
	free(st);
	return rc;
}

int
xen_save(struct backend *be, uint32_t domid, int fd,
    const struct save_params *params, struct save_callbacks *cb)
{
	struct xen_priv *x = be->priv;
	struct xg_save_callbacks xcb;
	struct xen_save s = { .x = x, .cb = cb };
	struct pace_relay *relay = NULL;
	struct zerofilt *zf = NULL;
	struct dom_info di;
	uint32_t flags = 0;
	int rc, rrc, out = fd;

	if ((rc = xen_check_guest(be, domid, &di)) != 0)
		return rc;
	if (cb->suspend == NULL || params->emu == NULL)
		return -EINVAL;
	if (di.type == DOM_TYPE_HVM) {
		/* Before anything changes: without it the save cannot end. */
		if ((rc = xen_hvm_dm_ready(x, domid, di.uuid, &s.dm)) != 0)
			return rc;
		s.hvm = 1;
	}
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
	/*
	 * libxenguest writes every page with its data: zero pages become
	 * XALLOC entries on the way (lib/zerofilt.h).
	 */
	if (params->xalloc && (rc = zerofilt_start(out, XEN_PACE_TIMEOUT_MS,
	    &zf, &out)) != 0) {
		log_warnx("xen: cannot start the zero page filter: %s",
		    strerror(-rc));
		if (relay != NULL)
			(void)pace_relay_finish(relay);
		x->save_cb = NULL;
		return rc;
	}
	rc = xc_domain_save(x->xch, out, domid, flags, &xcb, XC_STREAM_PLAIN,
	    -1);
	if (rc != 0)
		rc = errno > 0 ? -errno : -EIO;
	x->save_cb = NULL;
	if (zf != NULL && (rrc = zerofilt_finish(zf, params->xalloc_pages)) !=
	    0 && (rc == 0 || rc == -EPIPE))
		rc = rrc;
	/* Drained before anything else is written to fd (postcopy). */
	if (relay != NULL && (rrc = pace_relay_finish(relay)) != 0) {
		log_warnx("xen: writing the capped stream failed: %s",
		    strerror(-rrc));
		if (rc == 0 || rc == -EPIPE)
			rc = rrc;
	}
	/* The device model's own error says more than libxenguest's. */
	if (rc != 0 && s.dm_rc != 0 && rc != -EPIPE)
		rc = s.dm_rc;
	if (rc == 0 && s.hvm)
		rc = xen_save_emu(&s, domid, params->emu);
	if (rc != 0) {
		if (s.dm_saved)
			xen_dm_discard_state(&s.dm);
		log_warnx("xen: saving domain %u failed", domid);
		return rc;
	}
	/* A plain stream never calls libxenguest's postcopy: we do. */
	if (cb->postcopy != NULL && !cb->postcopy(cb->data))
		return -EIO;
	return 0;
}

