/*
 * simhost.c - the simulated host's directory: its files and lock, the
 * domain records, ids and names.  Memory accounting, reservations and
 * the pool of kept memory files are in simhost_mem.c.  See simhost.h.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "simhost.h"
#include "simhost_int.h"
#include "uuid.h"
#include "simmem.h"
#include "util.h"

int
simhost_path(const struct simhost *h, char *buf, size_t len,
    const char *leaf)
{
	int n;

	n = snprintf(buf, len, "%s/%s", h->dir, leaf);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

const char *
simhost_dir(const struct simhost *h)
{
	return h->dir;
}

int
simhost_dom_path(const struct simhost *h, uint32_t domid, const char *leaf,
    char *buf, size_t len)
{
	int n;

	if (leaf == NULL)
		n = snprintf(buf, len, "%s/domains/%u", h->dir, domid);
	else
		n = snprintf(buf, len, "%s/domains/%u/%s", h->dir, domid,
		    leaf);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* Write "text" to "path" atomically: a temporary file, then rename. */
int
simhost_write_file(const char *path, const char *text)
{
	char tmp[PATH_MAX];
	int fd, rc, n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1) {
		rc = -errno;
		log_warn("create %s", tmp);
		return rc;
	}
	if ((rc = (int)util_write_full(fd, text, strlen(text))) < 0) {
		errno = -rc;
		log_warn("write %s", tmp);
		close(fd);
		unlink(tmp);
		return rc;
	}
	close(fd);
	if (rename(tmp, path) == -1) {
		rc = -errno;
		log_warn("rename %s", tmp);
		unlink(tmp);
		return rc;
	}
	return 0;
}

/*
 * Read a small file into buf (NUL-terminated).  -EFBIG if it does not
 * fit, -ENOENT if absent (not logged: callers decide).
 */
int
simhost_read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -errno;
	n = util_read_full(fd, buf, len);
	close(fd);
	if (n < 0) {
		rc = (int)n;
		errno = -rc;
		log_warn("read %s", path);
		return rc;
	}
	if ((size_t)n == len) {
		log_warnx("%s: longer than %zu bytes", path, len - 1);
		return -EFBIG;
	}
	buf[n] = '\0';
	return 0;
}

/*
 * Split "text" into key=value lines and hand each to "fn".  Lines must
 * end with a newline; keys are [a-z_]+.  Stops at the first error.
 */
int
simhost_parse_kv(char *text, const char *what,
    int (*fn)(const char *key, const char *val, void *arg), void *arg)
{
	char *line = text, *nl, *eq, *k;
	int rc;

	while (*line != '\0') {
		if ((nl = strchr(line, '\n')) == NULL) {
			log_warnx("%s: unterminated last line", what);
			return -EINVAL;
		}
		*nl = '\0';
		if ((eq = strchr(line, '=')) == NULL || eq == line) {
			log_warnx("%s: malformed line \"%.40s\"", what, line);
			return -EINVAL;
		}
		*eq = '\0';
		for (k = line; *k != '\0'; k++) {
			if (!islower((unsigned char)*k) && *k != '_') {
				log_warnx("%s: bad key \"%.40s\"", what, line);
				return -EINVAL;
			}
		}
		if ((rc = fn(line, eq + 1, arg)) != 0) {
			log_warnx("%s: bad %s \"%.40s\"", what, line, eq + 1);
			return rc;
		}
		line = nl + 1;
	}
	return 0;
}

static int
simhost_rec_kv(const char *key, const char *val, void *arg)
{
	struct simhost_rec *r = arg;
	uint64_t v;
	int rc;

	if (strcmp(key, "memory") == 0)
		return util_parse_uint(val, SIMMEM_PAGE_SIZE, UINT64_MAX / 2,
		    &r->memory);
	if (strcmp(key, "next_domid") == 0) {
		if ((rc = util_parse_uint(val, 1, SIMHOST_MAX_DOMID + 1,
		    &v)) != 0)
			return rc;
		r->next_domid = (uint32_t)v;
		return 0;
	}
	return -EINVAL;
}

