/*
 * stream_reader.h - an incremental reader for whole save files and
 * migration streams: the xl header, the libxl stream, and the libxc
 * stream nested in its LIBXC_CONTEXT record (or a bare libxl or libxc
 * stream).
 *
 * Bytes come from a caller's read callback, so a file, a socket or a
 * buffer all work.  The reader holds one record at a time: every length is
 * checked against its hard maximum before anything is allocated, and the
 * buffer grows only as fast as bytes actually arrive.  Each header and
 * record is checked (libxc_stream.h, libxl_stream.h) and handed to the
 * caller as an event; PAGE_DATA comes decoded, with pointers to each
 * page's data inside the record, ready to be copied into guest memory.
 * The first defect stops the reader and is reported with its byte offset
 * from the start of the input.
 */
#ifndef XMIG_STREAM_READER_H
#define XMIG_STREAM_READER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "libxc_stream.h"
#include "libxl_stream.h"
#include "srerr.h"
#include "xlhdr.h"

/*
 * Read up to len bytes into buf.  Returns the number read (> 0), 0 at the
 * end of the input, or -1 with errno set (or a negative errno) on error.
 * EINTR is retried by the reader.
 */
typedef ssize_t (*stream_read_fn)(void *opaque, void *buf, size_t len);

enum stream_format {
	STREAM_FMT_XL = 0,	/* xl header + libxl stream (save files) */
	STREAM_FMT_LIBXL,	/* libxl stream with nested libxc stream */
	STREAM_FMT_LIBXC,	/* bare libxc stream */
};

enum stream_ev_kind {
	STREAM_EV_XL_HEADER = 1,	/* ev.xl */
	STREAM_EV_LIBXL_HEADER,		/* ev.libxl_hdr */
	STREAM_EV_LIBXL_RECORD,		/* ev.libxl */
	STREAM_EV_LIBXC_HEADER,		/* ev.ihdr and ev.dhdr */
	STREAM_EV_LIBXC_RECORD,		/* ev.libxc (PAGE_DATA: ->pages) */
};

/*
 * One header or record.  Every pointer, and every view inside what they
 * point to (config, bodies, page data), is owned by the reader and valid
 * until the next stream_reader_next() or stream_reader_free().
 */
struct stream_event {
	enum stream_ev_kind		 kind;
	uint64_t			 offset;	/* where it starts */
	const struct xlhdr		*xl;
	const struct libxl_hdr		*libxl_hdr;
	const struct libxl_rec		*libxl;
	const struct libxc_ihdr		*ihdr;
	const struct libxc_dhdr		*dhdr;
	const struct libxc_rec		*libxc;
};

struct stream_reader;

/*
 * A reader of format fmt pulling bytes from read(opaque, ...).  Returns
 * NULL only when out of memory.  Free it with stream_reader_free().
 */
struct stream_reader *stream_reader_new(enum stream_format fmt,
	    stream_read_fn read, void *opaque);

/* Free r and everything it owns.  NULL is allowed. */
void	stream_reader_free(struct stream_reader *r);

/*
 * Refuse pages above max_pfn, the domain's highest pfn as the restorer
 * knows it (0 for a one-page domain; the default, LIBXC_MAX_PFN_NONE, sets
 * no limit beyond a PV guest's p2m).  Call before the first
 * stream_reader_next().
 */
void	stream_reader_set_max_pfn(struct stream_reader *r, uint64_t max_pfn);

/*
 * Optional page sink: with one, the page data of each PAGE_DATA record is
 * not read into the reader's buffer.  The reader reads and checks the
 * record's header and pfns (the whole record is checked but for the page
 * contents) and calls sink(opaque, batch, len): the sink must consume
 * exactly len bytes, the pages of the entries whose type carries data
 * (libxc_page_type_has_data()), in order, from the same input the read
 * callback reads (e.g. splice them from the socket into guest memory);
 * data[i] is NULL throughout.  It returns 0, -EPIPE if the input ended, or
 * another negative errno.  The PAGE_DATA event that follows has every
 * data[i] NULL (nr_data still counts the pages).
 */
struct libxc_page_batch;
typedef int (*stream_page_sink_fn)(void *opaque,
    const struct libxc_page_batch *b, uint64_t len);
void	stream_reader_set_page_sink(struct stream_reader *r,
	    stream_page_sink_fn sink, void *opaque);

/*
 * Read, check and decode the next header or record.  Returns 1 with *ev
 * filled, 0 once the outermost END record has been returned (nothing
 * past it is read), or a negative errno with the first defect in e (and
 * the same errno on every later call).  -EBADMSG: a defect in the input;
 * -EIO or the callback's errno: reading failed; -ENOMEM.
 */
int	stream_reader_next(struct stream_reader *r, struct stream_event *ev,
	    struct srerr *e);

/*
 * After stream_reader_next() returned 0: check there is nothing after the
 * end (for a file).  Returns 0, or -EBADMSG with SRERR_TRAILING in e.
 */
int	stream_reader_expect_eof(struct stream_reader *r, struct srerr *e);

/* Bytes consumed from the input so far. */
uint64_t stream_reader_offset(const struct stream_reader *r);

/* The libxc and libxl checking state (counts, domain type, vcpus). */
const struct libxc_state *stream_reader_libxc(const struct stream_reader *r);
const struct libxl_state *stream_reader_libxl(const struct stream_reader *r);

/* A read callback over memory: opaque is a struct stream_membuf. */
struct stream_membuf {
	const uint8_t	*data;
	size_t		 len;
	size_t		 pos;
};
ssize_t	stream_membuf_read(void *opaque, void *buf, size_t len);

#endif /* XMIG_STREAM_READER_H */
