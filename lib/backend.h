/*
 * backend.h - the hypervisor as the toolstack sees it.
 *
 * Two implementations fill "struct backend_ops": "xen" (lib/xen/, on
 * libxenctrl, libxenguest, libxenstore) and "sim" (lib/sim/, the
 * simulated host).  The engine (lib/) reaches them only through this
 * header: the two ops tables below are the one link, and backend_open()
 * chooses between them.  Everything above this interface - reservations,
 * device steps, suspend over xenstore, the precopy policy, the stream
 * framing, the commit handshake - is one code path for both.
 *
 * Stream boundary: the caller writes and reads the xl header and the libxl
 * stream records; a backend's save writes, and its restore reads, exactly
 * the libxc stream carried after the LIBXC_CONTEXT record (image header to
 * libxc END), like xc_domain_save() and xc_domain_restore().
 *
 * Every op returns 0 (or a documented count) on success and a negative
 * errno on failure, after logging the reason once.  Domain ids are Xen's
 * (domain 0 is the privileged control domain).
 */
#ifndef XMIG_BACKEND_H
#define XMIG_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#define DOMNAME_MAX	64	/* Xen has no limit; xmig refuses longer */

enum dom_state {
	DOM_RUNNING = 0,	/* running or blocked: not paused, not dead */
	DOM_PAUSED,		/* paused by the toolstack */
	DOM_SHUTDOWN,		/* shut down; see shutdown_reason */
	DOM_DYING,		/* being destroyed */
};

/* Xen's SHUTDOWN_* codes (xen/sched.h), as the guest reports them. */
enum dom_shutdown {
	DOM_SHUTDOWN_POWEROFF = 0,
	DOM_SHUTDOWN_REBOOT = 1,
	DOM_SHUTDOWN_SUSPEND = 2,
	DOM_SHUTDOWN_CRASH = 3,
	DOM_SHUTDOWN_WATCHDOG = 4,
	DOM_SHUTDOWN_SOFT_RESET = 5,
};

enum dom_type {
	DOM_TYPE_PV = 0,
	DOM_TYPE_PVH,
	DOM_TYPE_HVM,
};

struct dom_info {
	uint32_t	domid;
	char		name[DOMNAME_MAX];
	uint8_t		uuid[16];
	enum dom_state	state;
	int		shutdown_reason;	/* valid in DOM_SHUTDOWN */
	enum dom_type	type;
	uint64_t	max_memkb;	/* maximum memory, KiB */
	uint64_t	cur_memkb;	/* memory now, KiB */
	unsigned	vcpus;
	/* Set by the sim backend: does the guest acknowledge suspend? */
	int		has_suspend_evtchn;
	/*
	 * An HVM guest without PV drivers (on Xen: its callback irq,
	 * HVM_PARAM_CALLBACK_IRQ, is not set): nobody in it reads xenstore's
	 * control/shutdown, so it is suspended by the hypervisor
	 * (backend_ops.suspend_hypercall).  0 for every other domain.
	 */
	int		no_pv_drivers;
};

/*
 * Statistics handed to the precopy policy after each round, as
 * libxenguest's struct precopy_stats: "iteration" counts rounds from 0,
 * "total_written" pages written so far, "dirty_count" pages dirtied during
 * the last round (-1 if unknown).
 */
struct precopy_stats {
	unsigned	iteration;
	uint64_t	total_written;
	int64_t		dirty_count;
};

/* Precopy policy answers, the values of libxenguest's XGS_POLICY_*. */
#define PRECOPY_ABORT		(-1)
#define PRECOPY_CONTINUE	0
#define PRECOPY_STOP_AND_COPY	1

/*
 * Callbacks of a save, shaped like libxenguest's struct save_callbacks.
 */
