/*
 * simmem-bench.c - what the simulated dirty log and guest cost: reading
 * and clearing the log of a 1 GiB guest (262144 pages, 4096 words), and
 * the fastest rate the guest's page writer reaches on this machine.
 *
 * usage: simmem-bench [DIR]   (scratch files go in DIR, default /tmp)
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sim/simguest.h"
#include "sim/simmem.h"
#include "util.h"

#define RUNS	50

static double
bench_clean(struct simmem *m, uint64_t *bm, uint64_t every)
{
	uint64_t pfn, t, best = UINT64_MAX;
	int i;

	for (i = 0; i < RUNS; i++) {
		for (pfn = 0; every != 0 && pfn < m->npages; pfn += every)
			simmem_mark_dirty(m, pfn);
		t = util_now_ns();
		(void)simmem_dirty_clean(m, bm);
		t = util_now_ns() - t;
		if (t < best)
			best = t;
	}
	return (double)best / 1000.0;
}

int
main(int argc, char **argv)
{
	char mem[PATH_MAX], sh[PATH_MAX];
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	struct simmem *m;
	uint64_t *bm, t0, n = 0, el;

	log_init("simmem-bench", 1, LOG_LVL_WARN);
	snprintf(mem, sizeof(mem), "%s/simmem-bench.%ld.mem", dir,
	    (long)getpid());
	snprintf(sh, sizeof(sh), "%s/simmem-bench.%ld.shared", dir,
	    (long)getpid());
	if (simmem_create(mem, sh, GiB / SIMMEM_PAGE_SIZE, NULL) != 0 ||
	    simmem_open(mem, sh, &m) != 0)
		return 1;
	bm = calloc(m->nwords, 8);
	if (bm == NULL)
		return 1;
	printf("dirty log of 1 GiB (%llu pages, %zu words), best of %d:\n",
	    (unsigned long long)m->npages, m->nwords, RUNS);
	printf("  clean, nothing dirty:   %8.1f us\n", bench_clean(m, bm, 0));
	printf("  clean, 1 page in 64:    %8.1f us\n",
	    bench_clean(m, bm, 64));
	printf("  clean, every page:      %8.1f us\n", bench_clean(m, bm, 1));
	printf("  peek, every page:       ");
	for (t0 = 0; t0 < m->npages; t0++)
		simmem_mark_dirty(m, t0);
	t0 = util_now_ns();
	(void)simmem_dirty_peek(m, bm);
	printf("%8.1f us\n", (double)(util_now_ns() - t0) / 1000.0);

	if (simguest_format(m, 0, SIMGUEST_MODE_RANDOM, 0) != 0)
		return 1;
	t0 = util_now_ns();
	do {
		for (int i = 0; i < 4096; i++)
			simguest_write_one(m);
		n += 4096;
	} while ((el = util_now_ns() - t0) < UINT64_C(1000000000));
	printf("guest page writer, one thread: %.0f MiB/s (%.0f pages/s)\n",
	    (double)n * SIMMEM_PAGE_SIZE / MiB / ((double)el / 1e9),
	    (double)n / ((double)el / 1e9));
	free(bm);
	simmem_close(m);
	unlink(mem);
	unlink(sh);
	return 0;
}
