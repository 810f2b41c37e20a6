/*
 * fuzz_stream.c - libFuzzer target: decode a whole save file (xl header,
 * libxl stream, nested libxc stream) through the stream verifier, which
 * drives the incremental reader and every record decoder.  The reader is
 * fed in small uneven pieces to exercise partial reads.  A second pass
 * reads it again with a page sink (the restore's splice path), which
 * takes the page data from the same input.
 *
 * The first byte is the domain's size the second pass is bound to, as a
 * restore sets it: 0xff for no bound, else the highest pfn (0, a
 * one-page domain, to 254).  The rest is the save file.  A batch reaching
 * the sink with a pfn over the bound, or more than LIBXC_BATCH_MAX
 * entries, is a crash: the sim's sink (be_sim_stream.c) would write it
 * outside the domain's memory.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "libxc_stream.h"
#include "stream_reader.h"
#include "stream_verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct src {
	const uint8_t	*p;
	size_t		 len;
	size_t		 pos;
	unsigned int	 step;
	uint64_t	 max_pfn;	/* the reader's bound */
};

static ssize_t
src_read(void *opaque, void *buf, size_t len)
{
	struct src *s = opaque;
	size_t n = s->len - s->pos;

	s->step = s->step * 1103515245U + 12345U;
	if (n > len)
		n = len;
	if (n > 1 + (s->step >> 16) % 8192)
		n = 1 + (s->step >> 16) % 8192;
	memcpy(buf, s->p + s->pos, n);
	s->pos += n;
	return (ssize_t)n;
}

/* The page sink: consume the pages' bytes from the input, as a restore. */
static int
src_sink(void *opaque, const struct libxc_page_batch *b, uint64_t len)
{
	struct src *s = opaque;
	uint64_t want = 0;
	uint32_t i;

	if (b->count > LIBXC_BATCH_MAX)
		__builtin_trap();
	for (i = 0; i < b->count; i++) {
		if (b->data[i] != NULL)
			__builtin_trap();	/* the reader must not hand them */
		if (b->pfn[i] > s->max_pfn)
			__builtin_trap();	/* outside the domain */
		if (libxc_page_type_has_data(b->type[i]))
			want += LIBXC_PAGE_SIZE;
	}
	if (want != len)
		__builtin_trap();
	if (s->len - s->pos < len)
		return -EPIPE;
	s->pos += (size_t)len;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stream_summary sum;
	struct src s;
	struct stream_reader *r;
	struct stream_event ev;
	struct srerr e;
	uint64_t max_pfn;

	if (size < 1)
		return 0;
	max_pfn = data[0] == 0xff ? LIBXC_MAX_PFN_NONE : data[0];
	data++;
	size--;
	s = (struct src){ data, size, 0, (unsigned int)size,
	    LIBXC_MAX_PFN_NONE };
	srerr_clear(&e);
	(void)stream_verify(STREAM_FMT_XL, src_read, &s, &sum, &e);

	s = (struct src){ data, size, 0, (unsigned int)size, max_pfn };
	srerr_clear(&e);
	if ((r = stream_reader_new(STREAM_FMT_XL, src_read, &s)) == NULL)
		return 0;
	stream_reader_set_max_pfn(r, max_pfn);
	stream_reader_set_page_sink(r, src_sink, &s);
	while (stream_reader_next(r, &ev, &e) > 0)
		;
	stream_reader_free(r);
	return 0;
}
