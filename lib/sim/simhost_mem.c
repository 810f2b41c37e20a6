/*
 * simhost_mem.c - the simulated host's memory: what is free (the host
 * total minus domains and unexpired reservations), reservations for
 * incoming domains (SIMDIR/reservations/), and the pool of destroyed
 * domains' memory files kept for reuse (SIMDIR/free/).  The rest of the
 * host directory is simhost.c's; see simhost_int.h.
 *
 * simhost_memory(), simhost_reserve(), simhost_unreserve() and
 * simhost_pool_drop() keep the simhost_ names of simhost.h, the API that
 * callers outside lib/sim/ use; helpers here are simhost_mem_*.
 */
#include "config.h"

#include <sys/random.h>
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "simhost.h"
#include "simhost_int.h"
#include "simmem.h"
#include "util.h"

/* ---------------------------------------------------------------- memory */

struct simhost_mem_res {
	uint64_t	memory;
	uint64_t	expires;	/* CLOCK_REALTIME seconds */
};

static int
simhost_mem_res_kv(const char *key, const char *val, void *arg)
{
	struct simhost_mem_res *r = arg;

	if (strcmp(key, "memory") == 0)
		return util_parse_uint(val, 0, UINT64_MAX / 4, &r->memory);
	if (strcmp(key, "expires") == 0)
		return util_parse_uint(val, 0, UINT64_MAX / 4, &r->expires);
	return -EINVAL;
}

/*
 * Sum of unexpired reservations (host lock held); expired and malformed
 * ones are removed.
 */
static int
simhost_mem_reserved(struct simhost *h, uint64_t *sum)
{
	char dpath[PATH_MAX], path[PATH_MAX], buf[256];
	struct simhost_mem_res r;
	struct dirent *de;
	time_t now = time(NULL);
	DIR *dir;
	int rc;

	*sum = 0;
	if ((rc = simhost_path(h, dpath, sizeof(dpath),
	    "reservations")) != 0)
		return rc;
	if ((dir = opendir(dpath)) == NULL) {
		rc = -errno;
		log_warn("opendir %s", dpath);
		return rc;
	}
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.' ||
		    (size_t)snprintf(path, sizeof(path), "%s/%s", dpath,
		    de->d_name) >= sizeof(path))
			continue;
		memset(&r, 0, sizeof(r));
		if (simhost_read_file(path, buf, sizeof(buf)) != 0 ||
		    simhost_parse_kv(buf, path, simhost_mem_res_kv, &r) != 0 ||
		    r.expires <= (uint64_t)now) {
			log_debug("reservation %s expired", de->d_name);
			unlink(path);
			continue;
		}
		*sum += r.memory;
	}
	closedir(dir);
	return 0;
}

/* Total and free memory, host lock held. */
static int
simhost_mem_locked(struct simhost *h, uint64_t *total, uint64_t *avail)
{
	struct simhost_rec rec;
	struct simdom *v;
	uint64_t used = 0, res;
	size_t n, i;
	int rc;

	if ((rc = simhost_rec_read(h, &rec)) != 0)
		return rc;
	if ((rc = simhost_mem_reserved(h, &res)) != 0)
		return rc;
	if ((rc = simhost_scan(h, &v, &n)) != 0)
		return rc;
	for (i = 0; i < n; i++)
		used += v[i].memory;
	free(v);
	used += res;
	*total = rec.memory;
	*avail = used >= rec.memory ? 0 : rec.memory - used;
	return 0;
}

int
simhost_memory(struct simhost *h, uint64_t *total, uint64_t *avail)
{
	int rc;

	if ((rc = simhost_lock(h)) != 0)
		return rc;
	rc = simhost_mem_locked(h, total, avail);
	simhost_unlock(h);
	return rc;
}

int
simhost_mem_fits(struct simhost *h, uint64_t bytes, const char *what)
{
	uint64_t total, avail;
	int rc;

	if ((rc = simhost_mem_locked(h, &total, &avail)) != 0)
		return rc;
	if (bytes > avail) {
		log_warnx("%s: host has %llu MiB free, %s needs %llu MiB",
		    h->dir, (unsigned long long)(avail / MiB), what,
		    (unsigned long long)((bytes + MiB - 1) / MiB));
		return -ENOMEM;
	}
	return 0;
}

