/*
 * wirecodec.h - the framed stream (protocol/frame.h) on a relocation
 * connection, for any backend: the source's stream is written into a
 * socket pair whose other end an encoder reads, cuts into chunks, frees
 * of zero runs, compresses (lz4 or zstd) and sends as frames; the
 * destination's decoder reads the frames and hands the stream, as it
 * was, to the restore through another socket pair.  The flows and the
 * backends see a plain stream on a plain file descriptor.
 *
 * Adaptive: a chunk whose compressed literal is not clearly shorter is
 * sent raw, and after such a chunk compression is skipped for a few
 * chunks (doubling while it keeps failing), so incompressible memory
 * costs a compression attempt now and then, not one per chunk; and the
 * way chunks go (raw, the codec, a denser one) follows the rate of the
 * stream from end to end (struct wire_mode).  The chunks are compressed
 * by several threads, sent in order.
 */
#ifndef XMIG_WIRECODEC_H
#define XMIG_WIRECODEC_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "reloc.h"

/*
 * The destination's side of HELLO: fill r's frames and compress with what
 * this build reads, no codec when the configured one ("compress" key,
 * enum frame_codec) is none.
 */
void	wire_hello_offer(struct reloc_msg *r, int conf_codec);

/*
 * The source's choice after HELLO: 1 to frame the stream, with *codec
 * set to "want" (an enum frame_codec, or COMPRESS_AUTO: lz4) if the
 * destination (its HELLO in peer) decompresses it, else none, and
 * *dense to zstd for COMPRESS_AUTO where both sides have it (else
 * none); 0 to send it raw (the peer does not read frames, or there is
 * nothing to gain: no compression and no zero elision).
 */
int	wire_choose(const struct reloc_msg *peer, int want, int zero_elision,
	    enum frame_codec *codec, enum frame_codec *dense);

/* Figures of one stream, for the --json object. */
struct wire_stats {
	uint64_t	raw;		/* stream bytes carried */
	uint64_t	wire;		/* frame bytes sent or received */
	uint64_t	zero_pages;	/* zero bytes elided / 4096 */
	uint64_t	frames;
	uint64_t	compressed;	/* frames sent compressed */
	uint64_t	lz4, zstd;	/* of which with lz4, with zstd */
};

/*
 * The encoder's choice, window after window, of the way chunks go: raw
 * (way 0), with the codec (way 1) or, where the destination can read
 * it too, with a denser codec (way 2: "--compress auto", lz4 then zstd
 * when it moves the stream faster, as on a slow link).  The stream's
 * rate (bytes/s) over each window goes to wire_mode_step(), which
 * returns the way of the next window.  Each way's rate is smoothed over
 * its consecutive windows; the current way is left for one that was
 * more than 1/8 faster; and every few windows (WIRE_MODE_PROBE at
 * first, twice as many after each probe that lost, WIRE_MODE_PROBE_MAX
 * at most) one window tries another way, each in turn (raw first), the
 * fastest kept after it.  The denser codec is tried only while the
 * codec was seen clearly faster than raw: compression pays, the link is
 * slower than the compressing threads.
 */
#define WIRE_MODE_PROBE		4	/* windows between two probes */
#define WIRE_MODE_PROBE_MAX	32
#define WIRE_WAYS_MAX		3

struct wire_mode {
	int		 way;		/* 0 raw, 1 the codec, 2 the denser */
	unsigned	 nways;		/* 1 to WIRE_WAYS_MAX */
	int		 last;		/* the previous window's way; -1 */
	int		 probing;	/* this window tries another way */
	int		 probe;		/* the way the last probe tried */
	unsigned	 since;		/* windows since the last probe */
	unsigned	 every;		/* windows between probes */
	uint64_t	 rate[WIRE_WAYS_MAX];	/* bytes/s; 0: not seen */
};

void	wire_mode_init(struct wire_mode *w, unsigned nways, int way);
int	wire_mode_step(struct wire_mode *w, uint64_t rate);

struct wire_enc;

/*
 * Start an encoder sending frames to netfd, compressing with codec
 * (FRAME_CODEC_NONE: no compression) or, while it moves the stream
 * faster, with dense (FRAME_CODEC_NONE: none), and eliding zero runs if
 * zero_elision, with "threads" compressing threads (0: as many as the
 * machine has cores, 4 at most).  Sets *infd to where the stream is to
 * be written; it belongs to the encoder (wire_enc_finish() closes it).
 * Nothing else may write netfd until wire_enc_finish() returned.
 * Returns 0 with *e set, or a negative errno (logged).
 */
int	wire_enc_start(int netfd, enum frame_codec codec,
	    enum frame_codec dense, int zero_elision, unsigned threads,
	    int timeout_ms, struct wire_enc **e, int *infd);

/* Stream bytes the encoder has taken so far (for progress). */
uint64_t wire_enc_raw(struct wire_enc *e);

/*
 * End of the stream: close *infd, send what is left and the END frame,
 * stop the threads, fill *st (may be NULL) and free e.  Returns 0, or the
 * first error of the encoder (a negative errno, logged).  NULL is a
 * no-op returning 0.
 */
int	wire_enc_finish(struct wire_enc *e, struct wire_stats *st);

struct wire_dec;

/*
 * Start a decoder reading frames from netfd until END.  Sets *outfd to
 * where the restored stream can be read; it belongs to the decoder.
 * Each wait for the source is bounded by timeout_ms.  Returns 0 with *d
 * set, or a negative errno (logged).
 */
int	wire_dec_start(int netfd, int timeout_ms, struct wire_dec **d,
	    int *outfd);

/*
 * Close *outfd (whatever the decoder still had for the restore, which
 * read the whole stream, is an error) and then, with wait, let the
 * decoder read up to the END frame (bounded by the timeout), or without
 * it stop the decoder at once; fill *st (may be NULL) and free d.
 * Returns 0 when the END frame was read and everything was handed on,
 * else a negative errno with the reason in why (a corrupted frame:
 * -EBADMSG with its number, stream offset and defect).  NULL is a no-op
 * returning 0.
 */
int	wire_dec_finish(struct wire_dec *d, int wait, struct wire_stats *st,
	    char *why, size_t whylen);

/*
 * Encode one chunk (len <= FRAME_RAW_MAX bytes) as the encoder does, into
 * out (room for FRAME_HDR_LEN + FRAME_RUNS_MAX * FRAME_RUN_LEN + len);
 * for tests and the fuzz target.  Returns the frame's length, or 0 when
 * out of memory.
 */
size_t	wire_encode_frame(const uint8_t *chunk, uint32_t len,
	    enum frame_codec codec, int zero_elision, uint8_t *out);

/*
 * Decode one whole frame held in buf (len bytes) into out (room for
 * FRAME_RAW_MAX); for the fuzz target and tests, the same checks as the
 * decoder's.  Returns the bytes of stream it stands for (0 for END), or
 * -EBADMSG with *why.  *used is set to the frame's length.
 */
int	wire_decode_frame(const uint8_t *buf, size_t len, uint8_t *out,
	    size_t *used, const char **why);

#endif /* XMIG_WIRECODEC_H */
