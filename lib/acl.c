/*
 * acl.c - anchored regular expressions for hosts-allow.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "log.h"

#define ACL_MAX		256	/* expressions in one list */
#define ACL_PIECE_MAX	512	/* bytes in one expression */

struct acl {
	size_t		 n;
	regex_t		 re[];
};

/* Compile one piece anchored at both ends: "^(piece)$". */
static int
acl_compile(regex_t *re, const char *piece, size_t len)
{
	char pat[ACL_PIECE_MAX + 8], err[128];
	int rc;

	if (len > ACL_PIECE_MAX) {
		log_warnx("hosts-allow: expression longer than %d bytes",
		    ACL_PIECE_MAX);
		return -EINVAL;
	}
	snprintf(pat, sizeof(pat), "^(%.*s)$", (int)len, piece);
	rc = regcomp(re, pat, REG_EXTENDED | REG_ICASE | REG_NOSUB);
	if (rc != 0) {
		regerror(rc, re, err, sizeof(err));
		log_warnx("hosts-allow: \"%.*s\": %s", (int)len, piece, err);
		return -EINVAL;
	}
	return 0;
}

int
acl_new(const char *spec, struct acl **out)
{
	const char *p = spec, *end;
	struct acl *acl;
	size_t n = 0, len;

	acl = calloc(1, sizeof(*acl) + ACL_MAX * sizeof(regex_t));
	if (acl == NULL)
		return -ENOMEM;
	while (*p != '\0') {
		p += strspn(p, " \t");
		len = strcspn(p, " \t");
		if (len == 0)
			break;
		end = p + len;
		if (n == ACL_MAX) {
			log_warnx("hosts-allow: more than %d expressions",
			    ACL_MAX);
			goto fail;
		}
		if (acl_compile(&acl->re[n], p, len) != 0)
			goto fail;
		acl->n = ++n;
		p = end;
	}
	*out = acl;
	return 0;
fail:
	acl_free(acl);
	return -EINVAL;
}

void
acl_free(struct acl *acl)
{
	size_t i;

	if (acl == NULL)
		return;
	for (i = 0; i < acl->n; i++)
		regfree(&acl->re[i]);
	free(acl);
}

size_t
acl_count(const struct acl *acl)
{
	return acl->n;
}

int
acl_match(const struct acl *acl, const char *s)
{
	size_t i;

	if (s == NULL || *s == '\0')
		return 0;
	for (i = 0; i < acl->n; i++)
		if (regexec(&acl->re[i], s, 0, NULL, 0) == 0)
			return 1;
	return 0;
}

const char *
acl_addr_string(const struct sockaddr *sa, socklen_t len, char *buf,
    size_t buflen)
{
	const struct sockaddr_in6 *s6;
	struct in_addr v4;

	snprintf(buf, buflen, "?");
	switch (sa->sa_family) {
	case AF_INET:
		if (len >= (socklen_t)sizeof(struct sockaddr_in))
			inet_ntop(AF_INET,
			    &((const struct sockaddr_in *)(const void *)sa)->
			    sin_addr, buf, buflen);
		break;
	case AF_INET6:
		if (len < (socklen_t)sizeof(struct sockaddr_in6))
			break;
		s6 = (const struct sockaddr_in6 *)(const void *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			memcpy(&v4, &s6->sin6_addr.s6_addr[12], 4);
			inet_ntop(AF_INET, &v4, buf, buflen);
		} else
			inet_ntop(AF_INET6, &s6->sin6_addr, buf, buflen);
		break;
	case AF_UNIX:
		snprintf(buf, buflen, "unix");
		break;
	}
	return buf;
}
