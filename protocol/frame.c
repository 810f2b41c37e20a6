/*
 * frame.c - the framed stream's frames: header and zero runs, encode and
 * checked decode, and the split of a chunk into zero runs and literal
 * bytes and back.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "cursor.h"
#include "frame.h"

/* A window of this many zero bytes is looked for where runs may start. */
#define FRAME_PROBE	(FRAME_ZERO_MIN / 2)

static const char *const frame_codecs[] = {
	[FRAME_CODEC_NONE] = "none",
	[FRAME_CODEC_LZ4] = "lz4",
	[FRAME_CODEC_ZSTD] = "zstd",
};

const char *
frame_codec_name(unsigned codec)
{
	return codec <= FRAME_CODEC_MAX ? frame_codecs[codec] : NULL;
}

int
frame_codec_parse(const char *s, enum frame_codec *codec)
{
	unsigned i;

	for (i = 0; i <= FRAME_CODEC_MAX; i++)
		if (strcmp(s, frame_codecs[i]) == 0) {
			*codec = (enum frame_codec)i;
			return 0;
		}
	return -EINVAL;
}

void
frame_hdr_encode(uint8_t buf[FRAME_HDR_LEN], const struct frame_hdr *h)
{
	buf[0] = (uint8_t)h->kind;
	buf[1] = (uint8_t)h->codec;
	store_be16(buf + 2, (uint16_t)h->nzero);
	store_be32(buf + 4, h->raw_len);
	store_be32(buf + 8, h->lit_len);
	store_be32(buf + 12, h->wire_len);
}

/* The checks of a DATA header's lengths; NULL when they hold. */
static const char *
frame_data_check(const struct frame_hdr *h)
{
	if (h->codec > FRAME_CODEC_MAX)
		return "unknown codec";
	if (h->raw_len == 0 || h->raw_len > FRAME_RAW_MAX)
		return "chunk length out of bounds";
	if (h->lit_len > h->raw_len)
		return "more literal bytes than the chunk has";
	if (h->nzero > FRAME_RUNS_MAX)
		return "too many zero runs";
	if ((h->nzero == 0) != (h->lit_len == h->raw_len))
		return "zero runs do not match the literal length";
	if (h->codec == FRAME_CODEC_NONE)
		return h->wire_len == h->lit_len ? NULL :
		    "raw literal of the wrong length";
	if (h->lit_len == 0)
		return "compressed frame without literal bytes";
	if (h->wire_len == 0 || h->wire_len >= h->lit_len)
		return "compressed literal not shorter than the raw one";
	return NULL;
}

int
frame_hdr_decode(const uint8_t buf[FRAME_HDR_LEN], struct frame_hdr *h,
    const char **why)
{
	h->kind = (enum frame_kind)buf[0];
	h->codec = (enum frame_codec)buf[1];
	h->nzero = load_be16(buf + 2);
	h->raw_len = load_be32(buf + 4);
	h->lit_len = load_be32(buf + 8);
	h->wire_len = load_be32(buf + 12);
	switch (h->kind) {
	case FRAME_END:
		*why = h->codec != 0 || h->nzero != 0 || h->raw_len != 0 ||
		    h->lit_len != 0 || h->wire_len != 0 ?
		    "END frame with data" : NULL;
		break;
	case FRAME_DATA:
		*why = frame_data_check(h);
		break;
	default:
		*why = "unknown frame kind";
		break;
	}
	return *why == NULL ? 0 : -EBADMSG;
}

void
frame_runs_encode(uint8_t *buf, const struct frame_run *runs, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		store_be32(buf + i * FRAME_RUN_LEN, runs[i].off);
		store_be32(buf + i * FRAME_RUN_LEN + 4, runs[i].len);
	}
}

int
frame_runs_decode(const uint8_t *buf, const struct frame_hdr *h,
    struct frame_run *runs, const char **why)
{
	uint64_t end = 0, zeros = 0;
	uint32_t i;

	*why = NULL;
	for (i = 0; i < h->nzero; i++) {
		runs[i].off = load_be32(buf + i * FRAME_RUN_LEN);
		runs[i].len = load_be32(buf + i * FRAME_RUN_LEN + 4);
		if (runs[i].len == 0)
			*why = "empty zero run";
		else if (runs[i].off < end || (i > 0 && runs[i].off == end))
			*why = "zero runs out of order or touching";
		else if ((uint64_t)runs[i].off + runs[i].len > h->raw_len)
			*why = "zero run past the end of the chunk";
		if (*why != NULL)
			return -EBADMSG;
		end = (uint64_t)runs[i].off + runs[i].len;
		zeros += runs[i].len;
	}
	if (zeros + h->lit_len != h->raw_len) {
		*why = "zero runs and literal do not add up to the chunk";
		return -EBADMSG;
	}
	return 0;
}

static int
frame_zero(const uint8_t *p, size_t n)
{
	uint64_t w;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		if (w != 0)
			return 0;
	}
	for (; i < n; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

/* End of the zeros from e on (e < len or e == len). */
static uint32_t
frame_zero_end(const uint8_t *buf, uint32_t e, uint32_t len)
{
	uint64_t w;

	for (; e + 8 <= len; e += 8) {
		memcpy(&w, buf + e, 8);
		if (w != 0)
			break;
	}
	while (e < len && buf[e] == 0)
		e++;
	return e;
}

/*
 * A run of FRAME_ZERO_MIN zeros or more holds a whole FRAME_PROBE
 * window aligned on FRAME_PROBE from the chunk's start: only those
 * windows are looked at, then the zeros around one are followed.
 */
uint32_t
frame_split(const uint8_t *buf, uint32_t len, struct frame_run *runs,
    uint8_t *lit, uint32_t *lit_len)
{
	uint32_t n = 0, used = 0, prev = 0, q = 0, s, e;
	uint64_t w;

	while (q + FRAME_PROBE <= len) {
		memcpy(&w, buf + q, 8);
		if (w != 0 || !frame_zero(buf + q, FRAME_PROBE)) {
			q += FRAME_PROBE;
			continue;
		}
		for (s = q; s > prev && buf[s - 1] == 0; s--)
			;
		e = frame_zero_end(buf, q + FRAME_PROBE, len);
		if (e - s >= FRAME_ZERO_MIN && n < FRAME_RUNS_MAX) {
			memcpy(lit + used, buf + prev, s - prev);
			used += s - prev;
			runs[n].off = s;
			runs[n++].len = e - s;
			prev = e;
		}
		q = (e + FRAME_PROBE - 1) / FRAME_PROBE * FRAME_PROBE;
	}
	if (n > 0) {
		memcpy(lit + used, buf + prev, len - prev);
		used += len - prev;
	} else
		used = len;
	*lit_len = used;
	return n;
}

void
frame_expand(const struct frame_hdr *h, const struct frame_run *runs,
    const uint8_t *lit, uint8_t *out)
{
	uint32_t i, at = 0, used = 0;

	for (i = 0; i < h->nzero; i++) {
		memcpy(out + at, lit + used, runs[i].off - at);
		used += runs[i].off - at;
		memset(out + runs[i].off, 0, runs[i].len);
		at = runs[i].off + runs[i].len;
	}
	memcpy(out + at, lit + used, h->raw_len - at);
}
