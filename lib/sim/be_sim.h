/*
 * be_sim.h - lib/sim/, the simulated Xen host and its "sim" backend: the
 * host of simhost.h (a state directory: domain records, memory
 * reservations), memory files with a dirty log (simmem.h), guest
 * processes that dirty pages and prove their memory intact (simguest.h),
 * a xenstore server speaking the real wire protocol on a unix socket
 * (simxs.h, simxs_server.h), and the libxc stream of a simulated save and
 * restore (be_sim_stream.h).  backend_open("sim") selects it through
 * sim_backend_ops (declared in lib/backend.h).
 *
 * What the folder offers the rest of xmig is this header and, for the
 * simulated host's own console ("xmig sim": create, the guest process,
 * the xenstore server), simhost.h, simguest.h and simxs_server.h; the
 * other headers are private to the folder.  Its files use the engine's
 * headers (lib/) and protocol/, never lib/xen/ (tests/layering.sh).
 *
 * Beyond "struct backend_ops" it offers the building blocks of the
 * simulated save and restore (the libxc stream writer and reader map a
 * domain's memory with be_sim_map() and drive the dirty log with the
 * simmem_*() calls on the mapping):
 *   save:    be_sim_map(), simmem_logdirty_enable(), rounds of
 *            simmem_dirty_clean() + page copies from simmem_page(),
 *            the suspend callback, a last clean and copy.
 *   restore: be_sim_params_from_restore(), be_sim_create_paused(),
 *            be_sim_map(), pages written with memcpy() to simmem_page();
 *            the first unpause starts the guest process, which finds its
 *            whole state in the restored memory and carries on.
 *
 * An HVM domain has a device model process beside its guest (simdm.h):
 * started with the domain, killed with it; a save stops it and carries
 * its state (be_sim_dm.h), a restore starts a new one from that state.
 *
 * Domain state: "running" while the guest process lives; "paused" once
 * the guest has acknowledged a pause between two page writes; a guest
 * process that died without shutting down makes its domain
 * shutdown(crash) (noticed and recorded by list and info).
 */
#ifndef XMIG_BE_SIM_H
#define XMIG_BE_SIM_H

#include <stdint.h>

#include "backend.h"

struct simhost;
struct simmem;

/* What a new simulated domain is made of. */
struct be_sim_params {
	const char	*name;
	const uint8_t	*uuid;		/* 16 bytes, or NULL for a new one */
	uint64_t	 memory;	/* bytes, a multiple of 4096 */
	unsigned	 vcpus;		/* 0 means 1 */
	uint64_t	 dirty_rate;	/* bytes/s the guest writes */
	uint64_t	 working_set;	/* bytes; 0 = all memory */
	int		 ignore_suspend; /* guest never acks a suspend */
	enum dom_type	 type;		/* DOM_TYPE_*: set it (0 is PV) */
	/* HVM: the guest reads no xenstore, suspended by hypercall */
	int		 no_pv_drivers;
	/*
	 * Disks ("xmig sim create --disk"): ndisks new images of these
	 * sizes (multiples of 64 KiB), written at disk_rate bytes/s.  A
	 * restore has none here: its disks are those of config_json.
	 */
	unsigned	 ndisks;
	uint64_t	 disk_size[4];
	uint64_t	 disk_rate;
	const char	*config_json;	/* a restore's domain config */
};

/*
 * Open the sim backend on directory "dir" (NULL: $XMIG_SIM_DIR, else the
 * default), creating the host with "memory" bytes if it is new (0:
 * $XMIG_SIM_MEMORY, else 8 GiB).  The ops' open does the same with 0.
 * Returns 0 or a negative errno; on failure be is left closed.
 */
int	be_sim_open(struct backend *be, const char *dir, uint64_t memory);

/* The host under an open sim backend (owned by the backend). */
struct simhost *be_sim_host(struct backend *be);

/*
 * Create and start a domain ("xmig sim create"): make sure the xenstore
 * server runs, add the domain, lay its memory out as a fresh guest
 * (every page at generation 0), write its xenstore entries and
 * introduce it, start its device model (HVM) and its guest process.
 * *domid is set.  On failure nothing is left behind.
 */
int	be_sim_create(struct backend *be, const struct be_sim_params *p,
	    uint32_t *domid);

/*
 * Create a paused domain to restore into: its memory may be a destroyed
 * domain's (SIMHOST_ADD_REUSE: the caller writes or zeroes every page
 * before the first unpause), record paused with no guest process yet, xenstore entries written and the domain
 * introduced.  The first unpause (or resume) starts its guest process.
 * *domid is set.  On failure nothing is left behind.
 */
int	be_sim_create_paused(struct backend *be, const struct be_sim_params *p,
	    uint32_t *domid);

/*
 * Fill *p from a backend restore request: name, uuid, memory and vcpus
 * from "rp", the workload from the "xmig_sim" object of rp->config_json
 * (as be_sim's config_json writes it; absent: an idle guest).  p->name
 * and p->uuid point into rp.  Returns 0 or -EINVAL (malformed JSON,
 * out-of-range values; logged).
 */
int	be_sim_params_from_restore(const struct restore_params *rp,
	    struct be_sim_params *p);

/*
 * Map domain "domid"'s memory and dirty log for reading and writing
 * pages (as xenforeignmemory would).  *m is released with
 * simmem_close().  -ESRCH for an unknown domain, -EPERM for domain 0.
 */
int	be_sim_map(struct backend *be, uint32_t domid, struct simmem **m);

/*
 * The program the backend runs a domain's processes with ("xmig"), or
 * NULL: they are forked children of this process.
 */
const char *be_sim_exe(struct backend *be);

/* Kill domain "domid"'s device model, if any ("xmig sim stop"). */
int	be_sim_dm_kill(struct simhost *h, uint32_t domid);

/*
 * The device model process's main ("xmig sim dm"): serve domain
 * "domid" of host "dir" (see simdm.h), loading "incoming" (or NULL).
 * Returns an exit status.
 */
int	simdm_main(const char *dir, uint32_t domid, const char *incoming,
	    int ready_fd);

#endif /* XMIG_BE_SIM_H */
