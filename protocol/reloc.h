/*
 * reloc.h - the relocation protocol between xmig and xmigd.
 *
 * A short, versioned, length-framed exchange.  Every frame is an 8-byte
 * header, the type and the payload length as big-endian 32-bit numbers,
 * then the payload: a JSON object.  Each type has a maximum payload size,
 * checked before anything is read or allocated.
 *
 *   xmig (source)                         xmigd (destination)
 *   HELLO {version, software}      ->
 *                                  <-     HELLO {version, software, host}
 *                                         or DENY {reason}
 *   RESERVE {job, name, uuid, type,
 *            memkb, vcpus, config, disks} ->
 *                                  <-     ACCEPT {reservation, incoming}
 *                                         or DENY {reason, code}
 *   DISKS {} (RESERVE had disks)   ->     then the disks' bulk copy, raw
 *                                         vbd records (protocol/vbdstream.h)
 *                                         up to their END record
 *   STREAM {}                      ->     then the save stream, raw: the
 *                                         xl header and libxl stream v2,
 *                                         which ends with its END record
 *   DISKS {} (RESERVE had disks)   ->     then the blocks written since,
 *                                         vbd records up to END; the disks
 *                                         are flushed before RECEIVED
 *                                  <-     RECEIVED {domid}  ("received,
 *                                         ready to unpause") or FAILED
 *   GO {}  ("cleared to unpause")  ->     (or ABORT {reason})
 *                                  <-     REPORT {result, domid, name}
 *                                         or FAILED {reason}
 *   DONE {} (source copy destroyed) ->
 *
 *   QUERY {name, uuid}             ->     (xmig recover)
 *                                  <-     STATE {found, state, name}
 *
 * This file is pure: it builds and checks frames in memory, no I/O.
 */
#ifndef XMIG_PROTO_RELOC_H
#define XMIG_PROTO_RELOC_H

#include <stddef.h>
#include <stdint.h>

#define RELOC_VERSION		1
#define RELOC_HDR_LEN		8
/* Largest payload of any frame: RESERVE carries the domain config. */
#define RELOC_PAYLOAD_MAX	(1024 * 1024)
#define RELOC_NAME_MAX		64	/* domain names, with the NUL */
#define RELOC_TEXT_MAX		512	/* reasons, software, host names */
#define RELOC_CODE_MAX		32	/* DENY codes, with the NUL */
#define RELOC_DISKS_MAX		2048	/* RESERVE's "disks" text */

/*
 * The refusal code a DENY carries beside its reason (for people), so that
 * a source decides what to do without parsing messages.  Optional on the
 * wire: an xmigd older than the codes sends none (""), which a source
 * treats as a refusal that waiting does not cure; a code it does not know
 * is treated the same way, so later versions may add codes.
 */
#define RELOC_DENY_BUSY		"busy"	/* max-incoming reached, or memory
					 * held by reservations in flight:
					 * the same request may fit later */
#define RELOC_DENY_NO_MEMORY	"no-memory"	/* more than the host has
						 * free, with nothing held */
#define RELOC_DENY_EXISTS	"exists"	/* the name or uuid is here */
#define RELOC_DENY_INVALID	"invalid"	/* a request never accepted */
#define RELOC_DENY_NOT_ALLOWED	"not-allowed"	/* hosts-allow */
#define RELOC_DENY_VERSION	"version"	/* protocol version */
#define RELOC_DENY_PROTOCOL	"protocol"	/* a bad or unexpected frame */
#define RELOC_DENY_UNAVAILABLE	"unavailable"	/* stopping, no backend */
#define RELOC_DENY_STORAGE	"storage"	/* no storage-dir, no room
						 * for the disks, or an image
						 * of that name exists */

