/*
 * libxl_stream.h - the libxl migration stream v2 (Xen's
 * docs/specs/libxl-migration-stream.pandoc) as libxl 4.17 writes it.
 *
 * Layout: header (16 bytes, big-endian: "LibxlFmt", version 2, options),
 * then records framed like libxc's (type, length, body, zero padding to
 * 8).  A LIBXC_CONTEXT record has an empty body and is followed inline by
 * a complete libxc stream (libxc_stream.h), after which libxl records
 * resume.  libxl writes: header, LIBXC_CONTEXT + libxc stream, for HVM
 * EMULATOR_XENSTORE_DATA (if any) and EMULATOR_CONTEXT, then END.
 */
#ifndef XMIG_LIBXL_STREAM_H
#define XMIG_LIBXL_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "srerr.h"

#define LIBXL_HDR_SIZE		16
#define LIBXL_RHDR_SIZE		8
#define LIBXL_IDENT		0x4c6962786c466d74ULL	/* "LibxlFmt" */
#define LIBXL_VERSION		2
#define LIBXL_OPT_BIG_ENDIAN	(1U << 0)
#define LIBXL_OPT_LEGACY	(1U << 1)	/* converted legacy stream */
#define LIBXL_REC_MAX		(128U << 20)
#define LIBXL_EMU_HDR_SIZE	8

enum libxl_rec_type {
	LIBXL_REC_END = 0,
	LIBXL_REC_LIBXC_CONTEXT = 1,
	LIBXL_REC_EMULATOR_XENSTORE_DATA = 2,
	LIBXL_REC_EMULATOR_CONTEXT = 3,
	LIBXL_REC_CHECKPOINT_END = 4,
	LIBXL_REC_CHECKPOINT_STATE = 5,
	LIBXL_REC_NR = 6,
};

enum libxl_emulator {
	LIBXL_EMU_UNKNOWN = 0,
	LIBXL_EMU_QEMU_TRADITIONAL = 1,
	LIBXL_EMU_QEMU_UPSTREAM = 2,
};

struct libxl_hdr {
	uint32_t	version;
	uint32_t	options;
};

/* A decoded libxl record; views point into the body. */
struct libxl_rec {
	uint32_t	 type;
	uint32_t	 length;
	const uint8_t	*body;		/* borrowed */
	uint64_t	 offset;	/* of the record header */
	/* EMULATOR_XENSTORE_DATA and EMULATOR_CONTEXT: */
	uint32_t	 emu_id;
	uint32_t	 emu_index;
	const uint8_t	*emu_data;	/* after the 8-byte emulator header */
	uint32_t	 emu_len;
	uint32_t	 xs_pairs;	/* EMULATOR_XENSTORE_DATA key/values */
};

struct libxl_state {
	uint32_t	seen[LIBXL_REC_NR];
	uint32_t	dom_type;	/* libxc domain type once known; 0 */
	int		ended;
};

/* Reset s. */
void	libxl_state_init(struct libxl_state *s);

/* "END", "LIBXC_CONTEXT", ... or "unknown". */
const char *libxl_rec_name(uint32_t type);

/* "unknown", "qemu-traditional", "qemu-upstream" or "invalid". */
const char *libxl_emu_name(uint32_t id);

/*
 * Decode and check the stream header (LIBXL_HDR_SIZE bytes at buf, found
 * at input offset off).  Returns 0 or a negative errno with e filled.
 */
int	libxl_hdr_decode(const uint8_t *buf, size_t len, uint64_t off,
	    struct libxl_hdr *h, struct srerr *e);

/*
 * Check a record header before reading the body: known type, length
 * within LIBXL_REC_MAX, nothing after END.  Returns 0 or a negative errno.
 */
int	libxl_rhdr_check(const struct libxl_state *s, uint32_t type,
	    uint32_t length, uint64_t off, struct srerr *e);

/*
 * Check a record body and decode it (the caller fills r->type, length,
 * body, offset).  Enforces: empty END/LIBXC_CONTEXT, exactly one
 * LIBXC_CONTEXT, emulator records only for HVM, well-formed xenstore data
 * (NUL-terminated key/value pairs), no checkpoint records in a plain
 * stream, and at END that the libxc stream came.  Updates s.
 */
int	libxl_rec_decode(struct libxl_state *s, struct libxl_rec *r,
	    struct srerr *e);

/* Encoders: header (LIBXL_HDR_SIZE bytes), emulator header (8 bytes). */
void	libxl_hdr_encode(uint8_t *out, uint32_t options);
void	libxl_emu_hdr_encode(uint8_t *out, uint32_t id, uint32_t index);

#endif /* XMIG_LIBXL_STREAM_H */
