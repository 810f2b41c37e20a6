/*
 * acl.h - hosts-allow: which peers may talk to xmigd.
 *
 * A list of POSIX extended regular expressions, separated by spaces.  A
 * peer is allowed when one expression matches the WHOLE of its numeric
 * address or the whole of its reverse-resolved name (xend matched
 * unanchored, so "10.0.0.1" also let in "110.0.0.12"; here every
 * expression is anchored).  Empty pieces are ignored; an empty list
 * allows nobody.  Matching is case-insensitive, as host names are.
 */
#ifndef XMIG_ACL_H
#define XMIG_ACL_H

#include <stddef.h>
#include <sys/socket.h>

struct acl;

/*
 * Compile "spec" into *out (free with acl_free()).  Returns 0, or
 * -EINVAL after logging the first expression that does not compile, or
 * -ENOMEM.  *out is untouched on failure.
 */
int	acl_new(const char *spec, struct acl **out);

/* Free an acl; NULL allowed. */
void	acl_free(struct acl *acl);

/* The number of expressions (0: nobody is allowed). */
size_t	acl_count(const struct acl *acl);

/* 1 when an expression matches the whole of "s", else 0. */
int	acl_match(const struct acl *acl, const char *s);

/*
 * Write the numeric address of "sa" into buf: IPv4 dotted, IPv6 in its
 * short form, an IPv4-mapped IPv6 address as plain IPv4 (so
 * "127\.0\.0\.1" matches a dual-stack listener's peer), "unix" for
 * AF_UNIX.  Returns buf; "?" on an unknown family.
 */
const char *acl_addr_string(const struct sockaddr *sa, socklen_t len,
	    char *buf, size_t buflen);

#endif /* XMIG_ACL_H */
