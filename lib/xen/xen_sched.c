/*
 * xen_sched.c - auto-converge on Xen: a credit2 cap on the domain.
 *
 * credit2's cap is in percent of one physical CPU for the whole domain
 * (200 lets a two-vCPU domain use two CPUs fully), 0 meaning none; a
 * capped domain's vCPUs are parked once they used their share of each
 * accounting period, whatever they do, as QEMU's auto-converge parks a
 * vCPU for a part of each 10 ms.  Xen keeps the cap in the scheduler's
 * data of the domain: it is not in the migration stream and a restored
 * domain starts with the one of its configuration.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "log.h"
#include "xen_int.h"

#define XEN_CAP_MAX	UINT16_MAX

static int
xen_credit2_get(struct xen_priv *x, uint32_t domid,
    struct xen_domctl_sched_credit2 *sd)
{
	memset(sd, 0, sizeof(*sd));
	if (xc_sched_credit2_domain_get(x->xch, domid, sd) == 0)
		return 0;
	/* The domain's cpupool runs another scheduler. */
	if (errno == EINVAL) {
		log_warnx("xen: domain %u is not scheduled by credit2: it "
		    "cannot be throttled (run with --no-auto-converge)",
		    domid);
		return -EOPNOTSUPP;
	}
	log_warn("xen: cannot read the credit2 parameters of domain %u",
	    domid);
	return errno != 0 ? -errno : -EIO;
}

int
xen_throttle_get(struct backend *be, uint32_t domid, uint32_t *orig)
{
	struct xen_domctl_sched_credit2 sd;
	struct dom_info di;
	int rc;

	if ((rc = xen_check_guest(be, domid, &di)) != 0 ||
	    (rc = xen_credit2_get(be->priv, domid, &sd)) != 0)
		return rc;
	*orig = sd.cap;
	return 0;
}

int
xen_throttle_set(struct backend *be, uint32_t domid, unsigned pct,
    uint32_t orig)
{
	struct xen_priv *x = be->priv;
	struct xen_domctl_sched_credit2 sd;
	struct dom_info di;
	uint64_t full, cap;
	int rc;

	if (pct > 99 || orig > XEN_CAP_MAX)
		return -EINVAL;
	if ((rc = xen_check_guest(be, domid, &di)) != 0 ||
	    (rc = xen_credit2_get(x, domid, &sd)) != 0)
		return rc;
	if (pct == 0)
		cap = orig;
	else {
		/* What it may use without us, then pct percent less. */
		full = orig != 0 ? orig : (uint64_t)(di.vcpus ? di.vcpus : 1) *
		    100;
		cap = full * (100 - pct) / 100;
		if (cap == 0)
			cap = 1;
		if (cap > XEN_CAP_MAX)
			cap = XEN_CAP_MAX;
	}
	/* weight 0: left as it is (xc_sched_credit2_domain_set). */
	sd.weight = 0;
	sd.cap = (uint16_t)cap;
	if (xc_sched_credit2_domain_set(x->xch, domid, &sd) != 0) {
		rc = errno != 0 ? -errno : -EIO;
		log_warn("xen: cannot set the credit2 cap of domain %u to %u",
		    domid, (unsigned)cap);
		return rc;
	}
	log_debug("xen: domain %u: credit2 cap %u", domid, (unsigned)cap);
	return 0;
}
