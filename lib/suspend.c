/*
 * suspend.c - the xenstore suspend protocol.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"
#include "log.h"
#include "suspend.h"
#include "util.h"
#include "xsutil.h"

#define SUSPEND_TOKEN	"xmig-suspend"
#define POLL_SLICE_MS	200	/* how often "cancel" is looked at */

/*
 * Withdraw an unacknowledged request: clear control/shutdown only if it
 * still reads "suspend".  Returns 1 if withdrawn, 0 if the guest had
 * acknowledged meanwhile, -errno on error.
 */
static int
suspend_withdraw(struct xs_handle *xs, const char *node)
{
	xs_transaction_t t;
	unsigned int len;
	char *v;
	int withdrawn;

	if (fault_armed("suspend-withdraw-fails"))
		return -EIO;
	for (;;) {
		if ((t = xs_transaction_start(xs)) == XBT_NULL)
			return -errno;
		v = xs_read(xs, t, node, &len);
		withdrawn = v != NULL && strcmp(v, "suspend") == 0;
		free(v);
		if (withdrawn && !xs_write(xs, t, node, "", 0)) {
			xs_transaction_end(xs, t, true);
			return -errno;
		}
		if (xs_transaction_end(xs, t, false))
			return withdrawn;
		if (errno != EAGAIN)
			return -errno;
	}
}

/* 1 when the guest acknowledged: the node no longer says "suspend". */
static int
suspend_acked(struct xs_handle *xs, const char *node)
{
	unsigned int len;
	char *v = xs_read(xs, XBT_NULL, node, &len);
	int acked = v == NULL || strcmp(v, "suspend") != 0;

	free(v);
	return acked;
}

/*
 * 1 if the domain is in shutdown(suspend), 0 if not yet; -EIO if it shut
 * down for another reason (a crash, say), -ESRCH if it is dying or gone,
 * with its state in "state"; other -errno.
 */
static int
suspend_done(struct backend *be, uint32_t domid, char *state, size_t len)
{
	struct dom_info d;
	int rc;

	if ((rc = be->ops->info(be, domid, &d)) != 0) {
		(void)util_strlcpy(state, rc == -ESRCH ? "gone" : "unknown",
		    len);
		return rc;
	}
	(void)util_strlcpy(state, dom_state_name(&d), len);
	if (d.state == DOM_SHUTDOWN)
		return d.shutdown_reason == DOM_SHUTDOWN_SUSPEND ? 1 : -EIO;
	return d.state == DOM_DYING ? -ESRCH : 0;
}

/*
 * Wait for the acknowledgement; 0, -ETIMEDOUT, -ECANCELED, or -EIO or
 * -ESRCH from suspend_done if the domain stopped meanwhile (a guest that
 * crashed never answers: there is no point waiting out the timeout).
 */
