/*
 * simdisk.c - a sim domain's disks: images, dirty logs, the guest's
 * block writer and check, and the backend's disk tracking.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yajl/yajl_tree.h>

#include "json.h"
#include "log.h"
#include "simdisk.h"
#include "simguest.h"
#include "simhost.h"
#include "simmem.h"
#include "util.h"

#define SD_WORDS	((SIMDISK_BLOCK - sizeof(struct simdisk_blk)) / 8)

_Static_assert(sizeof(struct simdisk_blk) == 24, "block head is 24 bytes");
_Static_assert(sizeof(((struct simguest_hdr *)0)->disk_blocks) ==
    SIMDISK_MAX * sizeof(uint64_t), "the guest header has every disk");

struct simdisk_io {
	unsigned	 n;
	uint64_t	 rate;
	int		 fd[SIMDISK_MAX];
	uint64_t	*dirty[SIMDISK_MAX];
	size_t		 dirty_len[SIMDISK_MAX];
	uint64_t	 blocks[SIMDISK_MAX];
	uint8_t		*buf;
	int		 told;
};

struct disk_track {
	int		 fd;
	uint64_t	*dirty;
	size_t		 dirty_len;
	uint64_t	 nblocks;
	int		 first;	/* every block counts as written */
};

static uint64_t
sd_mix(uint64_t z)
{
	z += UINT64_C(0x9e3779b97f4a7c15);
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* The payload of block (disk, block, gen); returns its checksum. */
static uint32_t
sd_fill(uint8_t *dst, uint32_t disk, uint64_t block, uint32_t gen)
{
	uint64_t s = sd_mix(((uint64_t)disk << 56) ^ (block << 20) ^ gen);
	uint64_t sum = 0, w;
	size_t i;

	for (i = 0; i < SD_WORDS; i++) {
		s += UINT64_C(0x9e3779b97f4a7c15);
		w = sd_mix(s);
		memcpy(dst + i * 8, &w, 8);
		sum = ((sum << 5) | (sum >> 59)) ^ w;
	}
	return (uint32_t)(sum ^ (sum >> 32));
}

static uint64_t
sd_blocks(uint64_t size)
{
	return size / SIMDISK_BLOCK;
}

uint64_t
simdisk_ledger_pages(const struct simdisk_cfg *c)
{
	uint64_t n = 0;
	unsigned i;

	for (i = 0; i < c->n; i++)
		n += sd_blocks(c->d[i].size);
	return n == 0 ? 0 : (n * 4 + SIMMEM_PAGE_SIZE - 1) / SIMMEM_PAGE_SIZE;
}

int
simdisk_cfg_check(const struct simdisk_cfg *c, char *why, size_t whylen)
{
	unsigned i;

	if (c->n > SIMDISK_MAX) {
		snprintf(why, whylen, "%u disks: at most %d", c->n,
		    SIMDISK_MAX);
		return -EINVAL;
	}
	for (i = 0; i < c->n; i++) {
		if (c->d[i].size == 0 || c->d[i].size % SIMDISK_BLOCK != 0 ||
		    c->d[i].size > SIMDISK_SIZE_MAX) {
			snprintf(why, whylen, "disk %u: %llu bytes: expected "
			    "a multiple of %u KiB up to 64 GiB", i,
			    (unsigned long long)c->d[i].size,
			    SIMDISK_BLOCK / 1024);
			return -EINVAL;
		}
	}
	return 0;
}

/* ------------------------------------------------------------ records */

struct sd_read {
	struct simdisk_cfg	*c;
	int			 bad;
};

static void
sd_kv(const char *key, const char *val, void *arg)
{
	struct sd_read *rd = arg;
	struct simdisk_cfg *c = rd->c;
	const char *sp;
	char num[32];
	uint64_t i, v;

	if (strcmp(key, "rate") == 0) {
		if (util_parse_uint(val, 0, UINT64_C(1) << 40, &c->rate) != 0)
			rd->bad = 1;
		return;
	}
	if (strncmp(key, "disk", 4) != 0 ||
	    util_parse_uint(key + 4, 0, SIMDISK_MAX - 1, &i) != 0 ||
	    (sp = strchr(val, ' ')) == NULL ||
	    (size_t)(sp - val) >= sizeof(num)) {
		rd->bad = 1;
		return;
	}
	memcpy(num, val, (size_t)(sp - val));
	num[sp - val] = '\0';
	if (util_parse_uint(num, 1, SIMDISK_SIZE_MAX, &v) != 0 ||
	    util_strlcpy(c->d[i].path, sp + 1, sizeof(c->d[i].path)) != 0 ||
	    i != c->n) {
		rd->bad = 1;
		return;
	}
	c->d[i].size = v;
	c->n++;
}

int
simdisk_cfg_read(struct simhost *h, uint32_t domid, struct simdisk_cfg *c)
{
	struct sd_read rd = { .c = c };
	char path[PATH_MAX], why[128];
	int rc;

	memset(c, 0, sizeof(*c));
	if (simhost_dom_path(h, domid, "disks", path, sizeof(path)) != 0)
		return -ENAMETOOLONG;
	if ((rc = util_read_kv(path, sd_kv, &rd)) != 0)
		return rc == -ENOENT ? -ENOENT : rc;
	if (rd.bad || simdisk_cfg_check(c, why, sizeof(why)) != 0) {
		log_warnx("%s: not a disks file", path);
		memset(c, 0, sizeof(*c));
		return -EINVAL;
	}
	return 0;
}

/* Create (or clear) the dirty log of disk i. */
static int
sd_dirty_create(struct simhost *h, uint32_t domid, unsigned i,
    uint64_t size)
{
	char leaf[32], path[PATH_MAX];
	off_t len = (off_t)((sd_blocks(size) + 63) / 64 * 8);
	int fd, rc = 0;

	snprintf(leaf, sizeof(leaf), "disk%u.dirty", i);
	if (simhost_dom_path(h, domid, leaf, path, sizeof(path)) != 0)
		return -ENAMETOOLONG;
	if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1 || ftruncate(fd, len) == -1) {
		rc = -errno;
		log_warn("%s", path);
	}
	if (fd != -1)
		close(fd);
	return rc;
}

