/*
 * be_sim.c - the "sim" backend: the simulated Xen host.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xenstore.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "backend.h"
#include "be_sim.h"
#include "be_sim_dm.h"
#include "be_sim_stream.h"
#include "conf.h"
#include "fault.h"
#include "json.h"
#include "log.h"
#include "simdisk.h"
#include "simdm.h"
#include "simguest.h"
#include "simhost.h"
#include "simmem.h"
#include "simxs_server.h"
#include "util.h"
#include "uuid.h"

#define BESIM_PAUSE_TIMEOUT_MS	5000
#define BESIM_CONFIG_MAX	(1024 * 1024)	/* bytes of config JSON */

struct besim {
	struct simhost	*h;
	char		 xs_path[PATH_MAX];
	char		 exe[PATH_MAX];		/* "" : fork, no exec */
};

static struct besim *
besim(struct backend *be)
{
	return be->priv;
}

struct simhost *
be_sim_host(struct backend *be)
{
	return besim(be)->h;
}

const char *
be_sim_exe(struct backend *be)
{
	return besim(be)->exe[0] != '\0' ? besim(be)->exe : NULL;
}

/*
 * A domain's process is a fresh image, "xmig sim guest" (or "xmig sim
 * dm"), whoever starts it: xmig itself; xmigd the xmig beside it in the
 * build tree or in BINDIR (XMIG_EXE overrides).  A child forked from a
 * threaded xmigd worker without exec could block for ever on a lock
 * another thread held at the fork.  Only where no xmig is found (a test
 * program) a forked child runs the guest without exec.
 */
static int
besim_try_exe(struct besim *s, const char *dir, const char *rel)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s%s", dir, rel) >=
	    (int)sizeof(path) || access(path, X_OK) != 0)
		return 0;
	return util_strlcpy(s->exe, path, sizeof(s->exe)) == 0;
}

static void
besim_find_exe(struct besim *s)
{
	char buf[PATH_MAX];
	const char *env;
	char *base;
	ssize_t n;

	s->exe[0] = '\0';
	if ((env = getenv("XMIG_EXE")) != NULL && *env != '\0' &&
	    besim_try_exe(s, env, ""))
		return;
	if ((n = readlink("/proc/self/exe", buf, sizeof(buf) - 1)) <= 0)
		return;
	buf[n] = '\0';
	if ((base = strrchr(buf, '/')) == NULL)
		return;
	*base++ = '\0';
	if (strcmp(base, "xmig") == 0) {
		(void)besim_try_exe(s, buf, "/xmig");
		return;
	}
	if (strcmp(base, "xmigd") != 0)
		return;
	if (!besim_try_exe(s, buf, "/../cli/xmig") &&
	    !besim_try_exe(s, buf, "/xmig"))
		(void)besim_try_exe(s, BINDIR, "/xmig");
}

int
be_sim_open(struct backend *be, const char *dir, uint64_t memory)
{
	struct besim *s;
	const char *env;
	int rc;

	if (dir == NULL)
		dir = (env = getenv("XMIG_SIM_DIR")) != NULL && *env != '\0' ?
		    env : XMIG_DEFAULT_SIM_DIR;
	if (memory == 0 && (env = getenv("XMIG_SIM_MEMORY")) != NULL &&
	    *env != '\0' && util_parse_size(env, MiB, &memory) != 0) {
		log_warnx("XMIG_SIM_MEMORY=%s: not a size", env);
		return -EINVAL;
	}
	if (memory == 0)
		memory = SIMHOST_DEFAULT_MEMORY;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -ENOMEM;
	if ((rc = simhost_open(dir, memory, &s->h)) != 0)
		goto fail;
	if ((rc = simxs_socket_path(dir, s->xs_path,
	    sizeof(s->xs_path))) != 0)
		goto fail;
	besim_find_exe(s);
	be->ops = &sim_backend_ops;
	be->priv = s;
	return 0;
fail:
	simhost_close(s->h);
	free(s);
	return rc;
}

static int
besim_open(struct backend *be, const char *sim_dir)
{
	return be_sim_open(be, sim_dir, 0);
}

static void
besim_close(struct backend *be)
{
	struct besim *s = besim(be);

	if (s == NULL)
		return;
	simhost_close(s->h);
	free(s);
	be->priv = NULL;
}

int
be_sim_map(struct backend *be, uint32_t domid, struct simmem **m)
{
	return simhost_dom_map(besim(be)->h, domid, m);
}

/* ------------------------------------------------------------ xenstore */

/* A connection to this host's xenstore, or NULL when none runs. */
static struct xs_handle *
besim_xs_open(struct besim *s)
{
	struct xs_handle *xs;

	setenv("XENSTORED_PATH", s->xs_path, 1);
	if ((xs = xs_open(XS_OPEN_SOCKETONLY)) == NULL)
		log_debug("no xenstore server at %s", s->xs_path);
	return xs;
}

