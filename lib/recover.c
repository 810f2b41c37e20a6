/*
 * recover.c - settle a migration whose outcome was left undefined.
 *
 * The rule: after GO the source copy stays suspended, renamed
 * NAME--migratedaway, with a recovery record naming the destination.  The
 * destination is asked whether NAME (or NAME--incoming) with the same
 * uuid exists there: if it runs, the source copy is destroyed; if it does
 * not exist, the source copy is renamed back and resumed; anything else
 * (no answer, paused there) leaves both as they are.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "migrate_int.h"
#include "relocio.h"
#include "util.h"
#include "uuid.h"

/*
 * Before the source copy runs on: what the disks' tracking of an xmig
 * that died left (backend.h); a failure is logged, not fatal (the next
 * migration's attempt sweeps again).
 */
static void
recover_disks(struct backend *be, const struct dom_info *d)
{
	int rc;

	if (be->ops->disk_track_sweep != NULL &&
	    (rc = be->ops->disk_track_sweep(be, d->domid)) != 0)
		log_warnx("%s: what copying its disks left could not all be "
		    "removed: %s", d->name, strerror(-rc));
}

/* Find the suspended source copy: NAME--migratedaway, or NAME. */
static int
recover_find(struct backend *be, const char *domain, struct dom_info *d)
{
	char away[DOMNAME_MAX + 16];

	snprintf(away, sizeof(away), "%s%s", domain, MIG_SUFFIX_AWAY);
	if (backend_lookup(be, away, d) == 0)
		return 0;
	return backend_lookup(be, domain, d);
}

static void
recover_path(struct backend *be, const struct dom_info *d, char *path,
    size_t len)
{
	char uuid[UUID_STR_LEN];

	uuid_fmt(d->uuid, uuid);
	snprintf(path, len, "%s/recover-%s", mig_state_dir(be), uuid);
}

struct recover_rec {
	char		*host;
	size_t		 hostlen;
	unsigned	*port;
	int		 found;
};

static void
recover_record_kv(const char *key, const char *v, void *arg)
{
	struct recover_rec *r = arg;
	uint64_t n;

	if (strcmp(key, "host") == 0 &&
	    util_strlcpy(r->host, v, r->hostlen) == 0)
		r->found |= 1;
	else if (strcmp(key, "port") == 0 &&
	    util_parse_uint(v, 1, 65535, &n) == 0) {
		*r->port = (unsigned)n;
		r->found |= 2;
	}
}

int
mig_recover_record(struct backend *be, const char *domain, char *host,
    size_t hostlen, unsigned *port)
{
	struct recover_rec r = { .host = host, .hostlen = hostlen,
	    .port = port };
	char path[4200];
	struct dom_info d;

	if (recover_find(be, domain, &d) != 0)
		return -ESRCH;
	recover_path(be, &d, path, sizeof(path));
	if (util_read_kv(path, recover_record_kv, &r) != 0)
		return -ENOENT;
	return r.found == 3 ? 0 : -EINVAL;
}

static void
recover_throttle_kv(const char *key, const char *v, void *arg)
{
	int64_t *orig = arg;
	uint64_t n;

	if (strcmp(key, "throttle") == 0 &&
	    util_parse_uint(v, 0, UINT32_MAX, &n) == 0)
		*orig = (int64_t)n;
}

/*
 * Before the source copy runs again: the auto-converge throttle the
 * record names (the domain's own limit) is set back, in case the xmig
 * that set it and its guard both died.  Returns 0 or the backend's
 * error.
 */
static int
recover_unthrottle(struct backend *be, const struct dom_info *d,
    const char *path)
{
	int64_t orig = -1;
	int rc;

	if (util_read_kv(path, recover_throttle_kv, &orig) != 0 || orig < 0 ||
	    be->ops->throttle_set == NULL)
		return 0;
	if ((rc = be->ops->throttle_set(be, d->domid, 0, (uint32_t)orig)) == 0)
		log_info("%s: the auto-converge throttle was removed",
		    d->name);
	return rc;
}

/* The record's "image" lines: disks copied with the domain. */
static void
recover_image_kv(const char *key, const char *v, void *arg)
{
	struct stat st;

	(void)arg;
	if (strcmp(key, "image") != 0 || v[0] != '/' ||
	    lstat(v, &st) != 0 || !S_ISREG(st.st_mode))
		return;
	if (unlink(v) != 0)
		log_warn("cannot remove the moved image %s", v);
	else
		log_info("the domain's disk moved with it: %s removed here",
		    v);
}

/* Ask the destination about the domain; fills *m (STATE). */
static int
recover_query(int fd, const struct dom_info *d, const char *name,
    struct reloc_msg *m)
{
	int rc;

	if ((rc = relocio_hello(fd, m, 10000)) != 0)
		return rc;
	reloc_msg_init(m, RELOC_QUERY);
	util_strlcpy(m->name, name, sizeof(m->name));
	memcpy(m->uuid, d->uuid, sizeof(m->uuid));
	m->has_uuid = 1;
	if ((rc = relocio_send(fd, m, 10000)) != 0)
		return rc;
	return relocio_expect(fd, RELOC_STATE, m, 10000);
}

