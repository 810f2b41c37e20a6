/*
 * fuzz_frame.c - libFuzzer target for the framed stream's decoder
 * (lib/wirecodec.c, protocol/frame.c): what a source sends after STREAM
 * {codec}.  An input whose first byte is even is a run of frames from the
 * network, decoded until the first refusal or END: nothing may be read or
 * written out of bounds, and a frame accepted stands for at most
 * FRAME_RAW_MAX bytes.  An odd first byte makes the rest a chunk of
 * stream, encoded with each codec, zero elision on and off, then
 * decoded: it must come back byte for byte.
 *
 * Seeds: tests/fuzz/corpus/frame/ (frames of each kind and codec, and
 * chunks with zero runs).
 */
#define _GNU_SOURCE
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "log.h"
#include "wirecodec.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[FRAME_RAW_MAX];
static uint8_t enc[FRAME_HDR_LEN + FRAME_RUNS_MAX * FRAME_RUN_LEN +
    FRAME_RAW_MAX];

static void
decode_frames(const uint8_t *data, size_t size)
{
	const char *why;
	size_t used;
	int n;

	while (size > 0) {
		n = wire_decode_frame(data, size, out, &used, &why);
		if (n < 0) {
			if (why == NULL)
				abort();	/* a refusal says why */
			return;
		}
		if ((size_t)n > FRAME_RAW_MAX || used > size || used == 0)
			abort();
		if (n == 0)
			return;		/* END */
		data += used;
		size -= used;
	}
}

static void
round_trip(const uint8_t *data, size_t size)
{
	unsigned codec, zero;
	const char *why;
	size_t len, used;
	int n;

	if (size == 0 || size > FRAME_RAW_MAX)
		return;
	for (codec = 0; codec <= FRAME_CODEC_MAX; codec++)
		for (zero = 0; zero < 2; zero++) {
			len = wire_encode_frame(data, (uint32_t)size,
			    (enum frame_codec)codec, (int)zero, enc);
			if (len == 0)
				abort();
			n = wire_decode_frame(enc, len, out, &used, &why);
			if (n != (int)size || used != len ||
			    memcmp(out, data, size) != 0)
				abort();
		}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int once;

	if (!once) {
		log_init("fuzz", 1, LOG_LVL_ERR);
		once = 1;
	}
	if (size == 0)
		return 0;
	if (data[0] & 1)
		round_trip(data + 1, size - 1);
	else
		decode_frames(data + 1, size - 1);
	return 0;
}
