/*
 * xen_vbd.c - the disks of a Xen domain for the vbd device handler
 * (lib/vbdmig.h): found in xenstore (lib/vbdxs.h).  A raw image QEMU
 * serves (qdisk) is tracked by QEMU itself, its dirty bitmaps and NBD
 * server (xen_qdisk.h).  Other disks (blkback's, a qcow2 image) are not
 * tracked: they move only with the guest stopped (migrate --no-live),
 * read as they are.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "vbdxs.h"
#include "xen_dm.h"
#include "xen_int.h"
#include "xen_qdisk.h"

/* What the NBD server of a domain's QEMU listens on: ours. */
#define XEN_VBD_NBD_SOCK	XEN_DM_RUN_DIR "/xmig-nbd-%u"

/*
 * The handler's struct disk_track is, for the xen backend, a struct
 * xen_track: a copy through QEMU or vbdxs' untracked read (plain).
 */
struct xen_track {
	struct disk_track	*plain;		/* vbdxs_track_*() */
	struct xen_dm		 dm;
	struct xen_qdisk	 qd;
	uint64_t		 nblocks;
	uint32_t		 block;
	int			 first;
};

int
xen_disk_list(struct backend *be, uint32_t domid, struct be_disk *out,
    size_t max, size_t *n)
{
	struct xen_priv *x = be->priv;
	size_t i;
	int rc;

	if ((rc = vbdxs_list(x->xsh, domid, out, max, n)) != 0)
		return rc;
	for (i = 0; i < *n; i++)
		out[i].trackable = strcmp(out[i].kind, "qdisk") == 0 &&
		    strcmp(out[i].format, "raw") == 0;
	return 0;
}

/* Domain domid's QEMU (its monitor, in dm) and xmig's NBD socket there. */
static int
xen_vbd_qemu(struct backend *be, uint32_t domid, struct xen_dm *dm,
    char *sock, size_t socklen)
{
	struct dom_info di;
	int rc;

	snprintf(sock, socklen, XEN_VBD_NBD_SOCK, domid);
	if ((rc = xen_check_guest(be, domid, &di)) != 0)
		return rc;
	return xen_dm_init(dm, domid, di.uuid, XEN_DM_RUN_DIR,
	    XEN_DM_LIB_DIR);
}

int
xen_disk_track_start(struct backend *be, uint32_t domid, unsigned idx,
    const struct be_disk *d, uint32_t block, struct disk_track **t)
{
	struct xen_track *xt;
	char sock[108];
	int rc;

	if (block == 0 || d->size == 0)
		return -EINVAL;
	if ((xt = calloc(1, sizeof(*xt))) == NULL)
		return -ENOMEM;
	xt->block = block;
	xt->nblocks = (d->size + block - 1) / block;
	xt->first = 1;
	if (!d->trackable)
		rc = vbdxs_track_start(d, block, &xt->plain);
	else {
		if ((rc = xen_vbd_qemu(be, domid, &xt->dm, sock,
		    sizeof(sock))) == 0 &&
		    (rc = xen_qdisk_open(&xt->qd, &xt->dm, idx, d->path, sock,
		    d->size)) == 0)
			log_info("xen: disk %s (%s) tracked by domain %u's "
			    "QEMU, node %s", d->vdev, d->path, domid,
			    xt->qd.node);
	}
	if (rc != 0) {
		free(xt);
		return rc;
	}
	*t = (struct disk_track *)xt;
	return 0;
}

int
xen_disk_track_dirty(struct backend *be, struct disk_track *t,
    uint64_t *bits, uint64_t nblocks)
{
	struct xen_track *xt = (struct xen_track *)t;
	uint64_t b;

	(void)be;
	if (xt->plain != NULL)
		return vbdxs_track_dirty(xt->plain, bits, nblocks);
	if (nblocks != xt->nblocks)
		return -EINVAL;
	if (!xt->first)
		return xen_qdisk_dirty(&xt->qd, xt->block, bits, nblocks);
	/* Every block, the first time (the bitmap records since). */
	for (b = 0; b < nblocks; b++)
		bits[b / 64] |= UINT64_C(1) << (b % 64);
	xt->first = 0;
	return 0;
}

int
xen_disk_track_read(struct backend *be, struct disk_track *t, uint64_t off,
    void *buf, size_t len)
{
	struct xen_track *xt = (struct xen_track *)t;

	(void)be;
	if (xt->plain != NULL)
		return vbdxs_track_read(xt->plain, off, buf, len);
	return xen_qdisk_read(&xt->qd, off, buf, len);
}

void
xen_disk_track_stop(struct backend *be, struct disk_track *t)
{
	struct xen_track *xt = (struct xen_track *)t;

	(void)be;
	if (xt == NULL)
		return;
	if (xt->plain != NULL)
		vbdxs_track_stop(xt->plain);
	else
		xen_qdisk_stop(&xt->qd);
	free(xt);
}

int
xen_disk_track_sweep(struct backend *be, uint32_t domid)
{
	struct be_disk disks[BE_DISK_MAX];
	struct xen_dm dm;
	char sock[108];
	size_t i, n;
	int rc;

	/* Only a QEMU serving a disk xmig tracks holds anything of ours. */
	if ((rc = xen_disk_list(be, domid, disks, BE_DISK_MAX, &n)) != 0)
		return rc;
	for (i = 0; i < n && !disks[i].trackable; i++)
		;
	if (i == n)
		return 0;
	if ((rc = xen_vbd_qemu(be, domid, &dm, sock, sizeof(sock))) != 0)
		return rc;
	return xen_qdisk_sweep(&dm, sock);
}
