/*
 * pace.h - a bandwidth cap for streams written by code we do not control
 * (libxenguest's xc_domain_save writes to a file descriptor): a pipe whose
 * other end a thread copies to the real output, no faster than the cap.
 */
#ifndef XMIG_PACE_H
#define XMIG_PACE_H

#include <stddef.h>
#include <stdint.h>

/* The cap's clock: bytes written since start_ns. */
struct pace {
	uint64_t	rate;		/* bytes/s, 0 = no cap */
	uint64_t	start_ns;
	uint64_t	written;
};

/* Start counting now at "rate" bytes per second (0: no cap). */
void	pace_init(struct pace *p, uint64_t rate);

/* Sleep until len more bytes may leave at the cap, and count them. */
void	pace_wait(struct pace *p, size_t len);

struct pace_relay;

/*
 * Start a thread that copies what is written to *wfd (the write end of a
 * new pipe) to "out" at no more than "rate" bytes per second, each write
 * to out waiting at most timeout_ms.  Returns 0 or -errno.  Should out
 * fail, the thread closes the pipe's read end: writers of *wfd get EPIPE
 * (SIGPIPE must be ignored).
 */
int	pace_relay_start(int out, uint64_t rate, int timeout_ms,
	    struct pace_relay **rp, int *wfd);

/*
 * Close the write end, wait until the thread has written everything to
 * out and free it.  Returns 0, or the -errno that stopped the copy.
 */
int	pace_relay_finish(struct pace_relay *r);

#endif /* XMIG_PACE_H */
