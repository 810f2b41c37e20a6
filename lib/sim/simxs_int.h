/*
 * simxs_int.h - private to lib/sim/simxs*.c: the simulated xenstore's
 * limits and structures, and the helpers its three files share:
 *
 *   simxs.c       connections, output queues, requests, lifetime
 *   simxs_tree.c  nodes, paths, watches, transactions, edits, commit
 *   simxs_perm.c  permissions and quotas
 *
 * Nothing outside lib/sim/simxs*.c includes this; simxs.h is the API.
 */
#ifndef XMIG_SIMXS_INT_H
#define XMIG_SIMXS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "simxs.h"
#include "xs_msg.h"

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

/* ------------------------------------------------------------ simxs.c */

/*
 * Queue a watch event "path" with "token" on conn's output.  Dropped
 * (nothing queued) when the two do not fit one payload, when the queue
 * is over SIMXS_OUT_MAX, or when memory runs out.
 */
void	simxs_send_event(struct simxs_conn *conn, const char *path,
	    const char *token);

/* ------------------------------------------------------------ simxs_tree.c */

/*
 * A new node named by the first namelen bytes of "name", with a copy of
 * perms[nperms], no value, no parent and generation 0.  NULL on
 * allocation failure.  Free with simxs_tree_node_free().
 */
struct simxs_node *simxs_tree_node_new(const char *name, size_t namelen,
	    const struct simxs_perm *perms, unsigned int nperms);

/*
 * Free n and its whole subtree; n is not unlinked from its parent.  NULL
 * is fine.
 */
void	simxs_tree_node_free(struct simxs_node *n);

/*
 * Replace n's value with a copy of data[len] (len 0: empty).  Returns 0,
 * or -ENOMEM with the old value kept.
 */
int	simxs_tree_node_set_data(struct simxs_node *n, const void *data,
	    size_t len);

/*
 * Replace n's permissions with a copy of perms[nperms] (the old array is
 * freed).  Returns 0, or -ENOMEM with n unchanged.
 */
int	simxs_tree_node_set_perms(struct simxs_node *n,
	    const struct simxs_perm *perms, unsigned int nperms);

/*
 * A deep copy of the subtree at src, generations kept, whose parent
 * pointer is "parent" (the copy is not added to parent's children).
 * NULL on allocation failure, with nothing left allocated.
 */
struct simxs_node *simxs_tree_node_copy(const struct simxs_node *src,
	    struct simxs_node *parent);

/* n's child named by name[len] (not NUL-terminated), or NULL. */
struct simxs_node *simxs_tree_node_child(const struct simxs_node *n,
	    const char *name, size_t len);

/*
 * Append child to parent's children and make parent its parent.
 * Returns 0, or -ENOMEM with child untouched (still the caller's).
 */
int	simxs_tree_node_add_child(struct simxs_node *parent,
	    struct simxs_node *child);

/* The node at canonical absolute "path" below root, or NULL. */
struct simxs_node *simxs_tree_lookup(struct simxs_node *root,
	    const char *path);

/* The parent of canonical "path" into out[PATH_BUF]; "/" for "/x". */
void	simxs_tree_path_parent(const char *path, char *out);

/*
 * Canonicalise a request path into out[PATH_BUF]: relative paths go
 * below the connection's /local/domain/N (*relative, if not NULL, says
 * whether it was).  Special "@" paths are copied as they are.  Returns
 * 0, or -EINVAL for a path xenstore refuses.
 */
int	simxs_tree_path_canon(const struct simxs_conn *conn, const char *in,
	    char *out, bool *relative);

/*
 * The event path for canonical "path" as watch w of conn sees it:
 * relative to the connection's home if the watch was set so.  Points
 * into path.
 */
const char *simxs_tree_watch_event_path(const struct simxs_conn *conn,
	    const struct simxs_watch *w, const char *path);

/*
 * An event on "path" (node n, possibly about to be removed; oldp[oldn]
 * the permissions it had before a change, or NULL): every matching
 * watch of every connection allowed to see it fires.  "exact" matches
 * only watches on the path itself (children of a removed subtree),
 * otherwise watches on the path and its parents.
 */
void	simxs_tree_fire_watches(struct simxs *xs, const char *path,
	    const struct simxs_node *n, bool exact,
	    const struct simxs_perm *oldp, unsigned int oldn);

/*
 * End transaction tx of conn, whatever its outcome: unlink it and free
 * it with its copy of the tree.
 */
void	simxs_tree_conn_end_tx(struct simxs_conn *conn, struct simxs_tx *tx);

