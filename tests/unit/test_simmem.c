/*
 * test_simmem.c - guest memory files, the dirty log (mark, peek, clean,
 * also against a writer in another process) and the pause handshake.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/simmem.h"
#include "util.h"

static char tmpdir[PATH_MAX];
static char mem_path[PATH_MAX + 16];
static char sh_path[PATH_MAX + 16];

static void
setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/simmem.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(mem_path, sizeof(mem_path), "%s/mem", tmpdir);
	snprintf(sh_path, sizeof(sh_path), "%s/shared", tmpdir);
}

static void
teardown(void)
{
	unlink(mem_path);
	unlink(sh_path);
	rmdir(tmpdir);
}

static struct simmem *
make_mem(uint64_t npages)
{
	struct simmem *m = NULL;

	ck_assert_int_eq(simmem_create(mem_path, sh_path, npages, NULL), 0);
	ck_assert_int_eq(simmem_open(mem_path, sh_path, &m), 0);
	ck_assert_uint_eq(m->npages, npages);
	return m;
}

START_TEST(test_simmem_create_and_open)
{
	struct simmem *m = make_mem(100);

	ck_assert_uint_eq(m->nwords, 2);
	ck_assert_int_eq(simmem_create(mem_path, sh_path, 100, NULL), -EEXIST);
	simmem_close(m);
	/* A memory file of the wrong size is refused. */
	ck_assert_int_eq(truncate(mem_path, 4096), 0);
	ck_assert_int_eq(simmem_open(mem_path, sh_path, &m), -EINVAL);
	ck_assert_int_eq(simmem_create("/nonexistent/x", "/nonexistent/y", 0, NULL),
	    -EINVAL);
}
END_TEST

/* Pages written through the file are what the mapping (the guest) sees;
 * the memory is allocated at creation, every page reads zero until then. */
START_TEST(test_simmem_zero_unset)
{
	/* 200 pages: full words, a partial last word, runs across words. */
	struct simmem *m = make_mem(200);
	uint64_t bits[4] = { 0 };
	uint64_t pfn;
	size_t i;

	memset(m->mem, 0xee, m->memlen);
	bits[0] = UINT64_MAX;			/* 0-63 written */
	bits[1] = UINT64_C(1) << 5;		/* 69 written */
	bits[2] = ~UINT64_C(0) << 60;		/* 188-191 written */
	bits[3] = UINT64_C(1) << 7;		/* 199 written */
	ck_assert_int_eq(simmem_zero_unset(m, bits), 0);
	for (pfn = 0; pfn < 200; pfn++) {
		int kept = (bits[pfn / 64] >> (pfn % 64)) & 1;

		for (i = 0; i < SIMMEM_PAGE_SIZE; i += 997)
			ck_assert_uint_eq(simmem_page(m, pfn)[i],
			    kept ? 0xee : 0);
	}
	simmem_close(m);
}
END_TEST

/* Free bytes of the file system at dir. */
static uint64_t
fs_free(const char *dir)
{
	struct statvfs sv;

	ck_assert_int_eq(statvfs(dir, &sv), 0);
	return (uint64_t)sv.f_bfree * sv.f_frsize;
}

START_TEST(test_simmem_defer_free)
{
	const char *dir = "/dev/shm";
	char path[64];
	uint8_t buf[1 << 16];
	uint64_t before, held, i;
	int fd, token, n;

	if (access(dir, W_OK) != 0)
		return;		/* no tmpfs to watch */
	snprintf(path, sizeof(path), "%s/simmem-defer.XXXXXX", dir);
	ck_assert_int_ge(fd = mkstemp(path), 0);
	memset(buf, 0x5a, sizeof(buf));
	for (i = 0; i < 64 * MiB; i += sizeof(buf))
		ck_assert_int_eq(write(fd, buf, sizeof(buf)), sizeof(buf));
	close(fd);
	ck_assert_int_ge(token = simmem_defer_free(path), 0);
	before = fs_free(dir);
	ck_assert_int_eq(unlink(path), 0);
	/* Unlinked, but held: its pages are not free yet. */
	held = fs_free(dir);
	ck_assert_uint_lt(held, before + 32 * MiB);
	close(token);
	/* Then they are, soon. */
	for (n = 0; n < 500 && fs_free(dir) < held + 48 * MiB; n++)
		usleep(10000);
	ck_assert_uint_ge(fs_free(dir), held + 48 * MiB);
}
END_TEST

