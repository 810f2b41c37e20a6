/*
 * cmd-evacuate.c - "xmig evacuate": move every running guest off this
 * host, to the xmigd on one or more other hosts.
 *
 * The plan: each destination's figures ("xmig status --host": free
 * memory minus what reservations hold, max-incoming), guests largest
 * first onto the host with the most room (cli/place.c).  The run: at
 * most --parallel migrations at a time and never more into a host than
 * its free slots, each in a worker process that runs climig_run() as
 * "xmig migrate" would, so every guest settles by the same rules.  The
 * reservation is the truth: a busy destination is asked again later, a
 * refusal of any other kind (or a host that cannot be reached) places
 * the guest again elsewhere.  The first SIGINT or SIGTERM starts no new
 * migration and lets the running ones end; a second cancels those as
 * Ctrl-C cancels "xmig migrate".
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "cli.h"
#include "climig.h"
#include "json.h"
#include "log.h"
#include "place.h"
#include "relocio.h"
#include "util.h"

#define EVAC_GUESTS_MAX		1024
#define EVAC_PARALLEL_MAX	64
#define EVAC_BUSY_TRIES		40	/* busy answers before giving up */
#define EVAC_STATUS_MS		10000

enum evac_state { EV_PENDING, EV_RUNNING, EV_DONE };

struct evac_dest {
	char		 arg[300];	/* as given, for messages */
	char		 host[256];
	unsigned	 port;
	char		 why[512];	/* why it is not used */
	uint64_t	 free_bytes;
	uint64_t	 reserved;
	unsigned	 slots;		/* migrations it takes at once */
	unsigned	 running;
};

struct evac_guest {
	char		 name[DOMNAME_MAX];
	enum evac_state	 state;
	const char	*result;	/* "ok" ... "unplaced", "not-started" */
	char		 why[1024];
	struct mig_stats stats;
	pid_t		 pid;
	int		 fd;
	uint64_t	 start_ms, end_ms, not_before_ms;
	unsigned	 busy;
	char		 phase[24];
	unsigned	 round;
};

/* Worker to parent, over a pipe: progress, then one result. */
struct evac_msg {
	int		 kind;		/* 1 progress, 2 result */
	char		 phase[24];
	unsigned	 round;
	uint64_t	 bytes_sent;
	int		 res;		/* enum mig_result */
	int		 unreachable;
	struct mig_stats stats;
	char		 why[1024];
};

struct evac {
	struct cli_ctx		*ctx;
	struct evac_dest	*dests;
	size_t			 ndests;
	struct place_host	 ph[PLACE_HOSTS_MAX];
	struct evac_guest	*guests;	/* by place_guest.id */
	struct place_guest	*pg;		/* largest first */
	size_t			 nguests;
	unsigned		 parallel, running;
	struct conf		 conf;	/* compress: --compress's, if given */
	int			 no_zero_elision;
	int			 compress_asked;	/* --compress given */
	int			 no_auto_converge;
	struct transport_tls	 tls;
};

static volatile sig_atomic_t evac_signals;

static void
evac_on_signal(int sig)
{
	(void)sig;
	evac_signals++;
	cli_cancel = 1;
}

/* ------------------------------------------------------------ plan */

/* A member of the status object as a number; -1 when absent. */
static long long
evac_num(yajl_val o, const char *key)
{
	const char *path[] = { key, NULL };
	yajl_val v = yajl_tree_get(o, path, yajl_t_number);

	return v != NULL && YAJL_IS_INTEGER(v) ? YAJL_GET_INTEGER(v) : -1;
}

