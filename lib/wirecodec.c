/*
 * wirecodec.c - the framed stream's encoder and decoder threads.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compress.h"
#include "fault.h"
#include "log.h"
#include "relocio.h"
#include "util.h"
#include "wirecodec.h"

#define WC_CHUNK	(512U * 1024)	/* stream bytes per frame */
#define WC_THREADS_MAX	4
#define WC_SKIP_MAX	64	/* chunks left raw after failures, at most */
#define WC_PAGE		4096

_Static_assert(WC_CHUNK <= FRAME_RAW_MAX, "a chunk fits a frame");

void
wire_hello_offer(struct reloc_msg *r, int conf_codec)
{
	/* Tests: a destination older than the framed stream. */
	if (fault_armed("dst-no-frames"))
		return;
	r->frames = RELOC_FRAMES;
	snprintf(r->compress, sizeof(r->compress), "%s",
	    conf_codec == FRAME_CODEC_NONE ? "" : compress_offer());
}

/* want if both sides have it, else none. */
static enum frame_codec
wire_both(const struct reloc_msg *peer, enum frame_codec want)
{
	return want != FRAME_CODEC_NONE && compress_available(want) &&
	    compress_in_list(peer->compress, want) ? want : FRAME_CODEC_NONE;
}

int
wire_choose(const struct reloc_msg *peer, int want, int zero_elision,
    enum frame_codec *codec, enum frame_codec *dense)
{
	*codec = *dense = FRAME_CODEC_NONE;
	if (peer->frames != RELOC_FRAMES)
		return 0;
	if (want == COMPRESS_AUTO) {
		*codec = wire_both(peer, FRAME_CODEC_LZ4);
		*dense = wire_both(peer, FRAME_CODEC_ZSTD);
		if (*codec == FRAME_CODEC_NONE) {
			*codec = *dense;
			*dense = FRAME_CODEC_NONE;
		}
	} else
		*codec = wire_both(peer, (enum frame_codec)want);
	return *codec != FRAME_CODEC_NONE || zero_elision;
}

/* ------------------------------------------------------------ encoder */

enum wc_state { WC_FREE, WC_FILLED, WC_WORKING, WC_DONE };

struct wc_slot {
	enum wc_state	 state;
	int		 compress;	/* try to compress this chunk */
	int		 mode;		/* e->mode.way when it was taken */
	uint32_t	 len;
	uint8_t		*in;		/* the chunk */
	uint8_t		*lit;		/* its literal bytes, runs removed */
	uint8_t		*comp;		/* the literal compressed */
	uint8_t		 head[FRAME_HDR_LEN + FRAME_RUNS_MAX * FRAME_RUN_LEN];
	size_t		 headlen;
	const uint8_t	*payload;
	uint32_t	 paylen;
	uint32_t	 zeros;		/* bytes elided */
	int		 packed;	/* compressed */
	int		 spliced;	/* len bytes still in the pair: the
					 * writer moves them (raw frame) */
};

struct wire_enc {
	int		 netfd;
	int		 rfd;		/* the encoder's end of the pair */
	int		 wfd;		/* the stream's end (*infd) */
	int		 timeout_ms;
	enum frame_codec ways[WIRE_WAYS_MAX];	/* each way's codec */
	int		 zero_elision;
	unsigned	 nthreads;
	unsigned	 nslots;
	struct wc_slot	*slots;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	uint64_t	 filled;	/* chunks read */
	uint64_t	 taken;		/* chunks taken by a worker */
	int		 eof;		/* filled is final */
	int		 err;		/* first error, sticky */
	unsigned	 misses;	/* compression failures in a row */
	unsigned	 skip;		/* chunks to send raw before a try */
	uint64_t	 raw;		/* atomic: bytes read */
	/* Compression tried or not, by the stream's speed (wc_window). */
	struct wire_mode mode;
	uint64_t	 win_t0;	/* the window's start */
	uint64_t	 win_bytes;	/* stream bytes sent in it */
	unsigned	 win_n;		/* chunks sent in it */
	unsigned	 win;		/* chunks per window: WC_WIN */
	struct wire_stats st;
	pthread_t	 reader, writer, workers[WC_THREADS_MAX];
	unsigned	 started;	/* workers started */
	int		 reader_on, writer_on;
	int		 corrupted;	/* the fault point did its work */
	int		 late;		/* tests: workers wake late */
	int		 pipe[2];	/* for splice; -1 when not used */
};

static void
wc_fail(struct wire_enc *e, int rc)
{
	pthread_mutex_lock(&e->mu);
	if (e->err == 0) {
		e->err = rc;
		/* The stream's writer must not block on a dead encoder. */
		shutdown(e->rfd, SHUT_RDWR);
	}
	pthread_cond_broadcast(&e->cv);
	pthread_mutex_unlock(&e->mu);
}

