/*
 * libxl_stream.c - libxl migration stream v2 header and records.
 */
#include <string.h>

#include "cursor.h"
#include "libxc_stream.h"
#include "libxl_stream.h"

_Static_assert(LIBXL_HDR_SIZE == 8 + 4 + 4, "libxl header");

static const char *const rec_names[LIBXL_REC_NR] = {
	[LIBXL_REC_END] = "END",
	[LIBXL_REC_LIBXC_CONTEXT] = "LIBXC_CONTEXT",
	[LIBXL_REC_EMULATOR_XENSTORE_DATA] = "EMULATOR_XENSTORE_DATA",
	[LIBXL_REC_EMULATOR_CONTEXT] = "EMULATOR_CONTEXT",
	[LIBXL_REC_CHECKPOINT_END] = "CHECKPOINT_END",
	[LIBXL_REC_CHECKPOINT_STATE] = "CHECKPOINT_STATE",
};

static const char *const rec_whats[LIBXL_REC_NR] = {
	[LIBXL_REC_END] = "libxl END record",
	[LIBXL_REC_LIBXC_CONTEXT] = "LIBXC_CONTEXT record",
	[LIBXL_REC_EMULATOR_XENSTORE_DATA] = "EMULATOR_XENSTORE_DATA record",
	[LIBXL_REC_EMULATOR_CONTEXT] = "EMULATOR_CONTEXT record",
	[LIBXL_REC_CHECKPOINT_END] = "CHECKPOINT_END record",
	[LIBXL_REC_CHECKPOINT_STATE] = "CHECKPOINT_STATE record",
};

static const char *
rec_what(uint32_t type)
{
	return type < LIBXL_REC_NR ? rec_whats[type] : "libxl record";
}

const char *
libxl_rec_name(uint32_t type)
{
	return type < LIBXL_REC_NR ? rec_names[type] : "unknown";
}

const char *
libxl_emu_name(uint32_t id)
{
	switch (id) {
	case LIBXL_EMU_UNKNOWN:
		return "unknown";
	case LIBXL_EMU_QEMU_TRADITIONAL:
		return "qemu-traditional";
	case LIBXL_EMU_QEMU_UPSTREAM:
		return "qemu-upstream";
	default:
		return "invalid";
	}
}

void
libxl_state_init(struct libxl_state *s)
{
	memset(s, 0, sizeof(*s));
}

int
libxl_hdr_decode(const uint8_t *buf, size_t len, uint64_t off,
    struct libxl_hdr *h, struct srerr *e)
{
	static const char what[] = "libxl header";
	struct cursor c;
	uint64_t ident;

	cursor_init(&c, buf, len);
	ident = cursor_be64(&c);
	h->version = cursor_be32(&c);
	h->options = cursor_be32(&c);
	if (!cursor_ok(&c))
		return srerr_set(e, SRERR_TRUNCATED, off + len, what,
		    "truncated: %zu of %u bytes", len, LIBXL_HDR_SIZE);
	if (ident != LIBXL_IDENT)
		return srerr_set(e, SRERR_MAGIC, off, what,
		    "bad ident 0x%016llx, expected \"LibxlFmt\"",
		    (unsigned long long)ident);
	if (h->version != LIBXL_VERSION)
		return srerr_set(e, SRERR_VERSION, off + 8, what,
		    "version %u not supported (2)", h->version);
	if (h->options & LIBXL_OPT_BIG_ENDIAN)
		return srerr_set(e, SRERR_ENDIAN, off + 12, what,
		    "big-endian stream; only little-endian is supported");
	if (h->options & ~(LIBXL_OPT_BIG_ENDIAN | LIBXL_OPT_LEGACY))
		return srerr_set(e, SRERR_RESERVED, off + 12, what,
		    "reserved option bits 0x%08x set",
		    h->options & ~(LIBXL_OPT_BIG_ENDIAN | LIBXL_OPT_LEGACY));
	return 0;
}

int
libxl_rhdr_check(const struct libxl_state *s, uint32_t type,
    uint32_t length, uint64_t off, struct srerr *e)
{
	if (s->ended)
		return srerr_set(e, SRERR_ORDER, off, rec_what(type),
		    "comes after the libxl END record");
	if (type >= LIBXL_REC_NR)
		return srerr_set(e, SRERR_TYPE, off, "libxl record",
		    "unknown record type 0x%08x", type);
	if (length > LIBXL_REC_MAX)
		return srerr_set(e, SRERR_TOO_BIG, off + 4, rec_what(type),
		    "length %u over the maximum %u", length, LIBXL_REC_MAX);
	return 0;
}

