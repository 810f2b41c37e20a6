/*
 * zerofilt.h - zero pages of a libxc stream as XALLOC entries, for a
 * backend whose saver (libxenguest's xc_domain_save) writes every page
 * with its data.  A thread reads the libxc stream the saver writes into a
 * pipe and passes it on to the real output, every record as it is but
 * PAGE_DATA: there a page of type NOTAB that is all zero and was never
 * passed on with data before becomes an XALLOC entry without data (Xen's
 * restore populates it zeroed); a page passed on with data before keeps
 * its data, zero or not (the restore would keep the old bytes of a
 * populated page).  The stream ends with its END record.
 */
#ifndef XMIG_ZEROFILT_H
#define XMIG_ZEROFILT_H

#include <stdint.h>

struct zerofilt;

/*
 * Start a filter writing to out; *wfd is where the saver writes (the
 * filter's, closed by zerofilt_finish()).  Returns 0 or a negative errno.
 */
int	zerofilt_start(int out, int timeout_ms, struct zerofilt **zp,
	    int *wfd);

/*
 * After the saver returned: close *wfd, let the filter pass on what is
 * left, stop it.  *xalloc (NULL allowed) gets the pages written as
 * XALLOC.  Returns 0, or the filter's error (a negative errno, logged;
 * -EBADMSG for a stream it cannot read).  NULL is a no-op returning 0.
 */
int	zerofilt_finish(struct zerofilt *z, uint64_t *xalloc);

#endif /* XMIG_ZEROFILT_H */