int
simhost_rec_read(struct simhost *h, struct simhost_rec *r)
{
	char path[PATH_MAX], buf[512];
	int rc;

	if ((rc = simhost_path(h, path, sizeof(path), "host")) != 0)
		return rc;
	if ((rc = simhost_read_file(path, buf, sizeof(buf))) != 0) {
		if (rc == -ENOENT)
			log_warnx("%s: no host file", h->dir);
		return rc;
	}
	memset(r, 0, sizeof(*r));
	if ((rc = simhost_parse_kv(buf, path, simhost_rec_kv, r)) != 0)
		return rc;
	if (r->memory == 0 || r->next_domid == 0) {
		log_warnx("%s: incomplete", path);
		return -EINVAL;
	}
	return 0;
}

static int
simhost_rec_write(struct simhost *h, const struct simhost_rec *r)
{
	char path[PATH_MAX], buf[128];
	int rc;

	if ((rc = simhost_path(h, path, sizeof(path), "host")) != 0)
		return rc;
	snprintf(buf, sizeof(buf), "memory=%llu\nnext_domid=%u\n",
	    (unsigned long long)r->memory, r->next_domid);
	return simhost_write_file(path, buf);
}

int
simhost_lock(struct simhost *h)
{
	while (flock(h->lockfd, LOCK_EX) == -1) {
		if (errno != EINTR) {
			log_warn("lock %s", h->dir);
			return -errno;
		}
	}
	return 0;
}

void
simhost_unlock(struct simhost *h)
{
	(void)flock(h->lockfd, LOCK_UN);
}

static int
simhost_mkdir(const char *path)
{
	if (mkdir(path, 0700) == -1 && errno != EEXIST) {
		log_warn("mkdir %s", path);
		return -errno;
	}
	return 0;
}

/* mkdir -p, mode 0700 for what it creates. */
static int
simhost_mkdirs(const char *dir)
{
	char buf[PATH_MAX];
	char *p;
	int rc;

	if ((rc = util_strlcpy(buf, dir, sizeof(buf))) != 0)
		return rc;
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if ((rc = simhost_mkdir(buf)) != 0)
			return rc;
		*p = '/';
	}
	return simhost_mkdir(buf);
}

static int
simhost_setup(struct simhost *h, uint64_t total)
{
	struct simhost_rec r;
	char path[PATH_MAX];
	int rc;

	if ((rc = simhost_mkdirs(h->dir)) != 0)
		return rc;
	if ((rc = simhost_path(h, path, sizeof(path), "domains")) ||
	    (rc = simhost_mkdir(path)) != 0)
		return rc;
	if ((rc = simhost_path(h, path, sizeof(path),
	    "reservations")) || (rc = simhost_mkdir(path)) != 0)
		return rc;
	if ((rc = simhost_path(h, path, sizeof(path), "free")) ||
	    (rc = simhost_mkdir(path)) != 0)
		return rc;
	if ((rc = simhost_path(h, path, sizeof(path), "lock")) != 0)
		return rc;
	if ((h->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC,
	    0600)) == -1) {
		rc = -errno;
		log_warn("open %s", path);
		return rc;
	}
	if ((rc = simhost_lock(h)) != 0)
		return rc;
	if ((rc = simhost_path(h, path, sizeof(path), "host")) == 0 &&
	    access(path, F_OK) == -1) {
		r.memory = total;
		r.next_domid = 1;
		rc = simhost_rec_write(h, &r);
		if (rc == 0)
			log_debug("sim host %s created with %llu MiB", h->dir,
			    (unsigned long long)(total / MiB));
	} else if (rc == 0)
		rc = simhost_rec_read(h, &r);
	simhost_unlock(h);
	return rc;
}

