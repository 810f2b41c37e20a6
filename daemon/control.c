/*
 * control.c - the control socket: "xmig status" and "xmig cancel".
 *
 * A unix stream socket, mode 0600, and every client's uid checked with
 * SO_PEERCRED (root, or the daemon's own uid).  Requests and replies are
 * one JSON object per line:
 *   {"cmd":"status"}          -> {"ok":true,"version":...,"jobs":[...],...}
 *   {"cmd":"cancel","job":N}  -> {"ok":true,...} or {"ok":false,"error":..}
 * A request longer than CONTROL_REQ_MAX or a client silent for
 * CONTROL_TIMEOUT_S is dropped.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <yajl_gen.h>
#include <yajl_tree.h>

#include "json.h"
#include "log.h"
#include "util.h"
#include "xmigd.h"
#include "uuid.h"

struct control_client {
	struct control	*c;
	struct bufferevent *bev;
	TAILQ_ENTRY(control_client) entry;
};

struct control {
	struct xmigd	*d;
	int		 fd;
	struct event	*ev;
	char		 path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	unsigned	 nclients;
	TAILQ_HEAD(, control_client) clients;
};

int
control_parse(const char *line, size_t len, struct control_req *req,
    char *why, size_t whylen)
{
	static const char *cmd_path[] = { "cmd", NULL };
	static const char *job_path[] = { "job", NULL };
	char buf[CONTROL_REQ_MAX + 1], err[128];
	yajl_val v, f;
	const char *cmd;
	int rc = -EINVAL;

	memset(req, 0, sizeof(*req));
	if (len > CONTROL_REQ_MAX) {
		snprintf(why, whylen, "request longer than %d bytes",
		    CONTROL_REQ_MAX);
		return -EINVAL;
	}
	memcpy(buf, line, len);
	buf[len] = '\0';
	if (strlen(buf) != len) {
		snprintf(why, whylen, "NUL byte in request");
		return -EINVAL;
	}
	if ((v = json_parse(buf, err, sizeof(err))) == NULL ||
	    !YAJL_IS_OBJECT(v)) {
		snprintf(why, whylen, "not a JSON object");
		goto out;
	}
	if ((f = yajl_tree_get(v, cmd_path, yajl_t_string)) == NULL) {
		snprintf(why, whylen, "no \"cmd\" string");
		goto out;
	}
	cmd = YAJL_GET_STRING(f);
	if (strcmp(cmd, "status") == 0) {
		req->cmd = CONTROL_STATUS;
		rc = 0;
	} else if (strcmp(cmd, "cancel") == 0) {
		f = yajl_tree_get(v, job_path, yajl_t_number);
		if (f == NULL || !YAJL_IS_INTEGER(f) ||
		    YAJL_GET_INTEGER(f) <= 0) {
			snprintf(why, whylen, "cancel needs a positive "
			    "integer \"job\"");
			goto out;
		}
		req->cmd = CONTROL_CANCEL;
		req->job = (uint64_t)YAJL_GET_INTEGER(f);
		rc = 0;
	} else
		snprintf(why, whylen, "unknown command \"%.32s\"", cmd);
out:
	yajl_tree_free(v);
	return rc;
}

#define GS(g, s) yajl_gen_string((g), (const unsigned char *)(s), strlen(s))

static void
control_gen_kv_str(yajl_gen g, const char *k, const char *v)
{
	GS(g, k);
	GS(g, v);
}

static void
control_gen_kv_int(yajl_gen g, const char *k, long long v)
{
	GS(g, k);
	yajl_gen_integer(g, v);
}

static void
control_status_jobs(yajl_gen g, struct xmigd *d)
{
	struct job *j;
	uint64_t now = util_now_ms();

	GS(g, "jobs");
	yajl_gen_array_open(g);
	TAILQ_FOREACH(j, &d->jobs, entry) {
		yajl_gen_map_open(g);
		control_gen_kv_int(g, "id", (long long)j->id);
		control_gen_kv_str(g, "direction", "incoming");
		control_gen_kv_str(g, "domain", j->name);
		control_gen_kv_str(g, "incoming", j->incoming);
		control_gen_kv_str(g, "peer", j->peer);
		control_gen_kv_str(g, "protocol", j->xl ? "xl" : "xmig");
		control_gen_kv_str(g, "phase", worker_phase_name(j->phase));
		control_gen_kv_int(g, "domid", j->domid);
		control_gen_kv_int(g, "bytes", (long long)worker_bytes(j));
		control_gen_kv_int(g, "started", (long long)j->started_wall);
		control_gen_kv_int(g, "elapsed_ms",
		    (long long)(now - j->started_ms));
		control_gen_kv_int(g, "pid", (long long)j->pid);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

static void
control_status_reservations(yajl_gen g, struct xmigd *d)
{
	struct reservation *r;
	char uuid[UUID_STR_LEN];
	uint64_t now = util_now_ms();

	GS(g, "reservations");
	yajl_gen_array_open(g);
	TAILQ_FOREACH(r, &d->reserves.list, entry) {
		yajl_gen_map_open(g);
		control_gen_kv_int(g, "id", (long long)r->id);
		control_gen_kv_str(g, "domain", r->name);
		if (r->has_uuid) {
			uuid_fmt(r->uuid, uuid);
			control_gen_kv_str(g, "uuid", uuid);
		}
		control_gen_kv_int(g, "bytes", (long long)r->bytes);
		control_gen_kv_int(g, "vcpus", r->vcpus);
		control_gen_kv_str(g, "state", r->state == RES_WAITING ?
		    "waiting-for-stream" : "worker");
		control_gen_kv_int(g, "age_ms",
		    (long long)(now - r->created_ms));
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

static void
control_status(yajl_gen g, struct xmigd *d)
{
	struct backend *be;
	uint64_t free_bytes;
	char where[256];

	listener_describe(d, where, sizeof(where));
	control_gen_kv_str(g, "version", PACKAGE_VERSION);
	control_gen_kv_int(g, "pid", (long long)getpid());
	control_gen_kv_int(g, "uptime_s",
	    (long long)((util_now_ms() - d->start_ms) / 1000));
	control_gen_kv_str(g, "backend", conf_backend_name(d->conf.backend));
	control_gen_kv_str(g, "backend_state", d->be_open ? "open" :
	    "not available");
	control_gen_kv_str(g, "listening", where);
	control_gen_kv_str(g, "tls", d->conf.tls ? "on" : "off");
	control_gen_kv_int(g, "max_incoming", d->conf.max_incoming);
	control_gen_kv_int(g, "reserved_bytes",
	    (long long)reserve_held(&d->reserves));
	/* For placement ("xmig evacuate"): room is free minus reserved. */
	control_gen_kv_int(g, "incoming", (long long)d->reserves.count);
	if ((be = xmigd_backend(d)) != NULL &&
	    be->ops->free_memory(be, &free_bytes) == 0)
		control_gen_kv_int(g, "free_bytes", (long long)free_bytes);
	control_status_jobs(g, d);
	control_status_reservations(g, d);
	GS(g, "counters");
	yajl_gen_map_open(g);
	control_gen_kv_int(g, "connections_accepted", (long long)d->ctr.accepted);
	control_gen_kv_int(g, "connections_refused", (long long)d->ctr.refused);
	control_gen_kv_int(g, "migrations_received", (long long)d->ctr.received);
	control_gen_kv_int(g, "migrations_failed", (long long)d->ctr.failed);
	yajl_gen_map_close(g);
}

