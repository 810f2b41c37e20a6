/*
 * session.c - one relocation connection until its stream starts.
 *
 * accept -> hosts-allow (address, else reverse name off the loop) ->
 * HELLO -> RESERVE (-> ACCEPT, reservation held until the stream starts,
 * then a worker takes the connection) or QUERY (-> STATE).  Frames are
 * read with the bufferevent's read high-water mark set to exactly what
 * the current frame still needs: the input never holds more than one
 * frame, and nothing after RESERVE is read by the daemon, so the worker
 * finds the connection positioned at STREAM.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#ifdef HAVE_TLS
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#endif

#include "fault.h"
#include "log.h"
#include "migrate.h"
#include "reloc.h"
#include "util.h"
#include "vbdmig.h"
#include "xmigd.h"

static void session_read(struct bufferevent *bev, void *arg);
static void session_event(struct bufferevent *bev, short what, void *arg);
static void session_start(struct session *s, const char *refusal);

/* Queue a frame for the peer.  0 or -errno (logged). */
static int
session_send(struct session *s, const struct reloc_msg *m)
{
	const char *why;
	uint8_t *buf;
	size_t len;
	int rc = 0;

	if ((buf = reloc_encode(m, &len, &why)) == NULL) {
		log_warnx("%s: cannot encode %s: %s", s->peer,
		    reloc_type_name(m->type), why);
		return -EINVAL;
	}
	if (bufferevent_write(s->bev, buf, len) != 0)
		rc = -ENOMEM;
	free(buf);
	return rc;
}

/* Everything written: the session ends. */
static void
session_flushed(struct bufferevent *bev, void *arg)
{
	(void)bev;
	session_free(arg);
}

/*
 * Send DENY {reason, code}, then close once it is written.  The code
 * (RELOC_DENY_*) is what a source acts on; the reason is for people.
 */
static void
session_deny(struct session *s, const char *code, const char *reason)
{
	struct reloc_msg m;

	reloc_msg_init(&m, RELOC_DENY);
	util_strlcpy(m.reason, reason, sizeof(m.reason));
	util_strlcpy(m.code, code, sizeof(m.code));
	s->state = SESS_CLOSING;
	bufferevent_disable(s->bev, EV_READ);
	if (session_send(s, &m) != 0) {
		s->dead = 1;
		return;
	}
	bufferevent_setcb(s->bev, NULL, session_flushed, session_event, s);
}

void
session_free(struct session *s)
{
	struct xmigd *d = s->d;

	TAILQ_REMOVE(&d->sessions, s, entry);
	d->nsessions--;
	if (s->ev_stream != NULL)
		event_free(s->ev_stream);
	if (s->ev_lookup != NULL)
		event_free(s->ev_lookup);
	if (s->lookup_fd >= 0)
		close(s->lookup_fd);
	if (s->bev != NULL)
		bufferevent_free(s->bev);	/* closes fd (and SSL_free) */
	else if (s->fd >= 0)
		close(s->fd);
	if (s->res != NULL) {
		log_info("%s: reservation %llu for %s dropped", s->peer,
		    (unsigned long long)s->res->id, s->res->name);
		reserve_release(&d->reserves, s->res);
	}
	reloc_msg_clear(&s->reserve);
	free(s);
}

void
session_close_all(struct xmigd *d)
{
	while (!TAILQ_EMPTY(&d->sessions))
		session_free(TAILQ_FIRST(&d->sessions));
}

/* The reverse name arrived, or its deadline passed. */
static void
session_lookup_done(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;
	char name[1100];
	ssize_t n = 0;
	char *nl;

	if (what & EV_READ)
		n = recv(fd, name, sizeof(name) - 1, MSG_DONTWAIT);
	name[n > 0 ? n : 0] = '\0';
	if ((nl = strchr(name, '\n')) != NULL)
		*nl = '\0';
	event_free(s->ev_lookup);
	s->ev_lookup = NULL;
	close(s->lookup_fd);
	s->lookup_fd = -1;
	if (name[0] != '\0' && acl_match(s->d->acl, name)) {
		log_info("%s: allowed by hosts-allow as %s", s->peer, name);
		session_start(s, NULL);
		return;
	}
	if (what & EV_TIMEOUT)
		log_info("%s: reverse lookup timed out", s->peer);
	session_start(s, "not allowed by hosts-allow");
}

