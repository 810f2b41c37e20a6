/*
 * test_stream_reader.c - whole streams: round trips through the writer
 * and the reader, and a corpus of corrupted streams each rejected with
 * the right reason at the right offset.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "libxc_stream.h"
#include "libxl_stream.h"
#include "savefile.h"
#include "stream_reader.h"
#include "stream_verify.h"
#include "stream_writer.h"
#include "xlhdr.h"

#define NPAGES	5

struct out {
	uint8_t	*p;
	size_t	 len;
	size_t	 cap;
};

static int
out_flush(void *opaque, const void *data, size_t len)
{
	struct out *o = opaque;

	if (o->len + len > o->cap) {
		o->cap = (o->len + len) * 2;
		o->p = realloc(o->p, o->cap);
		ck_assert_ptr_nonnull(o->p);
	}
	memcpy(o->p + o->len, data, len);
	o->len += len;
	return 0;
}

static uint8_t *
guest_memory(size_t npages)
{
	uint8_t *m = malloc(npages * LIBXC_PAGE_SIZE);
	size_t i;

	ck_assert_ptr_nonnull(m);
	for (i = 0; i < npages * LIBXC_PAGE_SIZE; i++)
		m[i] = (uint8_t)(i * 7 + i / 4096);
	return m;
}

static const char config[] = "{\"c_info\": {\"type\": \"hvm\", \"name\": "
    "\"web1\"}, \"b_info\": {\"max_memkb\": 20, \"target_memkb\": 16}}";

static void
params_init(struct savefile_params *p, uint32_t dom, enum stream_format f)
{
	memset(p, 0, sizeof(*p));
	p->format = f;
	p->dom_type = dom;
	p->config_json = config;
	p->max_pfn = NPAGES - 1;
	p->vcpus = 2;
	p->tsc_khz = 1000000;
	p->store_pfn = NPAGES - 1;
	p->console_pfn = NPAGES - 2;
}

/* A complete stream; the caller frees o->p. */
static void
make_stream(struct out *o, const struct savefile_params *p, size_t bufsize)
{
	struct stream_writer *w;
	uint8_t *mem = guest_memory(NPAGES);

	memset(o, 0, sizeof(*o));
	w = stream_writer_new(out_flush, o, bufsize);
	ck_assert_ptr_nonnull(w);
	ck_assert_int_eq(savefile_write(w, p, mem), 0);
	stream_writer_free(w);
	free(mem);
}

static void
make(struct out *o, uint32_t dom, enum stream_format f)
{
	struct savefile_params p;

	params_init(&p, dom, f);
	make_stream(o, &p, 0);
}

/* Offset of the nth (0-based) record of type "type" from offset "at". */
static size_t
rec_at(const struct out *o, size_t at, uint32_t type, int nth)
{
	uint32_t t, l;

	while (at + 8 <= o->len) {
		t = load_le32(o->p + at);
		l = load_le32(o->p + at + 4);
		if (t == type && nth-- == 0)
			return at;
		at += 8 + ((l + 7) & ~7U);
	}
	ck_abort_msg("record type %u not found", type);
	return 0;
}

/* First libxc record of a bare libxc stream. */
#define XC_FIRST	(LIBXC_IHDR_SIZE + LIBXC_DHDR_SIZE)

static int
verify_buf(const struct out *o, enum stream_format f,
    struct stream_summary *sum, struct srerr *e)
{
	struct stream_membuf m = { o->p, o->len, 0 };

	srerr_clear(e);
	return stream_verify(f, stream_membuf_read, &m, sum, e);
}

/* Check the stream fails with code at offset, reason containing "why". */
static void
expect_defect(const struct out *o, enum stream_format f,
    enum srerr_code code, uint64_t offset, const char *why)
{
	struct stream_summary sum;
	struct srerr e;
	char buf[320];
	int rc;

	rc = verify_buf(o, f, &sum, &e);
	srerr_format(&e, buf, sizeof(buf));
	ck_assert_msg(rc < 0, "accepted; wanted %s", why);
	ck_assert_msg(e.code == code, "code %s, wanted %s: %s",
	    srerr_code_name(e.code), srerr_code_name(code), buf);
	ck_assert_msg(e.offset == offset, "offset %llu, wanted %llu: %s",
	    (unsigned long long)e.offset, (unsigned long long)offset, buf);
	ck_assert_msg(strstr(buf, why) != NULL, "\"%s\" lacks \"%s\"", buf,
	    why);
}

