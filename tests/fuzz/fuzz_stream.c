/*
 * fuzz_stream.c - libFuzzer target: decode a whole save file (xl header,
 * libxl stream, nested libxc stream) through the stream verifier, which
 * drives the incremental reader and every record decoder.  The reader is
 * fed in small uneven pieces to exercise partial reads.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "stream_verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct src {
	const uint8_t	*p;
	size_t		 len;
	size_t		 pos;
	unsigned int	 step;
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stream_summary sum;
	struct src s = { data, size, 0, (unsigned int)size };
	struct srerr e;

	srerr_clear(&e);
	(void)stream_verify(STREAM_FMT_XL, src_read, &s, &sum, &e);
	return 0;
}
