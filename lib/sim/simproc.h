/*
 * simproc.h - private to lib/sim/: the processes of a simulated domain
 * (its guest, an HVM domain's device model), each known by a pid file
 * in the domain's directory, detached from whoever started it.
 */
#ifndef XMIG_SIMPROC_H
#define XMIG_SIMPROC_H

#include <sys/types.h>

#include <stdint.h>

#include "simhost.h"

/*
 * The process whose pid is in SIMDIR/domains/N/"pidfile": 0 and *pid if
 * it runs, -ENOENT if there is no pid file, -ESRCH if it died (a zombie
 * is dead), -EINVAL for a bad file (logged).
 */
int	simproc_alive(struct simhost *h, uint32_t domid, const char *pidfile,
	    pid_t *pid);

/*
 * SIGKILL that process ("what" names it in messages) and wait, at most
 * 5 s, until it is gone.  0 if there is none or it is dead.
 */
int	simproc_kill(struct simhost *h, uint32_t domid, const char *pidfile,
	    const char *what);

/*
 * In a child of fork(): detach (a new session, then a second fork whose
 * parent exits at once, so the process is nobody's child), restore the
 * default signal set-up, stdin and stdout on /dev/null, stderr appended
 * to SIMDIR/domains/N/"logleaf", "ready" on descriptor 3 and nothing
 * else open.  Returns in the detached grandchild only.
 */
void	simproc_detach(const char *dir, uint32_t domid, const char *logleaf,
	    int ready);

#endif /* XMIG_SIMPROC_H */