START_TEST(test_simmem_write_pages)
{
	struct simmem *m = make_mem(64), *m2;
	uint8_t buf[3 * SIMMEM_PAGE_SIZE];
	struct stat st;
	size_t i;

	ck_assert_int_eq(stat(mem_path, &st), 0);
	ck_assert_int_ge((long long)st.st_blocks * 512,
	    64LL * SIMMEM_PAGE_SIZE);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i / 7 + 1);
	ck_assert_int_eq(simmem_write_pages(m, 61, buf, 3), 0);
	ck_assert_int_eq(simmem_write_pages(m, 0, buf + SIMMEM_PAGE_SIZE, 1),
	    0);
	ck_assert_mem_eq(simmem_page(m, 61), buf, sizeof(buf));
	ck_assert_mem_eq(simmem_page(m, 0), buf + SIMMEM_PAGE_SIZE,
	    SIMMEM_PAGE_SIZE);
	for (i = 0; i < SIMMEM_PAGE_SIZE; i++)
		ck_assert_uint_eq(simmem_page(m, 1)[i], 0);
	/* Another mapping (another process's) sees them too. */
	ck_assert_int_eq(simmem_open(mem_path, sh_path, &m2), 0);
	ck_assert_mem_eq(simmem_page(m2, 62), buf + SIMMEM_PAGE_SIZE,
	    SIMMEM_PAGE_SIZE);
	simmem_close(m2);
	simmem_close(m);
}
END_TEST

START_TEST(test_simmem_mark_peek_clean)
{
	struct simmem *m = make_mem(1000);
	uint64_t bm[16];

	simmem_logdirty_enable(m);
	ck_assert(simmem_logdirty_enabled(m));
	simmem_mark_dirty(m, 0);
	simmem_mark_dirty(m, 63);
	simmem_mark_dirty(m, 64);
	simmem_mark_dirty(m, 999);
	simmem_mark_dirty(m, 999);
	ck_assert_uint_eq(simmem_dirty_peek(m, bm), 4);
	ck_assert_uint_eq(bm[0], (UINT64_C(1) << 63) | 1);
	ck_assert_uint_eq(simmem_dirty_peek(m, NULL), 4);	/* not cleared */
	ck_assert_uint_eq(simmem_dirty_clean(m, bm), 4);
	ck_assert_uint_eq(bm[1], 1);
	ck_assert_uint_eq(bm[999 / 64], UINT64_C(1) << (999 % 64));
	ck_assert_uint_eq(simmem_dirty_clean(m, bm), 0);
	ck_assert_uint_eq(bm[0], 0);
	/* Enabling log-dirty mode starts from a clean log. */
	simmem_mark_dirty(m, 5);
	simmem_logdirty_enable(m);
	ck_assert_uint_eq(simmem_dirty_peek(m, NULL), 0);
	simmem_logdirty_disable(m);
	ck_assert(!simmem_logdirty_enabled(m));
	simmem_close(m);
}
END_TEST

/*
 * A writer in another process stores a non-zero value in a page, then
 * marks it; the reader cleans concurrently.  Every page written must be
 * reported by some clean, and a page reported dirty must already hold
 * the data written before its mark.
 */
START_TEST(test_simmem_clean_concurrent_writer)
{
	enum { NPAGES = 4096, ROUNDS = 20 };
	struct simmem *m = make_mem(NPAGES);
	uint64_t *seen, *bm, w, v;
	size_t i, b;
	pid_t pid;
	int st, done = 0;

	seen = calloc(m->nwords, 8);
	bm = calloc(m->nwords, 8);
	ck_assert_ptr_nonnull(seen);
	ck_assert_ptr_nonnull(bm);
	simmem_logdirty_enable(m);
	if ((pid = fork()) == 0) {
		for (v = 1; v <= (uint64_t)NPAGES * ROUNDS; v++) {
			memcpy(simmem_page(m, v % NPAGES), &v, 8);
			simmem_mark_dirty(m, v % NPAGES);
		}
		_exit(0);
	}
	ck_assert_int_gt(pid, 0);
	while (!done) {
		done = waitpid(pid, &st, WNOHANG) == pid;
		simmem_dirty_clean(m, bm);
		for (i = 0; i < m->nwords; i++) {
			for (w = bm[i]; w != 0; w &= w - 1) {
				b = i * 64 + (size_t)__builtin_ctzll(w);
				memcpy(&v, simmem_page(m, b), 8);
				ck_assert_uint_ne(v, 0);
			}
			seen[i] |= bm[i];
		}
	}
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	for (i = 0; i < m->nwords; i++)
		ck_assert_uint_eq(seen[i], UINT64_MAX);
	free(seen);
	free(bm);
	simmem_close(m);
}
END_TEST

