/*
 * test_libxc_stream.c - libxc headers and each record type on its own.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "cursor.h"
#include "libxc_stream.h"

/* Room for a PAGE_DATA record of LIBXC_BATCH_MAX + 1 pfns without data. */
static uint8_t body[16384];
static struct libxc_page_batch batch;

/* A v3 state past STATIC_DATA_END for domain type dom. */
static void
state(struct libxc_state *s, uint32_t dom, int sde)
{
	libxc_state_init(s);
	s->version = 3;
	s->dom_type = dom;
	s->static_data_end = sde;
}

static int
dec(struct libxc_state *s, uint32_t type, uint32_t len, struct srerr *e,
    struct libxc_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->type = type;
	r->length = len;
	r->body = body;
	r->offset = 1000;
	srerr_clear(e);
	return libxc_rec_decode(s, r, &batch, e);
}

static void
bad(struct libxc_state *s, uint32_t type, uint32_t len,
    enum srerr_code code, uint64_t off, const char *why)
{
	struct libxc_rec r;
	struct srerr e;

	ck_assert_int_eq(dec(s, type, len, &e, &r), -EBADMSG);
	ck_assert_msg(e.code == code, "%s: %s", srerr_code_name(e.code),
	    e.reason);
	ck_assert_uint_eq(e.offset, off);
	ck_assert_msg(strstr(e.reason, why) != NULL, "%s", e.reason);
}

START_TEST(test_libxc_headers_roundtrip)
{
	uint8_t b[LIBXC_IHDR_SIZE + LIBXC_DHDR_SIZE];
	struct libxc_state s;
	struct libxc_ihdr ih;
	struct libxc_dhdr dh;
	struct srerr e;

	libxc_ihdr_encode(b, 3);
	libxc_dhdr_encode(b + 24, LIBXC_DOM_X86_PV, 4, 17);
	/* Big-endian image header as xc_domain_save writes it. */
	ck_assert(memcmp(b, "\xff\xff\xff\xff\xff\xff\xff\xff" "XENF"
	    "\0\0\0\x03", 16) == 0);
	libxc_state_init(&s);
	srerr_clear(&e);
	ck_assert_int_eq(libxc_ihdr_decode(&s, b, 24, 0, &ih, &e), 0);
	ck_assert_int_eq(libxc_dhdr_decode(&s, b + 24, 16, 24, &dh, &e), 0);
	ck_assert_uint_eq(ih.version, 3);
	ck_assert_uint_eq(dh.type, LIBXC_DOM_X86_PV);
	ck_assert_uint_eq(dh.page_shift, 12);
	ck_assert_uint_eq(dh.xen_major, 4);
	ck_assert_uint_eq(dh.xen_minor, 17);
	ck_assert_uint_eq(s.dom_type, LIBXC_DOM_X86_PV);
	ck_assert_int_eq(libxc_ihdr_decode(&s, b, 23, 0, &ih, &e), -EBADMSG);
}
END_TEST

