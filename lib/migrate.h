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

#include <signal.h>
#include <stdint.h>

#include "backend.h"
#include "joblock.h"
#include "reloc.h"

/*
 * The names a domain carries while it moves, as xl's: the destination's
 * paused copy until GO, the source's copy from the suspend on.
 */
#define MIG_SUFFIX_INCOMING	"--incoming"
#define MIG_SUFFIX_AWAY		"--migratedaway"

#define MIG_ROUNDS_MAX	64	/* statistics kept for at most this many */

/* Outcome of a source-side flow, mapped to xmig's exit codes. */
enum mig_result {
	MIG_OK = 0,		/* moved; the source copy is gone */
	MIG_FAILED,		/* failed before anything changed */
	MIG_REFUSED,		/* the peer or a device refused */
	MIG_RESUMED,		/* failed after suspend; source resumed */
	MIG_UNDEFINED,		/* connection lost after GO: recover */
	MIG_PENDING,		/* recover: the destination is still at it;
				 * ask again (never an exit status) */
};

struct mig_round {
	uint64_t	pages;
	uint64_t	ms;
	uint64_t	dirty_rate;	/* pages dirtied per second */
};

/* Figures of a flow, for the progress line and the --json object. */
struct mig_stats {
	char		domain[DOMNAME_MAX];	/* the name, once found */
	uint64_t	total_ms;
	uint64_t	downtime_ms;	/* suspend to REPORT (or end of save) */
	uint64_t	bytes_sent;
	uint64_t	pages_sent;
	unsigned	throttle_pct;	/* auto-converge's highest, 0 none */
	unsigned	nrounds;
	struct mig_round rounds[MIG_ROUNDS_MAX];
	/*
	 * MIG_REFUSED by the destination's DENY: its code (RELOC_DENY_*,
	 * RELOC_DENY_BUSY when waiting may help), "" when it sent none.
	 */
	char		refusal[RELOC_CODE_MAX];
	/* Disks copied with the domain (lib/vbdmig.h); 0 disks: none */
	unsigned	disks;
	uint64_t	disk_total;	/* bytes of the disks copied */
	uint64_t	disk_bytes;	/* disk bytes sent */
	unsigned	disk_rounds;	/* bulk rounds */
	uint64_t	disk_dirty_rate; /* bytes/s written, last round */
	uint64_t	disk_final_bytes; /* sent after the suspend */
	uint64_t	disk_final_ms;	/* their time: part of the downtime */
	uint64_t	disk_bulk_ms;
	/*
	 * The framed stream (lib/wirecodec.h): the stream's own bytes
	 * (bytes_sent is what went on the wire), zero pages elided, the
	 * codec used ("" for a raw stream; "lz4+zstd": either, by the
	 * rate, as "--compress auto").
	 */
	uint64_t	bytes_raw;
	uint64_t	zero_pages;
	uint64_t	frames;		/* of the framed stream */
	uint64_t	frames_lz4;	/* of which compressed with lz4 */
	uint64_t	frames_zstd;	/* with zstd */
	char		codec[16];
};

/*
 * Append a round to s.  Past MIG_ROUNDS_MAX rounds the last entry sums
 * the rest (pages and time; the newest dirty rate), so that the rounds
 * still add up to the pages sent.
 */
static inline void
mig_stats_add_round(struct mig_stats *s, uint64_t pages, uint64_t ms,
    uint64_t dirty_rate)
{
	struct mig_round *r;

	if (s->nrounds >= MIG_ROUNDS_MAX) {
		r = &s->rounds[MIG_ROUNDS_MAX - 1];
		r->pages += pages;
		r->ms += ms;
		r->dirty_rate = dirty_rate;
		return;
	}
	r = &s->rounds[s->nrounds++];
	r->pages = pages;
	r->ms = ms;
	r->dirty_rate = dirty_rate;
}

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
	/* storage-dir: where incoming disks may be written */
	const char *const *storage_dirs;
	unsigned	 nstorage_dirs;
};