START_TEST(test_stream_reader_roundtrip_hvm)
{
	struct stream_membuf m;
	struct stream_reader *r;
	struct stream_event ev;
	struct srerr e;
	struct out o;
	uint8_t *mem = guest_memory(NPAGES);
	uint32_t i, seen = 0, kinds = 0;
	int rc;

	make(&o, LIBXC_DOM_X86_HVM, STREAM_FMT_XL);
	m = (struct stream_membuf){ o.p, o.len, 0 };
	r = stream_reader_new(STREAM_FMT_XL, stream_membuf_read, &m);
	srerr_clear(&e);
	while ((rc = stream_reader_next(r, &ev, &e)) > 0) {
		kinds |= 1U << ev.kind;
		if (ev.kind != STREAM_EV_LIBXC_RECORD ||
		    ev.libxc->type != LIBXC_REC_PAGE_DATA)
			continue;
		for (i = 0; i < ev.libxc->pages->count; i++) {
			ck_assert_uint_eq(ev.libxc->pages->pfn[i], seen);
			ck_assert_uint_eq(ev.libxc->pages->type[i], 0);
			ck_assert(memcmp(ev.libxc->pages->data[i],
			    mem + seen * LIBXC_PAGE_SIZE,
			    LIBXC_PAGE_SIZE) == 0);
			seen++;
		}
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(seen, NPAGES);
	ck_assert_uint_eq(kinds, (1U << STREAM_EV_XL_HEADER) |
	    (1U << STREAM_EV_LIBXL_HEADER) | (1U << STREAM_EV_LIBXL_RECORD) |
	    (1U << STREAM_EV_LIBXC_HEADER) | (1U << STREAM_EV_LIBXC_RECORD));
	ck_assert_uint_eq(stream_reader_offset(r), o.len);
	stream_reader_free(r);
	free(mem);
	free(o.p);
}
END_TEST

START_TEST(test_stream_reader_summary)
{
	struct stream_summary s;
	struct srerr e;
	struct out o;

	make(&o, LIBXC_DOM_X86_PV, STREAM_FMT_XL);
	ck_assert_int_eq(verify_buf(&o, STREAM_FMT_XL, &s, &e), 0);
	ck_assert(s.have_xl && s.have_libxl && s.config_json);
	ck_assert_str_eq(s.name, "web1");
	ck_assert_int_eq(s.max_memkb, 20);
	ck_assert_int_eq(s.target_memkb, 16);
	ck_assert_uint_eq(s.dom_type, LIBXC_DOM_X86_PV);
	ck_assert_uint_eq(s.libxc_version, 3);
	ck_assert_uint_eq(s.xen_major, 4);
	ck_assert_uint_eq(s.xen_minor, 17);
	ck_assert_uint_eq(s.pages, NPAGES);
	ck_assert_uint_eq(s.max_pfn, NPAGES - 1);
	ck_assert_uint_eq(s.vcpus, 2);
	ck_assert_uint_eq(s.libxc_records[LIBXC_REC_X86_PV_VCPU_BASIC], 2);
	ck_assert_uint_eq(s.libxc_records[LIBXC_REC_STATIC_DATA_END], 1);
	ck_assert_uint_eq(s.libxl_records[LIBXL_REC_LIBXC_CONTEXT], 1);
	ck_assert_uint_eq(s.bytes, o.len);
	free(o.p);

	make(&o, LIBXC_DOM_X86_HVM, STREAM_FMT_LIBXC);
	ck_assert_int_eq(verify_buf(&o, STREAM_FMT_LIBXC, &s, &e), 0);
	ck_assert(!s.have_xl && !s.have_libxl);
	ck_assert_uint_eq(s.dom_type, LIBXC_DOM_X86_HVM);
	ck_assert_uint_eq(s.libxc_records[LIBXC_REC_HVM_PARAMS], 1);
	free(o.p);
}
END_TEST

/* The writer's output does not depend on its buffer size. */
START_TEST(test_stream_writer_small_buffer)
{
	struct savefile_params p;
	struct out a, b;

	params_init(&p, LIBXC_DOM_X86_PV, STREAM_FMT_XL);
	make_stream(&a, &p, 0);
	make_stream(&b, &p, 64);
	ck_assert_uint_eq(a.len, b.len);
	ck_assert(memcmp(a.p, b.p, a.len) == 0);
	free(a.p);
	free(b.p);
}
END_TEST

/* 2500 pages: batches of 1024, 1024 and 452. */
START_TEST(test_stream_writer_batches)
{
	struct stream_membuf m;
	struct stream_reader *r;
	struct stream_event ev;
	struct stream_writer *w;
	struct savefile_params p;
	struct srerr e;
	struct out o;
	uint8_t *mem = guest_memory(2500);
	uint32_t counts[4], n = 0;
	int rc;

	params_init(&p, LIBXC_DOM_X86_HVM, STREAM_FMT_LIBXC);
	p.max_pfn = 2499;
	memset(&o, 0, sizeof(o));
	w = stream_writer_new(out_flush, &o, 0);
	ck_assert_int_eq(savefile_write(w, &p, mem), 0);
	ck_assert_uint_eq(stream_writer_pages(w), 2500);
	stream_writer_free(w);
	m = (struct stream_membuf){ o.p, o.len, 0 };
	r = stream_reader_new(STREAM_FMT_LIBXC, stream_membuf_read, &m);
	while ((rc = stream_reader_next(r, &ev, &e)) > 0)
		if (ev.kind == STREAM_EV_LIBXC_RECORD &&
		    ev.libxc->type == LIBXC_REC_PAGE_DATA && n < 4)
			counts[n++] = ev.libxc->pages->count;
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(counts[0], 1024);
	ck_assert_uint_eq(counts[1], 1024);
	ck_assert_uint_eq(counts[2], 452);
	stream_reader_free(r);
	free(mem);
	free(o.p);
}
END_TEST

/* The vectored consumer: the pieces, concatenated, as out_flush keeps. */
static unsigned int vec_calls, vec_pieces_max;

static int
out_flushv(void *opaque, const struct stream_iov *iov, unsigned int n)
{
	unsigned int i;

	vec_calls++;
	if (n > vec_pieces_max)
		vec_pieces_max = n;
	for (i = 0; i < n; i++)
		out_flush(opaque, iov[i].base, iov[i].len);
	return 0;
}

/* Pages in an awkward order, some without data, in two batches. */
static void
write_mixed(struct stream_writer *w, const uint8_t *mem)
{
	struct savefile_params p;
	uint64_t i, pfn;

	params_init(&p, LIBXC_DOM_X86_HVM, STREAM_FMT_LIBXC);
	p.max_pfn = 2999;
	ck_assert_int_eq(savefile_begin(w, &p), 0);
	for (i = 0; i < 1500; i++) {	/* one run, then every other */
		pfn = i < 1100 ? i : 1100 + 2 * (i - 1100);
		ck_assert_int_eq(stream_writer_page(w, pfn, i % 97 == 5 ?
		    LIBXC_PAGE_XTAB : 0, i % 97 == 5 ? NULL :
		    mem + LIBXC_PAGE_SIZE * pfn), 0);
	}
	ck_assert_int_eq(savefile_end(w, &p), 0);
}

/* Same bytes with and without the vectored path, any buffer size. */
START_TEST(test_stream_writer_vectored)
{
	static const size_t sizes[] = { 0, 64, 5000 };
	struct stream_writer *w;
	struct stream_summary s;
	struct srerr e;
	struct out a, b;
	uint8_t *mem = guest_memory(3000);
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		w = stream_writer_new(out_flush, &a, sizes[i]);
		write_mixed(w, mem);
		stream_writer_free(w);
		vec_calls = vec_pieces_max = 0;
		w = stream_writer_new(out_flush, &b, sizes[i]);
		stream_writer_set_flushv(w, out_flushv);
		write_mixed(w, mem);
		ck_assert_uint_eq(stream_writer_pages(w), 1500 - 16);
		ck_assert_uint_eq(stream_writer_offset(w), b.len);
		stream_writer_free(w);
		ck_assert_uint_eq(vec_calls, 2);
		ck_assert_uint_le(vec_pieces_max, 1 + LIBXC_BATCH_MAX);
		ck_assert_uint_eq(a.len, b.len);
		ck_assert_mem_eq(a.p, b.p, a.len);
		ck_assert_int_eq(verify_buf(&b, STREAM_FMT_LIBXC, &s, &e), 0);
		free(a.p);
		free(b.p);
	}
	/* A batch of adjacent pages is one piece besides the header. */
	memset(&b, 0, sizeof(b));
	vec_calls = vec_pieces_max = 0;
	w = stream_writer_new(out_flush, &b, 0);
	stream_writer_set_flushv(w, out_flushv);
	for (i = 0; i < 1024; i++)
		ck_assert_int_eq(stream_writer_page(w, i, 0,
		    mem + LIBXC_PAGE_SIZE * i), 0);
	ck_assert_uint_eq(vec_calls, 1);
	ck_assert_uint_eq(vec_pieces_max, 2);
	stream_writer_free(w);
	free(b.p);
	free(mem);
}
END_TEST

