/*
 * acl.c - anchored regular expressions for hosts-allow.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "log.h"

#define ACL_MAX		256	/* expressions in one list */
#define ACL_PIECE_MAX	512	/* bytes in one expression */
#define ACL_COST_MAX	1024	/* atoms after expanding repetitions */
#define ACL_DEPTH_MAX	32	/* nested groups */

struct acl {
	size_t		 n;
	regex_t		 re[];
};

/*
 * About how many atoms regcomp() builds for piece: it copies a repeated
 * expression once per repetition ("x{3}" is "xxx", "x+" is "xx*"), so
 * nested repetitions multiply ("(a{255}){255}" took more than a
 * gigabyte), and repeating a group that repeats inside ("((a*)*)*")
 * costs glibc's matcher exponential time: such a group weighs 16 times
 * its atoms.  Stacked repetition operators ("a**", "a+{2}": undefined in
 * POSIX; "a+++..." took a gigabyte, "1*********" over a minute) are
 * refused outright.  Saturates above ACL_COST_MAX; more than ACL_COST_MAX
 * also for groups nested deeper than ACL_DEPTH_MAX.
 */
static uint64_t
acl_cost(const char *p, size_t len)
{
	struct {
		uint64_t	total, cur, last;
		int		repeats;	/* a repetition inside */
	} st[ACL_DEPTH_MAX + 1], *f = st;
	const char *end = p + len, *q;
	uint64_t m, n, g, w;
	int lastq = 0, lastrep = 0;	/* last token: quantifier; group */
	char *e;

	memset(st, 0, sizeof(st));
#define SAT(x)	((x) > ACL_COST_MAX ? ACL_COST_MAX + 1 : (x))
	for (; p < end; p++) {
		switch (*p) {
		case '(':
			if (f == &st[ACL_DEPTH_MAX])
				return ACL_COST_MAX + 1;
			f++;
			memset(f, 0, sizeof(*f));
			continue;
		case ')':
			if (f == st)
				break;		/* an atom */
			g = SAT(f->total + f->cur);
			lastrep = f->repeats;
			f--;
			f->repeats |= lastrep;
			f->cur = SAT(f->cur + g);
			f->last = g;
			lastq = 0;
			continue;
		case '|':
			f->total = SAT(f->total + f->cur);
			f->cur = f->last = 0;
			lastq = lastrep = 0;
			continue;
		case '^':
		case '$':
			continue;
		case '*':
		case '+':
		case '?':
			if (lastq)
				return ACL_COST_MAX + 1;
			w = lastrep ? 16 : 2;
			f->cur = SAT(f->cur - f->last + w * f->last);
			f->last = SAT(w * f->last);
			f->repeats = lastq = 1;
			lastrep = 0;
			continue;
		case '{':
			m = strtoull(p + 1, &e, 10);
			if (e == p + 1 || e >= end || m > 65535)
				break;		/* not a bound: an atom */
			n = m + 1;
			if (*e == ',') {
				q = e + 1;
				n = strtoull(q, &e, 10);
				if (e == q)
					n = m + 1;
				if (n > 65535)
					n = 65535;
			}
			if (e >= end || *e != '}')
				break;
			if (n < m)
				n = m;
			if (lastq)
				return ACL_COST_MAX + 1;
			w = SAT((n > 0 ? n : 1) * (lastrep ? 16 : 1));
			f->cur = SAT(f->cur - f->last + SAT(w * f->last));
			f->last = SAT(w * f->last);
			f->repeats = lastq = 1;
			lastrep = 0;
			p = e;
			continue;
		case '[':
			/* A bracket expression is one atom: find its end. */
			q = p + 1;
			if (q < end && *q == '^')
				q++;
			if (q < end && *q == ']')
				q++;
			while (q < end && *q != ']') {
				if (*q == '[' && q + 1 < end && (q[1] == ':' ||
				    q[1] == '.' || q[1] == '=')) {
					e = memchr(q + 2, q[1], (size_t)(end -
					    q - 2));
					q = e != NULL ? e + 1 : end;
				}
				q++;
			}
			p = q < end ? q : end - 1;
			break;
		case '\\':
			if (p + 1 < end)
				p++;
			break;
		default:
			break;
		}
		f->cur = SAT(f->cur + 1);
		f->last = 1;
		lastq = lastrep = 0;
	}
	/* Groups left open count as closed (regcomp refuses them). */
	for (g = 0;; f--) {
		g = SAT(g + f->total + f->cur);
		if (f == st)
			break;
	}
#undef SAT
	return g;
}

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
	if (acl_cost(piece, len) > ACL_COST_MAX) {
		log_warnx("hosts-allow: \"%.*s\": repeats too much (over %d "
		    "atoms once expanded, or groups nested over %d deep)",
		    (int)len, piece, ACL_COST_MAX, ACL_DEPTH_MAX);
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
