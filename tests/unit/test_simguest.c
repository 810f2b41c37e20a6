/*
 * test_simguest.c - the guest's integrity check finds every kind of
 * damage done to a domain's mem file; a guest process really dirties
 * pages at its rate, passes the check after a pause, and a new process
 * carries on from the state kept in memory; an HVM guest's device I/O
 * is checked against its device model, which losing its state fails.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/simdm.h"
#include "sim/simguest.h"
#include "sim/simhost.h"
#include "sim/simmem.h"
#include "util.h"

#define PG	SIMMEM_PAGE_SIZE

static char tmpdir[PATH_MAX];
static struct simhost *host;

static void
setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/simguest.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	ck_assert_int_eq(simhost_open(tmpdir, GiB, &host), 0);
}

static void
teardown(void)
{
	char cmd[PATH_MAX + 16];

	simguest_kill(host, 1);
	simdm_kill(host, 1);
	simhost_close(host);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Domain 1: a guest of "mem" bytes, formatted. */
static struct simmem *
make_guest_type(uint64_t mem, uint64_t rate, unsigned mode,
    enum dom_type type)
{
	struct simmem *m;
	struct simdom d;

	memset(&d, 0, sizeof(d));
	strcpy(d.name, "g");
	ck_assert_int_eq(simhost_uuid_generate(d.uuid), 0);
	d.type = type;
	d.memory = mem;
	d.vcpus = 1;
	d.dirty_rate = rate;
	ck_assert_int_eq(simhost_dom_add(host, &d, 0), 0);
	ck_assert_uint_eq(d.domid, 1);
	ck_assert_int_eq(simhost_dom_map(host, 1, &m), 0);
	ck_assert_int_eq(simguest_format(m, 0, mode % 16, mode / 16), 0);
	return m;
}

/* The mode argument of make_guest() with a content mode (simguest.h). */
#define CONTENT(c)	((c) * 16)

static struct simmem *
make_guest(uint64_t mem, uint64_t rate, unsigned mode)
{
	return make_guest_type(mem, rate, mode, DOM_TYPE_PVH);
}

static int
mem_fd(void)
{
	char path[PATH_MAX];
	int fd;

	ck_assert_int_eq(simhost_dom_path(host, 1, "mem", path,
	    sizeof(path)), 0);
	ck_assert_int_ge(fd = open(path, O_RDWR), 0);
	return fd;
}

static void
expect_defect(struct simmem *m, uint64_t pfn, enum simguest_defect kind)
{
	struct simguest_report r;

	ck_assert_int_eq(simguest_verify(m, &r), 1);
	ck_assert_uint_eq(r.bad, 1);
	ck_assert_uint_eq(r.nfirst, 1);
	ck_assert_uint_eq(r.first[0].pfn, pfn);
	ck_assert_msg(r.first[0].kind == kind, "found %s (%s), wanted %s",
	    simguest_defect_name(r.first[0].kind), r.first[0].why,
	    simguest_defect_name(kind));
}

START_TEST(test_simguest_fresh_is_intact)
{
	struct simmem *m = make_guest(16 * MiB, 0, SIMGUEST_MODE_RANDOM);
	struct simguest_report r;
	int i;

	ck_assert_int_eq(simguest_verify(m, &r), 0);
	ck_assert_uint_eq(r.pages, 4096);
	ck_assert_str_eq(r.header_error, "");
	for (i = 0; i < 10000; i++)
		simguest_write_one(m);
	ck_assert_int_eq(simguest_verify(m, &r), 0);
	ck_assert_uint_eq(r.generation, 10000);
	/* Writing marked data, ledger and header pages dirty. */
	ck_assert_uint_gt(simmem_dirty_peek(m, NULL), 2);
	simmem_close(m);
}
END_TEST

START_TEST(test_simguest_detects_missing)
{
	struct simmem *m = make_guest(4 * MiB, 0, SIMGUEST_MODE_SEQ);
	uint8_t zero[PG] = { 0 };
	uint64_t pfn = simguest_write_one(m);
	int fd = mem_fd();

	ck_assert_int_eq(pwrite(fd, zero, PG, (off_t)(pfn * PG)), PG);
	close(fd);
	expect_defect(m, pfn, SIMGUEST_MISSING);
	simmem_close(m);
}
END_TEST