int
simhost_reserve(struct simhost *h, uint64_t bytes, unsigned ttl, char *id,
    size_t len)
{
	char path[PATH_MAX], buf[128], rid[SIMHOST_RESID_MAX];
	uint32_t rnd;
	int rc;

	if (len < SIMHOST_RESID_MAX || ttl == 0)
		return -EINVAL;
	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		return -EIO;
	snprintf(rid, sizeof(rid), "r%ld-%08x", (long)getpid(), rnd);
	if ((rc = simhost_lock(h)) != 0)
		return rc;
	if ((rc = simhost_mem_fits(h, bytes, "the reservation")) != 0)
		goto out;
	if ((size_t)snprintf(path, sizeof(path), "%s/reservations/%s",
	    h->dir, rid) >= sizeof(path)) {
		rc = -ENAMETOOLONG;
		goto out;
	}
	snprintf(buf, sizeof(buf), "memory=%llu\nexpires=%llu\n",
	    (unsigned long long)bytes,
	    (unsigned long long)time(NULL) + ttl);
	if ((rc = simhost_write_file(path, buf)) == 0)
		memcpy(id, rid, sizeof(rid));
out:
	simhost_unlock(h);
	return rc;
}

int
simhost_unreserve(struct simhost *h, const char *id)
{
	char path[PATH_MAX];
	const char *p;
	int rc = 0;

	for (p = id; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '-')
			return -EINVAL;
	if ((size_t)snprintf(path, sizeof(path), "%s/reservations/%s",
	    h->dir, id) >= sizeof(path))
		return -ENAMETOOLONG;
	if ((rc = simhost_lock(h)) != 0)
		return rc;
	if (unlink(path) == -1)
		rc = -errno;
	simhost_unlock(h);
	return rc;
}

/* ---------------------------------------------------------------- pool */

/*
 * The host's free memory: memory files of destroyed domains, in "free/"
 * under their old domid, pages still allocated (see simmem_retire).
 * simhost_mem_pool_scan() calls fn (if not NULL) for each regular file there
 * and returns how many there are (0 if the directory cannot be read).
 */
static unsigned
simhost_mem_pool_scan(struct simhost *h, void (*fn)(const char *,
    const struct stat *, void *), void *arg)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	unsigned n = 0;
	DIR *dp;

	if (simhost_path(h, dir, sizeof(dir), "free") != 0 ||
	    (dp = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.' ||
		    (size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    de->d_name) >= sizeof(path) ||
		    stat(path, &st) == -1 || !S_ISREG(st.st_mode))
			continue;
		n++;
		if (fn != NULL)
			fn(path, &st, arg);
	}
	closedir(dp);
	return n;
}

struct simhost_mem_pick {
	uint64_t	 bytes;		/* wanted */
	uint64_t	 best;		/* size of the pick so far */
	int		 exact;
	char		 path[PATH_MAX];
};

/* The same size as wanted if there is one, else the largest. */
static void
simhost_mem_pool_pick(const char *path, const struct stat *st, void *arg)
{
	struct simhost_mem_pick *p = arg;
	uint64_t size = (uint64_t)st->st_size;

	if (p->exact || (size != p->bytes && size <= p->best))
		return;
	if (util_strlcpy(p->path, path, sizeof(p->path)) != 0)
		return;
	p->exact = size == p->bytes;
	p->best = size;
}

/* Pick a kept memory file for "bytes"; host lock held.  0 or -ENOENT. */
int
simhost_mem_pool_take(struct simhost *h, uint64_t bytes, char *buf, size_t len)
{
	struct simhost_mem_pick p = { .bytes = bytes };

	(void)simhost_mem_pool_scan(h, simhost_mem_pool_pick, &p);
	if (p.path[0] == '\0')
		return -ENOENT;
	return util_strlcpy(buf, p.path, len);
}

/*
 * Retire a domain's memory file to the pool, if it has room: 1 if kept,
 * 0 if not.
 */
int
simhost_mem_pool_put(struct simhost *h, uint32_t domid)
{
	char dir[PATH_MAX], mem[PATH_MAX], to[PATH_MAX];

	if (simhost_path(h, dir, sizeof(dir), "free") != 0 ||
	    simhost_dom_path(h, domid, "mem", mem, sizeof(mem)) != 0 ||
	    (size_t)snprintf(to, sizeof(to), "%s/%u", dir, domid) >=
	    sizeof(to) ||
	    simhost_mem_pool_scan(h, NULL, NULL) >= SIMHOST_POOL_MAX ||
	    simmem_retire(mem, to) != 0)
		return 0;
	log_debug("domain %u: memory kept for reuse", domid);
	return 1;
}

static void
simhost_mem_pool_unlink(const char *path, const struct stat *st, void *arg)
{
	(void)st;
	(void)arg;
	(void)unlink(path);
}

void
simhost_pool_drop(struct simhost *h)
{
	if (simhost_lock(h) != 0)
		return;
	(void)simhost_mem_pool_scan(h, simhost_mem_pool_unlink, NULL);
	simhost_unlock(h);
}
