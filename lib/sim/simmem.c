/*
 * simmem.c - a simulated domain's memory, dirty log and pause handshake.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/futex.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "simmem.h"
#include "util.h"

static size_t
simmem_shared_len(uint64_t npages)
{
	return SIMMEM_PAGE_SIZE + simmem_bitmap_words(npages) * 8;
}

/* Shared futex ops: no FUTEX_PRIVATE_FLAG, the words live in a file. */
static void
simmem_futex_wait(uint32_t *word, uint32_t val, uint64_t timeout_ns)
{
	struct timespec ts, *tsp = NULL;

	if (timeout_ns != 0) {
		ts.tv_sec = (time_t)(timeout_ns / 1000000000u);
		ts.tv_nsec = (long)(timeout_ns % 1000000000u);
		tsp = &ts;
	}
	(void)syscall(SYS_futex, word, FUTEX_WAIT, val, tsp, NULL, 0);
}

static void
simmem_futex_wake(uint32_t *word)
{
	(void)syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/*
 * Create "path" with len bytes of zeros, or, with "reuse", take that
 * file over (renamed to path) and resize it; its old contents stay.
 */
static int
simmem_create_file(const char *path, size_t len, const char *reuse,
    int *fdp)
{
	int fd, rc;

	if (reuse != NULL) {
		if (link(reuse, path) == -1) {	/* fails if path exists */
			rc = -errno;
			log_warn("reuse %s as %s", reuse, path);
			return rc;
		}
		(void)unlink(reuse);
		fd = open(path, O_RDWR | O_CLOEXEC);
	} else
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1) {
		rc = -errno;
		log_warn("create %s", path);
		if (reuse != NULL)
			unlink(path);
		return rc;
	}
	if (ftruncate(fd, (off_t)len) == -1) {
		rc = -errno;
		log_warn("size %s", path);
		close(fd);
		unlink(path);
		return rc;
	}
	/*
	 * The memory is the domain's from its creation, as Xen populates a
	 * domain when it builds it: allocated now, not page by page on first
	 * touch (a fault per page, several times slower, in the middle of a
	 * restore).  A file system without fallocate gets a sparse file.
	 */
	if (fallocate(fd, 0, 0, (off_t)len) == -1 && errno != EOPNOTSUPP) {
		rc = -errno;
		log_warn("allocate %zu bytes for %s", len, path);
		close(fd);
		unlink(path);
		return rc;
	}
	*fdp = fd;
	return 0;
}

int
simmem_create(const char *mem_path, const char *shared_path,
    uint64_t npages, const char *reuse)
{
	struct simmem_ctl ctl;
	int mfd, sfd, rc;

	if (npages == 0 || npages > SIMMEM_MAX_PAGES) {
		log_warnx("simmem: %llu pages: out of range",
		    (unsigned long long)npages);
		return -EINVAL;
	}
	if ((rc = simmem_create_file(mem_path, npages * SIMMEM_PAGE_SIZE,
	    reuse, &mfd)) != 0)
		return rc;
	close(mfd);
	if ((rc = simmem_create_file(shared_path, simmem_shared_len(npages),
	    NULL, &sfd)) != 0)
		goto fail_unlink_mem;
	memset(&ctl, 0, sizeof(ctl));
	ctl.magic = SIMMEM_CTL_MAGIC;
	ctl.version = SIMMEM_CTL_VERSION;
	ctl.npages = npages;
	if (pwrite(sfd, &ctl, sizeof(ctl), 0) != (ssize_t)sizeof(ctl)) {
		rc = -EIO;
		log_warn("write %s", shared_path);
		close(sfd);
		unlink(shared_path);
		goto fail_unlink_mem;
	}
	close(sfd);
	return 0;

fail_unlink_mem:
	unlink(mem_path);
	return rc;
}

