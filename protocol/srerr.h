/*
 * srerr.h - the first defect found in a save file or migration stream.
 *
 * Decoders in protocol/ never print and never log.  They return a negative
 * errno and describe the defect here: where it is (a byte offset from the
 * start of the file or stream), what was being read ("xl header",
 * "PAGE_DATA record", ...) and why it is wrong, in words a person can act
 * on.  The first error sticks: later calls to srerr_set() are ignored until
 * srerr_clear().
 */
#ifndef XMIG_SRERR_H
#define XMIG_SRERR_H

#include <stddef.h>
#include <stdint.h>

/* What kind of defect; tests assert on these, people read the reason. */
enum srerr_code {
	SRERR_NONE = 0,
	SRERR_TRUNCATED,	/* the input ended inside a header or record */
	SRERR_MAGIC,		/* wrong magic, marker or identifier */
	SRERR_VERSION,		/* a version this code does not read */
	SRERR_ENDIAN,		/* big-endian or unknown byte order */
	SRERR_FLAGS,		/* unknown mandatory flag or option bit */
	SRERR_RESERVED,		/* a reserved field or bit is not zero */
	SRERR_PADDING,		/* record padding is not zero */
	SRERR_LENGTH,		/* a length disagrees with the content */
	SRERR_TOO_BIG,		/* a length over its hard maximum */
	SRERR_TYPE,		/* unknown or misplaced record type */
	SRERR_ORDER,		/* a record before what it depends on */
	SRERR_DUPLICATE,	/* a record that may appear once, twice */
	SRERR_MISSING,		/* a mandatory record never came */
	SRERR_VALUE,		/* a field holds a value out of range */
	SRERR_CONFIG,		/* the domain configuration is unreadable */
	SRERR_TRAILING,		/* bytes after the end of the stream */
	SRERR_IO,		/* the reader or writer callback failed */
	SRERR_NOMEM,		/* out of memory */
};

#define SRERR_WHAT_MAX		48
#define SRERR_REASON_MAX	224

struct srerr {
	enum srerr_code	code;
	int		errnum;		/* the negative errno returned */
	uint64_t	offset;		/* byte offset of the defect */
	char		what[SRERR_WHAT_MAX];	/* e.g. "PAGE_DATA record" */
	char		reason[SRERR_REASON_MAX];
};

/* Forget any recorded error.  "e" may be NULL. */
void	srerr_clear(struct srerr *e);

/*
 * Record a defect unless one is already recorded (the first one sticks).
 * "what" may be NULL.  "e" may be NULL (the error is only returned).
 * Returns the negative errno to hand back to the caller: -EIO for
 * SRERR_IO, -ENOMEM for SRERR_NOMEM, -EBADMSG for everything else.
 */
int	srerr_set(struct srerr *e, enum srerr_code code, uint64_t offset,
	    const char *what, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));

/* Like srerr_set() but with an explicit negative errno to return. */
int	srerr_set_errno(struct srerr *e, enum srerr_code code, int errnum,
	    uint64_t offset, const char *what, const char *fmt, ...)
	    __attribute__((format(printf, 6, 7)));

/*
 * Write "offset N: WHAT: REASON" (or "offset N: REASON" without a what)
 * into buf, always NUL-terminated.  Returns buf.
 */
const char *srerr_format(const struct srerr *e, char *buf, size_t len);

/* A short stable name for a code ("truncated", "reserved", ...). */
const char *srerr_code_name(enum srerr_code code);

#endif /* XMIG_SRERR_H */
