/*
 * simxs_perm.c - the simulated xenstore's permissions and quotas: who
 * may read, write or watch a node (Xen's rules, with privilege and
 * SET_TARGET), the wire form of permission lists, and the node quota of
 * an unprivileged domain.  See simxs_int.h.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/queue.h>

#include "simxs.h"
#include "simxs_int.h"

static const char *const special_names[2] = {
	"@introduceDomain", "@releaseDomain"
};

/* ------------------------------------------------------------ permissions */

bool
simxs_perm_conn_priv(const struct simxs_conn *conn)
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
unsigned int
simxs_perm_for_conn(const struct simxs_conn *conn, const struct simxs_perm *p,
    unsigned int n)
{
	int target = conn_target(conn);
	unsigned int i;

	if (simxs_perm_conn_priv(conn) || n == 0 || p[0].id == conn->domid ||
	    (target >= 0 && p[0].id == target))
		return PERM_READ | PERM_WRITE | PERM_OWNER;
	for (i = 1; i < n; i++)
		if (p[i].id == conn->domid || (target >= 0 && p[i].id == target))
			return p[i].perm;
	return p[0].perm;
}

/* Parse "<n|r|w|b><domid>"; returns 0 or -EINVAL. */
int
simxs_perm_parse(const char *s, struct simxs_perm *out)
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
size_t
simxs_perm_format(const struct simxs_perm *p, unsigned int n, char *buf,
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

int
simxs_perm_special_index(const char *name)
{
	if (strcmp(name, special_names[0]) == 0)
		return 0;
	if (strcmp(name, special_names[1]) == 0)
		return 1;
	return -1;
}

bool
simxs_perm_watch_permitted(const struct simxs_conn *conn,
    const struct simxs_node *n, const struct simxs_perm *oldp,
    unsigned int oldn)
{
	if (simxs_perm_conn_priv(conn))
		return true;
	if (oldp != NULL && (simxs_perm_for_conn(conn, oldp, oldn) & PERM_READ))
		return true;
	if (n == NULL)
		return false;
	if (simxs_perm_for_conn(conn, n->perms, n->nperms) & PERM_READ)
		return true;
	return n->parent != NULL &&
	    (simxs_perm_for_conn(conn, n->parent->perms, n->parent->nperms) &
	    PERM_READ);
}

/* ------------------------------------------------------------ quota */

static unsigned int
count_owned(const struct simxs_node *n, unsigned int domid)
{
	unsigned int i, c = n->perms[0].id == domid;

	for (i = 0; i < n->nchild; i++)
		c += count_owned(n->child[i], domid);
	return c;
}

int
simxs_perm_check_quota(struct simxs_req *r, unsigned int levels)
{
	if (*simxs_tree_req_nnodes(r) + levels > SIMXS_MAX_NODES)
		return -ENOSPC;
	if (!simxs_perm_conn_priv(r->conn) &&
	    count_owned(simxs_tree_req_root(r), r->conn->domid) + levels >
	    QUOTA_NODES)
		return -ENOSPC;
	return 0;
}
