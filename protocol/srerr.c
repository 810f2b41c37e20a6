/*
 * srerr.c - recording the first defect in a stream.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "srerr.h"

void
srerr_clear(struct srerr *e)
{
	if (e != NULL)
		memset(e, 0, sizeof(*e));
}

static int
srerr_vset(struct srerr *e, enum srerr_code code, int errnum,
    uint64_t offset, const char *what, const char *fmt, va_list ap)
{
	if (e == NULL || e->code != SRERR_NONE)
		return errnum;
	e->code = code;
	e->errnum = errnum;
	e->offset = offset;
	snprintf(e->what, sizeof(e->what), "%s", what != NULL ? what : "");
	vsnprintf(e->reason, sizeof(e->reason), fmt, ap);
	return errnum;
}

int
srerr_set(struct srerr *e, enum srerr_code code, uint64_t offset,
    const char *what, const char *fmt, ...)
{
	va_list ap;
	int errnum, rc;

	errnum = code == SRERR_IO ? -EIO : code == SRERR_NOMEM ? -ENOMEM :
	    -EBADMSG;
	va_start(ap, fmt);
	rc = srerr_vset(e, code, errnum, offset, what, fmt, ap);
	va_end(ap);
	return rc;
}

int
srerr_set_errno(struct srerr *e, enum srerr_code code, int errnum,
    uint64_t offset, const char *what, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = srerr_vset(e, code, errnum, offset, what, fmt, ap);
	va_end(ap);
	return rc;
}

const char *
srerr_format(const struct srerr *e, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	if (e == NULL || e->code == SRERR_NONE)
		snprintf(buf, len, "no error");
	else if (e->what[0] != '\0')
		snprintf(buf, len, "offset %llu: %s: %s",
		    (unsigned long long)e->offset, e->what, e->reason);
	else
		snprintf(buf, len, "offset %llu: %s",
		    (unsigned long long)e->offset, e->reason);
	return buf;
}

const char *
srerr_code_name(enum srerr_code code)
{
	static const char *const names[] = {
		[SRERR_NONE] = "none",
		[SRERR_TRUNCATED] = "truncated",
		[SRERR_MAGIC] = "magic",
		[SRERR_VERSION] = "version",
		[SRERR_ENDIAN] = "endian",
		[SRERR_FLAGS] = "flags",
		[SRERR_RESERVED] = "reserved",
		[SRERR_PADDING] = "padding",
		[SRERR_LENGTH] = "length",
		[SRERR_TOO_BIG] = "too-big",
		[SRERR_TYPE] = "type",
		[SRERR_ORDER] = "order",
		[SRERR_DUPLICATE] = "duplicate",
		[SRERR_MISSING] = "missing",
		[SRERR_VALUE] = "value",
		[SRERR_CONFIG] = "config",
		[SRERR_TRAILING] = "trailing",
		[SRERR_IO] = "io",
		[SRERR_NOMEM] = "nomem",
	};

	if ((size_t)code >= sizeof(names) / sizeof(names[0]) ||
	    names[code] == NULL)
		return "unknown";
	return names[code];
}
