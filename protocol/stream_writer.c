/*
 * stream_writer.c - record framing and PAGE_DATA batching.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "libxc_stream.h"
#include "stream_writer.h"

struct stream_writer {
	stream_flush_fn	 flush;
	stream_flushv_fn flushv;	/* optional: pages straight from memory */
	void		*opaque;
	uint8_t		*buf;
	size_t		 cap;
	size_t		 len;
	uint64_t	 flushed;	/* bytes handed to the callback */
	uint64_t	 pages;
	int		 err;
	uint32_t	 nbatch;
	uint64_t	 bword[LIBXC_BATCH_MAX];
	const void	*bdata[LIBXC_BATCH_MAX];
};

static const uint8_t zeros[8];

struct stream_writer *
stream_writer_new(stream_flush_fn flush, void *opaque, size_t bufsize)
{
	struct stream_writer *w;

	if (bufsize == 0)
		bufsize = STREAM_WRITER_BUFSIZE;
	if (bufsize < 64)
		bufsize = 64;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	if ((w->buf = malloc(bufsize)) == NULL) {
		free(w);
		return NULL;
	}
	w->cap = bufsize;
	w->flush = flush;
	w->opaque = opaque;
	return w;
}

void
stream_writer_free(struct stream_writer *w)
{
	if (w == NULL)
		return;
	free(w->buf);
	free(w);
}

void
stream_writer_set_flushv(struct stream_writer *w, stream_flushv_fn flushv)
{
	w->flushv = flushv;
}

static int
wr_drain(struct stream_writer *w)
{
	int rc;

	if (w->err != 0)
		return w->err;
	if (w->len == 0)
		return 0;
	if ((rc = w->flush(w->opaque, w->buf, w->len)) != 0) {
		w->err = rc < 0 ? rc : -EIO;
		return w->err;
	}
	w->flushed += w->len;
	w->len = 0;
	return 0;
}

static int
wr_put(struct stream_writer *w, const void *data, size_t n)
{
	const uint8_t *p = data;
	size_t room;
	int rc;

	if (w->err != 0)
		return w->err;
	while (n > 0) {
		if (w->len == w->cap && (rc = wr_drain(w)) != 0)
			return rc;
		room = w->cap - w->len;
		if (room > n)
			room = n;
		memcpy(w->buf + w->len, p, room);
		w->len += room;
		p += room;
		n -= room;
	}
	return 0;
}

int
stream_writer_bytes(struct stream_writer *w, const void *data, size_t len)
{
	int rc;

	if ((rc = stream_writer_flush_pages(w)) != 0)
		return rc;
	return wr_put(w, data, len);
}

static int
wr_rhdr(struct stream_writer *w, uint32_t type, size_t len)
{
	uint8_t h[8];

	store_le32(h, type);
	store_le32(h + 4, (uint32_t)len);
	return wr_put(w, h, sizeof(h));
}

int
stream_writer_recordv(struct stream_writer *w, uint32_t type,
    const struct stream_iov *iov, unsigned int n)
{
	size_t len = 0;
	unsigned int i;
	int rc;

	for (i = 0; i < n; i++) {
		if (iov[i].len > LIBXC_REC_MAX - len)
			return -EINVAL;
		len += iov[i].len;
	}
	if ((rc = stream_writer_flush_pages(w)) != 0 ||
	    (rc = wr_rhdr(w, type, len)) != 0)
		return rc;
	for (i = 0; i < n; i++)
		if (iov[i].len > 0 &&
		    (rc = wr_put(w, iov[i].base, iov[i].len)) != 0)
			return rc;
	return wr_put(w, zeros, (8 - len % 8) % 8);
}

int
stream_writer_record(struct stream_writer *w, uint32_t type,
    const void *body, size_t len)
{
	struct stream_iov iov = { body, len };

	return stream_writer_recordv(w, type, &iov, len > 0 ? 1 : 0);
}

/*
 * The page data of the batch, with what is buffered before it (the record
 * header and pfns), handed to the vectored callback as pieces pointing
 * into the caller's memory: runs of adjacent pages are one piece.
 */
