/*
 * xen_qdisk.c - a qdisk disk's dirty bitmaps and NBD exports in its QEMU
 * (see xen_qdisk.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libnbd.h>
#include <yajl/yajl_tree.h>

#include "xen_qdisk.h"
#include "log.h"
#include "qmp.h"
#include "qmpclient.h"
#include "util.h"

#define XEN_QDISK_ARGS_MAX	1024
#define XEN_QDISK_TRIES		40	/* a busy bitmap's removal */
#define XEN_QDISK_TRY_US	50000
#define XEN_QDISK_STATUS_MAX	(1U << 30)	/* bytes per block status */

/*
 * Close the disk's connection.  Only once QEMU has closed it: QEMU 7.2
 * fails an assertion and aborts when a client of an export whose node
 * is in an I/O thread (xen-block's are) closes first; deleting the
 * export ("hard") closes its clients from QEMU's main thread.
 */
static void
xen_qdisk_nbd_close(struct xen_qdisk *qd)
{
	if (qd->nbd != NULL)
		nbd_close(qd->nbd);
	qd->nbd = NULL;
}

/* A string member of a JSON object, or NULL. */
static const char *
xen_qdisk_str(yajl_val o, const char *key)
{
	const char *path[] = { key, NULL };
	yajl_val v = yajl_tree_get(o, path, yajl_t_string);

	return v != NULL ? YAJL_GET_STRING(v) : NULL;
}

/* The raw node whose image is "path", from query-named-block-nodes. */
static int
xen_qdisk_find(struct xen_qdisk *qd, struct xen_dm_conn *c, const char *path)
{
	struct qmp_msg m;
	char why[512];
	const char *drv, *file, *name;
	size_t i;
	int rc;

	rc = xen_dm_call(qd->dm, c, "query-named-block-nodes",
	    "{\"flat\": true}", &m, why, sizeof(why));
	if (rc != 0) {
		log_warnx("xen: domain %u's QEMU: %s", qd->dm->domid, why);
		return rc;
	}
	rc = -ENOENT;
	for (i = 0; YAJL_IS_ARRAY(m.value) && i < m.value->u.array.len;
	    i++) {
		yajl_val n = m.value->u.array.values[i];

		drv = xen_qdisk_str(n, "drv");
		file = xen_qdisk_str(n, "file");
		name = xen_qdisk_str(n, "node-name");
		if (drv == NULL || file == NULL || name == NULL ||
		    strcmp(file, path) != 0)
			continue;
		if (strcmp(drv, "raw") != 0) {
			log_warnx("xen: domain %u's QEMU serves %s as %s, not "
			    "raw", qd->dm->domid, path, drv);
			rc = -EOPNOTSUPP;
			break;
		}
		if (util_strlcpy(qd->node, name, sizeof(qd->node)) != 0 ||
		    !xen_dm_json_safe(name)) {
			rc = -ENAMETOOLONG;
			break;
		}
		rc = 0;
		break;
	}
	if (rc == -ENOENT)
		log_warnx("xen: domain %u's QEMU has no block node for %s",
		    qd->dm->domid, path);
	qmp_msg_clear(&m);
	return rc;
}

/* Bitmap number "gen" of this disk into buf. */
static void
xen_qdisk_bitmap(const struct xen_qdisk *qd, unsigned gen, char *buf,
    size_t len)
{
	snprintf(buf, len, "xmig-%ld-%u-%u", (long)getpid(), qd->idx, gen);
}

/* 1 if "name" is one of xmig's (bitmap or export). */
static int
xen_qdisk_ours(const char *name)
{
	return strncmp(name, XEN_QDISK_PREFIX, strlen(XEN_QDISK_PREFIX)) == 0;
}

/* 1 if "name" is one of this process's (xen_qdisk.h). */
static int
xen_qdisk_mine(const char *name)
{
	char me[32];

	snprintf(me, sizeof(me), XEN_QDISK_PREFIX "%ld-", (long)getpid());
	return strncmp(name, me, strlen(me)) == 0;
}