/* Ask d's xmigd for its figures; on failure d->why says why. */
static void
evac_status(struct evac *e, struct evac_dest *d)
{
	struct transport_conn conn;
	struct reloc_msg m;
	long long mx, in;
	char err[128];
	yajl_val r;
	int rc;

	reloc_msg_init(&m, RELOC_STATUS);
	rc = transport_connect(d->host, d->port, &e->tls, EVAC_STATUS_MS,
	    &conn);
	if (rc != 0) {
		snprintf(d->why, sizeof(d->why), "cannot connect: %s",
		    strerror(-rc));
		return;
	}
	if ((rc = relocio_hello(conn.fd, &m, EVAC_STATUS_MS)) == 0) {
		reloc_msg_init(&m, RELOC_STATUS_QUERY);
		if ((rc = relocio_send(conn.fd, &m, EVAC_STATUS_MS)) == 0)
			rc = relocio_expect(conn.fd, RELOC_STATUS, &m,
			    EVAC_STATUS_MS);
	}
	transport_close(&conn);
	if (rc != 0) {
		snprintf(d->why, sizeof(d->why), "%s%.400s",
		    rc == -ECONNREFUSED ? "refused: " : "no status: ",
		    rc == -ECONNREFUSED ? m.reason : strerror(-rc));
		reloc_msg_clear(&m);
		return;
	}
	r = json_parse(m.status, err, sizeof(err));
	reloc_msg_clear(&m);
	if (r == NULL || !YAJL_IS_OBJECT(r)) {
		snprintf(d->why, sizeof(d->why), "bad status: %s", r == NULL ?
		    err : "not an object");
		yajl_tree_free(r);
		return;
	}
	if (evac_num(r, "free_bytes") < 0) {
		/* An xmigd older than "free_bytes" gives nothing to plan by. */
		snprintf(d->why, sizeof(d->why), "its xmigd does not report "
		    "its free memory (older version)");
	} else {
		d->free_bytes = (uint64_t)evac_num(r, "free_bytes");
		d->reserved = evac_num(r, "reserved_bytes") > 0 ?
		    (uint64_t)evac_num(r, "reserved_bytes") : 0;
		mx = evac_num(r, "max_incoming");
		in = evac_num(r, "incoming");
		d->slots = mx <= 0 ? EVAC_PARALLEL_MAX : in < 0 ? (unsigned)mx :
		    in >= mx ? 1 : (unsigned)(mx - in);
	}
	yajl_tree_free(r);
}

/* Split "a,b,c" into the destinations. */
static int
evac_parse_dests(struct evac *e, const char *list, unsigned port)
{
	char *copy, *tok, *save = NULL;
	struct evac_dest *d;

	if ((copy = strdup(list)) == NULL)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (e->ndests >= PLACE_HOSTS_MAX)
			goto bad;
		d = &e->dests[e->ndests];
		memset(d, 0, sizeof(*d));
		util_strlcpy(d->arg, tok, sizeof(d->arg));
		d->port = port;
		if (cli_parse_target(tok, d->host, sizeof(d->host),
		    &d->port) != 0)
			goto bad;
		e->ndests++;
	}
	free(copy);
	return e->ndests > 0 ? 0 : -EINVAL;
bad:
	free(copy);
	return -EINVAL;
}

/* Is "name" in the comma-separated list? */
static int
evac_listed(const char *list, const char *name, uint32_t domid)
{
	char id[16];
	size_t n = strlen(name), k = 0;
	const char *p;

	snprintf(id, sizeof(id), "%u", domid);
	for (p = list; p != NULL && *p != '\0'; p += k + (p[k] == ',')) {
		k = strcspn(p, ",");
		if ((k == n && strncmp(p, name, n) == 0) ||
		    (k == strlen(id) && strncmp(p, id, k) == 0))
			return 1;
	}
	return 0;
}

/* A name a migration in flight gives a domain: not a guest to move. */
static int
evac_transient(const char *name)
{
	size_t n = strlen(name), a = strlen(MIG_SUFFIX_INCOMING),
	    b = strlen(MIG_SUFFIX_AWAY);

	return (n > a && strcmp(name + n - a, MIG_SUFFIX_INCOMING) == 0) ||
	    (n > b && strcmp(name + n - b, MIG_SUFFIX_AWAY) == 0);
}

