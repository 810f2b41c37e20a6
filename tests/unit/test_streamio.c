/*
 * test_streamio.c - the libxl records around the libxc stream: the device
 * model's records written after it come back as they were written, in
 * order; a defective device-state file, emulator records in a PV stream
 * and more records than a save has are refused with the defect.
 */
#include "config.h"

#include <sys/mman.h>

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "log.h"
#include "qevm.h"
#include "streamio.h"

/* A small valid device-state file: header, one section, EOF. */
static size_t
make_qevm(uint8_t *p)
{
	size_t n = QEVM_HDR_SIZE;

	qevm_put_header(p);
	qevm_put_section(p + n, 0, "timer", 0, 2);
	n += qevm_section_size("timer");
	memset(p + n, 0xab, 13);	/* odd length: padding follows */
	n += 13;
	p[n++] = QEVM_SEC_EOF;
	return n;
}

/* Write prefix + suffix(emu) into a memfd, rewind, read the prefix. */
static int
roundtrip(const struct emu_recs *w, uint32_t dom_type, struct emu_recs *r,
    struct srerr *e)
{
	struct streamio_in in;
	int fd = memfd_create("test_streamio", 0), rc;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(streamio_write_prefix(fd, "{}", 1000), 0);
	ck_assert_int_eq(streamio_write_suffix(fd, w, 1000), 0);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	srerr_clear(e);
	ck_assert_int_eq(streamio_read_prefix(&in, fd, 1000, e), 0);
	in.lx.dom_type = dom_type;
	rc = streamio_read_suffix(&in, r, e);
	if (rc == 0)
		ck_assert_uint_eq(in.emulator_records, w->n);
	streamio_in_clear(&in);
	close(fd);
	return rc;
}

START_TEST(test_streamio_carries_emulator_records)
{
	static const char xs[] = "physmap/1/size\0" "800\0";
	struct emu_recs w = { .n = 0 }, r = { .n = 0 };
	struct srerr e;
	uint8_t q[64];
	size_t qn = make_qevm(q);
	unsigned i;

	ck_assert_int_eq(emu_recs_add(&w, LIBXL_REC_EMULATOR_XENSTORE_DATA,
	    LIBXL_EMU_QEMU_UPSTREAM, 0, xs, sizeof(xs) - 1), 0);
	ck_assert_int_eq(emu_recs_add(&w, LIBXL_REC_EMULATOR_CONTEXT,
	    LIBXL_EMU_QEMU_UPSTREAM, 0, q, qn), 0);
	ck_assert_int_eq(roundtrip(&w, 2, &r, &e), 0);
	ck_assert_uint_eq(r.n, 2);
	for (i = 0; i < 2; i++) {
		ck_assert_uint_eq(r.rec[i].type, w.rec[i].type);
		ck_assert_uint_eq(r.rec[i].emulator, 2);
		ck_assert_uint_eq(r.rec[i].len, w.rec[i].len);
		ck_assert_mem_eq(r.rec[i].data, w.rec[i].data, w.rec[i].len);
	}
	ck_assert_ptr_eq(emu_recs_find(&r, LIBXL_REC_EMULATOR_CONTEXT),
	    &r.rec[1]);
	emu_recs_clear(&r);
	ck_assert_uint_eq(r.n, 0);
	ck_assert_ptr_null(emu_recs_find(&r, LIBXL_REC_EMULATOR_CONTEXT));

	/* No records: only END, as for PV and PVH. */
	emu_recs_clear(&w);
	ck_assert_int_eq(roundtrip(&w, 0, &r, &e), 0);
	ck_assert_uint_eq(r.n, 0);
}
END_TEST