int
simhost_open(const char *dir, uint64_t total, struct simhost **out)
{
	struct simhost *h;
	int rc;

	if (total < SIMMEM_PAGE_SIZE) {
		log_warnx("sim host memory %llu: too small",
		    (unsigned long long)total);
		return -EINVAL;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return -ENOMEM;
	h->lockfd = -1;
	if (util_strlcpy(h->dir, dir, sizeof(h->dir)) != 0 ||
	    strlen(dir) > PATH_MAX - 64) {
		log_warnx("%.64s...: sim directory name too long", dir);
		rc = -ENAMETOOLONG;
		goto fail;
	}
	if ((rc = simhost_setup(h, total)) != 0)
		goto fail;
	*out = h;
	return 0;
fail:
	simhost_close(h);
	return rc;
}

void
simhost_close(struct simhost *h)
{
	if (h == NULL)
		return;
	if (h->lockfd != -1)
		close(h->lockfd);
	free(h);
}

/* ---------------------------------------------------------------- uuids */

int
simhost_uuid_generate(uint8_t u[16])
{
	if (getrandom(u, 16, 0) != 16) {
		log_warn("getrandom");
		return -EIO;
	}
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
	return 0;
}

/* ---------------------------------------------------------------- records */

static const char *const simhost_state_names[] = {
	[DOM_RUNNING] = "running",
	[DOM_PAUSED] = "paused",	/* never stored: see "paused" */
	[DOM_SHUTDOWN] = "shutdown",
	[DOM_DYING] = "dying",
};

static const char *const simhost_type_names[] = {
	[DOM_TYPE_PV] = "pv",
	[DOM_TYPE_PVH] = "pvh",
	[DOM_TYPE_HVM] = "hvm",
};

static int
simhost_name_ok(const char *name)
{
	const char *p;

	if (name[0] == '\0' || strlen(name) >= DOMNAME_MAX)
		return 0;
	for (p = name; *p != '\0'; p++)
		if (!isgraph((unsigned char)*p) || *p == '/')
			return 0;
	return 1;
}

static void
simhost_dom_format(const struct simdom *d, char *buf, size_t len)
{
	char uuid[UUID_STR_LEN];

	uuid_fmt(d->uuid, uuid);
	snprintf(buf, len,
	    "name=%s\nuuid=%s\nstate=%s\npaused=%d\nshutdown_reason=%d\n"
	    "type=%s\nmemory=%llu\nvcpus=%u\ndirty_rate=%llu\n"
	    "working_set=%llu\nignore_suspend=%d\nguest_started=%d\n"
	    "no_pv_drivers=%d\n",
	    d->name, uuid, simhost_state_names[d->state], d->paused,
	    d->shutdown_reason, simhost_type_names[d->type],
	    (unsigned long long)d->memory, d->vcpus,
	    (unsigned long long)d->dirty_rate,
	    (unsigned long long)d->working_set, d->ignore_suspend,
	    d->guest_started, d->no_pv_drivers);
}

static int
simhost_lookup_name(const char *const *names, size_t n, const char *val,
    int *out)
{
	size_t i;

	/* "paused" is a state never stored (a flag of its own). */
	for (i = 0; i < n; i++) {
		if (!(names == simhost_state_names && i == DOM_PAUSED) &&
		    strcmp(names[i], val) == 0) {
			*out = (int)i;
			return 0;
		}
	}
	return -EINVAL;
}

struct simhost_parse {
	struct simdom	*d;
	unsigned	 seen;
};

static int
simhost_dom_kv2(struct simdom *d, const char *key, const char *val)
{
	uint64_t v;
	int rc, i;

	if (strcmp(key, "vcpus") == 0) {
		if ((rc = util_parse_uint(val, 1, 512, &v)) == 0)
			d->vcpus = (unsigned)v;
		return rc;
	}
	if (strcmp(key, "dirty_rate") == 0)
		return util_parse_uint(val, 0, UINT64_C(1) << 40,
		    &d->dirty_rate);
	if (strcmp(key, "working_set") == 0)
		return util_parse_uint(val, 0, UINT64_MAX / 2,
		    &d->working_set);
	if (strcmp(key, "ignore_suspend") == 0 ||
	    strcmp(key, "guest_started") == 0 || strcmp(key, "paused") == 0 ||
	    strcmp(key, "no_pv_drivers") == 0) {
		if ((rc = util_parse_uint(val, 0, 1, &v)) != 0)
			return rc;
		i = (int)v;
		if (key[0] == 'i')
			d->ignore_suspend = i;
		else if (key[0] == 'g')
			d->guest_started = i;
		else if (key[0] == 'n')
			d->no_pv_drivers = i;
		else
			d->paused = i;
		return 0;
	}
	return -EINVAL;
}

static const char *const simhost_dom_keys[] = {
	"name", "uuid", "state", "paused", "shutdown_reason", "type",
	"memory", "vcpus", "dirty_rate", "working_set", "ignore_suspend",
	"guest_started",
	"no_pv_drivers",	/* optional: last, see SIMHOST_DOM_OPTIONAL */
};

/* Keys a record written before they existed may lack: 0 then. */
#define SIMHOST_DOM_OPTIONAL	(1u << 12)

static int
simhost_dom_kv(const char *key, const char *val, void *arg)
{
	struct simhost_parse *p = arg;
	struct simdom *d = p->d;
	uint64_t v;
	size_t i;
	int rc, x = 0;

	for (i = 0; i < ARRAY_SIZE(simhost_dom_keys); i++)
		if (strcmp(key, simhost_dom_keys[i]) == 0)
			break;
	if (i == ARRAY_SIZE(simhost_dom_keys) || (p->seen & (1u << i)))
		return -EINVAL;		/* unknown or repeated */
	p->seen |= 1u << i;
	if (strcmp(key, "name") == 0) {
		if (!simhost_name_ok(val))
			return -EINVAL;
		return util_strlcpy(d->name, val, sizeof(d->name));
	}
	if (strcmp(key, "uuid") == 0)
		return uuid_parse(val, d->uuid);
	if (strcmp(key, "state") == 0) {
		rc = simhost_lookup_name(simhost_state_names,
		    ARRAY_SIZE(simhost_state_names), val, &x);
		d->state = (enum dom_state)x;
		return rc;
	}
	if (strcmp(key, "type") == 0) {
		rc = simhost_lookup_name(simhost_type_names,
		    ARRAY_SIZE(simhost_type_names), val, &x);
		d->type = (enum dom_type)x;
		return rc;
	}
	if (strcmp(key, "shutdown_reason") == 0) {
		if ((rc = util_parse_uint(val, 0, DOM_SHUTDOWN_SOFT_RESET,
		    &v)) == 0)
			d->shutdown_reason = (int)v;
		return rc;
	}
	if (strcmp(key, "memory") == 0) {
		if ((rc = util_parse_uint(val, SIMMEM_PAGE_SIZE,
		    SIMMEM_MAX_PAGES * SIMMEM_PAGE_SIZE, &v)) != 0)
			return rc;
		if (v % SIMMEM_PAGE_SIZE != 0)
			return -EINVAL;
		d->memory = v;
		return 0;
	}
	return simhost_dom_kv2(d, key, val);
}

static int
simhost_dom_read(struct simhost *h, uint32_t domid, struct simdom *d)
{
	struct simhost_parse p = { .d = d };
	char path[PATH_MAX], buf[SIMHOST_INFO_MAX];
	int rc;

	if ((rc = simhost_dom_path(h, domid, "info", path,
	    sizeof(path))) != 0)
		return rc;
	if ((rc = simhost_read_file(path, buf, sizeof(buf))) != 0)
		return rc == -ENOENT ? -ESRCH : rc;
	memset(d, 0, sizeof(*d));
	if ((rc = simhost_parse_kv(buf, path, simhost_dom_kv, &p)) != 0)
		return rc;
	if ((p.seen | SIMHOST_DOM_OPTIONAL) !=
	    (1u << ARRAY_SIZE(simhost_dom_keys)) - 1) {
		log_warnx("%s: missing keys", path);
		return -EINVAL;
	}
	if (d->working_set > d->memory) {
		log_warnx("%s: working set larger than memory", path);
		return -EINVAL;
	}
	d->domid = domid;
	return 0;
}

static int
simhost_dom_write(struct simhost *h, const struct simdom *d)
{
	char path[PATH_MAX], buf[SIMHOST_INFO_MAX];
	int rc;

	if ((rc = simhost_dom_path(h, d->domid, "info", path,
	    sizeof(path))) != 0)
		return rc;
	simhost_dom_format(d, buf, sizeof(buf));
	return simhost_write_file(path, buf);
}

static void
simhost_dom0(struct simdom *d)
{
	memset(d, 0, sizeof(*d));
	d->domid = 0;
	strcpy(d->name, "Domain-0");
	d->state = DOM_RUNNING;
	d->type = DOM_TYPE_PV;
	d->vcpus = 1;
}

int
simhost_dom_get(struct simhost *h, uint32_t domid, struct simdom *d)
{
	if (domid == 0) {
		simhost_dom0(d);
		return 0;
	}
	return simhost_dom_read(h, domid, d);
}

void
simhost_dom_to_info(const struct simdom *d, struct dom_info *out)
{
	memset(out, 0, sizeof(*out));
	out->domid = d->domid;
	memcpy(out->name, d->name, sizeof(out->name));
	memcpy(out->uuid, d->uuid, sizeof(out->uuid));
	out->state = d->state;
	if (d->state == DOM_RUNNING && d->paused)
		out->state = DOM_PAUSED;
	out->shutdown_reason = d->shutdown_reason;
	out->type = d->type;
	out->max_memkb = d->memory / KiB;
	out->cur_memkb = d->memory / KiB;
	out->vcpus = d->vcpus;
	out->has_suspend_evtchn = 0;
	out->no_pv_drivers = d->type == DOM_TYPE_HVM && d->no_pv_drivers;
}

static int
simhost_cmp_domid(const void *a, const void *b)
{
	const struct simdom *x = a, *y = b;

	return x->domid < y->domid ? -1 : x->domid > y->domid;
}

/* Append every readable record to the list; unreadable ones are logged. */
int
simhost_scan(struct simhost *h, struct simdom **out, size_t *n)
{
	char path[PATH_MAX];
	struct simdom *v = NULL, *nv;
	struct dirent *de;
	size_t cnt = 1, cap = 0;
	uint64_t id;
	DIR *dir;
	int rc = 0;

	if ((rc = simhost_path(h, path, sizeof(path), "domains")))
		return rc;
	if ((dir = opendir(path)) == NULL) {
		rc = -errno;
		log_warn("opendir %s", path);
		return rc;
	}
	cap = 16;
	if ((v = calloc(cap, sizeof(*v))) == NULL) {
		closedir(dir);
		return -ENOMEM;
	}
	simhost_dom0(&v[0]);
	while ((de = readdir(dir)) != NULL) {
		if (util_parse_uint(de->d_name, 1, SIMHOST_MAX_DOMID,
		    &id) != 0)
			continue;
		if (cnt == cap) {
			if ((nv = reallocarray(v, cap * 2,
			    sizeof(*v))) == NULL) {
				rc = -ENOMEM;
				break;
			}
			v = nv;
			cap *= 2;
		}
		if (simhost_dom_read(h, (uint32_t)id, &v[cnt]) == 0)
			cnt++;
	}
	closedir(dir);
	if (rc != 0) {
		free(v);
		return rc;
	}
	qsort(v, cnt, sizeof(*v), simhost_cmp_domid);
	*out = v;
	*n = cnt;
	return 0;
}

int
simhost_dom_list(struct simhost *h, struct simdom **out, size_t *n)
{
	return simhost_scan(h, out, n);
}

/* ---------------------------------------------------------------- table */

/* Is the name or uuid taken by another domain?  Host lock held. */
static int
simhost_unique(struct simhost *h, const struct simdom *d)
{
	struct simdom *v;
	size_t n, i;
	int rc;

	if ((rc = simhost_scan(h, &v, &n)) != 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++) {
		if (v[i].domid == d->domid)
			continue;
		if (strcmp(v[i].name, d->name) == 0) {
			log_warnx("a domain named %s already exists (id %u)",
			    d->name, v[i].domid);
			rc = -EEXIST;
		} else if (v[i].domid != 0 &&
		    memcmp(v[i].uuid, d->uuid, 16) == 0) {
			log_warnx("domain %u already has that uuid",
			    v[i].domid);
			rc = -EEXIST;
		}
	}
	free(v);
	return rc;
}

static int
simhost_dom_check(const struct simdom *d)
{
	if (!simhost_name_ok(d->name)) {
		log_warnx("bad domain name \"%.64s\"", d->name);
		return -EINVAL;
	}
	if (d->memory == 0 || d->memory % SIMMEM_PAGE_SIZE != 0 ||
	    d->memory / SIMMEM_PAGE_SIZE > SIMMEM_MAX_PAGES ||
	    d->working_set > d->memory || d->vcpus == 0 || d->vcpus > 512 ||
	    (unsigned)d->type > DOM_TYPE_HVM ||
	    (d->no_pv_drivers && d->type != DOM_TYPE_HVM)) {
		log_warnx("%s: bad memory, working set, vcpus or type",
		    d->name);
		return -EINVAL;
	}
	return 0;
}

/* Create the directory and files of a new domain; host lock held. */
static int
simhost_dom_files(struct simhost *h, const struct simdom *d, unsigned flags)
{
	char dir[PATH_MAX], mem[PATH_MAX], sh[PATH_MAX], reuse[PATH_MAX];
	int rc, pooled = 0;

	if ((rc = simhost_dom_path(h, d->domid, NULL, dir, sizeof(dir))) ||
	    (rc = simhost_dom_path(h, d->domid, "mem", mem, sizeof(mem))) ||
	    (rc = simhost_dom_path(h, d->domid, "shared", sh, sizeof(sh))))
		return rc;
	if (mkdir(dir, 0700) == -1) {
		rc = -errno;
		log_warn("mkdir %s", dir);
		return rc;
	}
	if ((flags & SIMHOST_ADD_REUSE) &&
	    simhost_mem_pool_take(h, d->memory, reuse, sizeof(reuse)) == 0)
		pooled = 1;
	rc = simmem_create(mem, sh, d->memory / SIMMEM_PAGE_SIZE,
	    pooled ? reuse : NULL);
	if (rc != 0 && pooled)	/* a file system without links, say */
		rc = simmem_create(mem, sh, d->memory / SIMMEM_PAGE_SIZE,
		    NULL);
	if (rc != 0)
		goto fail_rmdir;
	if ((rc = simhost_dom_write(h, d)) != 0)
		goto fail_unlink;
	return 0;

fail_unlink:
	unlink(mem);
	unlink(sh);
fail_rmdir:
	rmdir(dir);
	return rc;
}

int
simhost_dom_add(struct simhost *h, struct simdom *d, unsigned flags)
{
	struct simhost_rec rec;
	int rc;

	if ((rc = simhost_dom_check(d)) != 0)
		return rc;
	if ((rc = simhost_lock(h)) != 0)
		return rc;
	if ((rc = simhost_rec_read(h, &rec)) != 0)
		goto out;
	if (rec.next_domid > SIMHOST_MAX_DOMID) {
		log_warnx("%s: no domain ids left", h->dir);
		rc = -ENOSPC;
		goto out;
	}
	d->domid = UINT32_MAX;	/* none yet: unique() skips its own id */
	if ((rc = simhost_unique(h, d)) != 0 ||
	    (rc = simhost_mem_fits(h, d->memory, d->name)) != 0)
		goto out;
	d->domid = rec.next_domid;
	rec.next_domid++;
	/* Burn the id first: a crash later must not let it be reused. */
	if ((rc = simhost_rec_write(h, &rec)) != 0)
		goto out;
	rc = simhost_dom_files(h, d, flags);
out:
	simhost_unlock(h);
	return rc;
}

/* Remove every file in a domain's directory, then the directory. */
static int
simhost_rmtree(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dp;
	int rc = 0;

	if ((dp = opendir(dir)) == NULL)
		return -errno;
	while ((de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    de->d_name) >= sizeof(path) || unlink(path) == -1) {
			log_warn("unlink %s/%s", dir, de->d_name);
			rc = -EIO;
		}
	}
	closedir(dp);
	if (rmdir(dir) == -1) {
		rc = -errno;
		log_warn("rmdir %s", dir);
	}
	return rc;
}

