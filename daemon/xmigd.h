/*
 * xmigd.h - the relocation daemon's shared state.
 *
 * One libevent loop in one process owns everything here: the running
 * configuration, the listeners, the sessions (connections before their
 * stream starts), the reservations, the jobs (one forked worker each) and
 * the control socket.  Nothing here is touched by another thread; the
 * name-resolution helper threads only own a socket back to the loop.
 */
#ifndef XMIGD_H
#define XMIGD_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/bufferevent.h>

#include "acl.h"
#include "backend.h"
#include "conf.h"
#include "migrate.h"
#include "reloc.h"
#include "uuid.h"

/* A connection gets this long for each frame before HELLO/RESERVE. */
#define XMIGD_SESSION_TIMEOUT_S	30
/* Connections not yet handed to a worker, at most. */
#define XMIGD_SESSIONS_MAX	256
/* Reverse lookups in flight at most, and how long each may take. */
#define XMIGD_LOOKUPS_MAX	16
#define XMIGD_LOOKUP_TIMEOUT_S	5
/* Workers get this long to finish after SIGTERM. */
#define XMIGD_DRAIN_TIMEOUT_S	60
/* A worker running longer than this is killed (env override for tests). */
#define XMIGD_WORKER_DEADLINE_S	(6 * 3600)
/* Longest phase line a worker may send. */
#define XMIGD_PHASE_LINE_MAX	1024
/* vcpus a reservation may ask for. */
#define XMIGD_VCPUS_MAX		512
#define XMIGD_ADDR_MAX		64	/* numeric address text */
#define XMIGD_LISTEN_MAX	8

/* Command-line settings that override the config file. */
struct xmigd_opts {
	const char	*conf_path;
	int		 explicit_conf;
	int		 foreground;
	int		 check_only;
	const char	*backend;
	const char	*sim_dir;
	const char	*port;
	const char	*address;
	int		 verbose;
};

/* A reservation: resources promised to one incoming domain. */
enum reservation_state {
	RES_WAITING = 0,	/* ACCEPT sent, waiting for the stream */
	RES_WORKER,		/* a worker owns it */
};

struct reservation {
	uint64_t	id;		/* also the job id */
	char		name[RELOC_NAME_MAX];
	char		incoming[RELOC_NAME_MAX + 12];
	uint8_t		uuid[16];
	int		has_uuid;
	uint64_t	bytes;		/* memory held */
	unsigned	vcpus;
	uint64_t	created_ms;	/* util_now_ms() */
	enum reservation_state state;
	TAILQ_ENTRY(reservation) entry;
};
TAILQ_HEAD(reservation_list, reservation);

struct reserve_table {
	struct reservation_list	list;
	unsigned		count;
	uint64_t		next_id;
};

/* What the host says, gathered before a reservation is judged. */
struct reserve_host {
	uint64_t	free_bytes;	/* backend free_memory */
	int		name_taken;	/* NAME or NAME--incoming exists */
	int		uuid_taken;	/* a domain with that uuid exists */
	int		self;		/* the source itself is on this host */
	int64_t		dying_incoming;	/* a dying NAME--incoming, or -1 */
};

/* One request to reserve, decoded from a RESERVE frame. */
struct reserve_req {
	const char	*name;
	const uint8_t	*uuid;		/* NULL: none given */
	uint64_t	memkb;
	unsigned	vcpus;
};

enum session_state {
	SESS_LOOKUP = 0,	/* waiting for the peer's reverse name */
	SESS_HELLO,		/* waiting for HELLO */
	SESS_REQUEST,		/* waiting for RESERVE or QUERY */
	SESS_WAIT_STREAM,	/* ACCEPT sent, reservation held */
	SESS_CLOSING,		/* flushing a last frame */
};

struct xmigd;

struct session {
	struct xmigd	*d;
	int		 fd;
	struct bufferevent *bev;
	void		*ssl;		/* SSL * under TLS, else NULL */
	enum session_state state;
	int		 dead;		/* free when the callback returns */
	char		 peer[XMIGD_ADDR_MAX];
	int		 have_hdr;
	struct reloc_hdr hdr;
	struct reloc_msg reserve;	/* the accepted RESERVE */
	struct reservation *res;
	struct event	*ev_stream;	/* readability while WAIT_STREAM */
	struct event	*ev_lookup;	/* the lookup's answer or deadline */
	int		 lookup_fd;
	TAILQ_ENTRY(session) entry;
};
TAILQ_HEAD(session_list, session);