static int
xen_qdisk_export(struct xen_qdisk *qd, struct xen_dm_conn *c,
    const char *name, const char *bitmap)
{
	char args[XEN_QDISK_ARGS_MAX];
	char bm[XEN_QDISK_NAME_MAX + 32] = "";

	if (bitmap != NULL)
		snprintf(bm, sizeof(bm), ", \"bitmaps\": [\"%s\"]", bitmap);
	snprintf(args, sizeof(args), "{\"type\": \"nbd\", \"id\": \"%s\", "
	    "\"node-name\": \"%s\", \"name\": \"%s\", \"writable\": false%s}",
	    name, qd->node, name, bm);
	return xen_dm_exec(qd->dm, c, "block-export-add", args,
	    qd->dm->timeout_ms);
}

static int
xen_qdisk_unexport(const struct xen_dm *dm, struct xen_dm_conn *c,
    const char *id)
{
	char args[XEN_QDISK_ARGS_MAX];

	/* "hard": a connection QEMU has not seen closed yet does not stop it */
	snprintf(args, sizeof(args), "{\"id\": \"%s\", \"mode\": \"hard\"}",
	    id);
	return xen_dm_exec(dm, c, "block-export-del", args, dm->timeout_ms);
}

/*
 * An export's deletion completes in QEMU after the command returns: its
 * bitmap stays busy until then, so a refusal is retried a while.
 */
static int
xen_qdisk_bitmap_del(const struct xen_dm *dm, struct xen_dm_conn *c,
    const char *node, const char *bm)
{
	char args[XEN_QDISK_ARGS_MAX], why[512];
	int rc, tries = 0;

	snprintf(args, sizeof(args), "{\"node\": \"%s\", \"name\": \"%s\"}",
	    node, bm);
	while ((rc = xen_dm_call(dm, c, "block-dirty-bitmap-remove",
	    args, NULL, why, sizeof(why))) == -EREMOTEIO &&
	    ++tries < XEN_QDISK_TRIES)
		usleep(XEN_QDISK_TRY_US);
	if (rc != 0)
		log_warnx("xen: domain %u's QEMU: removing bitmap %s: %s",
		    dm->domid, bm, why);
	return rc;
}

static int
xen_qdisk_bitmap_remove(struct xen_qdisk *qd, struct xen_dm_conn *c,
    unsigned gen)
{
	char bm[XEN_QDISK_NAME_MAX];

	xen_qdisk_bitmap(qd, gen, bm, sizeof(bm));
	return xen_qdisk_bitmap_del(qd->dm, c, qd->node, bm);
}

/*
 * Whether a name of xmig's on node "node" goes in a sweep: every one
 * when keep_node is NULL; else all on keep_node's own node (nothing of
 * this process's is there yet) and elsewhere those of other processes.
 */
static int
xen_qdisk_stale(const char *name, const char *node, const char *keep_node)
{
	if (name == NULL || node == NULL || !xen_qdisk_ours(name) ||
	    !xen_dm_json_safe(name) || !xen_dm_json_safe(node))
		return 0;
	return keep_node == NULL || strcmp(node, keep_node) == 0 ||
	    !xen_qdisk_mine(name);
}

/*
 * Delete the exports a sweep takes (xen_qdisk_stale); count those kept:
 * this process's in *mine, anyone else's (not xmig's) in *others.
 */
static int
xen_qdisk_sweep_exports(const struct xen_dm *dm, struct xen_dm_conn *c,
    const char *keep_node, unsigned *mine, unsigned *others)
{
	struct qmp_msg m;
	char why[512];
	const char *id, *node;
	size_t i;
	int rc;

	*mine = *others = 0;
	if ((rc = xen_dm_call(dm, c, "query-block-exports", NULL, &m, why,
	    sizeof(why))) != 0) {
		log_warnx("xen: domain %u's QEMU: %s", dm->domid, why);
		return rc;
	}
	for (i = 0; YAJL_IS_ARRAY(m.value) && i < m.value->u.array.len;
	    i++) {
		id = xen_qdisk_str(m.value->u.array.values[i], "id");
		node = xen_qdisk_str(m.value->u.array.values[i], "node-name");
		if (id == NULL)
			continue;
		if (!xen_qdisk_stale(id, node, keep_node)) {
			if (!xen_qdisk_ours(id))
				(*others)++;
			else
				(*mine)++;
			continue;
		}
		if (xen_qdisk_unexport(dm, c, id) == 0)
			log_info("xen: domain %u's QEMU: export %s of node %s, "
			    "left by an earlier attempt, removed", dm->domid,
			    id, node);
	}
	qmp_msg_clear(&m);
	return 0;
}

