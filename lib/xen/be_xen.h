/*
 * be_xen.h - lib/xen/, the real Xen backend: a Xen dom0 seen through
 * libxenctrl, libxenguest, libxenstore and libxenlight.  Built only when
 * configure found Xen's libraries (HAVE_XEN); backend_open("xen") selects
 * it through xen_backend_ops (declared in lib/backend.h).
 *
 * What this folder offers the rest of xmig is this header and the ops
 * table; xen_int.h is private to the folder.  Its files use the engine's
 * headers (lib/) and protocol/, never lib/sim/ (tests/layering.sh).
 */
#ifndef XMIG_BE_XEN_H
#define XMIG_BE_XEN_H

#include <stdint.h>

#include "backend.h"

/*
 * Can "domid" be saved live on this host?  A PV guest needs log-dirty
 * mode, which Xen provides for PV only through shadow paging; Debian's
 * 4.17 hypervisor is built without it.  Returns 0 if a live save can
 * work, -EOPNOTSUPP (logged, with the advice to use --no-live) if not,
 * -ESRCH if there is no such domain.  Changes nothing.
 */
int	xen_check_live(struct backend *be, uint32_t domid);

/*
 * Claim "pages" 4 KiB pages of free host memory for "domid", so that a
 * restore cannot fail half way for lack of memory (Xen's claim
 * hypercall; the claim shrinks as the domain is populated).  0 pages
 * releases the claim.  Claims belong to a domain: a reservation made
 * before the domain exists is bookkeeping above the backend.  Returns 0,
 * -ENOMEM if the host cannot give that much (logged), or another negative
 * errno.
 */
int	xen_claim(struct backend *be, uint32_t domid, uint64_t pages);

#endif /* XMIG_BE_XEN_H */