START_TEST(test_libxc_page_data)
{
	struct libxc_state s;
	struct libxc_rec r;
	struct srerr e;

	state(&s, LIBXC_DOM_X86_PV, 1);
	libxc_page_data_hdr_encode(body, 3);
	store_le64(body + 8, libxc_pfn_word(7, LIBXC_PAGE_L4TAB |
	    LIBXC_PAGE_LPINTAB));
	store_le64(body + 16, libxc_pfn_word(8, LIBXC_PAGE_XTAB));
	store_le64(body + 24, libxc_pfn_word(9, LIBXC_PAGE_NOTAB));
	body[32] = 0xab;
	body[32 + 4096] = 0xcd;
	ck_assert_int_eq(dec(&s, LIBXC_REC_PAGE_DATA, 32 + 8192, &e, &r), 0);
	ck_assert_ptr_eq(r.pages, &batch);
	ck_assert_uint_eq(batch.count, 3);
	ck_assert_uint_eq(batch.nr_data, 2);
	ck_assert_uint_eq(batch.pfn[0], 7);
	ck_assert_uint_eq(batch.type[0], 0xc);
	ck_assert_ptr_eq(batch.data[0], body + 32);
	ck_assert_ptr_null(batch.data[1]);
	ck_assert_ptr_eq(batch.data[2], body + 32 + 4096);
	ck_assert_uint_eq(s.pages, 2);
	ck_assert_uint_eq(s.max_pfn_seen, 9);
	/* Caller's limit on the domain's size. */
	s.max_pfn = 8;
	bad(&s, LIBXC_REC_PAGE_DATA, 32 + 8192, SRERR_VALUE, 1000 + 8 + 24,
	    "pfn 0x9 (entry 2) outside the domain (max pfn 0x8)");
	s.max_pfn = LIBXC_MAX_PFN_NONE;
	/* Pinned without a level (0x8) is no type. */
	store_le64(body + 16, libxc_pfn_word(8, LIBXC_PAGE_LPINTAB));
	bad(&s, LIBXC_REC_PAGE_DATA, 32 + 8192, SRERR_VALUE, 1000 + 8 + 16,
	    "invalid page type 0x8");
	bad(&s, LIBXC_REC_PAGE_DATA, 4, SRERR_LENGTH, 1004, "too short");
	/* Before STATIC_DATA_END (v3) is out of order; v2 infers it. */
	state(&s, LIBXC_DOM_X86_HVM, 0);
	bad(&s, LIBXC_REC_PAGE_DATA, 32 + 8192, SRERR_ORDER, 1000,
	    "before STATIC_DATA_END");
	s.version = 2;
	store_le64(body + 16, libxc_pfn_word(8, LIBXC_PAGE_XTAB));
	ck_assert_int_eq(dec(&s, LIBXC_REC_PAGE_DATA, 32 + 8192, &e, &r), 0);
	ck_assert(s.static_data_end);
}
END_TEST

/* A one-page domain: max pfn 0 is a bound, not "no limit". */
START_TEST(test_libxc_page_data_one_page)
{
	struct libxc_state s;
	struct libxc_rec r;
	struct srerr e;

	libxc_state_init(&s);
	s.max_pfn = 0;
	s.version = 3;
	s.dom_type = LIBXC_DOM_X86_HVM;
	s.static_data_end = 1;
	libxc_page_data_hdr_encode(body, 1);
	store_le64(body + 8, libxc_pfn_word(1, LIBXC_PAGE_NOTAB));
	bad(&s, LIBXC_REC_PAGE_DATA, 16 + 4096, SRERR_VALUE, 1000 + 8 + 8,
	    "pfn 0x1 (entry 0) outside the domain (max pfn 0x0)");
	store_le64(body + 8, libxc_pfn_word(0x400000000ULL,
	    LIBXC_PAGE_NOTAB));
	bad(&s, LIBXC_REC_PAGE_DATA, 16 + 4096, SRERR_VALUE, 1000 + 8 + 8,
	    "pfn 0x400000000 (entry 0) outside the domain (max pfn 0x0)");
	store_le64(body + 8, libxc_pfn_word(0, LIBXC_PAGE_NOTAB));
	ck_assert_int_eq(dec(&s, LIBXC_REC_PAGE_DATA, 16 + 4096, &e, &r), 0);
	ck_assert_uint_eq(batch.count, 1);
	ck_assert_uint_eq(batch.pfn[0], 0);
	ck_assert_uint_eq(s.max_pfn_seen, 0);

	/* No limit is asked for by name. */
	libxc_state_init(&s);
	ck_assert_uint_eq(s.max_pfn, LIBXC_MAX_PFN_NONE);
	s.version = 3;
	s.dom_type = LIBXC_DOM_X86_HVM;
	s.static_data_end = 1;
	store_le64(body + 8, libxc_pfn_word(0x400000000ULL,
	    LIBXC_PAGE_NOTAB));
	ck_assert_int_eq(dec(&s, LIBXC_REC_PAGE_DATA, 16 + 4096, &e, &r), 0);

	/* A PV p2m past the single page. */
	state(&s, LIBXC_DOM_X86_PV, 0);
	s.max_pfn = 0;
	libxc_pv_info_encode(body, 8, 4);
	ck_assert_int_eq(dec(&s, LIBXC_REC_X86_PV_INFO, 8, &e, &r), 0);
	s.static_data_end = 1;
	libxc_p2m_hdr_encode(body, 0, 1);
	bad(&s, LIBXC_REC_X86_PV_P2M_FRAMES, 16, SRERR_VALUE, 1012,
	    "end pfn 0x1 outside the domain (max pfn 0x0)");
	libxc_p2m_hdr_encode(body, 0, 0);
	ck_assert_int_eq(dec(&s, LIBXC_REC_X86_PV_P2M_FRAMES, 16, &e, &r), 0);
}
END_TEST

