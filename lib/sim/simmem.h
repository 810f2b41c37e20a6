/*
 * simmem.h - a simulated domain's memory and its control area.
 *
 * A domain of the simulated host has two files in its directory:
 *  - "mem": the guest's memory, npages pages of SIMMEM_PAGE_SIZE bytes,
 *    mapped MAP_SHARED by the guest process and by the toolstack (as dom0
 *    maps a guest's pages with xenforeignmemory);
 *  - "shared": a control area (struct simmem_ctl) followed, at offset
 *    SIMMEM_PAGE_SIZE, by the dirty bitmap, one bit per page.
 *
 * The dirty log works like Xen's log-dirty mode.  The guest marks a page
 * with an atomic OR (release ordering) only AFTER it has finished writing
 * the page; the toolstack reads and clears the bitmap word by word with
 * an atomic exchange (acquire), so a page copied after a clean that
 * returned it holds at least the data that was marked, and a write that
 * finishes after the clean is seen by the next clean.
 *
 * Pause is cooperative: the toolstack raises "pause_req" and waits for the
 * guest to raise "pause_ack", which it does only between page writes, so
 * no page is ever half-written and unmarked while the domain is paused.
 * Waiting uses futexes on the shared mapping (not FUTEX_PRIVATE: the
 * words are shared between processes).
 */
#ifndef XMIG_SIMMEM_H
#define XMIG_SIMMEM_H

#include <stddef.h>
#include <stdint.h>

#define SIMMEM_PAGE_SIZE	4096
#define SIMMEM_PAGE_SHIFT	12
#define SIMMEM_CTL_MAGIC	0x78534d43u	/* "CMSx" */
#define SIMMEM_CTL_VERSION	1
#define SIMMEM_THROTTLE_MAX	99
/* 16 TiB of guest: bounds every size derived from a file. */
#define SIMMEM_MAX_PAGES	(UINT64_C(1) << 32)

/*
 * The control area at the start of "shared".  Every word that two
 * processes touch is accessed with __atomic builtins only.
 */
struct simmem_ctl {
	uint32_t	magic;
	uint32_t	version;
	uint64_t	npages;
	uint32_t	logdirty;	/* log-dirty mode enabled */
	uint32_t	pause_req;	/* toolstack: stop between writes */
	uint32_t	pause_ack;	/* guest: stopped, nothing half-done */
	uint32_t	suspended;	/* guest: in shutdown(suspend) */
	uint32_t	wake;		/* doorbell: bumped to wake the guest */
	/*
	 * toolstack: percent of its time the guest gives up (auto-converge,
	 * at most SIMMEM_THROTTLE_MAX); 0 runs it at its own rate.
	 */
	uint32_t	throttle;
	uint64_t	resume_count;	/* suspends cancelled by resume */
};

struct simmem {
	uint8_t			*mem;		/* npages * PAGE_SIZE */
	struct simmem_ctl	*ctl;
	uint64_t		*bitmap;	/* nwords words */
	uint64_t		 npages;
	size_t			 nwords;
	size_t			 memlen;
	size_t			 shlen;
	int			 memfd;		/* the "mem" file, for writes */
};

/* Words of a dirty bitmap for npages pages. */
static inline size_t
simmem_bitmap_words(uint64_t npages)
{
	return (size_t)((npages + 63) / 64);
}

/* The address of page "pfn" (the caller checks pfn < npages). */
static inline uint8_t *
simmem_page(const struct simmem *m, uint64_t pfn)
{
	return m->mem + (size_t)pfn * SIMMEM_PAGE_SIZE;
}

/*
 * Mark page "pfn" dirty.  Call after the page write is complete: release
 * ordering publishes the write before the mark.
 */
static inline void
simmem_mark_dirty(struct simmem *m, uint64_t pfn)
{
	__atomic_fetch_or(&m->bitmap[pfn / 64], UINT64_C(1) << (pfn % 64),
	    __ATOMIC_RELEASE);
}

/*
 * Create "mem_path" (npages pages of zeros, sparse) and "shared_path" (an
 * initialised control area, empty bitmap), both mode 0600.  With
 * "reuse", the memory file is that file instead (a retired one, see
 * simmem_retire), renamed and resized: its pages keep whatever they
 * held, and the caller must write or zero every one before a guest runs.
 * Fails with -EEXIST if either exists, -EINVAL if npages is 0 or over
 * SIMMEM_MAX_PAGES.  On failure nothing is left behind (but "reuse" may
 * be gone).
 */
int	simmem_create(const char *mem_path, const char *shared_path,
	    uint64_t npages, const char *reuse);