/* The running guests of this host, less the excluded ones. */
static int
evac_guests(struct evac *e, const char *exclude)
{
	struct dom_info *doms = NULL;
	struct backend be;
	size_t n = 0, i;
	int rc;

	if ((rc = cli_backend_open(e->ctx, &be)) != 0)
		return rc;
	rc = be.ops->list(&be, &doms, &n);
	backend_close(&be);
	if (rc != 0) {
		fprintf(stderr, "xmig evacuate: cannot list the domains: %s\n",
		    strerror(-rc));
		return XMIG_EXIT_FAILED;
	}
	e->guests = calloc(n ? n : 1, sizeof(*e->guests));
	e->pg = calloc(n ? n : 1, sizeof(*e->pg));
	if (e->guests == NULL || e->pg == NULL) {
		free(doms);
		return XMIG_EXIT_FAILED;
	}
	for (i = 0; i < n && e->nguests < EVAC_GUESTS_MAX; i++) {
		if (doms[i].domid == 0 || evac_transient(doms[i].name) ||
		    evac_listed(exclude, doms[i].name, doms[i].domid))
			continue;
		if (doms[i].state != DOM_RUNNING) {
			if (!e->ctx->quiet)
				fprintf(stderr, "xmig evacuate: %s is %s, not "
				    "running: left here\n", doms[i].name,
				    dom_state_name(&doms[i]));
			continue;
		}
		util_strlcpy(e->guests[e->nguests].name, doms[i].name,
		    DOMNAME_MAX);
		e->guests[e->nguests].fd = -1;
		e->guests[e->nguests].result = "not-started";
		e->pg[e->nguests].bytes = doms[i].max_memkb * 1024;
		e->pg[e->nguests].id = e->nguests;
		e->nguests++;
	}
	free(doms);
	return 0;
}

static void
evac_plan(struct evac *e)
{
	struct evac_dest *d;
	size_t i;

	for (i = 0; i < e->ndests; i++) {
		d = &e->dests[i];
		evac_status(e, d);
		e->ph[i].usable = d->why[0] == '\0';
		e->ph[i].room = d->free_bytes > d->reserved ?
		    d->free_bytes - d->reserved : 0;
		if (d->why[0] != '\0' && !e->ctx->quiet)
			fprintf(stderr, "xmig evacuate: %s not used: %s\n",
			    d->arg, d->why);
	}
	place_plan(e->ph, e->ndests, e->pg, e->nguests);
	for (i = 0; i < e->nguests; i++)
		if (e->pg[i].host < 0) {
			e->guests[e->pg[i].id].result = "unplaced";
			e->guests[e->pg[i].id].state = EV_DONE;
			snprintf(e->guests[e->pg[i].id].why, 1024, "no "
			    "destination has room for it");
		}
}

static void
evac_print_plan(const struct evac *e)
{
	const struct place_guest *g;
	char b[2][32];
	size_t i;

	printf("%-20s %10s  %s\n", "GUEST", "MEMORY", "DESTINATION");
	for (i = 0; i < e->nguests; i++) {
		g = &e->pg[i];
		printf("%-20s %10s  %s\n", e->guests[g->id].name,
		    util_fmt_size(g->bytes, b[0], 32), g->host < 0 ?
		    "(none: no room)" : e->dests[g->host].arg);
	}
	printf("\n%-24s %10s %10s %7s\n", "DESTINATION", "ROOM", "PLANNED",
	    "GUESTS");
	for (i = 0; i < e->ndests; i++) {
		if (!e->ph[i].usable) {
			printf("%-24s %s\n", e->dests[i].arg, "not used");
			continue;
		}
		printf("%-24s %10s %10s %7u\n", e->dests[i].arg,
		    util_fmt_size(e->ph[i].room, b[0], 32),
		    util_fmt_size(e->ph[i].planned, b[1], 32),
		    e->ph[i].nplanned);
	}
}

/* ------------------------------------------------------------ run */

static int
evac_write_msg(int fd, const struct evac_msg *m)
{
	return relocio_write_full(fd, m, sizeof(*m), 10000);
}

/* The worker's progress: one message per phase or round. */
static void
evac_progress(const struct mig_progress *pr, void *arg)
{
	static const char *last;
	static unsigned last_round;
	struct evac_msg m;
	int *fd = arg;

	if (pr->phase == last && pr->round == last_round)
		return;
	last = pr->phase;
	last_round = pr->round;
	memset(&m, 0, sizeof(m));
	m.kind = 1;
	util_strlcpy(m.phase, pr->phase, sizeof(m.phase));
	m.round = pr->round;
	m.bytes_sent = pr->bytes_sent;
	(void)evac_write_msg(*fd, &m);
}