/* Cancel a job, or a reservation still waiting for its stream. */
static int
control_cancel(struct xmigd *d, uint64_t id, char *why, size_t whylen)
{
	struct session *s;

	if (worker_kill(d, id, "cancelled by the administrator") == 0)
		return 0;
	TAILQ_FOREACH(s, &d->sessions, entry) {
		if (s->res != NULL && s->res->id == id) {
			log_warnx("reservation %llu for %s cancelled by the "
			    "administrator", (unsigned long long)id,
			    s->res->name);
			session_free(s);
			return 0;
		}
	}
	snprintf(why, whylen, "no job %llu", (unsigned long long)id);
	return -ESRCH;
}

char *
control_status_text(struct xmigd *d)
{
	const unsigned char *buf;
	char *text = NULL;
	size_t len;
	yajl_gen g;

	if ((g = yajl_gen_alloc(NULL)) == NULL)
		return NULL;
	yajl_gen_map_open(g);
	GS(g, "ok");
	yajl_gen_bool(g, 1);
	control_status(g, d);
	yajl_gen_map_close(g);
	if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok)
		text = strndup((const char *)buf, len);
	yajl_gen_free(g);
	return text;
}

/* Answer one request line. */
static void
control_answer(struct control_client *cl, const char *line, size_t len)
{
	struct xmigd *d = cl->c->d;
	struct control_req req;
	const unsigned char *buf;
	char why[256];
	size_t blen;
	yajl_gen g;
	int rc;

	if ((g = yajl_gen_alloc(NULL)) == NULL)
		return;
	yajl_gen_map_open(g);
	rc = control_parse(line, len, &req, why, sizeof(why));
	if (rc == 0 && req.cmd == CONTROL_CANCEL)
		rc = control_cancel(d, req.job, why, sizeof(why));
	GS(g, "ok");
	yajl_gen_bool(g, rc == 0);
	if (rc != 0)
		control_gen_kv_str(g, "error", why);
	else if (req.cmd == CONTROL_STATUS)
		control_status(g, d);
	else
		control_gen_kv_int(g, "cancelled", (long long)req.job);
	yajl_gen_map_close(g);
	if (yajl_gen_get_buf(g, &buf, &blen) == yajl_gen_status_ok) {
		bufferevent_write(cl->bev, buf, blen);
		bufferevent_write(cl->bev, "\n", 1);
	}
	yajl_gen_free(g);
}