/*
 * Remember that tx used canonical "path" (call before changing it), with
 * its generation at the start as the copy still has it; "modified" marks
 * it for the commit.  Returns 0, -ENOSPC past TX_MAX_PATHS, or -ENOMEM;
 * tx is unchanged on failure.
 */
int	simxs_tree_tx_note(struct simxs_tx *tx, const char *path,
	    bool modified);

/* conn's open transaction "id", or NULL. */
struct simxs_tx *simxs_tree_tx_lookup(struct simxs_conn *conn, uint32_t id);

/* Is "id" an open transaction of any connection of xs? */
bool	simxs_tree_txid_in_use(struct simxs *xs, uint32_t id);

/* The root of the tree r works on: its transaction's copy, or the store. */
struct simxs_node *simxs_tree_req_root(const struct simxs_req *r);

/* The node count of that tree, for the caller to adjust. */
unsigned int *simxs_tree_req_nnodes(struct simxs_req *r);

/*
 * Give n (NULL is fine) a new generation when r changes the store
 * itself; a transaction's copy keeps the generations it started with.
 */
void	simxs_tree_req_bump(struct simxs_req *r, struct simxs_node *n);

/*
 * Find the node at canonical "path" in the tree r works on, checking
 * that r's connection has all of "perm" (Xen's get_node()).  In a
 * transaction the path is noted first.  Returns 0 and the node in *out;
 * -EACCES; -ENOENT, or -EACCES instead when the nearest ancestor denies
 * the access too, so nothing leaks; or an error of
 * simxs_tree_tx_note().  *out is NULL on failure.
 */
int	simxs_tree_get_node(struct simxs_req *r, const char *path,
	    unsigned int perm, struct simxs_node **out);

/*
 * Create the missing nodes down to canonical "path", inheriting
 * permissions (owned by an unprivileged creator), within the quotas.
 * Fires no watch.  Returns 0 and the last node in *out, or a negative
 * errno with nothing created.
 */
int	simxs_tree_create_node(struct simxs_req *r, const char *path,
	    struct simxs_node **out);

/*
 * Remove the subtree at n (not the root), found at canonical "path",
 * from the tree r works on, and free it.  On the store itself its
 * watches fire first, children before n.
 */
void	simxs_tree_remove_node(struct simxs_req *r, struct simxs_node *n,
	    const char *path);

/* Did any path tx used change in the store since tx started? */
bool	simxs_tree_tx_conflicts(struct simxs *xs, const struct simxs_tx *tx);

/*
 * Apply r->tx, which did not conflict, to the store: the paths it
 * changed, the shallow ones first, firing their watches.  r->tx stays
 * open (the caller ends it).  Returns 0, or a negative errno (logged)
 * with the store holding part of the transaction.
 */
int	simxs_tree_tx_commit(struct simxs_req *r);

/* ------------------------------------------------------------ simxs_perm.c */

/* Is conn privileged (domain 0)? */
bool	simxs_perm_conn_priv(const struct simxs_conn *conn);

/*
 * The access (PERM_* bits) conn has to a node with permissions p[n], as
 * Xen's perm_for_conn(): everything for the privileged and for the
 * owner (or a domain whose SET_TARGET is the owner), else its own entry
 * or the first entry's access.
 */
unsigned int simxs_perm_for_conn(const struct simxs_conn *conn,
	    const struct simxs_perm *p, unsigned int n);

/* Parse "<n|r|w|b><domid>" into *out.  Returns 0 or -EINVAL. */
int	simxs_perm_parse(const char *s, struct simxs_perm *out);

/*
 * Format p[n] as "<c><domid>\0" strings into buf[cap].  Returns the
 * length, or more than cap when they do not fit.
 */
size_t	simxs_perm_format(const struct simxs_perm *p, unsigned int n,
	    char *buf, size_t cap);

/*
 * The index of special path "name" in struct simxs's special_perms
 * (0: @introduceDomain, 1: @releaseDomain), or -1.
 */
int	simxs_perm_special_index(const char *name);

/*
 * May conn see an event on node n (NULL: gone)?  Yes when privileged,
 * or when the old permissions oldp[oldn] (NULL: none), n's own or its
 * parent's let it read.
 */
bool	simxs_perm_watch_permitted(const struct simxs_conn *conn,
	    const struct simxs_node *n, const struct simxs_perm *oldp,
	    unsigned int oldn);

/*
 * May r create "levels" more nodes: within SIMXS_MAX_NODES in the tree
 * it works on and, for an unprivileged domain, within QUOTA_NODES owned
 * nodes?  Returns 0 or -ENOSPC.
 */
int	simxs_perm_check_quota(struct simxs_req *r, unsigned int levels);

#endif /* XMIG_SIMXS_INT_H */