int
simdisk_attach(struct simhost *h, uint32_t domid, const struct simdisk_cfg *c)
{
	char text[SIMDISK_MAX * (PATH_MAX + 40) + 64];
	size_t off;
	unsigned i;
	int rc;

	off = (size_t)snprintf(text, sizeof(text), "rate=%llu\n",
	    (unsigned long long)c->rate);
	for (i = 0; i < c->n; i++) {
		if ((rc = sd_dirty_create(h, domid, i, c->d[i].size)) != 0)
			return rc;
		off += (size_t)snprintf(text + off, sizeof(text) - off,
		    "disk%u=%llu %s\n", i, (unsigned long long)c->d[i].size,
		    c->d[i].path);
	}
	return simhost_dom_write_file(h, domid, "disks", text);
}

int
simdisk_create_images(struct simhost *h, const char *name,
    struct simdisk_cfg *c)
{
	char dir[PATH_MAX];
	unsigned i;
	int fd, rc = 0;

	if ((size_t)snprintf(dir, sizeof(dir), "%s/disks", simhost_dir(h)) >=
	    sizeof(dir))
		return -ENAMETOOLONG;
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		log_warn("%s", dir);
		return -errno;
	}
	for (i = 0; i < c->n; i++) {
		if ((size_t)snprintf(c->d[i].path, sizeof(c->d[i].path),
		    "%s/%s-%u.img", dir, name, i) >= sizeof(c->d[i].path)) {
			rc = -ENAMETOOLONG;
			break;
		}
		fd = open(c->d[i].path, O_WRONLY | O_CREAT | O_EXCL |
		    O_CLOEXEC, 0600);
		if (fd == -1 || ftruncate(fd, (off_t)c->d[i].size) == -1) {
			rc = -errno;
			log_warn("disk image %s", c->d[i].path);
			if (fd != -1) {
				close(fd);
				unlink(c->d[i].path);
			}
			break;
		}
		close(fd);
	}
	if (rc != 0)
		while (i-- > 0)
			unlink(c->d[i].path);
	return rc;
}