/* As Xen's writer: no more than LIBXC_BATCH_MAX pages in one record. */
START_TEST(test_libxc_page_data_count_max)
{
	struct libxc_state s;
	struct libxc_rec r;
	struct srerr e;
	uint32_t i;

	state(&s, LIBXC_DOM_X86_HVM, 1);
	for (i = 0; i <= LIBXC_BATCH_MAX; i++)
		store_le64(body + 8 + 8 * i, libxc_pfn_word(i,
		    LIBXC_PAGE_XTAB));
	/* Otherwise valid: 1025 pfns without data, length to match. */
	libxc_page_data_hdr_encode(body, LIBXC_BATCH_MAX + 1);
	bad(&s, LIBXC_REC_PAGE_DATA, 8 + 8 * (LIBXC_BATCH_MAX + 1),
	    SRERR_TOO_BIG, 1008,
	    "count 1025 over the maximum 1024 pages per record");
	/*
	 * The most pfns a record of the maximum length holds: refused on
	 * the count, before the pfns are read or the batch grows.
	 */
	ck_assert_uint_eq(8 + 8 * 0xffffffULL, LIBXC_REC_MAX);
	libxc_page_data_hdr_encode(body, 0xffffff);
	bad(&s, LIBXC_REC_PAGE_DATA, 8 + 8 * 0xffffff, SRERR_TOO_BIG, 1008,
	    "count 16777215 over the maximum 1024");
	ck_assert_uint_le(batch.cap, LIBXC_BATCH_MAX);
	libxc_page_data_hdr_encode(body, LIBXC_BATCH_MAX);
	ck_assert_int_eq(dec(&s, LIBXC_REC_PAGE_DATA, 8 + 8 * LIBXC_BATCH_MAX,
	    &e, &r), 0);
	ck_assert_uint_eq(batch.count, LIBXC_BATCH_MAX);
	ck_assert_uint_eq(batch.cap, LIBXC_BATCH_MAX);
}
END_TEST

