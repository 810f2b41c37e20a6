/*
 * simxs.c - the simulated host's xenstore: tree, permissions,
 * transactions, watches, request handling.  See simxs.h.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "log.h"
#include "simxs.h"

#define PERM_NONE	0x0
#define PERM_READ	0x1
#define PERM_WRITE	0x2
#define PERM_OWNER	0x8

#define DOMID_FIRST_RESERVED	0x7ff0U
#define DOMID_MAX		0xffffU

/* Quotas of an unprivileged domain, as xenstored's defaults. */
#define QUOTA_NODES		1000
#define QUOTA_VALUE		2048
#define QUOTA_WATCHES		128
#define QUOTA_TX		10
#define QUOTA_PERMS		5
/* Bounds for domain 0, to keep memory finite. */
#define PRIV_WATCHES		8192
#define PRIV_TX			256
#define PRIV_PERMS		1024
/* Paths a transaction may touch; nodes all transactions may copy. */
#define TX_MAX_PATHS		8192
#define TX_MAX_COPIED		(4 * SIMXS_MAX_NODES)

#define PATH_BUF		(XS_MSG_ABS_PATH_MAX + 64)
#define LOCAL_DOMAIN		"/local/domain/"

struct simxs_perm {
	uint16_t	id;
	uint8_t		perm;
};

struct simxs_node {
	char			 *name;		/* component, "" for root */
	uint8_t			 *data;
	size_t			  datalen;
	struct simxs_perm	 *perms;
	unsigned int		  nperms;
	uint64_t		  gen;
	struct simxs_node	 *parent;
	struct simxs_node	**child;
	unsigned int		  nchild;
	unsigned int		  childcap;
};

struct simxs_out {
	struct simxs_out	*next;
	size_t			 len;
	size_t			 off;
	uint8_t			 data[];
};

struct simxs_watch {
	TAILQ_ENTRY(simxs_watch) entry;
	char			*path;	/* canonical */
	char			*token;
	bool			 relative;
};

struct simxs_txpath {
	char		*path;
	uint64_t	 gen;		/* in the store at start, 0: absent */
	bool		 modified;
};

struct simxs_tx {
	TAILQ_ENTRY(simxs_tx)	 entry;
	uint32_t		 id;
	struct simxs_node	*root;
	unsigned int		 nnodes;
	struct simxs_txpath	*paths;
	unsigned int		 npaths;
	unsigned int		 pathcap;
};

struct simxs_conn {
	TAILQ_ENTRY(simxs_conn)	 entry;
	struct simxs		*xs;
	unsigned int		 domid;
	char			 base[32];	/* /local/domain/N */
	TAILQ_HEAD(, simxs_watch) watches;
	unsigned int		 nwatches;
	TAILQ_HEAD(, simxs_tx)	 txs;
	unsigned int		 ntx;
	struct simxs_out	*out_head;
	struct simxs_out	*out_tail;
	size_t			 out_len;
};

struct simxs_target {
	uint16_t	domid;
	uint16_t	target;
};

struct simxs {
	struct simxs_node	*root;
	unsigned int		 nnodes;
	uint64_t		 gen;
	uint32_t		 next_txid;
	unsigned int		 tx_copied;
	TAILQ_HEAD(, simxs_conn) conns;
	uint8_t			 introduced[(DOMID_MAX + 1) / 8];
	struct simxs_perm	 special_perms[2][QUOTA_PERMS];
	unsigned int		 special_nperms[2];
	struct simxs_target	 targets[64];
	unsigned int		 ntargets;
};

/* One request being handled. */
struct simxs_req {
	struct simxs		*xs;
	struct simxs_conn	*conn;
	struct simxs_tx		*tx;		/* NULL: the store itself */
	struct xs_msg_hdr	 hdr;
	const uint8_t		*payload;
	struct xs_msg_args	 args;
};

static const char *const special_names[2] = {
	"@introduceDomain", "@releaseDomain"
};

/* ------------------------------------------------------------ nodes */

static void
node_free(struct simxs_node *n)
{
	unsigned int i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nchild; i++)
		node_free(n->child[i]);
	free(n->child);
	free(n->name);
	free(n->data);
	free(n->perms);
	free(n);
}

static unsigned int
node_count(const struct simxs_node *n)
{
	unsigned int i, c = 1;

	for (i = 0; i < n->nchild; i++)
		c += node_count(n->child[i]);
	return c;
}