/* A page sink over a membuf: copies each page to its pfn in "mem". */
struct sink_ctx {
	struct stream_membuf	*in;
	uint8_t			*mem;
	uint64_t		 calls;
};

static int
mem_sink(void *opaque, const struct libxc_page_batch *b, uint64_t len)
{
	struct sink_ctx *c = opaque;
	uint32_t i;

	c->calls++;
	for (i = 0; i < b->count; i++) {
		ck_assert_ptr_null(b->data[i]);
		if (!libxc_page_type_has_data(b->type[i]))
			continue;
		if (c->in->len - c->in->pos < LIBXC_PAGE_SIZE)
			return -EPIPE;
		memcpy(c->mem + b->pfn[i] * LIBXC_PAGE_SIZE,
		    c->in->data + c->in->pos, LIBXC_PAGE_SIZE);
		c->in->pos += LIBXC_PAGE_SIZE;
		len -= LIBXC_PAGE_SIZE;
	}
	ck_assert_uint_eq(len, 0);
	return 0;
}

/* With a sink, the pages go there, checked as ever; a cut is reported. */
START_TEST(test_stream_reader_page_sink)
{
	struct stream_membuf m;
	struct stream_reader *r;
	struct stream_event ev;
	struct sink_ctx c;
	struct srerr e;
	struct out o;
	uint8_t *mem = guest_memory(NPAGES), *got;
	size_t cut;
	int rc;

	srerr_clear(&e);
	make(&o, LIBXC_DOM_X86_HVM, STREAM_FMT_LIBXC);
	got = calloc(NPAGES, LIBXC_PAGE_SIZE);
	m = (struct stream_membuf){ o.p, o.len, 0 };
	c = (struct sink_ctx){ &m, got, 0 };
	r = stream_reader_new(STREAM_FMT_LIBXC, stream_membuf_read, &m);
	stream_reader_set_page_sink(r, mem_sink, &c);
	while ((rc = stream_reader_next(r, &ev, &e)) > 0)
		;
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_gt(c.calls, 0);
	ck_assert_mem_eq(got, mem, NPAGES * LIBXC_PAGE_SIZE);
	ck_assert_uint_eq(stream_reader_offset(r), o.len);
	ck_assert_uint_eq(stream_reader_libxc(r)->pages, NPAGES);
	stream_reader_free(r);
	/* Cut inside the first page of data: truncated, at that point. */
	cut = rec_at(&o, XC_FIRST, LIBXC_REC_PAGE_DATA, 0) + 16 + 8 * NPAGES +
	    100;
	m = (struct stream_membuf){ o.p, cut, 0 };
	r = stream_reader_new(STREAM_FMT_LIBXC, stream_membuf_read, &m);
	stream_reader_set_page_sink(r, mem_sink, &c);
	while ((rc = stream_reader_next(r, &ev, &e)) > 0)
		;
	ck_assert_int_eq(rc, -EBADMSG);
	ck_assert_int_eq(e.code, SRERR_TRUNCATED);
	stream_reader_free(r);
	free(got);
	free(mem);
	free(o.p);
}
END_TEST