static int
besim_xs_put(struct xs_handle *xs, const char *path, const char *val,
    struct xs_permissions *perms, unsigned nperms)
{
	if (!xs_write(xs, XBT_NULL, path, val, (unsigned)strlen(val)) ||
	    (perms != NULL &&
	    !xs_set_permissions(xs, XBT_NULL, path, perms, nperms))) {
		log_warn("xenstore %s", path);
		return -EIO;
	}
	return 0;
}

/* The nodes libxl writes for a new domain, then INTRODUCE. */
static int
besim_xs_populate(struct besim *s, const struct simdom *d)
{
	struct xs_permissions ro[2] = {
		{ .id = 0, .perms = XS_PERM_NONE },
		{ .id = d->domid, .perms = XS_PERM_READ },
	};
	struct xs_permissions rw[1] = {
		{ .id = d->domid, .perms = XS_PERM_NONE },
	};
	struct xs_handle *xs;
	char dom[64], p[160], v[80], uuid[UUID_STR_LEN];
	int rc = 0;

	if ((xs = besim_xs_open(s)) == NULL) {
		log_warnx("domain %u: no xenstore server at %s", d->domid,
		    s->xs_path);
		return -ENOTCONN;
	}
	uuid_fmt(d->uuid, uuid);
	snprintf(dom, sizeof(dom), "/local/domain/%u", d->domid);
#define PUT(leaf, val, perm, n) do {					\
	snprintf(p, sizeof(p), "%s%s", dom, leaf);			\
	if (rc == 0)							\
		rc = besim_xs_put(xs, p, val, perm, n);			\
} while (0)
	PUT("", "", ro, 2);
	PUT("/name", d->name, NULL, 0);
	snprintf(v, sizeof(v), "%u", d->domid);
	PUT("/domid", v, NULL, 0);
	snprintf(v, sizeof(v), "/vm/%s", uuid);
	PUT("/vm", v, NULL, 0);
	PUT("/control", "", NULL, 0);
	PUT("/control/shutdown", "", rw, 1);
	PUT("/control/platform-feature-multiprocessor-suspend", "1", NULL, 0);
	snprintf(v, sizeof(v), "%llu", (unsigned long long)(d->memory / KiB));
	PUT("/memory", "", NULL, 0);
	PUT("/memory/target", v, NULL, 0);
	PUT("/data", "", rw, 1);
	snprintf(dom, sizeof(dom), "/vm/%s", uuid);
	PUT("", "", ro, 2);
	PUT("/name", d->name, NULL, 0);
	PUT("/uuid", uuid, NULL, 0);
#undef PUT
	if (rc == 0 && !xs_introduce_domain(xs, d->domid,
	    0xfeff0000u + d->domid, 1)) {
		log_warn("domain %u: xenstore introduce", d->domid);
		rc = -EIO;
	}
	xs_close(xs);
	return rc;
}

/* RELEASE the domain and remove its nodes; quiet without a server. */
static void
besim_xs_remove(struct besim *s, const struct simdom *d)
{
	struct xs_handle *xs;
	char p[80], uuid[UUID_STR_LEN];

	if ((xs = besim_xs_open(s)) == NULL)
		return;
	if (!xs_release_domain(xs, d->domid))
		log_debug("domain %u: xenstore release failed", d->domid);
	snprintf(p, sizeof(p), "/local/domain/%u", d->domid);
	(void)xs_rm(xs, XBT_NULL, p);
	uuid_fmt(d->uuid, uuid);
	snprintf(p, sizeof(p), "/vm/%s", uuid);
	(void)xs_rm(xs, XBT_NULL, p);
	xs_close(xs);
}

static void
besim_xs_rename(struct besim *s, const struct simdom *d)
{
	struct xs_handle *xs;
	char p[80], uuid[UUID_STR_LEN];

	if ((xs = besim_xs_open(s)) == NULL)
		return;
	snprintf(p, sizeof(p), "/local/domain/%u/name", d->domid);
	if (!xs_write(xs, XBT_NULL, p, d->name, (unsigned)strlen(d->name)))
		log_warn("xenstore %s", p);
	uuid_fmt(d->uuid, uuid);
	snprintf(p, sizeof(p), "/vm/%s/name", uuid);
	(void)xs_write(xs, XBT_NULL, p, d->name, (unsigned)strlen(d->name));
	xs_close(xs);
}

/* ------------------------------------------------------------ records */

static int
besim_set_crashed(struct simdom *d, void *arg)
{
	(void)arg;
	if (d->state != DOM_RUNNING)
		return -EALREADY;
	d->state = DOM_SHUTDOWN;
	d->shutdown_reason = DOM_SHUTDOWN_CRASH;
	return 0;
}

/*
 * A running domain whose guest process died without shutting down has
 * crashed: record it (once) so every later view agrees.
 */