/* Emulator records: an 8-byte id/index header, then the payload. */
static int
decode_emu(const struct libxl_state *s, struct libxl_rec *r,
    struct srerr *e)
{
	const char *what = rec_what(r->type);

	if (s->dom_type != 0 && s->dom_type != LIBXC_DOM_X86_HVM)
		return srerr_set(e, SRERR_TYPE, r->offset, what,
		    "emulator record in an %s stream",
		    libxc_dom_type_name(s->dom_type));
	if (r->length < LIBXL_EMU_HDR_SIZE)
		return srerr_set(e, SRERR_LENGTH, r->offset + 4, what,
		    "length %u too short for the 8-byte emulator header",
		    r->length);
	r->emu_id = load_le32(r->body);
	r->emu_index = load_le32(r->body + 4);
	if (r->emu_id > LIBXL_EMU_QEMU_UPSTREAM)
		return srerr_set(e, SRERR_VALUE, r->offset + 8, what,
		    "unknown emulator id 0x%x", r->emu_id);
	r->emu_data = r->body + LIBXL_EMU_HDR_SIZE;
	r->emu_len = r->length - LIBXL_EMU_HDR_SIZE;
	return 0;
}

/* Xenstore data: "key\0value\0" pairs; the whole ends with a NUL. */
static int
decode_xenstore(struct libxl_rec *r, struct srerr *e)
{
	const char *what = rec_what(r->type);
	uint64_t doff = r->offset + 8 + LIBXL_EMU_HDR_SIZE;
	uint32_t i, strings = 0;

	if (r->emu_len == 0)
		return 0;
	if (r->emu_data[r->emu_len - 1] != '\0')
		return srerr_set(e, SRERR_VALUE, doff + r->emu_len - 1, what,
		    "xenstore data not NUL-terminated");
	for (i = 0; i < r->emu_len; i++)
		if (r->emu_data[i] == '\0')
			strings++;
	if (strings % 2 != 0)
		return srerr_set(e, SRERR_VALUE, doff, what,
		    "xenstore data has %u strings, expected key/value pairs",
		    strings);
	r->xs_pairs = strings / 2;
	return 0;
}

int
libxl_rec_decode(struct libxl_state *s, struct libxl_rec *r,
    struct srerr *e)
{
	const char *what;
	int rc;

	r->emu_id = r->emu_index = r->emu_len = r->xs_pairs = 0;
	r->emu_data = NULL;
	if ((rc = libxl_rhdr_check(s, r->type, r->length, r->offset, e)) != 0)
		return rc;
	what = rec_what(r->type);
	switch (r->type) {
	case LIBXL_REC_END:
	case LIBXL_REC_LIBXC_CONTEXT:
	case LIBXL_REC_CHECKPOINT_END:
		if (r->length != 0)
			return srerr_set(e, SRERR_LENGTH, r->offset + 4, what,
			    "length %u, expected 0", r->length);
		break;
	default:
		break;
	}
	switch (r->type) {
	case LIBXL_REC_END:
		if (s->seen[LIBXL_REC_LIBXC_CONTEXT] == 0)
			return srerr_set(e, SRERR_MISSING, r->offset, what,
			    "stream ended without a LIBXC_CONTEXT record");
		s->ended = 1;
		break;
	case LIBXL_REC_LIBXC_CONTEXT:
		if (s->seen[LIBXL_REC_LIBXC_CONTEXT] != 0)
			return srerr_set(e, SRERR_DUPLICATE, r->offset, what,
			    "second LIBXC_CONTEXT record");
		break;
	case LIBXL_REC_EMULATOR_XENSTORE_DATA:
		if ((rc = decode_emu(s, r, e)) != 0)
			return rc;
		if ((rc = decode_xenstore(r, e)) != 0)
			return rc;
		break;
	case LIBXL_REC_EMULATOR_CONTEXT:
		if ((rc = decode_emu(s, r, e)) != 0)
			return rc;
		break;
	case LIBXL_REC_CHECKPOINT_END:
	case LIBXL_REC_CHECKPOINT_STATE:
		return srerr_set(e, SRERR_TYPE, r->offset, what,
		    "checkpoint record in a non-checkpointed stream");
	default:
		break;
	}
	s->seen[r->type]++;
	return 0;
}

void
libxl_hdr_encode(uint8_t *out, uint32_t options)
{
	store_be64(out, LIBXL_IDENT);
	store_be32(out + 8, LIBXL_VERSION);
	store_be32(out + 12, options);
}

void
libxl_emu_hdr_encode(uint8_t *out, uint32_t id, uint32_t index)
{
	store_le32(out, id);
	store_le32(out + 4, index);
}