struct save_callbacks {
	/*
	 * Suspend the domain (the caller's xenstore suspend protocol).
	 * Returns 1 on success, 0 on failure: note the inverted sense,
	 * as in libxenguest.
	 */
	int	(*suspend)(void *data);
	/*
	 * Called before each round and before the final copy; returns a
	 * PRECOPY_* answer.  May be NULL: 5 rounds or under 50 dirty pages,
	 * libxenguest's default.
	 */
	int	(*precopy_policy)(struct precopy_stats stats, void *data);
	/*
	 * Called after the final copy, with the domain suspended: the
	 * caller writes what follows the libxc stream.  Returns 1 on
	 * success, 0 on failure.  May be NULL.
	 */
	int	(*postcopy)(void *data);
	/*
	 * Progress of the memory copy, for display: "sent" pages of this
	 * round so far out of "total".  May be NULL.  Called at most a few
	 * times a second.
	 */
	void	(*progress)(unsigned iteration, uint64_t sent, uint64_t total,
		    void *data);
	void	*data;
};

/*
 * The device model's part of a save: the libxl records an HVM domain's
 * stream carries after the libxc stream, as libxl_stream_write.c writes
 * them (EMULATOR_XENSTORE_DATA if there are keys, then EMULATOR_CONTEXT
 * with the device-state file), each with libxl's emulator id and index.
 * PV and PVH domains, which have no device model, have none.
 */
#define EMU_RECS_MAX	4

struct emu_rec {
	uint32_t	type;		/* LIBXL_REC_EMULATOR_* (2 or 3) */
	uint32_t	emulator;	/* libxl's id: 2 = qemu-upstream */
	uint32_t	index;
	uint8_t		*data;		/* malloc()ed, len bytes */
	size_t		len;
};

struct emu_recs {
	struct emu_rec	rec[EMU_RECS_MAX];
	unsigned	n;
};

/* Append a copy of data; -ENOSPC when full, -ENOMEM. */
int	emu_recs_add(struct emu_recs *r, uint32_t type, uint32_t emulator,
	    uint32_t index, const void *data, size_t len);
/* The first record of "type", or NULL. */
const struct emu_rec *emu_recs_find(const struct emu_recs *r,
	    uint32_t type);
/* Free the records' data; *r is empty after. */
void	emu_recs_clear(struct emu_recs *r);

struct save_params {
	int		live;		/* precopy rounds while running */
	uint64_t	bandwidth;	/* bytes/s cap, 0 = none */
	/*
	 * Out, never NULL: a backend that saves a device model fills it
	 * with the domain suspended, after the libxc stream and before
	 * callbacks->postcopy (which writes these records, then END).
	 * The caller clears it.
	 */
	struct emu_recs	*emu;
	/*
	 * A page all zero that this stream has not sent with data before
	 * may go as a PAGE_DATA entry of type XALLOC (no data: Xen
	 * populates it zeroed); one sent with data before always goes
	 * with data (the restore keeps a populated page's bytes).  A
	 * backend that cannot tell may ignore it.  xalloc_pages (NULL
	 * allowed) counts the pages so sent.
	 */
	int		xalloc;
	uint64_t	*xalloc_pages;
	/*
	 * The stream goes through the framed stream's encoder, which sends
	 * zero runs as markers itself (lib/wirecodec.h), though the
	 * destination writes them out again.  A backend whose own check
	 * for zero pages costs more than the encoder's may then leave
	 * xalloc to it.
	 */
	int		framed;
};

struct restore_params {
	const char	*name;		/* name to create the domain under */
	const uint8_t	*uuid;		/* 16 bytes, or NULL for a new one */
	enum dom_type	type;
	uint64_t	max_memkb;
	unsigned	vcpus;
	const char	*config_json;	/* libxl domain config, or NULL */
	/*
	 * Read the libxl records between the libxc END and the libxl END
	 * into *emu (owned by the caller, who clears it): they are checked
	 * (an EMULATOR_CONTEXT of qemu-upstream must hold a QEMU
	 * device-state file).  A backend that restores a device model
	 * calls it once, right after the libxc stream; if it did not,
	 * the caller reads them after the restore op returns.  Returns 0 or
	 * a negative errno (the defect logged).
	 */
	int		(*read_tail)(void *data, struct emu_recs *emu);
	void		*tail_data;
};

/*
 * A disk of a domain, as the vbd device handler (lib/vbdmig.h) sees it:
 * what serves it, and whether its writes can be tracked while the guest
 * runs (a disk QEMU serves on Xen; every sim disk).
 */
