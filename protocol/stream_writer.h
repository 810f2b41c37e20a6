/*
 * stream_writer.h - framing records and batching pages into an output
 * buffer that is handed to a caller's flush callback.
 *
 * libxc and libxl records share one framing (uint32_t type, uint32_t
 * length, body, zero padding to 8 bytes), so one writer serves both.
 * Pages are batched into PAGE_DATA records of up to LIBXC_BATCH_MAX pages
 * as libxenguest does: the writer remembers each page's pointer and
 * copies the data once, straight into the output buffer, when the batch
 * is written.  Nothing is allocated per page.
 */
#ifndef XMIG_STREAM_WRITER_H
#define XMIG_STREAM_WRITER_H

#include <stddef.h>
#include <stdint.h>

/*
 * Consume len bytes at data (the writer reuses the memory after the call
 * returns).  Returns 0 or a negative errno, which the writer then returns
 * from every later call.
 */
typedef int (*stream_flush_fn)(void *opaque, const void *data, size_t len);

/*
 * Optional vectored consumer (see stream_writer_set_flushv()): n pieces
 * in order, to be consumed before returning.  Returns 0 or a negative
 * errno, as stream_flush_fn.
 */
struct stream_iov;
typedef int (*stream_flushv_fn)(void *opaque, const struct stream_iov *iov,
    unsigned int n);

/* Default output buffer: one full PAGE_DATA record and change. */
#define STREAM_WRITER_BUFSIZE	(4U << 20)

struct stream_writer;

/* A piece of a record body. */
struct stream_iov {
	const void	*base;
	size_t		 len;
};

/*
 * A writer flushing through flush(opaque, ...) with an output buffer of
 * bufsize bytes (0: STREAM_WRITER_BUFSIZE; at least 64).  Returns NULL
 * when out of memory.
 */
struct stream_writer *stream_writer_new(stream_flush_fn flush, void *opaque,
	    size_t bufsize);

/*
 * Hand each PAGE_DATA batch to flushv: what is buffered, then the pages
 * where they are (no copy into the output buffer; at most 1 +
 * LIBXC_BATCH_MAX pieces).  Everything else still goes through flush.
 */
void	stream_writer_set_flushv(struct stream_writer *w,
	    stream_flushv_fn flushv);
/* Free w without flushing.  NULL is allowed. */
void	stream_writer_free(struct stream_writer *w);

/* Append raw bytes (headers).  Returns 0 or a negative errno. */
int	stream_writer_bytes(struct stream_writer *w, const void *data,
	    size_t len);

/*
 * Append a record: header, the body (len bytes at body, NULL when 0),
 * zero padding.  Pending pages are written first.  Returns 0, -EINVAL
 * (len over the 128 MiB record maximum) or the flush callback's error.
 */
int	stream_writer_record(struct stream_writer *w, uint32_t type,
	    const void *body, size_t len);

/* The same with the body in n pieces. */
int	stream_writer_recordv(struct stream_writer *w, uint32_t type,
	    const struct stream_iov *iov, unsigned int n);

/*
 * Add a page to the current PAGE_DATA batch: pfn (< 2^52), type (enum
 * libxc_page_type) and, for types that carry data, 4096 bytes at data,
 * which must stay valid and unchanged until the batch is written (the
 * LIBXC_BATCH_MAX-th page, the next record, or stream_writer_flush_pages()).
 * Returns 0, -EINVAL (bad pfn or type, missing data) or a flush error.
 */
int	stream_writer_page(struct stream_writer *w, uint64_t pfn,
	    unsigned int type, const void *data);

/* Write the pending batch, if any, as a PAGE_DATA record. */
int	stream_writer_flush_pages(struct stream_writer *w);

/* Write pending pages and hand everything buffered to the callback. */
int	stream_writer_flush(struct stream_writer *w);

/* Bytes produced so far, buffered or flushed (pending pages excluded). */
uint64_t stream_writer_offset(const struct stream_writer *w);

/* Pages with data written so far (pending ones excluded). */
uint64_t stream_writer_pages(const struct stream_writer *w);

/* The sticky error (0 or a negative errno). */
int	stream_writer_error(const struct stream_writer *w);

#endif /* XMIG_STREAM_WRITER_H */