/* The worker process: one guest, as "xmig migrate" moves it. */
static void __attribute__((noreturn))
evac_worker(struct evac *e, struct evac_guest *g, struct evac_dest *d,
    int fd)
{
	struct climig mj = { .params = { .live = 1, .fd = -1 } };
	struct sigaction sa;
	struct evac_msg m;
	struct backend be;

	/* Ctrl-C reaches the whole group: the parent decides. */
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGINT, &sa, NULL);
	cli_cancel = 0;
	memset(&m, 0, sizeof(m));
	m.kind = 2;
	if (cli_backend_open(e->ctx, &be) != 0) {
		m.res = MIG_FAILED;
		snprintf(m.why, sizeof(m.why), "cannot open the backend");
		(void)evac_write_msg(fd, &m);
		_exit(1);
	}
	mj.params.be = &be;
	mj.params.domain = g->name;
	mj.params.suspend_timeout_s = e->conf.suspend_timeout;
	mj.params.device_dir = e->conf.device_migrate_dir;
	mj.params.device_timeout_s = e->conf.device_migrate_timeout;
	mj.params.compress = e->conf.compress;
	mj.params.compress_asked = e->compress_asked;
	mj.params.no_zero_elision = e->no_zero_elision;
	mj.params.no_auto_converge = e->no_auto_converge;
	mj.params.cancel = &cli_cancel;
	mj.params.progress = evac_progress;
	mj.params.arg = &fd;
	mj.host = d->host;
	mj.port = d->port;
	mj.tls = &e->tls;
	m.res = (int)climig_run(&mj, &m.stats, m.why, sizeof(m.why));
	m.unreachable = mj.unreachable;
	backend_close(&be);
	(void)evac_write_msg(fd, &m);
	_exit(0);
}

static int
evac_start(struct evac *e, struct place_guest *pg)
{
	struct evac_guest *g = &e->guests[pg->id];
	struct evac_dest *d = &e->dests[pg->host];
	int p[2];
	pid_t pid;

	if (pipe(p) != 0)
		return -errno;
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (pid == 0) {
		close(p[0]);
		evac_worker(e, g, d, p[1]);
	}
	close(p[1]);
	g->pid = pid;
	g->fd = p[0];
	g->state = EV_RUNNING;
	if (g->start_ms == 0)
		g->start_ms = util_now_ms();
	d->running++;
	e->running++;
	if (!e->ctx->quiet && !e->ctx->json)
		fprintf(stderr, "%s: migrating to %s\n", g->name, d->arg);
	return 0;
}

/* The guest is done: its figures in the summary. */
static void
evac_finish(struct evac *e, struct evac_guest *g, enum mig_result res,
    const char *why)
{
	g->state = EV_DONE;
	g->end_ms = util_now_ms();
	g->result = cli_result_name(res);
	if (why != g->why)
		util_strlcpy(g->why, why, sizeof(g->why));
	if (!e->ctx->quiet && !e->ctx->json) {
		if (res == MIG_OK)
			fprintf(stderr, "%s: moved in %" PRIu64 " ms, downtime "
			    "%" PRIu64 " ms\n", g->name, g->end_ms -
			    g->start_ms, g->stats.downtime_ms);
		else
			fprintf(stderr, "%s: %s: %s\n", g->name, g->result,
			    g->why);
	}
}

/*
 * A worker's answer.  Busy: ask the same host again later.  Refused
 * otherwise or unreachable: place the guest elsewhere.  Anything else is
 * the guest's outcome, settled by the worker as "xmig migrate" settles.
 */
