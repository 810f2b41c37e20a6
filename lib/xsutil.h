/*
 * xsutil.h - xenstore helpers over libxenstore, the same on both
 * backends: on Xen they talk to the system's xenstored, on the simulated
 * host to its server (SIMDIR/xenstored.sock), which speaks the same
 * protocol.
 */
#ifndef XMIG_XSUTIL_H
#define XMIG_XSUTIL_H

#include <stdint.h>
#include <xenstore.h>

#include "backend.h"

/*
 * Open a xenstore connection for the host "be" is on.  Returns the handle
 * (xs_close() it) or NULL after logging why.
 */
struct xs_handle *xsutil_open(struct backend *be);

/*
 * Read /local/domain/DOMID/REL into a malloc()ed string (caller frees).
 * Returns NULL if the node does not exist (errno ENOENT) or on error.
 */
char	*xsutil_read_dom(struct xs_handle *xs, uint32_t domid,
	    const char *rel);

/*
 * Write VALUE to /local/domain/DOMID/REL.  Returns 0 or -errno (logged).
 */
int	xsutil_write_dom(struct xs_handle *xs, uint32_t domid,
	    const char *rel, const char *value);

/*
 * Wait until a watch fires on xs or timeout_ms passes: returns 1 when a
 * watch event arrived (its path copied into path/pathlen when non-NULL),
 * 0 on timeout, or -errno.  Events are drained one per call.
 */
int	xsutil_wait_watch(struct xs_handle *xs, int timeout_ms, char *path,
	    size_t pathlen);

#endif /* XMIG_XSUTIL_H */
