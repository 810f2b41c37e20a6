/*
 * simxs_server.c - the simulated host's xenstore daemon: socket, poll
 * loop, per-client buffers, signals, pid file, start and stop.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "simxs.h"
#include "simxs_server.h"
#include "util.h"

struct srv_client {
	int			 fd;
	struct simxs_conn	*conn;
	uint8_t			 in[XS_MSG_MAX];
	size_t			 inlen;
};

struct srv {
	const char		*simdir;
	char			 sockpath[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char			 pidpath[PATH_MAX];
	struct simxs		*xs;
	int			 lfd;
	int			 sfd;
	struct srv_client	*cl[SIMXS_SERVER_MAX_CONNS];
	unsigned int		 ncl;
	bool			 stop;
};

int
simxs_socket_path(const char *simdir, char *buf, size_t len)
{
	size_t max = sizeof(((struct sockaddr_un *)0)->sun_path);
	int n;

	n = snprintf(buf, len, "%s/xenstored.sock", simdir);
	if (n < 0 || (size_t)n >= len || (size_t)n >= max)
		return -ENAMETOOLONG;
	return 0;
}

/* Connect to the socket: returns the fd or a negative errno. */
static int
srv_connect(const char *sockpath)
{
	struct sockaddr_un sa;
	int fd, rc;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (util_strlcpy(sa.sun_path, sockpath, sizeof(sa.sun_path)) != 0)
		return -ENAMETOOLONG;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

/* Read a decimal pid from a small file: the pid or a negative errno. */
static long
read_pid_file(const char *path)
{
	char buf[32];
	ssize_t n;
	long pid;
	char *end;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	n = util_read_full(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? n : -EINVAL;
	buf[n] = '\0';
	errno = 0;
	pid = strtol(buf, &end, 10);
	if (errno != 0 || end == buf || (*end != '\n' && *end != '\0') ||
	    pid <= 0 || pid > INT_MAX)
		return -EINVAL;
	return pid;
}

/*
 * The domain of a peer pid: N when SIMDIR/domains/N/guest.pid holds it,
 * else 0.
 */
static unsigned int
srv_peer_domid(const char *simdir, pid_t pid)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct dirent *de;
	unsigned int domid = 0;
	uint64_t v;
	DIR *d;

	if (snprintf(dir, sizeof(dir), "%s/domains", simdir) >=
	    (int)sizeof(dir) || (d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (util_parse_uint(de->d_name, 1, 0x7fef, &v) != 0)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s/guest.pid", dir,
		    de->d_name) >= (int)sizeof(path))
			continue;
		if (read_pid_file(path) == (long)pid) {
			domid = (unsigned int)v;
			break;
		}
	}
	closedir(d);
	return domid;
}

static void
srv_client_close(struct srv *s, unsigned int i)
{
	struct srv_client *c = s->cl[i];

	close(c->fd);
	simxs_conn_free(c->conn);
	free(c);
	s->cl[i] = s->cl[--s->ncl];
	s->cl[s->ncl] = NULL;
}

/* Accept one client; returns false when no more are waiting. */
static bool
srv_accept(struct srv *s)
{
	struct srv_client *c;
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	unsigned int domid = 0;
	int fd;

	fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn("simxs: accept");
		return false;
	}
	if (s->ncl >= SIMXS_SERVER_MAX_CONNS) {
		log_warnx("simxs: too many clients, one refused");
		close(fd);
		return true;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0)
		domid = srv_peer_domid(s->simdir, cred.pid);
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->conn = simxs_conn_new(s->xs, domid)) == NULL) {
		log_warnx("simxs: out of memory for a client");
		free(c);
		close(fd);
		return true;
	}
	c->fd = fd;
	s->cl[s->ncl++] = c;
	log_debug("simxs: client fd %d is dom%u", fd, domid);
	return true;
}