/* Fill buf with up to len bytes of stream; 0 at its end. */
static ssize_t
wc_read_chunk(struct wire_enc *e, uint8_t *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(e->rfd, buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return got > 0 ? (ssize_t)got : -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/*
 * While compression keeps failing (e->skip), what is waiting in the pair
 * goes as raw frames without being looked at: the writer splices it from
 * the pair to the connection, never through this process.  Returns the
 * bytes so queued in slot s (0: read the chunk instead); the reader
 * waits until the writer moved them before it reads on.
 */
#define WC_SPLICE_MIN	(64U * 1024)

static uint32_t
wc_passthrough(struct wire_enc *e, struct wc_slot *s)
{
	int avail = 0;

	/*
	 * Only with every chunk read so far taken by a worker: the chunk is
	 * then counted as taken too, and no worker ever looks at a passed
	 * through slot, which the reader may fill again before a late worker
	 * would have stepped over it (it then encoded a slot being filled).
	 */
	if (e->pipe[0] < 0 || e->skip == 0 || e->taken != e->filled ||
	    ioctl(e->rfd, FIONREAD, &avail) != 0 ||
	    avail < (int)WC_SPLICE_MIN)
		return 0;
	s->len = (uint32_t)avail < WC_CHUNK ? (uint32_t)avail : WC_CHUNK;
	s->spliced = 1;
	s->packed = 0;
	s->zeros = 0;
	e->skip--;
	return s->len;
}

static void *
wc_reader(void *arg)
{
	struct wire_enc *e = arg;
	struct wc_slot *s;
	ssize_t n;

	for (;;) {
		pthread_mutex_lock(&e->mu);
		s = &e->slots[e->filled % e->nslots];
		while (s->state != WC_FREE && e->err == 0)
			pthread_cond_wait(&e->cv, &e->mu);
		if (e->err == 0 && wc_passthrough(e, s) > 0) {
			s->state = WC_DONE;
			e->filled++;
			e->taken++;
			__atomic_add_fetch(&e->raw, s->len,
			    __ATOMIC_RELAXED);
			pthread_cond_broadcast(&e->cv);
			while (s->state != WC_FREE && e->err == 0)
				pthread_cond_wait(&e->cv, &e->mu);
			pthread_mutex_unlock(&e->mu);
			continue;
		}
		pthread_mutex_unlock(&e->mu);
		if (e->err != 0)
			return NULL;
		s->spliced = 0;
		if ((n = wc_read_chunk(e, s->in, WC_CHUNK)) < 0) {
			log_warnx("stream encoder: reading the stream: %s",
			    strerror((int)-n));
			wc_fail(e, (int)n);
			return NULL;
		}
		pthread_mutex_lock(&e->mu);
		if (n == 0)
			e->eof = 1;
		else {
			s->len = (uint32_t)n;
			s->state = WC_FILLED;
			e->filled++;
			__atomic_add_fetch(&e->raw, (uint64_t)n,
			    __ATOMIC_RELAXED);
		}
		pthread_cond_broadcast(&e->cv);
		pthread_mutex_unlock(&e->mu);
		if (n == 0)
			return NULL;
	}
}

/* Build the frame of a filled slot. */
static void
wc_encode(struct wire_enc *e, struct wc_slot *s, struct compress_ctx **cc)
{
	struct frame_run runs[FRAME_RUNS_MAX];
	struct frame_hdr h = { .kind = FRAME_DATA };
	const uint8_t *lit = s->in;
	uint32_t litlen = s->len;
	size_t n = 0;

	h.nzero = 0;
	if (e->zero_elision) {
		h.nzero = frame_split(s->in, s->len, runs, s->lit, &litlen);
		if (h.nzero > 0)
			lit = s->lit;
	}
	s->zeros = s->len - litlen;
	if (s->compress && litlen > 0)
		n = compress_block(cc[s->mode], lit, litlen, s->comp, litlen);
	/* Less than 1/16 saved is not worth the receiver's work. */
	s->packed = n > 0 && n <= litlen - litlen / 16;
	h.codec = s->packed ? e->ways[s->mode] : FRAME_CODEC_NONE;
	h.raw_len = s->len;
	h.lit_len = litlen;
	h.wire_len = s->packed ? (uint32_t)n : litlen;
	frame_hdr_encode(s->head, &h);
	frame_runs_encode(s->head + FRAME_HDR_LEN, runs, h.nzero);
	s->headlen = FRAME_HDR_LEN + (size_t)h.nzero * FRAME_RUN_LEN;
	s->payload = s->packed ? s->comp : lit;
	s->paylen = h.wire_len;
}

/*
 * Compression pays when it moves the stream faster from end to end,
 * which neither side can tell from its own rates: a slow link looks like
 * a busy receiver, and a receiver busy decompressing, or a host whose
 * cores also run the destination, looks like a slow link (TCP's
 * back-pressure).  So the writer measures what counts, the stream bytes
 * sent per second, over windows of WC_WIN chunks, and wire_mode_step()
 * (wirecodec.h) keeps the faster way.  Chunks taken before a switch are
 * left out of the window after it.  A window is long enough (32 MiB) to
 * outlast the scheduling noise of a few threads on a couple of cores:
 * with 8 MiB the rates of two windows in the same mode differed by up
 * to four times, and compression went on and off at nearly every window.
 */
#define WC_WIN		64	/* chunks (32 MiB of stream) per window */
#define WC_WIN_MAX	1024

void
wire_mode_init(struct wire_mode *w, unsigned nways, int way)
{
	memset(w, 0, sizeof(*w));
	w->nways = nways < 1 ? 1 : nways > WIRE_WAYS_MAX ? WIRE_WAYS_MAX :
	    nways;
	w->way = way >= 0 && (unsigned)way < w->nways ? way : 0;
	w->last = -1;
	w->probe = (int)w->nways - 1;	/* the first probe: raw */
	w->every = WIRE_MODE_PROBE;
}

int
wire_mode_step(struct wire_mode *w, uint64_t rate)
{
	int cur = w->way, next = cur, best = cur, i, n = (int)w->nways;
	uint64_t *r = w->rate;

	/* Smoothed over consecutive windows; a way come back starts over. */
	r[cur] = w->last == cur && r[cur] != 0 ? (r[cur] + rate) / 2 : rate;
	w->last = cur;
	for (i = 0; i < n; i++)
		if (r[i] > r[best])
			best = i;
	if (w->probing) {
		/* The probe's verdict: the fastest way, with what it saw. */
		next = best;
		w->probing = 0;
		w->since = 0;
		if (next == cur)	/* it won */
			w->every = WIRE_MODE_PROBE;
		else if ((w->every *= 2) > WIRE_MODE_PROBE_MAX)
			w->every = WIRE_MODE_PROBE_MAX;
	} else if (best != cur && r[best] > r[cur] + r[cur] / 8) {
		/* Clearly slower than another way was: go to it. */
		next = best;
		w->since = 0;
	} else if (n > 1 && ++w->since >= w->every) {
		/*
		 * Now and then another way, each in turn, as the data and
		 * the link change; the denser codec only while the fast one
		 * clearly beats raw (compressing pays: a link slower than
		 * the compressing threads), as it costs more.
		 */
		do
			w->probe = (w->probe + 1) % n;
		while (w->probe == cur || (w->probe == 2 && r[0] != 0 &&
		    r[1] != 0 && r[1] <= r[0] + r[0] / 8));
		next = w->probe;
		w->probing = 1;
	}
	w->way = next;
	return next;
}

/* A chunk of len stream bytes sent under mode m (mu held). */
static void
wc_window(struct wire_enc *e, int m, uint32_t len)
{
	uint64_t now = util_now_ns(), rate;
	int was = e->mode.way;

	if (e->mode.nways < 2)
		return;
	if (m != e->mode.way || e->win_n == 0) {	/* not the window's */
		e->win_t0 = now;
		e->win_bytes = 0;
		e->win_n = m == e->mode.way;
		return;
	}
	e->win_bytes += len;
	if (++e->win_n <= e->win)
		return;
	rate = now > e->win_t0 ? e->win_bytes * 1000000000ULL /
	    (now - e->win_t0) : 0;
	if (wire_mode_step(&e->mode, rate) != was)
		log_debug("stream encoder: chunks go %s (MB/s: %llu raw, "
		    "%llu %s, %llu %s)", e->mode.way == 0 ? "raw" :
		    frame_codec_name(e->ways[e->mode.way]),
		    (unsigned long long)(e->mode.rate[0] / 1000000),
		    (unsigned long long)(e->mode.rate[1] / 1000000),
		    frame_codec_name(e->ways[1]),
		    (unsigned long long)(e->mode.rate[2] / 1000000),
		    e->mode.nways > 2 ? frame_codec_name(e->ways[2]) : "-");
	e->win_t0 = now;
	e->win_bytes = 0;
	e->win_n = 1;
}

static void *
wc_worker(void *arg)
{
	struct wire_enc *e = arg;
	struct compress_ctx *cc[WIRE_WAYS_MAX] = { NULL };
	struct wc_slot *s;
	unsigned i;
	int tried;

	for (i = 1; i < e->mode.nways; i++)
		if ((cc[i] = compress_ctx_new(e->ways[i])) == NULL) {
			wc_fail(e, -ENOMEM);
			goto out;
		}
	pthread_mutex_lock(&e->mu);
	for (;;) {
		if (e->err != 0 || (e->taken == e->filled && e->eof))
			break;
		if (e->taken == e->filled) {
			pthread_cond_wait(&e->cv, &e->mu);
			/* Tests: a worker the scheduler wakes late. */
			if (e->late) {
				pthread_mutex_unlock(&e->mu);
				fault_point("wire-worker-late", -1);
				pthread_mutex_lock(&e->mu);
			}
			continue;
		}
		s = &e->slots[e->taken++ % e->nslots];
		s->state = WC_WORKING;
		s->mode = e->mode.way;
		s->compress = s->mode != 0 && e->skip == 0;
		if (s->mode && e->skip > 0)
			e->skip--;
		pthread_mutex_unlock(&e->mu);
		wc_encode(e, s, cc);
		tried = s->compress && s->len > s->zeros;
		pthread_mutex_lock(&e->mu);
		/*
		 * Without compression (its window off), a chunk without a
		 * zero run was looked at for nothing: the next ones pass
		 * through unread, as after a failed compression.
		 */
		if (s->packed || (!s->mode && s->zeros > 0))
			e->misses = 0;
		else if (tried || (!s->mode && e->mode.nways > 1)) {
			if (e->misses < 6)
				e->misses++;
			e->skip = 1U << e->misses;
			if (e->skip > WC_SKIP_MAX)
				e->skip = WC_SKIP_MAX;
		}
		s->state = WC_DONE;
		pthread_cond_broadcast(&e->cv);
	}
	pthread_mutex_unlock(&e->mu);
out:
	for (i = 1; i < WIRE_WAYS_MAX; i++)
		compress_ctx_free(cc[i]);
	return NULL;
}

static int
wc_send_end(struct wire_enc *e)
{
	struct frame_hdr h = { .kind = FRAME_END };
	uint8_t b[FRAME_HDR_LEN];

	frame_hdr_encode(b, &h);
	e->st.wire += FRAME_HDR_LEN;
	return relocio_write_full(e->netfd, b, sizeof(b), e->timeout_ms);
}

/*
 * A raw frame of s->len bytes still in the pair: spliced to the
 * connection, or copied where the kernel cannot splice them.
 */
static int
wc_send_spliced(struct wire_enc *e, struct wc_slot *s)
{
	struct frame_hdr h = { FRAME_DATA, FRAME_CODEC_NONE, 0, s->len,
	    s->len, s->len };
	int rc;

	frame_hdr_encode(s->head, &h);
	s->headlen = FRAME_HDR_LEN;
	s->paylen = s->len;
	if ((rc = relocio_write_full(e->netfd, s->head, FRAME_HDR_LEN,
	    e->timeout_ms)) != 0)
		return rc;
	rc = relocio_splice_full(e->rfd, e->netfd, NULL, s->len, e->pipe,
	    e->timeout_ms);
	if (rc != -EOPNOTSUPP)
		return rc;
	relocio_pipe_close(e->pipe);
	if ((rc = relocio_read_full(e->rfd, s->in, s->len,
	    e->timeout_ms)) != 0)
		return rc;
	return relocio_write_full(e->netfd, s->in, s->len, e->timeout_ms);
}

static void *
wc_writer(void *arg)
{
	struct wire_enc *e = arg;
	struct wc_slot *s;
	struct iovec v[2];
	uint64_t seq = 0;
	int rc;

	for (;;) {
		pthread_mutex_lock(&e->mu);
		s = &e->slots[seq % e->nslots];
		while (e->err == 0 && !(e->eof && seq == e->filled) &&
		    !(seq < e->filled && s->state == WC_DONE))
			pthread_cond_wait(&e->cv, &e->mu);
		if (e->err != 0) {
			pthread_mutex_unlock(&e->mu);
			return NULL;
		}
		if (e->eof && seq == e->filled) {
			pthread_mutex_unlock(&e->mu);
			if ((rc = wc_send_end(e)) != 0) {
				log_warnx("stream encoder: sending the end: %s",
				    strerror(-rc));
				wc_fail(e, rc);
			}
			return NULL;
		}
		pthread_mutex_unlock(&e->mu);
		if (s->spliced) {
			if ((rc = wc_send_spliced(e, s)) != 0) {
				log_warnx("stream encoder: sending: %s",
				    strerror(-rc));
				wc_fail(e, rc);
				return NULL;
			}
			goto sent;
		}
		/* Tests: a compressed frame that cannot decompress. */
		if (s->packed && !e->corrupted &&
		    fault_armed("wire-corrupt-frame")) {
			memset(s->comp, 0xff, s->paylen);
			e->corrupted = 1;
		}
		v[0].iov_base = s->head;
		v[0].iov_len = s->headlen;
		v[1].iov_base = (void *)(uintptr_t)s->payload;
		v[1].iov_len = s->paylen;
		rc = relocio_writev_full(e->netfd, v, 2, e->timeout_ms);
		if (rc != 0) {
			log_warnx("stream encoder: sending: %s", strerror(-rc));
			wc_fail(e, rc);
			return NULL;
		}
sent:
		e->st.wire += s->headlen + s->paylen;
		e->st.zero_pages += s->zeros / WC_PAGE;
		e->st.frames++;
		e->st.compressed += s->packed != 0;
		if (s->packed && e->ways[s->mode] == FRAME_CODEC_LZ4)
			e->st.lz4++;
		else if (s->packed && e->ways[s->mode] == FRAME_CODEC_ZSTD)
			e->st.zstd++;
		pthread_mutex_lock(&e->mu);
		/* A passed-through chunk counts for the mode of the day. */
		wc_window(e, s->spliced ? e->mode.way : s->mode, s->len);
		s->state = WC_FREE;
		seq++;
		pthread_cond_broadcast(&e->cv);
		pthread_mutex_unlock(&e->mu);
	}
}

static void
wc_enc_free(struct wire_enc *e)
{
	unsigned i;

	for (i = 0; i < e->nslots; i++) {
		free(e->slots[i].in);
		free(e->slots[i].lit);
		free(e->slots[i].comp);
	}
	free(e->slots);
	relocio_pipe_close(e->pipe);
	if (e->rfd >= 0)
		close(e->rfd);
	if (e->wfd >= 0)
		close(e->wfd);
	pthread_mutex_destroy(&e->mu);
	pthread_cond_destroy(&e->cv);
	free(e);
}

static unsigned
wc_threads(unsigned threads)
{
	const char *env = getenv("XMIG_COMPRESS_THREADS");
	long n;

	if (threads == 0 && env != NULL && (n = atol(env)) > 0)
		threads = (unsigned)n;
	if (threads == 0 && (n = sysconf(_SC_NPROCESSORS_ONLN)) > 0)
		threads = (unsigned)n;
	if (threads == 0)
		threads = 1;
	return threads > WC_THREADS_MAX ? WC_THREADS_MAX : threads;
}

int
wire_enc_start(int netfd, enum frame_codec codec, enum frame_codec dense,
    int zero_elision, unsigned threads, int timeout_ms,
    struct wire_enc **ep, int *infd)
{
	struct wire_enc *e;
	const char *env;
	uint64_t win;
	int sv[2], rc;
	unsigned i;

	if (!compress_available(codec) || !compress_available(dense))
		return -ENOTSUP;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return -ENOMEM;
	pthread_mutex_init(&e->mu, NULL);
	pthread_cond_init(&e->cv, NULL);
	e->rfd = e->wfd = -1;
	e->pipe[0] = e->pipe[1] = -1;
	e->netfd = netfd;
	e->timeout_ms = timeout_ms;
	e->ways[0] = FRAME_CODEC_NONE;
	e->ways[1] = codec;
	e->ways[2] = dense;
	e->zero_elision = zero_elision;
	e->late = fault_armed("wire-worker-late");
	/* Tests: short windows (XMIG_WIRE_WINDOW chunks), to see ways
	 * change within a small stream. */
	if ((env = getenv("XMIG_WIRE_WINDOW")) == NULL ||
	    util_parse_uint(env, 1, WC_WIN_MAX, &win) != 0)
		win = WC_WIN;
	e->win = (unsigned)win;
	wire_mode_init(&e->mode, codec == FRAME_CODEC_NONE ? 1 :
	    dense == FRAME_CODEC_NONE ? 2 : 3, 1);
	e->nthreads = codec == FRAME_CODEC_NONE ? 1 : wc_threads(threads);
	e->nslots = 2 * e->nthreads + 2;
	rc = -ENOMEM;
	if ((e->slots = calloc(e->nslots, sizeof(*e->slots))) == NULL)
		goto fail;
	for (i = 0; i < e->nslots; i++)
		if ((e->slots[i].in = malloc(WC_CHUNK)) == NULL ||
		    (e->slots[i].lit = malloc(WC_CHUNK)) == NULL ||
		    (e->slots[i].comp = malloc(WC_CHUNK)) == NULL)
			goto fail;
	if ((rc = relocio_stream_pair(sv)) != 0)
		goto fail;
	e->rfd = sv[0];
	e->wfd = sv[1];
	/* Raw chunks are spliced only where compression is tried. */
	if (codec != FRAME_CODEC_NONE)
		relocio_pipe_open(e->pipe);
	if ((rc = -pthread_create(&e->reader, NULL, wc_reader, e)) != 0)
		goto fail;
	e->reader_on = 1;
	for (; e->started < e->nthreads; e->started++)
		if ((rc = -pthread_create(&e->workers[e->started], NULL,
		    wc_worker, e)) != 0)
			goto fail_threads;
	if ((rc = -pthread_create(&e->writer, NULL, wc_writer, e)) != 0)
		goto fail_threads;
	e->writer_on = 1;
	log_debug("stream encoder: %s%s%s, zero runs %s, %u thread%s",
	    frame_codec_name(codec), dense != FRAME_CODEC_NONE ? " or " : "",
	    dense != FRAME_CODEC_NONE ? frame_codec_name(dense) : "",
	    zero_elision ? "elided" : "sent",
	    e->nthreads, e->nthreads == 1 ? "" : "s");
	*ep = e;
	*infd = e->wfd;
	return 0;

fail_threads:
	wc_fail(e, rc);
	(void)wire_enc_finish(e, NULL);
	log_warnx("stream encoder: cannot start its threads: %s",
	    strerror(-rc));
	return rc;
fail:
	log_warnx("stream encoder: cannot start: %s", strerror(-rc));
	wc_enc_free(e);
	return rc;
}

uint64_t
wire_enc_raw(struct wire_enc *e)
{
	return e == NULL ? 0 : __atomic_load_n(&e->raw, __ATOMIC_RELAXED);
}

int
wire_enc_finish(struct wire_enc *e, struct wire_stats *st)
{
	unsigned i;
	int rc;

	if (e == NULL)
		return 0;
	if (e->wfd >= 0) {
		close(e->wfd);
		e->wfd = -1;
	}
	if (e->reader_on)
		pthread_join(e->reader, NULL);
	for (i = 0; i < e->started; i++)
		pthread_join(e->workers[i], NULL);
	if (e->writer_on)
		pthread_join(e->writer, NULL);
	e->st.raw = e->raw;
	if (st != NULL)
		*st = e->st;
	rc = e->err;
	wc_enc_free(e);
	return rc;
}

/* ------------------------------------------------------------ decoder */

struct wire_dec {
	int		 netfd;
	int		 wfd;		/* the decoder's end of the pair */
	int		 rfd;		/* the restore's end (*outfd) */
	int		 stop[2];	/* a byte there stops the decoder */
	int		 timeout_ms;
	pthread_t	 thread;
	int		 on;
	int		 ended;		/* END read, all handed on */
	int		 rc;
	char		 why[256];
	int		 pipe[2];	/* for splice; -1 when not used */
	uint8_t		*wire;		/* the frame's body */
	uint8_t		*lit;		/* its literal bytes, decompressed */
	struct frame_run runs[FRAME_RUNS_MAX];
	struct wire_stats st;
};

static const uint8_t wc_zeros[FRAME_RAW_MAX];

/* Read exactly len bytes from the source, or stop; 0 or -errno. */
static int
wd_read(struct wire_dec *d, uint8_t *buf, size_t len)
{
	struct pollfd p[2];
	size_t got = 0;
	ssize_t n;
	int r;

	while (got < len) {
		p[0].fd = d->netfd;
		p[0].events = POLLIN;
		p[1].fd = d->stop[0];
		p[1].events = POLLIN;
		r = poll(p, 2, d->timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		if (p[1].revents != 0)
			return -ECANCELED;
		n = read(d->netfd, buf + got, len - got);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		got += (size_t)n;
	}
	return 0;
}

/*
 * Check a frame's body and make its literal bytes: *lit points at them
 * (in d->wire for a raw one, d->lit once decompressed).
 */
static int
wd_body(const struct frame_hdr *h, const uint8_t *body, uint8_t *litbuf,
    struct frame_run *runs, const uint8_t **lit, const char **why)
{
	const uint8_t *wire = body + (size_t)h->nzero * FRAME_RUN_LEN;
	int rc;

	if ((rc = frame_runs_decode(body, h, runs, why)) != 0)
		return rc;
	if (h->codec == FRAME_CODEC_NONE) {
		*lit = wire;
		return 0;
	}
	rc = compress_decode(h->codec, wire, h->wire_len, litbuf, h->lit_len);
	if (rc == -ENOTSUP)
		*why = "a codec this build does not have";
	else if (rc != 0)
		*why = h->codec == FRAME_CODEC_LZ4 ? "lz4 data does not "
		    "decompress to the literal length" : "zstd data does not "
		    "decompress to the literal length";
	*lit = litbuf;
	return rc == 0 ? 0 : -EBADMSG;
}

/* Hand the chunk on: literal pieces and zeros, as one vector. */
static int
wd_emit(struct wire_dec *d, const struct frame_hdr *h, const uint8_t *lit)
{
	struct iovec v[2 * FRAME_RUNS_MAX + 1];
	uint32_t i, at = 0, used = 0;
	unsigned n = 0;

	for (i = 0; i < h->nzero; i++) {
		if (d->runs[i].off > at) {
			v[n].iov_base = (void *)(uintptr_t)(lit + used);
			v[n++].iov_len = d->runs[i].off - at;
			used += d->runs[i].off - at;
		}
		v[n].iov_base = (void *)(uintptr_t)wc_zeros;
		v[n++].iov_len = d->runs[i].len;
		at = d->runs[i].off + d->runs[i].len;
	}
	if (h->raw_len > at) {
		v[n].iov_base = (void *)(uintptr_t)(lit + used);
		v[n++].iov_len = h->raw_len - at;
	}
	return relocio_writev_full(d->wfd, v, n, d->timeout_ms);
}

/*
 * A long raw frame goes from the connection to the restore spliced,
 * never through this process.  0, -EOPNOTSUPP when nothing could be
 * spliced (read it instead), or -errno.
 */
static int
wd_splice(struct wire_dec *d, const struct frame_hdr *h, const char **why)
{
	int rc;

	rc = relocio_splice_full(d->netfd, d->wfd, NULL, h->raw_len, d->pipe,
	    d->timeout_ms);
	if (rc == 0) {
		d->st.wire += h->raw_len;
		d->st.raw += h->raw_len;
		d->st.frames++;
	} else if (rc == -EPIPE)
		*why = "the restore stopped reading";
	return rc;
}

static void *
wd_thread(void *arg)
{
	struct wire_dec *d = arg;
	uint8_t hb[FRAME_HDR_LEN];
	const uint8_t *lit;
	const char *why = NULL;
	struct frame_hdr h;
	int rc;

	for (;;) {
		if ((rc = wd_read(d, hb, sizeof(hb))) != 0)
			break;
		if ((rc = frame_hdr_decode(hb, &h, &why)) != 0)
			break;
		d->st.wire += FRAME_HDR_LEN;
		if (h.kind == FRAME_END) {
			d->ended = 1;
			break;
		}
		if (h.codec == FRAME_CODEC_NONE && h.nzero == 0 &&
		    h.raw_len >= WC_SPLICE_MIN && d->pipe[0] >= 0) {
			rc = wd_splice(d, &h, &why);
			if (rc == -EOPNOTSUPP)
				relocio_pipe_close(d->pipe);
			else if (rc != 0)
				break;
			else
				continue;
		}
		if ((rc = wd_read(d, d->wire, frame_body_len(&h))) != 0)
			break;
		d->st.wire += frame_body_len(&h);
		if ((rc = wd_body(&h, d->wire, d->lit, d->runs, &lit,
		    &why)) != 0)
			break;
		if ((rc = wd_emit(d, &h, lit)) != 0) {
			why = "the restore stopped reading";
			break;
		}
		d->st.raw += h.raw_len;
		d->st.zero_pages += (h.raw_len - h.lit_len) / WC_PAGE;
		d->st.frames++;
		d->st.compressed += h.codec != FRAME_CODEC_NONE;
	}
	if (rc != 0) {
		d->rc = rc;
		if (rc == -EBADMSG)
			snprintf(d->why, sizeof(d->why), "corrupted frame %llu "
			    "(stream byte %llu): %s, refused",
			    (unsigned long long)d->st.frames,
			    (unsigned long long)d->st.raw, why);
		else if (why != NULL)
			snprintf(d->why, sizeof(d->why), "%s", why);
		else
			snprintf(d->why, sizeof(d->why), "frame %llu: %s",
			    (unsigned long long)d->st.frames, strerror(-rc));
	}
	/* The restore sees the end of the stream, or its cut. */
	shutdown(d->wfd, SHUT_WR);
	return NULL;
}

static void
wd_free(struct wire_dec *d)
{
	if (d->wfd >= 0)
		close(d->wfd);
	if (d->rfd >= 0)
		close(d->rfd);
	if (d->stop[0] >= 0)
		close(d->stop[0]);
	if (d->stop[1] >= 0)
		close(d->stop[1]);
	relocio_pipe_close(d->pipe);
	free(d->wire);
	free(d->lit);
	free(d);
}

int
wire_dec_start(int netfd, int timeout_ms, struct wire_dec **dp, int *outfd)
{
	struct wire_dec *d;
	int sv[2], rc;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return -ENOMEM;
	d->wfd = d->rfd = d->stop[0] = d->stop[1] = -1;
	d->pipe[0] = d->pipe[1] = -1;
	d->netfd = netfd;
	d->timeout_ms = timeout_ms;
	rc = -ENOMEM;
	if ((d->wire = malloc(FRAME_RUNS_MAX * FRAME_RUN_LEN +
	    FRAME_RAW_MAX)) == NULL || (d->lit = malloc(FRAME_RAW_MAX)) == NULL)
		goto fail;
	if (pipe2(d->stop, O_CLOEXEC) != 0) {
		rc = -errno;
		goto fail;
	}
	if ((rc = relocio_stream_pair(sv)) != 0)
		goto fail;
	d->wfd = sv[0];
	d->rfd = sv[1];
	relocio_pipe_open(d->pipe);
	if ((rc = -pthread_create(&d->thread, NULL, wd_thread, d)) != 0)
		goto fail;
	d->on = 1;
	*dp = d;
	*outfd = d->rfd;
	return 0;
fail:
	log_warnx("stream decoder: cannot start: %s", strerror(-rc));
	wd_free(d);
	return rc;
}

int
wire_dec_finish(struct wire_dec *d, int wait, struct wire_stats *st,
    char *why, size_t whylen)
{
	int rc;

	if (d == NULL)
		return 0;
	/* A decoder still writing fails; one still reading stops. */
	close(d->rfd);
	d->rfd = -1;
	if (!wait && write(d->stop[1], "x", 1) < 0)
		log_debug("stream decoder: stop: %s", strerror(errno));
	if (d->on)
		pthread_join(d->thread, NULL);
	rc = d->rc != 0 ? d->rc : d->ended ? 0 : -EPIPE;
	if (rc != 0 && d->why[0] == '\0')
		snprintf(d->why, sizeof(d->why), "the stream ended before "
		    "its END frame");
	if (rc != 0 && why != NULL)
		snprintf(why, whylen, "%s", d->why);
	if (st != NULL)
		*st = d->st;
	wd_free(d);
	return rc;
}

size_t
wire_encode_frame(const uint8_t *chunk, uint32_t len, enum frame_codec codec,
    int zero_elision, uint8_t *out)
{
	struct wire_enc e = { .zero_elision = zero_elision,
	    .ways = { FRAME_CODEC_NONE, codec } };
	struct compress_ctx *cc[WIRE_WAYS_MAX] = { NULL };
	struct wc_slot *s;
	size_t n = 0;

	if (len == 0 || len > FRAME_RAW_MAX ||
	    (s = calloc(1, sizeof(*s))) == NULL)
		return 0;
	s->in = (uint8_t *)(uintptr_t)chunk;
	s->len = len;
	if ((s->lit = malloc(len)) == NULL || (s->comp = malloc(len)) ==
	    NULL || (codec != FRAME_CODEC_NONE &&
	    (cc[1] = compress_ctx_new(codec)) == NULL))
		goto out;
	s->compress = cc[1] != NULL;
	s->mode = s->compress;
	wc_encode(&e, s, cc);
	memcpy(out, s->head, s->headlen);
	memcpy(out + s->headlen, s->payload, s->paylen);
	n = s->headlen + s->paylen;
out:
	compress_ctx_free(cc[1]);
	free(s->lit);
	free(s->comp);
	free(s);
	return n;
}

int
wire_decode_frame(const uint8_t *buf, size_t len, uint8_t *out,
    size_t *used, const char **why)
{
	static struct frame_run runs[FRAME_RUNS_MAX];
	static uint8_t litbuf[FRAME_RAW_MAX];
	const uint8_t *lit;
	struct frame_hdr h;
	int rc;

	*used = 0;
	if (len < FRAME_HDR_LEN) {
		*why = "short frame header";
		return -EBADMSG;
	}
	if ((rc = frame_hdr_decode(buf, &h, why)) != 0)
		return rc;
	if (h.kind == FRAME_END) {
		*used = FRAME_HDR_LEN;
		return 0;
	}
	if (len - FRAME_HDR_LEN < frame_body_len(&h)) {
		*why = "short frame body";
		return -EBADMSG;
	}
	if ((rc = wd_body(&h, buf + FRAME_HDR_LEN, litbuf, runs, &lit,
	    why)) != 0)
		return rc;
	frame_expand(&h, runs, lit, out);
	*used = FRAME_HDR_LEN + frame_body_len(&h);
	return (int)h.raw_len;
}