enum reloc_type {
	RELOC_HELLO = 1,
	RELOC_RESERVE = 2,
	RELOC_ACCEPT = 3,
	RELOC_DENY = 4,
	RELOC_STREAM = 5,
	RELOC_RECEIVED = 6,
	RELOC_GO = 7,
	RELOC_ABORT = 8,
	RELOC_REPORT = 9,
	RELOC_FAILED = 10,
	RELOC_DONE = 11,
	RELOC_QUERY = 12,
	RELOC_STATE = 13,
	RELOC_STATUS_QUERY = 14,
	RELOC_STATUS = 15,
	RELOC_DISKS = 16,
	RELOC_TYPE_MAX = RELOC_DISKS,
};

struct reloc_hdr {
	enum reloc_type	type;
	uint32_t	len;
};

/*
 * One decoded frame.  Which fields are meaningful depends on the type;
 * strings are NUL-terminated copies, "config" (RESERVE) and "status"
 * (STATUS) are malloc()ed and freed by reloc_msg_clear().
 */
struct reloc_msg {
	enum reloc_type	type;
	unsigned	version;		/* HELLO */
	char		software[RELOC_TEXT_MAX];	/* HELLO */
	char		host[RELOC_TEXT_MAX];	/* HELLO reply */
	char		job[RELOC_NAME_MAX];	/* RESERVE */
	char		name[RELOC_NAME_MAX];	/* RESERVE REPORT QUERY STATE */
	uint8_t		uuid[16];		/* RESERVE QUERY */
	int		has_uuid;
	char		domtype[8];		/* RESERVE: pv, pvh, hvm */
	uint64_t	memkb;			/* RESERVE */
	unsigned	vcpus;			/* RESERVE */
	char		*config;		/* RESERVE: JSON text or NULL */
	char		*disks;			/* RESERVE: disks to copy, as
						 * vbd_spec_parse() reads them,
						 * or NULL */
	uint64_t	reservation;		/* ACCEPT */
	char		incoming[RELOC_NAME_MAX];	/* ACCEPT */
	int64_t		domid;			/* RECEIVED REPORT, -1 none */
	char		result[32];		/* REPORT */
	char		reason[RELOC_TEXT_MAX];	/* DENY ABORT FAILED */
	char		code[RELOC_CODE_MAX];	/* DENY: RELOC_DENY_*, or "" */
	int		found;			/* STATE */
	char		state[32];		/* STATE */
	char		*status;		/* STATUS: JSON text or NULL */
};

/* The name of a frame type ("HELLO"), or "unknown". */
const char *reloc_type_name(uint32_t type);

/* Largest payload allowed for "type" (0 for an unknown type). */
uint32_t reloc_max_len(uint32_t type);

/* Write a header into buf. */
void	reloc_hdr_encode(uint8_t buf[RELOC_HDR_LEN], enum reloc_type type,
	    uint32_t len);

/*
 * Check and decode a header.  Returns 0, or -EPROTO with *why set (static
 * text) for an unknown type or a length over the type's maximum.
 */
int	reloc_hdr_decode(const uint8_t buf[RELOC_HDR_LEN],
	    struct reloc_hdr *h, const char **why);

/* Initialise *m for a frame of "type" (zeros, domid -1). */
void	reloc_msg_init(struct reloc_msg *m, enum reloc_type type);

/* Free what a decoded message owns; the struct can be reused. */
void	reloc_msg_clear(struct reloc_msg *m);

/*
 * Encode a whole frame (header and payload) for *m.  Returns a malloc()ed
 * buffer the caller frees and sets *len, or NULL with *why on failure
 * (a payload over the type's maximum, out of memory).
 */
uint8_t *reloc_encode(const struct reloc_msg *m, size_t *len,
	    const char **why);

/*
 * Decode the payload of a frame whose header was accepted by
 * reloc_hdr_decode().  Every field a type requires must be present with
 * the right JSON type and within its size; unknown fields are ignored so
 * later versions can add some.  Returns 0, or -EPROTO with a reason for
 * people in why (a buffer of whylen bytes); *m holds nothing to free on
 * failure.
 */
int	reloc_decode(const struct reloc_hdr *h, const uint8_t *payload,
	    struct reloc_msg *m, char *why, size_t whylen);

#endif /* XMIG_PROTO_RELOC_H */