/* Pages without data (XTAB, XALLOC, BROKEN) have no body. */
START_TEST(test_stream_writer_typed_pages)
{
	struct stream_writer *w;
	struct savefile_params p;
	struct stream_summary s;
	struct srerr e;
	struct out o;
	uint8_t page[LIBXC_PAGE_SIZE] = { 1 };

	params_init(&p, LIBXC_DOM_X86_HVM, STREAM_FMT_LIBXC);
	memset(&o, 0, sizeof(o));
	w = stream_writer_new(out_flush, &o, 0);
	ck_assert_int_eq(savefile_begin(w, &p), 0);
	ck_assert_int_eq(stream_writer_page(w, 0, LIBXC_PAGE_NOTAB, page), 0);
	ck_assert_int_eq(stream_writer_page(w, 1, LIBXC_PAGE_XTAB, NULL), 0);
	ck_assert_int_eq(stream_writer_page(w, 2, LIBXC_PAGE_XALLOC, NULL), 0);
	ck_assert_int_eq(stream_writer_page(w, 3, LIBXC_PAGE_BROKEN, NULL), 0);
	ck_assert_int_eq(stream_writer_page(w, 4, 5, page), -EINVAL);
	ck_assert_int_eq(stream_writer_page(w, 4, LIBXC_PAGE_NOTAB, NULL),
	    -EINVAL);
	ck_assert_int_eq(stream_writer_page(w, 1ULL << 52, 0, page), -EINVAL);
	ck_assert_int_eq(savefile_end(w, &p), 0);
	stream_writer_free(w);
	ck_assert_int_eq(verify_buf(&o, STREAM_FMT_LIBXC, &s, &e), 0);
	ck_assert_uint_eq(s.pages, 1);
	ck_assert_uint_eq(s.pfns, 4);
	ck_assert_uint_eq(load_le32(o.p + rec_at(&o, XC_FIRST,
	    LIBXC_REC_PAGE_DATA, 0) + 4), 8 + 4 * 8 + LIBXC_PAGE_SIZE);
	free(o.p);
}
END_TEST