enum job_phase {
	JOB_STARTING = -1,	/* forked, nothing reported yet */
	/* then enum mig_phase values */
};

struct job {
	struct xmigd	*d;
	uint64_t	 id;
	pid_t		 pid;
	int		 phase;		/* JOB_STARTING or enum mig_phase */
	int		 saw_go;
	int		 xl;		/* xl's protocol (xmig xl-relay) */
	int64_t		 domid;
	char		 name[RELOC_NAME_MAX];
	char		 incoming[RELOC_NAME_MAX + 12];
	char		 key[UUID_STR_LEN];	/* GO record's, or "" */
	char		 peer[XMIGD_ADDR_MAX];
	char		 detail[128];
	uint64_t	 started_ms;
	time_t		 started_wall;
	int		 connfd;	/* the daemon's copy, for byte counts */
	int		 chanfd;	/* phase lines from the worker */
	struct event	*ev_chan;
	struct event	*ev_deadline;
	char		 line[XMIGD_PHASE_LINE_MAX];
	size_t		 linelen;
	int		 line_overflow;
	const char	*killed;	/* why the daemon killed it, or NULL */
	struct reservation *res;
	TAILQ_ENTRY(job) entry;
};
TAILQ_HEAD(job_list, job);

struct listener {
	int		 fd;
	struct event	*ev;
	char		 name[XMIGD_ADDR_MAX + 8];
};

struct xmigd_counters {
	uint64_t	accepted;	/* connections let in */
	uint64_t	refused;	/* refused by hosts-allow or limits */
	uint64_t	received;	/* migrations that ran here */
	uint64_t	failed;		/* migrations that failed here */
};

struct control;

struct xmigd {
	struct event_base *base;
	struct xmigd_opts opts;
	struct conf	 conf;
	struct acl	*acl;
	void		*tls_ctx;	/* SSL_CTX * when tls = on */
	struct backend	 be;
	int		 be_open;
	struct listener	 listeners[XMIGD_LISTEN_MAX];
	int		 nlisteners;
	char		 listen_addr[CONF_STR_MAX];	/* what is bound */
	unsigned	 listen_port;
	struct event	*ev_accept_pause;
	struct session_list sessions;
	unsigned	 nsessions;
	struct reserve_table reserves;
	struct job_list	 jobs;
	unsigned	 njobs;
	struct control	*control;
	int		 lookups;	/* atomic: helper threads alive */
	int		 stopping;
	struct event	*ev_drain;
	struct event	*ev_sig[5];
	struct xmigd_counters ctr;
	uint64_t	 start_ms;
	unsigned	 worker_deadline_s;
};

/* xmigd.c */
/*
 * Open the backend c names (sim with c->sim_memory for a new host) into
 * *be.  0 or a negative errno (logged).  Used by the daemon and, with a
 * fresh connection, by each worker.
 */
int	xmigd_backend_open(const struct conf *c, struct backend *be);
/*
 * The daemon's backend, opened on first use; NULL (logged) when it
 * cannot be opened now (the next call tries again).
 */
struct backend *xmigd_backend(struct xmigd *d);
/* Stop when the last worker is gone (after SIGTERM). */
void	xmigd_check_done(struct xmigd *d);

/* listener.c */
/*
 * Bind and listen on d->conf's address and port.  Returns 0, or a
 * negative errno (logged) with the previous listeners untouched.  On
 * success the previous listeners, if any, are closed.
 */
int	listener_open(struct xmigd *d);
/* Close every listener. */
void	listener_close_all(struct xmigd *d);
/* Rebind if the address or port of d->conf differs from what is bound. */
int	listener_reload(struct xmigd *d);
/* Write "addr:port, ..." of the bound listeners into buf. */
void	listener_describe(const struct xmigd *d, char *buf, size_t len);

/* resolve.c */
/*
 * Start a reverse lookup of "sa" in a helper thread.  Returns a socket
 * the name arrives on ("NAME\n", or "\n" when there is none) and the
 * thread closes after writing, or a negative errno (too many lookups,
 * no thread) with nothing started.  The caller closes it when done or
 * when it gives up: the thread notices and exits.
 */
int	resolve_start(struct xmigd *d, const struct sockaddr *sa,
	    socklen_t salen);

/* session.c */
/*
 * Take a freshly accepted connection: check hosts-allow on its address
 * (then, if needed, its name) and run the protocol.  Takes fd.
 */
