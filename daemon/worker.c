/*
 * worker.c - one forked worker per incoming domain, and its supervision.
 *
 * The restore runs in a child so that a crash or a hang in it never takes
 * the daemon down.  The child reports each phase as one JSON line on a
 * socketpair; the daemon keeps the job's state from those lines and, when
 * the child is gone, decides what happens to the incoming copy:
 *
 *   no GO record      -> GO never arrived (or was not recorded): the
 *                        daemon destroys NAME--incoming, and the source,
 *                        told "absent", resumes its own copy;
 *   a GO record       -> the destination owns the domain: the daemon
 *                        finishes the job forward (mig_dst_finish():
 *                        unpause, rename, "running" to the source's
 *                        query), or destroys a copy that cannot start
 *                        and answers "absent".
 *
 * This is decided before the daemon closes its copy of the connection,
 * so the source's first settling query already finds the outcome.  A
 * worker dies with its daemon (PR_SET_PDEATHSIG): a restarted daemon
 * finds the GO records at start-up and finishes them the same way.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <yajl_gen.h>
#include <yajl_tree.h>

#include "fault.h"
#include "json.h"
#include "log.h"
#include "migrate.h"
#include "relocio.h"
#include "transport.h"
#include "util.h"
#include "vbdmig.h"
#include "xmigd.h"

/* What the child needs, copied before fork so nothing else is used. */
struct worker_child {
	uint64_t	 id;
	int		 fd;
	int		 chan;
	void		*ssl;
	const struct reloc_msg *reserve;
	const char	*incoming;
	const struct conf *conf;
	unsigned	 timeout_s;
};

static const char *const worker_phases[] = {
	[MIG_PHASE_RECEIVING] = "receiving",
	[MIG_PHASE_RECEIVED] = "received",
	[MIG_PHASE_GO] = "go",
	[MIG_PHASE_RUNNING] = "running",
	[MIG_PHASE_FAILED] = "failed",
};

const char *
worker_phase_name(int phase)
{
	if (phase == JOB_STARTING)
		return "starting";
	if (phase >= 0 && (size_t)phase < ARRAY_SIZE(worker_phases))
		return worker_phases[phase];
	return "unknown";
}

/* Crash on purpose, without a core file. */
static void __attribute__((noreturn))
worker_crash(const char *where)
{
	struct rlimit rl = { 0, 0 };

	log_warnx("fault point %s: crashing", where);
	(void)setrlimit(RLIMIT_CORE, &rl);
	abort();
}

/* The child's phase callback: one JSON line to the daemon. */
static void
worker_phase_cb(void *arg, enum mig_phase phase, int64_t domid,
    const char *detail)
{
	struct worker_child *c = arg;
	const unsigned char *buf;
	yajl_gen g;
	size_t len;

	if ((g = yajl_gen_alloc(NULL)) == NULL)
		return;
	yajl_gen_map_open(g);
	yajl_gen_string(g, (const unsigned char *)"phase", 5);
	yajl_gen_integer(g, phase);
	yajl_gen_string(g, (const unsigned char *)"domid", 5);
	yajl_gen_integer(g, domid);
	if (detail != NULL) {
		yajl_gen_string(g, (const unsigned char *)"detail", 6);
		yajl_gen_string(g, (const unsigned char *)detail,
		    strnlen(detail, 120));
	}
	yajl_gen_map_close(g);
	if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok) {
		(void)util_write_full(c->chan, buf, len);
		(void)util_write_full(c->chan, "\n", 1);
	}
	yajl_gen_free(g);
	if (phase == MIG_PHASE_RECEIVED &&
	    fault_armed("worker-crash-after-stream"))
		worker_crash("worker-crash-after-stream");
}

/* Close every descriptor but the two the child keeps. */
static void
worker_close_fds(int a, int b)
{
	int lo = a < b ? a : b, hi = a < b ? b : a;

	if (lo > 3)
		close_range(3, (unsigned)lo - 1, 0);
	if (hi > lo + 1)
		close_range((unsigned)lo + 1, (unsigned)hi - 1, 0);
	close_range((unsigned)hi + 1, ~0U, 0);
}

/* Tell the source why nothing will happen, and report it. */
static void __attribute__((noreturn))
worker_child_fail(struct worker_child *c, int fd, const char *why)
{
	struct reloc_msg m;

	log_warnx("%s", why);
	worker_phase_cb(c, MIG_PHASE_FAILED, -1, why);
	reloc_msg_init(&m, RELOC_FAILED);
	util_strlcpy(m.reason, why, sizeof(m.reason));
	(void)relocio_send(fd, &m, 5000);
	_exit(1);
}

