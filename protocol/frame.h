/*
 * frame.h - the framed stream between xmig and xmigd: how the save
 * stream travels once both ends agreed on it in HELLO (protocol/reloc.h:
 * STREAM {codec}).  The bytes of the stream are cut into chunks; each
 * chunk is one DATA frame that carries its zero runs as markers and the
 * rest (its literal bytes, concatenated) raw or compressed.  An END frame
 * closes the stream; the relocation frames (RECEIVED, GO, ...) follow.
 *
 *   header, 16 bytes, big-endian:
 *     u8  kind      FRAME_DATA or FRAME_END
 *     u8  codec     FRAME_CODEC_* of the literal bytes
 *     u16 nzero     zero runs that follow the header
 *     u32 raw_len   bytes of stream the frame stands for
 *     u32 lit_len   of which literal (raw_len - the zero runs' bytes)
 *     u32 wire_len  bytes of (compressed) literal after the runs
 *   nzero runs, 8 bytes each: u32 offset, u32 length (in the chunk)
 *   wire_len bytes: the literal bytes, as codec says
 *
 * The decoder checks every field before anything is allocated or
 * expanded: lengths against FRAME_RAW_MAX, the runs ordered, disjoint,
 * not empty and inside the chunk, their sum against raw_len - lit_len, a
 * raw literal exactly lit_len and a compressed one shorter (a chunk that
 * does not shrink is sent raw).  An END frame has every other field 0.
 *
 * Pure: no I/O, no compression library (lib/compress.h decompresses).
 */
#ifndef XMIG_PROTO_FRAME_H
#define XMIG_PROTO_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_HDR_LEN		16
#define FRAME_RUN_LEN		8
#define FRAME_RAW_MAX		(1U << 20)	/* bytes a frame stands for */
#define FRAME_ZERO_MIN		4096		/* shortest run elided */
/* A run is FRAME_ZERO_MIN bytes at least, apart from the next. */
#define FRAME_RUNS_MAX		(FRAME_RAW_MAX / FRAME_ZERO_MIN)

enum frame_kind {
	FRAME_DATA = 1,
	FRAME_END = 2,
};

enum frame_codec {
	FRAME_CODEC_NONE = 0,
	FRAME_CODEC_LZ4 = 1,
	FRAME_CODEC_ZSTD = 2,
	FRAME_CODEC_MAX = FRAME_CODEC_ZSTD,
};

struct frame_hdr {
	enum frame_kind	 kind;
	enum frame_codec codec;
	uint32_t	 nzero;
	uint32_t	 raw_len;
	uint32_t	 lit_len;
	uint32_t	 wire_len;
};

struct frame_run {
	uint32_t	 off;
	uint32_t	 len;
};

/* "none", "lz4", "zstd"; NULL for another value. */
const char *frame_codec_name(unsigned codec);

/* Parse a codec name; 0 and *codec, or -EINVAL. */
int	frame_codec_parse(const char *s, enum frame_codec *codec);

/* Bytes after the header: the runs and the literal. */
static inline size_t
frame_body_len(const struct frame_hdr *h)
{
	return (size_t)h->nzero * FRAME_RUN_LEN + h->wire_len;
}

/* Write the header of *h into buf. */
void	frame_hdr_encode(uint8_t buf[FRAME_HDR_LEN], const struct frame_hdr *h);

/*
 * Check and decode a header.  Returns 0, or -EBADMSG with *why (static
 * text) for any field out of its bounds.
 */
int	frame_hdr_decode(const uint8_t buf[FRAME_HDR_LEN],
	    struct frame_hdr *h, const char **why);

/* Write n runs into buf (n * FRAME_RUN_LEN bytes). */
void	frame_runs_encode(uint8_t *buf, const struct frame_run *runs,
	    uint32_t n);

/*
 * Decode and check the runs of a frame whose header was accepted, from
 * buf (h->nzero * FRAME_RUN_LEN bytes) into runs (room for h->nzero).
 * Returns 0, or -EBADMSG with *why.
 */
int	frame_runs_decode(const uint8_t *buf, const struct frame_hdr *h,
	    struct frame_run *runs, const char **why);

/*
 * Find the zero runs of at least FRAME_ZERO_MIN bytes in buf (len <=
 * FRAME_RAW_MAX), write them to runs (room for FRAME_RUNS_MAX) and the
 * other bytes, in order, to lit (room for len).  Returns the number of
 * runs; *lit_len is set.  With no run found, nothing is written to lit:
 * the literal is buf itself.  Random data costs a word read per 2 KiB.
 */
uint32_t frame_split(const uint8_t *buf, uint32_t len, struct frame_run *runs,
	    uint8_t *lit, uint32_t *lit_len);

/*
 * Rebuild the chunk of a checked frame into out (h->raw_len bytes) from
 * its runs and its literal bytes (h->lit_len, already decompressed).
 */
void	frame_expand(const struct frame_hdr *h, const struct frame_run *runs,
	    const uint8_t *lit, uint8_t *out);

#endif /* XMIG_PROTO_FRAME_H */