/* Look the peer's name up without blocking; refuse if that cannot start. */
static void
session_lookup(struct session *s, const struct sockaddr *sa, socklen_t len)
{
	struct timeval tv = { XMIGD_LOOKUP_TIMEOUT_S, 0 };
	int fd;

	if ((fd = resolve_start(s->d, sa, len)) < 0) {
		log_warnx("%s: reverse lookup not started: %s", s->peer,
		    strerror(-fd));
		session_start(s, "not allowed by hosts-allow");
		return;
	}
	s->lookup_fd = fd;
	s->state = SESS_LOOKUP;
	s->ev_lookup = event_new(s->d->base, fd, EV_READ, session_lookup_done,
	    s);
	if (s->ev_lookup == NULL || event_add(s->ev_lookup, &tv) != 0) {
		session_free(s);
		return;
	}
}

void
session_accept(struct xmigd *d, int fd, const struct sockaddr *sa,
    socklen_t salen)
{
	struct session *s;

	if (d->stopping) {
		close(fd);
		return;
	}
	if (d->nsessions >= XMIGD_SESSIONS_MAX) {
		char peer[XMIGD_ADDR_MAX];

		acl_addr_string(sa, salen, peer, sizeof(peer));
		log_warnx("%s: refused: %u connections already open", peer,
		    d->nsessions);
		d->ctr.refused++;
		close(fd);
		return;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		log_warn("session");
		close(fd);
		return;
	}
	s->d = d;
	s->fd = fd;
	s->lookup_fd = -1;
	reloc_msg_init(&s->reserve, RELOC_RESERVE);
	acl_addr_string(sa, salen, s->peer, sizeof(s->peer));
	TAILQ_INSERT_TAIL(&d->sessions, s, entry);
	d->nsessions++;
	fault_point("xmigd-after-accept", s->fd);
	if (acl_match(d->acl, s->peer))
		session_start(s, NULL);
	else
		session_lookup(s, sa, salen);
}