/* Cut the stream at every offset: each cut is "truncated" right there. */
START_TEST(test_stream_reader_truncated_everywhere)
{
	struct stream_summary s;
	struct srerr e;
	struct out o, cut;
	size_t n;

	make(&o, LIBXC_DOM_X86_HVM, STREAM_FMT_XL);
	for (n = 0; n < o.len; n++) {
		cut = o;
		cut.len = n;
		ck_assert_int_eq(verify_buf(&cut, STREAM_FMT_XL, &s, &e),
		    -EBADMSG);
		ck_assert_msg(e.code == SRERR_TRUNCATED, "cut %zu: %s %s", n,
		    srerr_code_name(e.code), e.reason);
		ck_assert_uint_eq(e.offset, n);
	}
	free(o.p);
}
END_TEST

START_TEST(test_stream_reader_trailing)
{
	struct out o;

	make(&o, LIBXC_DOM_X86_HVM, STREAM_FMT_XL);
	o.p = realloc(o.p, o.len + 1);
	o.p[o.len++] = 0;
	expect_defect(&o, STREAM_FMT_XL, SRERR_TRAILING, o.len - 1,
	    "data after the end");
	free(o.p);
}
END_TEST

START_TEST(test_stream_reader_bad_headers)
{
	struct out o;

	make(&o, LIBXC_DOM_X86_HVM, STREAM_FMT_LIBXC);
	o.p[3] = 0;
	expect_defect(&o, STREAM_FMT_LIBXC, SRERR_MAGIC, 0, "bad marker");
	o.p[3] = 0xff;
	o.p[15] = 4;
	expect_defect(&o, STREAM_FMT_LIBXC, SRERR_VERSION, 12,
	    "version 4 not supported");
	o.p[15] = 3;
	o.p[17] = 1;
	expect_defect(&o, STREAM_FMT_LIBXC, SRERR_ENDIAN, 16, "big-endian");
	o.p[17] = 2;
	expect_defect(&o, STREAM_FMT_LIBXC, SRERR_RESERVED, 16,
	    "reserved option bits");
	o.p[17] = 0;
	o.p[23] = 1;
	expect_defect(&o, STREAM_FMT_LIBXC, SRERR_RESERVED, 18,
	    "reserved fields");
	o.p[23] = 0;
	o.p[24] = 3;
	expect_defect(&o, STREAM_FMT_LIBXC, SRERR_VALUE, 24,
	    "unknown domain type 0x3");
	o.p[24] = 2;
	o.p[28] = 13;
	expect_defect(&o, STREAM_FMT_LIBXC, SRERR_VALUE, 28, "page shift 13");
	free(o.p);
}
END_TEST