START_TEST(test_simguest_detects_stale)
{
	struct simmem *m = make_guest(4 * MiB, 0, SIMGUEST_MODE_SEQ);
	struct simguest_hdr *h = (void *)simmem_page(m, 0);
	uint8_t old[PG];
	int fd = mem_fd();
	uint64_t pfn = h->ws_start;

	ck_assert_int_eq(pread(fd, old, PG, (off_t)(pfn * PG)), PG);
	ck_assert_uint_eq(simguest_write_one(m), pfn);
	ck_assert_int_eq(pwrite(fd, old, PG, (off_t)(pfn * PG)), PG);
	close(fd);
	expect_defect(m, pfn, SIMGUEST_STALE);
	simmem_close(m);
}
END_TEST

/* Zero pages among the data: how many of the data pages are all zero. */
static uint64_t
count_zero_pages(const struct simmem *m)
{
	const struct simguest_hdr *h = (const void *)simmem_page(m, 0);
	static const uint8_t zero[PG];
	uint64_t pfn, n = 0;

	for (pfn = h->ws_start; pfn < m->npages; pfn++)
		n += memcmp(simmem_page(m, pfn), zero, PG) == 0;
	return n;
}

START_TEST(test_simguest_content_modes_check)
{
	static const unsigned contents[] = { SIMGUEST_CONTENT_RANDOM,
	    SIMGUEST_CONTENT_ZERO, SIMGUEST_CONTENT_TEXT,
	    SIMGUEST_CONTENT_MIXED };
	struct simguest_report r;
	struct simmem *m;
	uint64_t data, zeros;
	unsigned c;
	int i;

	c = contents[_i];
	m = make_guest(16 * MiB, 0, SIMGUEST_MODE_RANDOM + CONTENT(c));
	data = m->npages - ((const struct simguest_hdr *)(const void *)
	    simmem_page(m, 0))->ws_start;
	zeros = count_zero_pages(m);
	switch (c) {
	case SIMGUEST_CONTENT_ZERO:
		ck_assert_uint_eq(zeros, data);
		break;
	case SIMGUEST_CONTENT_MIXED:
		/* Half, give or take: a draw per page. */
		ck_assert_uint_gt(zeros, data * 4 / 10);
		ck_assert_uint_lt(zeros, data * 6 / 10);
		break;
	default:
		ck_assert_uint_eq(zeros, 0);
	}
	ck_assert_int_eq(simguest_verify(m, &r), 0);
	for (i = 0; i < 20000; i++)
		simguest_write_one(m);
	ck_assert_int_eq(simguest_verify(m, &r), 0);
	ck_assert_uint_eq(r.generation, 20000);
	simmem_close(m);
}
END_TEST

/*
 * Mixed: a page that held data and is a zero page at its next generation
 * must be zero; the old data left there (what a restore that kept the
 * old bytes would leave) is stale.  And the other way round: a data
 * generation found zero is missing.
 */
START_TEST(test_simguest_mixed_zero_after_data)
{
	struct simmem *m = make_guest(4 * MiB, 0, SIMGUEST_MODE_SEQ +
	    CONTENT(SIMGUEST_CONTENT_MIXED));
	struct simguest_hdr *h = (void *)simmem_page(m, 0);
	static const uint8_t zero[PG];
	uint8_t before[PG];
	uint64_t pfn = 0, p;
	int fd = mem_fd(), i, found = 0;

	/* Find a page that turns from data to zero at its next write. */
	for (i = 0; i < 4 * (int)h->ws_pages && !found; i++) {
		p = h->ws_start + h->cursor;
		memcpy(before, simmem_page(m, p), PG);
		ck_assert_uint_eq(simguest_write_one(m), p);
		if (memcmp(before, zero, PG) != 0 &&
		    memcmp(simmem_page(m, p), zero, PG) == 0) {
			pfn = p;
			found = 1;
		}
	}
	ck_assert(found);
	ck_assert_int_eq(pwrite(fd, before, PG, (off_t)(pfn * PG)), PG);
	expect_defect(m, pfn, SIMGUEST_STALE);
	close(fd);
	simmem_close(m);
}
END_TEST