/*
 * Read what a client sent, handling each whole message.  Returns 0, or
 * -1 when the client must be closed (EOF, error, bad frame).
 */
static int
srv_client_read(struct srv_client *c)
{
	struct xs_msg_hdr hdr;
	size_t want;
	ssize_t n;
	int rc;

	while (simxs_conn_out_len(c->conn) < SIMXS_OUT_MAX) {
		want = XS_MSG_HDR_LEN;
		if (c->inlen >= XS_MSG_HDR_LEN) {
			if (xs_msg_decode_hdr(c->in, c->inlen, &hdr) != 0) {
				log_warnx("simxs: client sent a %u-byte "
				    "payload, closing it", hdr.len);
				return -1;
			}
			want += hdr.len;
		}
		if (c->inlen < want) {
			n = read(c->fd, c->in + c->inlen, want - c->inlen);
			if (n == 0)
				return -1;
			if (n < 0)
				return errno == EAGAIN || errno == EINTR ?
				    0 : -1;
			c->inlen += (size_t)n;
			continue;
		}
		rc = simxs_conn_request(c->conn, c->in, c->inlen);
		c->inlen = 0;
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* Write queued output; -1 when the client is gone. */
static int
srv_client_write(struct srv_client *c)
{
	const void *p;
	size_t len;
	ssize_t n;

	while ((p = simxs_conn_out_peek(c->conn, &len)) != NULL) {
		n = send(c->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		simxs_conn_out_consume(c->conn, (size_t)n);
	}
	return 0;
}

static void
srv_signal(struct srv *s)
{
	struct signalfd_siginfo si;
	bool release = false;

	while (read(s->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGUSR1)
			release = true;
		else
			s->stop = true;
	}
	if (release)
		simxs_fire_special(s->xs, "@releaseDomain");
}

/* One round of poll: accept, signals, reads, then every client's writes. */
static int
srv_poll_once(struct srv *s)
{
	struct pollfd pfd[SIMXS_SERVER_MAX_CONNS + 2];
	struct srv_client *order[SIMXS_SERVER_MAX_CONNS];
	unsigned int i, n = s->ncl;
	short rev;

	pfd[0] = (struct pollfd){ .fd = s->lfd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = s->sfd, .events = POLLIN };
	for (i = 0; i < n; i++) {
		order[i] = s->cl[i];
		pfd[i + 2].fd = s->cl[i]->fd;
		pfd[i + 2].events = POLLIN;
		if (simxs_conn_out_len(s->cl[i]->conn) >= SIMXS_OUT_MAX)
			pfd[i + 2].events = 0;
		if (simxs_conn_out_len(s->cl[i]->conn) > 0)
			pfd[i + 2].events |= POLLOUT;
		pfd[i + 2].revents = 0;
	}
	if (poll(pfd, n + 2, -1) < 0)
		return errno == EINTR ? 0 : -errno;
	if (pfd[1].revents & POLLIN)
		srv_signal(s);
	for (i = 0; i < n; i++) {
		rev = pfd[i + 2].revents;
		if ((rev & (POLLIN | POLLHUP | POLLERR)) &&
		    srv_client_read(order[i]) != 0)
			order[i]->inlen = SIZE_MAX;	/* mark: close */
	}
	/* Replies and events may be for anyone: flush them all. */
	for (i = 0; i < s->ncl;) {
		if (s->cl[i]->inlen == SIZE_MAX ||
		    srv_client_write(s->cl[i]) != 0)
			srv_client_close(s, i);
		else
			i++;
	}
	/* Drain the backlog, a bounded number at a time. */
	for (i = 0; (pfd[0].revents & POLLIN) && i < 64; i++)
		if (!srv_accept(s))
			break;
	return 0;
}

static int
srv_write_pidfile(const char *path)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	return util_write_atomic(path, buf, 0644);
}

static int
srv_listen(struct srv *s)
{
	struct sockaddr_un sa;
	int fd;

	fd = srv_connect(s->sockpath);
	if (fd >= 0) {
		close(fd);
		log_warnx("simxs: a server already answers on %s",
		    s->sockpath);
		return -EADDRINUSE;
	}
	unlink(s->sockpath);	/* stale: nobody answers */
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	util_strlcpy(sa.sun_path, s->sockpath, sizeof(sa.sun_path));
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&sa,
	    sizeof(sa)) != 0 || chmod(s->sockpath, 0660) != 0 ||
	    listen(s->lfd, 256) != 0) {
		log_warn("simxs: listen on %s", s->sockpath);
		return -errno;
	}
	return 0;
}