/* The worker process.  Never returns. */
static void __attribute__((noreturn))
worker_child_main(struct worker_child *c)
{
	static const int sigs[] = { SIGHUP, SIGTERM, SIGINT, SIGCHLD };
	struct transport_conn tc = { .fd = c->fd, .netfd = -1 };
	const char *dirs[CONF_STORAGE_DIRS_MAX];
	struct mig_dst_params p;
	struct backend be;
	char prefix[32], why[RELOC_TEXT_MAX];
	size_t i;
	int rc;

	/* libevent's handlers write to the parent's loop: not ours. */
	for (i = 0; i < ARRAY_SIZE(sigs); i++)
		signal(sigs[i], SIG_DFL);
	snprintf(prefix, sizeof(prefix), "job %llu",
	    (unsigned long long)c->id);
	log_setprefix(prefix);
	worker_close_fds(c->fd, c->chan);
	util_set_nonblock(c->fd, 0);
	if (fault_armed("worker-crash-at-start"))
		worker_crash("worker-crash-at-start");
	if (fault_armed("worker-hang"))
		for (;;)
			pause();
	if (c->ssl != NULL &&
	    (rc = transport_pump_start(c->ssl, c->fd, &tc)) != 0)
		_exit(1);
	if ((rc = xmigd_backend_open(c->conf, &be)) != 0) {
		snprintf(why, sizeof(why), "destination backend %s not "
		    "available: %s", conf_backend_name(c->conf->backend),
		    strerror(-rc));
		worker_child_fail(c, tc.fd, why);
	}
	memset(&p, 0, sizeof(p));
	for (i = 0; i < c->conf->nstorage_dir; i++)
		dirs[i] = c->conf->storage_dir[i];
	p.storage_dirs = dirs;
	p.nstorage_dirs = c->conf->nstorage_dir;
	p.be = &be;
	p.fd = tc.fd;
	p.reserve = c->reserve;
	p.incoming_name = c->incoming;
	p.timeout_s = c->timeout_s;
	p.phase = worker_phase_cb;
	p.arg = c;
	rc = mig_dst_run(&p);
	backend_close(&be);
	if (c->ssl != NULL)
		transport_close(&tc);
	_exit(rc == 0 ? 0 : 1);
}

static void worker_chan_read(evutil_socket_t fd, short ev, void *arg);
static void worker_deadline(evutil_socket_t fd, short ev, void *arg);

/* The daemon's side of a new worker.  0 or -errno. */
static int
worker_job_new(struct session *s, pid_t pid, int chan, int connfd)
{
	struct xmigd *d = s->d;
	struct timeval tv = { d->worker_deadline_s, 0 };
	struct job *j;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return -ENOMEM;
	j->d = d;
	j->id = s->res->id;
	j->pid = pid;
	j->phase = JOB_STARTING;
	j->domid = -1;
	util_strlcpy(j->name, s->res->name, sizeof(j->name));
	util_strlcpy(j->incoming, s->res->incoming, sizeof(j->incoming));
	if (s->reserve.has_uuid)
		uuid_fmt(s->reserve.uuid, j->key);
	util_strlcpy(j->peer, s->peer, sizeof(j->peer));
	j->started_ms = util_now_ms();
	j->started_wall = time(NULL);
	j->connfd = connfd;
	j->chanfd = chan;
	j->res = s->res;
	j->res->state = RES_WORKER;
	s->res = NULL;
	j->ev_chan = event_new(d->base, chan, EV_READ | EV_PERSIST,
	    worker_chan_read, j);
	j->ev_deadline = evtimer_new(d->base, worker_deadline, j);
	if (j->ev_chan != NULL)
		event_add(j->ev_chan, NULL);
	if (j->ev_deadline != NULL)
		evtimer_add(j->ev_deadline, &tv);
	TAILQ_INSERT_TAIL(&d->jobs, j, entry);
	d->njobs++;
	return 0;
}

