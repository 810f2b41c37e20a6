/*
 * simxs_server.h - the simulated host's xenstore daemon: the store of
 * lib/simxs.h served on the unix socket SIMDIR/xenstored.sock with the
 * real xenstore wire protocol, so libxenstore (XENSTORED_PATH set to the
 * socket), Xen's xenstore-* tools and other clients work against it.
 *
 * Files in SIMDIR:
 *   xenstored.sock   the socket (mode 0660)
 *   xenstored.pid    the server's pid, decimal and a newline
 *   xenstored.lock   flock()ed by simxs_ensure_running() while starting
 *   xenstored.log    the daemon's stdout and stderr
 *
 * Connection identity: a client is domain 0 (privileged) unless its peer
 * process (SO_PEERCRED pid at accept) is a simulated guest, that is
 * SIMDIR/domains/<N>/guest.pid exists and holds that pid in decimal
 * (then a newline): then the connection is domain N, unprivileged, with
 * permissions enforced and relative paths under /local/domain/N.  Only
 * the process itself counts, not its children.
 *
 * The simulated hypervisor raises VIRQ_DOM_EXC (a domain shut down or
 * died) by sending SIGUSR1 to the pid in xenstored.pid: the server then
 * fires "@releaseDomain" to its watchers (several signals may coalesce
 * into one event).  SIGTERM or SIGINT stops it; it removes the socket and
 * the pid file before closing its connections.
 *
 * Bounds: at most SIMXS_SERVER_MAX_CONNS clients (more are accepted and
 * closed at once); a client's input buffer holds one message; a message
 * announcing a payload over 4096 bytes closes that client only; a client
 * that does not read its output stops being read from (and loses watch
 * events) past SIMXS_OUT_MAX queued bytes.
 */
#ifndef XMIG_SIMXS_SERVER_H
#define XMIG_SIMXS_SERVER_H

#include <stddef.h>

#define SIMXS_SERVER_MAX_CONNS	512
/* How long simxs_ensure_running() and simxs_stop() wait, in ms. */
#define SIMXS_SERVER_WAIT_MS	5000

/*
 * Path of the socket for simdir into buf[len].  Returns 0, or
 * -ENAMETOOLONG when it does not fit buf or a unix socket address.
 */
int	simxs_socket_path(const char *simdir, char *buf, size_t len);

/*
 * Serve the store on SIMDIR/xenstored.sock until SIGTERM or SIGINT, in
 * the calling process: it blocks SIGUSR1, SIGTERM and SIGINT for its own
 * signalfd (the mask is restored on return) and ignores SIGPIPE on its
 * sockets.  Once listening, with the pid file written, writes one byte
 * to ready_fd (if >= 0; not closed).  A stale socket nobody answers on
 * is replaced.  Returns 0 after a clean stop, -EADDRINUSE when a server
 * already answers there, or a negative errno when setting up failed
 * (logged); the socket and pid file are removed on every return after
 * they were made.
 */
int	simxs_serve(const char *simdir, int ready_fd);

/*
 * Make sure a server runs for simdir (an existing directory): returns 0
 * at once when the socket accepts a connection; otherwise, under an
 * flock on SIMDIR/xenstored.lock (so concurrent callers start one
 * server), starts a daemon (setsid, double fork, stdio to
 * SIMDIR/xenstored.log, other fds closed) running simxs_serve() and
 * waits up to SIMXS_SERVER_WAIT_MS for it to be ready.  Returns 0 or a
 * negative errno (-ETIMEDOUT, -EIO when the daemon died first; see the
 * log file).
 */
int	simxs_ensure_running(const char *simdir);

/*
 * Stop the server of simdir: SIGTERM to the pid in SIMDIR/xenstored.pid,
 * then wait (up to SIMXS_SERVER_WAIT_MS, through a pidfd) until the
 * process has exited (a zombie counts: the caller reaps its own
 * children).  Returns 0 (also when none was running), -ETIMEDOUT, or a
 * negative errno.
 */
int	simxs_stop(const char *simdir);

#endif /* XMIG_SIMXS_SERVER_H */