/* Remove our files, only if the pid file is still ours. */
static void
srv_cleanup_files(struct srv *s)
{
	if (read_pid_file(s->pidpath) == (long)getpid()) {
		unlink(s->sockpath);
		unlink(s->pidpath);
	}
}

int
simxs_serve(const char *simdir, int ready_fd)
{
	struct srv s;
	sigset_t set, oldset;
	int rc;

	memset(&s, 0, sizeof(s));
	s.simdir = simdir;
	s.lfd = s.sfd = -1;
	if ((rc = simxs_socket_path(simdir, s.sockpath,
	    sizeof(s.sockpath))) != 0 ||
	    snprintf(s.pidpath, sizeof(s.pidpath), "%s/xenstored.pid",
	    simdir) >= (int)sizeof(s.pidpath)) {
		log_warnx("simxs: directory name too long: %s", simdir);
		return -ENAMETOOLONG;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, &oldset) != 0)
		return -errno;
	if ((s.xs = simxs_new()) == NULL) {
		rc = -ENOMEM;
		goto fail_mask;
	}
	if ((s.sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
		rc = -errno;
		log_warn("simxs: signalfd");
		goto fail_store;
	}
	if ((rc = srv_listen(&s)) != 0)
		goto fail_store;
	if ((rc = srv_write_pidfile(s.pidpath)) != 0) {
		log_warnx("simxs: cannot write %s: %s", s.pidpath,
		    strerror(-rc));
		unlink(s.sockpath);
		goto fail_store;
	}
	log_info("simxs: serving xenstore on %s (pid %ld)", s.sockpath,
	    (long)getpid());
	if (ready_fd >= 0 && util_write_full(ready_fd, "R", 1) < 0)
		log_warnx("simxs: could not signal readiness");
	while (!s.stop && rc == 0)
		rc = srv_poll_once(&s);
	if (rc != 0)
		log_warnx("simxs: poll: %s", strerror(-rc));
	log_info("simxs: stopping");
	srv_cleanup_files(&s);
	while (s.ncl > 0)
		srv_client_close(&s, s.ncl - 1);
fail_store:
	if (s.lfd >= 0)
		close(s.lfd);
	if (s.sfd >= 0)
		close(s.sfd);
	simxs_free(s.xs);
fail_mask:
	sigprocmask(SIG_SETMASK, &oldset, NULL);
	return rc;
}

/* In the daemon: detach, log to the file, serve, never return. */
static void __attribute__((noreturn))
srv_daemon(const char *simdir, int ready_fd)
{
	char path[PATH_MAX];
	int fd;

	if (setsid() < 0)
		_exit(1);
	switch (fork()) {
	case -1:
		_exit(1);
	case 0:
		break;
	default:
		_exit(0);
	}
	snprintf(path, sizeof(path), "%s/xenstored.log", simdir);
	if ((fd = open("/dev/null", O_RDONLY)) >= 0) {
		dup2(fd, STDIN_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644)) >= 0) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	/* Keep only stdio and the ready pipe (moved to fd 3). */
	if (ready_fd != 3) {
		if (dup2(ready_fd, 3) < 0)
			_exit(1);
	}
	close_range(4, ~0U, 0);
	log_init("xmig-xenstored", 1, LOG_LVL_INFO);
	_exit(simxs_serve(simdir, 3) == 0 ? 0 : 1);
}