#define BE_DISK_MAX	8	/* disks per domain xmig moves */

struct be_disk {
	char		vdev[16];	/* the guest's name: xvda, hda */
	char		path[1024];	/* image file or device */
	char		format[8];	/* raw, qcow2 */
	char		kind[8];	/* qdisk, phy, sim */
	uint64_t	size;		/* bytes */
	int		trackable;	/* writes tracked while it runs */
};

/* A disk being copied: the backend's own state. */
struct disk_track;

struct backend;

struct backend_ops {
	const char	*name;
	/*
	 * Open the backend; "sim_dir" is the simulated host's directory
	 * (ignored by xen).  On failure the backend is left closed.
	 */
	int	(*open)(struct backend *be, const char *sim_dir);
	void	(*close)(struct backend *be);

	/*
	 * All domains: *out is a malloc()ed array of *n entries the caller
	 * frees.  Domain 0 is included on Xen.
	 */
	int	(*list)(struct backend *be, struct dom_info **out, size_t *n);
	/* One domain by id; -ESRCH if there is none. */
	int	(*info)(struct backend *be, uint32_t domid,
		    struct dom_info *out);

	int	(*pause)(struct backend *be, uint32_t domid);
	int	(*unpause)(struct backend *be, uint32_t domid);
	/* Destroy a domain and free its memory; its xenstore is removed. */
	int	(*destroy)(struct backend *be, uint32_t domid);
	/* Rename (xenstore /local/domain/N/name and the toolstack's view). */
	int	(*rename)(struct backend *be, uint32_t domid,
		    const char *name);
	/*
	 * Resume a domain that shut down for suspend, cooperatively (the
	 * guest sees its suspend cancelled), and unpause it.
	 */
	int	(*resume)(struct backend *be, uint32_t domid);

	/*
	 * Write the libxc stream of "domid" to "fd".  Live rounds as
	 * params->live says, callbacks as above.  Leaves the domain
	 * suspended on success; on failure the domain is as the last
	 * callback left it (the caller resumes it).
	 */
	int	(*save)(struct backend *be, uint32_t domid, int fd,
		    const struct save_params *params,
		    struct save_callbacks *cb);
	/*
	 * Create a paused domain per "params" and fill it from the libxc
	 * stream on "fd"; *domid is set as soon as the domain exists so a
	 * failing caller can destroy it.  On failure the backend destroys
	 * what it created.
	 */
	int	(*restore)(struct backend *be, int fd,
		    const struct restore_params *params, uint32_t *domid);

	/* Memory the host can still give to new domains, in bytes. */
	int	(*free_memory)(struct backend *be, uint64_t *bytes);
	/*
	 * The libxl domain configuration of "domid" as JSON (malloc()ed,
	 * caller frees), as xl writes it in a save file's header.
	 */
	int	(*config_json)(struct backend *be, uint32_t domid,
		    char **json);
	/*
	 * The xenstore daemon's unix socket path for this host, or NULL
	 * for the system default.  The xenstore helpers open it through
	 * libxenstore.
	 */
	const char *(*xenstore_path)(struct backend *be);
	/*
	 * A directory for xmig's own state on this host: job locks and
	 * recovery records.  May be NULL: /var/lib/xmig is used.
	 */
	const char *(*state_dir)(struct backend *be);
	/*
	 * Can "domid" be saved with live rounds here (its memory tracked
	 * with log-dirty)?  0, or -EOPNOTSUPP after logging why and what
	 * to do instead.  Asked before anything changes.  May be NULL:
	 * always.
	 */
	int	(*can_live)(struct backend *be, uint32_t domid);
	/*
	 * Suspend a guest without PV drivers (dom_info.no_pv_drivers) the
	 * way Xen's toolstack does: the hypervisor shuts it down for
	 * suspend (SCHEDOP_remote_shutdown, SHUTDOWN_suspend) without
	 * asking it.  Returns 0 once requested (the caller waits for the
	 * shutdown on @releaseDomain) or a negative errno.  May be NULL:
	 * such guests cannot be suspended here.
	 */
	int	(*suspend_hypercall)(struct backend *be, uint32_t domid);
	/*
	 * Auto-converge.  throttle_get reads the domain's own limit, to
	 * be given back later to throttle_set: xen the credit2 cap (percent
	 * of one physical CPU, 0 for none), sim the guest's throttle.
	 * throttle_set with pct 1-99 takes pct percent of the CPU time the
	 * domain would have under "orig" away from it (xen: a credit2 cap;
	 * sim: the guest writes pages pct percent slower); with pct 0 it
	 * sets "orig" back.  Both may be NULL: no throttle here.
	 * -EOPNOTSUPP where the host cannot (xen: not credit2).
	 */
	int	(*throttle_get)(struct backend *be, uint32_t domid,
		    uint32_t *orig);
	int	(*throttle_set)(struct backend *be, uint32_t domid,
		    unsigned pct, uint32_t orig);