static struct simxs_node *
node_new(const char *name, size_t namelen, const struct simxs_perm *perms,
    unsigned int nperms)
{
	struct simxs_node *n;

	if ((n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	n->name = strndup(name, namelen);
	n->perms = calloc(nperms, sizeof(*perms));
	if (n->name == NULL || n->perms == NULL) {
		node_free(n);
		return NULL;
	}
	memcpy(n->perms, perms, nperms * sizeof(*perms));
	n->nperms = nperms;
	return n;
}

static int
node_set_data(struct simxs_node *n, const void *data, size_t len)
{
	uint8_t *p = NULL;

	if (len > 0) {
		if ((p = malloc(len)) == NULL)
			return -ENOMEM;
		memcpy(p, data, len);
	}
	free(n->data);
	n->data = p;
	n->datalen = len;
	return 0;
}

static int
node_set_perms(struct simxs_node *n, const struct simxs_perm *perms,
    unsigned int nperms)
{
	struct simxs_perm *p;

	if ((p = calloc(nperms, sizeof(*p))) == NULL)
		return -ENOMEM;
	memcpy(p, perms, nperms * sizeof(*p));
	free(n->perms);
	n->perms = p;
	n->nperms = nperms;
	return 0;
}

static struct simxs_node *
node_copy(const struct simxs_node *src, struct simxs_node *parent)
{
	struct simxs_node *n;
	unsigned int i;

	n = node_new(src->name, strlen(src->name), src->perms, src->nperms);
	if (n == NULL)
		return NULL;
	n->parent = parent;
	n->gen = src->gen;
	if (node_set_data(n, src->data, src->datalen) != 0)
		goto fail;
	if (src->nchild > 0) {
		n->child = calloc(src->nchild, sizeof(*n->child));
		if (n->child == NULL)
			goto fail;
		n->childcap = src->nchild;
	}
	for (i = 0; i < src->nchild; i++) {
		if ((n->child[i] = node_copy(src->child[i], n)) == NULL)
			goto fail;
		n->nchild++;
	}
	return n;
fail:
	node_free(n);
	return NULL;
}

static struct simxs_node *
node_child(const struct simxs_node *n, const char *name, size_t len)
{
	unsigned int i;

	for (i = 0; i < n->nchild; i++)
		if (strncmp(n->child[i]->name, name, len) == 0 &&
		    n->child[i]->name[len] == '\0')
			return n->child[i];
	return NULL;
}

static int
node_add_child(struct simxs_node *parent, struct simxs_node *child)
{
	struct simxs_node **c;
	unsigned int cap;

	if (parent->nchild == parent->childcap) {
		cap = parent->childcap ? parent->childcap * 2 : 4;
		c = reallocarray(parent->child, cap, sizeof(*c));
		if (c == NULL)
			return -ENOMEM;
		parent->child = c;
		parent->childcap = cap;
	}
	parent->child[parent->nchild++] = child;
	child->parent = parent;
	return 0;
}

/* Unlink n from its parent (keeping the children's order). */
static void
node_unlink(struct simxs_node *n)
{
	struct simxs_node *p = n->parent;
	unsigned int i;

	for (i = 0; i < p->nchild; i++)
		if (p->child[i] == n)
			break;
	if (i == p->nchild)
		return;
	memmove(&p->child[i], &p->child[i + 1],
	    (p->nchild - i - 1) * sizeof(*p->child));
	p->nchild--;
	n->parent = NULL;
}

/* Look a canonical absolute path up; NULL when absent. */
static struct simxs_node *
tree_lookup(struct simxs_node *root, const char *path)
{
	struct simxs_node *n = root;
	const char *p = path + 1, *slash;
	size_t len;

	while (n != NULL && *p != '\0') {
		slash = strchr(p, '/');
		len = slash ? (size_t)(slash - p) : strlen(p);
		n = node_child(n, p, len);
		p += len;
		if (*p == '/')
			p++;
	}
	return n;
}

/* The path's parent into out[PATH_BUF]; "/" for "/x". */
static void
path_parent(const char *path, char *out)
{
	const char *slash = strrchr(path, '/');
	size_t len = slash && slash != path ? (size_t)(slash - path) : 1;

	memcpy(out, path, len);
	out[len] = '\0';
}

static unsigned int
path_depth(const char *path)
{
	unsigned int d = 0;

	if (strcmp(path, "/") == 0)
		return 0;
	for (; *path != '\0'; path++)
		if (*path == '/')
			d++;
	return d;
}

/* Is child equal to parent or below it (Xen's is_child())? */
static bool
path_is_child(const char *child, const char *parent)
{
	size_t len = strlen(parent);

	/* As xenstored: "/" matches everything, special events too. */
	if (strcmp(parent, "/") == 0)
		return true;
	if (strncmp(child, parent, len) != 0)
		return false;
	return child[len] == '/' || child[len] == '\0';
}

/* ------------------------------------------------------------ output */

/* Queue one message; an event is dropped when the queue is full. */
static int
conn_queue(struct simxs_conn *conn, uint32_t type, uint32_t req_id,
    uint32_t tx_id, const void *payload, size_t len)
{
	struct simxs_out *o;
	int n;

	if (type == XS_MSG_WATCH_EVENT && conn->out_len >= SIMXS_OUT_MAX) {
		log_debug("simxs: dom%u output full, watch event dropped",
		    conn->domid);
		return -ENOBUFS;
	}
	if ((o = malloc(sizeof(*o) + XS_MSG_HDR_LEN + len)) == NULL)
		return -ENOMEM;
	n = xs_msg_build(o->data, XS_MSG_HDR_LEN + len, type, req_id, tx_id,
	    payload, len);
	if (n < 0) {
		free(o);
		return n;
	}
	o->len = (size_t)n;
	o->off = 0;
	o->next = NULL;
	if (conn->out_tail != NULL)
		conn->out_tail->next = o;
	else
		conn->out_head = o;
	conn->out_tail = o;
	conn->out_len += o->len;
	return 0;
}

static void
reply(struct simxs_req *r, const void *payload, size_t len)
{
	if (len > XS_MSG_PAYLOAD_MAX) {
		const char *e = xs_msg_errstr(E2BIG);

		conn_queue(r->conn, XS_MSG_ERROR, r->hdr.req_id, r->hdr.tx_id,
		    e, strlen(e) + 1);
		return;
	}
	conn_queue(r->conn, r->hdr.type, r->hdr.req_id, r->hdr.tx_id,
	    payload, len);
}

static void
reply_ok(struct simxs_req *r)
{
	reply(r, "OK", 3);
}

static void
reply_error(struct simxs_req *r, int err)
{
	const char *e = xs_msg_errstr(err);

	conn_queue(r->conn, XS_MSG_ERROR, r->hdr.req_id, r->hdr.tx_id, e,
	    strlen(e) + 1);
}

static void
send_event(struct simxs_conn *conn, const char *path, const char *token)
{
	char buf[XS_MSG_PAYLOAD_MAX];
	size_t pl = strlen(path) + 1, tl = strlen(token) + 1;

	if (pl + tl > sizeof(buf))
		return;		/* xenstored does not send over-long events */
	memcpy(buf, path, pl);
	memcpy(buf + pl, token, tl);
	conn_queue(conn, XS_MSG_WATCH_EVENT, 0, 0, buf, pl + tl);
}

/* ------------------------------------------------------------ permissions */

static bool
conn_priv(const struct simxs_conn *conn)
{
	return conn->domid == 0;
}

static int
conn_target(const struct simxs_conn *conn)
{
	const struct simxs *xs = conn->xs;
	unsigned int i;

	for (i = 0; i < xs->ntargets; i++)
		if (xs->targets[i].domid == conn->domid)
			return xs->targets[i].target;
	return -1;
}

/* Xen's perm_for_conn(). */
static unsigned int
perm_for_conn(const struct simxs_conn *conn, const struct simxs_perm *p,
    unsigned int n)
{
	int target = conn_target(conn);
	unsigned int i;

	if (conn_priv(conn) || n == 0 || p[0].id == conn->domid ||
	    (target >= 0 && p[0].id == target))
		return PERM_READ | PERM_WRITE | PERM_OWNER;
	for (i = 1; i < n; i++)
		if (p[i].id == conn->domid || (target >= 0 && p[i].id == target))
			return p[i].perm;
	return p[0].perm;
}

/* Parse "<n|r|w|b><domid>"; returns 0 or -EINVAL. */
static int
perm_parse(const char *s, struct simxs_perm *out)
{
	unsigned long v = 0;
	const char *d;

	switch (s[0]) {
	case 'n': out->perm = PERM_NONE; break;
	case 'r': out->perm = PERM_READ; break;
	case 'w': out->perm = PERM_WRITE; break;
	case 'b': out->perm = PERM_READ | PERM_WRITE; break;
	default: return -EINVAL;
	}
	if (s[1] == '\0')
		return -EINVAL;
	for (d = s + 1; *d != '\0'; d++) {
		if (*d < '0' || *d > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*d - '0');
		if (v > DOMID_MAX)
			return -EINVAL;
	}
	out->id = (uint16_t)v;
	return 0;
}

/* Format perms as "<c><domid>\0" strings into buf; returns the length. */
static size_t
perm_format(const struct simxs_perm *p, unsigned int n, char *buf,
    size_t cap)
{
	static const char letter[4] = { 'n', 'r', 'w', 'b' };
	size_t len = 0;
	unsigned int i;
	int k;

	for (i = 0; i < n; i++) {
		k = snprintf(buf + len, cap - len, "%c%u",
		    letter[p[i].perm & 3], p[i].id);
		if (k < 0 || (size_t)k + 1 > cap - len)
			return cap + 1;
		len += (size_t)k + 1;
	}
	return len;
}

/* Parse a decimal domid 0..65535; returns it or -EINVAL. */
static int
domid_parse(const char *s)
{
	unsigned long v = 0;

	if (*s == '\0')
		return -EINVAL;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > DOMID_MAX)
			return -EINVAL;
	}
	return (int)v;
}

