/*
 * test_wirecodec.c - the framed stream: frame headers and zero runs
 * (protocol/frame.c), one frame encoded and decoded with each codec
 * (lib/wirecodec.c, lib/compress.c), corrupted frames refused, and the
 * encoder and decoder threads end to end over a socket pair; the zero
 * page filter of libxc streams (lib/zerofilt.c).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include "compress.h"
#include "cursor.h"
#include "frame.h"
#include "relocio.h"
#include "util.h"
#include "wirecodec.h"
#include "zerofilt.h"

#define PG	4096
#define FRAME_ROOM	(FRAME_HDR_LEN + FRAME_RUNS_MAX * FRAME_RUN_LEN + \
	FRAME_RAW_MAX)

static uint8_t frame[FRAME_ROOM];
static uint8_t back[FRAME_RAW_MAX];

/* Pseudo-random bytes (incompressible). */
static void
fill_random(uint8_t *p, size_t n, uint64_t seed)
{
	uint64_t x = seed | 1;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (uint8_t)(x >> 24);
	}
}

/* Text-like bytes (compressible). */
static void
fill_text(uint8_t *p, size_t n, uint64_t seed)
{
	static const char *const w[] = { "the ", "page ", "memory ", "of ",
	    "guest ", "xen ", "log\n" };
	uint64_t x = seed | 1;
	size_t i = 0, k;

	while (i < n) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		for (k = 0; w[x % 7][k] != '\0' && i < n; k++)
			p[i++] = (uint8_t)w[x % 7][k];
	}
}

static void
hdr(uint8_t *b, unsigned kind, unsigned codec, unsigned nzero,
    uint32_t raw, uint32_t lit, uint32_t wire)
{
	struct frame_hdr h = { (enum frame_kind)kind,
	    (enum frame_codec)codec, nzero, raw, lit, wire };

	frame_hdr_encode(b, &h);
}

/* Every header out of its bounds is refused, with a reason. */
START_TEST(test_wirecodec_bad_headers_refused)
{
	static const struct { unsigned k, c, z; uint32_t raw, lit, wire;
	    const char *why; } bad[] = {
		{ 3, 0, 0, 16, 16, 16, "unknown frame kind" },
		{ 0, 0, 0, 16, 16, 16, "unknown frame kind" },
		{ 2, 0, 0, 1, 0, 0, "END frame with data" },
		{ 1, 9, 0, 16, 16, 8, "unknown codec" },
		{ 1, 0, 0, 0, 0, 0, "chunk length out of bounds" },
		{ 1, 0, 0, FRAME_RAW_MAX + 1, FRAME_RAW_MAX + 1,
		    FRAME_RAW_MAX + 1, "chunk length out of bounds" },
		{ 1, 0, 1, 16, 17, 17, "more literal bytes" },
		{ 1, 0, FRAME_RUNS_MAX + 1, 16, 0, 0, "too many zero runs" },
		{ 1, 0, 0, 16, 8, 8, "zero runs do not match" },
		{ 1, 0, 1, 16, 16, 16, "zero runs do not match" },
		{ 1, 0, 0, 16, 16, 15, "raw literal of the wrong length" },
		{ 1, 1, 1, 4096, 0, 0, "compressed frame without literal" },
		{ 1, 1, 0, 16, 16, 16, "not shorter" },
		{ 1, 2, 0, 16, 16, 0, "not shorter" },
	};
	struct frame_hdr h;
	uint8_t b[FRAME_HDR_LEN];
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hdr(b, bad[i].k, bad[i].c, bad[i].z, bad[i].raw, bad[i].lit,
		    bad[i].wire);
		why = NULL;
		ck_assert_int_eq(frame_hdr_decode(b, &h, &why), -EBADMSG);
		ck_assert_ptr_nonnull(why);
		ck_assert_msg(strstr(why, bad[i].why) != NULL,
		    "case %zu: \"%s\"", i, why);
	}
	hdr(b, 2, 0, 0, 0, 0, 0);
	ck_assert_int_eq(frame_hdr_decode(b, &h, &why), 0);
	ck_assert_int_eq(h.kind, FRAME_END);
}
END_TEST

/* Runs out of order, touching, empty, past the end, or not adding up. */
START_TEST(test_wirecodec_bad_runs_refused)
{
	static const struct { uint32_t o1, l1, o2, l2; const char *why; }
	    bad[] = {
		{ 0, 4096, 4000, 4096, "out of order" },
		{ 0, 4096, 4096, 4096, "touching" },
		{ 0, 0, 5000, 4096, "empty zero run" },
		{ 0, 4096, 9000, 4096, "past the end" },
		{ 0, 4096, 5000, 100, "do not add up" },
	};
	struct frame_run runs[2], in[2];
	struct frame_hdr h = { FRAME_DATA, FRAME_CODEC_NONE, 2, 12000, 0, 0 };
	uint8_t b[2 * FRAME_RUN_LEN];
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		in[0].off = bad[i].o1;
		in[0].len = bad[i].l1;
		in[1].off = bad[i].o2;
		in[1].len = bad[i].l2;
		h.lit_len = 12000 - 8192;
		frame_runs_encode(b, in, 2);
		ck_assert_int_eq(frame_runs_decode(b, &h, runs, &why),
		    -EBADMSG);
		ck_assert_msg(strstr(why, bad[i].why) != NULL,
		    "case %zu: \"%s\"", i, why);
	}
}
END_TEST