/*
 * Retire a destroyed domain's memory file for reuse: rename it to
 * "pool_path", keeping its pages allocated, as a Xen host's freed pages
 * go back to its heap.  Mappings hold a shared lock on the file; if any
 * process still has it mapped, it is deleted instead and -EBUSY returned
 * (a stale mapping must never alias another domain's memory).  Returns 0
 * or a negative errno (the file left where it was).
 */
int	simmem_retire(const char *mem_path, const char *pool_path);

/*
 * Map a domain's "mem" and "shared" files (read-write: guest and
 * toolstack both write the control words).  The sizes are checked
 * against the control area's npages.  *out is allocated; release with
 * simmem_close().  The memory file is held with a shared lock until
 * then.  Returns 0, -EINVAL for a malformed file, -ESRCH if the memory
 * file was retired meanwhile, or the negative errno of open/mmap.
 */
int	simmem_open(const char *mem_path, const char *shared_path,
	    struct simmem **out);

/* Unmap and free; NULL allowed. */
void	simmem_close(struct simmem *m);

/*
 * Write n pages at data into the domain's memory from page pfn on (the
 * caller checked pfn + n <= npages), through the file rather than the
 * mapping: no page fault and no zeroing of a page about to be
 * overwritten.  Returns 0 or a negative errno.
 */
int	simmem_write_pages(struct simmem *m, uint64_t pfn, const void *data,
	    uint64_t n);
/* Read n pages from page pfn on into buf, through the file as well. */
int	simmem_read_pages(const struct simmem *m, uint64_t pfn, void *buf,
	    uint64_t n);

/*
 * Free a memory file's pages in the background, as Xen relinquishes a
 * destroyed domain's memory after the hypercall returns: a detached
 * process holds the file open; unlink it, then close() the descriptor
 * returned, and that process drops the last reference (freeing a GiB
 * takes a tenth of a second or more).  Returns -1 if it could not be
 * arranged (the unlink then frees the pages at once).
 */
int	simmem_defer_free(const char *mem_path);

/* Make n pages from pfn on read as zeros.  0 or a negative errno. */
int	simmem_zero_pages(struct simmem *m, uint64_t pfn, uint64_t n);
/* The same for every page whose bit is clear in "bits" (nwords words). */
int	simmem_zero_unset(struct simmem *m, const uint64_t *bits);

/* Enable log-dirty mode: clear the bitmap, then set the flag. */
void	simmem_logdirty_enable(struct simmem *m);
/* Disable log-dirty mode (the bitmap keeps collecting; it is ignored). */
void	simmem_logdirty_disable(struct simmem *m);
int	simmem_logdirty_enabled(const struct simmem *m);

/*
 * Read and clear the dirty log in one pass (Xen's CLEAN op): every word
 * is atomically swapped with zero.  "out", if not NULL, receives
 * simmem_bitmap_words() words.  Returns the number of dirty pages.
 */
uint64_t simmem_dirty_clean(struct simmem *m, uint64_t *out);

/* Read the dirty log without clearing it (Xen's PEEK op). */
uint64_t simmem_dirty_peek(const struct simmem *m, uint64_t *out);

/*
 * Toolstack side of the pause handshake.  simmem_pause_request() asks
 * the guest to stop and wakes it; simmem_pause_wait() waits up to
 * timeout_ms for its acknowledgement (0, or -ETIMEDOUT: the request
 * stays raised).  simmem_unpause() withdraws the request and wakes the
 * guest.  simmem_pause_acked() tells whether the guest has acknowledged.
 */
void	simmem_pause_request(struct simmem *m);
int	simmem_pause_wait(struct simmem *m, unsigned timeout_ms);
int	simmem_pause_acked(const struct simmem *m);
void	simmem_unpause(struct simmem *m);

/*
 * Guest side: if a pause is requested, acknowledge it and block until it
 * is withdrawn.  Call only between page writes.  Returns 1 if it stopped,
 * 0 if no pause was requested.
 */
int	simmem_guest_pause_point(struct simmem *m);

/*
 * Doorbell: simmem_wake() bumps the wake word and wakes every waiter;
 * simmem_wake_seq() reads it; simmem_wait() sleeps while the word still
 * equals "seq", at most timeout_ns (0: no limit).  A wait can return
 * early (signals, spurious wake-ups): callers re-check their condition.
 */
void	simmem_wake(struct simmem *m);
uint32_t simmem_wake_seq(const struct simmem *m);
void	simmem_wait(struct simmem *m, uint32_t seq, uint64_t timeout_ns);

#endif /* XMIG_SIMMEM_H */
