/*
 * stream_reader.c - pull headers and records from a byte stream, one
 * record in memory at a time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "stream_reader.h"

/* Grow a record buffer by at most this much ahead of the bytes read. */
#define READ_STEP	(1U << 20)

enum rd_state {
	RD_XL_HDR,
	RD_LIBXL_HDR,
	RD_LIBXL_REC,
	RD_LIBXC_HDR,
	RD_LIBXC_REC,
	RD_DONE,
	RD_FAILED,
};

struct stream_reader {
	enum stream_format	 fmt;
	enum rd_state		 st;
	stream_read_fn		 read;
	void			*opaque;
	uint64_t		 off;
	int			 err;		/* sticky negative errno */
	uint8_t			*buf;
	size_t			 cap;
	struct xlhdr		 xl;
	struct libxl_hdr	 lhdr;
	struct libxl_state	 lstate;
	struct libxl_rec	 lrec;
	struct libxc_ihdr	 ihdr;
	struct libxc_dhdr	 dhdr;
	struct libxc_state	 xstate;
	struct libxc_rec	 xrec;
	struct libxc_page_batch	 batch;
	stream_page_sink_fn	 sink;
	void			*sink_opaque;
};

void
stream_reader_set_page_sink(struct stream_reader *r, stream_page_sink_fn sink,
    void *opaque)
{
	r->sink = sink;
	r->sink_opaque = opaque;
}

struct stream_reader *
stream_reader_new(enum stream_format fmt, stream_read_fn read, void *opaque)
{
	struct stream_reader *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->fmt = fmt;
	r->read = read;
	r->opaque = opaque;
	r->st = fmt == STREAM_FMT_XL ? RD_XL_HDR : fmt == STREAM_FMT_LIBXL ?
	    RD_LIBXL_HDR : RD_LIBXC_HDR;
	libxl_state_init(&r->lstate);
	libxc_state_init(&r->xstate);
	return r;
}

void
stream_reader_free(struct stream_reader *r)
{
	if (r == NULL)
		return;
	libxc_page_batch_free(&r->batch);
	free(r->buf);
	free(r);
}

void
stream_reader_set_max_pfn(struct stream_reader *r, uint64_t max_pfn)
{
	r->xstate.max_pfn = max_pfn;
}

uint64_t
stream_reader_offset(const struct stream_reader *r)
{
	return r->off;
}

const struct libxc_state *
stream_reader_libxc(const struct stream_reader *r)
{
	return &r->xstate;
}

const struct libxl_state *
stream_reader_libxl(const struct stream_reader *r)
{
	return &r->lstate;
}

/*
 * Read up to n bytes into p; *got is how many came.  Returns 0 (all n, or
 * the input ended: *got < n) or a negative errno.
 */
static int
rd_fill(struct stream_reader *r, uint8_t *p, size_t n, size_t *got)
{
	ssize_t k;

	*got = 0;
	while (*got < n) {
		k = r->read(r->opaque, p + *got, n - *got);
		if (k == 0)
			break;
		if (k < 0) {
			if (k == -1)
				k = errno != 0 ? -errno : -EIO;
			if (k == -EINTR || k == -EAGAIN)
				continue;
			return (int)k;
		}
		if ((size_t)k > n - *got)
			return -EIO;	/* a broken callback */
		*got += (size_t)k;
		r->off += (uint64_t)k;
	}
	return 0;
}

/* Read exactly n bytes or report the truncation of "what". */
static int
rd_exact(struct stream_reader *r, uint8_t *p, size_t n, const char *what,
    struct srerr *e)
{
	size_t got;
	int rc;

	if ((rc = rd_fill(r, p, n, &got)) != 0)
		return srerr_set_errno(e, SRERR_IO, rc, r->off, what,
		    "read failed: %s", strerror(-rc));
	if (got < n)
		return srerr_set(e, SRERR_TRUNCATED, r->off, what,
		    "truncated: input ended after %zu of %zu bytes", got, n);
	return 0;
}

