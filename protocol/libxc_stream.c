/*
 * libxc_stream.c - libxc migration stream headers and records: checks,
 * decoding and encoding.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "libxc_stream.h"

_Static_assert(LIBXC_IHDR_SIZE == 8 + 4 + 4 + 2 + 2 + 4, "image header");
_Static_assert(LIBXC_DHDR_SIZE == 4 + 2 + 2 + 4 + 4, "domain header");
_Static_assert(LIBXC_TSC_INFO_SIZE == 4 + 4 + 8 + 4 + 4, "tsc info");
_Static_assert(LIBXC_REC_MAX < UINT32_MAX - 8, "record length fits");
_Static_assert(8 + 8 * LIBXC_BATCH_MAX + (size_t)LIBXC_PAGE_SIZE *
    LIBXC_BATCH_MAX <= LIBXC_REC_MAX, "a full batch fits a record");

static const char *const rec_names[LIBXC_REC_NR] = {
	[LIBXC_REC_END] = "END",
	[LIBXC_REC_PAGE_DATA] = "PAGE_DATA",
	[LIBXC_REC_X86_PV_INFO] = "X86_PV_INFO",
	[LIBXC_REC_X86_PV_P2M_FRAMES] = "X86_PV_P2M_FRAMES",
	[LIBXC_REC_X86_PV_VCPU_BASIC] = "X86_PV_VCPU_BASIC",
	[LIBXC_REC_X86_PV_VCPU_EXTENDED] = "X86_PV_VCPU_EXTENDED",
	[LIBXC_REC_X86_PV_VCPU_XSAVE] = "X86_PV_VCPU_XSAVE",
	[LIBXC_REC_SHARED_INFO] = "SHARED_INFO",
	[LIBXC_REC_X86_TSC_INFO] = "X86_TSC_INFO",
	[LIBXC_REC_HVM_CONTEXT] = "HVM_CONTEXT",
	[LIBXC_REC_HVM_PARAMS] = "HVM_PARAMS",
	[LIBXC_REC_TOOLSTACK] = "TOOLSTACK",
	[LIBXC_REC_X86_PV_VCPU_MSRS] = "X86_PV_VCPU_MSRS",
	[LIBXC_REC_VERIFY] = "VERIFY",
	[LIBXC_REC_CHECKPOINT] = "CHECKPOINT",
	[LIBXC_REC_CHECKPOINT_DIRTY_PFN_LIST] = "CHECKPOINT_DIRTY_PFN_LIST",
	[LIBXC_REC_STATIC_DATA_END] = "STATIC_DATA_END",
	[LIBXC_REC_X86_CPUID_POLICY] = "X86_CPUID_POLICY",
	[LIBXC_REC_X86_MSR_POLICY] = "X86_MSR_POLICY",
};

/* Per record: the domain type it belongs to (0: any). */
static const uint8_t rec_dom[LIBXC_REC_NR] = {
	[LIBXC_REC_X86_PV_INFO] = LIBXC_DOM_X86_PV,
	[LIBXC_REC_X86_PV_P2M_FRAMES] = LIBXC_DOM_X86_PV,
	[LIBXC_REC_X86_PV_VCPU_BASIC] = LIBXC_DOM_X86_PV,
	[LIBXC_REC_X86_PV_VCPU_EXTENDED] = LIBXC_DOM_X86_PV,
	[LIBXC_REC_X86_PV_VCPU_XSAVE] = LIBXC_DOM_X86_PV,
	[LIBXC_REC_X86_PV_VCPU_MSRS] = LIBXC_DOM_X86_PV,
	[LIBXC_REC_SHARED_INFO] = LIBXC_DOM_X86_PV,
	[LIBXC_REC_HVM_CONTEXT] = LIBXC_DOM_X86_HVM,
	[LIBXC_REC_HVM_PARAMS] = LIBXC_DOM_X86_HVM,
};

/* Records a plain (non-checkpointed) stream carries at most once. */
static const uint8_t rec_once[LIBXC_REC_NR] = {
	[LIBXC_REC_X86_PV_INFO] = 1,
	[LIBXC_REC_X86_PV_P2M_FRAMES] = 1,
	[LIBXC_REC_SHARED_INFO] = 1,
	[LIBXC_REC_X86_TSC_INFO] = 1,
	[LIBXC_REC_HVM_CONTEXT] = 1,
	[LIBXC_REC_HVM_PARAMS] = 1,
	[LIBXC_REC_VERIFY] = 1,
	[LIBXC_REC_STATIC_DATA_END] = 1,
	[LIBXC_REC_X86_CPUID_POLICY] = 1,
	[LIBXC_REC_X86_MSR_POLICY] = 1,
};