static int
wr_pages_vectored(struct stream_writer *w, uint32_t n, uint32_t ndata)
{
	struct stream_iov iov[1 + LIBXC_BATCH_MAX];
	const uint8_t *d;
	uint64_t total = w->len;
	unsigned int k = 0;
	uint32_t i;
	int rc;

	if (w->len > 0) {
		iov[k].base = w->buf;
		iov[k++].len = w->len;
	}
	for (i = 0; i < n; i++) {
		if ((d = w->bdata[i]) == NULL)
			continue;
		total += LIBXC_PAGE_SIZE;
		if (k > 0 && (const uint8_t *)iov[k - 1].base +
		    iov[k - 1].len == d && iov[k - 1].base != w->buf) {
			iov[k - 1].len += LIBXC_PAGE_SIZE;
			continue;
		}
		iov[k].base = d;
		iov[k++].len = LIBXC_PAGE_SIZE;
	}
	if ((rc = w->flushv(w->opaque, iov, k)) != 0) {
		w->err = rc < 0 ? rc : -EIO;
		return w->err;
	}
	w->flushed += total;
	w->len = 0;
	w->pages += ndata;
	return 0;
}

int
stream_writer_flush_pages(struct stream_writer *w)
{
	uint8_t h[16];
	uint32_t i, n = w->nbatch, ndata = 0;
	uint8_t *p;
	size_t len;
	int rc;

	if (w->err != 0)
		return w->err;
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (w->bdata[i] != NULL)
			ndata++;
	len = 8 + 8 * (size_t)n + (size_t)LIBXC_PAGE_SIZE * ndata;
	w->nbatch = 0;
	store_le32(h, LIBXC_REC_PAGE_DATA);
	store_le32(h + 4, (uint32_t)len);
	libxc_page_data_hdr_encode(h + 8, n);
	if ((rc = wr_put(w, h, sizeof(h))) != 0)
		return rc;
	if (w->cap - w->len >= 8 * (size_t)n) {
		p = w->buf + w->len;
		for (i = 0; i < n; i++)
			store_le64(p + 8 * (size_t)i, w->bword[i]);
		w->len += 8 * (size_t)n;
	} else {
		for (i = 0; i < n; i++) {
			store_le64(h, w->bword[i]);
			if ((rc = wr_put(w, h, 8)) != 0)
				return rc;
		}
	}
	if (w->flushv != NULL)
		return wr_pages_vectored(w, n, ndata);
	for (i = 0; i < n; i++) {
		if (w->bdata[i] == NULL)
			continue;
		if (w->cap - w->len >= LIBXC_PAGE_SIZE) {
			memcpy(w->buf + w->len, w->bdata[i], LIBXC_PAGE_SIZE);
			w->len += LIBXC_PAGE_SIZE;
		} else if ((rc = wr_put(w, w->bdata[i],
		    LIBXC_PAGE_SIZE)) != 0)
			return rc;
	}
	w->pages += ndata;
	/* 8 + 8n + 4096k is a multiple of 8: no padding. */
	return 0;
}

int
stream_writer_page(struct stream_writer *w, uint64_t pfn, unsigned int type,
    const void *data)
{
	int has;

	if (w->err != 0)
		return w->err;
	if (pfn > LIBXC_PFN_MASK || !libxc_page_type_valid(type))
		return -EINVAL;
	has = libxc_page_type_has_data(type);
	if (has && data == NULL)
		return -EINVAL;
	w->bword[w->nbatch] = libxc_pfn_word(pfn, type);
	w->bdata[w->nbatch] = has ? data : NULL;
	if (++w->nbatch == LIBXC_BATCH_MAX)
		return stream_writer_flush_pages(w);
	return 0;
}

int
stream_writer_flush(struct stream_writer *w)
{
	int rc;

	if ((rc = stream_writer_flush_pages(w)) != 0)
		return rc;
	return wr_drain(w);
}

uint64_t
stream_writer_offset(const struct stream_writer *w)
{
	return w->flushed + w->len;
}

uint64_t
stream_writer_pages(const struct stream_writer *w)
{
	return w->pages;
}

int
stream_writer_error(const struct stream_writer *w)
{
	return w->err;
}