void
worker_start(struct session *s)
{
	struct xmigd *d = s->d;
	struct worker_child c;
	int sv[2], connfd;
	pid_t pid, parent = getpid();

	if (evbuffer_get_length(bufferevent_get_output(s->bev)) > 0 ||
	    evbuffer_get_length(bufferevent_get_input(s->bev)) > 0) {
		log_warnx("%s: data before ACCEPT was delivered; closing",
		    s->peer);
		session_free(s);
		return;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		log_warn("%s: socketpair", s->peer);
		session_free(s);
		return;
	}
	connfd = fcntl(s->fd, F_DUPFD_CLOEXEC, 3);
	memset(&c, 0, sizeof(c));
	c.id = s->res->id;
	c.fd = s->fd;
	c.chan = sv[1];
	c.ssl = s->ssl;
	c.reserve = &s->reserve;
	c.incoming = s->res->incoming;
	c.conf = &d->conf;
	c.timeout_s = d->conf.reservation_timeout + d->conf.suspend_timeout;
	if ((pid = fork()) < 0) {
		log_warn("%s: fork", s->peer);
		close(sv[0]);
		close(sv[1]);
		if (connfd >= 0)
			close(connfd);
		session_free(s);
		return;
	}
	if (pid == 0) {
		/*
		 * A worker never outlives its daemon: an orphan could act on
		 * a domain that a restarted daemon is settling.
		 */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 ||
		    getppid() != parent)
			_exit(1);
		worker_child_main(&c);
	}
	close(sv[1]);
	log_info("job %llu: receiving %s from %s in worker %ld",
	    (unsigned long long)c.id, s->res->name, s->peer, (long)pid);
	if (worker_job_new(s, pid, sv[0], connfd) != 0) {
		log_warnx("job %llu: no memory to track worker %ld; killing "
		    "it", (unsigned long long)c.id, (long)pid);
		kill(pid, SIGKILL);
		close(sv[0]);
		if (connfd >= 0)
			close(connfd);
	}
	session_free(s);
}

/* One phase line from the worker. */
static void
worker_line(struct job *j, const char *line)
{
	static const char *phase_path[] = { "phase", NULL };
	static const char *domid_path[] = { "domid", NULL };
	static const char *detail_path[] = { "detail", NULL };
	yajl_val v, f;

	if ((v = json_parse(line, NULL, 0)) == NULL ||
	    (f = yajl_tree_get(v, phase_path, yajl_t_number)) == NULL ||
	    !YAJL_IS_INTEGER(f) || YAJL_GET_INTEGER(f) < 0 ||
	    YAJL_GET_INTEGER(f) > MIG_PHASE_FAILED) {
		log_warnx("job %llu: bad phase line from the worker",
		    (unsigned long long)j->id);
		yajl_tree_free(v);
		return;
	}
	j->phase = (int)YAJL_GET_INTEGER(f);
	if (j->phase == MIG_PHASE_GO || j->phase == MIG_PHASE_RUNNING)
		j->saw_go = 1;
	if ((f = yajl_tree_get(v, domid_path, yajl_t_number)) != NULL &&
	    YAJL_IS_INTEGER(f) && YAJL_GET_INTEGER(f) >= 0 &&
	    YAJL_GET_INTEGER(f) <= UINT32_MAX)
		j->domid = YAJL_GET_INTEGER(f);
	if ((f = yajl_tree_get(v, detail_path, yajl_t_string)) != NULL)
		util_strlcpy(j->detail, YAJL_GET_STRING(f),
		    sizeof(j->detail));
	log_info("job %llu: %s: %s%s%s", (unsigned long long)j->id, j->name,
	    worker_phase_name(j->phase), j->detail[0] != '\0' ? ": " : "",
	    j->detail);
	yajl_tree_free(v);
}

/* Read what the worker wrote; lines over the maximum are dropped. */
static int
worker_chan_drain(struct job *j)
{
	ssize_t n;
	size_t i, start;

	for (;;) {
		n = recv(j->chanfd, j->line + j->linelen,
		    sizeof(j->line) - 1 - j->linelen, MSG_DONTWAIT);
		if (n <= 0)
			return n == 0 || errno != EAGAIN ? -1 : 0;
		j->linelen += (size_t)n;
		for (start = 0, i = 0; i < j->linelen; i++) {
			if (j->line[i] != '\n')
				continue;
			j->line[i] = '\0';
			if (!j->line_overflow)
				worker_line(j, j->line + start);
			j->line_overflow = 0;
			start = i + 1;
		}
		memmove(j->line, j->line + start, j->linelen - start);
		j->linelen -= start;
		if (j->linelen == sizeof(j->line) - 1) {
			if (!j->line_overflow)
				log_warnx("job %llu: phase line too long",
				    (unsigned long long)j->id);
			j->line_overflow = 1;
			j->linelen = 0;
		}
	}
}