START_TEST(test_simguest_detects_corrupted)
{
	struct simmem *m = make_guest(4 * MiB, 0, SIMGUEST_MODE_SEQ);
	uint64_t pfn = simguest_write_one(m) + 7;
	struct simguest_report r;
	uint8_t b;
	int fd = mem_fd();

	ck_assert_int_eq(pread(fd, &b, 1, (off_t)(pfn * PG + 1000)), 1);
	b ^= 0x01;
	ck_assert_int_eq(pwrite(fd, &b, 1, (off_t)(pfn * PG + 1000)), 1);
	expect_defect(m, pfn, SIMGUEST_CORRUPTED);
	ck_assert_int_eq(simguest_verify(m, &r), 1);
	ck_assert_str_eq(r.first[0].why, "byte 1000 differs");
	/* A damaged checksum alone is found too. */
	b ^= 0x01;
	ck_assert_int_eq(pwrite(fd, &b, 1, (off_t)(pfn * PG + 1000)), 1);
	ck_assert_int_eq(pread(fd, &b, 1, (off_t)(pfn * PG + 12)), 1);
	b ^= 0x80;
	ck_assert_int_eq(pwrite(fd, &b, 1, (off_t)(pfn * PG + 12)), 1);
	close(fd);
	expect_defect(m, pfn, SIMGUEST_CORRUPTED);
	simmem_close(m);
}
END_TEST

START_TEST(test_simguest_detects_misplaced)
{
	struct simmem *m = make_guest(4 * MiB, 0, SIMGUEST_MODE_SEQ);
	uint64_t pfn = simguest_write_one(m) + 20;
	uint8_t other[PG];
	int fd = mem_fd();

	ck_assert_int_eq(pread(fd, other, PG, (off_t)((pfn + 1) * PG)), PG);
	ck_assert_int_eq(pwrite(fd, other, PG, (off_t)(pfn * PG)), PG);
	close(fd);
	expect_defect(m, pfn, SIMGUEST_MISPLACED);
	simmem_close(m);
}
END_TEST

START_TEST(test_simguest_detects_bad_header)
{
	struct simmem *m = make_guest(4 * MiB, 0, SIMGUEST_MODE_SEQ);
	struct simguest_report r;
	uint64_t bad = 12345;
	int fd = mem_fd();

	/* npages sits at offset 16 of page 0. */
	ck_assert_int_eq(pwrite(fd, &bad, 8, 16), 8);
	close(fd);
	ck_assert_int_eq(simguest_verify(m, &r), 1);
	ck_assert_ptr_nonnull(strstr(r.header_error, "12345 pages"));
	simmem_close(m);
}
END_TEST

/* Wait (bounded) until the guest has written "n" more pages. */
static uint64_t
wait_generation(struct simmem *m, uint64_t from, uint64_t n)
{
	volatile struct simguest_hdr *h = (void *)simmem_page(m, 0);
	uint64_t deadline = util_now_ms() + 10000;

	while (h->generation < from + n && util_now_ms() < deadline)
		sched_yield();
	ck_assert_uint_ge(h->generation, from + n);
	return h->generation;
}

START_TEST(test_simguest_process_dirties_and_passes_check)
{
	struct simmem *m = make_guest(32 * MiB, 20 * MiB, SIMGUEST_MODE_RANDOM);
	struct simguest_report r;
	uint64_t gen, t0, t1;
	pid_t pid;

	simmem_logdirty_enable(m);
	ck_assert_int_eq(simguest_spawn(tmpdir, 1, NULL, &pid), 0);
	ck_assert_int_eq(simguest_alive(host, 1, &pid), 0);
	t0 = util_now_ns();
	gen = wait_generation(m, 0, 1000);
	t1 = util_now_ns();
	/* 20 MiB/s is 5120 pages/s: 1000 pages take about 0.2 s, not 0. */
	ck_assert_uint_gt(t1 - t0, UINT64_C(50000000));
	ck_assert_uint_gt(simmem_dirty_peek(m, NULL), 100);
	/* The check pauses it, finds every page intact, lets it go. */
	ck_assert_int_eq(simguest_check(host, 1, &r), 0);
	ck_assert_uint_eq(r.pages, 8192);
	ck_assert_uint_ge(r.generation, gen);
	wait_generation(m, r.generation, 100);
	/* Killed, then started again: it continues from its memory. */
	ck_assert_int_eq(simguest_kill(host, 1), 0);
	ck_assert_int_eq(simguest_alive(host, 1, &pid), -ESRCH);
	ck_assert_int_eq(simguest_verify(m, &r), 0);
	gen = r.generation;
	ck_assert_int_eq(simguest_spawn(tmpdir, 1, NULL, &pid), 0);
	wait_generation(m, gen, 100);
	ck_assert_int_eq(simguest_check(host, 1, &r), 0);
	ck_assert_uint_gt(r.generation, gen);
	simmem_close(m);
}
END_TEST

