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
 * With a disk (a block device that opens), the same for its 4 KiB
 * blocks, written and read back with O_DIRECT (not from the page cache):
 * every block written once at the start, "dirty_blocks" more each round,
 * then every block read back and checked against the generations, which
 * are in memory and so move with the guest:
 *
 *   DISK-READY blocks=4096
 *   DISK-OK round=7 checked=4096 written=4544
 *   DISK-BAD round=7 block=12 word=0 want=... got=...
 *
 *   guest_pattern [mb [period_s [dirty_pages_per_round [disk
 *       [dirty_blocks_per_round]]]]]
 */
#define _GNU_SOURCE	/* O_DIRECT */
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define GP_PAGE		4096
#define GP_WORDS	(GP_PAGE / sizeof(uint64_t))
#define GP_CHUNK	(256 * GP_PAGE)	/* blocks read back at once */
#define GP_DISK_TAG	(UINT64_C(1) << 40)	/* disk words differ */

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

struct gp_disk {
	int		 fd;
	uint64_t	 blocks;
	uint64_t	*gen;
	uint64_t	*buf;		/* GP_CHUNK bytes, aligned */
	uint64_t	 next;
	uint64_t	 written;
};

static int
gp_disk_write(struct gp_disk *d, uint64_t block)
{
	uint64_t w;

	for (w = 0; w < GP_WORDS; w++)
		d->buf[w] = gp_word(block | GP_DISK_TAG, w, d->gen[block]);
	if (pwrite(d->fd, d->buf, GP_PAGE, (off_t)(block * GP_PAGE)) !=
	    GP_PAGE) {
		printf("DISK-BAD cannot write block %" PRIu64 "\n", block);
		return -1;
	}
	d->written++;
	return 0;
}

/* Open the disk and write every block once; -1 without a disk. */
static int
gp_disk_open(struct gp_disk *d, const char *path)
{
	off_t size;
	uint64_t b;

	if ((d->fd = open(path, O_RDWR | O_DIRECT | O_SYNC)) < 0)
		return -1;
	size = lseek(d->fd, 0, SEEK_END);
	d->blocks = size > 0 ? (uint64_t)size / GP_PAGE : 0;
	d->gen = calloc(d->blocks + 1, sizeof(*d->gen));
	d->buf = aligned_alloc(GP_PAGE, GP_CHUNK);
	if (d->blocks == 0 || d->gen == NULL || d->buf == NULL) {
		printf("DISK-BAD cannot use %s\n", path);
		return -1;
	}
	for (b = 0; b < d->blocks; b++)
		if (gp_disk_write(d, b) != 0)
			return -1;
	printf("DISK-READY blocks=%" PRIu64 "\n", d->blocks);
	return 0;
}

/* Write "dirty" blocks anew, read every block back; bad blocks. */
static uint64_t
gp_disk_round(struct gp_disk *d, uint64_t dirty, unsigned round)
{
	uint64_t i, b, w, n, want, bad = 0;
	const uint64_t *p;

	for (i = 0; i < dirty && i < d->blocks; i++) {
		d->gen[d->next]++;
		if (gp_disk_write(d, d->next) != 0)
			return 1;
		d->next = (d->next + 1) % d->blocks;
	}
	for (b = 0; b < d->blocks; b += n) {
		n = d->blocks - b < GP_CHUNK / GP_PAGE ? d->blocks - b :
		    GP_CHUNK / GP_PAGE;
		if (pread(d->fd, d->buf, n * GP_PAGE, (off_t)(b * GP_PAGE)) !=
		    (ssize_t)(n * GP_PAGE)) {
			printf("DISK-BAD round=%u cannot read block %" PRIu64
			    "\n", round, b);
			return 1;
		}
		for (i = 0; i < n; i++) {
			p = d->buf + i * GP_WORDS;
			for (w = 0; w < GP_WORDS; w++) {
				want = gp_word((b + i) | GP_DISK_TAG, w,
				    d->gen[b + i]);
				if (p[w] == want)
					continue;
				if (bad == 0)
					printf("DISK-BAD round=%u block=%"
					    PRIu64 " word=%" PRIu64 " want=%016"
					    PRIx64 " got=%016" PRIx64 "\n",
					    round, b + i, w, want, p[w]);
				bad++;
				break;
			}
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
	uint64_t ddirty = argc > 5 ? strtoull(argv[5], NULL, 10) : 64;
	struct gp_disk disk = { .fd = -1 };
	int has_disk = 0;
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
	if (argc > 4 && gp_disk_open(&disk, argv[4]) == 0)
		has_disk = 1;
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
		if (!has_disk)
			continue;
		bad = gp_disk_round(&disk, ddirty, round);
		if (bad == 0)
			printf("DISK-OK round=%u checked=%" PRIu64 " written=%"
			    PRIu64 "\n", round, disk.blocks, disk.written);
		else
			printf("DISK-BAD round=%u blocks=%" PRIu64 "\n", round,
			    bad);
	}
}
