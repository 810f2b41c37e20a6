/*
 * stream-bench.c - throughput of the stream encoder and decoder.
 *
 * Encode: 1 GiB of pages (a 64 MiB guest memory sent 16 times) through
 * stream_writer_page() into a 64 MiB output buffer that the flush
 * callback discards; every page is copied once into the buffer.
 * Decode: a libxc stream whose PAGE_DATA part (one 64 MiB chunk of
 * encoded records) is served 16 times by the read callback, which copies
 * into the reader's record buffer as read(2) would; the reader checks and
 * decodes each batch into page pointers.
 *
 * usage: stream-bench [GIB]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libxc_stream.h"
#include "stream_reader.h"
#include "stream_writer.h"

#define MEM_PAGES	(16384U)		/* 64 MiB of guest memory */
#define CHUNK		(64U << 20)

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
discard(void *opaque, const void *data, size_t len)
{
	size_t *total = opaque;

	(void)data;
	*total += len;
	return 0;
}

/* Keep one encoded chunk of PAGE_DATA records. */
struct keep {
	uint8_t	*p;
	size_t	 len;
};

static int
keep(void *opaque, const void *data, size_t len)
{
	struct keep *k = opaque;

	if ((k->p = realloc(k->p, k->len + len)) == NULL)
		return -1;
	memcpy(k->p + k->len, data, len);
	k->len += len;
	return 0;
}

/* Serves: headers, the PAGE_DATA chunk "reps" times, then END. */
struct feed {
	const uint8_t	*head;
	size_t		 head_len;
	const uint8_t	*body;
	size_t		 body_len;
	unsigned int	 reps;
	unsigned int	 rep;
	size_t		 pos;
	int		 part;
	uint8_t		 end[8];
};

static ssize_t
feed_read(void *opaque, void *buf, size_t len)
{
	struct feed *f = opaque;
	const uint8_t *src;
	size_t n;

	for (;;) {
		if (f->part == 0) {
			src = f->head;
			n = f->head_len;
		} else if (f->part == 1) {
			src = f->body;
			n = f->body_len;
		} else if (f->part == 2) {
			src = f->end;
			n = sizeof(f->end);
		} else
			return 0;
		if (f->pos < n)
			break;
		f->pos = 0;
		if (f->part == 1 && ++f->rep < f->reps)
			continue;
		f->part++;
	}
	if (len > n - f->pos)
		len = n - f->pos;
	memcpy(buf, src + f->pos, len);
	f->pos += len;
	return (ssize_t)len;
}

int
main(int argc, char **argv)
{
	unsigned int gib = argc > 1 ? (unsigned int)atoi(argv[1]) : 1;
	uint64_t total_pages = (uint64_t)gib << 18, i, pages = 0;
	uint8_t *mem, head[LIBXC_IHDR_SIZE + LIBXC_DHDR_SIZE + 8];
	struct stream_writer *w;
	struct stream_reader *r;
	struct stream_event ev;
	struct keep k = { NULL, 0 };
	struct feed f;
	struct srerr e;
	size_t flushed = 0;
	double t0, t1, mb;
	volatile uint8_t sink = 0;
	int rc;

	if (gib == 0 || (mem = malloc((size_t)MEM_PAGES * 4096)) == NULL)
		return 1;
	for (i = 0; i < (uint64_t)MEM_PAGES * 4096 / 8; i++)
		((uint64_t *)mem)[i] = i * 0x9e3779b97f4a7c15ULL;
	mb = (double)total_pages * 4096 / 1e6;

	/* Encode. */
	w = stream_writer_new(discard, &flushed, CHUNK);
	t0 = now();
	for (i = 0; i < total_pages; i++)
		if (stream_writer_page(w, i, LIBXC_PAGE_NOTAB,
		    mem + (i % MEM_PAGES) * 4096) != 0)
			return 1;
	if (stream_writer_flush(w) != 0)
		return 1;
	t1 = now();
	stream_writer_free(w);
	printf("encode: %.0f MB in %.3f s: %.0f MB/s (%zu bytes out)\n", mb,
	    t1 - t0, mb / (t1 - t0), flushed);

	/* One chunk of encoded pages: MEM_PAGES pages, 16 records. */
	w = stream_writer_new(keep, &k, CHUNK);
	for (i = 0; i < MEM_PAGES; i++)
		stream_writer_page(w, i, LIBXC_PAGE_NOTAB, mem + i * 4096);
	if (stream_writer_flush(w) != 0)
		return 1;
	stream_writer_free(w);

	memset(&f, 0, sizeof(f));
	libxc_ihdr_encode(head, 3);
	libxc_dhdr_encode(head + LIBXC_IHDR_SIZE, LIBXC_DOM_X86_HVM, 4, 17);
	memset(head + 40, 0, 8);
	head[40] = LIBXC_REC_STATIC_DATA_END;
	f.head = head;
	f.head_len = sizeof(head);
	f.body = k.p;
	f.body_len = k.len;
	f.reps = (unsigned int)(total_pages / MEM_PAGES);
	/* END would need HVM_CONTEXT: stop at the last page instead. */
	f.end[0] = 0x55;	/* never reached */

	r = stream_reader_new(STREAM_FMT_LIBXC, feed_read, &f);
	t0 = now();
	while ((rc = stream_reader_next(r, &ev, &e)) > 0) {
		if (ev.kind != STREAM_EV_LIBXC_RECORD ||
		    ev.libxc->type != LIBXC_REC_PAGE_DATA)
			continue;
		pages += ev.libxc->pages->count;
		sink ^= ev.libxc->pages->data[0][0];
		if (pages == total_pages)
			break;
	}
	t1 = now();
	stream_reader_free(r);
	if (pages != total_pages) {
		fprintf(stderr, "decode stopped after %llu pages: %s\n",
		    (unsigned long long)pages, e.reason);
		return 1;
	}
	printf("decode: %.0f MB in %.3f s: %.0f MB/s\n", mb, t1 - t0,
	    mb / (t1 - t0));

	/* Reference: memcpy of the same amount in 64 MiB pieces. */
	t0 = now();
	for (i = 0; i < total_pages / MEM_PAGES; i++)
		memcpy(k.p, mem, (size_t)MEM_PAGES * 4096);
	t1 = now();
	printf("memcpy: %.0f MB in %.3f s: %.0f MB/s\n", mb, t1 - t0,
	    mb / (t1 - t0));
	free(k.p);
	free(mem);
	(void)sink;
	return 0;
}