int
simhost_dom_remove(struct simhost *h, uint32_t domid)
{
	char dir[PATH_MAX], mem[PATH_MAX];
	struct simdom d;
	int rc, later = -1;

	if (domid == 0) {
		log_warnx("domain 0 cannot be removed");
		return -EPERM;
	}
	if ((rc = simhost_dom_path(h, domid, NULL, dir, sizeof(dir))) != 0)
		return rc;
	if ((rc = simhost_lock(h)) != 0)
		return rc;
	/* The info file goes first: from then on nobody sees the domain. */
	if ((rc = simhost_dom_read(h, domid, &d)) == 0 ||
	    access(dir, F_OK) == 0) {
		if (!simhost_mem_pool_put(h, domid) &&
		    simhost_dom_path(h, domid, "mem", mem, sizeof(mem)) == 0)
			later = simmem_defer_free(mem);
		rc = simhost_rmtree(dir);
		if (later != -1)
			close(later);
	}
	simhost_unlock(h);
	return rc;
}

int
simhost_dom_update(struct simhost *h, uint32_t domid,
    int (*fn)(struct simdom *d, void *arg), void *arg)
{
	struct simdom d, old;
	int rc;

	if (domid == 0) {
		log_warnx("domain 0 cannot be changed");
		return -EPERM;
	}
	if ((rc = simhost_lock(h)) != 0)
		return rc;
	if ((rc = simhost_dom_read(h, domid, &old)) != 0)
		goto out;
	d = old;
	if ((rc = fn(&d, arg)) != 0)
		goto out;
	d.domid = domid;
	if ((rc = simhost_dom_check(&d)) != 0)
		goto out;
	if (strcmp(d.name, old.name) != 0 &&
	    (rc = simhost_unique(h, &d)) != 0)
		goto out;
	rc = simhost_dom_write(h, &d);
out:
	simhost_unlock(h);
	return rc;
}