/* Error "what" for a record; static storage per type. */
static const char *const rec_whats[LIBXC_REC_NR] = {
	[LIBXC_REC_END] = "END record",
	[LIBXC_REC_PAGE_DATA] = "PAGE_DATA record",
	[LIBXC_REC_X86_PV_INFO] = "X86_PV_INFO record",
	[LIBXC_REC_X86_PV_P2M_FRAMES] = "X86_PV_P2M_FRAMES record",
	[LIBXC_REC_X86_PV_VCPU_BASIC] = "X86_PV_VCPU_BASIC record",
	[LIBXC_REC_X86_PV_VCPU_EXTENDED] = "X86_PV_VCPU_EXTENDED record",
	[LIBXC_REC_X86_PV_VCPU_XSAVE] = "X86_PV_VCPU_XSAVE record",
	[LIBXC_REC_SHARED_INFO] = "SHARED_INFO record",
	[LIBXC_REC_X86_TSC_INFO] = "X86_TSC_INFO record",
	[LIBXC_REC_HVM_CONTEXT] = "HVM_CONTEXT record",
	[LIBXC_REC_HVM_PARAMS] = "HVM_PARAMS record",
	[LIBXC_REC_TOOLSTACK] = "TOOLSTACK record",
	[LIBXC_REC_X86_PV_VCPU_MSRS] = "X86_PV_VCPU_MSRS record",
	[LIBXC_REC_VERIFY] = "VERIFY record",
	[LIBXC_REC_CHECKPOINT] = "CHECKPOINT record",
	[LIBXC_REC_CHECKPOINT_DIRTY_PFN_LIST] =
	    "CHECKPOINT_DIRTY_PFN_LIST record",
	[LIBXC_REC_STATIC_DATA_END] = "STATIC_DATA_END record",
	[LIBXC_REC_X86_CPUID_POLICY] = "X86_CPUID_POLICY record",
	[LIBXC_REC_X86_MSR_POLICY] = "X86_MSR_POLICY record",
};

static const char *
rec_what(uint32_t type)
{
	return type < LIBXC_REC_NR ? rec_whats[type] : "libxc record";
}

const char *
libxc_rec_name(uint32_t type)
{
	return type < LIBXC_REC_NR ? rec_names[type] : "unknown";
}

const char *
libxc_dom_type_name(uint32_t type)
{
	switch (type) {
	case LIBXC_DOM_X86_PV:
		return "x86 PV";
	case LIBXC_DOM_X86_HVM:
		return "x86 HVM";
	default:
		return "unknown";
	}
}

void
libxc_state_init(struct libxc_state *s)
{
	memset(s, 0, sizeof(*s));
	s->max_pfn = LIBXC_MAX_PFN_NONE;
}

int
libxc_page_type_valid(unsigned int type)
{
	switch (type) {
	case LIBXC_PAGE_NOTAB:
	case LIBXC_PAGE_L1TAB:
	case LIBXC_PAGE_L2TAB:
	case LIBXC_PAGE_L3TAB:
	case LIBXC_PAGE_L4TAB:
	case LIBXC_PAGE_L1TAB | LIBXC_PAGE_LPINTAB:
	case LIBXC_PAGE_L2TAB | LIBXC_PAGE_LPINTAB:
	case LIBXC_PAGE_L3TAB | LIBXC_PAGE_LPINTAB:
	case LIBXC_PAGE_L4TAB | LIBXC_PAGE_LPINTAB:
	case LIBXC_PAGE_BROKEN:
	case LIBXC_PAGE_XALLOC:
	case LIBXC_PAGE_XTAB:
		return 1;
	default:
		return 0;
	}
}

int
libxc_page_type_has_data(unsigned int type)
{
	return libxc_page_type_valid(type) && type < LIBXC_PAGE_BROKEN;
}