static void
control_client_free(struct control_client *cl)
{
	TAILQ_REMOVE(&cl->c->clients, cl, entry);
	cl->c->nclients--;
	bufferevent_free(cl->bev);
	free(cl);
}

static void
control_client_read(struct bufferevent *bev, void *arg)
{
	struct control_client *cl = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len;
	char *line;

	while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		control_answer(cl, line, len);
		free(line);
	}
	if (evbuffer_get_length(in) >= CONTROL_REQ_MAX) {
		log_warnx("control: request too long; dropping the client");
		control_client_free(cl);
	}
}

static void
control_client_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & BEV_EVENT_TIMEOUT)
		log_debug("control: client timed out");
	control_client_free(arg);
}

/* Root or ourselves only. */
static int
control_peer_ok(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
		return 0;
	if (cred.uid == 0 || cred.uid == geteuid())
		return 1;
	log_warnx("control: uid %ld refused", (long)cred.uid);
	return 0;
}

static void
control_accept(evutil_socket_t lfd, short ev, void *arg)
{
	struct control *c = arg;
	struct timeval tv = { CONTROL_TIMEOUT_S, 0 };
	struct control_client *cl;
	int fd;

	(void)ev;
	if ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) < 0)
		return;
	if (!control_peer_ok(fd) || c->nclients >= CONTROL_CLIENTS_MAX ||
	    (cl = calloc(1, sizeof(*cl))) == NULL) {
		close(fd);
		return;
	}
	cl->c = c;
	cl->bev = bufferevent_socket_new(c->d->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (cl->bev == NULL) {
		close(fd);
		free(cl);
		return;
	}
	TAILQ_INSERT_TAIL(&c->clients, cl, entry);
	c->nclients++;
	bufferevent_setcb(cl->bev, control_client_read, NULL,
	    control_client_event, cl);
	bufferevent_set_timeouts(cl->bev, &tv, &tv);
	bufferevent_setwatermark(cl->bev, EV_READ, 0, CONTROL_REQ_MAX);
	bufferevent_enable(cl->bev, EV_READ | EV_WRITE);
}

/* Outside systemd (RuntimeDirectory=) /run/xmig may not exist yet. */
static void
control_mkdir(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	util_strlcpy(dir, path, sizeof(dir));
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		log_warn("mkdir %s", dir);
}

/* Bind path; a live daemon already there is an error, a stale file not. */
static int
control_bind(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	mode_t old;
	int fd, rc;

	if (util_strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) != 0) {
		log_warnx("control socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	control_mkdir(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		log_warnx("%s: another xmigd is running", path);
		close(fd);
		return -EADDRINUSE;
	}
	(void)unlink(path);
	old = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rc != 0 || chmod(path, 0600) != 0 || listen(fd, 16) != 0) {
		rc = -errno;
		log_warn("control socket %s", path);
		close(fd);
		return rc;
	}
	return fd;
}

int
control_open(struct xmigd *d)
{
	struct control *c;
	int fd;

	if ((fd = control_bind(d->conf.control_socket)) < 0)
		return fd;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return -ENOMEM;
	}
	c->d = d;
	c->fd = fd;
	TAILQ_INIT(&c->clients);
	util_strlcpy(c->path, d->conf.control_socket, sizeof(c->path));
	c->ev = event_new(d->base, fd, EV_READ | EV_PERSIST, control_accept,
	    c);
	if (c->ev == NULL || event_add(c->ev, NULL) != 0) {
		close(fd);
		free(c);
		return -ENOMEM;
	}
	d->control = c;
	return 0;
}

void
control_close(struct xmigd *d)
{
	struct control *c = d->control;

	if (c == NULL)
		return;
	while (!TAILQ_EMPTY(&c->clients))
		control_client_free(TAILQ_FIRST(&c->clients));
	event_free(c->ev);
	close(c->fd);
	(void)unlink(c->path);
	free(c);
	d->control = NULL;
}