/* Remove the dirty bitmaps a sweep takes (xen_qdisk_stale). */
static int
xen_qdisk_sweep_bitmaps(const struct xen_dm *dm, struct xen_dm_conn *c,
    const char *keep_node)
{
	const char *bmp[] = { "dirty-bitmaps", NULL };
	struct qmp_msg m;
	char why[512];
	const char *node, *name;
	yajl_val n, b;
	size_t i, j;
	int rc;

	if ((rc = xen_dm_call(dm, c, "query-named-block-nodes",
	    "{\"flat\": true}", &m, why, sizeof(why))) != 0) {
		log_warnx("xen: domain %u's QEMU: %s", dm->domid, why);
		return rc;
	}
	for (i = 0; YAJL_IS_ARRAY(m.value) && i < m.value->u.array.len;
	    i++) {
		n = m.value->u.array.values[i];
		node = xen_qdisk_str(n, "node-name");
		if ((b = yajl_tree_get(n, bmp, yajl_t_array)) == NULL)
			continue;
		for (j = 0; j < b->u.array.len; j++) {
			name = xen_qdisk_str(b->u.array.values[j], "name");
			if (xen_qdisk_stale(name, node, keep_node) &&
			    xen_qdisk_bitmap_del(dm, c, node, name) == 0)
				log_info("xen: domain %u's QEMU: dirty bitmap "
				    "%s of node %s, left by an earlier "
				    "attempt, removed", dm->domid, name, node);
		}
	}
	qmp_msg_clear(&m);
	return 0;
}

/* nbd-server-stop, then the socket "sock" goes. */
static int
xen_qdisk_server_stop(const struct xen_dm *dm, struct xen_dm_conn *c,
    const char *sock)
{
	int rc;

	if ((rc = xen_dm_exec(dm, c, "nbd-server-stop", NULL,
	    dm->timeout_ms)) == 0 && sock != NULL)
		(void)unlink(sock);
	return rc;
}

/*
 * Start QEMU's NBD server on qd->sock, or find it already running:
 * started by another disk of this process (one of its exports is up:
 * "mine"), or left by an earlier attempt, which this disk takes over
 * (its socket is ours) or stops and starts again (serving nothing at
 * all: "others" is 0).
 */
static int
xen_qdisk_server(struct xen_qdisk *qd, struct xen_dm_conn *c, unsigned mine,
    unsigned others)
{
	char args[XEN_QDISK_ARGS_MAX], why[512];
	int rc, again = 0;

	snprintf(args, sizeof(args), "{\"addr\": {\"type\": \"unix\", "
	    "\"data\": {\"path\": \"%s\"}}}", qd->sock);
retry:
	rc = xen_dm_call(qd->dm, c, "nbd-server-start", args, NULL, why,
	    sizeof(why));
	if (rc == 0) {
		qd->server = 1;
		return 0;
	}
	if (rc != -EREMOTEIO || strstr(why, "already running") == NULL)
		goto fail;
	if (mine > 0 && access(qd->sock, F_OK) == 0)
		return 0;	/* another disk of the domain started it */
	if (mine == 0 && access(qd->sock, F_OK) == 0) {
		log_info("xen: domain %u's QEMU: the NBD server on %s, left "
		    "by an earlier attempt, taken over", qd->dm->domid,
		    qd->sock);
		qd->server = 1;
		return 0;
	}
	if (mine == 0 && others == 0 && !again &&
	    xen_qdisk_server_stop(qd->dm, c, NULL) == 0) {
		log_info("xen: domain %u's QEMU: an NBD server with no "
		    "export and no socket of ours, left by an earlier "
		    "attempt, stopped", qd->dm->domid);
		again = 1;
		goto retry;
	}
fail:
	log_warnx("xen: domain %u's QEMU: NBD server on %s: %s",
	    qd->dm->domid, qd->sock, why);
	return rc;
}

