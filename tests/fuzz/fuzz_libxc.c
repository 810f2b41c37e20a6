/*
 * fuzz_libxc.c - libFuzzer target: a bare libxc stream (what follows a
 * LIBXC_CONTEXT record), read record by record as a restorer would,
 * touching every page of each PAGE_DATA batch.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "stream_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stream_membuf m = { data, size, 0 };
	struct stream_reader *r;
	struct stream_event ev;
	struct srerr e;
	volatile uint8_t sink = 0;
	uint32_t i;

	if ((r = stream_reader_new(STREAM_FMT_LIBXC, stream_membuf_read,
	    &m)) == NULL)
		return 0;
	srerr_clear(&e);
	while (stream_reader_next(r, &ev, &e) > 0) {
		if (ev.kind != STREAM_EV_LIBXC_RECORD || ev.libxc->pages == NULL)
			continue;
		for (i = 0; i < ev.libxc->pages->count; i++)
			if (ev.libxc->pages->data[i] != NULL)
				sink ^= ev.libxc->pages->data[i][4095];
	}
	stream_reader_free(r);
	(void)sink;
	return 0;
}