void	session_accept(struct xmigd *d, int fd, const struct sockaddr *sa,
	    socklen_t salen);
/* Free a session, closing its connection; its reservation is dropped. */
void	session_free(struct session *s);
/* Close every session (shutdown). */
void	session_close_all(struct xmigd *d);

/* reserve.c */
void	reserve_init(struct reserve_table *t);
/*
 * Judge a request against the host and every reservation held: memory
 * (free memory minus what others hold), vcpus, name and uuid clashes,
 * max_incoming.  On success adds a reservation (RES_WAITING) to t and
 * returns 0 with *out set; otherwise a negative errno with a reason for
 * people in why and t unchanged: -EBUSY (max_incoming reached) and
 * -EAGAIN (the memory is free but held by other reservations) may pass
 * once reservations end; -ENOSPC (more than the host has free),
 * -EEXIST and -EINVAL will not.
 */
int	reserve_admit(struct reserve_table *t, const struct reserve_req *r,
	    const struct reserve_host *h, unsigned max_incoming,
	    struct reservation **out, char *why, size_t whylen);
/* Release a reservation (NULL allowed). */
void	reserve_release(struct reserve_table *t, struct reservation *r);
/* Find one by id; NULL if none. */
struct reservation *reserve_find(struct reserve_table *t, uint64_t id);
/* Bytes held by every reservation. */
uint64_t reserve_held(const struct reserve_table *t);
/*
 * Gather what the backend says about "r" into *h.  Returns 0, or a
 * negative errno with a reason in why.
 */
int	reserve_host_facts(struct backend *be, const struct reserve_req *r,
	    struct reserve_host *h, char *why, size_t whylen);
/*
 * After reserve_admit: finish the destroy of a dying NAME--incoming that
 * reserve_host_facts found (admitted, so no migration of NAME is under
 * way here).  0 when there was none or it is gone; else -errno with why.
 */
int	reserve_finish_dying(struct backend *be, const struct reservation *res,
	    const struct reserve_host *h, char *why, size_t whylen);
/* Drop every reservation (tests, shutdown). */
void	reserve_clear(struct reserve_table *t);

/* worker.c */
/*
 * Fork the worker for session s (state SESS_WAIT_STREAM, stream ready)
 * and create its job.  The session is freed either way; on failure the
 * reservation is released and the connection closed.
 */
void	worker_start(struct session *s);
/* Reap exited workers (SIGCHLD). */
void	worker_reap(struct xmigd *d);
/* Kill a job's worker with SIGKILL, recording why; 0 or -ESRCH. */
int	worker_kill(struct xmigd *d, uint64_t id, const char *why);
/* Kill every worker (end of the drain). */
void	worker_kill_all(struct xmigd *d, const char *why);
/*
 * At start-up: destroy every paused NAME--incoming domain (left by a run
 * that died before GO); warn about running ones.
 */
void	worker_sweep_stale(struct xmigd *d);
/* The name of a job phase. */
const char *worker_phase_name(int phase);
/* Bytes received on a job's connection so far (TCP_INFO), or 0. */
uint64_t worker_bytes(const struct job *j);

/* control.c */
enum control_cmd {
	CONTROL_STATUS = 0,
	CONTROL_CANCEL,
};

struct control_req {
	enum control_cmd cmd;
	uint64_t	 job;
};

#define CONTROL_REQ_MAX		4096
#define CONTROL_TIMEOUT_S	10
#define CONTROL_CLIENTS_MAX	16

/*
 * Parse one request line (without its newline).  Returns 0, or -EINVAL
 * with a reason in why.
 */
int	control_parse(const char *line, size_t len, struct control_req *req,
	    char *why, size_t whylen);
/*
 * The status object "xmig status" prints ({"ok":true,"version":...}), as
 * malloc()ed JSON text; NULL when out of memory.  The control socket
 * answers {"cmd":"status"} with it, the relocation port STATUS_QUERY.
 */
char	*control_status_text(struct xmigd *d);

/* Open the control socket at d->conf.control_socket.  0 or -errno. */
int	control_open(struct xmigd *d);
/* Close it and remove the socket file. */
void	control_close(struct xmigd *d);

/* notify.c */
/*
 * Send "state" (e.g. "READY=1\nSTATUS=...") to systemd's $NOTIFY_SOCKET.
 * Nothing when not started by systemd.  Returns 0 or -errno.
 */
int	notify_send(const char *state);
/* printf-style notify_send. */
int	notify_sendf(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

#endif /* XMIGD_H */