/* Wait (bounded) until the guest's device I/O made "done" true. */
#define WAIT_DEVICE(done) do {						\
	uint64_t deadline_ = util_now_ms() + 10000;			\
	while (!(done) && util_now_ms() < deadline_)			\
		usleep(1000);						\
	ck_assert(done);						\
} while (0)

START_TEST(test_simguest_device_state_checked)
{
	struct simmem *m = make_guest_type(4 * MiB, 0, SIMGUEST_MODE_RANDOM,
	    DOM_TYPE_HVM);
	volatile struct simguest_hdr *h = (void *)simmem_page(m, 0);
	struct simguest_report r;
	char why[512];
	pid_t pid;

	ck_assert_int_eq(simdm_spawn(host, 1, NULL, NULL, why, sizeof(why)),
	    0);
	ck_assert_int_eq(simdm_alive(host, 1), 0);
	ck_assert_int_eq(simguest_spawn(tmpdir, 1, NULL, &pid), 0);
	/* An idle guest (no page writes) still uses its device. */
	WAIT_DEVICE(h->dev_seen >= 5);
	ck_assert_int_eq(simguest_check(host, 1, &r), 0);
	ck_assert_int_eq(r.device, 1);
	ck_assert_uint_eq(r.dev_reg, r.dev_seen);
	ck_assert_str_eq(r.dev_error, "");
	/* No device model: a failed check, saying so. */
	ck_assert_int_eq(simdm_kill(host, 1), 0);
	ck_assert_int_eq(simguest_check(host, 1, &r), 1);
	ck_assert_ptr_nonnull(strstr(r.dev_error, "not running"));
	/* A device model that lost its state: the guest's next I/O tells. */
	ck_assert_int_eq(simdm_spawn(host, 1, NULL, NULL, why, sizeof(why)),
	    0);
	WAIT_DEVICE(h->dev_bad);
	ck_assert_int_eq(simguest_check(host, 1, &r), 1);
	ck_assert_ptr_nonnull(strstr(r.dev_error, "dropped"));
	ck_assert_uint_eq(h->dev_bad_got, 1);
	simmem_close(m);
}
END_TEST

START_TEST(test_simguest_device_refused_state_leaves_nothing)
{
	char path[PATH_MAX], why[512];
	FILE *f;

	simmem_close(make_guest_type(4 * MiB, 0, SIMGUEST_MODE_RANDOM,
	    DOM_TYPE_HVM));
	ck_assert_int_eq(simhost_dom_path(host, 1, "in.state", path,
	    sizeof(path)), 0);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("QEVM but not a device state", f);
	fclose(f);
	ck_assert_int_eq(simdm_spawn(host, 1, NULL, path, why, sizeof(why)),
	    -EBADMSG);
	ck_assert_ptr_nonnull(strstr(why, "refused"));
	ck_assert_int_ne(simdm_alive(host, 1), 0);
}
END_TEST

static Suite *
simguest_suite(void)
{
	Suite *s = suite_create("simguest");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_simguest_fresh_is_intact);
	tcase_add_test(tc, test_simguest_detects_missing);
	tcase_add_test(tc, test_simguest_detects_stale);
	tcase_add_loop_test(tc, test_simguest_content_modes_check, 0, 4);
	tcase_add_test(tc, test_simguest_mixed_zero_after_data);
	tcase_add_test(tc, test_simguest_detects_corrupted);
	tcase_add_test(tc, test_simguest_detects_misplaced);
	tcase_add_test(tc, test_simguest_detects_bad_header);
	tcase_add_test(tc, test_simguest_process_dirties_and_passes_check);
	tcase_add_test(tc, test_simguest_device_state_checked);
	tcase_add_test(tc, test_simguest_device_refused_state_leaves_nothing);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(simguest_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
