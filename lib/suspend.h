/*
 * suspend.h - suspend a guest over xenstore, as a Xen toolstack does.
 *
 * Write "suspend" to control/shutdown; the guest acknowledges by changing
 * the node (a Linux guest clears it); then wait on @releaseDomain until
 * the domain reports shutdown with reason suspend.  Every wait has a
 * timeout.  If the guest never acknowledges, the request is withdrawn (in
 * a transaction, only if the node still says "suspend") and the guest
 * runs on, untouched.
 *
 * An HVM guest without PV drivers (dom_info.no_pv_drivers) reads no
 * xenstore: the backend's hypervisor suspends it (suspend_hypercall)
 * and only the shutdown is waited for, as Xen's toolstack does.
 */
#ifndef XMIG_SUSPEND_H
#define XMIG_SUSPEND_H

#include <signal.h>
#include <stdint.h>
#include <xenstore.h>

#include "backend.h"

/*
 * Suspend domain "domid".  timeout_s bounds each wait (acknowledgement,
 * then the shutdown).  "cancel" (may be NULL) is polled between waits.
 * Returns 0 when the domain is in shutdown(suspend);
 *   -ETIMEDOUT: no acknowledgement; the request was withdrawn and the
 *               guest runs on (nothing to undo);
 *   -ETIME:     acknowledged but never suspended (the caller resumes);
 *               also when an unacknowledged request could not be
 *               withdrawn: it is then waited for as if acknowledged;
 *   -ECANCELED: cancelled before the acknowledgement (request withdrawn);
 *   -EIO:       the domain shut down for another reason (it crashed,
 *               say), before or after acknowledging: it is left as it
 *               is, and must not be resumed (that would undo a crash);
 *   -ESRCH:     the domain went away;
 *   -EOPNOTSUPP: no PV drivers and the backend cannot suspend by
 *               hypercall, or the hypercall failed: it runs on;
 * other negative errnos on error.
 * Logged once with the reason.
 */
int	suspend_domain(struct backend *be, struct xs_handle *xs,
	    uint32_t domid, unsigned timeout_s,
	    volatile sig_atomic_t *cancel);

#endif /* XMIG_SUSPEND_H */
