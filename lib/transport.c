/*
 * transport.c - TCP connect with a timeout over every address, TLS
 * contexts with mutual certificate checks, and the TLS pump.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_TLS
#include <openssl/err.h>
#include <openssl/ssl.h>
#endif

#include "log.h"
#include "transport.h"
#include "util.h"

#define TRANSPORT_PUMP_BUF	(64 * 1024)

#ifdef HAVE_TLS
/* Log the first queued OpenSSL error after "what". */
static void
transport_ssl_err(const char *what)
{
	char buf[256];
	unsigned long e = ERR_get_error();

	if (e != 0)
		ERR_error_string_n(e, buf, sizeof(buf));
	else
		util_strlcpy(buf, "unknown error", sizeof(buf));
	log_warnx("%s: %s", what, buf);
	ERR_clear_error();
}

int
transport_tls_ctx(const struct transport_tls *t, int server, void **out)
{
	SSL_CTX *ctx;

	ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (ctx == NULL) {
		transport_ssl_err("TLS context");
		return -ENOMEM;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/*
	 * No automatic retry: the pump thread reads with SSL_read() on a
	 * blocking socket after poll() said it was readable.  With retry,
	 * a record that carries no data (a TLS 1.3 session ticket) makes
	 * SSL_read() block for data that cannot come, because the same
	 * thread must first forward the request the peer is waiting for.
	 * Without it, SSL_read() returns SSL_ERROR_WANT_READ and the pump
	 * polls again.
	 */
	SSL_CTX_clear_mode(ctx, SSL_MODE_AUTO_RETRY);
	if (SSL_CTX_use_certificate_chain_file(ctx, t->cert) != 1) {
		transport_ssl_err(t->cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, t->key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		transport_ssl_err(t->key);
		goto fail;
	}
	if (SSL_CTX_load_verify_locations(ctx, t->ca, NULL) != 1) {
		transport_ssl_err(t->ca);
		goto fail;
	}
	/* Both ends prove who they are. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
	    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	*out = ctx;
	return 0;
fail:
	SSL_CTX_free(ctx);
	return -EINVAL;
}

void
transport_tls_ctx_free(void *ctx)
{
	SSL_CTX_free(ctx);
}
#else
int
transport_tls_ctx(const struct transport_tls *t, int server, void **out)
{
	(void)t;
	(void)server;
	*out = NULL;
	log_warnx("this build has no TLS support");
	return -ENOTSUP;
}

void
transport_tls_ctx_free(void *ctx)
{
	(void)ctx;
}
#endif

/* Connect one address with a timeout.  The fd (blocking) or -errno. */
static int
transport_connect_one(const struct addrinfo *ai, int timeout_ms)
{
	struct pollfd pfd;
	socklen_t len = sizeof(int);
	int fd, err = 0, n, on = 1;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, ai->ai_protocol);
	if (fd < 0)
		return -errno;
	/*
	 * Bulk data goes in large writes; the small frames around it
	 * (the stream's end, the commit handshake) must not wait for the
	 * peer's delayed acknowledgement (40 ms) while the guest is down.
	 */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		if (errno != EINPROGRESS) {
			err = -errno;
			goto fail;
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		do {
			n = poll(&pfd, 1, timeout_ms);
		} while (n < 0 && errno == EINTR);
		if (n == 0) {
			err = -ETIMEDOUT;
			goto fail;
		}
		if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err,
		    &len) != 0) {
			err = -errno;
			goto fail;
		}
		if (err != 0) {
			err = -err;
			goto fail;
		}
	}
	util_set_nonblock(fd, 0);
	return fd;
fail:
	close(fd);
	return err;
}

/* Plain TCP to host:port.  The fd or -errno (logged). */
static int
transport_tcp(const char *host, unsigned port, int timeout_ms)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
	    .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res, *ai;
	char serv[16];
	int rc, fd = -EHOSTUNREACH;

	snprintf(serv, sizeof(serv), "%u", port);
	if ((rc = getaddrinfo(host, serv, &hints, &res)) != 0) {
		log_warnx("%s: %s", host, gai_strerror(rc));
		return -EHOSTUNREACH;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = transport_connect_one(ai, timeout_ms)) >= 0)
			break;
	}
	freeaddrinfo(res);
	if (fd < 0)
		log_warnx("cannot connect to %s port %u: %s", host, port,
		    strerror(-fd));
	return fd;
}

#ifdef HAVE_TLS
struct transport_pump {
	SSL	*ssl;
	int	 net;
	int	 plain;
};

/* Net to plain: 1 to go on, 0 when the network side ended. */
static int
transport_pump_in(struct transport_pump *p, char *buf)
{
	int n = SSL_read(p->ssl, buf, TRANSPORT_PUMP_BUF);

	if (n > 0)
		return util_write_full(p->plain, buf, (size_t)n) == n ? 1 : 0;
	if (SSL_get_error(p->ssl, n) == SSL_ERROR_WANT_READ)
		return 1;
	shutdown(p->plain, SHUT_WR);
	return 0;
}