/*
 * Zero runs of a page or more, at the start, inside and at the end of a
 * chunk, are found exactly; shorter ones stay literal; expanding gives
 * the chunk back.
 */
START_TEST(test_wirecodec_split_finds_zero_runs)
{
	static uint8_t chunk[64 * PG], lit[64 * PG], out[64 * PG];
	struct frame_run runs[FRAME_RUNS_MAX];
	struct frame_hdr h = { .kind = FRAME_DATA };
	uint32_t n, litlen, len = 40 * PG + 123;

	fill_random(chunk, len, 7);
	memset(chunk, 0, 3 * PG + 5);		/* at the start */
	memset(chunk + 10 * PG + 77, 0, PG);	/* exactly a page */
	memset(chunk + 20 * PG, 0, PG - 1);	/* too short */
	memset(chunk + 30 * PG + 9, 0, len - 30 * PG - 9);	/* the end */
	n = frame_split(chunk, len, runs, lit, &litlen);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(runs[0].off, 0);
	ck_assert_uint_ge(runs[0].len, 3 * PG + 5);
	ck_assert_uint_le(runs[1].off, 10 * PG + 77);
	ck_assert_uint_ge(runs[1].off + runs[1].len, 11 * PG + 77);
	ck_assert_uint_eq(runs[2].off + runs[2].len, len);
	ck_assert_uint_eq(litlen, len - runs[0].len - runs[1].len -
	    runs[2].len);
	h.nzero = n;
	h.raw_len = len;
	h.lit_len = litlen;
	frame_expand(&h, runs, lit, out);
	ck_assert_int_eq(memcmp(out, chunk, len), 0);
	/* Random data: no run, the literal is the chunk itself. */
	fill_random(chunk, len, 9);
	ck_assert_uint_eq(frame_split(chunk, len, runs, lit, &litlen), 0);
	ck_assert_uint_eq(litlen, len);
}
END_TEST

/* Encode then decode a chunk; returns the frame's length. */
static size_t
round_trip(const uint8_t *chunk, uint32_t len, enum frame_codec codec,
    int zero, struct frame_hdr *h)
{
	const char *why = NULL;
	size_t flen, used;

	flen = wire_encode_frame(chunk, len, codec, zero, frame);
	ck_assert_uint_gt(flen, 0);
	ck_assert_int_eq(frame_hdr_decode(frame, h, &why), 0);
	ck_assert_int_eq(wire_decode_frame(frame, flen, back, &used, &why),
	    (int)len);
	ck_assert_uint_eq(used, flen);
	ck_assert_int_eq(memcmp(back, chunk, len), 0);
	return flen;
}

/*
 * Text compresses with lz4 and zstd (zstd denser); random data goes raw
 * (codec none in the header) whatever was asked; zero pages cost their
 * run's 8 bytes.
 */
START_TEST(test_wirecodec_frames_round_trip)
{
	static uint8_t chunk[512 * 1024];
	uint32_t len = sizeof(chunk);
	struct frame_hdr h;
	size_t lz4, zstd, n;

	fill_text(chunk, len, 3);
	lz4 = round_trip(chunk, len, FRAME_CODEC_LZ4, 1, &h);
	ck_assert_int_eq(h.codec, FRAME_CODEC_LZ4);
	ck_assert_uint_lt(lz4, len / 2);
	zstd = round_trip(chunk, len, FRAME_CODEC_ZSTD, 1, &h);
	ck_assert_int_eq(h.codec, FRAME_CODEC_ZSTD);
	ck_assert_uint_lt(zstd, lz4);
	fill_random(chunk, len, 5);
	n = round_trip(chunk, len, FRAME_CODEC_LZ4, 1, &h);
	ck_assert_int_eq(h.codec, FRAME_CODEC_NONE);
	ck_assert_uint_eq(n, FRAME_HDR_LEN + len);
	/* Half zero pages: elided, or not when asked. */
	memset(chunk, 0, len / 2);
	n = round_trip(chunk, len, FRAME_CODEC_NONE, 1, &h);
	ck_assert_uint_eq(h.nzero, 1);
	ck_assert_uint_eq(n, FRAME_HDR_LEN + FRAME_RUN_LEN + len / 2);
	n = round_trip(chunk, len, FRAME_CODEC_NONE, 0, &h);
	ck_assert_uint_eq(h.nzero, 0);
	ck_assert_uint_eq(n, FRAME_HDR_LEN + len);
}
END_TEST

