/*
 * simxs.h - the simulated host's xenstore: the store itself (a tree of
 * nodes with values and permissions), transactions, watches and the
 * handling of one xenstore wire request, with no sockets.
 *
 * The socket server (lib/sim/simxs_server.c) owns one struct simxs and one
 * struct simxs_conn per client; it hands each whole request message to
 * simxs_conn_request() and writes out what the connection's output queue
 * then holds.  Tests and the fuzz target do the same without sockets.
 *
 * Semantics follow Xen 4.17's C xenstored (docs/misc/xenstore.txt):
 *  - Requests: READ WRITE MKDIR RM DIRECTORY DIRECTORY_PART GET_PERMS
 *    SET_PERMS WATCH UNWATCH TRANSACTION_START TRANSACTION_END INTRODUCE
 *    RELEASE GET_DOMAIN_PATH IS_DOMAIN_INTRODUCED RESUME SET_TARGET
 *    RESET_WATCHES CONTROL.  Unknown types get ENOSYS; errors are sent
 *    as ERROR with xenstored's errno names.
 *  - Permissions: the first entry names the owner (full access) and the
 *    access of domains not listed; later entries give a domain n/r/w/b.
 *    Domain 0 is privileged and bypasses them.  A new node inherits its
 *    parent's permissions; one created by an unprivileged domain is
 *    owned by that domain.  A missing node reads as EACCES rather than
 *    ENOENT when its nearest existing ancestor denies the access.
 *  - Relative paths are relative to /local/domain/<domid of the
 *    connection> (for domain 0 too).
 *  - Watches fire for the path and all its children, once straight away
 *    when set, and on WRITE, MKDIR, RM, SET_PERMS and transaction
 *    commit; special paths "@introduceDomain" (INTRODUCE) and
 *    "@releaseDomain" (RELEASE, simxs_fire_special()) go to privileged
 *    connections and to domains SET_PERMS allows to read them.
 *  - Transactions work on a copy of the tree; every path read or changed
 *    is remembered with its generation, and the commit fails with EAGAIN
 *    when any of them changed in the store meanwhile.
 *  - Limits: payload 4096 bytes, paths 3072 bytes (2048 below
 *    /local/domain/N/); an unprivileged domain has at most 1000 nodes,
 *    values of 2048 bytes, 128 watches, 10 transactions and 5 permission
 *    entries per node; the whole store at most SIMXS_MAX_NODES nodes.
 */
#ifndef XMIG_SIMXS_H
#define XMIG_SIMXS_H

#include <stddef.h>
#include <stdint.h>

#include "xs_msg.h"

#define SIMXS_MAX_NODES		100000
/* Bytes queued for a client beyond which watch events are dropped. */
#define SIMXS_OUT_MAX		(256 * 1024)

struct simxs;
struct simxs_conn;

/*
 * A new store holding "/" (owner 0, no access for others), "/local",
 * "/local/domain" and "/tool" like a fresh xenstored.  Returns NULL on
 * allocation failure.  Free with simxs_free().
 */
struct simxs *simxs_new(void);

/* Free the store and every connection still attached.  NULL is fine. */
void	simxs_free(struct simxs *xs);

/*
 * Attach a client connection of domain "domid" (0: privileged).
 * Returns NULL on allocation failure.  The store keeps it until
 * simxs_conn_free() or simxs_free().
 */
struct simxs_conn *simxs_conn_new(struct simxs *xs, unsigned int domid);

/*
 * Detach and free a connection: its watches go, its open transactions
 * are aborted, its queued output is dropped.  NULL is fine.
 */
void	simxs_conn_free(struct simxs_conn *conn);

/* The connection's domain id. */
unsigned int simxs_conn_domid(const struct simxs_conn *conn);

/*
 * Handle one whole request "msg" of "len" bytes (header and payload):
 * the reply, and any watch events it causes (for this and other
 * connections), are queued on the connections' output.  Returns 0, or
 * -EMSGSIZE / -EPROTO when the message is not a valid frame (payload over
 * XS_MSG_PAYLOAD_MAX, len not matching the header): nothing was queued
 * and the caller should close the connection, as xenstored does.
 */
int	simxs_conn_request(struct simxs_conn *conn, const void *msg,
	    size_t len);

/* Bytes waiting in the connection's output queue. */
size_t	simxs_conn_out_len(const struct simxs_conn *conn);

/*
 * The first bytes of the output queue that are contiguous in memory:
 * returns a pointer to them and sets *len (0 and NULL when empty).  The
 * pointer is valid until the next call on this store.
 */
const void *simxs_conn_out_peek(const struct simxs_conn *conn, size_t *len);

/* Drop the first n (<= what peek reported) bytes of the output queue. */
void	simxs_conn_out_consume(struct simxs_conn *conn, size_t n);

/*
 * Take one whole message off the output queue: fills *hdr and copies the
 * payload into payload[cap] (cap >= XS_MSG_PAYLOAD_MAX is always enough).
 * Returns the payload length, -ENOENT when the queue holds no whole
 * message, -ENOBUFS when cap is too small (the message stays queued).
 */
int	simxs_conn_pop(struct simxs_conn *conn, struct xs_msg_hdr *hdr,
	    void *payload, size_t cap);

/*
 * Fire the special watch "name" ("@releaseDomain" when the simulated
 * hypervisor raises VIRQ_DOM_EXC, or "@introduceDomain") to every
 * connection allowed to see it.
 */
void	simxs_fire_special(struct simxs *xs, const char *name);

/* Is domid introduced (always for 0)?  Returns 1 or 0. */
int	simxs_is_introduced(const struct simxs *xs, unsigned int domid);

/* Nodes in the store, "/" included. */
unsigned int simxs_node_count(const struct simxs *xs);

#endif /* XMIG_SIMXS_H */