static void
besim_notice_crash(struct besim *s, struct simdom *d)
{
	pid_t pid;

	if (d->domid == 0 || d->state != DOM_RUNNING || !d->guest_started ||
	    simguest_alive(s->h, d->domid, &pid) != -ESRCH)
		return;
	if (simhost_dom_update(s->h, d->domid, besim_set_crashed, NULL) == 0) {
		log_warnx("domain %u (%s): guest process died: crashed",
		    d->domid, d->name);
		(void)simhost_raise_virq(s->h);
	}
	d->state = DOM_SHUTDOWN;
	d->shutdown_reason = DOM_SHUTDOWN_CRASH;
}

static int
besim_list(struct backend *be, struct dom_info **out, size_t *n)
{
	struct besim *s = besim(be);
	struct simdom *v;
	struct dom_info *r;
	size_t i, cnt;
	int rc;

	if ((rc = simhost_dom_list(s->h, &v, &cnt)) != 0)
		return rc;
	if ((r = calloc(cnt, sizeof(*r))) == NULL) {
		free(v);
		return -ENOMEM;
	}
	for (i = 0; i < cnt; i++) {
		besim_notice_crash(s, &v[i]);
		simhost_dom_to_info(&v[i], &r[i]);
	}
	free(v);
	*out = r;
	*n = cnt;
	return 0;
}

static int
besim_get(struct besim *s, uint32_t domid, struct simdom *d)
{
	int rc;

	if ((rc = simhost_dom_get(s->h, domid, d)) != 0)
		return rc;
	besim_notice_crash(s, d);
	return 0;
}

static int
besim_info(struct backend *be, uint32_t domid, struct dom_info *out)
{
	struct simdom d;
	int rc;

	if ((rc = besim_get(besim(be), domid, &d)) != 0)
		return rc;
	simhost_dom_to_info(&d, out);
	return 0;
}

static int
besim_changeable(const struct simdom *d, const char *what)
{
	if (d->domid == 0) {
		log_warnx("Domain-0 cannot be %s", what);
		return -EPERM;
	}
	if (d->state == DOM_DYING) {
		log_warnx("domain %u is being destroyed", d->domid);
		return -EBUSY;
	}
	return 0;
}

/* ------------------------------------------------------------ create */

static int
besim_fill(const struct be_sim_params *p, struct simdom *d)
{
	int rc;

	memset(d, 0, sizeof(*d));
	if (p->name == NULL || util_strlcpy(d->name, p->name,
	    sizeof(d->name)) != 0) {
		log_warnx("domain name missing or longer than %d bytes",
		    DOMNAME_MAX - 1);
		return -EINVAL;
	}
	if (p->uuid != NULL)
		memcpy(d->uuid, p->uuid, 16);
	else if ((rc = simhost_uuid_generate(d->uuid)) != 0)
		return rc;
	if ((unsigned)p->type > DOM_TYPE_HVM ||
	    (p->no_pv_drivers && p->type != DOM_TYPE_HVM)) {
		log_warnx("%s: only an HVM domain can be without PV drivers",
		    p->name);
		return -EINVAL;
	}
	d->state = DOM_RUNNING;
	d->type = p->type;
	d->no_pv_drivers = p->no_pv_drivers != 0;
	d->memory = p->memory;
	d->vcpus = p->vcpus == 0 ? 1 : p->vcpus;
	d->dirty_rate = p->dirty_rate;
	d->working_set = p->working_set;
	d->ignore_suspend = p->ignore_suspend != 0;
	return 0;
}

static int
besim_set_started(struct simdom *d, void *arg)
{
	(void)arg;
	d->guest_started = 1;
	return 0;
}

static int
besim_start_guest(struct besim *s, uint32_t domid)
{
	pid_t pid;
	int rc;

	rc = simguest_spawn(simhost_dir(s->h), domid,
	    s->exe[0] != '\0' ? s->exe : NULL, &pid);
	if (rc != 0)
		return rc;
	log_debug("domain %u: guest process %ld", domid, (long)pid);
	return simhost_dom_update(s->h, domid, besim_set_started, NULL);
}

/*
 * The disks of a new domain: new images (sim create), or those its
 * config names (a restore).  *images when new ones were made.
 */
static int
besim_disks(struct besim *s, const struct be_sim_params *p,
    struct simdisk_cfg *dc, int *images)
{
	char why[160];
	unsigned i;
	int rc;

	*images = 0;
	if (p->ndisks == 0)
		return simdisk_cfg_from_json(p->config_json, dc);
	memset(dc, 0, sizeof(*dc));
	dc->n = p->ndisks;
	dc->rate = p->disk_rate;
	for (i = 0; i < p->ndisks && i < SIMDISK_MAX; i++)
		dc->d[i].size = p->disk_size[i];
	if (simdisk_cfg_check(dc, why, sizeof(why)) != 0) {
		log_warnx("%s: %s", p->name, why);
		return -EINVAL;
	}
	if (p->memory / SIMMEM_PAGE_SIZE < simdisk_ledger_pages(dc) +
	    SIMGUEST_MIN_PAGES * 2) {
		log_warnx("%s: too little memory for the ledger of its disks",
		    p->name);
		return -EINVAL;
	}
	if ((rc = simdisk_create_images(s->h, p->name, dc)) != 0)
		return rc;
	*images = 1;
	return 0;
}