	/*
	 * The disks of "domid": at most "max" into out, their number in
	 * *n.  May be NULL: domains have no disks here.
	 */
	int	(*disk_list)(struct backend *be, uint32_t domid,
		    struct be_disk *out, size_t max, size_t *n);
	/*
	 * Start tracking the writes to disk "idx" (of disk_list) of
	 * "domid" in blocks of "block" bytes, and open it for reading.
	 * Every block counts as written until the first
	 * disk_track_dirty().  *t is freed by disk_track_stop().  May be
	 * NULL when no disk is trackable.
	 */
	int	(*disk_track_start)(struct backend *be, uint32_t domid,
		    unsigned idx, const struct be_disk *d, uint32_t block,
		    struct disk_track **t);
	/*
	 * Set in "bits" (one per block, nblocks of them) the blocks written
	 * since the last call and forget them: a block written while it is
	 * read is reported again next time.  0 or a negative errno.
	 */
	int	(*disk_track_dirty)(struct backend *be, struct disk_track *t,
		    uint64_t *bits, uint64_t nblocks);
	/* Read len bytes at off (within the disk).  0 or -errno. */
	int	(*disk_track_read)(struct backend *be, struct disk_track *t,
		    uint64_t off, void *buf, size_t len);
	/* Stop tracking and free t (NULL allowed). */
	void	(*disk_track_stop)(struct backend *be, struct disk_track *t);
	/*
	 * Take back what a tracking of domid's disks by an xmig that died
	 * left behind (xen: xmig's dirty bitmaps, exports and NBD server
	 * in the domain's QEMU), each logged; for "xmig recover", when no
	 * migration of the domain runs.  0 or a negative errno.  May be
	 * NULL: nothing outlives the process that tracked.
	 */
	int	(*disk_track_sweep)(struct backend *be, uint32_t domid);
};

struct backend {
	const struct backend_ops *ops;
	void		*priv;		/* the implementation's state */
};

/*
 * The backends' ops tables, defined in lib/sim/be_sim.c and (in a build
 * with Xen's libraries, XMIG_HAVE_XEN_BACKEND) lib/xen/be_xen.c.
 */
extern const struct backend_ops sim_backend_ops;
extern const struct backend_ops xen_backend_ops;

/*
 * Open the backend "name" ("xen", "sim" or "auto": xen on a Xen dom0,
 * sim elsewhere) into *be.  Returns 0, -ENOENT for an unknown name,
 * -ENOTSUP for xen in a build without it, or the open op's error.
 */
int	backend_open(struct backend *be, const char *name, const char *sim_dir);

/* Close a backend opened by backend_open(); NULL ops allowed. */
void	backend_close(struct backend *be);

/*
 * Find a domain by name, or by id when "what" is all digits.  Returns 0,
 * -ESRCH if none (not logged: the caller may expect none), -EEXIST if
 * several share the name (logged).
 */
int	backend_lookup(struct backend *be, const char *what,
	    struct dom_info *out);

/* Names for messages and JSON. */
const char *dom_state_name(const struct dom_info *d);
const char *dom_type_name(enum dom_type t);

#endif /* XMIG_BACKEND_H */