static void
worker_chan_read(evutil_socket_t fd, short ev, void *arg)
{
	struct job *j = arg;

	(void)fd;
	(void)ev;
	if (worker_chan_drain(j) != 0)
		event_del(j->ev_chan);	/* closed: wait for SIGCHLD */
}

static void
worker_deadline(evutil_socket_t fd, short ev, void *arg)
{
	struct job *j = arg;

	(void)fd;
	(void)ev;
	log_warnx("job %llu: worker for %s ran past its deadline of %u s",
	    (unsigned long long)j->id, j->name, j->d->worker_deadline_s);
	kill(j->pid, SIGKILL);
	j->killed = "deadline exceeded";
}

int
worker_kill(struct xmigd *d, uint64_t id, const char *why)
{
	struct job *j;

	TAILQ_FOREACH(j, &d->jobs, entry) {
		if (j->id != id)
			continue;
		log_warnx("job %llu: killing the worker for %s: %s",
		    (unsigned long long)id, j->name, why);
		kill(j->pid, SIGKILL);
		if (j->killed == NULL)
			j->killed = why;
		return 0;
	}
	return -ESRCH;
}

void
worker_kill_all(struct xmigd *d, const char *why)
{
	struct job *j;

	TAILQ_FOREACH(j, &d->jobs, entry)
		worker_kill(d, j->id, why);
}

uint64_t
worker_bytes(const struct job *j)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (j->connfd < 0 || getsockopt(j->connfd, IPPROTO_TCP, TCP_INFO,
	    &ti, &len) != 0)
		return 0;
	return ti.tcpi_bytes_received;
}

/*
 * Before GO the incoming copy must not survive its worker.  Found by the
 * reported domid (only while it still bears the incoming name) or else
 * by name.
 */
static void
worker_destroy_incoming(struct job *j)
{
	struct backend *be = xmigd_backend(j->d);
	struct dom_info *doms = NULL;
	size_t n = 0, i;
	int rc, found = 0;

	if (be == NULL) {
		log_warnx("job %llu: cannot check for %s: no backend; remove "
		    "it by hand if it exists", (unsigned long long)j->id,
		    j->incoming);
		return;
	}
	if ((rc = be->ops->list(be, &doms, &n)) != 0) {
		log_warnx("job %llu: cannot list domains to remove %s",
		    (unsigned long long)j->id, j->incoming);
		return;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(doms[i].name, j->incoming) != 0)
			continue;
		if (j->domid >= 0 && doms[i].domid != (uint32_t)j->domid)
			log_warnx("job %llu: %s is domain %u, not the reported "
			    "%lld", (unsigned long long)j->id, j->incoming,
			    doms[i].domid, (long long)j->domid);
		found = 1;
		rc = be->ops->destroy(be, doms[i].domid);
		log_warnx("job %llu: incoming copy %s (domain %u) %s",
		    (unsigned long long)j->id, j->incoming, doms[i].domid,
		    rc == 0 ? "destroyed" : "could NOT be destroyed");
	}
	if (!found)
		log_info("job %llu: no incoming copy %s left to remove",
		    (unsigned long long)j->id, j->incoming);
	free(doms);
}

/*
 * A worker that failed is gone: its GO record, if any, decides (see the
 * top of this file).
 */
static void
worker_settle(struct job *j)
{
	struct backend *be = xmigd_backend(j->d);
	char name[RELOC_NAME_MAX];
	int rc = -ENOENT;

	if (be != NULL && j->key[0] != '\0')
		rc = mig_dst_finish(be, j->key, name, sizeof(name));
	switch (rc) {
	case -ENOENT:
		if (j->saw_go)
			log_warnx("job %llu: GO was reported but not "
			    "recorded", (unsigned long long)j->id);
		worker_destroy_incoming(j);
		/* Its partial disks go with it (lib/vbdmig.h). */
		if (be != NULL && j->key[0] != '\0')
			(void)vbdmig_dst_sweep(be, j->key);
		break;
	case 1:
		log_warnx("job %llu: the worker died after GO; xmigd finished "
		    "the job: %s runs here as %s", (unsigned long long)j->id,
		    j->name, name);
		break;
	case 0:
		log_warnx("job %llu: the worker died after GO and %s could "
		    "not be started: it was destroyed, and its source "
		    "resumes its own copy", (unsigned long long)j->id,
		    j->incoming);
		break;
	default:
		log_warnx("job %llu: the worker died after GO and %s could "
		    "be neither started nor destroyed (%s); xmigd tries "
		    "again when the source asks (\"xmig recover %s\") or "
		    "at its next start", (unsigned long long)j->id,
		    j->incoming, strerror(-rc), j->name);
		break;
	}
}