/* Wait for the ready byte: 0, -EIO (daemon died), -ETIMEDOUT. */
static int
srv_wait_ready(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t deadline = util_now_ms() + SIMXS_SERVER_WAIT_MS, now;
	char c;
	int n;

	for (;;) {
		now = util_now_ms();
		if (now >= deadline)
			return -ETIMEDOUT;
		n = poll(&pfd, 1, (int)(deadline - now));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ETIMEDOUT;
		n = (int)read(fd, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		return n == 1 ? 0 : -EIO;
	}
}

/* Fork the daemon and wait for it; called with the start lock held. */
static int
srv_start(const char *simdir)
{
	int pfd[2], rc, status;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) != 0)
		return -errno;
	if ((pid = fork()) < 0) {
		rc = -errno;
		close(pfd[0]);
		close(pfd[1]);
		return rc;
	}
	if (pid == 0) {
		close(pfd[0]);
		srv_daemon(simdir, pfd[1]);
	}
	close(pfd[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		continue;
	rc = srv_wait_ready(pfd[0]);
	close(pfd[0]);
	if (rc != 0)
		log_warnx("simxs: xenstore server for %s did not start (%s), "
		    "see %s/xenstored.log", simdir, strerror(-rc), simdir);
	return rc;
}

int
simxs_ensure_running(const char *simdir)
{
	char sock[PATH_MAX], lock[PATH_MAX];
	int fd, lfd, rc;

	if ((rc = simxs_socket_path(simdir, sock, sizeof(sock))) != 0) {
		log_warnx("simxs: directory name too long: %s", simdir);
		return rc;
	}
	if ((fd = srv_connect(sock)) >= 0) {
		close(fd);
		return 0;
	}
	snprintf(lock, sizeof(lock), "%s/xenstored.lock", simdir);
	if ((lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
		rc = -errno;
		log_warn("simxs: open %s", lock);
		return rc;
	}
	while (flock(lfd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			rc = -errno;
			log_warn("simxs: lock %s", lock);
			close(lfd);
			return rc;
		}
	}
	/* Someone else may have started it while we waited. */
	if ((fd = srv_connect(sock)) >= 0) {
		close(fd);
		rc = 0;
	} else
		rc = srv_start(simdir);
	close(lfd);
	return rc;
}

/* Wait until the process has exited (pidfd), or a bounded time. */
static int
srv_wait_exit(pid_t pid, uint64_t deadline)
{
	struct pollfd pfd;
	uint64_t now;
	int fd, n;

	if ((fd = (int)syscall(SYS_pidfd_open, pid, 0)) < 0)
		return errno == ESRCH ? 0 : -errno;
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	for (;;) {
		now = util_now_ms();
		n = now < deadline ? poll(&pfd, 1, (int)(deadline - now)) : 0;
		if (n < 0 && errno == EINTR)
			continue;
		break;
	}
	close(fd);
	return n == 1 ? 0 : -ETIMEDOUT;
}

int
simxs_stop(const char *simdir)
{
	char pidpath[PATH_MAX];
	long pid;
	int rc;

	if (snprintf(pidpath, sizeof(pidpath), "%s/xenstored.pid", simdir) >=
	    (int)sizeof(pidpath))
		return -ENAMETOOLONG;
	if ((pid = read_pid_file(pidpath)) < 0)
		return pid == -ENOENT ? 0 : (int)pid;
	if (kill((pid_t)pid, SIGTERM) != 0)
		return errno == ESRCH ? 0 : -errno;
	rc = srv_wait_exit((pid_t)pid, util_now_ms() + SIMXS_SERVER_WAIT_MS);
	if (rc != 0)
		log_warnx("simxs: server %ld did not stop: %s", pid,
		    strerror(-rc));
	return rc;
}