int
xen_qdisk_start(struct xen_qdisk *qd, const struct xen_dm *dm, unsigned idx,
    const char *path, const char *sock)
{
	struct xen_dm_conn c;
	char args[XEN_QDISK_ARGS_MAX], bm[XEN_QDISK_NAME_MAX];
	unsigned mine, others;
	int rc;

	memset(qd, 0, sizeof(*qd));
	qd->dm = dm;
	qd->idx = idx;
	if (util_strlcpy(qd->sock, sock, sizeof(qd->sock)) != 0 ||
	    !xen_dm_json_safe(sock) || !xen_dm_json_safe(path)) {
		log_warnx("xen: cannot export %s through %s", path, sock);
		return -EINVAL;
	}
	snprintf(qd->data, sizeof(qd->data), XEN_QDISK_PREFIX "%ld-%u",
	    (long)getpid(), idx);
	if ((rc = xen_dm_open(dm, &c)) != 0)
		return rc;
	if ((rc = xen_qdisk_find(qd, &c, path)) != 0)
		goto out;
	/* What an attempt that died left: its exports first (bitmaps). */
	if ((rc = xen_qdisk_sweep_exports(dm, &c, qd->node, &mine,
	    &others)) != 0 ||
	    (rc = xen_qdisk_sweep_bitmaps(dm, &c, qd->node)) != 0)
		goto out;
	xen_qdisk_bitmap(qd, qd->gen, bm, sizeof(bm));
	snprintf(args, sizeof(args), "{\"node\": \"%s\", \"name\": \"%s\"}",
	    qd->node, bm);
	if ((rc = xen_dm_exec(dm, &c, "block-dirty-bitmap-add", args,
	    dm->timeout_ms)) != 0)
		goto out;
	qd->recording = 1;
	if ((rc = xen_qdisk_server(qd, &c, mine, others)) != 0)
		goto out;
	if ((rc = xen_qdisk_export(qd, &c, qd->data, NULL)) != 0)
		goto out;
	qd->data_export = 1;
out:
	xen_dm_close(dm, &c);
	if (rc != 0)
		xen_qdisk_stop(qd);
	return rc;
}

int
xen_qdisk_round(struct xen_qdisk *qd)
{
	struct xen_dm_conn c;
	char args[XEN_QDISK_ARGS_MAX], next[XEN_QDISK_NAME_MAX];
	int rc;

	if (!qd->recording || qd->round_bitmap || qd->round_export)
		return -EINVAL;
	xen_qdisk_bitmap(qd, qd->gen, qd->bitmap, sizeof(qd->bitmap));
	xen_qdisk_bitmap(qd, qd->gen + 1, next, sizeof(next));
	/* Its own name: the last round's may not be gone yet. */
	snprintf(qd->round, sizeof(qd->round), "%s-round", qd->bitmap);
	snprintf(args, sizeof(args), "{\"actions\": ["
	    "{\"type\": \"block-dirty-bitmap-disable\", \"data\": "
	    "{\"node\": \"%s\", \"name\": \"%s\"}}, "
	    "{\"type\": \"block-dirty-bitmap-add\", \"data\": "
	    "{\"node\": \"%s\", \"name\": \"%s\"}}]}",
	    qd->node, qd->bitmap, qd->node, next);
	if ((rc = xen_dm_open(qd->dm, &c)) != 0)
		return rc;
	if ((rc = xen_dm_exec(qd->dm, &c, "transaction", args,
	    qd->dm->timeout_ms)) != 0)
		goto out;
	qd->gen++;
	qd->round_bitmap = 1;
	if ((rc = xen_qdisk_export(qd, &c, qd->round, qd->bitmap)) != 0)
		goto out;
	qd->round_export = 1;
out:
	xen_dm_close(qd->dm, &c);
	return rc;
}