START_TEST(test_streamio_refuses_bad_emulator_records)
{
	struct emu_recs w = { .n = 0 }, r = { .n = 0 }, one = { .n = 0 };
	struct streamio_in in;
	struct srerr e;
	uint8_t q[64];
	size_t qn = make_qevm(q);
	unsigned i;
	int fd;

	/* A device-state file without its EOF marker. */
	ck_assert_int_eq(emu_recs_add(&w, LIBXL_REC_EMULATOR_CONTEXT,
	    LIBXL_EMU_QEMU_UPSTREAM, 0, q, qn - 1), 0);
	ck_assert_int_eq(roundtrip(&w, 2, &r, &e), -EBADMSG);
	ck_assert_str_eq(e.what, "device model state");
	emu_recs_clear(&r);
	emu_recs_clear(&w);

	/* Emulator records in a PV stream. */
	ck_assert_int_eq(emu_recs_add(&w, LIBXL_REC_EMULATOR_CONTEXT,
	    LIBXL_EMU_QEMU_UPSTREAM, 0, q, qn), 0);
	ck_assert_int_ne(roundtrip(&w, 1, &r, &e), 0);
	emu_recs_clear(&r);

	/*
	 * More than a save carries: EMU_RECS_MAX records, then over their
	 * END one more and END again.
	 */
	for (i = 1; i < EMU_RECS_MAX; i++)
		ck_assert_int_eq(emu_recs_add(&w, LIBXL_REC_EMULATOR_CONTEXT,
		    LIBXL_EMU_QEMU_UPSTREAM, i, q, qn), 0);
	ck_assert_int_eq(emu_recs_add(&w, LIBXL_REC_EMULATOR_CONTEXT,
	    LIBXL_EMU_QEMU_UPSTREAM, 9, q, qn), -ENOSPC);
	ck_assert_int_eq(roundtrip(&w, 2, &r, &e), 0);
	ck_assert_uint_eq(r.n, EMU_RECS_MAX);
	emu_recs_clear(&r);
	fd = memfd_create("test_streamio", 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(streamio_write_prefix(fd, "{}", 1000), 0);
	ck_assert_int_eq(streamio_write_suffix(fd, &w, 1000), 0);
	ck_assert_int_ge(lseek(fd, -LIBXL_RHDR_SIZE, SEEK_CUR), 0);
	ck_assert_int_eq(emu_recs_add(&one, LIBXL_REC_EMULATOR_CONTEXT,
	    LIBXL_EMU_QEMU_UPSTREAM, 7, q, qn), 0);
	ck_assert_int_eq(streamio_write_suffix(fd, &one, 1000), 0);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	srerr_clear(&e);
	ck_assert_int_eq(streamio_read_prefix(&in, fd, 1000, &e), 0);
	in.lx.dom_type = 2;
	ck_assert_int_ne(streamio_read_suffix(&in, &r, &e), 0);
	ck_assert_msg(strstr(e.reason, "too many") != NULL, "%s", e.reason);
	streamio_in_clear(&in);
	emu_recs_clear(&r);

	/* The same emulator and index twice. */
	ck_assert_int_eq(ftruncate(fd, 0), 0);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ck_assert_int_eq(streamio_write_prefix(fd, "{}", 1000), 0);
	ck_assert_int_eq(streamio_write_suffix(fd, &one, 1000), 0);
	ck_assert_int_ge(lseek(fd, -LIBXL_RHDR_SIZE, SEEK_CUR), 0);
	ck_assert_int_eq(streamio_write_suffix(fd, &one, 1000), 0);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	srerr_clear(&e);
	ck_assert_int_eq(streamio_read_prefix(&in, fd, 1000, &e), 0);
	in.lx.dom_type = 2;
	ck_assert_int_eq(streamio_read_suffix(&in, &r, &e), -EBADMSG);
	ck_assert_int_eq(e.code, SRERR_DUPLICATE);
	ck_assert_uint_eq(r.n, 1);
	streamio_in_clear(&in);
	close(fd);
	emu_recs_clear(&r);
	emu_recs_clear(&one);
	emu_recs_clear(&w);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("streamio");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	log_init("test_streamio", 0, LOG_LVL_ERR);
	tcase_add_test(tc, test_streamio_carries_emulator_records);
	tcase_add_test(tc, test_streamio_refuses_bad_emulator_records);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
