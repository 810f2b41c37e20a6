/*
 * vbdmig.h - the built-in vbd device handler: a domain's disks move with
 * it (xmig migrate --copy-storage), at the device migrate steps.
 *
 *   step 0  (before the reservation) every disk is checked: shared
 *           (--shared-storage, or under a shared-storage prefix of
 *           xmigd.conf: nothing to copy), or copied: then its writes
 *           must be trackable for a live move (a disk QEMU serves on
 *           Xen; every sim disk).  The disk list (device, size, image
 *           file name) goes in RESERVE, so that the destination checks
 *           its storage directories and their room before anything
 *           moves, and refuses early.
 *   step 1  the bulk copy on the migration's own connection, before
 *           the memory stream: a DISKS frame, then rounds of the blocks
 *           written meanwhile until they are few, then END.  Tracking
 *           goes on.
 *   step 2  after the suspend and the memory stream: a DISKS frame and
 *           the blocks still dirty, then END.
 *   step 3  the destination flushes the images before it says RECEIVED,
 *           so RECEIVED means every block is on its disk.
 * One connection: the destination worker already owns it, a second one
 * would need pairing in xmigd and a second pass through hosts-allow and
 * TLS; the disk rounds run before the memory rounds instead of beside
 * them, which costs no bandwidth (both share the cap) and keeps the
 * memory stream a plain libxl stream.  The price: what the guest writes
 * to its disks during the memory rounds is sent after the suspend.
 *
 * Destination: images are created only in the storage-dir directories
 * of xmigd.conf, under the name the source gives (a plain file name),
 * never over a file that is not empty; a record STATE/vbd-KEY lists them
 * before the first is created, so that whoever finds it with no worker
 * (xmigd when the worker died, xmigd at start-up) removes them.  The
 * record goes once GO is recorded: from then on the images are the
 * domain's.
 */
#ifndef XMIG_VBDMIG_H
#define XMIG_VBDMIG_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "pace.h"
#include "vbdstream.h"

#define VBD_BLOCK		65536u
#define VBD_ROUNDS_MAX		10	/* bulk rounds at most */
#define VBD_SMALL_BYTES		(UINT64_C(4) << 20)	/* left for step 2 */
#define VBD_STORAGE_DIRS_MAX	8

struct vbdmig_disk {
	struct be_disk	   be;
	unsigned	   idx;		/* in the backend's list */
	struct disk_track *t;
	uint64_t	   nblocks;
	uint64_t	  *pending;	/* blocks to send, one bit each */
};

/* What the source shows of the copy. */
struct vbdmig_figures {
	uint64_t	total;		/* bytes of every disk copied */
	uint64_t	sent;		/* disk bytes on the wire so far */
	unsigned	rounds;		/* bulk rounds done */
	uint64_t	dirty_rate;	/* bytes/s written, last round */
	uint64_t	final_bytes;	/* sent after the suspend */
	uint64_t	final_ms;	/* their time, the guest stopped */
	uint64_t	bulk_ms;
};

struct vbdmig {
	struct backend	*be;
	uint32_t	 domid;
	unsigned	 n;		/* disks to copy */
	struct vbdmig_disk d[BE_DISK_MAX];
	struct vbd_spec	 spec;
	struct pace	 pace;
	uint8_t		*buf;
	struct vbdmig_figures fig;
	volatile sig_atomic_t *cancel;
	void		(*progress)(void *arg);	/* now and then */
	void		*arg;
};

/* How the source treats disks. */
struct vbdmig_opts {
	int		 copy;		/* --copy-storage */
	int		 shared;	/* --shared-storage: every disk */
	const char	*shared_prefixes;	/* xmigd.conf, or NULL */
	int		 live;
};

/*
 * Step 0 at the source: list the disks of "domid", decide which are
 * copied, and refuse what cannot be.  0 (v->n may be 0: nothing to
 * copy), -EPERM with the reason for people in why (a refusal: nothing
 * changed), or another negative errno.  vbdmig_src_free() in any case.
 */
int	vbdmig_src_prepare(struct vbdmig *v, struct backend *be,
	    uint32_t domid, const struct vbdmig_opts *o, char *why,
	    size_t whylen);

/* The disk list for RESERVE (malloc()ed), or NULL when none/no memory. */
char	*vbdmig_src_spec(const struct vbdmig *v);