static void
evac_result(struct evac *e, struct place_guest *pg, const struct evac_msg *m)
{
	struct evac_guest *g = &e->guests[pg->id];
	int h = pg->host;

	g->stats = m->stats;
	util_strlcpy(g->why, m->why, sizeof(g->why));
	if (m->res == MIG_REFUSED &&
	    strcmp(m->stats.refusal, RELOC_DENY_BUSY) == 0 &&
	    ++g->busy < EVAC_BUSY_TRIES && !evac_signals) {
		g->state = EV_PENDING;
		g->not_before_ms = util_now_ms() + climig_backoff_ms(g->busy,
		    (unsigned)rand());
		/* It took no more than those already running. */
		e->dests[h].slots = e->dests[h].running > 0 ?
		    e->dests[h].running : 1;
		if (!e->ctx->quiet && !e->ctx->json)
			fprintf(stderr, "%s: waiting: %s\n", g->name, m->why);
		return;
	}
	if ((m->res == MIG_REFUSED || m->unreachable) && !evac_signals) {
		if (m->unreachable)
			e->ph[h].usable = 0;
		pg->refused |= UINT64_C(1) << h;
		place_remove(e->ph, pg);
		if (place_one(e->ph, e->ndests, pg) >= 0) {
			if (!e->ctx->quiet && !e->ctx->json)
				fprintf(stderr, "%s: %s; placed on %s "
				    "instead\n", g->name, m->why,
				    e->dests[pg->host].arg);
			g->state = EV_PENDING;
			g->busy = 0;
			return;
		}
		pg->host = h;	/* reported with the last one it tried */
	}
	evac_finish(e, g, (enum mig_result)m->res, m->why);
}

/* Read what worker g has to say; reap it once it said all. */
static void
evac_read(struct evac *e, struct place_guest *pg)
{
	struct evac_guest *g = &e->guests[pg->id];
	struct evac_msg m;
	int rc, status;

	rc = relocio_read_full(g->fd, &m, sizeof(m), 10000);
	if (rc == 0 && m.kind == 1) {
		m.phase[sizeof(m.phase) - 1] = '\0';
		util_strlcpy(g->phase, m.phase, sizeof(g->phase));
		g->round = m.round;
		if (!e->ctx->quiet && !e->ctx->json && e->ctx->verbose)
			fprintf(stderr, "%s: %s, round %u\n", g->name,
			    g->phase, g->round);
		return;
	}
	close(g->fd);
	g->fd = -1;
	while (waitpid(g->pid, &status, 0) < 0 && errno == EINTR)
		;
	e->dests[pg->host].running--;
	e->running--;
	if (rc == 0 && m.kind == 2) {
		m.why[sizeof(m.why) - 1] = '\0';
		evac_result(e, pg, &m);
		return;
	}
	/* The worker died without a word: nobody knows where it got to. */
	snprintf(g->why, sizeof(g->why), "the worker migrating it ended "
	    "without a result (%s); check \"xmig list\" here and on %s, and "
	    "run \"xmig recover %s\" if it is left as %s%s", WIFSIGNALED(
	    status) ? strsignal(WTERMSIG(status)) : "exited", e->dests[
	    pg->host].arg, g->name, g->name, MIG_SUFFIX_AWAY);
	evac_finish(e, g, MIG_UNDEFINED, g->why);
}

/* Start what may start now; returns the poll timeout in ms. */
static int
evac_schedule(struct evac *e)
{
	uint64_t now = util_now_ms(), next = UINT64_MAX;
	struct place_guest *pg;
	struct evac_guest *g;
	struct evac_dest *d;
	size_t i;

	for (i = 0; i < e->nguests && !evac_signals; i++) {
		pg = &e->pg[i];
		g = &e->guests[pg->id];
		if (g->state != EV_PENDING || e->running >= e->parallel)
			continue;
		d = &e->dests[pg->host];
		if (d->running >= d->slots)
			continue;
		if (g->not_before_ms > now) {
			if (g->not_before_ms < next)
				next = g->not_before_ms;
			continue;
		}
		if (evac_start(e, pg) != 0)
			evac_finish(e, g, MIG_FAILED, "cannot start a worker");
	}
	if (next == UINT64_MAX)
		return 1000;
	return next - now > 1000 ? 1000 : (int)(next - now);
}