/* A buffered connection, under TLS when configured.  0 or -errno. */
static int
session_bev(struct session *s)
{
	struct xmigd *d = s->d;

#ifdef HAVE_TLS
	if (d->tls_ctx != NULL) {
		SSL *ssl = SSL_new(d->tls_ctx);

		if (ssl == NULL)
			return -ENOMEM;
		s->bev = bufferevent_openssl_socket_new(d->base, s->fd, ssl,
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
		if (s->bev == NULL) {
			SSL_free(ssl);
			return -ENOMEM;
		}
		s->ssl = ssl;
		return 0;
	}
#endif
	s->bev = bufferevent_socket_new(d->base, s->fd, BEV_OPT_CLOSE_ON_FREE);
	return s->bev != NULL ? 0 : -ENOMEM;
}

/*
 * Read no more than "n" bytes ahead.  On plain TCP that is exactly what
 * the current frame still needs, so nothing past RESERVE is ever read
 * and the worker finds the connection at STREAM.  Over TLS a tight
 * watermark stalls: libevent's OpenSSL bufferevent stops reading at the
 * watermark and does not come back for bytes already decrypted into
 * OpenSSL's buffer (no socket event fires for them), so the session
 * would time out.  There the limit is one whole frame; the client sends
 * nothing past a request before its answer, and reading stops once the
 * reservation is accepted.
 */
static void
session_watermark(struct session *s, size_t n)
{
	if (s->ssl != NULL)
		n = RELOC_HDR_LEN + RELOC_PAYLOAD_MAX;
	bufferevent_setwatermark(s->bev, EV_READ, 0, n);
}

/*
 * Start the protocol, or with "refusal" set only send DENY with it: a
 * refused peer is told why and nothing it sends is read.
 */
static void
session_start(struct session *s, const char *refusal)
{
	struct timeval tv = { XMIGD_SESSION_TIMEOUT_S, 0 };
	char why[RELOC_TEXT_MAX];

	if (session_bev(s) != 0) {
		log_warnx("%s: no memory for the connection", s->peer);
		session_free(s);
		return;
	}
	bufferevent_setcb(s->bev, session_read, NULL, session_event, s);
	bufferevent_set_timeouts(s->bev, &tv, &tv);
	session_watermark(s, RELOC_HDR_LEN);
	if (refusal != NULL) {
		s->d->ctr.refused++;
		log_warnx("%s: connection refused: %s", s->peer, refusal);
		snprintf(why, sizeof(why), "%s is %s", s->peer, refusal);
		bufferevent_enable(s->bev, EV_WRITE);
		session_deny(s, RELOC_DENY_NOT_ALLOWED, why);
		if (s->dead)
			session_free(s);
		return;
	}
	s->d->ctr.accepted++;
	log_debug("%s: connection accepted", s->peer);
	s->state = SESS_HELLO;
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
}

static void
session_event(struct bufferevent *bev, short what, void *arg)
{
	struct session *s = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED)
		return;		/* TLS handshake done */
	if (what & BEV_EVENT_TIMEOUT)
		log_info("%s: connection timed out", s->peer);
	else if (what & BEV_EVENT_EOF)
		log_debug("%s: connection closed by peer", s->peer);
	else if (what & BEV_EVENT_ERROR) {
#ifdef HAVE_TLS
		unsigned long e;

		if (s->ssl != NULL &&
		    (e = bufferevent_get_openssl_error(bev)) != 0) {
			char buf[256];

			ERR_error_string_n(e, buf, sizeof(buf));
			log_warnx("%s: TLS error: %s", s->peer, buf);
		} else
#endif
			log_info("%s: connection error: %s", s->peer,
			    strerror(EVUTIL_SOCKET_ERROR()));
	}
	session_free(s);
}

static void
session_hello(struct session *s, const struct reloc_msg *m)
{
	struct reloc_msg r;
	char why[RELOC_TEXT_MAX];

	if (m->version != RELOC_VERSION) {
		log_warnx("%s: protocol version %u from %s not supported",
		    s->peer, m->version, m->software);
		snprintf(why, sizeof(why), "protocol version %u not "
		    "supported: this host speaks version %d", m->version,
		    RELOC_VERSION);
		session_deny(s, RELOC_DENY_VERSION, why);
		return;
	}
	reloc_msg_init(&r, RELOC_HELLO);
	r.version = RELOC_VERSION;
	snprintf(r.software, sizeof(r.software), "xmigd %s",
	    PACKAGE_VERSION);
	if (gethostname(r.host, sizeof(r.host) - 1) != 0)
		util_strlcpy(r.host, "unknown", sizeof(r.host));
	log_info("%s: hello from %s", s->peer, m->software);
	s->state = SESS_REQUEST;
	if (session_send(s, &r) != 0)
		s->dead = 1;
}

static const char *
session_state_name(enum dom_state st)
{
	switch (st) {
	case DOM_RUNNING:
		return "running";
	case DOM_PAUSED:
		return "paused";
	case DOM_SHUTDOWN:
		return "shutdown";
	case DOM_DYING:
		return "dying";
	}
	return "unknown";
}

/* Is a worker of ours still receiving "name"? */
static int
session_job_running(struct xmigd *d, const char *name)
{
	struct job *j;

	TAILQ_FOREACH(j, &d->jobs, entry)
		if (strcmp(j->name, name) == 0)
			return 1;
	return 0;
}

/* Is "name" a source copy left by a migration to this very host? */
static int
session_is_away(const char *name)
{
	return util_has_suffix(name, MIG_SUFFIX_AWAY);
}

/*
 * QUERY {name, uuid} -> STATE {found, state, name}, for a source settling
 * a migration ("xmig recover" or xmig migrate's own).  This daemon is the
 * one that decides: while a worker still receives the domain the answer
 * is "pending" (ask again); a GO record is finished first (the domain
 * runs, or was destroyed and is "absent"); then the domains are looked
 * up by name and uuid, a --migratedaway source copy of a migration to
 * this same host never counting as the destination's.
 */