/* ------------------------------------------------------------ paths */

static bool
path_valid_chars(const char *p)
{
	for (; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-/_@", *p) != NULL))
			return false;
	return true;
}

/* Xen's is_valid_nodename(), our limits. */
static bool
path_valid(const char *p)
{
	unsigned int domid;
	int off = 0;
	size_t len = strlen(p);

	if (p[0] != '/' || len > XS_MSG_ABS_PATH_MAX)
		return false;
	if (len > 1 && p[len - 1] == '/')
		return false;
	if (strstr(p, "//") != NULL)
		return false;
	if (sscanf(p, LOCAL_DOMAIN "%5u/%n", &domid, &off) != 1)
		off = 0;
	if (len > (size_t)off + XS_MSG_REL_PATH_MAX && off > 0)
		return false;
	return path_valid_chars(p);
}

/*
 * Canonicalise a request path into out[PATH_BUF]: relative paths go
 * below the connection's /local/domain/N.  Returns 0, or -EINVAL for a
 * path xenstore refuses.  Special "@" paths are copied as they are.
 */
static int
path_canon(const struct simxs_conn *conn, const char *in, char *out,
    bool *relative)
{
	size_t len = strlen(in);
	int n;

	if (relative != NULL)
		*relative = false;
	if (in[0] == '@') {
		if (len > XS_MSG_REL_PATH_MAX)
			return -EINVAL;
		memcpy(out, in, len + 1);
		return 0;
	}
	if (in[0] == '/') {
		if (len > XS_MSG_ABS_PATH_MAX)
			return -EINVAL;
		memcpy(out, in, len + 1);
	} else {
		if (len > XS_MSG_REL_PATH_MAX || len == 0)
			return -EINVAL;
		n = snprintf(out, PATH_BUF, "%s/%s", conn->base, in);
		if (n < 0 || n >= PATH_BUF)
			return -EINVAL;
		if (relative != NULL)
			*relative = true;
	}
	return path_valid(out) ? 0 : -EINVAL;
}

/* ------------------------------------------------------------ watches */

static bool
watch_permitted(const struct simxs_conn *conn, const struct simxs_node *n,
    const struct simxs_perm *oldp, unsigned int oldn)
{
	if (conn_priv(conn))
		return true;
	if (oldp != NULL && (perm_for_conn(conn, oldp, oldn) & PERM_READ))
		return true;
	if (n == NULL)
		return false;
	if (perm_for_conn(conn, n->perms, n->nperms) & PERM_READ)
		return true;
	return n->parent != NULL &&
	    (perm_for_conn(conn, n->parent->perms, n->parent->nperms) &
	    PERM_READ);
}

/* The event path as the watcher sees it (relative if it asked so). */
static const char *
watch_event_path(const struct simxs_conn *conn, const struct simxs_watch *w,
    const char *path)
{
	size_t blen = strlen(conn->base);

	if (!w->relative || strncmp(path, conn->base, blen) != 0)
		return path;
	path += blen;
	return *path == '/' ? path + 1 : path;
}

/*
 * An event on "path" (node n, possibly about to be removed; oldp the
 * permissions it had before a change): every matching watch fires.
 * "exact" matches only watches on the path itself (children of a
 * removed subtree), otherwise watches on the path and its parents.
 */
static void
fire_watches(struct simxs *xs, const char *path, const struct simxs_node *n,
    bool exact, const struct simxs_perm *oldp, unsigned int oldn)
{
	struct simxs_conn *c;
	struct simxs_watch *w;

	TAILQ_FOREACH(c, &xs->conns, entry) {
		if (!watch_permitted(c, n, oldp, oldn))
			continue;
		TAILQ_FOREACH(w, &c->watches, entry) {
			if (exact ? strcmp(path, w->path) == 0 :
			    path_is_child(path, w->path))
				send_event(c, watch_event_path(c, w, path),
				    w->token);
		}
	}
}

static int
special_index(const char *name)
{
	if (strcmp(name, special_names[0]) == 0)
		return 0;
	if (strcmp(name, special_names[1]) == 0)
		return 1;
	return -1;
}

void
simxs_fire_special(struct simxs *xs, const char *name)
{
	struct simxs_conn *c;
	struct simxs_watch *w;
	int i = special_index(name);

	if (i < 0)
		return;
	TAILQ_FOREACH(c, &xs->conns, entry) {
		if (!conn_priv(c) && !(perm_for_conn(c, xs->special_perms[i],
		    xs->special_nperms[i]) & PERM_READ))
			continue;
		TAILQ_FOREACH(w, &c->watches, entry)
			if (path_is_child(name, w->path))
				send_event(c, name, w->token);
	}
}

/* Fire for a subtree about to be removed: children first, root last. */
static void
fire_rm(struct simxs *xs, const struct simxs_node *n, char *path,
    size_t len, bool root)
{
	unsigned int i;
	size_t cl;

	for (i = 0; i < n->nchild; i++) {
		cl = strlen(n->child[i]->name);
		if (len + 1 + cl >= PATH_BUF)
			continue;
		if (len == 1) {
			memcpy(path + 1, n->child[i]->name, cl + 1);
			fire_rm(xs, n->child[i], path, 1 + cl, false);
		} else {
			path[len] = '/';
			memcpy(path + len + 1, n->child[i]->name, cl + 1);
			fire_rm(xs, n->child[i], path, len + 1 + cl, false);
		}
		path[len] = '\0';
	}
	fire_watches(xs, path, n, !root, NULL, 0);
}

static void
watch_free(struct simxs_watch *w)
{
	if (w == NULL)
		return;
	free(w->path);
	free(w->token);
	free(w);
}

/* ------------------------------------------------------------ transactions */

static void
tx_free(struct simxs *xs, struct simxs_tx *tx)
{
	unsigned int i;

	if (tx == NULL)
		return;
	xs->tx_copied -= tx->nnodes;
	node_free(tx->root);
	for (i = 0; i < tx->npaths; i++)
		free(tx->paths[i].path);
	free(tx->paths);
	free(tx);
}

static void
conn_end_tx(struct simxs_conn *conn, struct simxs_tx *tx)
{
	TAILQ_REMOVE(&conn->txs, tx, entry);
	conn->ntx--;
	tx_free(conn->xs, tx);
}

/*
 * Remember that the transaction used "path" (before changing it): its
 * generation at the start, as the copy still has it.
 */
static int
tx_note(struct simxs_tx *tx, const char *path, bool modified)
{
	struct simxs_txpath *p;
	struct simxs_node *n;
	unsigned int i, cap;

	for (i = 0; i < tx->npaths; i++) {
		if (strcmp(tx->paths[i].path, path) == 0) {
			tx->paths[i].modified |= modified;
			return 0;
		}
	}
	if (tx->npaths >= TX_MAX_PATHS)
		return -ENOSPC;
	if (tx->npaths == tx->pathcap) {
		cap = tx->pathcap ? tx->pathcap * 2 : 16;
		p = reallocarray(tx->paths, cap, sizeof(*p));
		if (p == NULL)
			return -ENOMEM;
		tx->paths = p;
		tx->pathcap = cap;
	}
	p = &tx->paths[tx->npaths];
	if ((p->path = strdup(path)) == NULL)
		return -ENOMEM;
	n = tree_lookup(tx->root, path);
	p->gen = n ? n->gen : 0;
	p->modified = modified;
	tx->npaths++;
	return 0;
}

static struct simxs_tx *
tx_lookup(struct simxs_conn *conn, uint32_t id)
{
	struct simxs_tx *tx;

	TAILQ_FOREACH(tx, &conn->txs, entry)
		if (tx->id == id)
			return tx;
	return NULL;
}

static bool
txid_in_use(struct simxs *xs, uint32_t id)
{
	struct simxs_conn *c;

	TAILQ_FOREACH(c, &xs->conns, entry)
		if (tx_lookup(c, id) != NULL)
			return true;
	return false;
}

/* ------------------------------------------------------------ tree edits */

static struct simxs_node *
req_root(const struct simxs_req *r)
{
	return r->tx ? r->tx->root : r->xs->root;
}

static unsigned int *
req_nnodes(struct simxs_req *r)
{
	return r->tx ? &r->tx->nnodes : &r->xs->nnodes;
}

/* A change in the store gets a new generation; a copy keeps its own. */
static void
req_bump(struct simxs_req *r, struct simxs_node *n)
{
	if (r->tx == NULL && n != NULL)
		n->gen = ++r->xs->gen;
}

static unsigned int
count_owned(const struct simxs_node *n, unsigned int domid)
{
	unsigned int i, c = n->perms[0].id == domid;

	for (i = 0; i < n->nchild; i++)
		c += count_owned(n->child[i], domid);
	return c;
}

/* The nearest existing node on the way to path (path itself if there). */
static struct simxs_node *
nearest(struct simxs_node *root, const char *path, const char **rest)
{
	struct simxs_node *n = root, *c;
	const char *p = path + 1, *slash;
	size_t len;

	while (*p != '\0') {
		slash = strchr(p, '/');
		len = slash ? (size_t)(slash - p) : strlen(p);
		if ((c = node_child(n, p, len)) == NULL)
			break;
		n = c;
		p += len;
		if (*p == '/')
			p++;
	}
	*rest = p;
	return n;
}

/*
 * Find the node at a canonical path, checking "perm" (Xen's get_node()):
 * 0 and *out, -EACCES, or -ENOENT (-EACCES instead when the nearest
 * ancestor denies the access too, so nothing leaks).
 */
static int
get_node(struct simxs_req *r, const char *path, unsigned int perm,
    struct simxs_node **out)
{
	struct simxs_node *n;
	const char *rest;
	int rc;

	*out = NULL;
	if (r->tx != NULL && (rc = tx_note(r->tx, path, false)) != 0)
		return rc;
	n = nearest(req_root(r), path, &rest);
	if (*rest == '\0') {
		if ((perm_for_conn(r->conn, n->perms, n->nperms) & perm) !=
		    perm)
			return -EACCES;
		*out = n;
		return 0;
	}
	if (perm_for_conn(r->conn, n->perms, n->nperms) & perm)
		return -ENOENT;
	return -EACCES;
}

static int
create_check_quota(struct simxs_req *r, unsigned int levels)
{
	if (*req_nnodes(r) + levels > SIMXS_MAX_NODES)
		return -ENOSPC;
	if (!conn_priv(r->conn) && count_owned(req_root(r), r->conn->domid) +
	    levels > QUOTA_NODES)
		return -ENOSPC;
	return 0;
}

/*
 * Create the missing nodes down to "path", inheriting permissions (owned
 * by an unprivileged creator).  Returns 0 and the last node in *out, or a
 * negative errno with nothing created.
 */
static int
create_node(struct simxs_req *r, const char *path, struct simxs_node **out)
{
	struct simxs_node *parent, *n = NULL, *first = NULL;
	const char *rest, *p, *slash;
	char sub[PATH_BUF];
	unsigned int levels = 0, made = 0;
	size_t len;
	int rc;

	parent = nearest(req_root(r), path, &rest);
	for (p = rest; *p != '\0'; p = slash ? slash + 1 : p + strlen(p)) {
		slash = strchr(p, '/');
		levels++;
	}
	if ((rc = create_check_quota(r, levels)) != 0)
		return rc;
	if (r->tx != NULL) {
		/* The ancestor's child list changes: a conflict point. */
		len = rest > path + 1 ? (size_t)(rest - path - 1) : 1;
		memcpy(sub, path, len);
		sub[len] = '\0';
		if ((rc = tx_note(r->tx, sub, false)) != 0 ||
		    (rc = tx_note(r->tx, path, true)) != 0)
			return rc;
	}
	for (p = rest; *p != '\0'; p = slash ? slash + 1 : p + strlen(p)) {
		slash = strchr(p, '/');
		len = slash ? (size_t)(slash - p) : strlen(p);
		memcpy(sub, path, (size_t)(p + len - path));
		sub[p + len - path] = '\0';
		rc = -ENOMEM;
		if ((n = node_new(p, len, parent->perms, parent->nperms)) ==
		    NULL)
			goto fail;
		if (node_add_child(parent, n) != 0) {
			node_free(n);
			goto fail;
		}
		made++;
		if (first == NULL)
			first = n;
		if (!conn_priv(r->conn))
			n->perms[0].id = (uint16_t)r->conn->domid;
		if (r->tx != NULL && (rc = tx_note(r->tx, sub, true)) != 0)
			goto fail;
		req_bump(r, parent);
		req_bump(r, n);
		parent = n;
	}
	*req_nnodes(r) += made;
	*out = parent;
	return 0;
fail:
	if (first != NULL) {
		node_unlink(first);
		node_free(first);
	}
	return rc;
}

/* Remove a subtree (not the root) from the tree a request works on. */
static void
remove_node(struct simxs_req *r, struct simxs_node *n, const char *path)
{
	char buf[PATH_BUF];

	if (r->tx == NULL) {
		snprintf(buf, sizeof(buf), "%s", path);
		fire_rm(r->xs, n, buf, strlen(buf), true);
	}
	req_bump(r, n->parent);
	*req_nnodes(r) -= node_count(n);
	node_unlink(n);
	node_free(n);
}

/* ------------------------------------------------------------ commit */

static bool
tx_conflicts(struct simxs *xs, const struct simxs_tx *tx)
{
	const struct simxs_node *n;
	unsigned int i;

	for (i = 0; i < tx->npaths; i++) {
		n = tree_lookup(xs->root, tx->paths[i].path);
		if ((n ? n->gen : 0) != tx->paths[i].gen)
			return true;
	}
	return false;
}

static int
txpath_cmp(const void *a, const void *b)
{
	const struct simxs_txpath *pa = a, *pb = b;
	unsigned int da = path_depth(pa->path), db = path_depth(pb->path);

	if (da != db)
		return da < db ? -1 : 1;
	return strcmp(pa->path, pb->path);
}

/* Make the store's node at path what the transaction made it. */
static int
tx_sync(struct simxs_req *r, struct simxs_tx *tx, const char *path)
{
	struct simxs_node *t, *m, *parent;
	char pp[PATH_BUF], cp[PATH_BUF];
	unsigned int i;

	t = tree_lookup(tx->root, path);
	m = tree_lookup(r->xs->root, path);
	if (t == NULL) {
		if (m != NULL && m->parent != NULL)
			remove_node(r, m, path);
		return 0;
	}
	if (m == NULL) {
		path_parent(path, pp);
		if ((parent = tree_lookup(r->xs->root, pp)) == NULL)
			return -EIO;
		m = node_new(t->name, strlen(t->name), t->perms, t->nperms);
		if (m == NULL || node_add_child(parent, m) != 0) {
			node_free(m);
			return -ENOMEM;
		}
		r->xs->nnodes++;
		req_bump(r, parent);
	}
	if (node_set_data(m, t->data, t->datalen) != 0 ||
	    node_set_perms(m, t->perms, t->nperms) != 0)
		return -ENOMEM;
	req_bump(r, m);
	/* Children the transaction removed (others would have conflicted). */
	for (i = 0; i < m->nchild;) {
		if (node_child(t, m->child[i]->name,
		    strlen(m->child[i]->name)) != NULL) {
			i++;
			continue;
		}
		snprintf(cp, sizeof(cp), "%s/%s", strcmp(path, "/") ?
		    path : "", m->child[i]->name);
		remove_node(r, m->child[i], cp);
	}
	fire_watches(r->xs, path, m, false, NULL, 0);
	return 0;
}

/*
 * Apply a transaction that did not conflict: the paths it changed, the
 * shallow ones first, so a created parent exists before its children.
 */
static int
tx_commit(struct simxs_req *r)
{
	struct simxs_tx *tx = r->tx;
	unsigned int i;
	int rc = 0;

	/* qsort() wants a real array even for zero elements. */
	if (tx->npaths > 1)
		qsort(tx->paths, tx->npaths, sizeof(*tx->paths), txpath_cmp);
	r->tx = NULL;	/* edits below go to the store */
	for (i = 0; i < tx->npaths && rc == 0; i++)
		if (tx->paths[i].modified)
			rc = tx_sync(r, tx, tx->paths[i].path);
	r->tx = tx;
	if (rc != 0)
		log_warnx("simxs: transaction %u commit failed: %s", tx->id,
		    strerror(-rc));
	return rc;
}

/* ------------------------------------------------------------ requests */

/* The single path argument, canonical, into path[PATH_BUF]. */
static int
arg_path(struct simxs_req *r, char *path)
{
	const char *a = xs_msg_onearg(r->payload, r->hdr.len);

	if (a == NULL)
		return -EINVAL;
	return path_canon(r->conn, a, path, NULL);
}

static int
do_read(struct simxs_req *r)
{
	struct simxs_node *n;
	char path[PATH_BUF];
	int rc;

	if ((rc = arg_path(r, path)) != 0 ||
	    (rc = get_node(r, path, PERM_READ, &n)) != 0)
		return rc;
	reply(r, n->data, n->datalen);
	return 0;
}

static int
do_write(struct simxs_req *r)
{
	struct simxs_node *n;
	char path[PATH_BUF];
	const uint8_t *val;
	size_t vlen;
	int rc;

	if (r->args.count < 1)
		return -EINVAL;
	val = (const uint8_t *)r->args.arg[0] + r->args.arglen[0] + 1;
	vlen = r->hdr.len - (r->args.arglen[0] + 1);
	if (!conn_priv(r->conn) && vlen > QUOTA_VALUE)
		return -ENOSPC;
	if ((rc = path_canon(r->conn, r->args.arg[0], path, NULL)) != 0)
		return rc;
	rc = get_node(r, path, PERM_WRITE, &n);
	if (rc == -ENOENT)
		rc = create_node(r, path, &n);
	else if (rc == 0 && r->tx != NULL)
		rc = tx_note(r->tx, path, true);
	if (rc != 0)
		return rc;
	if ((rc = node_set_data(n, val, vlen)) != 0)
		return rc;
	req_bump(r, n);
	if (r->tx == NULL)
		fire_watches(r->xs, path, n, false, NULL, 0);
	reply_ok(r);
	return 0;
}

static int
do_mkdir(struct simxs_req *r)
{
	struct simxs_node *n;
	char path[PATH_BUF];
	int rc;

	if ((rc = arg_path(r, path)) != 0)
		return rc;
	rc = get_node(r, path, PERM_WRITE, &n);
	if (rc == -ENOENT) {
		if ((rc = create_node(r, path, &n)) != 0)
			return rc;
		if (r->tx == NULL)
			fire_watches(r->xs, path, n, false, NULL, 0);
	} else if (rc != 0)
		return rc;
	reply_ok(r);
	return 0;
}

static int
do_rm(struct simxs_req *r)
{
	struct simxs_node *n;
	char path[PATH_BUF], pp[PATH_BUF];
	int rc;

	if ((rc = arg_path(r, path)) != 0)
		return rc;
	rc = get_node(r, path, PERM_WRITE, &n);
	path_parent(path, pp);
	if (rc == -ENOENT) {
		/* Gone already is fine, if the parent is there. */
		if (tree_lookup(req_root(r), pp) == NULL)
			return -ENOENT;
		reply_ok(r);
		return 0;
	}
	if (rc != 0)
		return rc;
	if (n->parent == NULL)
		return -EINVAL;
	if (r->tx != NULL && ((rc = tx_note(r->tx, pp, false)) != 0 ||
	    (rc = tx_note(r->tx, path, true)) != 0))
		return rc;
	remove_node(r, n, path);
	reply_ok(r);
	return 0;
}

/* The children's names, each NUL-terminated; *len set.  Caller frees. */
static char *
children_list(const struct simxs_node *n, size_t *len)
{
	unsigned int i;
	size_t total = 0, l;
	char *buf;

	for (i = 0; i < n->nchild; i++)
		total += strlen(n->child[i]->name) + 1;
	if ((buf = malloc(total + 1)) == NULL)
		return NULL;
	for (total = 0, i = 0; i < n->nchild; i++) {
		l = strlen(n->child[i]->name) + 1;
		memcpy(buf + total, n->child[i]->name, l);
		total += l;
	}
	*len = total;
	return buf;
}

static int
do_directory(struct simxs_req *r)
{
	struct simxs_node *n;
	char path[PATH_BUF], *list;
	size_t len;
	int rc;

	if ((rc = arg_path(r, path)) != 0 ||
	    (rc = get_node(r, path, PERM_READ, &n)) != 0)
		return rc;
	if ((list = children_list(n, &len)) == NULL)
		return -ENOMEM;
	reply(r, list, len);
	free(list);
	return 0;
}

/* Xen's send_directory_part(): <gen>|<children from offset>|*[|] */
static int
do_directory_part(struct simxs_req *r)
{
	char path[PATH_BUF], gen[24], out[XS_MSG_PAYLOAD_MAX], *list;
	struct simxs_node *n;
	size_t len, off, genlen, take = 0, l, maxlen;
	int rc;

	if (r->args.count != 2)
		return -EINVAL;
	if ((rc = path_canon(r->conn, r->args.arg[0], path, NULL)) != 0 ||
	    (rc = get_node(r, path, PERM_READ, &n)) != 0)
		return rc;
	off = strtoul(r->args.arg[1], NULL, 10);
	genlen = (size_t)snprintf(gen, sizeof(gen), "%" PRIu64, n->gen) + 1;
	memcpy(out, gen, genlen);
	if ((list = children_list(n, &len)) == NULL)
		return -ENOMEM;
	if (off >= len) {
		out[genlen] = '\0';
		reply(r, out, genlen + 1);
		free(list);
		return 0;
	}
	maxlen = XS_MSG_PAYLOAD_MAX - genlen - 1;
	while (off + take < len) {
		l = strlen(list + off + take);
		if (take + l >= maxlen)
			break;
		take += l + 1;
	}
	memcpy(out + genlen, list + off, take);
	if (off + take == len)
		out[genlen + take++] = '\0';
	free(list);
	reply(r, out, genlen + take);
	return 0;
}

static int
do_get_perms(struct simxs_req *r)
{
	char path[PATH_BUF], buf[XS_MSG_PAYLOAD_MAX + 1];
	struct simxs_node *n;
	size_t len;
	int rc, i;

	if ((rc = arg_path(r, path)) != 0)
		return rc;
	if (path[0] == '@') {
		if ((i = special_index(path)) < 0)
			return -ENOENT;
		len = perm_format(r->xs->special_perms[i],
		    r->xs->special_nperms[i], buf, sizeof(buf));
	} else {
		if ((rc = get_node(r, path, PERM_READ, &n)) != 0)
			return rc;
		len = perm_format(n->perms, n->nperms, buf, sizeof(buf));
	}
	reply(r, buf, len);
	return 0;
}

/*
 * The permission strings after the path of a SET_PERMS payload into
 * perms[max]; returns their number or a negative errno.
 */
static int
parse_perm_list(struct simxs_req *r, struct simxs_perm *perms,
    unsigned int max)
{
	const char *p = (const char *)r->payload;
	const char *end = p + r->hdr.len, *nul;
	unsigned int n = 0;

	p += r->args.arglen[0] + 1;
	while (p < end && (nul = memchr(p, 0, (size_t)(end - p))) != NULL) {
		if (n == max)
			return -ENOSPC;
		if (perm_parse(p, &perms[n]) != 0)
			return -EINVAL;
		n++;
		p = nul + 1;
	}
	return n == 0 ? -EINVAL : (int)n;
}

static int
set_perms_special(struct simxs_req *r, const char *name,
    const struct simxs_perm *perms, unsigned int n)
{
	struct simxs *xs = r->xs;
	int i = special_index(name);

	if (i < 0)
		return -EINVAL;
	if ((perm_for_conn(r->conn, xs->special_perms[i],
	    xs->special_nperms[i]) & (PERM_WRITE | PERM_OWNER)) !=
	    (PERM_WRITE | PERM_OWNER))
		return -EACCES;
	if (n > QUOTA_PERMS)
		return -ENOSPC;
	memcpy(xs->special_perms[i], perms, n * sizeof(*perms));
	xs->special_nperms[i] = n;
	reply_ok(r);
	return 0;
}

static int
do_set_perms(struct simxs_req *r)
{
	struct simxs_perm perms[PRIV_PERMS], *old;
	struct simxs_node *n;
	char path[PATH_BUF];
	unsigned int oldn;
	int np, rc;

	if (r->args.count < 2)
		return -EINVAL;
	np = parse_perm_list(r, perms, conn_priv(r->conn) ? PRIV_PERMS :
	    QUOTA_PERMS);
	if (np < 0)
		return np;
	if (r->args.arg[0][0] == '@')
		return set_perms_special(r, r->args.arg[0], perms,
		    (unsigned int)np);
	if ((rc = path_canon(r->conn, r->args.arg[0], path, NULL)) != 0 ||
	    (rc = get_node(r, path, PERM_WRITE | PERM_OWNER, &n)) != 0)
		return rc;
	if (!conn_priv(r->conn) && perms[0].id != n->perms[0].id)
		return -EPERM;
	if (r->tx != NULL && (rc = tx_note(r->tx, path, true)) != 0)
		return rc;
	old = n->perms;
	oldn = n->nperms;
	n->perms = NULL;
	if ((rc = node_set_perms(n, perms, (unsigned int)np)) != 0) {
		n->perms = old;
		return rc;
	}
	req_bump(r, n);
	if (r->tx == NULL)
		fire_watches(r->xs, path, n, false, old, oldn);
	free(old);
	reply_ok(r);
	return 0;
}

static int
do_watch(struct simxs_req *r)
{
	struct simxs_conn *c = r->conn;
	struct simxs_watch *w;
	char path[PATH_BUF];
	bool rel;
	int rc;

	/* A third string (a depth, newer Xen) is accepted and ignored. */
	if (r->args.count < 2 || r->args.count > 3)
		return -EINVAL;
	if ((rc = path_canon(c, r->args.arg[0], path, &rel)) != 0)
		return rc;
	TAILQ_FOREACH(w, &c->watches, entry)
		if (strcmp(w->path, path) == 0 &&
		    strcmp(w->token, r->args.arg[1]) == 0)
			return -EEXIST;
	if (c->nwatches >= (conn_priv(c) ? PRIV_WATCHES : QUOTA_WATCHES))
		return -E2BIG;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -ENOMEM;
	w->path = strdup(path);
	w->token = strdup(r->args.arg[1]);
	w->relative = rel;
	if (w->path == NULL || w->token == NULL) {
		watch_free(w);
		return -ENOMEM;
	}
	TAILQ_INSERT_TAIL(&c->watches, w, entry);
	c->nwatches++;
	reply_ok(r);
	/* Fired once straight away, as xenstored does. */
	send_event(c, watch_event_path(c, w, w->path), w->token);
	return 0;
}

static int
do_unwatch(struct simxs_req *r)
{
	struct simxs_conn *c = r->conn;
	struct simxs_watch *w;
	char path[PATH_BUF];

	if (r->args.count < 2)
		return -EINVAL;
	if (path_canon(c, r->args.arg[0], path, NULL) != 0)
		return -ENOENT;
	TAILQ_FOREACH(w, &c->watches, entry) {
		if (strcmp(w->path, path) == 0 &&
		    strcmp(w->token, r->args.arg[1]) == 0) {
			TAILQ_REMOVE(&c->watches, w, entry);
			c->nwatches--;
			watch_free(w);
			reply_ok(r);
			return 0;
		}
	}
	return -ENOENT;
}

static int
do_tx_start(struct simxs_req *r)
{
	struct simxs *xs = r->xs;
	struct simxs_conn *c = r->conn;
	struct simxs_tx *tx;
	char buf[16];

	if (r->tx != NULL)
		return -EBUSY;
	if (c->ntx >= (conn_priv(c) ? PRIV_TX : QUOTA_TX))
		return -ENOSPC;
	if (xs->tx_copied + xs->nnodes > TX_MAX_COPIED)
		return -ENOSPC;
	if ((tx = calloc(1, sizeof(*tx))) == NULL)
		return -ENOMEM;
	if ((tx->root = node_copy(xs->root, NULL)) == NULL) {
		free(tx);
		return -ENOMEM;
	}
	tx->nnodes = xs->nnodes;
	xs->tx_copied += tx->nnodes;
	do {
		tx->id = xs->next_txid++;
	} while (tx->id == 0 || txid_in_use(xs, tx->id));
	TAILQ_INSERT_TAIL(&c->txs, tx, entry);
	c->ntx++;
	reply(r, buf, (size_t)snprintf(buf, sizeof(buf), "%u", tx->id) + 1);
	return 0;
}

static int
do_tx_end(struct simxs_req *r)
{
	struct simxs_tx *tx = r->tx;
	const char *a = xs_msg_onearg(r->payload, r->hdr.len);
	int rc = 0;

	if (tx == NULL)
		return -ENOENT;
	if (a == NULL || (strcmp(a, "T") != 0 && strcmp(a, "F") != 0))
		return -EINVAL;
	if (a[0] == 'T') {
		if (tx_conflicts(r->xs, tx))
			rc = -EAGAIN;
		else
			rc = tx_commit(r);
	}
	conn_end_tx(r->conn, tx);
	r->tx = NULL;
	if (rc != 0)
		return rc;
	reply_ok(r);
	return 0;
}

static int
arg_domid(struct simxs_req *r)
{
	if (r->args.count < 1)
		return -EINVAL;
	return domid_parse(r->args.arg[0]);
}

static void
introduced_set(struct simxs *xs, unsigned int domid, bool on)
{
	if (on)
		xs->introduced[domid / 8] |= (uint8_t)(1U << (domid % 8));
	else
		xs->introduced[domid / 8] &= (uint8_t)~(1U << (domid % 8));
}

int
simxs_is_introduced(const struct simxs *xs, unsigned int domid)
{
	if (domid == 0)
		return 1;
	if (domid > DOMID_MAX)
		return 0;
	return (xs->introduced[domid / 8] >> (domid % 8)) & 1;
}

static int
do_introduce(struct simxs_req *r)
{
	int domid;

	if (r->args.count < 3)
		return -EINVAL;
	if ((domid = arg_domid(r)) < 0)
		return domid;
	if (domid == 0 || (unsigned int)domid >= DOMID_FIRST_RESERVED)
		return -EINVAL;
	if (!simxs_is_introduced(r->xs, (unsigned int)domid)) {
		introduced_set(r->xs, (unsigned int)domid, true);
		simxs_fire_special(r->xs, "@introduceDomain");
	}
	reply_ok(r);
	return 0;
}

static int
do_release(struct simxs_req *r)
{
	int domid;

	if ((domid = arg_domid(r)) < 0)
		return domid;
	if (domid == 0 || (unsigned int)domid >= DOMID_FIRST_RESERVED)
		return -EINVAL;
	if (!simxs_is_introduced(r->xs, (unsigned int)domid))
		return -ENOENT;
	introduced_set(r->xs, (unsigned int)domid, false);
	simxs_fire_special(r->xs, "@releaseDomain");
	reply_ok(r);
	return 0;
}

static int
do_resume(struct simxs_req *r)
{
	int domid;

	if ((domid = arg_domid(r)) < 0)
		return domid;
	if (!simxs_is_introduced(r->xs, (unsigned int)domid))
		return -ENOENT;
	reply_ok(r);
	return 0;
}

static int
do_get_domain_path(struct simxs_req *r)
{
	char buf[32];
	int domid;

	if ((domid = arg_domid(r)) < 0)
		return domid;
	reply(r, buf, (size_t)snprintf(buf, sizeof(buf), LOCAL_DOMAIN "%d",
	    domid) + 1);
	return 0;
}

static int
do_is_introduced(struct simxs_req *r)
{
	int domid;

	if ((domid = arg_domid(r)) < 0)
		return domid;
	reply(r, simxs_is_introduced(r->xs, (unsigned int)domid) ? "T" : "F",
	    2);
	return 0;
}

static int
do_set_target(struct simxs_req *r)
{
	struct simxs *xs = r->xs;
	int domid, target;
	unsigned int i;

	if (r->args.count < 2 || (domid = arg_domid(r)) < 0 ||
	    (target = domid_parse(r->args.arg[1])) < 0)
		return -EINVAL;
	for (i = 0; i < xs->ntargets; i++)
		if (xs->targets[i].domid == domid)
			break;
	if (i == (sizeof(xs->targets) / sizeof(xs->targets[0])))
		return -ENOSPC;
	xs->targets[i].domid = (uint16_t)domid;
	xs->targets[i].target = (uint16_t)target;
	if (i == xs->ntargets)
		xs->ntargets++;
	reply_ok(r);
	return 0;
}

static void
conn_reset(struct simxs_conn *c)
{
	struct simxs_watch *w;
	struct simxs_tx *tx;

	while ((w = TAILQ_FIRST(&c->watches)) != NULL) {
		TAILQ_REMOVE(&c->watches, w, entry);
		watch_free(w);
	}
	c->nwatches = 0;
	while ((tx = TAILQ_FIRST(&c->txs)) != NULL)
		conn_end_tx(c, tx);
}

static int
do_reset_watches(struct simxs_req *r)
{
	conn_reset(r->conn);
	r->tx = NULL;
	reply_ok(r);
	return 0;
}

static int
do_control(struct simxs_req *r)
{
	static const char help[] = "check\nhelp\nprint\n";

	if (r->args.count < 1)
		return -EINVAL;
	if (strcmp(r->args.arg[0], "check") == 0) {
		reply_ok(r);
	} else if (strcmp(r->args.arg[0], "help") == 0) {
		reply(r, help, sizeof(help));
	} else if (strcmp(r->args.arg[0], "print") == 0 &&
	    r->args.count >= 2) {
		log_info("simxs: control print: %.200s", r->args.arg[1]);
		reply_ok(r);
	} else
		return -EINVAL;
	return 0;
}

#define FLAG_PRIV	0x1	/* domain 0 only */
#define FLAG_NOTID	0x2	/* the tx_id is ignored */

static const struct {
	int		(*fn)(struct simxs_req *);
	unsigned int	flags;
} simxs_ops[XS_MSG_TYPE_COUNT] = {
	[XS_MSG_CONTROL] = { do_control, FLAG_PRIV },
	[XS_MSG_DIRECTORY] = { do_directory, 0 },
	[XS_MSG_READ] = { do_read, 0 },
	[XS_MSG_GET_PERMS] = { do_get_perms, 0 },
	[XS_MSG_WATCH] = { do_watch, FLAG_NOTID },
	[XS_MSG_UNWATCH] = { do_unwatch, FLAG_NOTID },
	[XS_MSG_TRANSACTION_START] = { do_tx_start, 0 },
	[XS_MSG_TRANSACTION_END] = { do_tx_end, 0 },
	[XS_MSG_INTRODUCE] = { do_introduce, FLAG_PRIV },
	[XS_MSG_RELEASE] = { do_release, FLAG_PRIV },
	[XS_MSG_GET_DOMAIN_PATH] = { do_get_domain_path, 0 },
	[XS_MSG_WRITE] = { do_write, 0 },
	[XS_MSG_MKDIR] = { do_mkdir, 0 },
	[XS_MSG_RM] = { do_rm, 0 },
	[XS_MSG_SET_PERMS] = { do_set_perms, 0 },
	[XS_MSG_IS_DOMAIN_INTRODUCED] = { do_is_introduced, FLAG_PRIV },
	[XS_MSG_RESUME] = { do_resume, FLAG_PRIV },
	[XS_MSG_SET_TARGET] = { do_set_target, FLAG_PRIV },
	[XS_MSG_RESET_WATCHES] = { do_reset_watches, 0 },
	[XS_MSG_DIRECTORY_PART] = { do_directory_part, 0 },
};

int
simxs_conn_request(struct simxs_conn *conn, const void *msg, size_t len)
{
	struct simxs_req r;
	int rc;

	memset(&r, 0, sizeof(r));
	if ((rc = xs_msg_decode_hdr(msg, len, &r.hdr)) != 0)
		return rc == -EAGAIN ? -EPROTO : rc;
	if (len != XS_MSG_HDR_LEN + (size_t)r.hdr.len)
		return -EPROTO;
	r.xs = conn->xs;
	r.conn = conn;
	r.payload = (const uint8_t *)msg + XS_MSG_HDR_LEN;
	xs_msg_split(r.payload, r.hdr.len, &r.args);
	if (r.hdr.type >= XS_MSG_TYPE_COUNT || simxs_ops[r.hdr.type].fn == NULL)
		rc = -ENOSYS;
	else if ((simxs_ops[r.hdr.type].flags & FLAG_PRIV) && !conn_priv(conn))
		rc = -EACCES;
	else if (!(simxs_ops[r.hdr.type].flags & FLAG_NOTID) &&
	    r.hdr.tx_id != 0 &&
	    (r.tx = tx_lookup(conn, r.hdr.tx_id)) == NULL)
		rc = -ENOENT;
	else
		rc = simxs_ops[r.hdr.type].fn(&r);
	if (rc != 0)
		reply_error(&r, rc);
	return 0;
}

/* ------------------------------------------------------------ lifetime */

struct simxs *
simxs_new(void)
{
	static const char *const initial[] = {
		"tool", "local", "local/domain"
	};
	struct simxs_perm p0 = { 0, PERM_NONE };
	struct simxs_node *parent, *n;
	struct simxs *xs;
	const char *slash;
	size_t i;

	if ((xs = calloc(1, sizeof(*xs))) == NULL)
		return NULL;
	TAILQ_INIT(&xs->conns);
	xs->next_txid = 1;
	if ((xs->root = node_new("", 0, &p0, 1)) == NULL)
		goto fail;
	xs->root->gen = ++xs->gen;
	xs->nnodes = 1;
	for (i = 0; i < sizeof(initial) / sizeof(initial[0]); i++) {
		slash = strrchr(initial[i], '/');
		parent = slash ? node_child(xs->root, initial[i],
		    (size_t)(slash - initial[i])) : xs->root;
		slash = slash ? slash + 1 : initial[i];
		if ((n = node_new(slash, strlen(slash), &p0, 1)) == NULL)
			goto fail;
		if (node_add_child(parent, n) != 0) {
			node_free(n);
			goto fail;
		}
		n->gen = ++xs->gen;
		xs->nnodes++;
	}
	for (i = 0; i < 2; i++) {
		xs->special_perms[i][0] = p0;
		xs->special_nperms[i] = 1;
	}
	return xs;
fail:
	simxs_free(xs);
	return NULL;
}

void
simxs_free(struct simxs *xs)
{
	struct simxs_conn *c;

	if (xs == NULL)
		return;
	while ((c = TAILQ_FIRST(&xs->conns)) != NULL)
		simxs_conn_free(c);
	node_free(xs->root);
	free(xs);
}

unsigned int
simxs_node_count(const struct simxs *xs)
{
	return xs->nnodes;
}

struct simxs_conn *
simxs_conn_new(struct simxs *xs, unsigned int domid)
{
	struct simxs_conn *c;

	if (domid > DOMID_MAX)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->xs = xs;
	c->domid = domid;
	snprintf(c->base, sizeof(c->base), LOCAL_DOMAIN "%u", domid);
	TAILQ_INIT(&c->watches);
	TAILQ_INIT(&c->txs);
	TAILQ_INSERT_TAIL(&xs->conns, c, entry);
	return c;
}

void
simxs_conn_free(struct simxs_conn *c)
{
	struct simxs_out *o;

	if (c == NULL)
		return;
	conn_reset(c);
	while ((o = c->out_head) != NULL) {
		c->out_head = o->next;
		free(o);
	}
	TAILQ_REMOVE(&c->xs->conns, c, entry);
	free(c);
}

unsigned int
simxs_conn_domid(const struct simxs_conn *c)
{
	return c->domid;
}

size_t
simxs_conn_out_len(const struct simxs_conn *c)
{
	return c->out_len;
}

const void *
simxs_conn_out_peek(const struct simxs_conn *c, size_t *len)
{
	if (c->out_head == NULL) {
		*len = 0;
		return NULL;
	}
	*len = c->out_head->len - c->out_head->off;
	return c->out_head->data + c->out_head->off;
}

void
simxs_conn_out_consume(struct simxs_conn *c, size_t n)
{
	struct simxs_out *o;
	size_t k;

	while (n > 0 && (o = c->out_head) != NULL) {
		k = o->len - o->off < n ? o->len - o->off : n;
		o->off += k;
		c->out_len -= k;
		n -= k;
		if (o->off == o->len) {
			c->out_head = o->next;
			if (c->out_head == NULL)
				c->out_tail = NULL;
			free(o);
		}
	}
}

int
simxs_conn_pop(struct simxs_conn *c, struct xs_msg_hdr *hdr, void *payload,
    size_t cap)
{
	struct simxs_out *o = c->out_head;

	/* Messages are queued whole, so a fresh head is a whole message. */
	if (o == NULL || o->off != 0)
		return -ENOENT;
	if (xs_msg_decode_hdr(o->data, o->len, hdr) != 0)
		return -EIO;
	if (hdr->len > cap)
		return -ENOBUFS;
	memcpy(payload, o->data + XS_MSG_HDR_LEN, hdr->len);
	simxs_conn_out_consume(c, o->len);
	return (int)hdr->len;
}
