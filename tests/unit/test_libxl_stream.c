/*
 * test_libxl_stream.c - libxl stream header and records.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "cursor.h"
#include "libxc_stream.h"
#include "libxl_stream.h"

START_TEST(test_libxl_hdr_roundtrip)
{
	uint8_t b[LIBXL_HDR_SIZE];
	struct libxl_hdr h;
	struct srerr e;

	libxl_hdr_encode(b, LIBXL_OPT_LEGACY);
	ck_assert(memcmp(b, "LibxlFmt\0\0\0\x02\0\0\0\x02", 16) == 0);
	srerr_clear(&e);
	ck_assert_int_eq(libxl_hdr_decode(b, sizeof(b), 100, &h, &e), 0);
	ck_assert_uint_eq(h.version, 2);
	ck_assert_uint_eq(h.options, LIBXL_OPT_LEGACY);
}
END_TEST

static void
expect_hdr(const uint8_t *b, size_t n, enum srerr_code code, uint64_t off,
    const char *why)
{
	struct libxl_hdr h;
	struct srerr e;

	srerr_clear(&e);
	ck_assert_int_eq(libxl_hdr_decode(b, n, 100, &h, &e), -EBADMSG);
	ck_assert_int_eq(e.code, code);
	ck_assert_uint_eq(e.offset, off);
	ck_assert_msg(strstr(e.reason, why) != NULL, "%s", e.reason);
}

START_TEST(test_libxl_hdr_defects)
{
	uint8_t b[LIBXL_HDR_SIZE];

	libxl_hdr_encode(b, 0);
	expect_hdr(b, 15, SRERR_TRUNCATED, 115, "truncated");
	b[0] = 'l';
	expect_hdr(b, 16, SRERR_MAGIC, 100, "LibxlFmt");
	b[0] = 'L';
	b[11] = 3;
	expect_hdr(b, 16, SRERR_VERSION, 108, "version 3");
	b[11] = 2;
	b[15] = 1;
	expect_hdr(b, 16, SRERR_ENDIAN, 112, "big-endian");
	b[15] = 4;
	expect_hdr(b, 16, SRERR_RESERVED, 112, "reserved option bits");
}
END_TEST

static int
decode(struct libxl_state *s, uint32_t type, const void *body, uint32_t len,
    struct srerr *e)
{
	struct libxl_rec r = { .type = type, .length = len, .body = body,
	    .offset = 64 };

	srerr_clear(e);
	return libxl_rec_decode(s, &r, e);
}

START_TEST(test_libxl_records)
{
	struct libxl_state s;
	struct srerr e;
	uint8_t emu[32];

	libxl_state_init(&s);
	/* END before the libxc stream. */
	ck_assert_int_eq(decode(&s, LIBXL_REC_END, NULL, 0, &e), -EBADMSG);
	ck_assert_int_eq(e.code, SRERR_MISSING);
	ck_assert_int_eq(decode(&s, LIBXL_REC_LIBXC_CONTEXT, emu, 4, &e),
	    -EBADMSG);
	ck_assert_int_eq(e.code, SRERR_LENGTH);
	ck_assert_uint_eq(e.offset, 68);
	ck_assert_int_eq(decode(&s, LIBXL_REC_LIBXC_CONTEXT, NULL, 0, &e), 0);
	ck_assert_int_eq(decode(&s, LIBXL_REC_LIBXC_CONTEXT, NULL, 0, &e),
	    -EBADMSG);
	ck_assert_int_eq(e.code, SRERR_DUPLICATE);
	s.dom_type = LIBXC_DOM_X86_HVM;
	/* Emulator records: header, known id, xenstore pairs. */
	libxl_emu_hdr_encode(emu, LIBXL_EMU_QEMU_UPSTREAM, 0);
	memcpy(emu + 8, "a\0b\0c\0d\0", 8);
	ck_assert_int_eq(decode(&s, LIBXL_REC_EMULATOR_XENSTORE_DATA, emu,
	    16, &e), 0);
	ck_assert_int_eq(decode(&s, LIBXL_REC_EMULATOR_XENSTORE_DATA, emu,
	    14, &e), -EBADMSG);
	ck_assert_int_eq(e.code, SRERR_VALUE);
	ck_assert_msg(strstr(e.reason, "3 strings") != NULL, "%s", e.reason);
	ck_assert_int_eq(decode(&s, LIBXL_REC_EMULATOR_XENSTORE_DATA, emu,
	    15, &e), -EBADMSG);
	ck_assert_msg(strstr(e.reason, "not NUL-terminated") != NULL, "%s",
	    e.reason);
	ck_assert_int_eq(decode(&s, LIBXL_REC_EMULATOR_CONTEXT, emu, 7, &e),
	    -EBADMSG);
	ck_assert_int_eq(e.code, SRERR_LENGTH);
	libxl_emu_hdr_encode(emu, 9, 0);
	ck_assert_int_eq(decode(&s, LIBXL_REC_EMULATOR_CONTEXT, emu, 8, &e),
	    -EBADMSG);
	ck_assert_int_eq(e.code, SRERR_VALUE);
	ck_assert_uint_eq(e.offset, 72);
	/* Emulator records belong to HVM guests. */
	s.dom_type = LIBXC_DOM_X86_PV;
	libxl_emu_hdr_encode(emu, LIBXL_EMU_QEMU_UPSTREAM, 0);
	ck_assert_int_eq(decode(&s, LIBXL_REC_EMULATOR_CONTEXT, emu, 8, &e),
	    -EBADMSG);
	ck_assert_int_eq(e.code, SRERR_TYPE);
	/* Checkpoints are not in save files. */
	ck_assert_int_eq(decode(&s, LIBXL_REC_CHECKPOINT_END, NULL, 0, &e),
	    -EBADMSG);
	ck_assert_int_eq(e.code, SRERR_TYPE);
	ck_assert_int_eq(decode(&s, 6, NULL, 0, &e), -EBADMSG);
	ck_assert_int_eq(e.code, SRERR_TYPE);
	ck_assert_int_eq(decode(&s, LIBXL_REC_EMULATOR_CONTEXT, NULL,
	    LIBXL_REC_MAX + 1, &e), -EBADMSG);
	ck_assert_int_eq(e.code, SRERR_TOO_BIG);
	ck_assert_int_eq(decode(&s, LIBXL_REC_END, NULL, 0, &e), 0);
	ck_assert_int_eq(decode(&s, LIBXL_REC_END, NULL, 0, &e), -EBADMSG);
	ck_assert_int_eq(e.code, SRERR_ORDER);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("libxl_stream");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_libxl_hdr_roundtrip);
	tcase_add_test(tc, test_libxl_hdr_defects);
	tcase_add_test(tc, test_libxl_records);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