START_TEST(test_libxc_pv_records)
{
	struct libxc_state s;
	struct libxc_rec r;
	struct srerr e;
	uint32_t nr;

	state(&s, LIBXC_DOM_X86_PV, 0);
	/* P2M frames and vcpus need X86_PV_INFO first. */
	libxc_vcpu_hdr_encode(body, 0);
	bad(&s, LIBXC_REC_X86_PV_VCPU_BASIC, 8 + 5168, SRERR_ORDER, 1000,
	    "before X86_PV_INFO");
	libxc_pv_info_encode(body, 4, 3);
	body[5] = 1;
	bad(&s, LIBXC_REC_X86_PV_INFO, 8, SRERR_RESERVED, 1010, "reserved");
	body[5] = 0;
	bad(&s, LIBXC_REC_X86_PV_INFO, 16, SRERR_LENGTH, 1004, "expected 8");
	ck_assert_int_eq(dec(&s, LIBXC_REC_X86_PV_INFO, 8, &e, &r), 0);
	ck_assert_uint_eq(r.u.pv_info.guest_width, 4);
	s.static_data_end = 1;
	/* 32-bit guest: 1024 p2m entries a frame. */
	nr = libxc_p2m_nr_frames(0, 5000, 4);
	ck_assert_uint_eq(nr, 5);
	libxc_p2m_hdr_encode(body, 0, 5000);
	ck_assert_int_eq(dec(&s, LIBXC_REC_X86_PV_P2M_FRAMES, 8 + 8 * nr, &e,
	    &r), 0);
	ck_assert_uint_eq(r.u.p2m.nr, 5);
	ck_assert_uint_eq(s.p2m_end_pfn, 5000);
	bad(&s, LIBXC_REC_X86_PV_P2M_FRAMES, 8 + 8 * nr, SRERR_DUPLICATE,
	    1000, "second X86_PV_P2M_FRAMES");
	s.seen[LIBXC_REC_X86_PV_P2M_FRAMES] = 0;
	bad(&s, LIBXC_REC_X86_PV_P2M_FRAMES, 8 + 8 * 4, SRERR_LENGTH, 1004,
	    "expected 48");
	libxc_p2m_hdr_encode(body, 9, 5);
	bad(&s, LIBXC_REC_X86_PV_P2M_FRAMES, 16, SRERR_VALUE, 1008,
	    "start pfn 0x9 after end pfn 0x5");
	/* vcpu records: sizes per type. */
	libxc_vcpu_hdr_encode(body, 0);
	bad(&s, LIBXC_REC_X86_PV_VCPU_BASIC, 8 + 5168, SRERR_LENGTH, 1004,
	    "expected 2800 for a 32-bit guest");
	ck_assert_int_eq(dec(&s, LIBXC_REC_X86_PV_VCPU_BASIC, 8 + 2800, &e,
	    &r), 0);
	ck_assert_uint_eq(s.vcpus, 1);
	bad(&s, LIBXC_REC_X86_PV_VCPU_BASIC, 8 + 2800, SRERR_DUPLICATE, 1000,
	    "second record for vcpu0");
	bad(&s, LIBXC_REC_X86_PV_VCPU_EXTENDED, 8 + 136, SRERR_LENGTH, 1004,
	    "maximum 128");
	bad(&s, LIBXC_REC_X86_PV_VCPU_XSAVE, 8 + 8, SRERR_LENGTH, 1004,
	    "minimum 16");
	bad(&s, LIBXC_REC_X86_PV_VCPU_MSRS, 8 + 24, SRERR_LENGTH, 1004,
	    "multiple of 16");
	ck_assert_int_eq(dec(&s, LIBXC_REC_X86_PV_VCPU_MSRS, 8 + 32, &e, &r),
	    0);
	/* Empty blobs are tolerated, as the restorer does. */
	libxc_vcpu_hdr_encode(body, 3);
	ck_assert_int_eq(dec(&s, LIBXC_REC_X86_PV_VCPU_XSAVE, 8, &e, &r), 0);
	libxc_vcpu_hdr_encode(body, LIBXC_VCPU_MAX);
	bad(&s, LIBXC_REC_X86_PV_VCPU_XSAVE, 8 + 16, SRERR_VALUE, 1008,
	    "vcpu id 4096");
	bad(&s, LIBXC_REC_SHARED_INFO, 4095, SRERR_LENGTH, 1004,
	    "expected 4096");
	bad(&s, LIBXC_REC_HVM_PARAMS, 8, SRERR_TYPE, 1000,
	    "not allowed in an x86 PV stream");
}
END_TEST