int
simhost_dom_write_file(struct simhost *h, uint32_t domid, const char *leaf,
    const char *text)
{
	char path[PATH_MAX];
	int rc;

	if ((rc = simhost_dom_path(h, domid, leaf, path, sizeof(path))) != 0)
		return rc;
	return simhost_write_file(path, text);
}

int
simhost_dom_read_file(struct simhost *h, uint32_t domid, const char *leaf,
    char *buf, size_t len)
{
	char path[PATH_MAX];
	int rc;

	if ((rc = simhost_dom_path(h, domid, leaf, path, sizeof(path))) != 0)
		return rc;
	return simhost_read_file(path, buf, len);
}

int
simhost_raise_virq(struct simhost *h)
{
	char path[PATH_MAX], buf[32];
	uint64_t pid;
	char *nl;

	if (simhost_path(h, path, sizeof(path),
	    "xenstored.pid") != 0 ||
	    simhost_read_file(path, buf, sizeof(buf)) != 0) {
		log_debug("%s: no xenstore server to signal", h->dir);
		return -ESRCH;
	}
	if ((nl = strchr(buf, '\n')) != NULL)
		*nl = '\0';
	if (util_parse_uint(buf, 2, INT32_MAX, &pid) != 0 ||
	    kill((pid_t)pid, SIGUSR1) == -1) {
		log_debug("%s: xenstore server pid \"%s\" not signalled",
		    h->dir, buf);
		return -ESRCH;
	}
	return 0;
}

int
simhost_dom_map(struct simhost *h, uint32_t domid, struct simmem **out)
{
	char mem[PATH_MAX], sh[PATH_MAX];
	int rc;

	if (domid == 0) {
		log_warnx("domain 0's memory cannot be mapped");
		return -EPERM;
	}
	if ((rc = simhost_dom_path(h, domid, "mem", mem, sizeof(mem))) ||
	    (rc = simhost_dom_path(h, domid, "shared", sh, sizeof(sh))))
		return rc;
	if (access(sh, F_OK) == -1 && errno == ENOENT) {
		log_warnx("no domain %u on %s", domid, h->dir);
		return -ESRCH;
	}
	return simmem_open(mem, sh, out);
}