/* What the source flow reports while it runs, for the progress line. */
struct mig_progress {
	const char	*phase;		/* "precopy", "suspending", ... */
	unsigned	 round;		/* live round, from 0 */
	uint64_t	 round_sent;	/* pages of this round sent */
	uint64_t	 round_total;	/* pages this round will send */
	uint64_t	 bytes_sent;	/* whole stream so far */
	uint64_t	 elapsed_ms;
	uint64_t	 bandwidth;	/* bytes/s, last round (average before) */
	uint64_t	 dirty_rate;	/* pages/s, last round; 0 unknown */
	uint64_t	 predicted_ms;	/* downtime if stopped now */
	unsigned	 throttle_pct;	/* auto-converge's, now; 0 none */
	uint64_t	 disk_sent;	/* disk bytes sent so far */
	uint64_t	 disk_total;	/* bytes of the disks copied, 0 none */
	unsigned	 disk_round;
	uint64_t	 disk_dirty_rate;	/* bytes/s */
};

struct mig_src_params {
	struct backend	*be;
	const char	*domain;	/* name or id */
	/* Migration: a connected socket (or TLS pump end); -1 for a save. */
	int		 fd;
	const char	*host;		/* destination, for messages/devices */
	unsigned	 port;
	int		 live;
	uint64_t	 max_downtime_ms;
	unsigned	 max_rounds;
	uint64_t	 max_time_ms;
	uint64_t	 bandwidth;	/* bytes/s cap, 0 none */
	/*
	 * Live migration: throttle a guest that dirties its memory faster
	 * than the link carries it (precopy.h, throttle.h), unless set.
	 */
	int		 no_auto_converge;
	unsigned	 suspend_timeout_s;
	unsigned	 reply_timeout_s;	/* longest wait for the peer */
	const char	*device_dir;	/* device migrate handlers */
	unsigned	 device_timeout_s;
	/*
	 * Disks (lib/vbdmig.h): copy those not on shared storage
	 * (--copy-storage); take every disk as shared (--shared-storage);
	 * path prefixes of shared storage (xmigd.conf), or NULL.  A
	 * domain with a disk neither copied nor shared is refused.
	 */
	int		 copy_storage;
	int		 shared_storage;
	const char	*shared_prefixes;
	volatile sig_atomic_t *cancel;
	void		(*progress)(const struct mig_progress *pr, void *arg);
	void		*arg;
	/*
	 * The framed stream, where the destination reads it: the codec to
	 * compress with (enum frame_codec, 0 none, or COMPRESS_AUTO: lz4,
	 * and zstd while it moves the stream faster) and whether zero runs
	 * are sent as markers (on unless no_zero_elision).  A save writes
	 * a zero page never written before as XALLOC unless
	 * no_zero_elision.
	 */
	int		 compress;
	int		 no_zero_elision;
	/*
	 * The codec was asked for (--compress).  Without it, a migration
	 * from the xen backend sends the plain stream, as before the
	 * framed one: on the emulated Xen host the framed stream lost a
	 * page once and failed a restore once, causes not found yet.
	 */
	int		 compress_asked;
};

/*
 * Migrate a running domain to the xmigd at the other end of p->fd.  Fills
 * *stats and, on failure, a reason for people in why.  Returns the
 * outcome; the guarantees per outcome are those of enum mig_result.
 */
enum mig_result mig_src_run(const struct mig_src_params *p,
	    struct mig_stats *stats, char *why, size_t whylen);

/*
 * Save a domain to "out_fd" (a file): suspend, write the whole stream,
 * then destroy the domain, or resume it with keep_running.  On failure
 * the domain is resumed and MIG_RESUMED (or MIG_FAILED when it was never
 * suspended) returned.  p->fd is ignored.
 */
enum mig_result mig_save_run(const struct mig_src_params *p, int out_fd,
	    int keep_running, struct mig_stats *stats, char *why,
	    size_t whylen);

/*
 * Restore a domain from "in_fd" (a file) under "name" (NULL: the name in
 * the file's config), unpaused unless "paused".  Sets *domid.  Returns 0
 * or a negative errno with a reason in why; on failure nothing is left.
 */
int	mig_restore_run(struct backend *be, int in_fd, const char *name,
	    int paused, uint32_t *domid, char *why, size_t whylen);

/*
 * Settle a domain a lost connection left "undefined" (suspended as
 * NAME--migratedaway after GO): ask the destination recorded when GO was
 * sent; if the domain runs there, destroy the source copy; if it does
 * not exist there, rename the source copy back and resume it.  "fd" is a
 * connection to that destination's xmigd made by the caller from the
 * record (mig_recover_record()).  The caller holds the domain's job
 * lock (mig_recover_lock()).  Returns the outcome: MIG_OK (the
 * destination copy runs), MIG_RESUMED (the source copy runs again), or
 * MIG_UNDEFINED when it still cannot be told.
 */