int
xen_qdisk_round_end(struct xen_qdisk *qd)
{
	struct xen_dm_conn c;
	int rc;

	if (!qd->round_export && !qd->round_bitmap)
		return 0;
	if ((rc = xen_dm_open(qd->dm, &c)) != 0)
		return rc;
	if (qd->round_export &&
	    (rc = xen_qdisk_unexport(qd->dm, &c, qd->round)) == 0)
		qd->round_export = 0;
	if (rc == 0 && qd->round_bitmap &&
	    (rc = xen_qdisk_bitmap_remove(qd, &c, qd->gen - 1)) == 0)
		qd->round_bitmap = 0;
	xen_dm_close(qd->dm, &c);
	return rc;
}

void
xen_qdisk_stop(struct xen_qdisk *qd)
{
	struct xen_dm_conn c;

	if (!qd->recording && !qd->server && !qd->data_export &&
	    !qd->round_export && !qd->round_bitmap)
		return;
	if (xen_dm_open(qd->dm, &c) != 0) {
		log_warnx("xen: domain %u's QEMU: cannot remove xmig's "
		    "exports and bitmaps of disk %u (gone with it if it "
		    "stopped)", qd->dm->domid, qd->idx);
		xen_qdisk_nbd_close(qd);
		goto out;
	}
	if (qd->round_export)
		(void)xen_qdisk_unexport(qd->dm, &c, qd->round);
	if (qd->data_export)
		(void)xen_qdisk_unexport(qd->dm, &c, qd->data);
	xen_qdisk_nbd_close(qd);
	if (qd->server)
		(void)xen_qdisk_server_stop(qd->dm, &c, qd->sock);
	if (qd->round_bitmap)
		(void)xen_qdisk_bitmap_remove(qd, &c, qd->gen - 1);
	if (qd->recording)
		(void)xen_qdisk_bitmap_remove(qd, &c, qd->gen);
	xen_dm_close(qd->dm, &c);
out:
	qd->recording = qd->server = qd->data_export = 0;
	qd->round_export = qd->round_bitmap = 0;
}

int
xen_qdisk_sweep(const struct xen_dm *dm, const char *sock)
{
	struct xen_dm_conn c;
	unsigned mine, others;
	int rc;

	if ((rc = xen_dm_open(dm, &c)) != 0)
		return rc;
	if ((rc = xen_qdisk_sweep_exports(dm, &c, NULL, &mine,
	    &others)) == 0)
		rc = xen_qdisk_sweep_bitmaps(dm, &c, NULL);
	/* Our socket: the server is xmig's, and now serves nothing. */
	if (rc == 0 && others == 0 && access(sock, F_OK) == 0 &&
	    xen_qdisk_server_stop(dm, &c, sock) == 0)
		log_info("xen: domain %u's QEMU: the NBD server on %s, left "
		    "by an earlier attempt, stopped", dm->domid, sock);
	xen_dm_close(dm, &c);
	return rc;
}

/* ------------------------------------------------------- libnbd side */

/*
 * A libnbd handle connected to export "name" (asking for meta context
 * ctx); NULL (logged).  See xen_qdisk_nbd_close() before closing it.
 */
static struct nbd_handle *
xen_qdisk_nbd(struct xen_qdisk *qd, const char *name, const char *ctx)
{
	struct nbd_handle *h;

	if ((h = nbd_create()) == NULL)
		goto fail;
	if ((ctx != NULL && nbd_add_meta_context(h, ctx) != 0) ||
	    nbd_set_export_name(h, name) != 0 ||
	    nbd_connect_unix(h, qd->sock) != 0)
		goto fail;
	return h;
fail:
	log_warnx("xen: NBD export %s on %s: %s", name, qd->sock,
	    nbd_get_error() != NULL ? nbd_get_error() : "out of memory");
	if (h != NULL)
		nbd_close(h);
	return NULL;
}

int
xen_qdisk_open(struct xen_qdisk *qd, const struct xen_dm *dm, unsigned idx,
    const char *path, const char *sock, uint64_t size)
{
	int64_t n;
	int rc;

	if ((rc = xen_qdisk_start(qd, dm, idx, path, sock)) != 0)
		return rc;
	qd->size = size;
	if ((qd->nbd = xen_qdisk_nbd(qd, qd->data, NULL)) == NULL) {
		rc = -EIO;
		goto fail;
	}
	if ((n = nbd_get_size(qd->nbd)) < 0 || (uint64_t)n < size) {
		log_warnx("xen: %s: QEMU exports %lld bytes, not %llu", path,
		    (long long)n, (unsigned long long)size);
		rc = -EIO;
		goto fail;
	}
	return 0;
fail:
	xen_qdisk_stop(qd);
	return rc;
}

