/*
 * joblock.h - one migration job per domain at a time.
 *
 * While a domain is being saved, migrated or received, every other xmig
 * operation that would change it is refused with a message naming the
 * running job (libvirt keeps its migration job from Begin to Confirm for
 * the same reason).  The lock is an flock() on DIR/locks/KEY.lock, so a
 * job that crashes leaves no stale lock: the kernel drops it with the
 * process.  The file holds a line describing the job, for the message.
 */
#ifndef XMIG_JOBLOCK_H
#define XMIG_JOBLOCK_H

#include <stddef.h>

struct joblock {
	int	fd;
	char	path[4096];
};

/*
 * Take the lock "key" (a domain's uuid, with a suffix for the receiving
 * side) under "dir" (created with its parents if needed), describing
 * the job as "what" (e.g. "migrate web1 to hostb").  Returns 0; -EBUSY
 * when another job holds it, with that job's description in busy
 * (busylen bytes); or -errno.  The lock is held until joblock_release() or exit; a forked
 * child shares it.
 */
int	joblock_take(struct joblock *l, const char *dir, const char *key,
	    const char *what, char *busy, size_t busylen);

/* Release a lock taken by joblock_take(); idempotent. */
void	joblock_release(struct joblock *l);

/*
 * Check, without taking it, whether "key" is locked: returns 0 when free,
 * -EBUSY with the holder's description in busy, or -errno.
 */
int	joblock_check(const char *dir, const char *key, char *busy,
	    size_t busylen);

#endif /* XMIG_JOBLOCK_H */
