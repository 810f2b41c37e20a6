/*
 * compress.h - the compression of the framed stream's literal bytes
 * (protocol/frame.h): lz4 (fast, the default) and zstd (denser, slower),
 * behind one small interface.  A codec this build lacks is reported as
 * unavailable, never half-used.
 */
#ifndef XMIG_COMPRESS_H
#define XMIG_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"

/*
 * "--compress auto" (and compress = auto): lz4, and zstd while it moves
 * the stream faster (lib/wirecodec.h).  Not a frame codec: never on the
 * wire.
 */
#define COMPRESS_AUTO	(FRAME_CODEC_MAX + 1)

/*
 * Parse "auto", "lz4", "zstd" or "none" into *codec (COMPRESS_AUTO or
 * an enum frame_codec) if this build has it; 0 or -EINVAL.
 */
int	compress_parse(const char *s, int *codec);

/* 1 if this build can compress and decompress with codec. */
int	compress_available(enum frame_codec codec);

/*
 * The codecs this build offers, as the HELLO "compress" list: names
 * separated by spaces ("lz4 zstd"), "" for none.
 */
const char *compress_offer(void);

/*
 * Is codec named in list (a HELLO "compress" value)?  1 or 0.
 */
int	compress_in_list(const char *list, enum frame_codec codec);

/* A compressor's state: one per thread, reused from chunk to chunk. */
struct compress_ctx;

/* A context for codec, or NULL (out of memory, codec unavailable). */
struct compress_ctx *compress_ctx_new(enum frame_codec codec);
void	compress_ctx_free(struct compress_ctx *c);

/*
 * Compress len bytes of src into dst (room for dstcap bytes).  Returns
 * the compressed length when it is shorter than len, or 0 when the data
 * does not shrink (or does not fit dstcap): send it raw then.
 */
size_t	compress_block(struct compress_ctx *c, const void *src, size_t len,
	    void *dst, size_t dstcap);

/*
 * Decompress srclen bytes of src, which must make exactly dstlen bytes,
 * into dst.  Returns 0, or -EBADMSG for corrupted input or a length
 * that does not match (dst then holds garbage), -ENOTSUP for a codec
 * this build lacks.
 */
int	compress_decode(enum frame_codec codec, const void *src, size_t srclen,
	    void *dst, size_t dstlen);

#endif /* XMIG_COMPRESS_H */