START_TEST(test_stream_reader_page_data_defects)
{
	struct out o;
	size_t pd, body;

	make(&o, LIBXC_DOM_X86_HVM, STREAM_FMT_LIBXC);
	pd = rec_at(&o, XC_FIRST, LIBXC_REC_PAGE_DATA, 0);
	body = pd + 8;
	/* Entry 1 (pfn 1): reserved bit 52. */
	o.p[body + 8 + 8 + 6] |= 0x10;
	expect_defect(&o, STREAM_FMT_LIBXC, SRERR_RESERVED, body + 16,
	    "PAGE_DATA record: pfn 0x1 type 0x0 has reserved bits set");
	o.p[body + 8 + 8 + 6] &= ~0x10;
	/* Entry 2: type 5 does not exist. */
	o.p[body + 8 + 16 + 7] = 0x50;
	expect_defect(&o, STREAM_FMT_LIBXC, SRERR_VALUE, body + 24,
	    "pfn 0x2 has invalid page type 0x5");
	/* Type XTAB carries no data: the length no longer adds up. */
	o.p[body + 8 + 16 + 7] = 0xf0;
	expect_defect(&o, STREAM_FMT_LIBXC, SRERR_LENGTH, pd + 4,
	    "expected 16432 (8 + 5 pfns * 8 + 4 pages * 4096)");
	o.p[body + 8 + 16 + 7] = 0;
	/* Count zero, count too large, reserved field. */
	store_le32(o.p + body, 0);
	expect_defect(&o, STREAM_FMT_LIBXC, SRERR_VALUE, body, "count is zero");
	store_le32(o.p + body, 100000);
	expect_defect(&o, STREAM_FMT_LIBXC, SRERR_LENGTH, body,
	    "count 100000 needs 800000 bytes");
	store_le32(o.p + body, NPAGES);
	store_le32(o.p + body + 4, 1);
	expect_defect(&o, STREAM_FMT_LIBXC, SRERR_RESERVED, body + 4,
	    "reserved field");
	free(o.p);
}
END_TEST

START_TEST(test_stream_reader_lengths)
{
	struct out o;
	size_t at;

	make(&o, LIBXC_DOM_X86_HVM, STREAM_FMT_LIBXC);
	at = rec_at(&o, XC_FIRST, LIBXC_REC_X86_TSC_INFO, 0);
	/* Over the hard maximum: refused before reading the body. */
	store_le32(o.p + at + 4, 0xffffffffU);
	expect_defect(&o, STREAM_FMT_LIBXC, SRERR_TOO_BIG, at + 4,
	    "X86_TSC_INFO record: length 4294967295 over the maximum");
	store_le32(o.p + at + 4, (128U << 20) + 1);
	expect_defect(&o, STREAM_FMT_LIBXC, SRERR_TOO_BIG, at + 4,
	    "over the maximum");
	/* Large but allowed: the stream simply ends. */
	store_le32(o.p + at + 4, 100U << 20);
	expect_defect(&o, STREAM_FMT_LIBXC, SRERR_TRUNCATED, o.len,
	    "truncated");
	/* Shorter than its fixed size. */
	store_le32(o.p + at + 4, 16);
	expect_defect(&o, STREAM_FMT_LIBXC, SRERR_LENGTH, at + 4,
	    "length 16, expected 24");
	free(o.p);
}
END_TEST

START_TEST(test_stream_reader_types)
{
	struct stream_summary s;
	struct srerr e;
	struct out o;
	size_t at;

	make(&o, LIBXC_DOM_X86_HVM, STREAM_FMT_LIBXC);
	at = rec_at(&o, XC_FIRST, LIBXC_REC_X86_TSC_INFO, 0);
	store_le32(o.p + at, 0x55);
	expect_defect(&o, STREAM_FMT_LIBXC, SRERR_TYPE, at,
	    "unknown mandatory record type 0x00000055");
	/* An unknown optional record is skipped. */
	store_le32(o.p + at, 0x80000055U);
	ck_assert_int_eq(verify_buf(&o, STREAM_FMT_LIBXC, &s, &e), 0);
	ck_assert_uint_eq(s.optional_records, 1);
	store_le32(o.p + at, LIBXC_REC_TOOLSTACK);
	expect_defect(&o, STREAM_FMT_LIBXC, SRERR_TYPE, at, "obsolete");
	store_le32(o.p + at, LIBXC_REC_X86_TSC_INFO);
	/* HVM_CONTEXT gone: END notices. */
	at = rec_at(&o, XC_FIRST, LIBXC_REC_HVM_CONTEXT, 0);
	store_le32(o.p + at, 0x80000009U);
	expect_defect(&o, STREAM_FMT_LIBXC, SRERR_MISSING,
	    rec_at(&o, XC_FIRST, LIBXC_REC_END, 0),
	    "ended without HVM_CONTEXT");
	/* A PV record in an HVM stream. */
	store_le32(o.p + at, LIBXC_REC_SHARED_INFO);
	expect_defect(&o, STREAM_FMT_LIBXC, SRERR_TYPE, at,
	    "not allowed in an x86 HVM stream");
	free(o.p);
}
END_TEST

