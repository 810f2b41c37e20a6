/*
 * fuzz_libxc.c - libFuzzer target: a bare libxc stream (what follows a
 * LIBXC_CONTEXT record), read record by record as a restorer would,
 * touching every page of each PAGE_DATA batch.
 *
 * The first byte is the domain's size the reader is bound to, as a
 * restore sets it: 0xff for no bound, else the highest pfn (0, a
 * one-page domain, to 254).  The rest is the stream.  A batch the reader
 * hands on with a pfn over the bound, or more than LIBXC_BATCH_MAX
 * entries, is a crash: a restore would write it outside the domain.
 * Seeds (tests/fuzz/corpus/libxc): "bad-*" must be refused, for the
 * reason their name gives.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "libxc_stream.h"
#include "stream_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stream_membuf m;
	struct stream_reader *r;
	struct stream_event ev;
	const struct libxc_page_batch *b;
	struct srerr e;
	volatile uint8_t sink = 0;
	uint64_t max_pfn;
	uint32_t i;

	if (size < 1)
		return 0;
	max_pfn = data[0] == 0xff ? LIBXC_MAX_PFN_NONE : data[0];
	m = (struct stream_membuf){ data + 1, size - 1, 0 };
	if ((r = stream_reader_new(STREAM_FMT_LIBXC, stream_membuf_read,
	    &m)) == NULL)
		return 0;
	stream_reader_set_max_pfn(r, max_pfn);
	srerr_clear(&e);
	while (stream_reader_next(r, &ev, &e) > 0) {
		if (ev.kind != STREAM_EV_LIBXC_RECORD || ev.libxc->pages == NULL)
			continue;
		b = ev.libxc->pages;
		if (b->count > LIBXC_BATCH_MAX)
			__builtin_trap();
		for (i = 0; i < b->count; i++) {
			if (b->pfn[i] > max_pfn)
				__builtin_trap();
			if (b->data[i] != NULL)
				sink ^= b->data[i][4095];
		}
	}
	stream_reader_free(r);
	(void)sink;
	return 0;
}