int
libxc_ihdr_decode(struct libxc_state *s, const uint8_t *buf, size_t len,
    uint64_t off, struct libxc_ihdr *h, struct srerr *e)
{
	static const char what[] = "libxc image header";
	struct cursor c;
	uint64_t marker;
	uint32_t id, res2;
	uint16_t res1;

	cursor_init(&c, buf, len);
	marker = cursor_be64(&c);
	id = cursor_be32(&c);
	h->version = cursor_be32(&c);
	h->options = cursor_be16(&c);
	res1 = cursor_be16(&c);
	res2 = cursor_be32(&c);
	if (!cursor_ok(&c))
		return srerr_set(e, SRERR_TRUNCATED, off + len, what,
		    "truncated: %zu of %u bytes", len, LIBXC_IHDR_SIZE);
	if (marker != LIBXC_IHDR_MARKER)
		return srerr_set(e, SRERR_MAGIC, off, what,
		    "bad marker 0x%016llx, expected all ones",
		    (unsigned long long)marker);
	if (id != LIBXC_IHDR_ID)
		return srerr_set(e, SRERR_MAGIC, off + 8, what,
		    "bad id 0x%08x, expected 0x%08x (\"XENF\")", id,
		    LIBXC_IHDR_ID);
	if (h->version < LIBXC_VERSION_MIN || h->version > LIBXC_VERSION)
		return srerr_set(e, SRERR_VERSION, off + 12, what,
		    "version %u not supported (2 or 3)", h->version);
	if (h->options & LIBXC_IHDR_OPT_BIG_ENDIAN)
		return srerr_set(e, SRERR_ENDIAN, off + 16, what,
		    "big-endian stream; only little-endian is supported");
	if (h->options & ~LIBXC_IHDR_OPT_BIG_ENDIAN)
		return srerr_set(e, SRERR_RESERVED, off + 16, what,
		    "reserved option bits 0x%04x set",
		    h->options & ~LIBXC_IHDR_OPT_BIG_ENDIAN);
	if (res1 != 0 || res2 != 0)
		return srerr_set(e, SRERR_RESERVED, off + 18, what,
		    "reserved fields not zero (0x%04x, 0x%08x)", res1, res2);
	s->version = h->version;
	return 0;
}

int
libxc_dhdr_decode(struct libxc_state *s, const uint8_t *buf, size_t len,
    uint64_t off, struct libxc_dhdr *h, struct srerr *e)
{
	static const char what[] = "libxc domain header";
	struct cursor c;
	uint16_t res1;

	cursor_init(&c, buf, len);
	h->type = cursor_le32(&c);
	h->page_shift = cursor_le16(&c);
	res1 = cursor_le16(&c);
	h->xen_major = cursor_le32(&c);
	h->xen_minor = cursor_le32(&c);
	if (!cursor_ok(&c))
		return srerr_set(e, SRERR_TRUNCATED, off + len, what,
		    "truncated: %zu of %u bytes", len, LIBXC_DHDR_SIZE);
	if (h->type != LIBXC_DOM_X86_PV && h->type != LIBXC_DOM_X86_HVM)
		return srerr_set(e, SRERR_VALUE, off, what,
		    "unknown domain type 0x%x (x86 PV is 1, x86 HVM 2)",
		    h->type);
	if (h->page_shift != LIBXC_PAGE_SHIFT)
		return srerr_set(e, SRERR_VALUE, off + 4, what,
		    "page shift %u, expected 12", h->page_shift);
	if (res1 != 0)
		return srerr_set(e, SRERR_RESERVED, off + 6, what,
		    "reserved field not zero (0x%04x)", res1);
	s->dom_type = h->type;
	s->xen_major = h->xen_major;
	s->xen_minor = h->xen_minor;
	return 0;
}

int
libxc_rhdr_check(const struct libxc_state *s, uint32_t type,
    uint32_t length, uint64_t off, struct srerr *e)
{
	(void)s;
	if (type >= LIBXC_REC_NR && !(type & LIBXC_REC_OPTIONAL))
		return srerr_set(e, SRERR_TYPE, off, "libxc record",
		    "unknown mandatory record type 0x%08x", type);
	if (length > LIBXC_REC_MAX)
		return srerr_set(e, SRERR_TOO_BIG, off + 4, rec_what(type),
		    "length %u over the maximum %u", length, LIBXC_REC_MAX);
	return 0;
}

/* The arrays of the largest batch, once for the reader's life. */
static int
batch_reserve(struct libxc_page_batch *b)
{
	const uint32_t cap = LIBXC_BATCH_MAX;
	uint64_t *pfn;
	uint8_t *type;
	const uint8_t **data;

	if (b->cap == cap)
		return 0;
	if ((pfn = realloc(b->pfn, (size_t)cap * sizeof(*pfn))) == NULL)
		return -ENOMEM;
	b->pfn = pfn;
	if ((type = realloc(b->type, (size_t)cap)) == NULL)
		return -ENOMEM;
	b->type = type;
	if ((data = realloc(b->data, (size_t)cap * sizeof(*data))) == NULL)
		return -ENOMEM;
	b->data = data;
	b->cap = cap;
	return 0;
}