START_TEST(test_libxc_hvm_records)
{
	const uint64_t params[2][2] = { { 1, 0xfeffc }, { 17, 0xfeffb } };
	struct libxc_state s;
	struct libxc_rec r;
	struct srerr e;
	uint64_t i, v;

	state(&s, LIBXC_DOM_X86_HVM, 1);
	ck_assert_int_eq(libxc_hvm_params_encode(body, sizeof(body), params,
	    2), 40);
	ck_assert_int_eq(libxc_hvm_params_encode(body, 39, params, 2),
	    -ENOSPC);
	ck_assert_int_eq(dec(&s, LIBXC_REC_HVM_PARAMS, 40, &e, &r), 0);
	ck_assert_uint_eq(r.u.hvm_params.count, 2);
	libxc_hvm_param(&r, 1, &i, &v);
	ck_assert_uint_eq(i, 17);
	ck_assert_uint_eq(v, 0xfeffb);
	s.seen[LIBXC_REC_HVM_PARAMS] = 0;
	bad(&s, LIBXC_REC_HVM_PARAMS, 24, SRERR_LENGTH, 1004,
	    "expected 40 for 2 parameters");
	store_le32(body + 4, 1);
	bad(&s, LIBXC_REC_HVM_PARAMS, 40, SRERR_RESERVED, 1012, "reserved");
	bad(&s, LIBXC_REC_HVM_CONTEXT, 0, SRERR_LENGTH, 1004, "empty");
	/* An image with a header, two CPUs and the end. */
	memset(body, 0, 64);
	store_le16(body, 1);
	store_le32(body + 4, 0);
	store_le16(body + 8, 2);
	store_le32(body + 12, 4);
	store_le16(body + 20, 2);
	store_le16(body + 22, 1);
	store_le32(body + 24, 4);
	ck_assert_int_eq(dec(&s, LIBXC_REC_HVM_CONTEXT, 40, &e, &r), 0);
	ck_assert_uint_eq(s.hvm_cpus, 2);
	libxc_tsc_info_encode(body, 1, 2000000, 5, 3);
	ck_assert_int_eq(dec(&s, LIBXC_REC_X86_TSC_INFO, 24, &e, &r), 0);
	ck_assert_uint_eq(r.u.tsc.khz, 2000000);
	ck_assert_uint_eq(r.u.tsc.nsec, 5);
	ck_assert_uint_eq(r.u.tsc.incarnation, 3);
	bad(&s, LIBXC_REC_X86_TSC_INFO, 24, SRERR_DUPLICATE, 1000, "second");
	s.seen[LIBXC_REC_X86_TSC_INFO] = 0;
	store_le32(body + 20, 9);
	bad(&s, LIBXC_REC_X86_TSC_INFO, 24, SRERR_RESERVED, 1028, "reserved");
	bad(&s, LIBXC_REC_VERIFY, 8, SRERR_LENGTH, 1004, "expected 0");
	bad(&s, LIBXC_REC_CHECKPOINT, 0, SRERR_TYPE, 1000,
	    "non-checkpointed");
	bad(&s, LIBXC_REC_CHECKPOINT_DIRTY_PFN_LIST, 8, SRERR_TYPE, 1000,
	    "back channel");
	/* Policies before STATIC_DATA_END, in whole entries. */
	state(&s, LIBXC_DOM_X86_HVM, 0);
	bad(&s, LIBXC_REC_X86_CPUID_POLICY, 25, SRERR_LENGTH, 1004,
	    "multiple of 24");
	ck_assert_int_eq(dec(&s, LIBXC_REC_X86_CPUID_POLICY, 48, &e, &r), 0);
	ck_assert_uint_eq(r.u.policy.nr, 2);
	ck_assert_int_eq(dec(&s, LIBXC_REC_X86_MSR_POLICY, 32, &e, &r), 0);
	ck_assert_int_eq(dec(&s, LIBXC_REC_STATIC_DATA_END, 0, &e, &r), 0);
	bad(&s, LIBXC_REC_END, 0, SRERR_MISSING, 1000, "HVM_CONTEXT");
	state(&s, LIBXC_DOM_X86_HVM, 0);
	s.version = 2;
	bad(&s, LIBXC_REC_X86_MSR_POLICY, 16, SRERR_TYPE, 1000, "v2 stream");
}
END_TEST

START_TEST(test_libxc_page_types)
{
	unsigned int t, valid = 0, data = 0;

	for (t = 0; t < 16; t++) {
		valid += (unsigned int)libxc_page_type_valid(t);
		data += (unsigned int)libxc_page_type_has_data(t);
	}
	ck_assert_uint_eq(valid, 12);
	ck_assert_uint_eq(data, 9);
	ck_assert_str_eq(libxc_rec_name(LIBXC_REC_STATIC_DATA_END),
	    "STATIC_DATA_END");
	ck_assert_str_eq(libxc_rec_name(0x99), "unknown");
	ck_assert_uint_eq(libxc_pfn_word(0x12345, 0xf),
	    0xf000000000012345ULL);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("libxc_stream");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_libxc_headers_roundtrip);
	tcase_add_test(tc, test_libxc_page_data);
	tcase_add_test(tc, test_libxc_page_data_one_page);
	tcase_add_test(tc, test_libxc_page_data_count_max);
	tcase_add_test(tc, test_libxc_pv_records);
	tcase_add_test(tc, test_libxc_hvm_records);
	tcase_add_test(tc, test_libxc_page_types);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	libxc_page_batch_free(&batch);
	return failed == 0 ? 0 : 1;
}
