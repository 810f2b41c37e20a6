/*
 * migrate_int.h - what the source-side flows (migrate_src.c, save.c)
 * share: the save callbacks' context and the steps around a backend save.
 * Internal to lib/.
 */
#ifndef XMIG_MIGRATE_INT_H
#define XMIG_MIGRATE_INT_H

#include <xenstore.h>

#include "backend.h"
#include "devmig.h"
#include "joblock.h"
#include "migrate.h"
#include "precopy.h"
#include "throttle.h"
#include "vbdmig.h"
#include "wirecodec.h"

/* The lock a receiving worker holds is the uuid with this suffix. */
#define MIG_LOCK_INCOMING	".incoming"

struct src_ctx {
	const struct mig_src_params *p;
	struct backend	*be;
	struct xs_handle *xs;
	struct dom_info	 dom;
	char		 name[DOMNAME_MAX];	/* as found, before renames */
	int		 renamed;	/* renamed NAME--migratedaway */
	struct devmig	 dm;
	struct joblock	 lock;
	struct precopy	 pc;
	struct throttle	 thr;		/* auto-converge's hold */
	struct mig_stats *stats;
	int		 fd;		/* where the stream goes */
	int		 netfd;		/* the connection, under a framed
					 * stream (fd is the encoder's) */
	struct wire_enc	*enc;		/* the framed stream's encoder */
	enum frame_codec codec;		/* its codec */
	enum frame_codec dense;		/* and the denser one, or none */
	uint64_t	 frame_base;	/* connection bytes before it */
	int		 suspended;	/* the guest is suspended */
	int		 migrating;	/* to a host: record at suspend */
	int		 recorded;	/* the recovery record exists */
	uint64_t	 start_ns;
	uint64_t	 stream_ns;	/* when the stream began */
	uint64_t	 suspend_ns;
	uint64_t	 base_bytes;	/* fd offset when the stream began */
	unsigned	 round;		/* from the progress callback */
	uint64_t	 round_sent;
	uint64_t	 pages_sent;	/* rounds finished */
	uint64_t	 last_progress_ns;
	struct emu_recs	 emu;		/* the device model's, if any */
	struct vbdmig	*vbd;		/* disks copied, or NULL */
	char		*why;
	size_t		 whylen;
};

/*
 * Look the domain up, refuse what cannot move (domain 0, not running),
 * take its job lock ("what" describes the job), open xenstore and find
 * its devices.  Returns 0 or a negative errno with why filled.
 */
int	src_prepare(struct src_ctx *c, const char *what);

/* Release what src_prepare() took. */
void	src_release(struct src_ctx *c);

/*
 * Write the whole stream to c->fd: prefix, the backend's libxc stream
 * with c's callbacks, suffix.  Returns 0 or a negative errno with why.
 * c->suspended says whether the guest was suspended on the way.
 */
int	src_write_stream(struct src_ctx *c, const char *config);

/*
 * Undo a suspend after a failure: resume the guest (after renaming it
 * back if it had been renamed away) and run the devices' recover action.
 * Returns 0 or a negative errno (logged: the guest stays suspended).
 */
int	src_resume(struct src_ctx *c);

/*
 * Device migrate steps 0 and 1, before the stream: 0, or the failure
 * said (src_fail) with *refused set for a refusal at step 0; a step 1
 * that failed has its devices recovered.
 */
int	src_device_steps(struct src_ctx *c, int *refused);

/* Record why (first reason sticks) and log it; returns rc. */
int	src_fail(struct src_ctx *c, int rc, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* Bytes written to fd since the stream began (file offset or TCP). */
uint64_t src_bytes(const struct src_ctx *c);

#endif /* XMIG_MIGRATE_INT_H */
