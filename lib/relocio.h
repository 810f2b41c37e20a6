/*
 * relocio.h - blocking send and receive of relocation protocol frames
 * (protocol/reloc.h) on a file descriptor, with a timeout on every wait.
 * Used by the source flow in xmig and by xmigd's workers; the daemon's
 * event loop decodes frames itself from its buffers.
 */
#ifndef XMIG_RELOCIO_H
#define XMIG_RELOCIO_H

#include <stdint.h>

#include <stddef.h>
#include <sys/types.h>

#include "reloc.h"

/*
 * Encode and send *m on fd, waiting at most timeout_ms for the socket to
 * take it.  Returns 0, or a negative errno (-ETIMEDOUT, -EPIPE, ...)
 * after logging what could not be sent.
 */
int	relocio_send(int fd, const struct reloc_msg *m, int timeout_ms);

/*
 * Receive one frame into *m (reloc_msg_clear() it after use), waiting at
 * most timeout_ms for each part.  Returns 0, -ETIMEDOUT, -ECONNRESET when
 * the peer closed, or -EPROTO for a malformed frame (logged with the
 * reason).  Nothing is allocated beyond the frame's checked length.
 */
int	relocio_recv(int fd, struct reloc_msg *m, int timeout_ms);

/*
 * Like relocio_recv(), and -EPROTO unless the frame is of type "want".
 * A DENY or FAILED frame instead is returned as -ECONNREFUSED (DENY) or
 * -ECANCELED (FAILED) with its reason left in m->reason.
 */
int	relocio_expect(int fd, enum reloc_type want, struct reloc_msg *m,
	    int timeout_ms);

/*
 * Say HELLO as this xmig and read the daemon's.  0 with its HELLO in *m;
 * -EPROTONOSUPPORT when it answers in another protocol version
 * (m->version says which; not logged); otherwise as
 * relocio_expect() (a DENY: -ECONNREFUSED with the reason in m->reason).
 */
int	relocio_hello(int fd, struct reloc_msg *m, int timeout_ms);
/*
 * The same, offering the framed stream (HELLO frames and compress) with
 * the codecs in "offer" ("lz4 zstd", "" none); NULL offers nothing, as
 * relocio_hello().
 */
int	relocio_hello_offer(int fd, struct reloc_msg *m, const char *offer,
	    int timeout_ms);

/*
 * Read or write exactly len bytes with a timeout for each wait (poll).
 * relocio_read_full() returns -ECONNRESET on end of file.  0 on success.
 */
int	relocio_read_full(int fd, void *buf, size_t len, int timeout_ms);
int	relocio_write_full(int fd, const void *buf, size_t len,
	    int timeout_ms);
/* The same for n pieces, IOV_MAX at most per system call. */
#define RELOCIO_IOV_MAX	1024
struct iovec;
int	relocio_writev_full(int fd, const struct iovec *iov, unsigned int n,
	    int timeout_ms);
/*
 * Send len bytes of the file infd from offset off to fd, without copying
 * them through user space (sendfile).  Over a socket the bytes are read
 * from the file's pages when the kernel transmits them, not when this
 * returns.  0, -ECONNRESET if the file ends first, or -errno.
 */
int	relocio_sendfile_full(int fd, int infd, uint64_t off, uint64_t len,
	    int timeout_ms);
/*
 * Move len bytes from in to out through the pipe "pipefd" with splice(),
 * never through user space: out at *out_off (advanced) if out_off is not
 * NULL, else at its position.  Each wait for input is bounded by
 * timeout_ms (-1: none).  0, -ECONNRESET if the input ends first,
 * -EOPNOTSUPP if the input cannot be spliced (nothing moved: copy
 * instead), or -errno.
 */
#define RELOCIO_SPLICE_CHUNK	(1U << 20)
int	relocio_splice_full(int in, int out, int64_t *out_off, uint64_t len,
	    const int pipefd[2], int timeout_ms);
/*
 * The pipe for relocio_splice_full, RELOCIO_SPLICE_CHUNK deep where the
 * system allows; both ends -1 if none could be made (copy instead).
 * relocio_pipe_close() closes it (if open) and sets both ends to -1.
 */
void	relocio_pipe_open(int pipefd[2]);
void	relocio_pipe_close(int pipefd[2]);

/*
 * A socket pair between two threads of a stream (the framed stream's
 * encoder and decoder): its buffers as large as the host allows, up to
 * RELOCIO_PAIR_BUF, so that the two sides hand over a few frames at a
 * time instead of waking each other every 200 KiB.  Returns 0 or -errno.
 */
#define RELOCIO_PAIR_BUF	(4U << 20)
int	relocio_stream_pair(int sv[2]);
/* Wait until fd is ready for "events" (poll); 0, -ETIMEDOUT or -errno. */
int	relocio_wait(int fd, short events, int timeout_ms);

#endif /* XMIG_RELOCIO_H */