START_TEST(test_stream_reader_order)
{
	struct out o;
	size_t sde, pd;

	make(&o, LIBXC_DOM_X86_HVM, STREAM_FMT_LIBXC);
	sde = rec_at(&o, XC_FIRST, LIBXC_REC_STATIC_DATA_END, 0);
	pd = rec_at(&o, XC_FIRST, LIBXC_REC_PAGE_DATA, 0);
	/* No STATIC_DATA_END before the pages (v3). */
	store_le32(o.p + sde, LIBXC_REC_VERIFY);
	expect_defect(&o, STREAM_FMT_LIBXC, SRERR_ORDER, pd,
	    "PAGE_DATA record: comes before STATIC_DATA_END");
	/* A v2 stream has none, and may not have one. */
	o.p[15] = 2;
	store_le32(o.p + sde, LIBXC_REC_STATIC_DATA_END);
	expect_defect(&o, STREAM_FMT_LIBXC, SRERR_TYPE, sde,
	    "not allowed in a v2 stream");
	free(o.p);
}
END_TEST

/* Hand-built streams for duplicate and misplaced records. */
static void
begin_raw(struct out *o, struct stream_writer **w, uint32_t dom,
    uint32_t version)
{
	uint8_t b[LIBXC_IHDR_SIZE + LIBXC_DHDR_SIZE];

	memset(o, 0, sizeof(*o));
	*w = stream_writer_new(out_flush, o, 0);
	libxc_ihdr_encode(b, version);
	libxc_dhdr_encode(b + LIBXC_IHDR_SIZE, dom, 4, 17);
	ck_assert_int_eq(stream_writer_bytes(*w, b, sizeof(b)), 0);
}

static void
end_raw(struct stream_writer *w)
{
	ck_assert_int_eq(stream_writer_record(w, LIBXC_REC_END, NULL, 0), 0);
	ck_assert_int_eq(stream_writer_flush(w), 0);
	stream_writer_free(w);
}

START_TEST(test_stream_reader_duplicates)
{
	struct stream_writer *w;
	struct out o;
	uint8_t info[8], cpuid[24] = { 0 };

	begin_raw(&o, &w, LIBXC_DOM_X86_HVM, 3);
	stream_writer_record(w, LIBXC_REC_STATIC_DATA_END, NULL, 0);
	stream_writer_record(w, LIBXC_REC_STATIC_DATA_END, NULL, 0);
	end_raw(w);
	expect_defect(&o, STREAM_FMT_LIBXC, SRERR_DUPLICATE, XC_FIRST + 8,
	    "second STATIC_DATA_END");
	free(o.p);

	begin_raw(&o, &w, LIBXC_DOM_X86_PV, 3);
	libxc_pv_info_encode(info, 8, 4);
	stream_writer_record(w, LIBXC_REC_X86_PV_INFO, info, 8);
	stream_writer_record(w, LIBXC_REC_X86_PV_INFO, info, 8);
	end_raw(w);
	expect_defect(&o, STREAM_FMT_LIBXC, SRERR_DUPLICATE, XC_FIRST + 16,
	    "second X86_PV_INFO");
	free(o.p);

	/* Policies are static data: after STATIC_DATA_END is too late. */
	begin_raw(&o, &w, LIBXC_DOM_X86_HVM, 3);
	stream_writer_record(w, LIBXC_REC_STATIC_DATA_END, NULL, 0);
	stream_writer_record(w, LIBXC_REC_X86_CPUID_POLICY, cpuid, 24);
	end_raw(w);
	expect_defect(&o, STREAM_FMT_LIBXC, SRERR_ORDER, XC_FIRST + 8,
	    "X86_CPUID_POLICY record: comes after STATIC_DATA_END");
	free(o.p);

	/* PV: width 8 with 3 levels is no guest Xen runs. */
	begin_raw(&o, &w, LIBXC_DOM_X86_PV, 3);
	libxc_pv_info_encode(info, 8, 3);
	stream_writer_record(w, LIBXC_REC_X86_PV_INFO, info, 8);
	end_raw(w);
	expect_defect(&o, STREAM_FMT_LIBXC, SRERR_VALUE, XC_FIRST + 8,
	    "invalid guest width 8 with 3");
	free(o.p);
}
END_TEST