enum mig_result mig_recover_run(struct backend *be, const char *domain,
	    int fd, char *why, size_t whylen);

/*
 * Take the job lock of "domain" (its name or NAME--migratedaway) for a
 * settlement, so that two never rename and resume one domain at once.
 * MIG_OK with *lock held (joblock_release() it); MIG_FAILED when there is
 * no such domain; MIG_REFUSED when another job holds it (named in why).
 */
enum mig_result mig_recover_lock(struct backend *be, const char *domain,
	    struct joblock *lock, char *why, size_t whylen);

/*
 * Read the recovery record of "domain" (its name, or NAME--migratedaway):
 * the destination host and port.  Returns 0, -ENOENT when there is none.
 */
int	mig_recover_record(struct backend *be, const char *domain,
	    char *host, size_t hostlen, unsigned *port);

/* The directory for locks and recovery records of backend "be". */
const char *mig_state_dir(struct backend *be);

/*
 * Is domain "d" the subject of a running xmig job here (being saved or
 * migrated away, or being received)?  Returns 0 when free, -EBUSY with
 * the job's description in busy, or -errno.  Operations that would
 * change a domain call it first.
 */
int	mig_domain_busy(struct backend *be, const struct dom_info *d,
	    char *busy, size_t busylen);

/*
 * The GO record a receiving worker keeps in the state directory, as
 * STATE/incoming-KEY (KEY: the domain's uuid), from the moment GO
 * arrived until the domain runs under its own name: the domain is the
 * destination's to start.  "abandon" marks a copy that could not start
 * and must be destroyed, never started.
 */
struct mig_dst_record {
	char		name[DOMNAME_MAX];	/* its own name */
	char		incoming[DOMNAME_MAX + 16]; /* NAME--incoming */
	uint32_t	domid;
	int		abandon;
};

/*
 * Write (atomically: old or new, never a part), read, remove the GO
 * record "key".  Write returns 0 or a negative errno (logged); read
 * returns 0, -ENOENT when there is none, -EINVAL (logged) for a file
 * that is not one; remove ignores a missing record.
 */
int	mig_dst_record_write(struct backend *be, const char *key,
	    const struct mig_dst_record *r);
int	mig_dst_record_read(struct backend *be, const char *key,
	    struct mig_dst_record *r);
void	mig_dst_record_remove(struct backend *be, const char *key);

/*
 * Is a worker (or a finishing xmigd) acting on the incoming domain with
 * this uuid here, holding its receiving lock?  0 when free, -EBUSY with
 * the holder's description in busy, or -errno.
 */
int	mig_dst_busy(struct backend *be, const uint8_t uuid[16], char *busy,
	    size_t busylen);

/*
 * Finish the job of GO record "key" whose worker is gone: under the
 * domain's receiving lock (so never while a worker still acts on it),
 * start the copy the record names (unpause if paused, rename to its own
 * name) and remove the record.  A copy that is gone, stopped, marked
 * "abandon" or cannot be unpaused is destroyed instead.  Returns 1 when
 * the domain runs here (its name, the own one or, if the rename failed,
 * NAME--incoming, in "name"), 0 when it is not here (nothing to start:
 * the source may resume its copy), -ENOENT when there is no record,
 * -EBUSY while a worker holds the lock, or another negative errno when
 * the copy could be neither started nor destroyed (the record stays; the
 * source must stay suspended).
 */
int	mig_dst_finish(struct backend *be, const char *key, char *name,
	    size_t namelen);

/*
 * mig_dst_finish() every GO record in the state directory (xmigd at
 * start-up, before it answers any query).  Returns how many it found.
 */
int	mig_dst_finish_all(struct backend *be);

/*
 * Run the destination side to the end.  Returns 0 when the domain runs
 * here under its own name and REPORT was sent; a negative errno
 * otherwise, after destroying the incoming copy (before GO, or after GO
 * when it could not be unpaused) and telling the source FAILED where the
 * connection still works.  After GO a copy that could not be destroyed
 * keeps its GO record, marked "abandon", for xmigd.
 */
int	mig_dst_run(const struct mig_dst_params *p);

#endif /* XMIG_MIGRATE_H */
