/*
 * migrate.h - the migration, save and restore flows shared by both
 * backends: the source side (xmig migrate, xmig save) and the destination
 * side (a worker of xmigd, xmig restore).
 *
 * Invariants (DESIGN.md): a domain is never lost and never runs twice.
 * The destination restores the domain paused under NAME--incoming and
 * unpauses it only after the source's GO; the source destroys its copy
 * only after the destination's REPORT says it runs.  If the connection
 * is lost after GO was sent and before REPORT arrived, the source copy is
 * left suspended (not destroyed, not resumed) and the outcome is
 * "undefined": "xmig recover" settles it by asking the destination.
 */
#ifndef XMIG_MIGRATE_H
#define XMIG_MIGRATE_H

#include <stdint.h>

#include "backend.h"
#include "reloc.h"

#define MIG_ROUNDS_MAX	64	/* statistics kept for at most this many */

/* Outcome of a source-side flow, mapped to xmig's exit codes. */
enum mig_result {
	MIG_OK = 0,		/* moved; the source copy is gone */
	MIG_FAILED,		/* failed before anything changed */
	MIG_REFUSED,		/* the peer or a device refused */
	MIG_RESUMED,		/* failed after suspend; source resumed */
	MIG_UNDEFINED,		/* connection lost after GO: recover */
};

struct mig_round {
	uint64_t	pages;
	uint64_t	ms;
	uint64_t	dirty_rate;	/* pages dirtied per second */
};

/* Figures of a flow, for the progress line and the --json object. */
struct mig_stats {
	uint64_t	total_ms;
	uint64_t	downtime_ms;	/* suspend to REPORT (or end of save) */
	uint64_t	bytes_sent;
	uint64_t	pages_sent;
	unsigned	nrounds;
	struct mig_round rounds[MIG_ROUNDS_MAX];
};

/* Phases a destination worker reports to its supervisor. */
enum mig_phase {
	MIG_PHASE_RECEIVING = 0,	/* the stream is arriving */
	MIG_PHASE_RECEIVED,		/* restored, paused, RECEIVED sent */
	MIG_PHASE_GO,			/* GO received: about to unpause */
	MIG_PHASE_RUNNING,		/* unpaused and renamed */
	MIG_PHASE_FAILED,		/* failed; the incoming copy is gone */
};

struct mig_dst_params {
	struct backend	*be;
	/*
	 * The connection, positioned after the destination sent ACCEPT:
	 * the next frame from the source is STREAM.  A plain socket, or the
	 * plain end of a TLS pump: the flow only reads and writes it.
	 */
	int		 fd;
	const struct reloc_msg *reserve;	/* the accepted RESERVE */
	const char	*incoming_name;		/* NAME--incoming */
	unsigned	 timeout_s;	/* longest silence on the connection */
	/*
	 * Called at each phase change, with the domain id once it exists
	 * (-1 before).  The supervisor uses it to know, should the worker
	 * die, whether the incoming copy must be destroyed (before GO) or
	 * left alone (after GO: the source may have been told to stop).
	 */
	void		(*phase)(void *arg, enum mig_phase phase,
			    int64_t domid, const char *detail);
	void		*arg;
};

/*
 * Run the destination side to the end.  Returns 0 when the domain runs
 * here under its own name and REPORT was sent; a negative errno
 * otherwise, after destroying the incoming copy if GO had not arrived,
 * and after telling the source FAILED where the connection still works.
 */
int	mig_dst_run(const struct mig_dst_params *p);

#endif /* XMIG_MIGRATE_H */
