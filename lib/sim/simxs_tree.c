/*
 * simxs_tree.c - the simulated xenstore's tree: nodes, paths, watches
 * fired by changes, transactions (a copy of the tree and the paths they
 * used), the edits a request makes and the commit of a transaction.
 * Called by the request handlers in simxs.c; see simxs_int.h.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "log.h"
#include "simxs.h"
#include "simxs_int.h"

/* ------------------------------------------------------------ nodes */

void
simxs_tree_node_free(struct simxs_node *n)
{
	unsigned int i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nchild; i++)
		simxs_tree_node_free(n->child[i]);
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

struct simxs_node *
simxs_tree_node_new(const char *name, size_t namelen,
    const struct simxs_perm *perms, unsigned int nperms)
{
	struct simxs_node *n;

	if ((n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	n->name = strndup(name, namelen);
	n->perms = calloc(nperms, sizeof(*perms));
	if (n->name == NULL || n->perms == NULL) {
		simxs_tree_node_free(n);
		return NULL;
	}
	memcpy(n->perms, perms, nperms * sizeof(*perms));
	n->nperms = nperms;
	return n;
}

int
simxs_tree_node_set_data(struct simxs_node *n, const void *data, size_t len)
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

int
simxs_tree_node_set_perms(struct simxs_node *n, const struct simxs_perm *perms,
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

struct simxs_node *
simxs_tree_node_copy(const struct simxs_node *src, struct simxs_node *parent)
{
	struct simxs_node *n;
	unsigned int i;

	n = simxs_tree_node_new(src->name, strlen(src->name), src->perms,
	    src->nperms);
	if (n == NULL)
		return NULL;
	n->parent = parent;
	n->gen = src->gen;
	if (simxs_tree_node_set_data(n, src->data, src->datalen) != 0)
		goto fail;
	if (src->nchild > 0) {
		n->child = calloc(src->nchild, sizeof(*n->child));
		if (n->child == NULL)
			goto fail;
		n->childcap = src->nchild;
	}
	for (i = 0; i < src->nchild; i++) {
		if ((n->child[i] = simxs_tree_node_copy(src->child[i],
		    n)) == NULL)
			goto fail;
		n->nchild++;
	}
	return n;
fail:
	simxs_tree_node_free(n);
	return NULL;
}

struct simxs_node *
simxs_tree_node_child(const struct simxs_node *n, const char *name, size_t len)
{
	unsigned int i;

	for (i = 0; i < n->nchild; i++)
		if (strncmp(n->child[i]->name, name, len) == 0 &&
		    n->child[i]->name[len] == '\0')
			return n->child[i];
	return NULL;
}

int
simxs_tree_node_add_child(struct simxs_node *parent, struct simxs_node *child)
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
struct simxs_node *
simxs_tree_lookup(struct simxs_node *root, const char *path)
{
	struct simxs_node *n = root;
	const char *p = path + 1, *slash;
	size_t len;

	while (n != NULL && *p != '\0') {
		slash = strchr(p, '/');
		len = slash ? (size_t)(slash - p) : strlen(p);
		n = simxs_tree_node_child(n, p, len);
		p += len;
		if (*p == '/')
			p++;
	}
	return n;
}

/* ------------------------------------------------------------ paths */

/* The path's parent into out[PATH_BUF]; "/" for "/x". */
void
simxs_tree_path_parent(const char *path, char *out)
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
int
simxs_tree_path_canon(const struct simxs_conn *conn, const char *in, char *out,
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

/* The event path as the watcher sees it (relative if it asked so). */
const char *
simxs_tree_watch_event_path(const struct simxs_conn *conn,
    const struct simxs_watch *w, const char *path)
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
void
simxs_tree_fire_watches(struct simxs *xs, const char *path,
    const struct simxs_node *n, bool exact, const struct simxs_perm *oldp,
    unsigned int oldn)
{
	struct simxs_conn *c;
	struct simxs_watch *w;

	TAILQ_FOREACH(c, &xs->conns, entry) {
		if (!simxs_perm_watch_permitted(c, n, oldp, oldn))
			continue;
		TAILQ_FOREACH(w, &c->watches, entry) {
			if (exact ? strcmp(path, w->path) == 0 :
			    path_is_child(path, w->path))
				simxs_send_event(c,
				    simxs_tree_watch_event_path(c, w, path),
				    w->token);
		}
	}
}

void
simxs_fire_special(struct simxs *xs, const char *name)
{
	struct simxs_conn *c;
	struct simxs_watch *w;
	int i = simxs_perm_special_index(name);

	if (i < 0)
		return;
	TAILQ_FOREACH(c, &xs->conns, entry) {
		if (!simxs_perm_conn_priv(c) && !(simxs_perm_for_conn(c,
		    xs->special_perms[i], xs->special_nperms[i]) & PERM_READ))
			continue;
		TAILQ_FOREACH(w, &c->watches, entry)
			if (path_is_child(name, w->path))
				simxs_send_event(c, name, w->token);
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
	simxs_tree_fire_watches(xs, path, n, !root, NULL, 0);
}

/* ------------------------------------------------------------ transactions */

static void
tx_free(struct simxs *xs, struct simxs_tx *tx)
{
	unsigned int i;

	if (tx == NULL)
		return;
	xs->tx_copied -= tx->nnodes;
	simxs_tree_node_free(tx->root);
	for (i = 0; i < tx->npaths; i++)
		free(tx->paths[i].path);
	free(tx->paths);
	free(tx);
}

void
simxs_tree_conn_end_tx(struct simxs_conn *conn, struct simxs_tx *tx)
{
	TAILQ_REMOVE(&conn->txs, tx, entry);
	conn->ntx--;
	tx_free(conn->xs, tx);
}

/*
 * Remember that the transaction used "path" (before changing it): its
 * generation at the start, as the copy still has it.
 */
int
simxs_tree_tx_note(struct simxs_tx *tx, const char *path, bool modified)
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
	n = simxs_tree_lookup(tx->root, path);
	p->gen = n ? n->gen : 0;
	p->modified = modified;
	tx->npaths++;
	return 0;
}

struct simxs_tx *
simxs_tree_tx_lookup(struct simxs_conn *conn, uint32_t id)
{
	struct simxs_tx *tx;

	TAILQ_FOREACH(tx, &conn->txs, entry)
		if (tx->id == id)
			return tx;
	return NULL;
}

bool
simxs_tree_txid_in_use(struct simxs *xs, uint32_t id)
{
	struct simxs_conn *c;

	TAILQ_FOREACH(c, &xs->conns, entry)
		if (simxs_tree_tx_lookup(c, id) != NULL)
			return true;
	return false;
}

/* ------------------------------------------------------------ tree edits */

struct simxs_node *
simxs_tree_req_root(const struct simxs_req *r)
{
	return r->tx ? r->tx->root : r->xs->root;
}

unsigned int *
simxs_tree_req_nnodes(struct simxs_req *r)
{
	return r->tx ? &r->tx->nnodes : &r->xs->nnodes;
}

/* A change in the store gets a new generation; a copy keeps its own. */
void
simxs_tree_req_bump(struct simxs_req *r, struct simxs_node *n)
{
	if (r->tx == NULL && n != NULL)
		n->gen = ++r->xs->gen;
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
		if ((c = simxs_tree_node_child(n, p, len)) == NULL)
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
int
simxs_tree_get_node(struct simxs_req *r, const char *path, unsigned int perm,
    struct simxs_node **out)
{
	struct simxs_node *n;
	const char *rest;
	int rc;

	*out = NULL;
	if (r->tx != NULL &&
	    (rc = simxs_tree_tx_note(r->tx, path, false)) != 0)
		return rc;
	n = nearest(simxs_tree_req_root(r), path, &rest);
	if (*rest == '\0') {
		if ((simxs_perm_for_conn(r->conn, n->perms, n->nperms) & perm) !=
		    perm)
			return -EACCES;
		*out = n;
		return 0;
	}
	if (simxs_perm_for_conn(r->conn, n->perms, n->nperms) & perm)
		return -ENOENT;
	return -EACCES;
}

/*
 * Create the missing nodes down to "path", inheriting permissions (owned
 * by an unprivileged creator).  Returns 0 and the last node in *out, or a
 * negative errno with nothing created.
 */
int
simxs_tree_create_node(struct simxs_req *r, const char *path,
    struct simxs_node **out)
{
	struct simxs_node *parent, *n = NULL, *first = NULL;
	const char *rest, *p, *slash;
	char sub[PATH_BUF];
	unsigned int levels = 0, made = 0;
	size_t len;
	int rc;

	parent = nearest(simxs_tree_req_root(r), path, &rest);
	for (p = rest; *p != '\0'; p = slash ? slash + 1 : p + strlen(p)) {
		slash = strchr(p, '/');
		levels++;
	}
	if ((rc = simxs_perm_check_quota(r, levels)) != 0)
		return rc;
	if (r->tx != NULL) {
		/* The ancestor's child list changes: a conflict point. */
		len = rest > path + 1 ? (size_t)(rest - path - 1) : 1;
		memcpy(sub, path, len);
		sub[len] = '\0';
		if ((rc = simxs_tree_tx_note(r->tx, sub, false)) != 0 ||
		    (rc = simxs_tree_tx_note(r->tx, path, true)) != 0)
			return rc;
	}
	for (p = rest; *p != '\0'; p = slash ? slash + 1 : p + strlen(p)) {
		slash = strchr(p, '/');
		len = slash ? (size_t)(slash - p) : strlen(p);
		memcpy(sub, path, (size_t)(p + len - path));
		sub[p + len - path] = '\0';
		rc = -ENOMEM;
		if ((n = simxs_tree_node_new(p, len, parent->perms,
		    parent->nperms)) == NULL)
			goto fail;
		if (simxs_tree_node_add_child(parent, n) != 0) {
			simxs_tree_node_free(n);
			goto fail;
		}
		made++;
		if (first == NULL)
			first = n;
		if (!simxs_perm_conn_priv(r->conn))
			n->perms[0].id = (uint16_t)r->conn->domid;
		if (r->tx != NULL &&
		    (rc = simxs_tree_tx_note(r->tx, sub, true)) != 0)
			goto fail;
		simxs_tree_req_bump(r, parent);
		simxs_tree_req_bump(r, n);
		parent = n;
	}
	*simxs_tree_req_nnodes(r) += made;
	*out = parent;
	return 0;
fail:
	if (first != NULL) {
		node_unlink(first);
		simxs_tree_node_free(first);
	}
	return rc;
}

/* Remove a subtree (not the root) from the tree a request works on. */
void
simxs_tree_remove_node(struct simxs_req *r, struct simxs_node *n,
    const char *path)
{
	char buf[PATH_BUF];

	if (r->tx == NULL) {
		snprintf(buf, sizeof(buf), "%s", path);
		fire_rm(r->xs, n, buf, strlen(buf), true);
	}
	simxs_tree_req_bump(r, n->parent);
	*simxs_tree_req_nnodes(r) -= node_count(n);
	node_unlink(n);
	simxs_tree_node_free(n);
}

/* ------------------------------------------------------------ commit */

bool
simxs_tree_tx_conflicts(struct simxs *xs, const struct simxs_tx *tx)
{
	const struct simxs_node *n;
	unsigned int i;

	for (i = 0; i < tx->npaths; i++) {
		n = simxs_tree_lookup(xs->root, tx->paths[i].path);
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

	t = simxs_tree_lookup(tx->root, path);
	m = simxs_tree_lookup(r->xs->root, path);
	if (t == NULL) {
		if (m != NULL && m->parent != NULL)
			simxs_tree_remove_node(r, m, path);
		return 0;
	}
	if (m == NULL) {
		simxs_tree_path_parent(path, pp);
		if ((parent = simxs_tree_lookup(r->xs->root, pp)) == NULL)
			return -EIO;
		m = simxs_tree_node_new(t->name, strlen(t->name), t->perms,
		    t->nperms);
		if (m == NULL || simxs_tree_node_add_child(parent, m) != 0) {
			simxs_tree_node_free(m);
			return -ENOMEM;
		}
		r->xs->nnodes++;
		simxs_tree_req_bump(r, parent);
	}
	if (simxs_tree_node_set_data(m, t->data, t->datalen) != 0 ||
	    simxs_tree_node_set_perms(m, t->perms, t->nperms) != 0)
		return -ENOMEM;
	simxs_tree_req_bump(r, m);
	/* Children the transaction removed (others would have conflicted). */
	for (i = 0; i < m->nchild;) {
		if (simxs_tree_node_child(t, m->child[i]->name,
		    strlen(m->child[i]->name)) != NULL) {
			i++;
			continue;
		}
		snprintf(cp, sizeof(cp), "%s/%s", strcmp(path, "/") ?
		    path : "", m->child[i]->name);
		simxs_tree_remove_node(r, m->child[i], cp);
	}
	simxs_tree_fire_watches(r->xs, path, m, false, NULL, 0);
	return 0;
}

/*
 * Apply a transaction that did not conflict: the paths it changed, the
 * shallow ones first, so a created parent exists before its children.
 */
int
simxs_tree_tx_commit(struct simxs_req *r)
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