/* A compressed literal that does not make its length is refused. */
START_TEST(test_wirecodec_corrupted_frame_refused)
{
	static uint8_t chunk[256 * 1024];
	const char *why = NULL;
	unsigned codec;
	size_t flen, used;

	for (codec = FRAME_CODEC_LZ4; codec <= FRAME_CODEC_ZSTD; codec++) {
		fill_text(chunk, sizeof(chunk), codec);
		flen = wire_encode_frame(chunk, sizeof(chunk),
		    (enum frame_codec)codec, 1, frame);
		ck_assert_uint_lt(flen, sizeof(chunk));
		memset(frame + FRAME_HDR_LEN + 4, 0xff, 64);
		ck_assert_int_eq(wire_decode_frame(frame, flen, back, &used,
		    &why), -EBADMSG);
		ck_assert_ptr_nonnull(strstr(why, "does not decompress"));
		/* Cut short: refused before anything is decompressed. */
		ck_assert_int_eq(wire_decode_frame(frame, flen - 1, back,
		    &used, &why), -EBADMSG);
		ck_assert_str_eq(why, "short frame body");
	}
}
END_TEST

struct sink {
	int		 fd;
	uint8_t		*buf;
	size_t		 cap, len;
};

static void *
sink_thread(void *arg)
{
	struct sink *s = arg;
	ssize_t n;

	while (s->len < s->cap &&
	    (n = read(s->fd, s->buf + s->len, s->cap - s->len)) > 0)
		s->len += (size_t)n;
	return NULL;
}

/*
 * 24 MiB of mixed memory (zero pages, text, random) through an lz4
 * encoder with 4 threads and a decoder: the restore's side reads it back
 * byte for byte; fewer bytes on the wire; what the source writes after
 * END is left on the connection for the relocation protocol.  Looped:
 * then with two codecs (zstd first, lz4 as the other way) and windows of
 * two chunks, so that the ways change within the stream.
 */
