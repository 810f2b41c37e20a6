/*
 * xen_vbd.c - the disks of a Xen domain for the vbd device handler
 * (lib/vbdmig.h): found in xenstore (lib/vbdxs.h).  A raw image QEMU
 * serves (qdisk) is tracked by QEMU itself: a dirty bitmap per round and
 * an NBD export of the disk (xen_qdisk.h), read here with libnbd, the
 * round's dirty extents through the qemu:dirty-bitmap:NAME meta context.
 * Other disks (blkback's, a qcow2 image) are not tracked: they move only
 * with the guest stopped (migrate --no-live), read as they are.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libnbd.h>

#include "log.h"
#include "vbdxs.h"
#include "xen_dm.h"
#include "xen_int.h"
#include "xen_qdisk.h"

/* What the NBD server of a domain's QEMU listens on: ours. */
#define XEN_VBD_NBD_SOCK	XEN_DM_RUN_DIR "/xmig-nbd-%u"
#define XEN_VBD_STATUS_MAX	(1U << 30)	/* bytes per block status */

/*
 * The handler's struct disk_track is, for the xen backend, a struct
 * xen_track: a copy through QEMU (qd set) or vbdxs' untracked read.
 */
struct xen_track {
	struct disk_track	*plain;		/* vbdxs_track_*() */
	struct xen_dm		 dm;
	struct xen_qdisk	 qd;
	struct nbd_handle	*nbd;		/* the disk's data export */
	uint64_t		 size;
	uint64_t		 nblocks;
	uint32_t		 block;
	int			 first;
};