void
simdisk_remove_images(const struct simdisk_cfg *c)
{
	unsigned i;

	for (i = 0; i < c->n; i++)
		if (c->d[i].path[0] != '\0' && unlink(c->d[i].path) != 0)
			log_warn("%s", c->d[i].path);
}

/* ------------------------------------------------------------ ledger */

static struct simguest_hdr *
sd_hdr(const struct simmem *m)
{
	return (struct simguest_hdr *)(void *)simmem_page(m, 0);
}

int
simdisk_format(struct simmem *m, const struct simdisk_cfg *c)
{
	struct simguest_hdr *h = sd_hdr(m);
	uint64_t pages = simdisk_ledger_pages(c), data, pfn;
	unsigned i;

	if (c->n == 0)
		return 0;
	data = h->ledger_start + h->ledger_pages;
	if (pages + SIMGUEST_MIN_PAGES > m->npages - data) {
		log_warnx("disk ledger of %llu pages: the memory is too small",
		    (unsigned long long)pages);
		return -EINVAL;
	}
	h->disk_pages = pages;
	h->disk_count = c->n;
	for (i = 0; i < c->n; i++)
		h->disk_blocks[i] = sd_blocks(c->d[i].size);
	h->disk_prng = sd_mix(m->npages ^ c->n) | 1;
	if (h->ws_pages > m->npages - data - pages)
		h->ws_pages = m->npages - data - pages;
	if (h->cursor >= h->ws_pages)
		h->cursor = 0;
	for (pfn = m->npages - pages; pfn < m->npages; pfn++)
		memset(simmem_page(m, pfn), 0, SIMMEM_PAGE_SIZE);
	return 0;
}

/* The ledger entry of (disk, block), and its page. */
static uint32_t *
sd_ledger(const struct simmem *m, unsigned disk, uint64_t block,
    uint64_t *pfn)
{
	const struct simguest_hdr *h = sd_hdr(m);
	uint64_t idx = block, first = m->npages - h->disk_pages;
	unsigned i;

	for (i = 0; i < disk; i++)
		idx += h->disk_blocks[i];
	*pfn = first + idx * 4 / SIMMEM_PAGE_SIZE;
	return (uint32_t *)(void *)(simmem_page(m, first) + idx * 4);
}

/* ------------------------------------------------------------ guest */

static void
sd_dirty_unmap(uint64_t *p, size_t len)
{
	if (p != NULL && len > 0)
		munmap(p, len);
}

/* Map the dirty log of disk i of "domid" shared. */
static int
sd_dirty_map(struct simhost *h, uint32_t domid, unsigned i, uint64_t nblocks,
    uint64_t **out, size_t *len)
{
	char leaf[32], path[PATH_MAX];
	struct stat st;
	void *p;
	int fd, rc = 0;

	*len = (size_t)((nblocks + 63) / 64 * 8);
	snprintf(leaf, sizeof(leaf), "disk%u.dirty", i);
	if (simhost_dom_path(h, domid, leaf, path, sizeof(path)) != 0)
		return -ENAMETOOLONG;
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) == -1) {
		log_warn("%s", path);
		return -errno;
	}
	if (fstat(fd, &st) == -1 || (uint64_t)st.st_size != *len) {
		log_warnx("%s: not a dirty log of %llu blocks", path,
		    (unsigned long long)nblocks);
		close(fd);
		return -EINVAL;
	}
	p = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		rc = -errno;
		log_warn("mmap %s", path);
	} else
		*out = p;
	close(fd);
	return rc;
}

void
simdisk_io_close(struct simdisk_io *io)
{
	unsigned i;

	if (io == NULL)
		return;
	for (i = 0; i < io->n; i++) {
		if (io->fd[i] != -1)
			close(io->fd[i]);
		sd_dirty_unmap(io->dirty[i], io->dirty_len[i]);
	}
	free(io->buf);
	free(io);
}