static void
session_query(struct session *s, const struct reloc_msg *m)
{
	struct backend *be = xmigd_backend(s->d);
	struct dom_info *doms = NULL, *hit = NULL;
	char key[UUID_STR_LEN], name[RELOC_NAME_MAX];
	struct reloc_msg r;
	size_t n = 0, i;
	int rc = -ENOENT;

	if (be == NULL) {
		session_deny(s, RELOC_DENY_UNAVAILABLE,
		    "the hypervisor backend is not available");
		return;
	}
	reloc_msg_init(&r, RELOC_STATE);
	util_strlcpy(r.name, m->name, sizeof(r.name));
	if (session_job_running(s->d, m->name)) {
		r.found = 1;
		util_strlcpy(r.state, "pending", sizeof(r.state));
		goto answer;
	}
	if (m->has_uuid) {
		uuid_fmt(m->uuid, key);
		rc = mig_dst_finish(be, key, name, sizeof(name));
	}
	if (rc == 1 || rc == 0 || rc == -EBUSY) {
		r.found = rc != 0;
		util_strlcpy(r.state, rc == 1 ? "running" : rc == 0 ?
		    "absent" : "pending", sizeof(r.state));
		if (rc == 1)
			util_strlcpy(r.name, name, sizeof(r.name));
		goto answer;
	}
	if (rc != -ENOENT) {
		/* GO recorded, but the copy can be neither started nor
		 * destroyed: the source must stay suspended. */
		r.found = 1;
		util_strlcpy(r.state, "stuck", sizeof(r.state));
		goto answer;
	}
	if (be->ops->list(be, &doms, &n) != 0) {
		session_deny(s, RELOC_DENY_UNAVAILABLE,
		    "the hypervisor backend is not available");
		return;
	}
	for (i = 0; i < n && hit == NULL; i++)
		if (strcmp(doms[i].name, m->name) == 0)
			hit = &doms[i];
	for (i = 0; i < n && hit == NULL && m->has_uuid; i++)
		if (memcmp(doms[i].uuid, m->uuid, 16) == 0 &&
		    !session_is_away(doms[i].name))
			hit = &doms[i];
	r.found = hit != NULL;
	if (hit != NULL) {
		util_strlcpy(r.name, hit->name, sizeof(r.name));
		util_strlcpy(r.state, session_state_name(hit->state),
		    sizeof(r.state));
	} else
		util_strlcpy(r.state, "absent", sizeof(r.state));
	free(doms);
answer:
	log_info("%s: query for %s: %s", s->peer, m->name, r.state);
	if (session_send(s, &r) != 0)
		s->dead = 1;
}

/* "xmig status --host": this daemon's status, as the control socket's. */
static void
session_status(struct session *s)
{
	struct reloc_msg r;

	reloc_msg_init(&r, RELOC_STATUS);
	if ((r.status = control_status_text(s->d)) == NULL) {
		session_deny(s, RELOC_DENY_UNAVAILABLE, "out of memory");
		return;
	}
	log_info("%s: status query", s->peer);
	if (session_send(s, &r) != 0)
		s->dead = 1;
	reloc_msg_clear(&r);
}

/* The stream is there (or the peer went away, or time ran out). */
static void
session_stream_ready(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;
	char c;

	if (what & EV_TIMEOUT) {
		log_warnx("%s: reservation %llu for %s expired: no stream "
		    "within %u s", s->peer, (unsigned long long)s->res->id,
		    s->res->name, s->d->conf.reservation_timeout);
		session_free(s);
		return;
	}
	if (recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0) {
		log_info("%s: peer closed before its stream", s->peer);
		session_free(s);
		return;
	}
	worker_start(s);
}

