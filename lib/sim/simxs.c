/*
 * simxs.c - the simulated host's xenstore: connections and their output
 * queues, the handling of each request type, and the store's lifetime.
 * The tree, its paths, watches and transactions are in simxs_tree.c,
 * permissions and quotas in simxs_perm.c.  See simxs.h.
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
#include "simxs_int.h"

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

void
simxs_send_event(struct simxs_conn *conn, const char *path, const char *token)
{
	char buf[XS_MSG_PAYLOAD_MAX];
	size_t pl = strlen(path) + 1, tl = strlen(token) + 1;

	if (pl + tl > sizeof(buf))
		return;		/* xenstored does not send over-long events */
	memcpy(buf, path, pl);
	memcpy(buf + pl, token, tl);
	conn_queue(conn, XS_MSG_WATCH_EVENT, 0, 0, buf, pl + tl);
}

/* ------------------------------------------------------------ requests */

/* The single path argument, canonical, into path[PATH_BUF]. */
static int
arg_path(struct simxs_req *r, char *path)
{
	const char *a = xs_msg_onearg(r->payload, r->hdr.len);

	if (a == NULL)
		return -EINVAL;
	return simxs_tree_path_canon(r->conn, a, path, NULL);
}

static int
do_read(struct simxs_req *r)
{
	struct simxs_node *n;
	char path[PATH_BUF];
	int rc;

	if ((rc = arg_path(r, path)) != 0 ||
	    (rc = simxs_tree_get_node(r, path, PERM_READ, &n)) != 0)
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
	if (!simxs_perm_conn_priv(r->conn) && vlen > QUOTA_VALUE)
		return -ENOSPC;
	if ((rc = simxs_tree_path_canon(r->conn, r->args.arg[0], path,
	    NULL)) != 0)
		return rc;
	rc = simxs_tree_get_node(r, path, PERM_WRITE, &n);
	if (rc == -ENOENT)
		rc = simxs_tree_create_node(r, path, &n);
	else if (rc == 0 && r->tx != NULL)
		rc = simxs_tree_tx_note(r->tx, path, true);
	if (rc != 0)
		return rc;
	if ((rc = simxs_tree_node_set_data(n, val, vlen)) != 0)
		return rc;
	simxs_tree_req_bump(r, n);
	if (r->tx == NULL)
		simxs_tree_fire_watches(r->xs, path, n, false, NULL, 0);
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
	rc = simxs_tree_get_node(r, path, PERM_WRITE, &n);
	if (rc == -ENOENT) {
		if ((rc = simxs_tree_create_node(r, path, &n)) != 0)
			return rc;
		if (r->tx == NULL)
			simxs_tree_fire_watches(r->xs, path, n, false, NULL, 0);
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
	rc = simxs_tree_get_node(r, path, PERM_WRITE, &n);
	simxs_tree_path_parent(path, pp);
	if (rc == -ENOENT) {
		/* Gone already is fine, if the parent is there. */
		if (simxs_tree_lookup(simxs_tree_req_root(r), pp) == NULL)
			return -ENOENT;
		reply_ok(r);
		return 0;
	}
	if (rc != 0)
		return rc;
	if (n->parent == NULL)
		return -EINVAL;
	if (r->tx != NULL &&
	    ((rc = simxs_tree_tx_note(r->tx, pp, false)) != 0 ||
	    (rc = simxs_tree_tx_note(r->tx, path, true)) != 0))
		return rc;
	simxs_tree_remove_node(r, n, path);
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
	    (rc = simxs_tree_get_node(r, path, PERM_READ, &n)) != 0)
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
	if ((rc = simxs_tree_path_canon(r->conn, r->args.arg[0], path,
	    NULL)) != 0 ||
	    (rc = simxs_tree_get_node(r, path, PERM_READ, &n)) != 0)
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
		if ((i = simxs_perm_special_index(path)) < 0)
			return -ENOENT;
		len = simxs_perm_format(r->xs->special_perms[i],
		    r->xs->special_nperms[i], buf, sizeof(buf));
	} else {
		if ((rc = simxs_tree_get_node(r, path, PERM_READ, &n)) != 0)
			return rc;
		len = simxs_perm_format(n->perms, n->nperms, buf, sizeof(buf));
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
		if (simxs_perm_parse(p, &perms[n]) != 0)
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
	int i = simxs_perm_special_index(name);

	if (i < 0)
		return -EINVAL;
	if ((simxs_perm_for_conn(r->conn, xs->special_perms[i],
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
	np = parse_perm_list(r, perms, simxs_perm_conn_priv(r->conn) ?
	    PRIV_PERMS : QUOTA_PERMS);
	if (np < 0)
		return np;
	if (r->args.arg[0][0] == '@')
		return set_perms_special(r, r->args.arg[0], perms,
		    (unsigned int)np);
	if ((rc = simxs_tree_path_canon(r->conn, r->args.arg[0], path,
	    NULL)) != 0 ||
	    (rc = simxs_tree_get_node(r, path, PERM_WRITE | PERM_OWNER,
	    &n)) != 0)
		return rc;
	if (!simxs_perm_conn_priv(r->conn) && perms[0].id != n->perms[0].id)
		return -EPERM;
	if (r->tx != NULL && (rc = simxs_tree_tx_note(r->tx, path, true)) != 0)
		return rc;
	old = n->perms;
	oldn = n->nperms;
	n->perms = NULL;
	if ((rc = simxs_tree_node_set_perms(n, perms, (unsigned int)np)) != 0) {
		n->perms = old;
		return rc;
	}
	simxs_tree_req_bump(r, n);
	if (r->tx == NULL)
		simxs_tree_fire_watches(r->xs, path, n, false, old, oldn);
	free(old);
	reply_ok(r);
	return 0;
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
	if ((rc = simxs_tree_path_canon(c, r->args.arg[0], path, &rel)) != 0)
		return rc;
	TAILQ_FOREACH(w, &c->watches, entry)
		if (strcmp(w->path, path) == 0 &&
		    strcmp(w->token, r->args.arg[1]) == 0)
			return -EEXIST;
	if (c->nwatches >= (simxs_perm_conn_priv(c) ? PRIV_WATCHES :
	    QUOTA_WATCHES))
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
	simxs_send_event(c, simxs_tree_watch_event_path(c, w, w->path),
	    w->token);
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
	if (simxs_tree_path_canon(c, r->args.arg[0], path, NULL) != 0)
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
	if (c->ntx >= (simxs_perm_conn_priv(c) ? PRIV_TX : QUOTA_TX))
		return -ENOSPC;
	if (xs->tx_copied + xs->nnodes > TX_MAX_COPIED)
		return -ENOSPC;
	if ((tx = calloc(1, sizeof(*tx))) == NULL)
		return -ENOMEM;
	if ((tx->root = simxs_tree_node_copy(xs->root, NULL)) == NULL) {
		free(tx);
		return -ENOMEM;
	}
	tx->nnodes = xs->nnodes;
	xs->tx_copied += tx->nnodes;
	do {
		tx->id = xs->next_txid++;
	} while (tx->id == 0 || simxs_tree_txid_in_use(xs, tx->id));
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
		if (simxs_tree_tx_conflicts(r->xs, tx))
			rc = -EAGAIN;
		else
			rc = simxs_tree_tx_commit(r);
	}
	simxs_tree_conn_end_tx(r->conn, tx);
	r->tx = NULL;
	if (rc != 0)
		return rc;
	reply_ok(r);
	return 0;
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
		simxs_tree_conn_end_tx(c, tx);
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
	else if ((simxs_ops[r.hdr.type].flags & FLAG_PRIV) &&
	    !simxs_perm_conn_priv(conn))
		rc = -EACCES;
	else if (!(simxs_ops[r.hdr.type].flags & FLAG_NOTID) &&
	    r.hdr.tx_id != 0 &&
	    (r.tx = simxs_tree_tx_lookup(conn, r.hdr.tx_id)) == NULL)
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
	if ((xs->root = simxs_tree_node_new("", 0, &p0, 1)) == NULL)
		goto fail;
	xs->root->gen = ++xs->gen;
	xs->nnodes = 1;
	for (i = 0; i < sizeof(initial) / sizeof(initial[0]); i++) {
		slash = strrchr(initial[i], '/');
		parent = slash ? simxs_tree_node_child(xs->root, initial[i],
		    (size_t)(slash - initial[i])) : xs->root;
		slash = slash ? slash + 1 : initial[i];
		if ((n = simxs_tree_node_new(slash, strlen(slash), &p0,
		    1)) == NULL)
			goto fail;
		if (simxs_tree_node_add_child(parent, n) != 0) {
			simxs_tree_node_free(n);
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
	simxs_tree_node_free(xs->root);
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