int
simdisk_io_open(struct simhost *h, uint32_t domid, struct simdisk_io **out)
{
	struct simdisk_io *io;
	struct simdisk_cfg c;
	unsigned i;
	int rc;

	*out = NULL;
	if ((rc = simdisk_cfg_read(h, domid, &c)) != 0)
		return rc == -ENOENT ? 0 : rc;
	if (c.n == 0)
		return 0;
	if ((io = calloc(1, sizeof(*io))) == NULL ||
	    (io->buf = malloc(SIMDISK_BLOCK)) == NULL) {
		free(io);
		return -ENOMEM;
	}
	io->rate = c.rate;
	for (i = 0; i < c.n; i++)
		io->fd[i] = -1;
	for (i = 0; i < c.n; i++) {
		io->n = i + 1;
		io->blocks[i] = sd_blocks(c.d[i].size);
		if ((io->fd[i] = open(c.d[i].path, O_RDWR | O_CLOEXEC)) ==
		    -1) {
			rc = -errno;
			log_warn("domain %u: disk %s", domid, c.d[i].path);
			goto fail;
		}
		if ((rc = sd_dirty_map(h, domid, i, io->blocks[i],
		    &io->dirty[i], &io->dirty_len[i])) != 0)
			goto fail;
	}
	*out = io;
	return 0;
fail:
	simdisk_io_close(io);
	return rc;
}

uint64_t
simdisk_io_rate(const struct simdisk_io *io)
{
	return io != NULL ? io->rate : 0;
}

int
simdisk_write_one(struct simdisk_io *io, struct simmem *m)
{
	struct simguest_hdr *h = sd_hdr(m);
	struct simdisk_blk bh;
	uint64_t x, block, pfn;
	uint32_t *ledger;
	unsigned disk;

	if (h->disk_count != io->n)
		return -EINVAL;
	x = h->disk_prng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	h->disk_prng = x;
	disk = (unsigned)(h->disk_writes % io->n);
	block = (uint64_t)(((unsigned __int128)x * io->blocks[disk]) >> 64);
	ledger = sd_ledger(m, disk, block, &pfn);
	bh.magic = SIMDISK_MAGIC;
	bh.disk = disk;
	bh.block = block;
	bh.gen = *ledger + 1;
	bh.csum = sd_fill(io->buf + sizeof(bh), disk, block, bh.gen);
	memcpy(io->buf, &bh, sizeof(bh));
	if (pwrite(io->fd[disk], io->buf, SIMDISK_BLOCK,
	    (off_t)(block * SIMDISK_BLOCK)) != (ssize_t)SIMDISK_BLOCK) {
		if (!io->told)
			log_warn("disk %u: write of block %llu", disk,
			    (unsigned long long)block);
		io->told = 1;
		return -EIO;
	}
	__atomic_fetch_or(&io->dirty[disk][block / 64],
	    UINT64_C(1) << (block % 64), __ATOMIC_SEQ_CST);
	*ledger = bh.gen;
	simmem_mark_dirty(m, pfn);
	h->disk_writes++;
	simmem_mark_dirty(m, 0);
	return 0;
}

/* ------------------------------------------------------------ check */