/* The worker is gone: account, clean up, forget the job. */
static void
worker_finish(struct job *j, int status)
{
	struct xmigd *d = j->d;
	char how[96];
	uint64_t ms = util_now_ms() - j->started_ms;

	(void)worker_chan_drain(j);
	if (WIFEXITED(status))
		snprintf(how, sizeof(how), "exit status %d",
		    WEXITSTATUS(status));
	else
		snprintf(how, sizeof(how), "signal %d%s%s", WTERMSIG(status),
		    j->killed != NULL ? ", " : "",
		    j->killed != NULL ? j->killed : "");
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		d->ctr.received++;
		log_info("job %llu: %s from %s received in %llu ms, domain "
		    "%lld", (unsigned long long)j->id, j->name, j->peer,
		    (unsigned long long)ms, (long long)j->domid);
	} else {
		d->ctr.failed++;
		log_warnx("job %llu: migration of %s from %s failed (%s) in "
		    "phase %s", (unsigned long long)j->id, j->name, j->peer,
		    how, worker_phase_name(j->phase));
		worker_settle(j);
	}
	reserve_release(&d->reserves, j->res);
	TAILQ_REMOVE(&d->jobs, j, entry);
	d->njobs--;
	if (j->ev_chan != NULL)
		event_free(j->ev_chan);
	if (j->ev_deadline != NULL)
		event_free(j->ev_deadline);
	close(j->chanfd);
	if (j->connfd >= 0)
		close(j->connfd);
	free(j);
	xmigd_check_done(d);
}

void
worker_reap(struct xmigd *d)
{
	struct job *j;
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		TAILQ_FOREACH(j, &d->jobs, entry)
			if (j->pid == pid)
				break;
		if (j != NULL)
			worker_finish(j, status);
	}
}

/*
 * At start-up no worker of ours runs (they die with their daemon).  First
 * every GO record is finished forward (mig_dst_finish_all()).  Then a
 * paused NAME--incoming domain left without a record was left by a
 * daemon or worker that died before GO: it never ran and its source
 * resumes its own copy (told "absent"), so it goes.  A dying one was
 * being destroyed when its destroyer died: it can never run again, and
 * the destroy is finished, or its name would refuse the next migration.
 * A running one is left alone, with a warning; so is one whose receiving
 * lock some live process still holds.
 */
void
worker_sweep_stale(struct xmigd *d)
{
	struct backend *be = xmigd_backend(d);
	struct dom_info *doms = NULL;
	char busy[256];
	size_t n = 0, i;
	int rc;

	if (be == NULL)
		return;
	if ((rc = mig_dst_finish_all(be)) > 0)
		log_info("%d GO record%s of an earlier run settled", rc,
		    rc == 1 ? "" : "s");
	if ((rc = vbdmig_dst_sweep_all(be)) > 0)
		log_info("disks of %d incoming domain%s of an earlier run "
		    "settled", rc, rc == 1 ? "" : "s");
	if (be->ops->list(be, &doms, &n) != 0)
		return;
	for (i = 0; i < n; i++) {
		if (!util_has_suffix(doms[i].name, MIG_SUFFIX_INCOMING))
			continue;
		if (doms[i].state != DOM_PAUSED &&
		    doms[i].state != DOM_DYING) {
			log_warnx("%s (domain %u) is %s: left as it is; its "
			    "source may need \"xmig recover\"", doms[i].name,
			    doms[i].domid, dom_state_name(&doms[i]));
			continue;
		}
		if (mig_dst_busy(be, doms[i].uuid, busy,
		    sizeof(busy)) == -EBUSY) {
			log_warnx("%s (domain %u): %s; left to it",
			    doms[i].name, doms[i].domid, busy);
			continue;
		}
		rc = be->ops->destroy(be, doms[i].domid);
		log_warnx("%s (domain %u), left %s by an earlier run, %s",
		    doms[i].name, doms[i].domid, dom_state_name(&doms[i]),
		    rc == 0 ? "destroyed" : "could NOT be destroyed");
	}
	free(doms);
}
