/*
 * test_xlhdr.c - the xl save-file header.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "cursor.h"
#include "xlhdr.h"

static const char cfg[] = "{\"c_info\": {\"name\": \"a\"}}";

static size_t
encode(uint8_t *b, size_t cap)
{
	int n = xlhdr_encode(b, cap, 0, cfg, sizeof(cfg));

	ck_assert_int_eq(n, (int)xlhdr_encoded_size(sizeof(cfg)));
	return (size_t)n;
}

START_TEST(test_xlhdr_roundtrip)
{
	uint8_t b[256];
	struct xlhdr h;
	struct srerr e;
	size_t n = encode(b, sizeof(b));

	srerr_clear(&e);
	ck_assert_int_eq(xlhdr_decode_fixed(b, n, &h, &e), 0);
	ck_assert_uint_eq(h.mandatory_flags,
	    XLHDR_MFLAG_JSON | XLHDR_MFLAG_STREAMV2);
	ck_assert_uint_eq(h.optional_data_len, 4 + sizeof(cfg));
	ck_assert_int_eq(xlhdr_decode_optdata(&h, b + 48, n - 48, 48, &e), 0);
	ck_assert_uint_eq(h.config_len, sizeof(cfg));
	ck_assert_str_eq((const char *)h.config, cfg);
	ck_assert_uint_eq(h.extra_len, 0);
	/* Exactly what xl writes: magic, 0x01020304 in LE, flags 3. */
	ck_assert(memcmp(b, "Xen saved domain, xl format\n \0 \r", 32) == 0);
	ck_assert(memcmp(b + 32, "\x04\x03\x02\x01\x03\0\0\0", 8) == 0);
}
END_TEST

START_TEST(test_xlhdr_no_config)
{
	uint8_t b[64];
	struct xlhdr h;
	struct srerr e;

	ck_assert_int_eq(xlhdr_encode(b, sizeof(b), 0, NULL, 0), 52);
	srerr_clear(&e);
	ck_assert_int_eq(xlhdr_decode_fixed(b, 52, &h, &e), 0);
	ck_assert_uint_eq(h.mandatory_flags, XLHDR_MFLAG_STREAMV2);
	ck_assert_int_eq(xlhdr_decode_optdata(&h, b + 48, 4, 48, &e), 0);
	ck_assert_ptr_null(h.config);
	ck_assert_int_eq(xlhdr_encode(b, 51, 0, NULL, 0), -ENOSPC);
}
END_TEST

static void
expect_fixed(const uint8_t *b, size_t n, enum srerr_code code,
    uint64_t off, const char *why)
{
	struct xlhdr h;
	struct srerr e;

	srerr_clear(&e);
	ck_assert_int_eq(xlhdr_decode_fixed(b, n, &h, &e), -EBADMSG);
	ck_assert_int_eq(e.code, code);
	ck_assert_uint_eq(e.offset, off);
	ck_assert_msg(strstr(e.reason, why) != NULL, "%s", e.reason);
}

START_TEST(test_xlhdr_defects)
{
	uint8_t b[256];
	size_t n = encode(b, sizeof(b));

	expect_fixed(b, 47, SRERR_TRUNCATED, 47, "too short");
	expect_fixed(b, 10, SRERR_TRUNCATED, 10, "too short");
	b[5] = 'X';
	expect_fixed(b, n, SRERR_MAGIC, 0, "bad magic");
	b[5] = 'a';
	store_le32(b + 32, 0x04030201);
	expect_fixed(b, n, SRERR_ENDIAN, 32, "big-endian");
	store_le32(b + 32, 0x11223344);
	expect_fixed(b, n, SRERR_ENDIAN, 32, "byte-order marker");
	store_le32(b + 32, XLHDR_BYTEORDER);
	store_le32(b + 36, 7);
	expect_fixed(b, n, SRERR_FLAGS, 36, "unknown mandatory flag(s) 0x4");
	store_le32(b + 36, 1);
	expect_fixed(b, n, SRERR_VERSION, 36, "legacy");
	store_le32(b + 36, 3);
	store_le32(b + 44, XLHDR_OPTDATA_MAX + 1);
	expect_fixed(b, n, SRERR_TOO_BIG, 44, "optional data length");
}
END_TEST

static void
expect_opt(uint32_t mflags, const uint8_t *opt, size_t n,
    enum srerr_code code, uint64_t off, const char *why)
{
	struct xlhdr h;
	struct srerr e;

	memset(&h, 0, sizeof(h));
	h.mandatory_flags = mflags;
	h.optional_data_len = (uint32_t)n;
	srerr_clear(&e);
	ck_assert_int_eq(xlhdr_decode_optdata(&h, opt, n, 48, &e), -EBADMSG);
	ck_assert_int_eq(e.code, code);
	ck_assert_uint_eq(e.offset, off);
	ck_assert_msg(strstr(e.reason, why) != NULL, "%s", e.reason);
}

START_TEST(test_xlhdr_optdata_defects)
{
	const uint32_t j = XLHDR_MFLAG_JSON | XLHDR_MFLAG_STREAMV2;
	uint8_t o[16] = { 0 };

	expect_opt(j, o, 2, SRERR_LENGTH, 48, "too short");
	store_le32(o, 100);
	expect_opt(j, o, 8, SRERR_LENGTH, 48, "config length 100");
	store_le32(o, 4);
	memcpy(o + 4, "{}}}", 4);
	expect_opt(j, o, 8, SRERR_CONFIG, 48 + 4 + 3, "not NUL-terminated");
	memcpy(o + 4, "{\0}\0", 4);
	expect_opt(j, o, 8, SRERR_CONFIG, 48 + 4 + 1, "contains a NUL");
	store_le32(o, 0);
	expect_opt(j, o, 4, SRERR_MISSING, 48, "configuration is empty");
	expect_opt(j, o, 0, SRERR_MISSING, 48, "no configuration");
}
END_TEST

/* Bytes after the config are skipped, as xl does. */
START_TEST(test_xlhdr_extra_optdata)
{
	uint8_t o[16] = { 0 };
	struct xlhdr h;
	struct srerr e;

	memset(&h, 0, sizeof(h));
	h.mandatory_flags = XLHDR_MFLAG_STREAMV2;
	h.optional_data_len = 12;
	store_le32(o, 3);
	memcpy(o + 4, "a=1xxxxx", 8);
	srerr_clear(&e);
	ck_assert_int_eq(xlhdr_decode_optdata(&h, o, 12, 48, &e), 0);
	ck_assert_uint_eq(h.config_len, 3);
	ck_assert_uint_eq(h.extra_len, 5);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("xlhdr");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_xlhdr_roundtrip);
	tcase_add_test(tc, test_xlhdr_no_config);
	tcase_add_test(tc, test_xlhdr_defects);
	tcase_add_test(tc, test_xlhdr_optdata_defects);
	tcase_add_test(tc, test_xlhdr_extra_optdata);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