START_TEST(test_wirecodec_threads_end_to_end)
{
	const enum frame_codec codec = _i ? FRAME_CODEC_ZSTD : FRAME_CODEC_LZ4;
	const enum frame_codec dense = _i ? FRAME_CODEC_LZ4 :
	    FRAME_CODEC_NONE;
	const size_t len = 24U << 20;
	struct wire_stats es, ds;
	struct wire_enc *e;
	struct wire_dec *d;
	struct sink sk;
	pthread_t t;
	uint8_t *data, tail[4];
	char why[256];
	int sv[2], in, out;
	size_t i;

	data = malloc(len);
	ck_assert_ptr_nonnull(data);
	for (i = 0; i < len / PG; i++) {
		if (i % 4 < 2)
			memset(data + i * PG, 0, PG);
		else if (i % 4 == 2)
			fill_text(data + i * PG, PG, i);
		else
			fill_random(data + i * PG, PG, i);
	}
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(wire_dec_start(sv[1], 10000, &d, &out), 0);
	sk.fd = out;
	sk.cap = len + 1;
	sk.len = 0;
	sk.buf = malloc(sk.cap);
	ck_assert_ptr_nonnull(sk.buf);
	ck_assert_int_eq(pthread_create(&t, NULL, sink_thread, &sk), 0);
	if (dense != FRAME_CODEC_NONE)
		setenv("XMIG_WIRE_WINDOW", "2", 1);
	ck_assert_int_eq(wire_enc_start(sv[0], codec, dense, 1, 4, 10000, &e,
	    &in), 0);
	unsetenv("XMIG_WIRE_WINDOW");
	ck_assert_int_eq(relocio_write_full(in, data, len, 10000), 0);
	ck_assert_int_eq(wire_enc_finish(e, &es), 0);
	ck_assert_int_eq(relocio_write_full(sv[0], "TAIL", 4, 1000), 0);
	pthread_join(t, NULL);
	ck_assert_uint_eq(sk.len, len);
	ck_assert_int_eq(memcmp(sk.buf, data, len), 0);
	ck_assert_int_eq(wire_dec_finish(d, 1, &ds, why, sizeof(why)), 0);
	ck_assert_int_eq(relocio_read_full(sv[1], tail, 4, 1000), 0);
	ck_assert_int_eq(memcmp(tail, "TAIL", 4), 0);
	ck_assert_uint_eq(es.raw, len);
	ck_assert_uint_eq(ds.raw, len);
	ck_assert_uint_eq(es.wire, ds.wire);
	ck_assert_uint_lt(es.wire, len * 4 / 10);	/* random: a quarter */
	ck_assert_uint_ge(es.zero_pages, len / PG / 2 - 48);
	/* The first windows go with the codec; lz4 alone never uses zstd. */
	if (codec == FRAME_CODEC_ZSTD)
		ck_assert_uint_gt(es.zstd, 0);
	else {
		ck_assert_uint_gt(es.lz4, 0);
		ck_assert_uint_eq(es.zstd, 0);
	}
	free(sk.buf);
	free(data);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/*
 * Incompressible memory: after chunks that did not shrink, the encoder
 * passes what waits in the pair through to the connection without
 * looking at it (spliced) and the decoder splices it on; it arrives
 * byte for byte, with next to no bytes added.
 */
START_TEST(test_wirecodec_random_passes_through)
{
	const size_t len = 32U << 20;
	struct wire_stats es, ds;
	struct wire_enc *e;
	struct wire_dec *d;
	struct sink sk;
	pthread_t t;
	uint8_t *data;
	char why[256];
	int sv[2], in, out;

	data = malloc(len);
	ck_assert_ptr_nonnull(data);
	fill_random(data, len, 11);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(wire_dec_start(sv[1], 10000, &d, &out), 0);
	sk.fd = out;
	sk.cap = len + 1;
	sk.len = 0;
	sk.buf = malloc(sk.cap);
	ck_assert_ptr_nonnull(sk.buf);
	ck_assert_int_eq(pthread_create(&t, NULL, sink_thread, &sk), 0);
	ck_assert_int_eq(wire_enc_start(sv[0], FRAME_CODEC_LZ4,
	    FRAME_CODEC_NONE, 1, 2, 10000, &e, &in), 0);
	ck_assert_int_eq(relocio_write_full(in, data, len, 10000), 0);
	ck_assert_int_eq(wire_enc_finish(e, &es), 0);
	pthread_join(t, NULL);
	ck_assert_uint_eq(sk.len, len);
	ck_assert_int_eq(memcmp(sk.buf, data, len), 0);
	ck_assert_int_eq(wire_dec_finish(d, 1, &ds, why, sizeof(why)), 0);
	ck_assert_uint_eq(es.raw, len);
	ck_assert_uint_eq(ds.raw, len);
	ck_assert_uint_eq(es.compressed, 0);
	ck_assert_uint_lt(es.wire, len + len / 1000);
	free(sk.buf);
	free(data);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

struct feeder {
	int		 fd;
	const uint8_t	*data;
	size_t		 len;
	struct wire_enc	*e;
	struct wire_stats st;
	int		 rc;
};

/*
 * As libxenguest writes a stream: a record at a time, its header and
 * pfns then each page as a piece of one writev; then the end.
 */
static void *
feeder_thread(void *arg)
{
	struct feeder *f = arg;
	struct iovec v[1 + 1024];
	size_t at = 0;
	unsigned k;

	f->rc = 0;
	while (at < f->len && f->rc == 0) {
		v[0].iov_base = (void *)(uintptr_t)(f->data + at);
		v[0].iov_len = 16 + 1024 * 8;
		at += v[0].iov_len;
		for (k = 1; k <= 1024 && at + PG <= f->len; k++, at += PG) {
			v[k].iov_base = (void *)(uintptr_t)(f->data + at);
			v[k].iov_len = PG;
		}
		f->rc = relocio_writev_full(f->fd, v, k, 10000);
	}
	if (f->rc == 0)
		f->rc = wire_enc_finish(f->e, &f->st);
	return NULL;
}

/*
 * Workers that wake late (a busy host: the emulated Xen host's dom0 has
 * two slow vCPUs) while incompressible records are passed through: the
 * reader fills the ring again before they run, and the stream must
 * still arrive byte for byte, every frame sent once.
 */
START_TEST(test_wirecodec_late_workers_keep_the_stream)
{
	const size_t rec = 16 + 1024 * 8 + 1024 * PG, len = 24 * rec;
	struct wire_stats ds;
	struct wire_dec *d;
	struct feeder f;
	struct sink sk;
	pthread_t t, ft;
	uint8_t *data;
	char why[256];
	int sv[2], out;
	size_t i;

	data = malloc(len);
	ck_assert_ptr_nonnull(data);
	/* Random records, now and then one of zero pages and text. */
	for (i = 0; i < len / rec; i++) {
		fill_random(data + i * rec, rec, i + 1);
		if (i % 6 == 5) {
			memset(data + i * rec, 0, rec / 2);
			fill_text(data + i * rec + rec / 2, rec / 4, i);
		}
	}
	ck_assert_int_eq(setenv("XMIG_FAULT", "wire-worker-late:sleep=50",
	    1), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(wire_dec_start(sv[1], 10000, &d, &out), 0);
	sk.fd = out;
	sk.cap = len + 1;
	sk.len = 0;
	sk.buf = malloc(sk.cap);
	ck_assert_ptr_nonnull(sk.buf);
	ck_assert_int_eq(pthread_create(&t, NULL, sink_thread, &sk), 0);
	ck_assert_int_eq(wire_enc_start(sv[0], FRAME_CODEC_LZ4,
	    FRAME_CODEC_NONE, 1, 2, 10000, &f.e, &f.fd), 0);
	f.data = data;
	f.len = len;
	ck_assert_int_eq(pthread_create(&ft, NULL, feeder_thread, &f), 0);
	pthread_join(ft, NULL);
	pthread_join(t, NULL);
	unsetenv("XMIG_FAULT");
	ck_assert_int_eq(f.rc, 0);
	ck_assert_uint_eq(sk.len, len);
	ck_assert_int_eq(memcmp(sk.buf, data, len), 0);
	ck_assert_int_eq(wire_dec_finish(d, 1, &ds, why, sizeof(why)), 0);
	ck_assert_uint_eq(f.st.raw, len);
	ck_assert_uint_eq(ds.raw, len);
	ck_assert_uint_eq(f.st.frames, ds.frames);
	ck_assert_uint_eq(f.st.wire, ds.wire);
	free(sk.buf);
	free(data);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/*
 * A libxc-shaped stream: the image and domain headers, then PAGE_DATA
 * records of 1 to 1024 pages (regions of mostly zero pages with text
 * and pages zero but for a byte, and regions of random pages), now and
 * then a small record of another type, and END.  The records' offsets
 * go to rec (nrec of them, then the END's).
 */
static size_t
lx_stream(uint8_t *b, size_t want, size_t *rec, size_t *nrec)
{
	uint64_t x = 7, e;
	size_t at = 40, i, k;
	uint32_t n, l;

	memset(b, 0xff, 8);
	memcpy(b + 8, "XENF", 4);
	memset(b + 12, 0, 28);
	*nrec = 0;
	while (at < want) {
		rec[(*nrec)++] = at;
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (x % 8 == 0) {
			l = (uint32_t)(x >> 8) % 300;
			store_le32(b + at, 9 + (uint32_t)(x >> 20) % 5);
			store_le32(b + at + 4, l);
			fill_random(b + at + 8, (l + 7) & ~7U, x);
			at += 8 + ((l + 7) & ~7U);
			continue;
		}
		n = 1 + (uint32_t)(x >> 8) % 1024;
		store_le32(b + at, 1);
		store_le32(b + at + 4, 8 + n * 8 + n * PG);
		store_le32(b + at + 8, n);
		store_le32(b + at + 12, 0);
		for (i = 0; i < n; i++) {
			e = (x >> 3) + i;
			memcpy(b + at + 16 + i * 8, &e, 8);
		}
		at += 16 + (size_t)n * 8;
		for (i = 0; i < n; i++, at += PG) {
			k = (at + i * 7919) % 20;
			if ((at >> 22) % 3 == 1)
				fill_random(b + at, PG, at);
			else if (k < 14)
				memset(b + at, 0, PG);
			else if (k < 18)
				fill_text(b + at, PG, at);
			else {
				memset(b + at, 0, PG);
				b[at + (at * 31) % PG] = 1;
			}
		}
	}
	rec[(*nrec)++] = at;
	memset(b + at, 0, 8);
	return at + 8;
}

struct lx_src {
	int		 fd;
	const uint8_t	*b;
	const size_t	*rec;
	size_t		 nrec;
	struct wire_enc	*e;
	int		 rc;
};

/* libxenguest's writes: a PAGE_DATA record as one writev, page by page. */
static void *
lx_src_thread(void *arg)
{
	struct lx_src *f = arg;
	struct iovec v[2 + 1024];
	size_t r, a;
	unsigned k, i, n;
	int rc;

	rc = relocio_write_full(f->fd, f->b, 40, 10000);
	for (r = 0; rc == 0 && r + 1 < f->nrec; r++) {
		a = f->rec[r];
		if (load_le32(f->b + a) != 1) {
			rc = relocio_write_full(f->fd, f->b + a,
			    f->rec[r + 1] - a, 10000);
			continue;
		}
		n = load_le32(f->b + a + 8);
		v[0].iov_base = (void *)(uintptr_t)(f->b + a);
		v[0].iov_len = 16;
		v[1].iov_base = (void *)(uintptr_t)(f->b + a + 16);
		v[1].iov_len = (size_t)n * 8;
		for (i = 0, k = 2; i < n; i++, k++) {
			v[k].iov_base = (void *)(uintptr_t)(f->b + a + 16 +
			    (size_t)n * 8 + (size_t)i * PG);
			v[k].iov_len = PG;
		}
		rc = relocio_writev_full(f->fd, v, k, 10000);
	}
	if (rc == 0)
		rc = relocio_write_full(f->fd, f->b + f->rec[f->nrec - 1], 8,
		    10000);
	f->rc = rc != 0 ? rc : wire_enc_finish(f->e, NULL);
	return NULL;
}

struct lx_relay {
	int		 in, out, rc;
	int		 pipe[2];
};

/*
 * The xen backend's restore relay: the headers and every record header
 * read exactly, the record bodies spliced on, up to END.
 */
static void *
lx_relay_thread(void *arg)
{
	struct lx_relay *r = arg;
	uint8_t h[40];
	uint32_t type = 1, len;
	int rc;

	rc = util_read_full(r->in, h, 40) == 40 ? relocio_write_full(r->out,
	    h, 40, 10000) : -EPIPE;
	while (rc == 0 && type != 0) {
		if (util_read_full(r->in, h, 8) != 8) {
			rc = -EPIPE;
			break;
		}
		type = load_le32(h);
		len = load_le32(h + 4);
		if (len > (128U << 20))
			rc = -EPROTO;
		else if ((rc = relocio_write_full(r->out, h, 8, 10000)) == 0)
			rc = relocio_splice_full(r->in, r->out, NULL,
			    (len + 7ULL) & ~7ULL, r->pipe, 10000);
	}
	r->rc = rc;
	shutdown(r->out, SHUT_WR);
	return NULL;
}

/*
 * The way of a stream on Xen, without Xen: libxenguest's record writes
 * into the encoder (lz4, 1, 2 and 4 threads), frames over TCP, the
 * decoder, the restore relay reading record by record and splicing, and
 * libxl reading what it hands on in short reads of every size.  The
 * stream arrives byte for byte, each time.
 */
START_TEST(test_wirecodec_libxc_stream_through_the_relay)
{
	static size_t rec[4096];
	const size_t cap = 24U << 20;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	struct wire_dec *d;
	struct lx_relay r;
	struct lx_src f;
	pthread_t st, rt;
	uint8_t *b, *got;
	size_t len, have, want, nrec;
	uint64_t x = 3;
	char why[256];
	int ls, as, out, sv[2], one = 1;
	unsigned threads;
	ssize_t n;

	b = malloc(cap + (8U << 20));
	got = malloc(cap + (8U << 20));
	ck_assert(b != NULL && got != NULL);
	len = lx_stream(b, cap, rec, &nrec);
	for (threads = 1; threads <= 4; threads *= 2) {
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sa.sin_port = 0;
		ls = socket(AF_INET, SOCK_STREAM, 0);
		ck_assert_int_ge(ls, 0);
		setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		ck_assert_int_eq(bind(ls, (struct sockaddr *)&sa, sl), 0);
		ck_assert_int_eq(listen(ls, 1), 0);
		ck_assert_int_eq(getsockname(ls, (struct sockaddr *)&sa, &sl),
		    0);
		f.fd = socket(AF_INET, SOCK_STREAM, 0);
		ck_assert_int_eq(connect(f.fd, (struct sockaddr *)&sa, sl), 0);
		ck_assert_int_ge(as = accept(ls, NULL, NULL), 0);
		close(ls);
		ck_assert_int_eq(wire_dec_start(as, 10000, &d, &out), 0);
		ls = f.fd;
		ck_assert_int_eq(wire_enc_start(ls, FRAME_CODEC_LZ4,
		    FRAME_CODEC_NONE, 1, threads, 10000, &f.e, &f.fd), 0);
		f.b = b;
		f.rec = rec;
		f.nrec = nrec;
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		r.in = out;
		r.out = sv[1];
		relocio_pipe_open(r.pipe);
		ck_assert_int_eq(pthread_create(&st, NULL, lx_src_thread, &f),
		    0);
		ck_assert_int_eq(pthread_create(&rt, NULL, lx_relay_thread,
		    &r), 0);
		for (have = 0; have <= len; have += (size_t)n) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			want = 1 + x % (x % 4 == 0 ? 300000 : 9000);
			if (want > len + 1 - have)
				want = len + 1 - have;
			if ((n = read(sv[0], got + have, want)) <= 0)
				break;
		}
		pthread_join(rt, NULL);
		pthread_join(st, NULL);
		ck_assert_int_eq(f.rc, 0);
		ck_assert_int_eq(r.rc, 0);
		ck_assert_uint_eq(have, len);
		ck_assert_int_eq(memcmp(got, b, len), 0);
		ck_assert_int_eq(wire_dec_finish(d, 1, NULL, why, sizeof(why)),
		    0);
		relocio_pipe_close(r.pipe);
		close(sv[0]);
		close(sv[1]);
		close(ls);
		close(as);
	}
	free(b);
	free(got);
}
END_TEST

/* A stream cut before END is an error, with a reason. */
START_TEST(test_wirecodec_cut_stream_is_an_error)
{
	static uint8_t chunk[64 * 1024];
	char why[256];
	struct wire_dec *d;
	size_t flen;
	int sv[2], out;
	ssize_t n;

	fill_text(chunk, sizeof(chunk), 1);
	flen = wire_encode_frame(chunk, sizeof(chunk), FRAME_CODEC_LZ4, 1,
	    frame);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(wire_dec_start(sv[1], 10000, &d, &out), 0);
	ck_assert_int_eq(relocio_write_full(sv[0], frame, flen, 1000), 0);
	shutdown(sv[0], SHUT_WR);
	n = 0;
	while (n < (ssize_t)sizeof(chunk)) {
		ssize_t r = read(out, back + n, sizeof(chunk) - (size_t)n);

		ck_assert_int_gt(r, 0);
		n += r;
	}
	ck_assert_int_eq(memcmp(back, chunk, sizeof(chunk)), 0);
	ck_assert_int_lt(wire_dec_finish(d, 1, NULL, why, sizeof(why)), 0);
	ck_assert_msg(strstr(why, "frame") != NULL, "%s", why);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* A PAGE_DATA record of n pages (entries e, data pages d) into b. */
static size_t
zf_rec(uint8_t *b, unsigned n, const uint64_t *e, const uint8_t *d,
    unsigned ndata)
{
	uint32_t len = 8 + n * 8 + ndata * PG;
	unsigned i;

	store_le32(b, 1);	/* PAGE_DATA */
	store_le32(b + 4, len);
	store_le32(b + 8, n);
	store_le32(b + 12, 0);
	for (i = 0; i < n; i++) {
		store_le32(b + 16 + i * 8, (uint32_t)e[i]);
		store_le32(b + 20 + i * 8, (uint32_t)(e[i] >> 32));
	}
	memcpy(b + 16 + n * 8, d, (size_t)ndata * PG);
	return 8 + len;
}

#define E(pfn, type)	((uint64_t)(pfn) | (uint64_t)(type) << 60)

/*
 * The zero page filter of a libxc stream (lib/zerofilt.c): a NOTAB zero
 * page never passed with data becomes XALLOC without its data; one
 * passed with data before keeps its data when it is zero later; a page
 * table page keeps its data; other records pass unchanged.
 */
START_TEST(test_wirecodec_zerofilt_xalloc_rules)
{
	static uint8_t in[64 * PG], out[64 * PG], d[4 * PG];
	const uint64_t r1[] = { E(1, 0), E(2, 0), E(3, 0) };
	const uint64_t r2[] = { E(2, 0), E(3, 0), E(4, 1) };
	struct zerofilt *z;
	uint64_t xalloc = 0;
	size_t len = 0, got = 0;
	ssize_t n;
	int p[2], wfd;

	memset(in, 0xaa, 40);			/* image and domain headers */
	len = 40;
	memset(d, 0, sizeof(d));
	memset(d + PG, 7, PG);			/* pfn 2 has data */
	len += zf_rec(in + len, 3, r1, d, 3);
	memset(d, 0, sizeof(d));		/* all zero now */
	len += zf_rec(in + len, 3, r2, d, 3);
	memset(in + len, 0, 8);			/* END */
	len += 8;
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(zerofilt_start(p[1], 5000, &z, &wfd), 0);
	ck_assert_int_eq(relocio_write_full(wfd, in, len, 5000), 0);
	ck_assert_int_eq(zerofilt_finish(z, &xalloc), 0);
	close(p[1]);
	while ((n = read(p[0], out + got, sizeof(out) - got)) > 0)
		got += (size_t)n;
	close(p[0]);
	ck_assert_uint_eq(xalloc, 3);	/* pfn 1 and 3, pfn 3 again */
	/* 40 + (8+8+24+PG) + (8+8+24+2*PG) + 8 */
	ck_assert_uint_eq(got, 40 + 40 + PG + 40 + 2 * PG + 8);
	ck_assert_int_eq(memcmp(out, in, 40), 0);
	ck_assert_uint_eq(load_le32(out + 44), 8 + 24 + PG);
	ck_assert_uint_eq(load_le64(out + 56), E(1, 0xe));
	ck_assert_uint_eq(load_le64(out + 64), E(2, 0));
	ck_assert_uint_eq(load_le64(out + 72), E(3, 0xe));
	ck_assert_uint_eq(out[80], 7);
	ck_assert_uint_eq(load_le32(out + 80 + PG + 4), 8 + 24 + 2 * PG);
	ck_assert_uint_eq(load_le64(out + 80 + PG + 16), E(2, 0));
	ck_assert_uint_eq(load_le64(out + 80 + PG + 24), E(3, 0xe));
	ck_assert_uint_eq(load_le64(out + 80 + PG + 32), E(4, 1));
	/* A record that does not add up is an error. */
	len = 40 + zf_rec(in + 40, 3, r1, d, 3);
	store_le32(in + 40 + 4, 8 + 24 + PG);	/* 3 data pages, 1 said */
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(zerofilt_start(p[1], 5000, &z, &wfd), 0);
	(void)relocio_write_full(wfd, in, len, 5000);
	ck_assert_int_lt(zerofilt_finish(z, NULL), 0);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* HELLO: frames only with a peer that reads them, codecs it lists. */
/* Steps with one rate for each way: the ways taken, '0' raw. */
static void
mode_run3(struct wire_mode *w, const uint64_t rate[3], int steps,
    char *ways)
{
	int i;

	for (i = 0; i < steps; i++) {
		ways[i] = (char)('0' + w->way);
		(void)wire_mode_step(w, rate[w->way]);
	}
	ways[steps] = '\0';
}

static void
mode_run(struct wire_mode *w, uint64_t off, uint64_t on, int steps,
    char *ways)
{
	const uint64_t r[3] = { off, on, 0 };

	mode_run3(w, r, steps, ways);
}

START_TEST(test_wirecodec_mode_keeps_the_faster_way)
{
	struct wire_mode w;
	char ways[64];
	uint64_t r[2];
	int i, flips = 0, was;

	/* Compression faster (a slow link): one probe without, back on,
	 * the next probe twice as far. */
	wire_mode_init(&w, 2, 1);
	mode_run(&w, 100, 300, 16, ways);
	ck_assert_str_eq(ways, "1111011111111011");
	/* Compression slower (a fast link): it goes off at the first
	 * probe and stays off but for its own probes. */
	wire_mode_init(&w, 2, 1);
	mode_run(&w, 2000, 1200, 20, ways);
	ck_assert_str_eq(ways, "11110000010000000010");
	/* The link slows down (or the data starts compressing): off is
	 * left for on without waiting for a probe once on was clearly
	 * faster. */
	mode_run(&w, 100, 1200, 3, ways);
	ck_assert_str_eq(ways, "011");
	/*
	 * Noise: each window's rate off by up to 1/3 of a mean 10% above
	 * the other way's.  With rates as they are, and the other way
	 * remembered, the way flips far less often than once per window.
	 */
	wire_mode_init(&w, 2, 0);
	r[0] = 1100;
	r[1] = 1000;
	for (i = 0; i < 60; i++) {
		was = w.way;
		(void)wire_mode_step(&w, r[w.way] + (i % 3 == 0 ?
		    r[w.way] / 3 : i % 3 == 1 ? 0 : -(r[w.way] / 3)));
		flips += w.way != was;
	}
	ck_assert_int_le(flips, 24);
	ck_assert_int_eq(w.way, 0);
}
END_TEST

START_TEST(test_wirecodec_mode_three_ways)
{
	static const struct {
		uint64_t	 rate[3];	/* raw, codec, denser */
		unsigned	 nways;
		const char	*ways;		/* taken, from way 1 or 0 */
	} t[] = {
		/* A slow link: raw, probed first, loses; the codec clearly
		 * beats raw, so the denser codec is tried next, wins and
		 * stays, the others probed in turn. */
		{ { 100, 300, 500 }, 3, "11110111111112222202" },
		/* A fast link: raw, probed first, wins; the codec loses its
		 * probes, and the denser one, as the codec does not beat
		 * raw, is never tried. */
		{ { 2000, 1200, 600 }, 3, "11110000010000000010" },
		/* The fast codec best: each other way lost its probe. */
		{ { 900, 1500, 1000 }, 3, "1111011111111211" },
		/* One way only: nothing to choose. */
		{ { 2000, 1200, 600 }, 1, "00000000" },
	};
	struct wire_mode w;
	char ways[64];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		wire_mode_init(&w, t[i].nways, 1);
		mode_run3(&w, t[i].rate, (int)strlen(t[i].ways), ways);
		ck_assert_str_eq(ways, t[i].ways);
	}
}
END_TEST

START_TEST(test_wirecodec_choice_follows_the_peer)
{
	struct reloc_msg m;
	enum frame_codec c, d;

	reloc_msg_init(&m, RELOC_HELLO);	/* an older xmigd */
	ck_assert_int_eq(wire_choose(&m, FRAME_CODEC_LZ4, 1, &c, &d), 0);
	ck_assert_int_eq(wire_choose(&m, COMPRESS_AUTO, 1, &c, &d), 0);
	wire_hello_offer(&m, FRAME_CODEC_LZ4);
	ck_assert_uint_eq(m.frames, RELOC_FRAMES);
	ck_assert_int_eq(wire_choose(&m, FRAME_CODEC_ZSTD, 1, &c, &d), 1);
	ck_assert_int_eq(c, FRAME_CODEC_ZSTD);
	ck_assert_int_eq(d, FRAME_CODEC_NONE);
	ck_assert_int_eq(wire_choose(&m, FRAME_CODEC_NONE, 0, &c, &d), 0);
	/* auto: lz4, and zstd where it moves the stream faster. */
	ck_assert_int_eq(wire_choose(&m, COMPRESS_AUTO, 0, &c, &d), 1);
	ck_assert_int_eq(c, FRAME_CODEC_LZ4);
	ck_assert_int_eq(d, FRAME_CODEC_ZSTD);
	/* auto with a peer that reads zstd only: zstd alone. */
	memcpy(m.compress, "zstd", 5);
	ck_assert_int_eq(wire_choose(&m, COMPRESS_AUTO, 0, &c, &d), 1);
	ck_assert_int_eq(c, FRAME_CODEC_ZSTD);
	ck_assert_int_eq(d, FRAME_CODEC_NONE);
	reloc_msg_init(&m, RELOC_HELLO);
	wire_hello_offer(&m, FRAME_CODEC_NONE);	/* compress = none */
	ck_assert_str_eq(m.compress, "");
	ck_assert_int_eq(wire_choose(&m, FRAME_CODEC_LZ4, 1, &c, &d), 1);
	ck_assert_int_eq(c, FRAME_CODEC_NONE);
	ck_assert_int_eq(wire_choose(&m, COMPRESS_AUTO, 1, &c, &d), 1);
	ck_assert_int_eq(c, FRAME_CODEC_NONE);
	ck_assert_int_eq(d, FRAME_CODEC_NONE);
	ck_assert_int_eq(wire_choose(&m, FRAME_CODEC_LZ4, 0, &c, &d), 0);
	ck_assert(compress_in_list("lz4 zstd", FRAME_CODEC_ZSTD));
	ck_assert(!compress_in_list("lz4x zstdy", FRAME_CODEC_LZ4));
}
END_TEST

static Suite *
wirecodec_suite(void)
{
	Suite *s = suite_create("wirecodec");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_wirecodec_bad_headers_refused);
	tcase_add_test(tc, test_wirecodec_bad_runs_refused);
	tcase_add_test(tc, test_wirecodec_split_finds_zero_runs);
	tcase_add_test(tc, test_wirecodec_frames_round_trip);
	tcase_add_test(tc, test_wirecodec_corrupted_frame_refused);
	tcase_add_loop_test(tc, test_wirecodec_threads_end_to_end, 0, 2);
	tcase_add_test(tc, test_wirecodec_random_passes_through);
	tcase_add_test(tc, test_wirecodec_late_workers_keep_the_stream);
	tcase_add_test(tc, test_wirecodec_libxc_stream_through_the_relay);
	tcase_add_test(tc, test_wirecodec_cut_stream_is_an_error);
	tcase_add_test(tc, test_wirecodec_mode_keeps_the_faster_way);
	tcase_add_test(tc, test_wirecodec_mode_three_ways);
	tcase_add_test(tc, test_wirecodec_choice_follows_the_peer);
	tcase_add_test(tc, test_wirecodec_zerofilt_xalloc_rules);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(wirecodec_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
