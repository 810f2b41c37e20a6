/*
 * climig.h - one migration as "xmig migrate" runs it: connect, the
 * engine's mig_src_run(), the settlement of a connection lost after GO,
 * and with "wait" new attempts while the destination refuses only
 * because it is busy.  "xmig migrate" and each guest of "xmig evacuate"
 * go through climig_run(), so both behave alike.
 */
#ifndef XMIG_CLI_CLIMIG_H
#define XMIG_CLI_CLIMIG_H

#include <signal.h>

#include "backend.h"
#include "migrate.h"
#include "transport.h"

/* The first pause before a new attempt, and the longest one. */
#define CLIMIG_BACKOFF_FIRST_MS	500
#define CLIMIG_BACKOFF_MAX_MS	8000

struct climig {
	/*
	 * The flow's parameters: be, domain, policy, timeouts, cancel,
	 * progress.  fd, host and port are set by climig_run().
	 */
	struct mig_src_params	 params;
	const char		*host;
	unsigned		 port;
	const struct transport_tls *tls;
	int			 wait;		/* retry while "busy" */
	unsigned		 wait_s;	/* at most; 0 no limit */
	/*
	 * Told before each pause: the destination's reason, the pause and
	 * the time waited so far.  NULL: nothing shown.
	 */
	void			(*waiting)(void *arg, const char *reason,
				    uint64_t pause_ms, uint64_t waited);
	void			*arg;
	/* Out: set when no connection could be made (nothing changed). */
	int			 unreachable;
	unsigned		 attempts;	/* out: reservations asked */
};

/*
 * Run the migration m describes to its end.  Fills *stats (its refusal
 * code says why a MIG_REFUSED was refused) and, on failure, why.  Only a
 * DENY coded RELOC_DENY_BUSY is retried, and only with m->wait; a
 * refusal without a code (an older xmigd) or any other fails at once.
 * A MIG_UNDEFINED outcome is settled as "xmig recover" would (asking the
 * destination for up to 30 s).  Returns the outcome.
 */
enum mig_result climig_run(struct climig *m, struct mig_stats *stats,
	    char *why, size_t whylen);

/*
 * The pause before attempt n + 1 (n >= 1): doubling from
 * CLIMIG_BACKOFF_FIRST_MS up to CLIMIG_BACKOFF_MAX_MS, spread by up to a
 * quarter either way by "jitter" (0..1023) so that sources refused
 * together do not all come back together.
 */
uint64_t climig_backoff_ms(unsigned n, unsigned jitter);

#endif /* XMIG_CLI_CLIMIG_H */
