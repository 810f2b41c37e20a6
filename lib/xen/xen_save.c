/*
 * xen_save.c - the xen backend's save: xc_domain_save() in this process
 * with our callbacks adapted to libxenguest's, and the stream paced to
 * the --bandwidth cap through a pipe (lib/pace.c).
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
#include "be_xen.h"
#include "log.h"
#include "pace.h"
#include "util.h"

#define XEN_PACE_TIMEOUT_MS	120000	/* a capped write to the stream */

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

int
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

