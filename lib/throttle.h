/*
 * throttle.h - auto-converge's hold on a guest: the throttle the precopy
 * policy asks for (precopy.h), applied through the backend's throttle
 * ops, and always taken off again.
 *
 * The first throttle records the domain's own limit ("orig") and starts
 * a guard: a small child process that holds one end of a pipe.  When
 * xmig gives the throttle back, it tells the guard so; when xmig ends
 * without doing so (killed, crashed), the guard sees the pipe close and
 * sets "orig" back itself.  So the throttle never outlives the xmig that
 * set it.  The recovery record written at the suspend carries "orig" too
 * (migrate_src.c), for "xmig recover" after a crash of the whole host's
 * processes.
 */
#ifndef XMIG_THROTTLE_H
#define XMIG_THROTTLE_H

#include <sys/types.h>
#include <limits.h>
#include <stdint.h>

#include "backend.h"

struct throttle {
	struct backend	*be;
	uint32_t	 domid;
	uint8_t		 uuid[16];
	char		 dir[PATH_MAX];	/* the backend's, for the guard */
	uint32_t	 orig;		/* the domain's own limit */
	unsigned	 pct;		/* applied now; 0 none */
	unsigned	 max_pct;	/* the highest applied */
	int		 held;		/* orig recorded, guard running */
	pid_t		 guard;
	int		 guard_fd;	/* our end of the guard's pipe */
};

/* Set *t up for domain "d" on "be"; nothing is changed. */
void	throttle_init(struct throttle *t, struct backend *be,
	    const struct dom_info *d);

/*
 * Throttle the domain by pct percent (1-99).  The first call records
 * the domain's own limit and starts the guard.  Returns 0, -EOPNOTSUPP
 * when the backend has no throttle (or the host cannot), or another
 * negative errno (logged); on failure the domain keeps what it had.
 */
int	throttle_apply(struct throttle *t, unsigned pct);

/*
 * Give the domain its own limit back and stop the guard.  Does nothing
 * when no throttle is held; may be called any number of times.  Returns
 * 0 or the backend's error (logged: the guard then tries once more as
 * it ends).
 */
int	throttle_release(struct throttle *t);

#endif /* XMIG_THROTTLE_H */