/* Add the domain and its xenstore; with "format", lay out a guest. */
static int
besim_create(struct besim *s, const struct be_sim_params *p, int paused,
    uint32_t *domid)
{
	struct simmem *m = NULL;
	struct simdisk_cfg dc;
	struct simdom d;
	char why[512];
	int rc, images = 0;

	if ((rc = besim_fill(p, &d)) != 0)
		return rc;
	if ((rc = besim_disks(s, p, &dc, &images)) != 0)
		return rc;
	d.paused = paused;
	if ((rc = simxs_ensure_running(simhost_dir(s->h))) != 0) {
		log_warnx("%s: xenstore server did not start",
		    simhost_dir(s->h));
		return rc;
	}
	if ((rc = simhost_dom_add(s->h, &d,
	    paused ? SIMHOST_ADD_REUSE : 0)) != 0)
		return rc;
	if (!paused) {
		if ((rc = simhost_dom_map(s->h, d.domid, &m)) != 0)
			goto fail_remove;
		rc = simguest_format(m, d.working_set, SIMGUEST_MODE_RANDOM,
		    p->content);
		if (rc == 0)
			rc = simdisk_format(m, &dc);
		simmem_close(m);
		if (rc != 0)
			goto fail_remove;
	}
	if (dc.n > 0 && (rc = simdisk_attach(s->h, d.domid, &dc)) != 0)
		goto fail_remove;
	if ((rc = besim_xs_populate(s, &d)) != 0)
		goto fail_xs;
	/* The device model first: the guest's devices are there at boot. */
	if (!paused && d.type == DOM_TYPE_HVM &&
	    (rc = simdm_spawn(s->h, d.domid, s->exe[0] != '\0' ? s->exe :
	    NULL, NULL, why, sizeof(why))) != 0)
		goto fail_xs;
	if (!paused && (rc = besim_start_guest(s, d.domid)) != 0)
		goto fail_xs;
	*domid = d.domid;
	log_debug("domain %u (%s) created", d.domid, d.name);
	return 0;

fail_xs:
	(void)simguest_kill(s->h, d.domid);
	(void)simdm_kill(s->h, d.domid);
	besim_xs_remove(s, &d);
fail_remove:
	(void)simhost_dom_remove(s->h, d.domid);
	if (images)
		simdisk_remove_images(&dc);
	return rc;
}

int
be_sim_create(struct backend *be, const struct be_sim_params *p,
    uint32_t *domid)
{
	return besim_create(besim(be), p, 0, domid);
}

int
be_sim_create_paused(struct backend *be, const struct be_sim_params *p,
    uint32_t *domid)
{
	return besim_create(besim(be), p, 1, domid);
}

/* ------------------------------------------------------------ pause */

static int
besim_set_paused(struct simdom *d, void *arg)
{
	d->paused = *(int *)arg;
	return 0;
}

static int
besim_pause(struct backend *be, uint32_t domid)
{
	struct besim *s = besim(be);
	struct simmem *m;
	struct simdom d;
	pid_t pid;
	int rc, on = 1;

	if ((rc = besim_get(s, domid, &d)) != 0 ||
	    (rc = besim_changeable(&d, "paused")) != 0)
		return rc;
	if ((rc = simhost_dom_map(s->h, domid, &m)) != 0)
		return rc;
	simmem_pause_request(m);
	if (simguest_alive(s->h, domid, &pid) == 0 &&
	    simmem_pause_wait(m, BESIM_PAUSE_TIMEOUT_MS) != 0) {
		log_warnx("domain %u: guest did not pause within %d ms",
		    domid, BESIM_PAUSE_TIMEOUT_MS);
		simmem_unpause(m);
		rc = -ETIMEDOUT;
	}
	simmem_close(m);
	if (rc == 0)
		rc = simhost_dom_update(s->h, domid, besim_set_paused, &on);
	return rc;
}

/* Unpause; with "dm", an HVM domain's device model gets "cont" first. */
static int
besim_unpause_dm(struct backend *be, uint32_t domid, int dm)
{
	struct besim *s = besim(be);
	struct simmem *m;
	struct simdom d;
	int rc, off = 0;

	if ((rc = besim_get(s, domid, &d)) != 0 ||
	    (rc = besim_changeable(&d, "unpaused")) != 0)
		return rc;
	/*
	 * As libxl's unpause: the device model runs first (a restored one
	 * starts stopped), and a device model that cannot is a failure.
	 */
	if (dm && d.type == DOM_TYPE_HVM && d.state == DOM_RUNNING &&
	    (rc = be_sim_dm_cont(be, domid)) != 0)
		return rc;
	/*
	 * As on Xen, a domain that shut down (suspended by hypercall, say)
	 * does not run when unpaused: only a resume brings it back.
	 */
	if (d.state == DOM_SHUTDOWN)
		return simhost_dom_update(s->h, domid, besim_set_paused, &off);
	if ((rc = simhost_dom_map(s->h, domid, &m)) != 0)
		return rc;
	simmem_unpause(m);
	simmem_close(m);
	/* A restored domain's guest starts at its first unpause. */
	if (!d.guest_started && d.state == DOM_RUNNING &&
	    (rc = besim_start_guest(s, domid)) != 0)
		return rc;
	return simhost_dom_update(s->h, domid, besim_set_paused, &off);
}