static int
suspend_wait_ack(struct backend *be, struct xs_handle *xs, uint32_t domid,
    const char *node, uint64_t deadline, volatile sig_atomic_t *cancel,
    char *state, size_t len)
{
	int64_t left;
	int rc;

	while (!suspend_acked(xs, node)) {
		if (cancel != NULL && *cancel)
			return -ECANCELED;
		rc = suspend_done(be, domid, state, len);
		if (rc == -EIO || rc == -ESRCH)
			return rc;	/* other errors: the timeout decides */
		left = (int64_t)(deadline - util_now_ms());
		if (left <= 0)
			return -ETIMEDOUT;
		rc = xsutil_wait_watch(xs, left < POLL_SLICE_MS ? (int)left :
		    POLL_SLICE_MS, NULL, 0);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Wait for shutdown(suspend) on @releaseDomain; 0, -ETIME or -errno. */
static int
suspend_wait_shutdown(struct backend *be, struct xs_handle *xs,
    uint32_t domid, uint64_t deadline, char *state, size_t len)
{
	int64_t left;
	int rc;

	while ((rc = suspend_done(be, domid, state, len)) == 0) {
		left = (int64_t)(deadline - util_now_ms());
		if (left <= 0)
			return -ETIME;
		rc = xsutil_wait_watch(xs, left < POLL_SLICE_MS ? (int)left :
		    POLL_SLICE_MS, NULL, 0);
		if (rc < 0)
			return rc;
	}
	return rc < 0 ? rc : 0;
}

/*
 * Wait up to timeout_s for shutdown(suspend) and log the outcome; "late"
 * says what happened when the time ran out.  As suspend_wait_shutdown().
 */
static int
suspend_await(struct backend *be, struct xs_handle *xs, uint32_t domid,
    unsigned timeout_s, const char *late)
{
	char state[32] = "unknown";
	uint64_t deadline = util_now_ms() + (uint64_t)timeout_s * 1000;
	int rc;

	rc = suspend_wait_shutdown(be, xs, domid, deadline, state,
	    sizeof(state));
	if (rc == -ETIME)
		log_warnx("domain %u: %s within %u s", domid, late, timeout_s);
	else if (rc == -EIO || rc == -ESRCH)
		log_warnx("domain %u stopped instead of suspending: it is %s; "
		    "left as it is", domid, state);
	else if (rc != 0)
		log_warnx("domain %u: did not suspend: %s", domid,
		    strerror(-rc));
	else
		log_debug("domain %u: suspended", domid);
	return rc;
}

/*
 * A guest without PV drivers: the hypervisor suspends it; nothing to
 * acknowledge, nothing to withdraw.
 */
static int
suspend_by_hypercall(struct backend *be, struct xs_handle *xs,
    uint32_t domid, unsigned timeout_s)
{
	int rc;

	if (be->ops->suspend_hypercall == NULL) {
		log_warnx("domain %u has no PV drivers and the %s backend "
		    "cannot suspend it by hypercall", domid, be->ops->name);
		return -EOPNOTSUPP;
	}
	if (!xs_watch(xs, "@releaseDomain", SUSPEND_TOKEN)) {
		rc = -errno;
		log_warn("domain %u: cannot watch for suspend", domid);
		return rc;
	}
	log_debug("domain %u has no PV drivers: suspending by hypercall",
	    domid);
	if ((rc = be->ops->suspend_hypercall(be, domid)) != 0) {
		/* Not suspended: it runs on (or it is gone). */
		if (rc != -ESRCH) {
			log_warnx("domain %u: the suspend hypercall failed: "
			    "%s; it runs on", domid, strerror(-rc));
			rc = -EOPNOTSUPP;
		}
		goto out;
	}
	rc = suspend_await(be, xs, domid, timeout_s,
	    "suspended by hypercall but not shut down");
out:
	xs_unwatch(xs, "@releaseDomain", SUSPEND_TOKEN);
	return rc;
}

int
suspend_domain(struct backend *be, struct xs_handle *xs, uint32_t domid,
    unsigned timeout_s, volatile sig_atomic_t *cancel)
{
	char node[128], state[32] = "unknown";
	struct dom_info d;
	uint64_t deadline;
	int rc, w;

	if (be->ops->info(be, domid, &d) == 0 && d.no_pv_drivers)
		return suspend_by_hypercall(be, xs, domid, timeout_s);
	snprintf(node, sizeof(node), "/local/domain/%u/control/shutdown",
	    domid);
	/* Watch before writing so no change is missed. */
	if (!xs_watch(xs, node, SUSPEND_TOKEN) ||
	    !xs_watch(xs, "@releaseDomain", SUSPEND_TOKEN)) {
		rc = -errno;
		log_warn("domain %u: cannot watch for suspend", domid);
		goto out;
	}
	if (!xs_write(xs, XBT_NULL, node, "suspend", strlen("suspend"))) {
		rc = -errno;
		log_warn("domain %u: cannot request suspend", domid);
		goto out;
	}
	deadline = util_now_ms() + (uint64_t)timeout_s * 1000;
	rc = suspend_wait_ack(be, xs, domid, node, deadline, cancel, state,
	    sizeof(state));
	if (rc == -EIO || rc == -ESRCH) {
		(void)suspend_withdraw(xs, node);
		log_warnx("domain %u stopped before it acknowledged the suspend "
		    "request: it is %s; left as it is", domid, state);
		goto out;
	}
	if (rc == -ETIMEDOUT || rc == -ECANCELED) {
		w = suspend_withdraw(xs, node);
		if (w == 1) {
			log_warnx("domain %u: %s; suspend request withdrawn, "
			    "the guest runs on", domid, rc == -ETIMEDOUT ?
			    "the guest did not acknowledge the suspend "
			    "request in time" : "cancelled");
			goto out;
		}
		/*
		 * Acknowledged at the last moment: carry on.  A request that
		 * cannot be withdrawn may still be acted on: waited for as if
		 * acknowledged, so that the caller resumes the guest if it
		 * does not suspend (a guest suspending later, with nobody
		 * left to resume it, would be lost).
		 */
		if (w < 0)
			log_warnx("domain %u: cannot withdraw the suspend "
			    "request (%s): the guest may still act on it; "
			    "waiting for it as if acknowledged", domid,
			    strerror(-w));
	} else if (rc != 0) {
		log_warnx("domain %u: waiting for suspend: %s", domid,
		    strerror(-rc));
		goto out;
	}
	rc = suspend_await(be, xs, domid, timeout_s,
	    "acknowledged the suspend request but did not suspend");
out:
	xs_unwatch(xs, node, SUSPEND_TOKEN);
	xs_unwatch(xs, "@releaseDomain", SUSPEND_TOKEN);
	return rc;
}