static void
evac_run(struct evac *e)
{
	struct pollfd pfd[EVAC_PARALLEL_MAX];
	size_t who[EVAC_PARALLEL_MAX], i, n;
	int tmo, told = 0, killed = 0;

	for (;;) {
		if (evac_signals && !told) {
			told = 1;
			if (!e->ctx->quiet)
				fprintf(stderr, "xmig evacuate: stopping: no "
				    "new migrations; %u running will finish "
				    "(interrupt again to cancel them)\n",
				    e->running);
		}
		if (evac_signals > 1 && !killed) {
			killed = 1;
			for (i = 0; i < e->nguests; i++)
				if (e->guests[i].state == EV_RUNNING)
					kill(e->guests[i].pid, SIGTERM);
		}
		tmo = evac_schedule(e);
		n = 0;
		for (i = 0; i < e->nguests && n < EVAC_PARALLEL_MAX; i++)
			if (e->guests[e->pg[i].id].state == EV_RUNNING) {
				pfd[n].fd = e->guests[e->pg[i].id].fd;
				pfd[n].events = POLLIN;
				who[n++] = i;
			}
		if (n == 0) {
			for (i = 0; i < e->nguests; i++)
				if (e->guests[i].state == EV_PENDING)
					break;
			if (i == e->nguests || evac_signals)
				return;
		}
		if (poll(pfd, n, tmo) <= 0)
			continue;
		for (i = 0; i < n; i++)
			if (pfd[i].revents != 0)
				evac_read(e, &e->pg[who[i]]);
	}
}

/* ------------------------------------------------------------ report */

static void
evac_gen_key(yajl_gen g, const char *k)
{
	yajl_gen_string(g, (const unsigned char *)k, strlen(k));
}

/* k: v, or k: null when v is NULL. */
static void
evac_gen_str(yajl_gen g, const char *k, const char *v)
{
	evac_gen_key(g, k);
	if (v == NULL)
		yajl_gen_null(g);
	else
		yajl_gen_string(g, (const unsigned char *)v, strlen(v));
}

static void
evac_gen_u64(yajl_gen g, const char *k, uint64_t v)
{
	char num[32];

	snprintf(num, sizeof(num), "%" PRIu64, v);
	yajl_gen_string(g, (const unsigned char *)k, strlen(k));
	yajl_gen_number(g, num, strlen(num));
}