static int
besim_unpause(struct backend *be, uint32_t domid)
{
	return besim_unpause_dm(be, domid, 1);
}

/* ------------------------------------------------------------ lifecycle */

static int
besim_set_dying(struct simdom *d, void *arg)
{
	(void)arg;
	d->state = DOM_DYING;
	return 0;
}

static int
besim_destroy(struct backend *be, uint32_t domid)
{
	struct besim *s = besim(be);
	struct simdom d;
	int rc;

	if ((rc = simhost_dom_get(s->h, domid, &d)) != 0)
		return rc;
	if (domid == 0) {
		log_warnx("Domain-0 cannot be destroyed");
		return -EPERM;
	}
	/*
	 * As on Xen, a destroy cut short leaves the domain dying; it never
	 * runs again, and another destroy finishes it.
	 */
	if ((rc = simhost_dom_update(s->h, domid, besim_set_dying,
	    NULL)) != 0)
		return rc;
	if (fault_armed("sim-destroy-cut-short"))
		abort();
	if ((rc = simguest_kill(s->h, domid)) != 0 ||
	    (rc = simdm_kill(s->h, domid)) != 0)
		return rc;
	besim_xs_remove(s, &d);
	if ((rc = simhost_dom_remove(s->h, domid)) != 0)
		return rc;
	(void)simhost_raise_virq(s->h);
	log_debug("domain %u (%s) destroyed", domid, d.name);
	return 0;
}

static int
besim_set_name(struct simdom *d, void *arg)
{
	return util_strlcpy(d->name, arg, sizeof(d->name)) == 0 ? 0 :
	    -EINVAL;
}

static int
besim_rename(struct backend *be, uint32_t domid, const char *name)
{
	struct besim *s = besim(be);
	struct simdom d;
	int rc;

	if ((rc = besim_get(s, domid, &d)) != 0 ||
	    (rc = besim_changeable(&d, "renamed")) != 0)
		return rc;
	if ((rc = simhost_dom_update(s->h, domid, besim_set_name,
	    (void *)(uintptr_t)name)) != 0)
		return rc;
	(void)util_strlcpy(d.name, name, sizeof(d.name));
	besim_xs_rename(s, &d);
	return 0;
}

static int
besim_set_resumed(struct simdom *d, void *arg)
{
	(void)arg;
	if (d->state != DOM_SHUTDOWN ||
	    d->shutdown_reason != DOM_SHUTDOWN_SUSPEND) {
		log_warnx("domain %u is not suspended", d->domid);
		return -EINVAL;
	}
	d->state = DOM_RUNNING;
	d->shutdown_reason = 0;
	return 0;
}

/*
 * The record goes back to running first, then the guest is told: it set
 * "suspended" before recording the suspend (see simguest.c).
 */
/*
 * Has the device model died?  A dying one can still take a connection
 * and then reset it: give it a moment to be gone.
 */
static int
besim_dm_gone(struct besim *s, uint32_t domid)
{
	int i;

	for (i = 0; i < 20; i++) {
		if (simdm_alive(s->h, domid) != 0)
			return 1;
		usleep(50000);
	}
	return 0;
}

static int
besim_resume(struct backend *be, uint32_t domid)
{
	struct besim *s = besim(be);
	struct simmem *m;
	struct simdom d;
	int rc;

	if (domid == 0)
		return -EPERM;
	if ((rc = besim_get(s, domid, &d)) != 0)
		return rc;
	/*
	 * The device model (stopped by a save) runs again first; one that
	 * refuses leaves the domain suspended.  One that is gone (it died)
	 * is not waited for: libxl would leave the guest suspended, but
	 * then no copy of it would run anywhere (DESIGN.md, invariant 1);
	 * it runs on, without its devices, and "sim check" says so.
	 */
	if (d.type == DOM_TYPE_HVM && d.state == DOM_SHUTDOWN &&
	    d.shutdown_reason == DOM_SHUTDOWN_SUSPEND &&
	    (rc = be_sim_dm_cont(be, domid)) != 0) {
		if (rc != -ENOENT && rc != -ECONNREFUSED &&
		    besim_dm_gone(s, domid))
			rc = -ENOENT;
		if (rc != -ENOENT && rc != -ECONNREFUSED) {
			log_warnx("domain %u: its device model cannot run: "
			    "left suspended", domid);
			return rc;
		}
		log_warnx("domain %u: its device model is gone: the guest "
		    "runs on without it (its device state is lost)", domid);
	}
	if ((rc = simhost_dom_update(s->h, domid, besim_set_resumed,
	    NULL)) != 0)
		return rc;
	if ((rc = simhost_dom_map(s->h, domid, &m)) != 0)
		return rc;
	__atomic_fetch_add(&m->ctl->resume_count, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&m->ctl->suspended, 0, __ATOMIC_SEQ_CST);
	simmem_wake(m);
	simmem_close(m);
	return besim_unpause_dm(be, domid, 0);
}