/*
 * Read n bytes into r->buf, growing it no faster than the data arrives,
 * so a forged length costs memory only if the bytes are really there.
 * The caller has checked n against its maximum.
 */
static int
rd_body_from(struct stream_reader *r, size_t have, size_t n, const char *what,
    struct srerr *e)
{
	size_t got, want, ncap;
	uint8_t *nb;
	int rc;

	while (have < n) {
		if (r->cap < n && have == r->cap) {
			ncap = r->cap < READ_STEP ? READ_STEP : r->cap * 2;
			if (ncap > n)
				ncap = n;
			if ((nb = realloc(r->buf, ncap)) == NULL)
				return srerr_set(e, SRERR_NOMEM, r->off, what,
				    "no memory for %zu bytes", ncap);
			r->buf = nb;
			r->cap = ncap;
		}
		want = (r->cap < n ? r->cap : n) - have;
		if ((rc = rd_fill(r, r->buf + have, want, &got)) != 0)
			return srerr_set_errno(e, SRERR_IO, rc, r->off, what,
			    "read failed: %s", strerror(-rc));
		have += got;
		if (got < want)
			return srerr_set(e, SRERR_TRUNCATED, r->off, what,
			    "truncated: input ended after %zu of %zu bytes "
			    "of body", have, n);
	}
	return 0;
}

static int
rd_body(struct stream_reader *r, size_t n, const char *what,
    struct srerr *e)
{
	return rd_body_from(r, 0, n, what, e);
}

/*
 * A PAGE_DATA record for the page sink: its header and pfns into the
 * buffer, checked as a whole record, then the pages to the sink.
 */
static int
rd_page_data_sunk(struct stream_reader *r, struct libxc_rec *x,
    const char *what, struct srerr *e)
{
	uint64_t prefix, len;
	uint32_t i, count;
	int rc;

	/* The length is checked (at most the record maximum) already. */
	prefix = 8;
	if (x->length >= 8) {
		if ((rc = rd_body(r, 8, what, e)) != 0)
			return rc;
		/* A count over the maximum is refused by the decoder: do
		 * not read its pfns first. */
		count = load_le32(r->buf);
		prefix = 8 + 8ULL * (count <= LIBXC_BATCH_MAX ? count : 0);
	}
	if (prefix > x->length)	/* decode reports it; read what is there */
		prefix = ((uint64_t)x->length + 7) & ~7ULL;
	if ((rc = rd_body_from(r, x->length >= 8 ? 8 : 0, (size_t)prefix,
	    what, e)) != 0)
		return rc;
	x->body = r->buf;
	if ((rc = libxc_rec_decode(&r->xstate, x, &r->batch, e)) != 0)
		return rc;
	/* The data pointers would point past the buffer: the sink has them. */
	for (i = 0; i < r->batch.count; i++)
		r->batch.data[i] = NULL;
	/* Valid: length = 8 + 8 count + 4096 nr_data, a multiple of 8. */
	len = x->length - prefix;
	if ((rc = r->sink(r->sink_opaque, &r->batch, len)) != 0) {
		if (rc == -EPIPE)
			return srerr_set(e, SRERR_TRUNCATED, r->off, what,
			    "truncated: input ended in the page data");
		return srerr_set_errno(e, SRERR_IO, rc, r->off, what,
		    "page data: %s", strerror(-rc));
	}
	r->off += len;
	return 0;
}

/* Read a record's padded body and check the padding is zero. */
static int
rd_record_body(struct stream_reader *r, uint32_t length, const char *what,
    struct srerr *e)
{
	size_t padded = ((size_t)length + 7) & ~(size_t)7;
	uint64_t start = r->off;
	size_t i;
	int rc;

	if ((rc = rd_body(r, padded, what, e)) != 0)
		return rc;
	for (i = length; i < padded; i++)
		if (r->buf[i] != 0)
			return srerr_set(e, SRERR_PADDING, start + i, what,
			    "padding byte %zu is 0x%02x, not zero",
			    i - length, r->buf[i]);
	return 0;
}

