/*
 * simhost.h - the simulated Xen host: a state directory SIMDIR.
 *
 *   SIMDIR/host              "memory=BYTES" and "next_domid=N" lines
 *   SIMDIR/lock              flock()ed around every change of the table
 *   SIMDIR/domains/N/info    the domain's record (key=value lines)
 *   SIMDIR/domains/N/mem     its memory (see simmem.h)
 *   SIMDIR/domains/N/shared  its control area and dirty bitmap
 *   SIMDIR/reservations/ID   memory held for an incoming domain
 *
 * Domain ids are allocated from 1 upward and never reused while the host
 * directory lives.  Domain 0 is the simulated control domain: it is
 * listed as "Domain-0" but has no directory and cannot be changed.
 * Free memory is the host total minus every domain's memory minus every
 * unexpired reservation; a domain or reservation that does not fit is
 * refused with -ENOMEM.
 *
 * Records are written whole to a temporary file and renamed, so readers
 * need no lock; writers take the host lock.  The lock is never held while
 * waiting for a guest process (the guest takes it too).
 */
#ifndef XMIG_SIMHOST_H
#define XMIG_SIMHOST_H

#include <stddef.h>
#include <stdint.h>

#include "backend.h"

struct simmem;

#define SIMHOST_DEFAULT_MEMORY	(UINT64_C(8) << 30)
#define SIMHOST_MAX_DOMID	0x7fefu	/* below Xen's reserved ids */
#define SIMHOST_INFO_MAX	4096	/* bytes of an info file */
#define SIMHOST_RESID_MAX	64

/* A domain's record, as kept in its "info" file. */
struct simdom {
	uint32_t	domid;
	char		name[DOMNAME_MAX];
	uint8_t		uuid[16];
	enum dom_state	state;		/* RUNNING, SHUTDOWN or DYING */
	int		paused;		/* paused by the toolstack */
	int		shutdown_reason; /* DOM_SHUTDOWN_*, in SHUTDOWN */
	enum dom_type	type;
	uint64_t	memory;		/* bytes, a multiple of the page */
	unsigned	vcpus;
	uint64_t	dirty_rate;	/* guest workload, bytes/s */
	uint64_t	working_set;	/* bytes; 0 = all memory */
	int		ignore_suspend;	/* guest never acks a suspend */
	int		guest_started;	/* a guest process was started */
	/* HVM only: the guest ignores xenstore, suspended by hypercall */
	int		no_pv_drivers;
};

struct simhost;

/*
 * Open (creating it, mode 0700, on first use) the host directory "dir"
 * with "total" bytes of memory if it is new (an existing host keeps its
 * size).  *out is allocated; free with simhost_close().  Returns 0 or a
 * negative errno (logged).
 */
int	simhost_open(const char *dir, uint64_t total, struct simhost **out);
void	simhost_close(struct simhost *h);

/* The directory (owned by h). */
const char *simhost_dir(const struct simhost *h);

/*
 * Build "SIMDIR/domains/N/leaf" (leaf NULL: the directory) into buf.
 * Returns 0 or -ENAMETOOLONG.
 */
int	simhost_dom_path(const struct simhost *h, uint32_t domid,
	    const char *leaf, char *buf, size_t len);

/* Host total and free memory, in bytes.  Expired reservations go. */
int	simhost_memory(struct simhost *h, uint64_t *total, uint64_t *free);

/*
 * Add a domain: "d" gives name, uuid, type, memory, vcpus and the
 * workload; its domid is allocated and set.  Creates the directory with
 * info, mem (zeros) and shared files.  -EEXIST if the name or uuid is
 * taken, -ENOMEM if the memory does not fit (logged with both figures),
 * -EINVAL for a bad record, -ENOSPC when ids ran out.  On failure
 * nothing is left behind.
 *
 * With SIMHOST_ADD_REUSE in flags the memory may be a destroyed domain's,
 * kept by the host (up to SIMHOST_POOL_MAX files, in "free/"), with its
 * old contents: for a restore, which writes or zeroes every page before
 * the guest runs.  Memory the host has already touched costs nothing to
 * hand out again, as on a Xen host; fresh memory is allocated page by
 * page when first written.
 */
#define SIMHOST_ADD_REUSE	0x1
#define SIMHOST_POOL_MAX	4
int	simhost_dom_add(struct simhost *h, struct simdom *d, unsigned flags);

/* Give the host's free memory (kept memory files) back to the system. */
void	simhost_pool_drop(struct simhost *h);

/*
 * Remove domain "domid"'s directory and record, releasing its memory
 * (to the host's free memory when there is room and nobody maps it).
 * The caller has stopped its guest.  -ESRCH if absent, -EPERM for 0.
 */
int	simhost_dom_remove(struct simhost *h, uint32_t domid);

/* Read one record (domain 0 is synthesised).  -ESRCH if absent. */
int	simhost_dom_get(struct simhost *h, uint32_t domid, struct simdom *d);

/*
 * Read-modify-write a record under the host lock: "fn" edits the copy
 * and returns 0 to write it back or a negative errno to abort (which
 * simhost_dom_update returns).  A renamed domain is checked for a unique
 * name.  -EPERM for domain 0.
 */
int	simhost_dom_update(struct simhost *h, uint32_t domid,
	    int (*fn)(struct simdom *d, void *arg), void *arg);

/*
 * Every domain, domain 0 first then by id: *out is malloc()ed (*n
 * entries), the caller frees it.
 */
int	simhost_dom_list(struct simhost *h, struct simdom **out, size_t *n);

/*
 * Hold "bytes" of memory for "ttl" seconds (an incoming domain not yet
 * created).  The reservation's id is written to "id" (len at least
 * SIMHOST_RESID_MAX).  -ENOMEM if it does not fit.
 */
int	simhost_reserve(struct simhost *h, uint64_t bytes, unsigned ttl,
	    char *id, size_t len);
/* Release a reservation; -ENOENT if unknown or expired. */
int	simhost_unreserve(struct simhost *h, const char *id);

/*
 * Map domain "domid"'s memory and control area (see simmem.h): *out is
 * released with simmem_close().  -ESRCH if the domain has no memory.
 */
int	simhost_dom_map(struct simhost *h, uint32_t domid, struct simmem **out);

/*
 * Write or read a small file "leaf" in a domain's directory (written
 * whole then renamed; read NUL-terminated into buf, -EFBIG if it does
 * not fit, -ENOENT if absent, that one not logged).
 */
int	simhost_dom_write_file(struct simhost *h, uint32_t domid,
	    const char *leaf, const char *text);
int	simhost_dom_read_file(struct simhost *h, uint32_t domid,
	    const char *leaf, char *buf, size_t len);

/*
 * Raise the virtual IRQ VIRQ_DOM_EXC: SIGUSR1 to the pid in
 * SIMDIR/xenstored.pid, which then fires @releaseDomain.  Returns 0, or
 * -ESRCH when no xenstore server runs (logged at debug level only).
 */
int	simhost_raise_virq(struct simhost *h);

/* Fill the dom_info view of a record (paused/shutdown folded). */
void	simhost_dom_to_info(const struct simdom *d, struct dom_info *out);

/* A random (version 4) uuid.  0 or a negative errno. */
int	simhost_uuid_generate(uint8_t uuid[16]);

#endif /* XMIG_SIMHOST_H */