void
libxc_page_batch_free(struct libxc_page_batch *b)
{
	if (b == NULL)
		return;
	free(b->pfn);
	free(b->type);
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* v2 streams have no STATIC_DATA_END: it is implied by the first use. */
static int
need_static_data_end(struct libxc_state *s, const struct libxc_rec *r,
    struct srerr *e)
{
	if (s->version < 3)
		s->static_data_end = 1;
	if (!s->static_data_end)
		return srerr_set(e, SRERR_ORDER, r->offset, rec_what(r->type),
		    "comes before STATIC_DATA_END");
	return 0;
}

static int
need_pv_info(const struct libxc_state *s, const struct libxc_rec *r,
    struct srerr *e)
{
	if (s->seen[LIBXC_REC_X86_PV_INFO] == 0)
		return srerr_set(e, SRERR_ORDER, r->offset, rec_what(r->type),
		    "comes before X86_PV_INFO");
	return 0;
}

static int
need_length(const struct libxc_rec *r, uint32_t want, struct srerr *e)
{
	if (r->length != want)
		return srerr_set(e, SRERR_LENGTH, r->offset + 4,
		    rec_what(r->type), "length %u, expected %u", r->length,
		    want);
	return 0;
}

static int
decode_page_data(struct libxc_state *s, struct libxc_rec *r,
    struct libxc_page_batch *b, struct srerr *e)
{
	const char *what = rec_what(r->type);
	uint64_t boff = r->offset + LIBXC_RHDR_SIZE, word, pfn, want, limit;
	const uint8_t *p, *data;
	uint32_t count, res, i, nr_data = 0;
	unsigned int type;
	int rc;

	if ((rc = need_static_data_end(s, r, e)) != 0)
		return rc;
	if (r->length < 8)
		return srerr_set(e, SRERR_LENGTH, r->offset + 4, what,
		    "length %u too short for the 8-byte header", r->length);
	count = load_le32(r->body);
	res = load_le32(r->body + 4);
	if (count == 0)
		return srerr_set(e, SRERR_VALUE, boff, what,
		    "count is zero; at least one pfn expected");
	if (res != 0)
		return srerr_set(e, SRERR_RESERVED, boff + 4, what,
		    "reserved field not zero (0x%08x)", res);
	if (count > (r->length - 8) / 8)
		return srerr_set(e, SRERR_LENGTH, boff, what,
		    "count %u needs %llu bytes of pfns, the record has %u",
		    count, (unsigned long long)count * 8, r->length - 8);
	/* The length alone would let 16M pfns through. */
	if (count > LIBXC_BATCH_MAX)
		return srerr_set(e, SRERR_TOO_BIG, boff, what,
		    "count %u over the maximum %u pages per record", count,
		    LIBXC_BATCH_MAX);
	if (batch_reserve(b) != 0)
		return srerr_set(e, SRERR_NOMEM, boff, what,
		    "no memory for %u pfns", count);
	/* The caller's bound (0 is one page) and, for PV, the p2m's. */
	limit = s->max_pfn;
	if (s->have_p2m && s->p2m_end_pfn < limit)
		limit = s->p2m_end_pfn;
	p = r->body + 8;
	for (i = 0; i < count; i++, p += 8) {
		word = load_le64(p);
		pfn = word & LIBXC_PFN_MASK;
		type = (unsigned int)(word >> LIBXC_PFN_TYPE_SHIFT);
		if (word & LIBXC_PFN_RESERVED_MASK)
			return srerr_set(e, SRERR_RESERVED, boff + 8 + 8ULL * i,
			    what, "pfn 0x%llx type 0x%x has reserved bits set "
			    "(entry %u: 0x%016llx)", (unsigned long long)pfn,
			    type, i, (unsigned long long)word);
		if (!libxc_page_type_valid(type))
			return srerr_set(e, SRERR_VALUE, boff + 8 + 8ULL * i,
			    what, "pfn 0x%llx has invalid page type 0x%x "
			    "(entry %u)", (unsigned long long)pfn, type, i);
		if (pfn > limit)
			return srerr_set(e, SRERR_VALUE, boff + 8 + 8ULL * i,
			    what, "pfn 0x%llx (entry %u) outside the domain "
			    "(max pfn 0x%llx)", (unsigned long long)pfn, i,
			    (unsigned long long)limit);
		b->pfn[i] = pfn;
		b->type[i] = (uint8_t)type;
		if (libxc_page_type_has_data(type))
			nr_data++;
	}
	want = 8 + 8ULL * count + (uint64_t)LIBXC_PAGE_SIZE * nr_data;
	if (r->length != want)
		return srerr_set(e, SRERR_LENGTH, r->offset + 4, what,
		    "length %u, expected %llu (8 + %u pfns * 8 + %u pages * "
		    "4096)", r->length, (unsigned long long)want, count,
		    nr_data);
	data = r->body + 8 + 8ULL * count;
	for (i = 0; i < count; i++) {
		if (libxc_page_type_has_data(b->type[i])) {
			b->data[i] = data;
			data += LIBXC_PAGE_SIZE;
		} else
			b->data[i] = NULL;
		if (b->pfn[i] > s->max_pfn_seen)
			s->max_pfn_seen = b->pfn[i];
	}
	b->count = count;
	b->nr_data = nr_data;
	r->pages = b;
	s->pages += nr_data;
	s->pfns += count;
	return 0;
}

static int
decode_pv_info(struct libxc_state *s, struct libxc_rec *r, struct srerr *e)
{
	const char *what = rec_what(r->type);
	uint64_t boff = r->offset + LIBXC_RHDR_SIZE;
	uint8_t w, l;
	int rc;

	if (s->version >= 3 && s->static_data_end)
		return srerr_set(e, SRERR_ORDER, r->offset, what,
		    "comes after STATIC_DATA_END");
	if ((rc = need_length(r, 8, e)) != 0)
		return rc;
	w = r->body[0];
	l = r->body[1];
	if (!((w == 8 && l == 4) || (w == 4 && l == 3)))
		return srerr_set(e, SRERR_VALUE, boff, what,
		    "invalid guest width %u with %u page-table levels "
		    "(8/4 or 4/3)", w, l);
	if (!bytes_zero(r->body + 2, 6))
		return srerr_set(e, SRERR_RESERVED, boff + 2, what,
		    "reserved bytes not zero");
	s->pv_width = w;
	s->pv_levels = l;
	r->u.pv_info.guest_width = w;
	r->u.pv_info.pt_levels = l;
	return 0;
}

uint32_t
libxc_p2m_nr_frames(uint32_t start_pfn, uint32_t end_pfn, uint8_t width)
{
	uint32_t fpp = LIBXC_PAGE_SIZE / (width != 0 ? width : 8);

	return end_pfn / fpp + 1 - start_pfn / fpp;
}

static int
decode_p2m_frames(struct libxc_state *s, struct libxc_rec *r,
    struct srerr *e)
{
	const char *what = rec_what(r->type);
	uint64_t boff = r->offset + LIBXC_RHDR_SIZE, want;
	uint32_t start, end, nr;
	int rc;

	if ((rc = need_static_data_end(s, r, e)) != 0 ||
	    (rc = need_pv_info(s, r, e)) != 0)
		return rc;
	if (r->length < 8)
		return srerr_set(e, SRERR_LENGTH, r->offset + 4, what,
		    "length %u too short for the 8-byte header", r->length);
	start = load_le32(r->body);
	end = load_le32(r->body + 4);
	if (start > end)
		return srerr_set(e, SRERR_VALUE, boff, what,
		    "start pfn 0x%x after end pfn 0x%x", start, end);
	if (end > s->max_pfn)
		return srerr_set(e, SRERR_VALUE, boff + 4, what,
		    "end pfn 0x%x outside the domain (max pfn 0x%llx)", end,
		    (unsigned long long)s->max_pfn);
	nr = libxc_p2m_nr_frames(start, end, s->pv_width);
	want = 8 + 8ULL * nr;
	if (r->length != want)
		return srerr_set(e, SRERR_LENGTH, r->offset + 4, what,
		    "length %u, expected %llu for pfns 0x%x-0x%x (%u frames)",
		    r->length, (unsigned long long)want, start, end, nr);
	s->have_p2m = 1;
	s->p2m_end_pfn = end;
	r->u.p2m.start_pfn = start;
	r->u.p2m.end_pfn = end;
	r->u.p2m.nr = nr;
	r->u.p2m.pfns = r->body + 8;
	return 0;
}

static int
decode_vcpu(struct libxc_state *s, struct libxc_rec *r, struct srerr *e)
{
	const char *what = rec_what(r->type);
	uint64_t boff = r->offset + LIBXC_RHDR_SIZE;
	uint32_t id, res, size, want;
	unsigned int slot;
	uint8_t *bits;
	int rc;

	if ((rc = need_pv_info(s, r, e)) != 0)
		return rc;
	if (r->length < 8)
		return srerr_set(e, SRERR_LENGTH, r->offset + 4, what,
		    "length %u too short for the 8-byte header", r->length);
	id = load_le32(r->body);
	res = load_le32(r->body + 4);
	size = r->length - 8;
	if (res != 0)
		return srerr_set(e, SRERR_RESERVED, boff + 4, what,
		    "reserved field not zero (0x%08x)", res);
	if (id >= LIBXC_VCPU_MAX)
		return srerr_set(e, SRERR_VALUE, boff, what,
		    "vcpu id %u over the maximum %u", id, LIBXC_VCPU_MAX - 1);
	r->u.vcpu.vcpu_id = id;
	r->u.vcpu.size = size;
	r->u.vcpu.ctx = r->body + 8;
	/* Old senders wrote empty records; the restorer skips them. */
	if (size == 0)
		return 0;
	switch (r->type) {
	case LIBXC_REC_X86_PV_VCPU_BASIC:
		slot = 0;
		want = s->pv_width == 8 ? LIBXC_PV_VCPU_BASIC_SIZE_64 :
		    LIBXC_PV_VCPU_BASIC_SIZE_32;
		if (size != want)
			return srerr_set(e, SRERR_LENGTH, r->offset + 4, what,
			    "vcpu%u context of %u bytes, expected %u for a "
			    "%u-bit guest", id, size, want,
			    s->pv_width * 8);
		break;
	case LIBXC_REC_X86_PV_VCPU_EXTENDED:
		slot = 1;
		if (size > LIBXC_PV_VCPU_EXTENDED_MAX)
			return srerr_set(e, SRERR_LENGTH, r->offset + 4, what,
			    "vcpu%u extended state of %u bytes, maximum %u",
			    id, size, LIBXC_PV_VCPU_EXTENDED_MAX);
		break;
	case LIBXC_REC_X86_PV_VCPU_XSAVE:
		slot = 2;
		if (size < LIBXC_PV_VCPU_XSAVE_MIN)
			return srerr_set(e, SRERR_LENGTH, r->offset + 4, what,
			    "vcpu%u xsave state of %u bytes, minimum %u", id,
			    size, LIBXC_PV_VCPU_XSAVE_MIN);
		break;
	default:
		slot = 3;
		if (size % LIBXC_PV_VCPU_MSR_SIZE != 0)
			return srerr_set(e, SRERR_LENGTH, r->offset + 4, what,
			    "vcpu%u msrs of %u bytes, not a multiple of %u",
			    id, size, LIBXC_PV_VCPU_MSR_SIZE);
		break;
	}
	bits = s->vcpu_seen[slot];
	if (bits[id / 8] & (1U << (id % 8)))
		return srerr_set(e, SRERR_DUPLICATE, r->offset, what,
		    "second record for vcpu%u", id);
	bits[id / 8] |= (uint8_t)(1U << (id % 8));
	if (id + 1 > s->vcpus)
		s->vcpus = id + 1;
	return 0;
}

static int
decode_tsc(struct libxc_state *s, struct libxc_rec *r, struct srerr *e)
{
	struct cursor c;
	uint32_t res;
	int rc;

	(void)s;
	if ((rc = need_length(r, LIBXC_TSC_INFO_SIZE, e)) != 0)
		return rc;
	cursor_init(&c, r->body, r->length);
	r->u.tsc.mode = cursor_le32(&c);
	r->u.tsc.khz = cursor_le32(&c);
	r->u.tsc.nsec = cursor_le64(&c);
	r->u.tsc.incarnation = cursor_le32(&c);
	res = cursor_le32(&c);
	if (res != 0)
		return srerr_set(e, SRERR_RESERVED, r->offset + 8 + 20,
		    rec_what(r->type), "reserved field not zero (0x%08x)",
		    res);
	return 0;
}

/* Count the CPU entries (typecode 2) of an HVM save image, if it parses. */
static uint32_t
hvm_context_cpus(const uint8_t *p, uint32_t len)
{
	struct cursor c;
	uint16_t code;
	uint32_t n = 0, l;

	cursor_init(&c, p, len);
	while (cursor_left(&c) >= 8) {
		code = cursor_le16(&c);
		(void)cursor_le16(&c);
		l = cursor_le32(&c);
		if (code == 0)
			break;
		if (code == 2)
			n++;
		cursor_skip(&c, l);
	}
	return cursor_ok(&c) ? n : 0;
}

static int
decode_hvm_params(struct libxc_state *s, struct libxc_rec *r,
    struct srerr *e)
{
	const char *what = rec_what(r->type);
	uint32_t count, res;
	uint64_t want;

	(void)s;
	if (r->length < 8)
		return srerr_set(e, SRERR_LENGTH, r->offset + 4, what,
		    "length %u too short for the 8-byte header", r->length);
	count = load_le32(r->body);
	res = load_le32(r->body + 4);
	if (res != 0)
		return srerr_set(e, SRERR_RESERVED, r->offset + 12, what,
		    "reserved field not zero (0x%08x)", res);
	want = 8 + 16ULL * count;
	if (r->length != want)
		return srerr_set(e, SRERR_LENGTH, r->offset + 4, what,
		    "length %u, expected %llu for %u parameters", r->length,
		    (unsigned long long)want, count);
	r->u.hvm_params.count = count;
	r->u.hvm_params.entries = r->body + 8;
	return 0;
}

void
libxc_hvm_param(const struct libxc_rec *r, uint32_t i, uint64_t *index,
    uint64_t *value)
{
	const uint8_t *p = r->u.hvm_params.entries + 16ULL * i;

	*index = load_le64(p);
	*value = load_le64(p + 8);
}

static int
decode_policy(struct libxc_state *s, struct libxc_rec *r, uint32_t esize,
    struct srerr *e)
{
	const char *what = rec_what(r->type);

	if (s->version < 3)
		return srerr_set(e, SRERR_TYPE, r->offset, what,
		    "not allowed in a v2 stream");
	if (s->static_data_end)
		return srerr_set(e, SRERR_ORDER, r->offset, what,
		    "comes after STATIC_DATA_END");
	if (r->length == 0 || r->length % esize != 0)
		return srerr_set(e, SRERR_LENGTH, r->offset + 4, what,
		    "length %u, expected a non-zero multiple of %u",
		    r->length, esize);
	r->u.policy.nr = r->length / esize;
	r->u.policy.entries = r->body;
	return 0;
}

/* At END: every record the restorer cannot do without has come. */
static int
check_complete(const struct libxc_state *s, const struct libxc_rec *r,
    struct srerr *e)
{
	const char *what = "END record";
	static const uint32_t pv_need[] = { LIBXC_REC_X86_PV_INFO,
	    LIBXC_REC_X86_PV_P2M_FRAMES, LIBXC_REC_SHARED_INFO };
	size_t i;

	if (s->version >= 3 && !s->static_data_end)
		return srerr_set(e, SRERR_MISSING, r->offset, what,
		    "stream ended without STATIC_DATA_END");
	if (s->dom_type == LIBXC_DOM_X86_PV) {
		for (i = 0; i < sizeof(pv_need) / sizeof(pv_need[0]); i++)
			if (s->seen[pv_need[i]] == 0)
				return srerr_set(e, SRERR_MISSING, r->offset,
				    what, "x86 PV stream ended without %s",
				    libxc_rec_name(pv_need[i]));
		if (!(s->vcpu_seen[0][0] & 1))
			return srerr_set(e, SRERR_MISSING, r->offset, what,
			    "x86 PV stream ended without vcpu0's basic state "
			    "(X86_PV_VCPU_BASIC)");
	} else if (s->seen[LIBXC_REC_HVM_CONTEXT] == 0)
		return srerr_set(e, SRERR_MISSING, r->offset, what,
		    "x86 HVM stream ended without HVM_CONTEXT");
	return 0;
}

/* Rules that depend only on the type: domain, version, once-only. */
static int
check_placement(const struct libxc_state *s, const struct libxc_rec *r,
    struct srerr *e)
{
	const char *what = rec_what(r->type);
	uint32_t t = r->type;

	if (s->ended)
		return srerr_set(e, SRERR_ORDER, r->offset, what,
		    "comes after the libxc END record");
	if (rec_dom[t] != 0 && rec_dom[t] != s->dom_type)
		return srerr_set(e, SRERR_TYPE, r->offset, what,
		    "not allowed in an %s stream",
		    libxc_dom_type_name(s->dom_type));
	if (rec_once[t] && s->seen[t] != 0)
		return srerr_set(e, SRERR_DUPLICATE, r->offset, what,
		    "second %s record", libxc_rec_name(t));
	switch (t) {
	case LIBXC_REC_TOOLSTACK:
		return srerr_set(e, SRERR_TYPE, r->offset, what,
		    "obsolete record (Xen 4.5 and older) not supported");
	case LIBXC_REC_CHECKPOINT:
		return srerr_set(e, SRERR_TYPE, r->offset, what,
		    "checkpoint in a non-checkpointed stream");
	case LIBXC_REC_CHECKPOINT_DIRTY_PFN_LIST:
		return srerr_set(e, SRERR_TYPE, r->offset, what,
		    "only sent on a COLO back channel");
	default:
		return 0;
	}
}

static int
decode_known(struct libxc_state *s, struct libxc_rec *r,
    struct libxc_page_batch *batch, struct srerr *e)
{
	int rc;

	switch (r->type) {
	case LIBXC_REC_END:
		if ((rc = need_length(r, 0, e)) != 0)
			return rc;
		return check_complete(s, r, e);
	case LIBXC_REC_PAGE_DATA:
		return decode_page_data(s, r, batch, e);
	case LIBXC_REC_X86_PV_INFO:
		return decode_pv_info(s, r, e);
	case LIBXC_REC_X86_PV_P2M_FRAMES:
		return decode_p2m_frames(s, r, e);
	case LIBXC_REC_X86_PV_VCPU_BASIC:
	case LIBXC_REC_X86_PV_VCPU_EXTENDED:
	case LIBXC_REC_X86_PV_VCPU_XSAVE:
	case LIBXC_REC_X86_PV_VCPU_MSRS:
		return decode_vcpu(s, r, e);
	case LIBXC_REC_SHARED_INFO:
		if ((rc = need_pv_info(s, r, e)) != 0)
			return rc;
		return need_length(r, LIBXC_PAGE_SIZE, e);
	case LIBXC_REC_X86_TSC_INFO:
		return decode_tsc(s, r, e);
	case LIBXC_REC_HVM_CONTEXT:
		if (r->length == 0)
			return srerr_set(e, SRERR_LENGTH, r->offset + 4,
			    rec_what(r->type), "empty HVM context");
		s->hvm_cpus = hvm_context_cpus(r->body, r->length);
		return 0;
	case LIBXC_REC_HVM_PARAMS:
		return decode_hvm_params(s, r, e);
	case LIBXC_REC_VERIFY:
		if ((rc = need_length(r, 0, e)) != 0)
			return rc;
		s->verify = 1;
		return 0;
	case LIBXC_REC_STATIC_DATA_END:
		if (s->version < 3)
			return srerr_set(e, SRERR_TYPE, r->offset,
			    rec_what(r->type), "not allowed in a v2 stream");
		if ((rc = need_length(r, 0, e)) != 0)
			return rc;
		s->static_data_end = 1;
		return 0;
	case LIBXC_REC_X86_CPUID_POLICY:
		return decode_policy(s, r, LIBXC_CPUID_LEAF_SIZE, e);
	case LIBXC_REC_X86_MSR_POLICY:
		return decode_policy(s, r, LIBXC_MSR_ENTRY_SIZE, e);
	default:
		return 0;
	}
}

int
libxc_rec_decode(struct libxc_state *s, struct libxc_rec *r,
    struct libxc_page_batch *batch, struct srerr *e)
{
	int rc;

	r->pages = NULL;
	memset(&r->u, 0, sizeof(r->u));
	if ((rc = libxc_rhdr_check(s, r->type, r->length, r->offset, e)) != 0)
		return rc;
	if (r->type >= LIBXC_REC_NR) {
		/* Optional and unknown: skipped, as the restorer does. */
		if (s->ended)
			return srerr_set(e, SRERR_ORDER, r->offset,
			    "libxc record", "comes after the libxc END record");
		s->optional_skipped++;
		return 0;
	}
	if ((rc = check_placement(s, r, e)) != 0)
		return rc;
	if ((rc = decode_known(s, r, batch, e)) != 0)
		return rc;
	s->seen[r->type]++;
	if (r->type == LIBXC_REC_END)
		s->ended = 1;
	return 0;
}

void
libxc_ihdr_encode(uint8_t *out, uint32_t version)
{
	store_be64(out, LIBXC_IHDR_MARKER);
	store_be32(out + 8, LIBXC_IHDR_ID);
	store_be32(out + 12, version);
	store_be16(out + 16, 0);	/* little-endian */
	store_be16(out + 18, 0);
	store_be32(out + 20, 0);
}

void
libxc_dhdr_encode(uint8_t *out, uint32_t type, uint32_t xen_major,
    uint32_t xen_minor)
{
	store_le32(out, type);
	store_le16(out + 4, LIBXC_PAGE_SHIFT);
	store_le16(out + 6, 0);
	store_le32(out + 8, xen_major);
	store_le32(out + 12, xen_minor);
}

void
libxc_pv_info_encode(uint8_t *out, uint8_t width, uint8_t levels)
{
	memset(out, 0, 8);
	out[0] = width;
	out[1] = levels;
}

void
libxc_tsc_info_encode(uint8_t *out, uint32_t mode, uint32_t khz,
    uint64_t nsec, uint32_t incarnation)
{
	store_le32(out, mode);
	store_le32(out + 4, khz);
	store_le64(out + 8, nsec);
	store_le32(out + 16, incarnation);
	store_le32(out + 20, 0);
}

void
libxc_vcpu_hdr_encode(uint8_t *out, uint32_t vcpu_id)
{
	store_le32(out, vcpu_id);
	store_le32(out + 4, 0);
}

void
libxc_page_data_hdr_encode(uint8_t *out, uint32_t count)
{
	store_le32(out, count);
	store_le32(out + 4, 0);
}

void
libxc_p2m_hdr_encode(uint8_t *out, uint32_t start_pfn, uint32_t end_pfn)
{
	store_le32(out, start_pfn);
	store_le32(out + 4, end_pfn);
}

int
libxc_hvm_params_encode(uint8_t *out, size_t cap,
    const uint64_t (*params)[2], uint32_t n)
{
	uint32_t i;
	size_t need;

	if (n > (LIBXC_REC_MAX - 8) / 16)
		return -EINVAL;
	need = 8 + 16 * (size_t)n;
	if (cap < need)
		return -ENOSPC;
	store_le32(out, n);
	store_le32(out + 4, 0);
	for (i = 0; i < n; i++) {
		store_le64(out + 8 + 16 * (size_t)i, params[i][0]);
		store_le64(out + 16 + 16 * (size_t)i, params[i][1]);
	}
	return (int)need;
}
