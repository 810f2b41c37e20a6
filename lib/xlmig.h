/*
 * xlproto.h - xl's migration protocol (protocol/xlproto.h) spoken by xmig's
 * engine: the sender's half ("xmig migrate --xl" to "xl
 * migrate-receive") and the receiver's half ("xmig xl-receive", and an
 * xmigd worker for a connection from "xmig xl-relay").  One
 * implementation of each half.
 *
 * Invariants (DESIGN.md) on xl's wire: the receiver restores the domain
 * paused as NAME--incoming and starts it only after the sender's "go";
 * the sender destroys its copy only after the report says it started.
 * xl's protocol has no settling query: a sender that loses the
 * connection after "go" leaves its copy suspended as NAME--migratedaway
 * (MIG_UNDEFINED) for the administrator, who checks the destination.
 */
#ifndef XMIG_XLMIG_H
#define XMIG_XLMIG_H

#include <stddef.h>
#include <stdint.h>

#include "migrate.h"
#include "xlproto.h"

/*
 * Read xl's fixed message "m" from fd.  Returns 0, -EPROTO when other
 * bytes came, or the read's error (-ECONNRESET when the peer closed,
 * -ETIMEDOUT).
 */
int	xlmig_read_msg(int fd, enum xlproto_msg m, int timeout_ms);

/* Write xl's fixed message "m" to fd.  0 or a negative errno. */
int	xlmig_write_msg(int fd, enum xlproto_msg m, int timeout_ms);

/*
 * Migrate a running domain to the xl receiver at the other end of p->fd
 * (a socket both ways, e.g. to "ssh HOST xl migrate-receive"): banner,
 * device steps, the stream under xmig's precopy policy, then xl's
 * commit.  No recovery record is written (nothing could answer "xmig
 * recover").  Fills *stats and, on failure, why.  Returns the outcome:
 * MIG_OK (the source copy is destroyed), MIG_FAILED (nothing changed),
 * MIG_REFUSED (a device step 0 refused), MIG_RESUMED (the source runs
 * again), MIG_UNDEFINED (the connection died after "go", or the source
 * could not be resumed: the source copy is left suspended).
 */
enum mig_result xlmig_src_run(const struct mig_src_params *p,
	    struct mig_stats *stats, char *why, size_t whylen);

struct xlmig_dst_params {
	struct backend	*be;
	int		 in_fd;		/* the sender's bytes */
	int		 out_fd;	/* to the sender (may equal in_fd) */
	int		 banner;	/* write the banner first */
	int		 paused;	/* xl's -p: leave it paused */
	unsigned	 timeout_s;	/* longest silence of the sender */
	/*
	 * The configuration a reservation was made for (xmigd), or NULL:
	 * the xl header must carry exactly this one.
	 */
	const char	*reserved_config;
	/* Phase changes, as mig_dst_params' (NULL: none). */
	void		(*phase)(void *arg, enum mig_phase phase,
			    int64_t domid, const char *detail);
	void		*arg;
};

/*
 * The receiving half: the xl header and stream into a paused
 * NAME--incoming, "ready", "go", rename to NAME, unpause (unless
 * paused), the report.  From "go" on the destination owns the domain
 * and keeps a GO record (mig_dst_record_write()) until it runs, so that
 * xmigd finishes it forward if this process dies.  Returns 0 when the
 * domain is here under its own name (with "name" filled, namelen bytes)
 * and the report was sent or at least the domain runs; otherwise a
 * negative errno with why, the incoming copy destroyed (and, after "go",
 * the sender given back its permission to resume, as xl does).
 */
int	xlmig_dst_run(const struct xlmig_dst_params *p, char *name,
	    size_t namelen, char *why, size_t whylen);

#endif /* XMIG_XLMIG_H */