/*
 * Step 1: start tracking and send the bulk section on fd (a DISKS frame,
 * records, END), at most "bandwidth" bytes/s (0 none).  With live 0
 * nothing is sent but END: the guest is stopped first and everything
 * goes in step 2.  0 or a negative errno with why; failed or cancelled,
 * the tracking is stopped before it returns (a Xen guest's QEMU keeps
 * none of xmig's bitmaps and exports).
 */
int	vbdmig_src_bulk(struct vbdmig *v, int fd, int live, uint64_t bandwidth,
	    int timeout_ms, char *why, size_t whylen);

/*
 * Step 2, the guest suspended: send every block written since (a DISKS
 * frame, records, END), then stop tracking (before the commit destroys
 * what tracks a Xen guest's writes, its QEMU).  0 or a negative errno
 * with why, the tracking stopped either way.
 */
int	vbdmig_src_final(struct vbdmig *v, int fd, int timeout_ms, char *why,
	    size_t whylen);

/*
 * After a move that succeeded (the source copy destroyed): remove the
 * source's images of the copied disks (regular files only).
 */
void	vbdmig_src_remove(struct vbdmig *v);

/* Stop tracking and free; the struct may be reused. */
void	vbdmig_src_free(struct vbdmig *v);

/* ------------------------------------------------------ destination */

struct vbdmig_dst {
	struct backend	*be;
	char		 key[64];	/* the record's: the domain's uuid */
	struct vbd_spec	 spec;
	char		 path[VBD_DISKS_MAX][4200];
	int		 fd[VBD_DISKS_MAX];
	int		 created[VBD_DISKS_MAX];	/* else: was empty */
	int		 own[VBD_DISKS_MAX];	/* opened by us: undo it */
	int		 recorded;
	/*
	 * Every image is new and reads as zeros: in the first round of the
	 * bulk section, where each block comes at most once, a ZERO record
	 * needs no write.
	 */
	int		 fresh;
	uint8_t		*buf;
	int		 pipe[2];	/* splice: socket to image */
};

/*
 * Where the disks of "spec" would go: for each, the first storage
 * directory with room for it (statvfs, counting the disks placed before
 * it), its image name not taken by a non-empty file.  Fills paths.  0;
 * -EPERM (no storage-dir), -ENOSPC, -EEXIST, -EINVAL, with why.  Used by
 * xmigd at the reservation and by the worker.
 */
int	vbdmig_dst_place(const char *const *dirs, unsigned ndirs,
	    const struct vbd_spec *spec, char paths[][4200], char *why,
	    size_t whylen);

/*
 * The reservation's check of RESERVE's "disks" text: parse and place.
 * Same returns as vbdmig_dst_place(), -EINVAL for a bad list.
 */
int	vbdmig_dst_check(const char *const *dirs, unsigned ndirs,
	    const char *disks, char *why, size_t whylen);

/*
 * Create the images (recorded first, see above), each allocated to its
 * full size, so that a full disk fails here and not halfway.  0 or a
 * negative errno with why; on failure nothing is left.
 */
int	vbdmig_dst_open(struct vbdmig_dst *d, struct backend *be,
	    const char *const *dirs, unsigned ndirs, const char *disks,
	    const char *key, char *why, size_t whylen);

/*
 * Read one section from fd: its DISKS frame, the records, END; write
 * them to the images.  With "flush", fsync the images after.  0 or a
 * negative errno with why.
 */
int	vbdmig_dst_recv(struct vbdmig_dst *d, int fd, int flush,
	    int timeout_ms, char *why, size_t whylen);

/*
 * The domain config for the restore: "config" (libxl JSON) with each
 * disk's pdev_path the new image (a file, so served by qdisk: backend
 * "qdisk"; its format as it was).  malloc()ed, or NULL
 * (logged) when it cannot be rewritten.
 */
char	*vbdmig_dst_config(const struct vbdmig_dst *d, const char *config);

/* Failure before GO: remove every image written and the record. */
void	vbdmig_dst_abort(struct vbdmig_dst *d);

/* GO recorded: the images are the domain's; forget the record. */
void	vbdmig_dst_commit(struct vbdmig_dst *d);

/*
 * Remove the images of the record "key" whose worker is gone (and the
 * record), unless a GO record for key exists (then only the record
 * goes).  0, -ENOENT when there is no record.
 */
int	vbdmig_dst_sweep(struct backend *be, const char *key);

/* vbdmig_dst_sweep() every record (xmigd at start-up).  Count. */
int	vbdmig_dst_sweep_all(struct backend *be);

#endif /* XMIG_VBDMIG_H */
