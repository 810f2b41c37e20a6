/*
 * xen_vbd.c - the disks of a Xen domain for the vbd device handler
 * (lib/vbdmig.h): found in xenstore (lib/vbdxs.h).  No disk's writes are
 * tracked here yet (QEMU's dirty bitmaps over QMP and its NBD export
 * would do it for qdisk disks): a copied disk moves only with the guest
 * stopped (migrate --no-live), read as it is.
 */
#include "config.h"

#include "vbdxs.h"
#include "xen_int.h"

int
xen_disk_list(struct backend *be, uint32_t domid, struct be_disk *out,
    size_t max, size_t *n)
{
	struct xen_priv *x = be->priv;

	return vbdxs_list(x->xsh, domid, out, max, n);
}

int
xen_disk_track_start(struct backend *be, uint32_t domid, unsigned idx,
    const struct be_disk *d, uint32_t block, struct disk_track **t)
{
	(void)be;
	(void)domid;
	(void)idx;
	return vbdxs_track_start(d, block, t);
}

int
xen_disk_track_dirty(struct backend *be, struct disk_track *t,
    uint64_t *bits, uint64_t nblocks)
{
	(void)be;
	return vbdxs_track_dirty(t, bits, nblocks);
}

int
xen_disk_track_read(struct backend *be, struct disk_track *t, uint64_t off,
    void *buf, size_t len)
{
	(void)be;
	return vbdxs_track_read(t, off, buf, len);
}

void
xen_disk_track_stop(struct backend *be, struct disk_track *t)
{
	(void)be;
	vbdxs_track_stop(t);
}
