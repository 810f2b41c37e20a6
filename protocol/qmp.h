/*
 * qmp.h - QEMU's machine protocol (QMP) messages, as a Xen device model
 * speaks them on its monitor socket (/var/run/xen/qmp-libxl-DOMID), and
 * as the simulated device model answers them.  Pure functions over
 * buffers: the client and the server around them are in lib/.
 *
 * Each message is one JSON object on a line (QEMU ends its lines with
 * "\r\n").  The server greets with {"QMP": {"version": ..., "capabilities":
 * [...]}}; the client must then send "qmp_capabilities" before any other
 * command.  A command is {"execute": NAME, "arguments": {...}, "id": N};
 * its answer {"return": VALUE, "id": N} or {"error": {"class": C, "desc":
 * D}, "id": N}; events {"event": NAME, "data": {...}, "timestamp": {...}}
 * come between answers at any time.
 */
#ifndef XMIG_QMP_H
#define XMIG_QMP_H

#include <stddef.h>
#include <stdint.h>

#include <yajl/yajl_tree.h>

#define QMP_LINE_MAX	(64 * 1024)	/* longest message accepted */
#define QMP_NAME_MAX	64		/* command, event, error class */
#define QMP_DESC_MAX	256

enum qmp_kind {
	QMP_GREETING = 1,
	QMP_RETURN,
	QMP_ERROR,
	QMP_EVENT,
	QMP_COMMAND,		/* what a server reads */
};

/* A decoded message; tree and the views into it belong to it. */
struct qmp_msg {
	enum qmp_kind	 kind;
	yajl_val	 tree;
	int64_t		 id;		/* -1: none or not a number */
	char		 name[QMP_NAME_MAX];	/* command, event, class */
	char		 desc[QMP_DESC_MAX];	/* QMP_ERROR's */
	yajl_val	 value;		/* "return", "arguments", "data",
					 * the greeting's "QMP"; may be NULL */
	int		 qemu_major;	/* QMP_GREETING's version; -1 */
	int		 qemu_minor;
};

/*
 * Decode one line (len bytes, without its line end; need not be
 * NUL-terminated).  Returns 0 with *m filled (qmp_msg_clear() it), or
 * -EMSGSIZE (over QMP_LINE_MAX), -EBADMSG (not a JSON object, or none of
 * the kinds above, or a member of the wrong type), with a one-line
 * reason in err.
 */
int	qmp_decode(const char *line, size_t len, struct qmp_msg *m, char *err,
	    size_t errlen);

/* Free what qmp_decode() allocated; m may be cleared twice. */
void	qmp_msg_clear(struct qmp_msg *m);

/*
 * Encode a command into buf (buflen bytes): {"execute": name, "arguments":
 * args, "id": id} and "\r\n"; "args" is a JSON object's text or NULL (no
 * arguments).  Returns the length, or -ENOSPC, or -EINVAL for a name that
 * is not a plain identifier.
 */
int	qmp_encode_command(char *buf, size_t buflen, const char *name,
	    const char *args, int64_t id);

/*
 * Encode a server's messages the same way: the greeting (QEMU version
 * major.minor.micro), a "return" (value: JSON text, NULL for {}), an
 * "error" (class, desc: plain text, escaped here), an event (data: JSON
 * text or NULL).  id < 0 leaves "id" out.  Return the length, or -ENOSPC
 * (or -EINVAL for an event name that is not a plain identifier).
 */
int	qmp_encode_greeting(char *buf, size_t buflen, int major, int minor,
	    int micro);
int	qmp_encode_return(char *buf, size_t buflen, const char *value,
	    int64_t id);
int	qmp_encode_error(char *buf, size_t buflen, const char *cls,
	    const char *desc, int64_t id);
int	qmp_encode_event(char *buf, size_t buflen, const char *name,
	    const char *data);

#endif /* XMIG_QMP_H */
