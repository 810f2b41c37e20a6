/*
 * guest_pattern.c - the workload of the real-Xen harness's guests: init
 * of a tiny initramfs, built static by tests/xen/harness.sh (not by make).
 *
 * Fills "mb" MiB with a pattern where every 8-byte word is a function of
 * its page, its place in the page and the page's generation, keeps the
 * generations in a table, then forever: rewrites "dirty" pages with a new
 * generation (so live migration has pages to chase), checks every page
 * against the table and prints one verdict line on the console:
 *
 *   PATTERN-READY mb=32 pages=8192
 *   PATTERN-OK round=7 checked=8192 dirtied=1792
 *   PATTERN-BAD round=7 page=123 word=4 want=... got=...
 *
 * A page lost or corrupted by a save/restore/migration shows up as BAD
 * within one period; the harness greps for these lines.
 *
 *   guest_pattern [mb [period_s [dirty_pages_per_round]]]
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define GP_PAGE		4096
#define GP_WORDS	(GP_PAGE / sizeof(uint64_t))

static uint64_t
gp_word(uint64_t page, uint64_t word, uint64_t gen)
{
	uint64_t x = (page << 20) ^ (word << 8) ^ (gen * 0x9e3779b97f4a7c15ULL);

	/* splitmix64 finaliser: neighbouring words differ in every bit */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static void
gp_fill(uint64_t *mem, uint64_t page, uint64_t gen)
{
	uint64_t *p = mem + page * GP_WORDS;
	uint64_t w;

	for (w = 0; w < GP_WORDS; w++)
		p[w] = gp_word(page, w, gen);
}

/* Returns the number of bad pages, printing the first. */
static uint64_t
gp_check(const uint64_t *mem, const uint64_t *gen, uint64_t pages,
    unsigned round)
{
	uint64_t page, w, want, bad = 0;
	const uint64_t *p;

	for (page = 0; page < pages; page++) {
		p = mem + page * GP_WORDS;
		for (w = 0; w < GP_WORDS; w++) {
			want = gp_word(page, w, gen[page]);
			if (p[w] == want)
				continue;
			if (bad == 0)
				printf("PATTERN-BAD round=%u page=%" PRIu64
				    " word=%" PRIu64 " want=%016" PRIx64
				    " got=%016" PRIx64 "\n", round, page, w,
				    want, p[w]);
			bad++;
			break;
		}
	}
	return bad;
}

int
main(int argc, char **argv)
{
	uint64_t mb = argc > 1 ? strtoull(argv[1], NULL, 10) : 32;
	unsigned period = argc > 2 ? strtoul(argv[2], NULL, 10) : 2;
	uint64_t dirty = argc > 3 ? strtoull(argv[3], NULL, 10) : 256;
	uint64_t pages = mb * 1024 * 1024 / GP_PAGE, page, next = 0, bad, i;
	uint64_t *mem, *gen;
	unsigned round;

	setvbuf(stdout, NULL, _IOLBF, 0);
	mem = aligned_alloc(GP_PAGE, pages * GP_PAGE);
	gen = calloc(pages, sizeof(*gen));
	if (mem == NULL || gen == NULL || pages == 0) {
		printf("PATTERN-BAD cannot allocate %" PRIu64 " MiB\n", mb);
		return 1;
	}
	for (page = 0; page < pages; page++)
		gp_fill(mem, page, 0);
	printf("PATTERN-READY mb=%" PRIu64 " pages=%" PRIu64 "\n", mb, pages);
	for (round = 1;; round++) {
		sleep(period);
		for (i = 0; i < dirty && i < pages; i++) {
			gen[next]++;
			gp_fill(mem, next, gen[next]);
			next = (next + 1) % pages;
		}
		bad = gp_check(mem, gen, pages, round);
		if (bad == 0)
			printf("PATTERN-OK round=%u checked=%" PRIu64
			    " dirtied=%" PRIu64 "\n", round, pages,
			    round * (dirty < pages ? dirty : pages));
		else
			printf("PATTERN-BAD round=%u pages=%" PRIu64 "\n",
			    round, bad);
	}
}