/* Hold the reservation until the stream starts or the timeout passes. */
static void
session_wait_stream(struct session *s)
{
	struct timeval tv = { s->d->conf.reservation_timeout, 0 };

	s->state = SESS_WAIT_STREAM;
	bufferevent_disable(s->bev, EV_READ);
	s->ev_stream = event_new(s->d->base, s->fd, EV_READ,
	    session_stream_ready, s);
	if (s->ev_stream == NULL || event_add(s->ev_stream, &tv) != 0)
		s->dead = 1;
}

/*
 * The refusal code of a reserve_admit() error: "busy" only for what ends
 * by itself (max-incoming, memory held by reservations in flight).
 */
static const char *
session_deny_code(int rc)
{
	switch (rc) {
	case -EBUSY:
	case -EAGAIN:
		return RELOC_DENY_BUSY;
	case -ENOSPC:
		return RELOC_DENY_NO_MEMORY;
	case -EEXIST:
		return RELOC_DENY_EXISTS;
	case -EINVAL:
		return RELOC_DENY_INVALID;
	default:
		return RELOC_DENY_UNAVAILABLE;
	}
}

/* The disks of a RESERVE against storage-dir (lib/vbdmig.h). */
static int
session_storage(struct session *s, const char *disks, char *why,
    size_t whylen)
{
	const char *dirs[CONF_STORAGE_DIRS_MAX];
	unsigned i;

	for (i = 0; i < s->d->conf.nstorage_dir; i++)
		dirs[i] = s->d->conf.storage_dir[i];
	return vbdmig_dst_check(dirs, s->d->conf.nstorage_dir, disks, why,
	    whylen);
}

static void
session_reserve(struct session *s, struct reloc_msg *m)
{
	struct reserve_req req = { .name = m->name, .memkb = m->memkb,
	    .vcpus = m->vcpus, .uuid = m->has_uuid ? m->uuid : NULL };
	struct backend *be = xmigd_backend(s->d);
	struct reserve_host h;
	struct reservation *res;
	struct reloc_msg r;
	char why[RELOC_TEXT_MAX];
	int rc;

	if (s->d->stopping || be == NULL) {
		session_deny(s, RELOC_DENY_UNAVAILABLE, s->d->stopping ?
		    "the daemon is stopping" :
		    "the hypervisor backend is not available");
		return;
	}
	if (reserve_host_facts(be, &req, &h, why, sizeof(why)) != 0) {
		log_warnx("%s: reservation for %s refused: %s", s->peer,
		    m->name, why);
		session_deny(s, RELOC_DENY_UNAVAILABLE, why);
		return;
	}
	/* Disks: the storage directories and their room, before anything. */
	if (m->disks != NULL && (rc = session_storage(s, m->disks, why,
	    sizeof(why))) != 0) {
		log_warnx("%s: reservation for %s refused: %s", s->peer,
		    m->name, why);
		session_deny(s, rc == -EINVAL ? RELOC_DENY_INVALID :
		    RELOC_DENY_STORAGE, why);
		return;
	}
	rc = reserve_admit(&s->d->reserves, &req, &h,
	    s->d->conf.max_incoming, &res, why, sizeof(why));
	if (rc != 0) {
		log_warnx("%s: reservation for %s refused: %s", s->peer,
		    m->name, why);
		session_deny(s, session_deny_code(rc), why);
		return;
	}
	if (reserve_finish_dying(be, res, &h, why, sizeof(why)) != 0) {
		reserve_release(&s->d->reserves, res);
		log_warnx("%s: reservation for %s refused: %s", s->peer,
		    m->name, why);
		session_deny(s, RELOC_DENY_UNAVAILABLE, why);
		return;
	}
	if (h.self)
		log_info("%s: %s is on this host already: a migration to the "
		    "same host", s->peer, m->name);
	s->res = res;
	s->reserve = *m;	/* takes m->config and m->disks */
	m->config = NULL;
	m->disks = NULL;
	reloc_msg_init(&r, RELOC_ACCEPT);
	r.reservation = res->id;
	util_strlcpy(r.incoming, res->incoming, sizeof(r.incoming));
	log_info("%s: reservation %llu accepted: %s, %llu KiB, %u vcpus, "
	    "held %u s", s->peer, (unsigned long long)res->id, m->name,
	    (unsigned long long)m->memkb, m->vcpus,
	    s->d->conf.reservation_timeout);
	if (session_send(s, &r) != 0) {
		s->dead = 1;
		return;
	}
	fault_point("xmigd-after-reserve", s->fd);
	session_wait_stream(s);
}

