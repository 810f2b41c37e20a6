/*
 * xen_int.h - what the files of the xen backend share (private to
 * lib/xen/; the backend's offer to the rest of xmig is be_xen.h):
 *   be_xen.c       open and close, libxc's logger, domains (list, info,
 *                  pause, unpause, destroy, rename, resume), the host's
 *                  free memory, the domain configuration, the ops table;
 *   xen_save.c     save: xc_domain_save() with our callbacks, paced to
 *                  the --bandwidth cap, and an HVM guest's device model
 *                  suspended and its state collected;
 *   xen_hvm.c      HVM on the Xen side: which device model, PV drivers
 *                  or not, suspend by hypercall, QEMU's xenstore keys;
 *   xen_sched.c    auto-converge: the domain's credit2 cap;
 *   xen_dm.c       the device model over QMP (xen_dm.h: no Xen library
 *                  there, so its tests run without Xen);
 *   xen_restore.c  restore: the relay that frames the caller's libxc
 *                  stream as a libxl stream for
 *                  libxl_domain_create_restore(), and memory claims;
 *   xen_vbd.c      the domain's disks for the vbd device handler;
 *   xen_qdisk.c    a qdisk disk tracked and read through its QEMU
 *                  (xen_qdisk.h: dirty bitmaps over QMP, the NBD export
 *                  read with libnbd; no Xen library, tested against a
 *                  real QEMU without Xen).
 */
#ifndef XMIG_XEN_INT_H
#define XMIG_XEN_INT_H

#include <stdint.h>

/*
 * xenguest.h and backend.h both define "struct save_callbacks" and
 * "struct precopy_stats" (ours mirror libxenguest's).  Struct tags have no
 * linkage, so Xen's are renamed in the xen backend only.
 */
#define save_callbacks	xg_save_callbacks
#define precopy_stats	xg_precopy_stats
#include <xenctrl.h>
#include <xenguest.h>
#undef save_callbacks
#undef precopy_stats
#include <xenstore.h>
#include <xentoollog.h>
#include <libxl.h>
#include <libxl_utils.h>

#include "backend.h"

#define XEN_LIST_BATCH		256	/* xc_domain_getinfolist() entries */

/*
 * libxl stream values the backend writes itself (protocol/libxl_stream.h
 * has them too, but its LIBXL_VERSION clashes with libxl.h's).
 */
#define XEN_REC_EMULATOR_XENSTORE_DATA	2
#define XEN_REC_EMULATOR_CONTEXT	3
#define XEN_REC_MAX			(128U << 20)
#define XEN_RHDR_SIZE			8	/* type, length */
#define XEN_EMU_HDR_SIZE		8	/* emulator id, index */
#define XEN_EMU_QEMU_UPSTREAM		2

/* The backend's state, be->priv of an open xen backend. */
struct xen_priv {
	xentoollog_logger	 logger;	/* first: libxc casts back */
	xc_interface		*xch;
	struct xs_handle	*xsh;
	libxl_ctx		*ctx;
	/* The save in progress, for progress reports; NULL otherwise. */
	struct save_callbacks	*save_cb;
	unsigned		 save_iter;
	uint64_t		 save_last_ns;
	/*
	 * libxenguest counts its first round over the whole p2m, holes
	 * included (a 128 MiB PVH guest: 1044480 entries), and reports
	 * that as pages written.  The guest's populated pages and the p2m
	 * size let the figures be put back into pages actually sent.
	 */
	uint64_t		 save_pages;
	uint64_t		 save_p2m;
};

/* p2m entries of the first round as populated pages (0 < n <= pages). */
uint64_t xen_p2m_to_pages(const struct xen_priv *x, uint64_t n);

/* libxl's ERROR_* as a negative errno. */
int	xen_libxl_errno(int rc);

/*
 * Refuse dom0 and domains that do not exist before acting on them:
 * 0 with *di filled, -EPERM for domain 0 (logged), -ESRCH (logged) for
 * none, or xen_info()'s error.
 */
int	xen_check_guest(struct backend *be, uint32_t domid,
	    struct dom_info *di);

/* The save op (xen_save.c): see struct backend_ops. */
int	xen_save(struct backend *be, uint32_t domid, int fd,
	    const struct save_params *params, struct save_callbacks *cb);

/*
 * HVM (xen_hvm.c).  xen_hvm_dm_check: 0 if "domid"'s device model is
 * upstream QEMU in dom0 (what xmig saves), else -EOPNOTSUPP (logged).
 */
int	xen_hvm_dm_check(struct xen_priv *x, uint32_t domid);

/*
 * xen_hvm_dm_ready: xen_hvm_dm_check, then "dm" set up for "domid" and
 * its QEMU answering on its monitor socket: 0, or -EHOSTDOWN (logged:
 * QEMU is not running) and the like.  Checked before anything changes:
 * libxl cannot even read the configuration of such a guest.
 */
struct xen_dm;
int	xen_hvm_dm_ready(struct xen_priv *x, uint32_t domid,
	    const uint8_t uuid[16], struct xen_dm *dm);

/* 1 if the HVM guest "domid" has no PV drivers (no callback irq). */
int	xen_hvm_no_pv_drivers(struct xen_priv *x, uint32_t domid);

/* The suspend_hypercall op: see struct backend_ops. */
int	xen_suspend_hypercall(struct backend *be, uint32_t domid);

/* The throttle ops (xen_sched.c, a credit2 cap): see backend_ops. */
int	xen_throttle_get(struct backend *be, uint32_t domid,
	    uint32_t *orig);
int	xen_throttle_set(struct backend *be, uint32_t domid, unsigned pct,
	    uint32_t orig);

/*
 * The EMULATOR_XENSTORE_DATA body libxl would write for "domid": *out
 * malloc()ed (NULL when there are no keys), *outlen bytes.  Returns 0 or
 * a negative errno (logged).
 */
int	xen_hvm_xsdata(struct xen_priv *x, uint32_t domid, char **out,
	    size_t *outlen);

/*
 * Resume a suspended HVM guest whose QEMU is gone (libxl's resume stops
 * at the "cont" nobody answers): cancel the suspend, unpause.  Returns 0
 * or a negative errno (logged).
 */
int	xen_hvm_resume_without_dm(struct xen_priv *x, uint32_t domid);

/* The restore op (xen_restore.c): see struct backend_ops. */
int	xen_restore(struct backend *be, int fd,
	    const struct restore_params *params, uint32_t *domid);

/* xen_vbd.c: the backend's disk ops (backend.h). */
int	xen_disk_list(struct backend *be, uint32_t domid, struct be_disk *out,
	    size_t max, size_t *n);
int	xen_disk_track_start(struct backend *be, uint32_t domid, unsigned idx,
	    const struct be_disk *d, uint32_t block, struct disk_track **t);
int	xen_disk_track_dirty(struct backend *be, struct disk_track *t,
	    uint64_t *bits, uint64_t nblocks);
int	xen_disk_track_read(struct backend *be, struct disk_track *t,
	    uint64_t off, void *buf, size_t len);
void	xen_disk_track_stop(struct backend *be, struct disk_track *t);
int	xen_disk_track_sweep(struct backend *be, uint32_t domid);

#endif /* XMIG_XEN_INT_H */