enum mig_result
mig_recover_run(struct backend *be, const char *domain, int fd, char *why,
    size_t whylen)
{
	char path[4200], name[DOMNAME_MAX];
	struct reloc_msg m;
	struct dom_info d;
	size_t n;
	int rc;

	if (recover_find(be, domain, &d) != 0) {
		snprintf(why, whylen, "no domain %s or %s%s here", domain,
		    domain, MIG_SUFFIX_AWAY);
		return MIG_FAILED;
	}
	util_strlcpy(name, d.name, sizeof(name));
	n = strlen(name);
	if (n > strlen(MIG_SUFFIX_AWAY) &&
	    strcmp(name + n - strlen(MIG_SUFFIX_AWAY), MIG_SUFFIX_AWAY) == 0)
		name[n - strlen(MIG_SUFFIX_AWAY)] = '\0';
	if (d.state == DOM_RUNNING) {
		/* A record written at the suspend of a guest that never
		 * stopped (the source was killed): nothing to settle. */
		if (strcmp(d.name, name) == 0) {
			recover_path(be, &d, path, sizeof(path));
			if (recover_unthrottle(be, &d, path) == 0)
				unlink(path);
			/* Or a half-write: killed before its rename. */
			(void)util_remove_half_write(path);
			recover_disks(be, &d);
		}
		snprintf(why, whylen, "%s runs here: nothing to recover",
		    d.name);
		return MIG_FAILED;
	}
	if ((rc = recover_query(fd, &d, name, &m)) != 0) {
		snprintf(why, whylen, "the destination did not answer (%s); "
		    "%s stays suspended here", strerror(-rc), d.name);
		return MIG_UNDEFINED;
	}
	recover_path(be, &d, path, sizeof(path));
	if (m.found && strcmp(m.state, "pending") == 0) {
		snprintf(why, whylen, "the destination is still receiving or "
		    "settling %s; %s stays suspended here", name, d.name);
		return MIG_PENDING;
	}
	if (m.found && strcmp(m.state, "stuck") == 0) {
		snprintf(why, whylen, "the destination got GO for %s but can "
		    "neither start nor destroy its copy (see its xmigd log); "
		    "%s stays suspended here until it can", name, d.name);
		return MIG_UNDEFINED;
	}
	if (m.found && strcmp(m.state, "running") == 0) {
		if ((rc = be->ops->destroy(be, d.domid)) != 0) {
			snprintf(why, whylen, "%s runs at the destination but "
			    "the copy here could not be destroyed: %s",
			    name, strerror(-rc));
			return MIG_UNDEFINED;
		}
		(void)util_read_kv(path, recover_image_kv, NULL);
		unlink(path);
		log_info("%s runs at the destination as %s; the source copy "
		    "was destroyed", name, m.name);
		return MIG_OK;
	}
	if (m.found) {
		snprintf(why, whylen, "%s exists at the destination but is "
		    "%s; both copies are left as they are", name, m.state);
		return MIG_UNDEFINED;
	}
	if (strcmp(d.name, name) != 0 &&
	    (rc = be->ops->rename(be, d.domid, name)) != 0)
		log_warnx("cannot rename %s back to %s", d.name, name);
	if ((rc = recover_unthrottle(be, &d, path)) != 0) {
		snprintf(why, whylen, "%s is not at the destination, but its "
		    "auto-converge throttle could not be removed (%s); it "
		    "stays suspended here", name, strerror(-rc));
		return MIG_UNDEFINED;
	}
	recover_disks(be, &d);
	if ((rc = be->ops->resume(be, d.domid)) != 0) {
		snprintf(why, whylen, "%s is not at the destination, and "
		    "could not be resumed here: %s", name, strerror(-rc));
		return MIG_UNDEFINED;
	}
	unlink(path);
	log_info("%s is not at the destination; resumed here", name);
	return MIG_RESUMED;
}

enum mig_result
mig_recover_lock(struct backend *be, const char *domain,
    struct joblock *lock, char *why, size_t whylen)
{
	char busy[512], key[UUID_STR_LEN], what[DOMNAME_MAX + 16];
	struct dom_info d;
	int rc;

	lock->fd = -1;
	if (recover_find(be, domain, &d) != 0) {
		snprintf(why, whylen, "no domain %s or %s%s here", domain,
		    domain, MIG_SUFFIX_AWAY);
		return MIG_FAILED;
	}
	uuid_fmt(d.uuid, key);
	snprintf(what, sizeof(what), "recover %s", d.name);
	rc = joblock_take(lock, mig_state_dir(be), key, what, busy,
	    sizeof(busy));
	if (rc == -EBUSY) {
		snprintf(why, whylen, "domain %s is busy: %s", d.name, busy);
		return MIG_REFUSED;
	}
	if (rc != 0) {
		snprintf(why, whylen, "cannot lock domain %s: %s", d.name,
		    strerror(-rc));
		return MIG_FAILED;
	}
	return MIG_OK;
}
