/*
 * devmig.h - device migrate steps 0-3, after xend.
 *
 * A domain's devices are its backends in xenstore
 * (/local/domain/0/backend/TYPE/DOMID/DEVID).  For each device whose type
 * has a handler, an executable DIR/TYPE in device-migrate-dir, xmig runs
 *
 *   DIR/TYPE --step N --type TYPE --device DEVID --domain NAME
 *            --domid DOMID --host DESTINATION [--recover]
 *
 * with a timeout, at each step:
 *   0  before anything: may the device go?  A non-zero exit refuses the
 *      migration, which then stops with nothing changed; the handler's
 *      first line on standard error or output is the reason.
 *   1  the memory transfer starts.
 *   2  the guest is suspended: start any background transfer and return
 *      at once.
 *   3  wait until every step-2 transfer is done.
 * After a failure past step 0, every handler that ran is called again
 * with --recover and the step that was reached, to undo what it did.
 * Devices without a handler are moved by the toolstack as usual.
 */
#ifndef XMIG_DEVMIG_H
#define XMIG_DEVMIG_H

#include <stdint.h>
#include <xenstore.h>

#define DEVMIG_MAX	64	/* devices handled per domain */

struct devmig_dev {
	char	type[32];
	char	id[32];
};

struct devmig {
	char		 dir[4096];
	unsigned	 timeout_s;
	char		 host[256];
	char		 domain[64];
	uint32_t	 domid;
	size_t		 ndev;
	struct devmig_dev devs[DEVMIG_MAX];
	int		 reached;	/* last step started, -1 none */
};

/*
 * Find the devices of "domid" that have a handler in "dir" (which may
 * not exist: then there are none).  Returns 0 or -errno (logged).
 */
int	devmig_init(struct devmig *dm, struct xs_handle *xs, const char *dir,
	    unsigned timeout_s, uint32_t domid, const char *domain,
	    const char *host);

/*
 * Run step "step" (0-3) for every device.  Returns 0; -EPERM when a
 * handler refused (step 0) or failed, with its reason in why; -ETIMEDOUT
 * when one ran past the timeout (it is killed).  Logged.
 */
int	devmig_step(struct devmig *dm, int step, char *why, size_t whylen);

/* Run the recover action for every device, for the step reached. */
void	devmig_recover(struct devmig *dm);

#endif /* XMIG_DEVMIG_H */