static int
rd_xl_header(struct stream_reader *r, struct stream_event *ev,
    struct srerr *e)
{
	uint8_t fixed[XLHDR_FIXED_SIZE];
	size_t got;
	int rc;

	if ((rc = rd_fill(r, fixed, sizeof(fixed), &got)) != 0)
		return srerr_set_errno(e, SRERR_IO, rc, r->off, "xl header",
		    "read failed: %s", strerror(-rc));
	if ((rc = xlhdr_decode_fixed(fixed, got, &r->xl, e)) != 0)
		return rc;
	if ((rc = rd_body(r, r->xl.optional_data_len, "xl header", e)) != 0)
		return rc;
	if ((rc = xlhdr_decode_optdata(&r->xl, r->buf,
	    r->xl.optional_data_len, XLHDR_FIXED_SIZE, e)) != 0)
		return rc;
	ev->kind = STREAM_EV_XL_HEADER;
	ev->offset = 0;
	ev->xl = &r->xl;
	r->st = RD_LIBXL_HDR;
	return 1;
}

static int
rd_libxl_header(struct stream_reader *r, struct stream_event *ev,
    struct srerr *e)
{
	uint8_t b[LIBXL_HDR_SIZE];
	uint64_t start = r->off;
	size_t got;
	int rc;

	if ((rc = rd_fill(r, b, sizeof(b), &got)) != 0)
		return srerr_set_errno(e, SRERR_IO, rc, r->off,
		    "libxl header", "read failed: %s", strerror(-rc));
	if ((rc = libxl_hdr_decode(b, got, start, &r->lhdr, e)) != 0)
		return rc;
	ev->kind = STREAM_EV_LIBXL_HEADER;
	ev->offset = start;
	ev->libxl_hdr = &r->lhdr;
	r->st = RD_LIBXL_REC;
	return 1;
}

static int
rd_libxc_header(struct stream_reader *r, struct stream_event *ev,
    struct srerr *e)
{
	uint8_t b[LIBXC_IHDR_SIZE + LIBXC_DHDR_SIZE];
	uint64_t start = r->off;
	size_t got;
	int rc;

	if ((rc = rd_fill(r, b, LIBXC_IHDR_SIZE, &got)) != 0)
		return srerr_set_errno(e, SRERR_IO, rc, r->off,
		    "libxc image header", "read failed: %s", strerror(-rc));
	if ((rc = libxc_ihdr_decode(&r->xstate, b, got, start, &r->ihdr,
	    e)) != 0)
		return rc;
	if ((rc = rd_fill(r, b + LIBXC_IHDR_SIZE, LIBXC_DHDR_SIZE,
	    &got)) != 0)
		return srerr_set_errno(e, SRERR_IO, rc, r->off,
		    "libxc domain header", "read failed: %s", strerror(-rc));
	if ((rc = libxc_dhdr_decode(&r->xstate, b + LIBXC_IHDR_SIZE, got,
	    start + LIBXC_IHDR_SIZE, &r->dhdr, e)) != 0)
		return rc;
	r->lstate.dom_type = r->dhdr.type;
	ev->kind = STREAM_EV_LIBXC_HEADER;
	ev->offset = start;
	ev->ihdr = &r->ihdr;
	ev->dhdr = &r->dhdr;
	r->st = RD_LIBXC_REC;
	return 1;
}

static int
rd_libxc_record(struct stream_reader *r, struct stream_event *ev,
    struct srerr *e)
{
	uint8_t h[LIBXC_RHDR_SIZE];
	struct libxc_rec *x = &r->xrec;
	uint64_t start = r->off;
	const char *what;
	char whatbuf[SRERR_WHAT_MAX];
	int rc;