/* The blocks of a round's dirty extents, set as block status sees them. */
struct xen_extents {
	struct xen_track	*xt;
	uint64_t		*bits;
	uint64_t		 next;		/* bytes covered so far */
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

static void
xen_track_free(struct xen_track *xt)
{
	if (xt->nbd != NULL) {
		(void)nbd_shutdown(xt->nbd, 0);
		nbd_close(xt->nbd);
	}
	xen_qdisk_stop(&xt->qd);
	vbdxs_track_stop(xt->plain);
	free(xt);
}

/* A libnbd handle on export "name" of qd's server; NULL (logged). */
static struct nbd_handle *
xen_nbd_open(struct xen_track *xt, const char *name, const char *ctx)
{
	struct nbd_handle *h;

	if ((h = nbd_create()) == NULL)
		goto fail;
	if ((ctx != NULL && nbd_add_meta_context(h, ctx) != 0) ||
	    nbd_set_export_name(h, name) != 0 ||
	    nbd_connect_unix(h, xt->qd.sock) != 0)
		goto fail;
	if (ctx != NULL && nbd_can_meta_context(h, ctx) != 1) {
		log_warnx("xen: %s: QEMU's export %s has no %s", xt->qd.sock,
		    name, ctx);
		nbd_close(h);
		return NULL;
	}
	return h;
fail:
	log_warnx("xen: NBD export %s on %s: %s", name, xt->qd.sock,
	    nbd_get_error() != NULL ? nbd_get_error() : "out of memory");
	if (h != NULL)
		nbd_close(h);
	return NULL;
}

int
xen_disk_track_start(struct backend *be, uint32_t domid, unsigned idx,
    const struct be_disk *d, uint32_t block, struct disk_track **t)
{
	struct xen_track *xt;
	struct dom_info di;
	char sock[108];
	int64_t size;
	int rc;

	if (block == 0 || d->size == 0)
		return -EINVAL;
	if ((xt = calloc(1, sizeof(*xt))) == NULL)
		return -ENOMEM;
	xt->size = d->size;
	xt->block = block;
	xt->nblocks = (d->size + block - 1) / block;
	xt->first = 1;
	if (!d->trackable) {
		if ((rc = vbdxs_track_start(d, block, &xt->plain)) != 0)
			goto fail;
		*t = (struct disk_track *)xt;
		return 0;
	}
	snprintf(sock, sizeof(sock), XEN_VBD_NBD_SOCK, domid);
	if ((rc = xen_check_guest(be, domid, &di)) != 0 ||
	    (rc = xen_dm_init(&xt->dm, domid, di.uuid, XEN_DM_RUN_DIR,
	    XEN_DM_LIB_DIR)) != 0 ||
	    (rc = xen_qdisk_start(&xt->qd, &xt->dm, idx, d->path,
	    sock)) != 0)
		goto fail;
	if ((xt->nbd = xen_nbd_open(xt, xt->qd.data, NULL)) == NULL) {
		rc = -EIO;
		goto fail;
	}
	if ((size = nbd_get_size(xt->nbd)) < 0 || (uint64_t)size < d->size) {
		log_warnx("xen: disk %s: QEMU exports %lld bytes, not %llu",
		    d->vdev, (long long)size, (unsigned long long)d->size);
		rc = -EIO;
		goto fail;
	}
	log_info("xen: disk %s (%s) tracked by domain %u's QEMU, node %s",
	    d->vdev, d->path, domid, xt->qd.node);
	*t = (struct disk_track *)xt;
	return 0;
fail:
	xen_track_free(xt);
	return rc;
}

static void
xen_bits_set(uint64_t *bits, uint64_t from, uint64_t to)
{
	for (; from < to; from++)
		bits[from / 64] |= UINT64_C(1) << (from % 64);
}

static int
xen_extent_cb(void *data, const char *ctx, uint64_t off, uint32_t *ent,
    size_t nent, int *error)
{
	struct xen_extents *e = data;
	uint64_t len, end;
	size_t i;

	(void)ctx;
	(void)error;
	if (off != e->next)
		return -1;
	for (i = 0; i + 1 < nent; i += 2) {
		len = ent[i];
		end = off + len > e->xt->size ? e->xt->size : off + len;
		/* Bit 0 of the context's flags: dirty. */
		if ((ent[i + 1] & 1) != 0 && end > off)
			xen_bits_set(e->bits, off / e->xt->block,
			    (end + e->xt->block - 1) / e->xt->block);
		off = end;
		if (off >= e->xt->size)
			break;
	}
	e->next = off;
	return 0;
}

/* The dirty blocks of the round just closed into bits. */
static int
xen_track_extents(struct xen_track *xt, uint64_t *bits)
{
	struct xen_extents e = { .xt = xt, .bits = bits };
	char ctx[XEN_QDISK_NAME_MAX + 32];
	struct nbd_handle *h;
	uint64_t at, len;
	int rc = 0;

	snprintf(ctx, sizeof(ctx), "qemu:dirty-bitmap:%s", xt->qd.bitmap);
	if ((h = xen_nbd_open(xt, xt->qd.round, ctx)) == NULL)
		return -EIO;
	while (e.next < xt->size) {
		at = e.next;
		len = xt->size - at > XEN_VBD_STATUS_MAX ?
		    XEN_VBD_STATUS_MAX : xt->size - at;
		if (nbd_block_status(h, len, at, (nbd_extent_callback){
		    .callback = xen_extent_cb, .user_data = &e }, 0) != 0 ||
		    e.next <= at) {
			log_warnx("xen: dirty extents of %s at %llu: %s",
			    xt->qd.round, (unsigned long long)at,
			    nbd_get_error() != NULL ? nbd_get_error() :
			    "no progress");
			rc = -EIO;
			break;
		}
	}
	(void)nbd_shutdown(h, 0);
	nbd_close(h);
	return rc;
}

int
xen_disk_track_dirty(struct backend *be, struct disk_track *t,
    uint64_t *bits, uint64_t nblocks)
{
	struct xen_track *xt = (struct xen_track *)t;
	int rc, rc2;

	(void)be;
	if (xt->plain != NULL)
		return vbdxs_track_dirty(xt->plain, bits, nblocks);
	if (nblocks != xt->nblocks)
		return -EINVAL;
	if (xt->first) {
		/* Every block, the first time (the bitmap records since). */
		xen_bits_set(bits, 0, nblocks);
		xt->first = 0;
		return 0;
	}
	if ((rc = xen_qdisk_round(&xt->qd)) == 0)
		rc = xen_track_extents(xt, bits);
	rc2 = xen_qdisk_round_end(&xt->qd);
	return rc != 0 ? rc : rc2;
}

int
xen_disk_track_read(struct backend *be, struct disk_track *t, uint64_t off,
    void *buf, size_t len)
{
	struct xen_track *xt = (struct xen_track *)t;

	(void)be;
	if (xt->plain != NULL)
		return vbdxs_track_read(xt->plain, off, buf, len);
	if (off > xt->size || len > xt->size - off)
		return -EINVAL;
	if (nbd_pread(xt->nbd, buf, len, off, 0) != 0) {
		log_warnx("xen: reading %s at %llu: %s", xt->qd.data,
		    (unsigned long long)off, nbd_get_error());
		return nbd_get_errno() > 0 ? -nbd_get_errno() : -EIO;
	}
	return 0;
}

void
xen_disk_track_stop(struct backend *be, struct disk_track *t)
{
	(void)be;
	if (t != NULL)
		xen_track_free((struct xen_track *)t);
}
