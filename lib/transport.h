/*
 * transport.h - relocation connections: TCP with a connect timeout over
 * every address of a host, optionally TLS with both ends authenticated
 * by certificates signed by one CA.
 *
 * The migration flows (lib/migrate.h) only read and write a plain file
 * descriptor.  Under TLS a "pump" thread moves bytes between the SSL
 * connection and one end of a socketpair; the flow gets the other end.
 * The pump ends when both directions have seen end of file; closing the
 * plain end sends TLS close_notify.
 */
#ifndef XMIG_TRANSPORT_H
#define XMIG_TRANSPORT_H

#include <pthread.h>

struct transport_tls {
	int		 on;
	const char	*cert;		/* this end's certificate (PEM) */
	const char	*key;		/* its private key (PEM) */
	const char	*ca;		/* the CA both ends trust (PEM) */
};

struct transport_conn {
	int		 fd;		/* what the flow reads and writes */
	int		 netfd;		/* the TCP socket (TLS only, else -1) */
	void		*ssl;		/* SSL *, or NULL */
	void		*ctx;		/* SSL_CTX * we own, or NULL */
	pthread_t	 pump;
	int		 pumping;
};

/*
 * Build an SSL_CTX (returned as void * in *ctx, free with
 * transport_tls_ctx_free()) for a server (server != 0) or a client:
 * TLS 1.2 or later, this end's certificate and key, and the peer must
 * present a certificate that verifies against the CA.  Returns 0, -ENOTSUP
 * in a build without TLS, or -EINVAL after logging which file is bad.
 */
int	transport_tls_ctx(const struct transport_tls *t, int server,
	    void **ctx);
/* Free a context from transport_tls_ctx(); NULL allowed. */
void	transport_tls_ctx_free(void *ctx);

/*
 * Connect to host:port, trying every address getaddrinfo() gives, each
 * with timeout_ms; then, with tls->on, run the TLS handshake (the server
 * certificate must verify against tls->ca) and start the pump.  On
 * success conn->fd is ready for the flow; transport_close() it.  Returns
 * 0 or a negative errno after logging (-ETIMEDOUT, -ECONNREFUSED,
 * -EPROTO for a TLS failure); *conn is then closed.
 */
int	transport_connect(const char *host, unsigned port,
	    const struct transport_tls *tls, int timeout_ms,
	    struct transport_conn *conn);

/*
 * Start a pump for an established SSL connection "ssl" (SSL *) on
 * "netfd", which it takes over (made blocking).  conn->fd is set to the
 * plain end.  Returns 0 or a negative errno with nothing started (ssl and
 * netfd then still belong to the caller).
 */
int	transport_pump_start(void *ssl, int netfd, struct transport_conn *conn);

/*
 * Close a connection: the plain end, then wait for the pump to finish
 * (it sends close_notify), then free the SSL objects and the socket.
 */
void	transport_close(struct transport_conn *conn);

#endif /* XMIG_TRANSPORT_H */
