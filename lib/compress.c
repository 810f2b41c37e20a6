/*
 * compress.c - lz4 and zstd for the framed stream.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_LZ4
#include <lz4.h>
#endif
#ifdef HAVE_ZSTD
#include <zstd.h>
#endif

#include "compress.h"

/* zstd's fastest regular level: the link, not the ratio, is the aim. */
#define COMPRESS_ZSTD_LEVEL	1

struct compress_ctx {
	enum frame_codec codec;
#ifdef HAVE_ZSTD
	ZSTD_CCtx	*zc;
#endif
};

int
compress_available(enum frame_codec codec)
{
	switch (codec) {
	case FRAME_CODEC_NONE:
		return 1;
#ifdef HAVE_LZ4
	case FRAME_CODEC_LZ4:
		return 1;
#endif
#ifdef HAVE_ZSTD
	case FRAME_CODEC_ZSTD:
		return 1;
#endif
	default:
		return 0;
	}
}

int
compress_parse(const char *s, int *codec)
{
	enum frame_codec c;

	/* What each side has is settled in HELLO (wire_choose()). */
	if (strcmp(s, "auto") == 0) {
		*codec = COMPRESS_AUTO;
		return 0;
	}
	if (frame_codec_parse(s, &c) != 0 || !compress_available(c))
		return -EINVAL;
	*codec = (int)c;
	return 0;
}

const char *
compress_offer(void)
{
#if defined(HAVE_LZ4) && defined(HAVE_ZSTD)
	return "lz4 zstd";
#elif defined(HAVE_LZ4)
	return "lz4";
#elif defined(HAVE_ZSTD)
	return "zstd";
#else
	return "";
#endif
}

int
compress_in_list(const char *list, enum frame_codec codec)
{
	const char *name = frame_codec_name(codec), *p = list;
	size_t n;

	if (name == NULL || list == NULL)
		return 0;
	n = strlen(name);
	while ((p = strstr(p, name)) != NULL) {
		if ((p == list || p[-1] == ' ') &&
		    (p[n] == '\0' || p[n] == ' '))
			return 1;
		p += n;
	}
	return 0;
}

struct compress_ctx *
compress_ctx_new(enum frame_codec codec)
{
	struct compress_ctx *c;

	if (codec == FRAME_CODEC_NONE || !compress_available(codec))
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->codec = codec;
#ifdef HAVE_ZSTD
	if (codec == FRAME_CODEC_ZSTD && (c->zc = ZSTD_createCCtx()) == NULL) {
		free(c);
		return NULL;
	}
#endif
	return c;
}

void
compress_ctx_free(struct compress_ctx *c)
{
	if (c == NULL)
		return;
#ifdef HAVE_ZSTD
	ZSTD_freeCCtx(c->zc);
#endif
	free(c);
}

size_t
compress_block(struct compress_ctx *c, const void *src, size_t len,
    void *dst, size_t dstcap)
{
	size_t n = 0;

	if (c == NULL || len == 0 || len > INT_MAX)
		return 0;
	if (dstcap >= len)
		dstcap = len - 1;	/* only a shorter result is kept */
	switch (c->codec) {
#ifdef HAVE_LZ4
	case FRAME_CODEC_LZ4: {
		int r = LZ4_compress_default(src, dst, (int)len,
		    (int)dstcap);

		n = r > 0 ? (size_t)r : 0;
		break;
	}
#endif
#ifdef HAVE_ZSTD
	case FRAME_CODEC_ZSTD:
		n = ZSTD_compressCCtx(c->zc, dst, dstcap, src, len,
		    COMPRESS_ZSTD_LEVEL);
		if (ZSTD_isError(n))
			n = 0;
		break;
#endif
	default:
		break;
	}
	return n < len ? n : 0;
}

int
compress_decode(enum frame_codec codec, const void *src, size_t srclen,
    void *dst, size_t dstlen)
{
	if (srclen > INT_MAX || dstlen > INT_MAX)
		return -EBADMSG;
	switch (codec) {
	case FRAME_CODEC_NONE:
		if (srclen != dstlen)
			return -EBADMSG;
		memcpy(dst, src, srclen);
		return 0;
#ifdef HAVE_LZ4
	case FRAME_CODEC_LZ4:
		return LZ4_decompress_safe(src, dst, (int)srclen,
		    (int)dstlen) == (int)dstlen ? 0 : -EBADMSG;
#endif
#ifdef HAVE_ZSTD
	case FRAME_CODEC_ZSTD: {
		unsigned long long want = ZSTD_getFrameContentSize(src,
		    srclen);
		size_t n;

		/* The size, when the frame says it, must be dstlen. */
		if (want != ZSTD_CONTENTSIZE_UNKNOWN && want != dstlen)
			return -EBADMSG;
		n = ZSTD_decompress(dst, dstlen, src, srclen);
		return !ZSTD_isError(n) && n == dstlen ? 0 : -EBADMSG;
	}
#endif
	default:
		return -ENOTSUP;
	}
}
