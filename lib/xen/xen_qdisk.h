/*
 * xen_qdisk.h - a disk QEMU serves (qdisk) tracked and read through QEMU
 * itself, over the domain's monitor (private to lib/xen/; no Xen library
 * here, so tests run it against a scripted monitor).
 *
 * QEMU's xen-block backend opens the image named in xenstore as a block
 * node of its own (libxl passes no -drive for a PV or PVH guest's qdisk
 * disks): the node is found by its file name (query-named-block-nodes).
 * A dirty bitmap on it records the guest's writes; QEMU's NBD server, on
 * a unix socket of ours, exports the node for reading.  Round by round
 * the recording bitmap is disabled and a new one added in one transaction
 * (no write between the two is lost: it lands in one or the other), and
 * the disabled one is exported alone for its dirty extents to be read
 * (the qemu:dirty-bitmap:NAME meta context), then removed.
 *
 * Everything given to QEMU is taken back by xen_qdisk_stop(), whatever
 * happened before: the exports, the NBD server (if this disk started
 * it) and the bitmaps.  The monitor's lock (xen_dm.h) is held only for
 * each exchange.
 *
 * What xmig gives QEMU is named "xmig-PID-..." (PID: the process's):
 * an xmig that died (killed, its host's processes lost) leaves its
 * exports, bitmaps and NBD server in QEMU, which the next attempt finds
 * by the prefix and removes first (one attempt per domain at a time:
 * the job lock), saying so in the log; its server is taken over when it
 * listens on our socket.  "xmig recover" sweeps everything of xmig's.
 */
#ifndef XMIG_XEN_QDISK_H
#define XMIG_XEN_QDISK_H

#include <stddef.h>
#include <stdint.h>

#include "xen_dm.h"

struct nbd_handle;

#define XEN_QDISK_NAME_MAX	64
#define XEN_QDISK_PREFIX	"xmig-"

struct xen_qdisk {
	const struct xen_dm *dm;
	unsigned	idx;		/* the disk's index in the domain */
	char		node[XEN_QDISK_NAME_MAX];	/* its block node */
	char		sock[108];	/* the NBD server's socket */
	char		data[XEN_QDISK_NAME_MAX];	/* export: the disk */
	char		round[XEN_QDISK_NAME_MAX + 8];	/* export: a round,
							   BITMAP-round */
	char		bitmap[XEN_QDISK_NAME_MAX];	/* a round's bitmap */
	unsigned	gen;		/* recording: xmig-PID-IDX-GEN */
	int		recording;	/* bitmap "gen" exists */
	int		server;		/* this disk started the server */
	int		data_export;
	int		round_export;
	int		round_bitmap;	/* "gen - 1" exists */
	struct nbd_handle *nbd;		/* libnbd on the data export */
	uint64_t	size;		/* bytes */
};

/*
 * Find the raw image "path" among the nodes of dm's QEMU, remove what an
 * earlier attempt left (see above), add a bitmap recording its writes,
 * start the NBD server on "sock" (unless already running: another disk
 * of the domain started it, or an earlier attempt left it on our
 * socket) and export the disk as qd->data.  0, or a negative errno
 * (logged) with everything undone.
 */
int	xen_qdisk_start(struct xen_qdisk *qd, const struct xen_dm *dm,
	    unsigned idx, const char *path, const char *sock);

/*
 * Close a round: the recording bitmap stops and a new one starts (one
 * transaction), the stopped one is exported alone as qd->round with the
 * bitmap qd->bitmap.  0 or a negative errno (logged).
 */
int	xen_qdisk_round(struct xen_qdisk *qd);

/* Remove the round's export and bitmap (once its extents are read). */
int	xen_qdisk_round_end(struct xen_qdisk *qd);

/*
 * xen_qdisk_start(), then connect to the disk's export with libnbd and
 * check that it holds "size" bytes.  0 or a negative errno (logged),
 * everything undone.
 */
int	xen_qdisk_open(struct xen_qdisk *qd, const struct xen_dm *dm,
	    unsigned idx, const char *path, const char *sock, uint64_t size);

/*
 * Close a round and set in bits (nblocks of "block" bytes) the blocks
 * written in it, read as the round's dirty extents.  0 or a negative
 * errno (logged); the round's export and bitmap are removed either way.
 */
int	xen_qdisk_dirty(struct xen_qdisk *qd, uint32_t block, uint64_t *bits,
	    uint64_t nblocks);

/* Read len bytes at off from the disk's export.  0 or -errno (logged). */
int	xen_qdisk_read(struct xen_qdisk *qd, uint64_t off, void *buf,
	    size_t len);

/*
 * Take back everything this disk gave QEMU (and close the connection);
 * errors are logged.
 */
void	xen_qdisk_stop(struct xen_qdisk *qd);

/*
 * Remove every export and dirty bitmap of xmig's from dm's QEMU, and
 * stop its NBD server if it listens on "sock" (ours) and serves nothing
 * else: what an xmig that died left.  Only when no migration of the
 * domain runs.  0 or a negative errno (logged); each removal is logged.
 */
int	xen_qdisk_sweep(const struct xen_dm *dm, const char *sock);

#endif /* XMIG_XEN_QDISK_H */
