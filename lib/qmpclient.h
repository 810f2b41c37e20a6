/*
 * qmpclient.h - a QMP client for a device model's monitor socket: QEMU's
 * (the xen backend's HVM guests, /var/run/xen/qmp-libxl-DOMID) and the
 * simulated device model's alike, so the code that talks to a real
 * QEMU is the code the simulated host tests.  Blocking, one command at a
 * time, every wait bounded; events between answers are counted and
 * skipped.
 *
 * A QEMU monitor serves one client at a time: a second connection gets
 * no greeting until the first closes.  Callers hold the connection only
 * for the commands they send, and close it before anything else (libxl's
 * unpause and resume send "cont" themselves) may need the socket.
 */
#ifndef XMIG_QMPCLIENT_H
#define XMIG_QMPCLIENT_H

#include <stdint.h>

#include "qmp.h"

struct qmpclient;

/*
 * Connect to the monitor socket "path", read the greeting and negotiate
 * capabilities, all within timeout_ms.  *out is set on success (close it
 * with qmpclient_close()).  Returns 0, or a negative errno with a reason
 * in why: -ENOENT or -ECONNREFUSED (no device model listens there),
 * -ETIMEDOUT (no greeting: another client holds the monitor, or QEMU is
 * stuck), -EPIPE (it closed the connection), -EPROTO (it does not speak
 * QMP).
 */
int	qmpclient_open(struct qmpclient **out, const char *path,
	    int timeout_ms, char *why, size_t whylen);

/*
 * Run command "name" with "args" (a JSON object's text, or NULL) and wait
 * up to timeout_ms for its answer.  With "reply" not NULL the answer is
 * left there (qmp_msg_clear() it; its value is the command's return).
 * Returns 0, or a negative errno with a reason in why: -EREMOTEIO (the
 * device model refused: its error class and description in why),
 * -ETIMEDOUT, -EPIPE (the device model went away), -EBADMSG or
 * -EMSGSIZE (it sent what is not QMP), -EINVAL (a bad command name).
 * After a timeout or a protocol error the connection is unusable: close
 * it.
 */
int	qmpclient_execute(struct qmpclient *q, const char *name,
	    const char *args, int timeout_ms, struct qmp_msg *reply,
	    char *why, size_t whylen);

/* QEMU's version from the greeting (-1 when it gave none). */
void	qmpclient_version(const struct qmpclient *q, int *major,
	    int *minor);

/* Events skipped so far. */
unsigned qmpclient_events(const struct qmpclient *q);

/* Close the connection and free q; NULL allowed. */
void	qmpclient_close(struct qmpclient *q);

#endif /* XMIG_QMPCLIENT_H */