/* The blocks of a round's dirty extents, set as block status sees them. */
struct xen_qdisk_extents {
	uint64_t	*bits;
	uint64_t	 size;
	uint32_t	 block;
	uint64_t	 next;		/* bytes covered so far */
};

static int
xen_qdisk_extent(void *data, const char *ctx, uint64_t off, uint32_t *ent,
    size_t nent, int *error)
{
	struct xen_qdisk_extents *e = data;
	uint64_t end, b;
	size_t i;

	(void)ctx;
	(void)error;
	if (off != e->next)
		return -1;
	for (i = 0; i + 1 < nent && off < e->size; i += 2) {
		end = e->size - off > ent[i] ? off + ent[i] : e->size;
		/* Bit 0 of the context's flags: dirty. */
		if ((ent[i + 1] & 1) != 0)
			for (b = off / e->block; b < (end + e->block - 1) /
			    e->block; b++)
				e->bits[b / 64] |= UINT64_C(1) << (b % 64);
		off = end;
	}
	e->next = off;
	return 0;
}

/* The round's dirty extents into e->bits, read on h. */
static int
xen_qdisk_extents(struct xen_qdisk *qd, struct nbd_handle *h,
    struct xen_qdisk_extents *e)
{
	uint64_t at, len;

	while (e->next < e->size) {
		at = e->next;
		len = e->size - at > XEN_QDISK_STATUS_MAX ?
		    XEN_QDISK_STATUS_MAX : e->size - at;
		if (nbd_block_status(h, len, at, (nbd_extent_callback){
		    .callback = xen_qdisk_extent, .user_data = e }, 0) != 0 ||
		    e->next <= at) {
			log_warnx("xen: dirty extents of %s at %llu: %s",
			    qd->round, (unsigned long long)at,
			    nbd_get_error() != NULL ? nbd_get_error() :
			    "no progress");
			return -EIO;
		}
	}
	return 0;
}

int
xen_qdisk_dirty(struct xen_qdisk *qd, uint32_t block, uint64_t *bits,
    uint64_t nblocks)
{
	struct xen_qdisk_extents e = { .bits = bits, .size = qd->size,
	    .block = block };
	char ctx[XEN_QDISK_NAME_MAX + 32];
	struct nbd_handle *h = NULL;
	int rc, rc2;

	if (block == 0 || nblocks != (qd->size + block - 1) / block)
		return -EINVAL;
	if ((rc = xen_qdisk_round(qd)) == 0) {
		snprintf(ctx, sizeof(ctx), "qemu:dirty-bitmap:%s",
		    qd->bitmap);
		if ((h = xen_qdisk_nbd(qd, qd->round, ctx)) == NULL)
			rc = -EIO;
		else if (nbd_can_meta_context(h, ctx) != 1) {
			log_warnx("xen: %s: QEMU's export %s has no %s",
			    qd->sock, qd->round, ctx);
			rc = -EIO;
		} else
			rc = xen_qdisk_extents(qd, h, &e);
	}
	/* The export goes first: see xen_qdisk_nbd_close(). */
	rc2 = xen_qdisk_round_end(qd);
	if (h != NULL)
		nbd_close(h);
	return rc != 0 ? rc : rc2;
}

int
xen_qdisk_read(struct xen_qdisk *qd, uint64_t off, void *buf, size_t len)
{
	int err;

	if (qd->nbd == NULL || off > qd->size || len > qd->size - off)
		return -EINVAL;
	if (nbd_pread(qd->nbd, buf, len, off, 0) != 0) {
		err = nbd_get_errno();
		log_warnx("xen: reading %s at %llu: %s", qd->data,
		    (unsigned long long)off, nbd_get_error());
		return err > 0 ? -err : -EIO;
	}
	return 0;
}