	if ((rc = rd_exact(r, h, sizeof(h), "libxc record header", e)) != 0)
		return rc;
	x->type = load_le32(h);
	x->length = load_le32(h + 4);
	x->offset = start;
	if ((rc = libxc_rhdr_check(&r->xstate, x->type, x->length, start,
	    e)) != 0)
		return rc;
	what = whatbuf;
	snprintf(whatbuf, sizeof(whatbuf), "%s record",
	    x->type < LIBXC_REC_NR ? libxc_rec_name(x->type) :
	    "optional libxc");
	if (x->type == LIBXC_REC_PAGE_DATA && r->sink != NULL) {
		if ((rc = rd_page_data_sunk(r, x, what, e)) != 0)
			return rc;
	} else {
		if ((rc = rd_record_body(r, x->length, what, e)) != 0)
			return rc;
		x->body = r->buf;
		if ((rc = libxc_rec_decode(&r->xstate, x, &r->batch, e)) != 0)
			return rc;
	}
	if (x->type == LIBXC_REC_END)
		r->st = r->fmt == STREAM_FMT_LIBXC ? RD_DONE : RD_LIBXL_REC;
	ev->kind = STREAM_EV_LIBXC_RECORD;
	ev->offset = start;
	ev->libxc = x;
	return 1;
}

static int
rd_libxl_record(struct stream_reader *r, struct stream_event *ev,
    struct srerr *e)
{
	uint8_t h[LIBXL_RHDR_SIZE];
	struct libxl_rec *l = &r->lrec;
	uint64_t start = r->off;
	char what[SRERR_WHAT_MAX];
	int rc;

	if ((rc = rd_exact(r, h, sizeof(h), "libxl record header", e)) != 0)
		return rc;
	l->type = load_le32(h);
	l->length = load_le32(h + 4);
	l->offset = start;
	if ((rc = libxl_rhdr_check(&r->lstate, l->type, l->length, start,
	    e)) != 0)
		return rc;
	snprintf(what, sizeof(what), "%s record", libxl_rec_name(l->type));
	if ((rc = rd_record_body(r, l->length, what, e)) != 0)
		return rc;
	l->body = r->buf;
	if ((rc = libxl_rec_decode(&r->lstate, l, e)) != 0)
		return rc;
	if (l->type == LIBXL_REC_LIBXC_CONTEXT)
		r->st = RD_LIBXC_HDR;
	else if (l->type == LIBXL_REC_END)
		r->st = RD_DONE;
	ev->kind = STREAM_EV_LIBXL_RECORD;
	ev->offset = start;
	ev->libxl = l;
	return 1;
}

int
stream_reader_next(struct stream_reader *r, struct stream_event *ev,
    struct srerr *e)
{
	int rc;

	if (r->st == RD_FAILED)
		return r->err;
	memset(ev, 0, sizeof(*ev));
	switch (r->st) {
	case RD_XL_HDR:
		rc = rd_xl_header(r, ev, e);
		break;
	case RD_LIBXL_HDR:
		rc = rd_libxl_header(r, ev, e);
		break;
	case RD_LIBXL_REC:
		rc = rd_libxl_record(r, ev, e);
		break;
	case RD_LIBXC_HDR:
		rc = rd_libxc_header(r, ev, e);
		break;
	case RD_LIBXC_REC:
		rc = rd_libxc_record(r, ev, e);
		break;
	default:
		return 0;
	}
	if (rc < 0) {
		r->st = RD_FAILED;
		r->err = rc;
	}
	return rc;
}

int
stream_reader_expect_eof(struct stream_reader *r, struct srerr *e)
{
	uint8_t b;
	uint64_t start = r->off;
	size_t got;
	int rc;

	if ((rc = rd_fill(r, &b, 1, &got)) != 0)
		return srerr_set_errno(e, SRERR_IO, rc, r->off, NULL,
		    "read failed: %s", strerror(-rc));
	if (got != 0)
		return srerr_set(e, SRERR_TRAILING, start, NULL,
		    "data after the end of the stream");
	return 0;
}

ssize_t
stream_membuf_read(void *opaque, void *buf, size_t len)
{
	struct stream_membuf *m = opaque;
	size_t n = m->len - m->pos;

	if (n > len)
		n = len;
	memcpy(buf, m->data + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}