static int
besim_set_suspended(struct simdom *d, void *arg)
{
	(void)arg;
	if (d->state != DOM_RUNNING)
		return -EINVAL;
	d->state = DOM_SHUTDOWN;
	d->shutdown_reason = DOM_SHUTDOWN_SUSPEND;
	return 0;
}

/*
 * SHUTDOWN_suspend by the hypervisor: the guest is stopped where it is
 * (between two page writes or device I/Os, its pause point), without
 * being asked, and the domain shuts down for suspend.  A resume lets it
 * go on (besim_resume() unpauses it); after a move, its copy starts
 * from the memory it left.
 */
static int
besim_suspend_hypercall(struct backend *be, uint32_t domid)
{
	struct besim *s = besim(be);
	struct simmem *m;
	struct simdom d;
	pid_t pid;
	int rc;

	if ((rc = besim_get(s, domid, &d)) != 0 ||
	    (rc = besim_changeable(&d, "suspended")) != 0)
		return rc;
	if (d.state != DOM_RUNNING) {
		log_warnx("domain %u is not running", domid);
		return -EINVAL;
	}
	if ((rc = simhost_dom_map(s->h, domid, &m)) != 0)
		return rc;
	simmem_pause_request(m);
	if (simguest_alive(s->h, domid, &pid) == 0 &&
	    simmem_pause_wait(m, BESIM_PAUSE_TIMEOUT_MS) != 0) {
		log_warnx("domain %u: guest did not stop within %d ms",
		    domid, BESIM_PAUSE_TIMEOUT_MS);
		rc = -ETIMEDOUT;
	}
	if (rc == 0 && (rc = simhost_dom_update(s->h, domid,
	    besim_set_suspended, NULL)) != 0)
		log_warnx("domain %u: cannot record the suspend", domid);
	if (rc != 0)
		simmem_unpause(m);
	simmem_close(m);
	if (rc == 0) {
		log_debug("domain %u: suspended by hypercall", domid);
		(void)simhost_raise_virq(s->h);
	}
	return rc;
}

static int
besim_free_memory(struct backend *be, uint64_t *bytes)
{
	uint64_t total;

	return simhost_memory(besim(be)->h, &total, bytes);
}

static const char *
besim_xenstore_path(struct backend *be)
{
	return besim(be)->xs_path;
}

/* ------------------------------------------------------------ config */