static void
evac_json(const struct evac *e, int dry_run, const char *result)
{
	const struct evac_guest *eg;
	const struct place_guest *pg;
	const unsigned char *buf;
	yajl_gen g = yajl_gen_alloc(NULL);
	size_t i, len;

	if (g == NULL)
		return;
	yajl_gen_map_open(g);
	evac_gen_str(g, "operation", "evacuate");
	evac_gen_str(g, "result", result);
	evac_gen_key(g, "dry_run");
	yajl_gen_bool(g, dry_run);
	evac_gen_key(g, "hosts");
	yajl_gen_array_open(g);
	for (i = 0; i < e->ndests; i++) {
		yajl_gen_map_open(g);
		evac_gen_str(g, "host", e->dests[i].arg);
		evac_gen_key(g, "usable");
		yajl_gen_bool(g, e->dests[i].why[0] == '\0');
		if (e->dests[i].why[0] != '\0')
			evac_gen_str(g, "error", e->dests[i].why);
		evac_gen_u64(g, "free_bytes", e->dests[i].free_bytes);
		evac_gen_u64(g, "reserved_bytes", e->dests[i].reserved);
		evac_gen_u64(g, "room_bytes", e->ph[i].room);
		evac_gen_u64(g, "planned_bytes", e->ph[i].planned);
		evac_gen_u64(g, "planned_guests", e->ph[i].nplanned);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	evac_gen_key(g, "guests");
	yajl_gen_array_open(g);
	for (i = 0; i < e->nguests; i++) {
		pg = &e->pg[i];
		eg = &e->guests[pg->id];
		yajl_gen_map_open(g);
		evac_gen_str(g, "domain", eg->name);
		evac_gen_u64(g, "memory_bytes", pg->bytes);
		evac_gen_str(g, "destination", pg->host < 0 ? NULL :
		    e->dests[pg->host].arg);
		evac_gen_str(g, "result", dry_run ? (pg->host < 0 ?
		    "unplaced" : "planned") : eg->result);
		if (!dry_run && eg->why[0] != '\0' &&
		    strcmp(eg->result, "ok") != 0)
			evac_gen_str(g, "error", eg->why);
		evac_gen_u64(g, "total_ms", eg->end_ms > eg->start_ms ?
		    eg->end_ms - eg->start_ms : 0);
		evac_gen_u64(g, "downtime_ms", eg->stats.downtime_ms);
		evac_gen_u64(g, "throttle_pct", eg->stats.throttle_pct);
		evac_gen_u64(g, "bytes_sent", eg->stats.bytes_sent);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok)
		printf("%.*s\n", (int)len, (const char *)buf);
	yajl_gen_free(g);
}

static void
evac_table(const struct evac *e)
{
	const struct evac_guest *eg;
	const struct place_guest *pg;
	char t[32], dt[32];
	size_t i;

	printf("%-20s %-24s %-11s %9s %9s\n", "GUEST", "DESTINATION",
	    "RESULT", "TIME", "DOWNTIME");
	for (i = 0; i < e->nguests; i++) {
		pg = &e->pg[i];
		eg = &e->guests[pg->id];
		snprintf(t, sizeof(t), "%.1fs", eg->end_ms > eg->start_ms ?
		    (double)(eg->end_ms - eg->start_ms) / 1000 : 0.0);
		snprintf(dt, sizeof(dt), "%" PRIu64 "ms",
		    eg->stats.downtime_ms);
		printf("%-20s %-24s %-11s %9s %9s\n", eg->name, pg->host < 0 ?
		    "-" : e->dests[pg->host].arg, eg->result,
		    eg->start_ms ? t : "-", strcmp(eg->result, "ok") == 0 ?
		    dt : "-");
	}
	for (i = 0; i < e->nguests; i++) {
		eg = &e->guests[e->pg[i].id];
		if (strcmp(eg->result, "ok") != 0 && eg->why[0] != '\0')
			fprintf(stderr, "xmig evacuate: %s: %s\n", eg->name,
			    eg->why);
	}
}

/* The exit status: 0 only when every guest moved. */
static int
evac_exit(const struct evac *e, const char **result)
{
	size_t i, ok = 0, undefined = 0;

	for (i = 0; i < e->nguests; i++) {
		if (strcmp(e->guests[i].result, "ok") == 0)
			ok++;
		if (strcmp(e->guests[i].result, "undefined") == 0)
			undefined++;
	}
	*result = ok == e->nguests ? "ok" : ok > 0 ? "partial" : "failed";
	if (undefined > 0)
		return XMIG_EXIT_UNDEFINED;
	return ok == e->nguests ? XMIG_EXIT_OK : XMIG_EXIT_FAILED;
}

/* ------------------------------------------------------------ command */

static int
cmd_evacuate_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "parallel", required_argument, NULL, 'P' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "exclude", required_argument, NULL, 'x' },
		{ "port", required_argument, NULL, 'p' },
		{ "tls", no_argument, NULL, 'T' },
		{ "compress", required_argument, NULL, 'z' },
		{ "no-zero-elision", no_argument, NULL, 'Z' },
		{ "no-auto-converge", no_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 }
	};
	struct evac_dest dests[PLACE_HOSTS_MAX];
	struct evac e = { .ctx = ctx, .dests = dests, .parallel = 2 };
	const char *to = NULL, *exclude = "", *result;
	struct sigaction sa;
	unsigned port = 0;
	int ch, rc, dry_run = 0, tls = 0, codec = -1;
	uint64_t v;

	e.no_zero_elision = cli_no_zero_elision();

	while ((ch = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (ch) {
		case 't':
			to = optarg;
			break;
		case 'P':
			if (util_parse_uint(optarg, 1, EVAC_PARALLEL_MAX,
			    &v) != 0)
				return cmd_usage_error(&cmd_evacuate_entry,
				    "--parallel %s: expected 1-%d", optarg,
				    EVAC_PARALLEL_MAX);
			e.parallel = (unsigned)v;
			break;
		case 'n':
			dry_run = 1;
			break;
		case 'x':
			exclude = optarg;
			break;
		case 'p':
			if (util_parse_uint(optarg, 1, 65535, &v) != 0)
				return cmd_usage_error(&cmd_evacuate_entry,
				    "--port %s: expected 1-65535", optarg);
			port = (unsigned)v;
			break;
		case 'T':
			tls = 1;
			break;
		case 'z':
			if (cli_parse_compress(optarg, &codec) != 0)
				return cmd_usage_error(&cmd_evacuate_entry,
				    "--compress %s: expected auto, lz4, zstd "
				    "or none", optarg);
			break;
		case 'Z':
			e.no_zero_elision = 1;
			break;
		case 'A':
			e.no_auto_converge = 1;
			break;
		default:
			return cmd_usage_error(&cmd_evacuate_entry,
			    "unknown option");
		}
	}
	if (optind != argc)
		return cmd_usage_error(&cmd_evacuate_entry,
		    "too many arguments");
	if (to == NULL)
		return cmd_usage_error(&cmd_evacuate_entry,
		    "--to HOST[:PORT],... is needed: where to move the guests");
	if ((rc = cli_conf(&e.conf)) != 0)
		return rc;
	if (port == 0)
		port = e.conf.relocation_port;
	if (codec >= 0) {
		e.conf.compress = codec;
		e.compress_asked = 1;
	}
	if (evac_parse_dests(&e, to, port) != 0)
		return cmd_usage_error(&cmd_evacuate_entry, "--to %s: expected "
		    "up to %d HOST[:PORT] separated by commas", to,
		    PLACE_HOSTS_MAX);
	cli_tls(&e.conf, tls, &e.tls);
	if ((rc = evac_guests(&e, exclude)) != 0)
		goto out;
	evac_plan(&e);
	if (dry_run) {
		for (rc = XMIG_EXIT_OK, v = 0; v < e.nguests; v++)
			if (e.pg[v].host < 0)
				rc = XMIG_EXIT_FAILED;
		if (ctx->json)
			evac_json(&e, 1, rc == 0 ? "ok" : "partial");
		else
			evac_print_plan(&e);
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = evac_on_signal;	/* no SA_RESTART: poll wakes */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	srand((unsigned)getpid());
	if (!ctx->quiet && !ctx->json) {
		evac_print_plan(&e);
		putchar('\n');
	}
	evac_run(&e);
	rc = evac_exit(&e, &result);
	if (ctx->json)
		evac_json(&e, 0, result);
	else
		evac_table(&e);
out:
	free(e.guests);
	free(e.pg);
	return rc;
}

const struct cmd_entry cmd_evacuate_entry = {
	.name = "evacuate",
	.usage = "--to HOST[:PORT],... [--parallel N] [--dry-run] "
	    "[--exclude DOM,...] [--port N] [--tls] "
	    "[--compress auto|lz4|zstd|none] [--no-zero-elision] "
	    "[--no-auto-converge]",
	.summary = "move every running guest off this host (maintenance)",
	.help = "Move every running guest but Domain-0 to the xmigd on the "
	    "hosts given with --to,\nas \"xmig migrate\" moves one.  Each "
	    "destination is asked for its free\nmemory and free slots (as "
	    "\"xmig status --host\" shows them); guests are\nplaced largest "
	    "first on the host with the most room left.  The reservation\n"
	    "at migration time decides: a busy destination is asked again "
	    "later, a\nrefusing or unreachable one has its guest placed "
	    "elsewhere.  A guest that\nfits nowhere is reported and left "
	    "running here.  A summary table (or with\n--json one object) "
	    "ends the run.\n\n"
	    "  --to HOST[:PORT],...  the destinations\n"
	    "  --parallel N          at most N migrations at once (default "
	    "2)\n"
	    "  --dry-run             print the plan and move nothing\n"
	    "  --exclude DOM,...     leave these domains (names or ids) "
	    "here\n"
	    "  --port N              relocation port where none is given "
	    "(default from\n"
	    "                        xmigd.conf, 8002)\n"
	    "  --tls                 encrypt and authenticate (tls-* keys "
	    "of xmigd.conf)\n"
	    "  --compress CODEC      auto, lz4, zstd or none, as for \"xmig "
	    "migrate\"\n"
	    "  --no-zero-elision     send zero pages as data\n"
	    "  --no-auto-converge    never throttle a guest that dirties "
	    "its memory faster\n"
	    "                        than the link carries it (see \"xmig "
	    "help migrate\")\n\n"
	    "Interrupt once: no new migration starts, the running ones "
	    "finish; twice:\nthe running ones are cancelled as Ctrl-C "
	    "cancels \"xmig migrate\".\n\n"
	    "Exit status: 0 every guest moved (with --dry-run: every guest "
	    "has a place);\n1 some did not; 2 bad command line; 5 the "
	    "outcome of some is undefined\n(run \"xmig recover DOMAIN\").",
	.exec = cmd_evacuate_exec,
};
