/*
 * xs_msg.h - the xenstore wire protocol (Xen's io/xs_wire.h): message
 * headers, payload strings, error names.  Pure functions over buffers, no
 * I/O; used by the simulated host's xenstore server and its tests.
 *
 * A message is a 16-byte header (type, req_id, tx_id, len as native
 * uint32_t, as on Xen's unix socket) followed by len <= 4096 bytes of
 * payload, usually NUL-terminated strings.
 */
#ifndef XMIG_XS_MSG_H
#define XMIG_XS_MSG_H

#include <stddef.h>
#include <stdint.h>

#define XS_MSG_HDR_LEN		16
#define XS_MSG_PAYLOAD_MAX	4096	/* XENSTORE_PAYLOAD_MAX */
#define XS_MSG_ABS_PATH_MAX	3072	/* XENSTORE_ABS_PATH_MAX */
#define XS_MSG_REL_PATH_MAX	2048	/* XENSTORE_REL_PATH_MAX */
#define XS_MSG_MAX		(XS_MSG_HDR_LEN + XS_MSG_PAYLOAD_MAX)

/* Request and reply types, the values of enum xsd_sockmsg_type. */
enum xs_msg_type {
	XS_MSG_CONTROL = 0,
	XS_MSG_DIRECTORY = 1,
	XS_MSG_READ = 2,
	XS_MSG_GET_PERMS = 3,
	XS_MSG_WATCH = 4,
	XS_MSG_UNWATCH = 5,
	XS_MSG_TRANSACTION_START = 6,
	XS_MSG_TRANSACTION_END = 7,
	XS_MSG_INTRODUCE = 8,
	XS_MSG_RELEASE = 9,
	XS_MSG_GET_DOMAIN_PATH = 10,
	XS_MSG_WRITE = 11,
	XS_MSG_MKDIR = 12,
	XS_MSG_RM = 13,
	XS_MSG_SET_PERMS = 14,
	XS_MSG_WATCH_EVENT = 15,
	XS_MSG_ERROR = 16,
	XS_MSG_IS_DOMAIN_INTRODUCED = 17,
	XS_MSG_RESUME = 18,
	XS_MSG_SET_TARGET = 19,
	/* 20 was XS_RESTRICT, removed from Xen */
	XS_MSG_RESET_WATCHES = 21,
	XS_MSG_DIRECTORY_PART = 22,
	XS_MSG_TYPE_COUNT = 23,
};

struct xs_msg_hdr {
	uint32_t	type;
	uint32_t	req_id;
	uint32_t	tx_id;
	uint32_t	len;
};

/* At most this many strings are split out of one payload. */
#define XS_MSG_MAX_ARGS		8

/*
 * A payload split into NUL-terminated strings.  The pointers borrow the
 * payload passed to xs_msg_split(), which must outlive this.  "rest" is
 * what follows the last NUL (bytes that are not a terminated string).
 */
struct xs_msg_args {
	unsigned int	 count;		/* terminated strings in the payload */
	const char	*arg[XS_MSG_MAX_ARGS];	/* the first ones */
	size_t		 arglen[XS_MSG_MAX_ARGS];	/* strlen of each */
	const uint8_t	*rest;
	size_t		 restlen;
};

/*
 * Decode a header from the first "len" bytes of "buf".  Returns 0 and
 * fills *hdr; -EAGAIN when fewer than XS_MSG_HDR_LEN bytes are there;
 * -EMSGSIZE when the payload length exceeds XS_MSG_PAYLOAD_MAX (*hdr is
 * filled all the same, so the caller may log it).
 */
int	xs_msg_decode_hdr(const void *buf, size_t len, struct xs_msg_hdr *hdr);

/* Encode hdr into the XS_MSG_HDR_LEN bytes at "out". */
void	xs_msg_encode_hdr(const struct xs_msg_hdr *hdr, void *out);

/*
 * Split "len" bytes of payload into strings.  Always succeeds: counts
 * every terminated string, keeps pointers to the first XS_MSG_MAX_ARGS.
 * Callers check args->count and args->restlen against what their request
 * needs.
 */
void	xs_msg_split(const void *payload, size_t len, struct xs_msg_args *args);

/*
 * Is the payload exactly one NUL-terminated string (Xen's onearg())?
 * Returns it, or NULL.
 */
const char *xs_msg_onearg(const void *payload, size_t len);

/*
 * Build a whole message (header + payload) into out[cap].  Returns the
 * message length, -EMSGSIZE when len > XS_MSG_PAYLOAD_MAX, -ENOBUFS when
 * it does not fit in cap.
 */
int	xs_msg_build(void *out, size_t cap, uint32_t type, uint32_t req_id,
	    uint32_t tx_id, const void *payload, size_t len);

/*
 * The errno name xenstored sends for err ("ENOENT", ...), from the
 * xsd_errors table; an errno not in the table is sent as "EINVAL", as
 * xenstored does.  Returns a static string.
 */
const char *xs_msg_errstr(int err);

/*
 * The errno for an error name as libxenstore reads it (not NUL-terminated
 * necessarily: "len" bytes); an unknown name gives EINVAL.
 */
int	xs_msg_errno(const char *name, size_t len);

/* The request type's name ("READ"), or NULL for an unknown type. */
const char *xs_msg_type_name(uint32_t type);

#endif /* XMIG_XS_MSG_H */
