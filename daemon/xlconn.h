/*
 * xlconn.h - xmigd's side of a connection from "xmig xl-relay": a
 * migration in xl's protocol (lib/xlmig.h).  The session takes its
 * RESERVE like any other, with the facts read again from the
 * configuration of the xl header it carries; the worker then runs xl's
 * receiving half on the connection.
 */
#ifndef XMIGD_XLCONN_H
#define XMIGD_XLCONN_H

#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "migrate.h"
#include "reloc.h"

/*
 * For a RESERVE with "xl" set: take name, uuid, type, memory and vcpus
 * from its configuration (what the worker will accept in the xl
 * header), not from the relay's own fields.  Returns 0, or -EINVAL with
 * a reason for people in why (no configuration, or a bad one).
 */
int	xlconn_reserve_facts(struct reloc_msg *m, char *why, size_t whylen);

/*
 * In the worker: the connection "fd" is positioned at STREAM; receive
 * the domain the accepted RESERVE "r" describes in xl's protocol.
 * Returns 0 when it is here under its own name, else a negative errno
 * (the incoming copy destroyed, or left to xmigd by its GO record).
 */
int	xlconn_worker(struct backend *be, int fd, const struct reloc_msg *r,
	    unsigned timeout_s, void (*phase)(void *arg, enum mig_phase ph,
	    int64_t domid, const char *detail), void *arg);

#endif /* XMIGD_XLCONN_H */