static int
simmem_map(const char *path, size_t want, void **addr, int *fdp)
{
	struct stat st, pst;
	int fd, rc = 0;

	if ((fd = open(path, O_RDWR | O_CLOEXEC)) == -1) {
		rc = -errno;
		log_warn("open %s", path);
		return rc;
	}
	/*
	 * The memory file is held with a shared lock while mapped: a
	 * destroyed domain's file is reused only if nobody holds it
	 * (simmem_retire).  Opened just as it was retired: not ours.
	 */
	if (fdp != NULL && (flock(fd, LOCK_SH) == -1 ||
	    stat(path, &pst) == -1)) {
		rc = errno == ENOENT ? -ESRCH : -errno;
		goto out;
	}
	if (fstat(fd, &st) == -1) {
		rc = -errno;
		log_warn("stat %s", path);
		goto out;
	}
	if (fdp != NULL && (st.st_ino != pst.st_ino ||
	    st.st_dev != pst.st_dev)) {
		rc = -ESRCH;
		goto out;
	}
	if (want == 0) {	/* just the control area, to learn npages */
		if ((size_t)st.st_size < SIMMEM_PAGE_SIZE) {
			log_warnx("%s: too short for a control area", path);
			rc = -EINVAL;
			goto out;
		}
		want = SIMMEM_PAGE_SIZE;
	} else if ((uint64_t)st.st_size != want) {
		log_warnx("%s: %lld bytes, expected %zu", path,
		    (long long)st.st_size, want);
		rc = -EINVAL;
		goto out;
	}
	*addr = mmap(NULL, want, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (*addr == MAP_FAILED) {
		rc = -errno;
		log_warn("mmap %s", path);
	}
out:
	if (rc == 0 && fdp != NULL)
		*fdp = fd;
	else
		close(fd);
	return rc;
}

int
simmem_open(const char *mem_path, const char *shared_path,
    struct simmem **out)
{
	struct simmem *m;
	void *probe, *sh = NULL, *mem = NULL;
	uint64_t npages;
	int rc;

	if ((rc = simmem_map(shared_path, 0, &probe, NULL)) != 0)
		return rc;
	npages = ((struct simmem_ctl *)probe)->npages;
	if (((struct simmem_ctl *)probe)->magic != SIMMEM_CTL_MAGIC ||
	    ((struct simmem_ctl *)probe)->version != SIMMEM_CTL_VERSION ||
	    npages == 0 || npages > SIMMEM_MAX_PAGES) {
		log_warnx("%s: not a simulated domain's control area",
		    shared_path);
		munmap(probe, SIMMEM_PAGE_SIZE);
		return -EINVAL;
	}
	munmap(probe, SIMMEM_PAGE_SIZE);
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return -ENOMEM;
	m->npages = npages;
	m->nwords = simmem_bitmap_words(npages);
	m->shlen = simmem_shared_len(npages);
	m->memlen = (size_t)npages * SIMMEM_PAGE_SIZE;
	if ((rc = simmem_map(shared_path, m->shlen, &sh, NULL)) != 0)
		goto fail_free;
	if ((rc = simmem_map(mem_path, m->memlen, &mem, &m->memfd)) != 0)
		goto fail_unmap_shared;
	m->ctl = sh;
	m->bitmap = (uint64_t *)((uint8_t *)sh + SIMMEM_PAGE_SIZE);
	m->mem = mem;
	*out = m;
	return 0;

fail_unmap_shared:
	munmap(sh, m->shlen);
fail_free:
	free(m);
	return rc;
}

void
simmem_close(struct simmem *m)
{
	if (m == NULL)
		return;
	munmap(m->mem, m->memlen);
	munmap(m->ctl, m->shlen);
	close(m->memfd);
	free(m);
}

/* Whole pages through the memory file: pwrite if "out", else pread. */
static int
simmem_file_io(int fd, uint8_t *p, size_t len, off_t off, int out)
{
	ssize_t n;

	while (len > 0) {
		n = out ? pwrite(fd, p, len, off) : pread(fd, p, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		off += n;
		len -= (size_t)n;
	}
	return 0;
}

int
simmem_write_pages(struct simmem *m, uint64_t pfn, const void *data,
    uint64_t n)
{
	return simmem_file_io(m->memfd, (uint8_t *)(uintptr_t)data,
	    (size_t)n * SIMMEM_PAGE_SIZE, (off_t)(pfn * SIMMEM_PAGE_SIZE), 1);
}

int
simmem_read_pages(const struct simmem *m, uint64_t pfn, void *buf,
    uint64_t n)
{
	return simmem_file_io(m->memfd, buf, (size_t)n * SIMMEM_PAGE_SIZE,
	    (off_t)(pfn * SIMMEM_PAGE_SIZE), 0);
}

int
simmem_retire(const char *mem_path, const char *pool_path)
{
	int fd, rc = 0;

	if (rename(mem_path, pool_path) == -1)
		return -errno;
	/* From now on nobody opens it by its old name; is it still open? */
	if ((fd = open(pool_path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    flock(fd, LOCK_EX | LOCK_NB) == -1) {
		rc = -EBUSY;
		(void)unlink(pool_path);
	}
	if (fd != -1)
		close(fd);
	return rc;
}

int
simmem_defer_free(const char *mem_path)
{
	int fd, p[2], lo, hi;
	pid_t child;
	char c;

	if ((fd = open(mem_path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (pipe2(p, O_CLOEXEC) == -1) {
		close(fd);
		return -1;
	}
	if ((child = fork()) == -1) {
		close(fd);
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (child == 0) {
		/* A detached grandchild holds the file until told. */
		if (fork() != 0)
			_exit(0);
		close(p[1]);
		/* Nothing else of the parent's: keep fd and p[0] only. */
		lo = fd < p[0] ? fd : p[0];
		hi = fd < p[0] ? p[0] : fd;
		if (lo > 0)
			close_range(0, (unsigned)lo - 1, 0);
		if (hi > lo + 1)
			close_range((unsigned)lo + 1, (unsigned)hi - 1, 0);
		close_range((unsigned)hi + 1, ~0U, 0);
		while (read(p[0], &c, 1) == -1 && errno == EINTR)
			;
		close(fd);	/* the last reference: its memory goes now */
		_exit(0);
	}
	close(fd);
	close(p[0]);
	while (waitpid(child, NULL, 0) == -1 && errno == EINTR)
		;
	return p[1];
}

int
simmem_zero_pages(struct simmem *m, uint64_t pfn, uint64_t n)
{
	static const uint8_t zero[SIMMEM_PAGE_SIZE];
	off_t off = (off_t)(pfn * SIMMEM_PAGE_SIZE);
	off_t len = (off_t)(n * SIMMEM_PAGE_SIZE);
	int rc;

	if (fallocate(m->memfd, FALLOC_FL_ZERO_RANGE, off, len) == 0 ||
	    fallocate(m->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
	    off, len) == 0)
		return 0;
	for (; n > 0; n--, pfn++)
		if ((rc = simmem_write_pages(m, pfn, zero, 1)) != 0)
			return rc;
	return 0;
}

int
simmem_zero_unset(struct simmem *m, const uint64_t *bits)
{
	uint64_t pfn = 0, end;
	int rc;

#define SIMMEM_BIT(b, i)	(((b)[(i) / 64] >> ((i) % 64)) & 1)
	while (pfn < m->npages) {
		if (pfn % 64 == 0 && bits[pfn / 64] == UINT64_MAX) {
			pfn += 64;
			continue;
		}
		if (SIMMEM_BIT(bits, pfn)) {
			pfn++;
			continue;
		}
		for (end = pfn + 1; end < m->npages && !SIMMEM_BIT(bits, end);
		    end++)
			;
		if ((rc = simmem_zero_pages(m, pfn, end - pfn)) != 0)
			return rc;
		pfn = end;
	}
#undef SIMMEM_BIT
	return 0;
}

void
simmem_logdirty_enable(struct simmem *m)
{
	(void)simmem_dirty_clean(m, NULL);
	__atomic_store_n(&m->ctl->logdirty, 1, __ATOMIC_SEQ_CST);
}

void
simmem_logdirty_disable(struct simmem *m)
{
	__atomic_store_n(&m->ctl->logdirty, 0, __ATOMIC_SEQ_CST);
}

int
simmem_logdirty_enabled(const struct simmem *m)
{
	return __atomic_load_n(&m->ctl->logdirty, __ATOMIC_ACQUIRE) != 0;
}

uint64_t
simmem_dirty_clean(struct simmem *m, uint64_t *out)
{
	uint64_t count = 0, w;
	size_t i;

	for (i = 0; i < m->nwords; i++) {
		/* Cheap load first: most words are clean, skip their RMW. */
		w = __atomic_load_n(&m->bitmap[i], __ATOMIC_RELAXED);
		if (w != 0)
			w = __atomic_exchange_n(&m->bitmap[i], 0,
			    __ATOMIC_ACQUIRE);
		if (out != NULL)
			out[i] = w;
		count += (uint64_t)__builtin_popcountll(w);
	}
	return count;
}

uint64_t
simmem_dirty_peek(const struct simmem *m, uint64_t *out)
{
	uint64_t count = 0, w;
	size_t i;

	for (i = 0; i < m->nwords; i++) {
		w = __atomic_load_n(&m->bitmap[i], __ATOMIC_ACQUIRE);
		if (out != NULL)
			out[i] = w;
		count += (uint64_t)__builtin_popcountll(w);
	}
	return count;
}

void
simmem_pause_request(struct simmem *m)
{
	__atomic_store_n(&m->ctl->pause_req, 1, __ATOMIC_SEQ_CST);
	simmem_wake(m);
}

int
simmem_pause_acked(const struct simmem *m)
{
	return __atomic_load_n(&m->ctl->pause_ack, __ATOMIC_SEQ_CST) != 0;
}

int
simmem_pause_wait(struct simmem *m, unsigned timeout_ms)
{
	uint64_t deadline = util_now_ns() + (uint64_t)timeout_ms * 1000000u;
	uint64_t now;

	while (!simmem_pause_acked(m)) {
		if ((now = util_now_ns()) >= deadline)
			return -ETIMEDOUT;
		simmem_futex_wait(&m->ctl->pause_ack, 0, deadline - now);
	}
	return 0;
}

void
simmem_unpause(struct simmem *m)
{
	__atomic_store_n(&m->ctl->pause_req, 0, __ATOMIC_SEQ_CST);
	simmem_wake(m);
}

int
simmem_guest_pause_point(struct simmem *m)
{
	struct simmem_ctl *c = m->ctl;
	uint32_t seq;
	int stopped = 0;

	/*
	 * Clear the acknowledgement, then look at the request again: with
	 * both sides sequentially consistent, a toolstack that reads our
	 * ack as 1 has raised its request before we look, so we stay.
	 */
	while (__atomic_load_n(&c->pause_req, __ATOMIC_SEQ_CST) != 0) {
		stopped = 1;
		__atomic_store_n(&c->pause_ack, 1, __ATOMIC_SEQ_CST);
		simmem_futex_wake(&c->pause_ack);
		for (;;) {
			seq = simmem_wake_seq(m);
			if (__atomic_load_n(&c->pause_req,
			    __ATOMIC_SEQ_CST) == 0)
				break;
			simmem_wait(m, seq, 0);
		}
		__atomic_store_n(&c->pause_ack, 0, __ATOMIC_SEQ_CST);
	}
	return stopped;
}

void
simmem_wake(struct simmem *m)
{
	__atomic_fetch_add(&m->ctl->wake, 1, __ATOMIC_SEQ_CST);
	simmem_futex_wake(&m->ctl->wake);
}

uint32_t
simmem_wake_seq(const struct simmem *m)
{
	return __atomic_load_n(&m->ctl->wake, __ATOMIC_SEQ_CST);
}

void
simmem_wait(struct simmem *m, uint32_t seq, uint64_t timeout_ns)
{
	simmem_futex_wait(&m->ctl->wake, seq, timeout_ns);
}
