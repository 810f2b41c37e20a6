/*
 * simhost_int.h - private to lib/sim/simhost*.c: the host handle, and
 * the helpers simhost.c (the directory, its lock and the domain records)
 * and simhost_mem.c (free memory, reservations, kept memory files)
 * share.  Nothing outside them includes this; simhost.h is the API.
 */
#ifndef XMIG_SIMHOST_INT_H
#define XMIG_SIMHOST_INT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "simhost.h"

struct simhost {
	char		dir[PATH_MAX];
	int		lockfd;
};

/* Parsed "host" file. */
struct simhost_rec {
	uint64_t	memory;
	uint32_t	next_domid;
};

/* -------------------------------------------------------- simhost.c */

/* Build "SIMDIR/leaf" into buf[len].  Returns 0 or -ENAMETOOLONG. */
int	simhost_path(const struct simhost *h, char *buf, size_t len,
	    const char *leaf);

/*
 * Write "text" to "path" atomically: a temporary file, then rename.
 * Returns 0 or a negative errno (logged), with no temporary file left.
 */
int	simhost_write_file(const char *path, const char *text);

/*
 * Read a small file into buf[len] (NUL-terminated).  Returns 0, -EFBIG
 * if it does not fit (logged), -ENOENT or another negative errno if it
 * cannot be opened (not logged: callers decide), or a read error
 * (logged).
 */
int	simhost_read_file(const char *path, char *buf, size_t len);

/*
 * Split "text" (changed in place) into key=value lines and hand each to
 * "fn"; "what" names the file in messages.  Lines must end with a
 * newline; keys are [a-z_]+.  Returns 0, or -EINVAL or fn's error at the
 * first bad line (logged).
 */
int	simhost_parse_kv(char *text, const char *what,
	    int (*fn)(const char *key, const char *val, void *arg), void *arg);

/* Take the host lock, waiting for it.  0 or a negative errno (logged). */
int	simhost_lock(struct simhost *h);

/* Release the host lock. */
void	simhost_unlock(struct simhost *h);

/*
 * Read and check the "host" file into *r.  Returns 0 or a negative
 * errno (logged).
 */
int	simhost_rec_read(struct simhost *h, struct simhost_rec *r);

/*
 * Every readable domain record, domain 0 first, then by id: *out is
 * malloc()ed (*n entries), the caller frees it.  Unreadable records are
 * logged and skipped.  Takes no lock.  Returns 0 or a negative errno,
 * with nothing allocated.
 */
int	simhost_scan(struct simhost *h, struct simdom **out, size_t *n);

/* -------------------------------------------------------- simhost_mem.c */

/*
 * Do "bytes" fit in the host's free memory?  Host lock held; expired
 * reservations go.  Returns 0, -ENOMEM (logged with both figures, "what"
 * naming who asks), or another negative errno.
 */
int	simhost_mem_fits(struct simhost *h, uint64_t bytes, const char *what);

/*
 * Pick a kept memory file for "bytes": one of that size if there is
 * one, else the largest.  Its path goes into buf[len]; the file stays in
 * the pool for simmem_create() to take.  Host lock held.  Returns 0,
 * -ENOENT when the pool is empty, or -ENAMETOOLONG.
 */
int	simhost_mem_pool_take(struct simhost *h, uint64_t bytes, char *buf,
	    size_t len);

/*
 * Retire domain "domid"'s memory file to the pool if it holds fewer than
 * SIMHOST_POOL_MAX files.  Host lock held.  Returns 1 if kept, 0 if not:
 * the file is then where it was, unless simmem_retire() deleted it
 * because it is still mapped.
 */
int	simhost_mem_pool_put(struct simhost *h, uint32_t domid);

#endif /* XMIG_SIMHOST_INT_H */