START_TEST(test_stream_reader_pv_defects)
{
	struct out o;
	size_t at, pd;

	make(&o, LIBXC_DOM_X86_PV, STREAM_FMT_LIBXC);
	/* vcpu1's state but not vcpu0's. */
	at = rec_at(&o, XC_FIRST, LIBXC_REC_X86_PV_VCPU_BASIC, 0);
	store_le32(o.p + at + 8, 1);
	expect_defect(&o, STREAM_FMT_LIBXC, SRERR_DUPLICATE,
	    rec_at(&o, XC_FIRST, LIBXC_REC_X86_PV_VCPU_BASIC, 1),
	    "second record for vcpu1");
	store_le32(o.p + rec_at(&o, XC_FIRST, LIBXC_REC_X86_PV_VCPU_BASIC, 1)
	    + 8, 2);
	expect_defect(&o, STREAM_FMT_LIBXC, SRERR_MISSING,
	    rec_at(&o, XC_FIRST, LIBXC_REC_END, 0), "vcpu0's basic state");
	store_le32(o.p + at + 8, 0);
	store_le32(o.p + at + 12, 7);
	expect_defect(&o, STREAM_FMT_LIBXC, SRERR_RESERVED, at + 12,
	    "reserved field");
	store_le32(o.p + at + 12, 0);
	/* A pfn beyond the p2m. */
	pd = rec_at(&o, XC_FIRST, LIBXC_REC_PAGE_DATA, 0);
	store_le64(o.p + pd + 16 + 8, 0x12345);
	expect_defect(&o, STREAM_FMT_LIBXC, SRERR_VALUE, pd + 24,
	    "pfn 0x12345 (entry 1) outside the domain (max pfn 0x4)");
	free(o.p);
}
END_TEST

START_TEST(test_stream_reader_padding)
{
	struct savefile_params p;
	struct out o;
	size_t at;

	params_init(&p, LIBXC_DOM_X86_HVM, STREAM_FMT_XL);
	p.emulator_context = "QEVM";
	p.emulator_context_len = 4;
	make_stream(&o, &p, 0);
	at = rec_at(&o, o.len - 8 - 24, LIBXL_REC_EMULATOR_CONTEXT, 0);
	ck_assert_uint_eq(load_le32(o.p + at + 4), 12);
	o.p[at + 8 + 12 + 2] = 0xaa;
	expect_defect(&o, STREAM_FMT_XL, SRERR_PADDING, at + 8 + 14,
	    "EMULATOR_CONTEXT record: padding byte 2 is 0xaa");
	free(o.p);
}
END_TEST

static ssize_t
failing_read(void *opaque, void *buf, size_t len)
{
	int *calls = opaque;

	(void)buf;
	(void)len;
	if ((*calls)++ == 0) {
		memset(buf, 0, 1);
		return 1;
	}
	errno = EIO;
	return -1;
}

START_TEST(test_stream_reader_io_error)
{
	struct stream_reader *r;
	struct stream_event ev;
	struct srerr e;
	int calls = 0;

	r = stream_reader_new(STREAM_FMT_XL, failing_read, &calls);
	ck_assert_ptr_nonnull(r);
	srerr_clear(&e);
	ck_assert_int_eq(stream_reader_next(r, &ev, &e), -EIO);
	ck_assert_int_eq(e.code, SRERR_IO);
	ck_assert_uint_eq(e.offset, 1);
	/* The error sticks. */
	ck_assert_int_eq(stream_reader_next(r, &ev, &e), -EIO);
	stream_reader_free(r);
}
END_TEST

static Suite *
stream_reader_suite(void)
{
	Suite *s = suite_create("stream_reader");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_stream_reader_roundtrip_hvm);
	tcase_add_test(tc, test_stream_reader_summary);
	tcase_add_test(tc, test_stream_writer_small_buffer);
	tcase_add_test(tc, test_stream_writer_batches);
	tcase_add_test(tc, test_stream_writer_vectored);
	tcase_add_test(tc, test_stream_reader_page_sink);
	tcase_add_test(tc, test_stream_writer_typed_pages);
	tcase_add_test(tc, test_stream_reader_truncated_everywhere);
	tcase_add_test(tc, test_stream_reader_trailing);
	tcase_add_test(tc, test_stream_reader_bad_headers);
	tcase_add_test(tc, test_stream_reader_page_data_defects);
	tcase_add_test(tc, test_stream_reader_lengths);
	tcase_add_test(tc, test_stream_reader_types);
	tcase_add_test(tc, test_stream_reader_order);
	tcase_add_test(tc, test_stream_reader_duplicates);
	tcase_add_test(tc, test_stream_reader_pv_defects);
	tcase_add_test(tc, test_stream_reader_padding);
	tcase_add_test(tc, test_stream_reader_io_error);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(stream_reader_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