static void
besim_gen_str(yajl_gen g, const char *s)
{
	yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static void
besim_gen_kv_str(yajl_gen g, const char *k, const char *v)
{
	besim_gen_str(g, k);
	besim_gen_str(g, v);
}

static void
besim_gen_kv_int(yajl_gen g, const char *k, uint64_t v)
{
	besim_gen_str(g, k);
	yajl_gen_integer(g, (long long)v);
}

/* libxl's "disks": the images, as a qdisk backend would serve them. */
static void
besim_gen_disks(yajl_gen g, const struct simdisk_cfg *dc)
{
	char vdev[8];
	unsigned i;

	if (dc->n == 0)
		return;
	besim_gen_str(g, "disks");
	yajl_gen_array_open(g);
	for (i = 0; i < dc->n; i++) {
		snprintf(vdev, sizeof(vdev), "xvd%c", 'a' + i);
		yajl_gen_map_open(g);
		besim_gen_kv_str(g, "pdev_path", dc->d[i].path);
		besim_gen_kv_str(g, "vdev", vdev);
		besim_gen_kv_str(g, "backend", "qdisk");
		besim_gen_kv_str(g, "format", "raw");
		besim_gen_kv_int(g, "readwrite", 1);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

/* The libxl domain config, plus "xmig_sim": the guest's workload. */
static void
besim_gen_config(yajl_gen g, const struct simdom *d,
    const struct simdisk_cfg *dc)
{
	char uuid[UUID_STR_LEN];

	uuid_fmt(d->uuid, uuid);
	yajl_gen_map_open(g);
	besim_gen_str(g, "c_info");
	yajl_gen_map_open(g);
	besim_gen_kv_str(g, "type", dom_type_name(d->type));
	besim_gen_kv_str(g, "name", d->name);
	besim_gen_kv_str(g, "uuid", uuid);
	yajl_gen_map_close(g);
	besim_gen_str(g, "b_info");
	yajl_gen_map_open(g);
	besim_gen_kv_int(g, "max_vcpus", d->vcpus);
	besim_gen_kv_int(g, "max_memkb", d->memory / KiB);
	besim_gen_kv_int(g, "target_memkb", d->memory / KiB);
	if (d->type == DOM_TYPE_HVM)
		besim_gen_kv_str(g, "device_model_version", "qemu_xen");
	besim_gen_str(g, d->type == DOM_TYPE_PV ? "type.pv" :
	    d->type == DOM_TYPE_PVH ? "type.pvh" : "type.hvm");
	yajl_gen_map_open(g);
	/* libxl's defbool: "False" turns the platform device off. */
	if (d->type == DOM_TYPE_HVM)
		besim_gen_kv_str(g, "xen_platform_pci", d->no_pv_drivers ?
		    "False" : "True");
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	besim_gen_kv_str(g, "on_poweroff", "destroy");
	besim_gen_kv_str(g, "on_reboot", "restart");
	besim_gen_kv_str(g, "on_crash", "destroy");
	besim_gen_disks(g, dc);
	besim_gen_str(g, "xmig_sim");
	yajl_gen_map_open(g);
	besim_gen_kv_int(g, "disk_rate", dc->rate);
	besim_gen_kv_int(g, "dirty_rate", d->dirty_rate);
	besim_gen_kv_int(g, "working_set", d->working_set);
	besim_gen_str(g, "ignore_suspend");
	yajl_gen_bool(g, d->ignore_suspend);
	besim_gen_str(g, "no_pv_drivers");
	yajl_gen_bool(g, d->no_pv_drivers);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
}

static int
besim_config_json(struct backend *be, uint32_t domid, char **json)
{
	struct simdisk_cfg dc;
	const unsigned char *buf;
	struct simdom d;
	yajl_gen g;
	size_t len;
	int rc;

	if ((rc = simhost_dom_get(besim(be)->h, domid, &d)) != 0)
		return rc;
	if (domid == 0) {
		log_warnx("Domain-0 has no domain configuration");
		return -EPERM;
	}
	if ((rc = simdisk_cfg_read(besim(be)->h, domid, &dc)) == -ENOENT)
		dc.n = 0;
	else if (rc != 0)
		return rc;
	if ((g = yajl_gen_alloc(NULL)) == NULL)
		return -ENOMEM;
	besim_gen_config(g, &d, &dc);
	rc = -ENOMEM;
	if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok &&
	    (*json = strndup((const char *)buf, len)) != NULL)
		rc = 0;
	yajl_gen_free(g);
	return rc;
}

static int
besim_json_uint(yajl_val root, const char *key, uint64_t max, uint64_t *out)
{
	const char *path[] = { "xmig_sim", key, NULL };
	yajl_val v;

	if ((v = yajl_tree_get(root, path, yajl_t_any)) == NULL)
		return 0;
	if (!YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < 0 ||
	    (uint64_t)YAJL_GET_INTEGER(v) > max) {
		log_warnx("domain config: xmig_sim.%s: not an integer in "
		    "[0, %llu]", key, (unsigned long long)max);
		return -EINVAL;
	}
	*out = (uint64_t)YAJL_GET_INTEGER(v);
	return 0;
}

static int
besim_json_bool(yajl_val root, const char *key, int *out)
{
	const char *path[] = { "xmig_sim", key, NULL };
	yajl_val v;

	if ((v = yajl_tree_get(root, path, yajl_t_any)) == NULL)
		return 0;
	if (!YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v)) {
		log_warnx("domain config: xmig_sim.%s: not a boolean", key);
		return -EINVAL;
	}
	*out = YAJL_IS_TRUE(v);
	return 0;
}

int
be_sim_params_from_restore(const struct restore_params *rp,
    struct be_sim_params *p)
{
	char err[128];
	yajl_val root;
	int rc = 0;

	memset(p, 0, sizeof(*p));
	p->name = rp->name;
	p->uuid = rp->uuid;
	p->memory = rp->max_memkb * KiB;
	p->vcpus = rp->vcpus;
	p->type = rp->type;
	p->config_json = rp->config_json;
	if (rp->max_memkb == 0 || rp->max_memkb > SIMMEM_MAX_PAGES * 4 ||
	    rp->max_memkb % 4 != 0) {
		log_warnx("restore: %llu KiB: not a sim domain's memory",
		    (unsigned long long)rp->max_memkb);
		return -EINVAL;
	}
	/* As sim create: a smaller domain cannot hold the guest. */
	if (rp->max_memkb < SIMGUEST_MIN_PAGES * 4) {
		log_warnx("restore: %llu KiB: smaller than a sim guest's "
		    "minimum of %d pages (%d KiB)",
		    (unsigned long long)rp->max_memkb, SIMGUEST_MIN_PAGES,
		    SIMGUEST_MIN_PAGES * 4);
		return -EINVAL;
	}
	if (rp->config_json == NULL)
		return 0;
	if (strlen(rp->config_json) > BESIM_CONFIG_MAX ||
	    (root = json_parse(rp->config_json, err,
	    sizeof(err))) == NULL) {
		log_warnx("restore: domain config is not JSON: %s", err);
		return -EINVAL;
	}
	if ((rc = besim_json_uint(root, "dirty_rate", UINT64_C(1) << 40,
	    &p->dirty_rate)) != 0 ||
	    (rc = besim_json_uint(root, "working_set", p->memory,
	    &p->working_set)) != 0)
		goto out;
	if ((rc = besim_json_bool(root, "ignore_suspend",
	    &p->ignore_suspend)) != 0 ||
	    (rc = besim_json_bool(root, "no_pv_drivers",
	    &p->no_pv_drivers)) != 0)
		goto out;
	if (p->no_pv_drivers && p->type != DOM_TYPE_HVM) {
		log_warnx("domain config: xmig_sim.no_pv_drivers: the domain "
		    "is %s, not HVM", dom_type_name(p->type));
		rc = -EINVAL;
	}
out:
	yajl_tree_free(root);
	return rc;
}

/* ------------------------------------------------------------ disks */

static int
besim_disk_list(struct backend *be, uint32_t domid, struct be_disk *out,
    size_t max, size_t *n)
{
	return simdisk_list(besim(be)->h, domid, out, max, n);
}

static int
besim_disk_track_start(struct backend *be, uint32_t domid, unsigned idx,
    const struct be_disk *d, uint32_t block, struct disk_track **t)
{
	return simdisk_track_start(besim(be)->h, domid, idx, d, block, t);
}

static int
besim_disk_track_dirty(struct backend *be, struct disk_track *t,
    uint64_t *bits, uint64_t nblocks)
{
	(void)be;
	return simdisk_track_dirty(t, bits, nblocks);
}

static int
besim_disk_track_read(struct backend *be, struct disk_track *t,
    uint64_t off, void *buf, size_t len)
{
	(void)be;
	return simdisk_track_read(t, off, buf, len);
}

static void
besim_disk_track_stop(struct backend *be, struct disk_track *t)
{
	(void)be;
	simdisk_track_stop(t);
}

/* Job locks and recovery records live in the host's directory. */
static const char *
besim_state_dir(struct backend *be)
{
	return simhost_dir(besim(be)->h);
}

/*
 * Auto-converge: the guest reads its throttle from the control area
 * before each batch of page writes (simguest.h).  The sim guest has no
 * limit of its own, so "orig" is the throttle found, normally 0.
 */
static int
besim_throttle_get(struct backend *be, uint32_t domid, uint32_t *orig)
{
	struct besim *s = besim(be);
	struct simmem *m;
	struct simdom d;
	int rc;

	if ((rc = besim_get(s, domid, &d)) != 0 ||
	    (rc = simhost_dom_map(s->h, domid, &m)) != 0)
		return rc;
	*orig = __atomic_load_n(&m->ctl->throttle, __ATOMIC_RELAXED);
	simmem_close(m);
	return 0;
}

static int
besim_throttle_set(struct backend *be, uint32_t domid, unsigned pct,
    uint32_t orig)
{
	struct besim *s = besim(be);
	struct simmem *m;
	struct simdom d;
	uint32_t v = pct != 0 ? pct : orig;
	int rc;

	if (v > SIMMEM_THROTTLE_MAX)
		return -EINVAL;
	if ((rc = besim_get(s, domid, &d)) != 0 ||
	    (rc = simhost_dom_map(s->h, domid, &m)) != 0)
		return rc;
	__atomic_store_n(&m->ctl->throttle, v, __ATOMIC_RELAXED);
	simmem_wake(m);
	simmem_close(m);
	log_debug("domain %u: throttle %u%%", domid, v);
	return 0;
}

const struct backend_ops sim_backend_ops = {
	.name = "sim",
	.open = besim_open,
	.close = besim_close,
	.list = besim_list,
	.info = besim_info,
	.pause = besim_pause,
	.unpause = besim_unpause,
	.destroy = besim_destroy,
	.rename = besim_rename,
	.resume = besim_resume,
	.save = be_sim_stream_save,
	.restore = be_sim_stream_restore,
	.free_memory = besim_free_memory,
	.config_json = besim_config_json,
	.xenstore_path = besim_xenstore_path,
	.state_dir = besim_state_dir,
	.suspend_hypercall = besim_suspend_hypercall,
	.throttle_get = besim_throttle_get,
	.throttle_set = besim_throttle_set,
	.disk_list = besim_disk_list,
	.disk_track_start = besim_disk_track_start,
	.disk_track_dirty = besim_disk_track_dirty,
	.disk_track_read = besim_disk_track_read,
	.disk_track_stop = besim_disk_track_stop,
};