/* Plain to net: 1 to go on, 0 when the flow closed its end. */
static int
transport_pump_out(struct transport_pump *p, char *buf)
{
	ssize_t n = read(p->plain, buf, TRANSPORT_PUMP_BUF);

	if (n < 0 && errno == EINTR)
		return 1;
	if (n <= 0) {
		(void)SSL_shutdown(p->ssl);	/* close_notify */
		return 0;
	}
	if (SSL_write(p->ssl, buf, (int)n) != n) {
		ERR_clear_error();
		shutdown(p->plain, SHUT_RDWR);
		return 0;
	}
	return 1;
}

static void *
transport_pump_thread(void *arg)
{
	struct transport_pump *p = arg;
	struct pollfd pfd[2];
	int net_open = 1, n;
	char *buf;

	if ((buf = malloc(TRANSPORT_PUMP_BUF)) == NULL) {
		shutdown(p->plain, SHUT_RDWR);
		goto out;
	}
	for (;;) {
		if (net_open && SSL_pending(p->ssl) > 0) {
			net_open = transport_pump_in(p, buf);
			continue;
		}
		pfd[0].fd = net_open ? p->net : -1;
		pfd[0].events = POLLIN;
		pfd[1].fd = p->plain;
		pfd[1].events = POLLIN;
		if ((n = poll(pfd, 2, -1)) < 0 && errno != EINTR)
			break;
		if (n <= 0)
			continue;
		if (pfd[0].revents != 0)
			net_open = transport_pump_in(p, buf);
		if (pfd[1].revents != 0 && !transport_pump_out(p, buf))
			break;
	}
out:
	free(buf);
	close(p->plain);
	free(p);
	return NULL;
}

int
transport_pump_start(void *ssl, int netfd, struct transport_conn *conn)
{
	struct transport_pump *p;
	int sv[2], rc;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return -ENOMEM;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		rc = -errno;
		free(p);
		return rc;
	}
	util_set_nonblock(netfd, 0);
	p->ssl = ssl;
	p->net = netfd;
	p->plain = sv[1];
	conn->fd = sv[0];
	conn->netfd = netfd;
	conn->ssl = ssl;
	if ((rc = pthread_create(&conn->pump, NULL, transport_pump_thread,
	    p)) != 0) {
		close(sv[0]);
		close(sv[1]);
		free(p);
		conn->fd = conn->netfd = -1;
		conn->ssl = NULL;
		return -rc;
	}
	conn->pumping = 1;
	return 0;
}

/* Client handshake on fd; the SSL * or NULL (logged). */
static SSL *
transport_handshake(SSL_CTX *ctx, int fd, const char *host)
{
	SSL *ssl;

	if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1) {
		transport_ssl_err("TLS");
		SSL_free(ssl);
		return NULL;
	}
	if (SSL_connect(ssl) != 1) {
		char what[300];

		snprintf(what, sizeof(what), "TLS handshake with %s failed",
		    host);
		transport_ssl_err(what);
		SSL_free(ssl);
		return NULL;
	}
	return ssl;
}
#else
int
transport_pump_start(void *ssl, int netfd, struct transport_conn *conn)
{
	(void)ssl;
	(void)netfd;
	(void)conn;
	return -ENOTSUP;
}
#endif

int
transport_connect(const char *host, unsigned port,
    const struct transport_tls *tls, int timeout_ms,
    struct transport_conn *conn)
{
	int fd, rc = 0;

	memset(conn, 0, sizeof(*conn));
	conn->fd = conn->netfd = -1;
	if ((fd = transport_tcp(host, port, timeout_ms)) < 0)
		return fd;
	if (tls == NULL || !tls->on) {
		conn->fd = fd;
		return 0;
	}
#ifdef HAVE_TLS
	{
		struct timeval tv = { timeout_ms / 1000,
		    (timeout_ms % 1000) * 1000 };
		SSL *ssl;

		if ((rc = transport_tls_ctx(tls, 0, &conn->ctx)) != 0)
			goto fail;
		/* The handshake may not hang forever either. */
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if ((ssl = transport_handshake(conn->ctx, fd, host)) == NULL) {
			rc = -EPROTO;
			goto fail;
		}
		tv.tv_sec = tv.tv_usec = 0;
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if ((rc = transport_pump_start(ssl, fd, conn)) != 0) {
			SSL_free(ssl);
			goto fail;
		}
		return 0;
	}
fail:
	transport_tls_ctx_free(conn->ctx);
	conn->ctx = NULL;
#else
	rc = -ENOTSUP;
	log_warnx("this build has no TLS support");
#endif
	close(fd);
	return rc;
}

void
transport_close(struct transport_conn *conn)
{
	if (conn->fd >= 0)
		close(conn->fd);
	conn->fd = -1;
#ifdef HAVE_TLS
	if (conn->pumping)
		pthread_join(conn->pump, NULL);
	conn->pumping = 0;
	SSL_free(conn->ssl);
	conn->ssl = NULL;
	transport_tls_ctx_free(conn->ctx);
	conn->ctx = NULL;
#endif
	if (conn->netfd >= 0)
		close(conn->netfd);
	conn->netfd = -1;
}