/* Whether a frame of this type is valid in the session's state. */
static int
session_expects(const struct session *s, enum reloc_type type)
{
	if (s->state == SESS_HELLO)
		return type == RELOC_HELLO;
	if (s->state == SESS_REQUEST)
		return type == RELOC_RESERVE || type == RELOC_QUERY ||
		    type == RELOC_STATUS_QUERY;
	return 0;
}

/* A frame the state does not allow: refuse it and end the session. */
static void
session_unexpected(struct session *s, enum reloc_type type)
{
	char why[RELOC_TEXT_MAX];

	snprintf(why, sizeof(why), "unexpected %s frame",
	    reloc_type_name(type));
	log_warnx("%s: %s", s->peer, why);
	session_deny(s, RELOC_DENY_PROTOCOL, why);
}

/*
 * One decoded frame, of a type session_read() found its state expects
 * (from the header, before the payload was read).
 */
static void
session_frame(struct session *s, struct reloc_msg *m)
{
	if (m->type == RELOC_HELLO)
		session_hello(s, m);
	else if (m->type == RELOC_RESERVE)
		session_reserve(s, m);
	else if (m->type == RELOC_QUERY)
		session_query(s, m);
	else
		session_status(s);
}

/* Decode the frame whose header is in s->hdr; 0 or -1 (session gone). */
static int
session_payload(struct session *s, struct evbuffer *in)
{
	struct reloc_msg m;
	char why[RELOC_TEXT_MAX], reason[RELOC_TEXT_MAX * 2];
	uint8_t *p = NULL;

	if (s->hdr.len > 0 && (p = evbuffer_pullup(in, s->hdr.len)) == NULL) {
		s->dead = 1;
		return -1;
	}
	if (reloc_decode(&s->hdr, p, &m, why, sizeof(why)) != 0) {
		log_warnx("%s: bad %s frame: %s", s->peer,
		    reloc_type_name(s->hdr.type), why);
		snprintf(reason, sizeof(reason), "bad %s frame: %s",
		    reloc_type_name(s->hdr.type), why);
		session_deny(s, RELOC_DENY_PROTOCOL, reason);
		return -1;
	}
	evbuffer_drain(in, s->hdr.len);
	s->have_hdr = 0;
	session_frame(s, &m);
	reloc_msg_clear(&m);
	return s->dead ? -1 : 0;
}

static void
session_read(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint8_t hb[RELOC_HDR_LEN];
	const char *why;
	char reason[RELOC_TEXT_MAX * 2];

	while (s->state == SESS_HELLO || s->state == SESS_REQUEST) {
		if (!s->have_hdr) {
			if (evbuffer_get_length(in) < RELOC_HDR_LEN) {
				session_watermark(s, RELOC_HDR_LEN);
				return;
			}
			evbuffer_remove(in, hb, sizeof(hb));
			if (reloc_hdr_decode(hb, &s->hdr, &why) != 0) {
				log_warnx("%s: bad frame header: %s", s->peer,
				    why);
				snprintf(reason, sizeof(reason),
				    "bad frame header: %s", why);
				session_deny(s, RELOC_DENY_PROTOCOL, reason);
				break;
			}
			/*
			 * Refused before its payload is buffered: a peer
			 * that has not said hello cannot make the daemon
			 * hold a reservation-sized frame.
			 */
			if (!session_expects(s, s->hdr.type)) {
				session_unexpected(s, s->hdr.type);
				break;
			}
			s->have_hdr = 1;
		}
		if (evbuffer_get_length(in) < s->hdr.len) {
			session_watermark(s, s->hdr.len);
			return;
		}
		if (session_payload(s, in) != 0)
			break;
	}
	if (s->dead)
		session_free(s);
}
