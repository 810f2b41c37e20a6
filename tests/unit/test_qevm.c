/*
 * test_qevm.c - QEMU's device-state file: what a Xen device model writes
 * is accepted and described; each defect a checker without the devices'
 * descriptions can see is refused with its code, offset and reason.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "qevm.h"

/* A file as qemu-xen writes it: header, two FULL sections, EOF. */
static size_t
make(uint8_t *p)
{
	size_t n = QEVM_HDR_SIZE;

	qevm_put_header(p);
	qevm_put_section(p + n, 0, "timer", 0, 2);
	n += qevm_section_size("timer");
	memset(p + n, 0xee, 12);
	n += 12;
	qevm_put_section(p + n, 1, "apic", 0, 3);
	n += qevm_section_size("apic");
	memset(p + n, 0, 20);	/* state may end in zero bytes too */
	n += 20;
	p[n++] = QEVM_SEC_EOF;
	return n;
}

static void
expect_defect(const uint8_t *p, size_t n, enum srerr_code code,
    uint64_t offset, const char *reason)
{
	struct qevm_info info;
	struct srerr e;

	srerr_clear(&e);
	ck_assert_int_eq(qevm_check(p, n, 1000, &info, &e), -EBADMSG);
	ck_assert_int_eq(e.code, code);
	ck_assert_uint_eq(e.offset, 1000 + offset);
	ck_assert_str_eq(e.what, "device model state");
	ck_assert_msg(strstr(e.reason, reason) != NULL, "reason: %s",
	    e.reason);
}

START_TEST(test_qevm_accepts_xen_device_state)
{
	struct qevm_info info;
	struct srerr e;
	uint8_t p[256];
	size_t n = make(p);

	srerr_clear(&e);
	ck_assert_int_eq(qevm_check(p, n, 0, &info, &e), 0);
	ck_assert_int_eq(info.has_sections, 1);
	ck_assert_str_eq(info.first, "timer");
	ck_assert_uint_eq(info.first_version, 2);
	ck_assert_str_eq(info.machine, "");
	ck_assert_mem_eq(p, "QEVM\0\0\0\3", 8);
	/* No devices at all: header and end marker. */
	ck_assert_int_eq(qevm_check(p, 0, 0, &info, &e), -EBADMSG);
	p[8] = QEVM_SEC_EOF;
	srerr_clear(&e);
	ck_assert_int_eq(qevm_check(p, 9, 0, &info, &e), 0);
	ck_assert_int_eq(info.has_sections, 0);
}
END_TEST

START_TEST(test_qevm_reads_past_configuration)
{
	struct qevm_info info;
	struct srerr e;
	uint8_t p[256], q[300];
	size_t n = make(p);

	memcpy(q, p, 8);
	q[8] = QEVM_SEC_CONFIGURATION;
	store_be32(q + 9, 5);
	memcpy(q + 13, "xenfv", 5);
	memcpy(q + 18, p + 8, n - 8);
	srerr_clear(&e);
	ck_assert_int_eq(qevm_check(q, n + 10, 0, &info, &e), 0);
	ck_assert_str_eq(info.machine, "xenfv");
	ck_assert_str_eq(info.first, "timer");
	store_be32(q + 9, 0);
	expect_defect(q, n + 10, SRERR_LENGTH, 9, "machine name of 0 bytes");
	store_be32(q + 9, 400);
	expect_defect(q, n + 10, SRERR_LENGTH, 9, "machine name of 400");
	store_be32(q + 9, 5);
	q[14] = '\n';
	expect_defect(q, n + 10, SRERR_VALUE, 13, "not printable");
}
END_TEST

START_TEST(test_qevm_refuses_defects)
{
	uint8_t p[256], q[256];
	size_t n = make(p);

	expect_defect(p, 5, SRERR_TRUNCATED, 0, "5 bytes, shorter than");
	memcpy(q, p, n);
	q[0] = 'X';
	expect_defect(q, n, SRERR_MAGIC, 0, "magic 0x5845564d");
	memcpy(q, p, n);
	q[7] = 2;
	expect_defect(q, n, SRERR_VERSION, 4, "version 2 (obsolete)");
	q[7] = 4;
	expect_defect(q, n, SRERR_VERSION, 4, "version 4;");
	/*
	 * Cut short: the end marker is gone.  (A cut that happens to end
	 * on a zero byte of state cannot be told from the marker: state
	 * has no length.)
	 */
	expect_defect(p, n - 21, SRERR_TRUNCATED, n - 22,
	    "the last byte is 0x03, not the end marker");
	/* Header only: no sections, no end. */
	expect_defect(p, 8, SRERR_TRUNCATED, 8, "no sections and no end");
	/* A section type that cannot come first. */
	memcpy(q, p, n);
	q[8] = QEVM_SEC_PART;
	expect_defect(q, n, SRERR_TYPE, 8, "section type 0x02");
	/* The first section's name: empty, unprintable. */
	memcpy(q, p, n);
	q[8 + 5 + 1] = 0x01;
	expect_defect(q, n, SRERR_VALUE, 13, "not printable");
	memcpy(q, p, n);
	q[8 + 5] = 0;
	expect_defect(q, n, SRERR_VALUE, 13, "empty");
	/* A name longer than the file. */
	memcpy(q, p, n);
	q[8 + 5] = 250;
	expect_defect(q, 40, SRERR_TRUNCATED, 8, "header is cut short");
	/* A section header that ends the file, its last byte zero. */
	memcpy(q, p, 8);
	qevm_put_section(q + 8, 0, "timer", 0, 0x100);
	expect_defect(q, 8 + qevm_section_size("timer"), SRERR_TRUNCATED,
	    8 + qevm_section_size("timer"), "no state and no end marker");
	/* Bytes after the end of a file with no devices. */
	memcpy(q, p, 8);
	q[8] = QEVM_SEC_EOF;
	q[9] = 0;
	expect_defect(q, 10, SRERR_TRAILING, 9, "1 bytes after the end");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("qevm");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_qevm_accepts_xen_device_state);
	tcase_add_test(tc, test_qevm_reads_past_configuration);
	tcase_add_test(tc, test_qevm_refuses_defects);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