START_TEST(test_simmem_pause_handshake)
{
	struct simmem *m = make_mem(64);
	volatile uint64_t *counter;
	uint64_t snap, deadline;
	pid_t pid;
	int i;

	counter = (volatile uint64_t *)(void *)simmem_page(m, 1);
	if ((pid = fork()) == 0) {
		for (;;) {
			simmem_guest_pause_point(m);
			/* A "page write" that takes two steps. */
			*(volatile uint64_t *)(void *)simmem_page(m, 2) =
			    *counter + 1;
			(*counter)++;
			simmem_mark_dirty(m, 1);
		}
	}
	ck_assert_int_gt(pid, 0);
	ck_assert(!simmem_pause_acked(m));
	simmem_pause_request(m);
	ck_assert_int_eq(simmem_pause_wait(m, 5000), 0);
	snap = *counter;
	/* Paused between writes: both halves agree and nothing moves. */
	ck_assert_uint_eq(*(volatile uint64_t *)(void *)simmem_page(m, 2),
	    snap);
	for (i = 0; i < 100000; i++)
		ck_assert_uint_eq(*counter, snap);
	simmem_unpause(m);
	deadline = util_now_ms() + 5000;
	while (*counter == snap && util_now_ms() < deadline)
		;
	ck_assert_uint_gt(*counter, snap);
	/* Pause again, straight after an unpause. */
	simmem_pause_request(m);
	ck_assert_int_eq(simmem_pause_wait(m, 5000), 0);
	snap = *counter;
	for (i = 0; i < 100000; i++)
		ck_assert_uint_eq(*counter, snap);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	simmem_close(m);
}
END_TEST

START_TEST(test_simmem_pause_timeout)
{
	struct simmem *m = make_mem(16);

	/* Nobody acknowledges. */
	simmem_pause_request(m);
	ck_assert_int_eq(simmem_pause_wait(m, 50), -ETIMEDOUT);
	simmem_unpause(m);
	simmem_close(m);
}
END_TEST

/* The cost of a clean over a 1 GiB guest's bitmap: reported, not judged. */
START_TEST(test_simmem_clean_cost_1g)
{
	uint64_t npages = GiB / SIMMEM_PAGE_SIZE, t0, t1, pfn;
	struct simmem *m = make_mem(npages);
	uint64_t *bm = calloc(m->nwords, 8);

	ck_assert_ptr_nonnull(bm);
	for (pfn = 0; pfn < npages; pfn++)
		simmem_mark_dirty(m, pfn);
	t0 = util_now_ns();
	ck_assert_uint_eq(simmem_dirty_clean(m, bm), npages);
	t1 = util_now_ns();
	ck_assert_uint_eq(simmem_dirty_clean(m, bm), 0);
	fprintf(stderr, "clean of a 1 GiB dirty log, all dirty: %llu us, "
	    "then clean: %llu us\n", (unsigned long long)(t1 - t0) / 1000,
	    (unsigned long long)(util_now_ns() - t1) / 1000);
	free(bm);
	simmem_close(m);
}
END_TEST

static Suite *
simmem_suite(void)
{
	Suite *s = suite_create("simmem");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_simmem_create_and_open);
	tcase_add_test(tc, test_simmem_mark_peek_clean);
	tcase_add_test(tc, test_simmem_write_pages);
	tcase_add_test(tc, test_simmem_zero_unset);
	tcase_add_test(tc, test_simmem_defer_free);
	tcase_add_test(tc, test_simmem_clean_concurrent_writer);
	tcase_add_test(tc, test_simmem_pause_handshake);
	tcase_add_test(tc, test_simmem_pause_timeout);
	tcase_add_test(tc, test_simmem_clean_cost_1g);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(simmem_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