static int
sd_zero(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

/* Check one block read into b; "" or the defect in why. */
static void
sd_check_block(const uint8_t *b, uint8_t *expect, unsigned disk,
    uint64_t block, uint32_t lgen, char *why, size_t len)
{
	struct simdisk_blk bh;

	why[0] = '\0';
	if (lgen == 0) {
		if (!sd_zero(b, SIMDISK_BLOCK))
			snprintf(why, len, "never written, but not zeros");
		return;
	}
	memcpy(&bh, b, sizeof(bh));
	if (sd_zero(b, SIMDISK_BLOCK))
		snprintf(why, len, "missing (zeros), ledger says "
		    "generation %u", lgen);
	else if (bh.magic != SIMDISK_MAGIC || bh.disk != disk ||
	    bh.block != block)
		snprintf(why, len, "holds another block");
	else if (bh.gen != lgen)
		snprintf(why, len, "generation %u, ledger says %u (%s)",
		    bh.gen, lgen, bh.gen < lgen ? "stale" : "ahead");
	else if (sd_fill(expect + sizeof(bh), disk, block, bh.gen) !=
	    bh.csum || memcmp(expect + sizeof(bh), b + sizeof(bh),
	    SIMDISK_BLOCK - sizeof(bh)) != 0)
		snprintf(why, len, "corrupted");
}

int
simdisk_verify(struct simhost *h, uint32_t domid, const struct simmem *m,
    struct simguest_report *r)
{
	const struct simguest_hdr *hdr = sd_hdr(m);
	struct simdisk_cfg c;
	uint8_t *b = NULL, *expect = NULL;
	uint64_t block, pfn;
	char why[128];
	unsigned i;
	int rc, fd;

	if ((rc = simdisk_cfg_read(h, domid, &c)) != 0)
		c.n = 0;
	if (rc != 0 && rc != -ENOENT)
		return rc;
	if (c.n != hdr->disk_count) {
		snprintf(r->disk_error, sizeof(r->disk_error), "the guest "
		    "knows %llu disks, the domain has %u",
		    (unsigned long long)hdr->disk_count, c.n);
		return 1;
	}
	if (c.n == 0)
		return 0;
	if ((b = malloc(SIMDISK_BLOCK)) == NULL ||
	    (expect = malloc(SIMDISK_BLOCK)) == NULL) {
		free(b);
		return -ENOMEM;
	}
	for (i = 0; i < c.n; i++) {
		if (hdr->disk_blocks[i] != sd_blocks(c.d[i].size) ||
		    (fd = open(c.d[i].path, O_RDONLY | O_CLOEXEC)) == -1) {
			snprintf(r->disk_error, sizeof(r->disk_error),
			    "disk %u (%s): missing or of another size", i,
			    c.d[i].path);
			r->disk_bad++;
			continue;
		}
		for (block = 0; block < hdr->disk_blocks[i]; block++) {
			r->disk_blocks++;
			if (pread(fd, b, SIMDISK_BLOCK, (off_t)(block *
			    SIMDISK_BLOCK)) != (ssize_t)SIMDISK_BLOCK)
				snprintf(why, sizeof(why), "cannot be read");
			else
				sd_check_block(b, expect, i, block,
				    *sd_ledger(m, i, block, &pfn), why,
				    sizeof(why));
			if (why[0] == '\0')
				continue;
			if (r->disk_bad++ == 0)
				snprintf(r->disk_error, sizeof(r->disk_error),
				    "disk %u block %llu: %s", i,
				    (unsigned long long)block, why);
		}
		close(fd);
	}
	free(b);
	free(expect);
	return r->disk_bad == 0 ? 0 : 1;
}

/* ------------------------------------------------------------ backend */

int
simdisk_list(struct simhost *h, uint32_t domid, struct be_disk *out,
    size_t max, size_t *n)
{
	struct simdisk_cfg c;
	unsigned i;
	int rc;

	*n = 0;
	if ((rc = simdisk_cfg_read(h, domid, &c)) != 0)
		return rc == -ENOENT ? 0 : rc;
	for (i = 0; i < c.n && *n < max; i++, (*n)++) {
		memset(&out[i], 0, sizeof(out[i]));
		snprintf(out[i].vdev, sizeof(out[i].vdev), "xvd%c", 'a' + i);
		if (util_strlcpy(out[i].path, c.d[i].path,
		    sizeof(out[i].path)) != 0)
			return -ENAMETOOLONG;
		snprintf(out[i].format, sizeof(out[i].format), "raw");
		snprintf(out[i].kind, sizeof(out[i].kind), "sim");
		out[i].size = c.d[i].size;
		out[i].trackable = 1;
	}
	return 0;
}

int
simdisk_track_start(struct simhost *h, uint32_t domid, unsigned idx,
    const struct be_disk *d, uint32_t block, struct disk_track **out)
{
	struct disk_track *t;
	int rc;

	if (block != SIMDISK_BLOCK || idx >= SIMDISK_MAX ||
	    d->size % SIMDISK_BLOCK != 0)
		return -EINVAL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -ENOMEM;
	t->nblocks = d->size / SIMDISK_BLOCK;
	t->first = 1;
	if ((t->fd = open(d->path, O_RDONLY | O_CLOEXEC)) == -1) {
		rc = -errno;
		log_warn("disk %s", d->path);
		free(t);
		return rc;
	}
	if ((rc = sd_dirty_map(h, domid, idx, t->nblocks, &t->dirty,
	    &t->dirty_len)) != 0) {
		close(t->fd);
		free(t);
		return rc;
	}
	*out = t;
	return 0;
}

int
simdisk_track_dirty(struct disk_track *t, uint64_t *bits, uint64_t nblocks)
{
	size_t w, words = (size_t)((t->nblocks + 63) / 64);
	uint64_t v;

	if (nblocks != t->nblocks)
		return -EINVAL;
	for (w = 0; w < words; w++) {
		v = __atomic_exchange_n(&t->dirty[w], 0, __ATOMIC_SEQ_CST);
		bits[w] |= t->first ? ~UINT64_C(0) : v;
	}
	if (t->first && t->nblocks % 64 != 0)
		bits[words - 1] &= (UINT64_C(1) << (t->nblocks % 64)) - 1;
	t->first = 0;
	return 0;
}

int
simdisk_track_read(struct disk_track *t, uint64_t off, void *buf, size_t len)
{
	ssize_t n;

	if (off > t->nblocks * SIMDISK_BLOCK ||
	    len > t->nblocks * SIMDISK_BLOCK - off)
		return -EINVAL;
	n = pread(t->fd, buf, len, (off_t)off);
	if (n < 0)
		return -errno;
	if ((size_t)n < len)	/* past the end of a sparse file: zeros */
		memset((uint8_t *)buf + n, 0, len - (size_t)n);
	return 0;
}

void
simdisk_track_stop(struct disk_track *t)
{
	if (t == NULL)
		return;
	close(t->fd);
	sd_dirty_unmap(t->dirty, t->dirty_len);
	free(t);
}

/* ------------------------------------------------------------ config */

int
simdisk_cfg_from_json(const char *json, struct simdisk_cfg *c)
{
	const char *dpath[] = { "disks", NULL };
	const char *ppath[] = { "pdev_path", NULL };
	const char *rpath[] = { "xmig_sim", "disk_rate", NULL };
	char err[128], why[160];
	yajl_val root, disks, p, rate;
	struct stat st;
	size_t i;
	int rc = -EINVAL;

	memset(c, 0, sizeof(*c));
	if (json == NULL)
		return 0;
	if ((root = json_parse(json, err, sizeof(err))) == NULL) {
		log_warnx("domain config is not JSON: %s", err);
		return -EINVAL;
	}
	disks = yajl_tree_get(root, dpath, yajl_t_array);
	rate = yajl_tree_get(root, rpath, yajl_t_any);
	if (disks == NULL) {
		rc = 0;
		goto out;
	}
	if (disks->u.array.len > SIMDISK_MAX) {
		log_warnx("domain config: %zu disks, at most %d",
		    disks->u.array.len, SIMDISK_MAX);
		goto out;
	}
	if (rate != NULL && (!YAJL_IS_INTEGER(rate) ||
	    YAJL_GET_INTEGER(rate) < 0 ||
	    YAJL_GET_INTEGER(rate) > (INT64_C(1) << 40))) {
		log_warnx("domain config: xmig_sim.disk_rate: bad value");
		goto out;
	}
	c->rate = rate != NULL ? (uint64_t)YAJL_GET_INTEGER(rate) : 0;
	for (i = 0; i < disks->u.array.len; i++) {
		p = yajl_tree_get(disks->u.array.values[i], ppath,
		    yajl_t_string);
		if (p == NULL || p->u.string[0] != '/' ||
		    util_strlcpy(c->d[i].path, p->u.string,
		    sizeof(c->d[i].path)) != 0) {
			log_warnx("domain config: disk %zu: no absolute "
			    "pdev_path", i);
			goto out;
		}
		if (stat(c->d[i].path, &st) == -1 || !S_ISREG(st.st_mode)) {
			log_warnx("domain config: disk %zu: %s is not an "
			    "image file here", i, c->d[i].path);
			goto out;
		}
		c->d[i].size = (uint64_t)st.st_size;
		c->n = (unsigned)i + 1;
	}
	if (simdisk_cfg_check(c, why, sizeof(why)) != 0) {
		log_warnx("domain config: %s", why);
		goto out;
	}
	rc = 0;
out:
	if (rc != 0)
		memset(c, 0, sizeof(*c));
	yajl_tree_free(root);
	return rc;
}
