/*
 * vbdxs.h - a Xen domain's disks as its backends describe them in
 * xenstore, for the vbd device handler (lib/vbdmig.h): blkback's
 * (/local/domain/0/backend/vbd/DOMID/DEVID) and QEMU's qdisk
 * (/local/domain/0/backend/qdisk/DOMID/DEVID), each with "params" (the
 * image or device, a qdisk's with its format as "FORMAT:PATH", e.g.
 * "aio:/images/web.img" or "qcow2:..."), "dev" (xvda) and, once
 * connected, "sectors" and "sector-size".
 */
#ifndef XMIG_VBDXS_H
#define XMIG_VBDXS_H

#include <stddef.h>
#include <stdint.h>
#include <xenstore.h>

#include "backend.h"

/*
 * The disks of "domid" into out (at most max), their number in *n.
 * Disks of blkback are kind "phy", of QEMU "qdisk"; neither is marked
 * trackable here (the backend says which it can track).  A CD-ROM or an
 * empty drive (no params) is skipped.  0 or a negative errno (logged).
 */
int	vbdxs_list(struct xs_handle *xs, uint32_t domid, struct be_disk *out,
	    size_t max, size_t *n);

/*
 * Split a qdisk "params" value into format and path: "aio:P" and
 * "raw:P" are raw, "qcow2:P" qcow2, a bare path raw.  0, or -EINVAL for
 * an empty path or one too long for the buffers.
 */
int	vbdxs_params(const char *params, char *format, size_t flen,
	    char *path, size_t plen);

/*
 * A copy without tracking, for a guest that is stopped (migrate
 * --no-live): the image or device read as it is.  The first
 * vbdxs_track_dirty() reports every block, later ones none.  Shaped
 * like backend_ops' disk_track_* (which a backend may point at them).
 */
int	vbdxs_track_start(const struct be_disk *d, uint32_t block,
	    struct disk_track **t);
int	vbdxs_track_dirty(struct disk_track *t, uint64_t *bits,
	    uint64_t nblocks);
int	vbdxs_track_read(struct disk_track *t, uint64_t off, void *buf,
	    size_t len);
void	vbdxs_track_stop(struct disk_track *t);

#endif /* XMIG_VBDXS_H */
