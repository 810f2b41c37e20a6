/*
 * streamio.c - the xl and libxl framing around the libxc stream.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "log.h"
#include "qevm.h"
#include "relocio.h"
#include "streamio.h"

int
streamio_write_prefix(int fd, const char *config, int timeout_ms)
{
	size_t clen = config != NULL ? strlen(config) + 1 : 0;
	size_t hlen = xlhdr_encoded_size(clen);
	size_t len = hlen + LIBXL_HDR_SIZE + LIBXL_RHDR_SIZE;
	uint8_t *buf;
	int n, rc;

	if ((buf = calloc(1, len)) == NULL)
		return -ENOMEM;
	n = xlhdr_encode(buf, hlen, 0, config, clen);
	if (n < 0) {
		log_warnx("cannot encode the save header: %s", strerror(-n));
		free(buf);
		return n;
	}
	libxl_hdr_encode(buf + n, 0);
	store_le32(buf + n + LIBXL_HDR_SIZE, LIBXL_REC_LIBXC_CONTEXT);
	store_le32(buf + n + LIBXL_HDR_SIZE + 4, 0);
	rc = relocio_write_full(fd, buf, (size_t)n + LIBXL_HDR_SIZE +
	    LIBXL_RHDR_SIZE, timeout_ms);
	free(buf);
	if (rc != 0)
		log_warnx("writing the stream header: %s", strerror(-rc));
	return rc;
}

int
streamio_write_suffix(int fd, const struct emu_recs *emu, int timeout_ms)
{
	uint8_t h[LIBXL_RHDR_SIZE + LIBXL_EMU_HDR_SIZE], pad[8] = { 0 };
	const struct emu_rec *r;
	size_t body;
	unsigned i;
	int rc = 0;

	for (i = 0; emu != NULL && i < emu->n && rc == 0; i++) {
		r = &emu->rec[i];
		body = LIBXL_EMU_HDR_SIZE + r->len;
		if (body > LIBXL_REC_MAX) {
			log_warnx("the device model's state is too large for "
			    "the stream (%zu bytes)", r->len);
			return -EFBIG;
		}
		store_le32(h, r->type);
		store_le32(h + 4, (uint32_t)body);
		libxl_emu_hdr_encode(h + LIBXL_RHDR_SIZE, r->emulator,
		    r->index);
		rc = relocio_write_full(fd, h, sizeof(h), timeout_ms);
		if (rc == 0 && r->len > 0)
			rc = relocio_write_full(fd, r->data, r->len,
			    timeout_ms);
		if (rc == 0 && (body & 7) != 0)
			rc = relocio_write_full(fd, pad, 8 - (body & 7),
			    timeout_ms);
	}
	if (rc == 0) {
		store_le32(h, LIBXL_REC_END);
		store_le32(h + 4, 0);
		rc = relocio_write_full(fd, h, LIBXL_RHDR_SIZE, timeout_ms);
	}
	if (rc != 0)
		log_warnx("writing the stream end: %s", strerror(-rc));
	return rc;
}

/* Read exactly len bytes, accounting the offset; errors go to e. */
static int
streamio_read(struct streamio_in *in, void *buf, size_t len,
    const char *what, struct srerr *e)
{
	int rc = relocio_read_full(in->fd, buf, len, in->timeout_ms);

	if (rc == -ECONNRESET)
		return srerr_set(e, SRERR_TRUNCATED, in->offset, what,
		    "the input ended after %llu bytes",
		    (unsigned long long)in->offset);
	if (rc != 0)
		return srerr_set_errno(e, SRERR_IO, rc, in->offset, what,
		    "read failed: %s", rc == -ETIMEDOUT ? "timed out" :
		    strerror(-rc));
	in->offset += len;
	return 0;
}

/*
 * Read len bytes into a buffer grown as they arrive (a megabyte at a
 * time), so that a peer that announces a large record and sends nothing
 * does not make us reserve it.  *out is NULL on error.
 */
static int
streamio_read_alloc(struct streamio_in *in, size_t len, const char *what,
    uint8_t **out, struct srerr *e)
{
	const size_t step = (size_t)1 << 20;
	uint8_t *buf = NULL, *nb;
	size_t have = 0, cap = 0, n;
	uint64_t off = in->offset;
	int rc;

	*out = NULL;
	while (have < len) {
		n = len - have < step ? len - have : step;
		if (have + n > cap) {
			cap = cap == 0 ? n : cap * 2;
			if (cap > len)
				cap = len;
			if ((nb = realloc(buf, cap)) == NULL) {
				free(buf);
				return srerr_set(e, SRERR_NOMEM, off, what,
				    "out of memory");
			}
			buf = nb;
		}
		if ((rc = streamio_read(in, buf + have, n, what, e)) != 0) {
			free(buf);
			return rc;
		}
		have += n;
	}
	*out = buf;
	return 0;
}

/* Read one libxl record: header checked before the body is allocated. */
static int
streamio_read_record(struct streamio_in *in, struct libxl_rec *r,
    uint8_t **body, struct srerr *e)
{
	uint8_t h[LIBXL_RHDR_SIZE];
	uint64_t off = in->offset;
	size_t padded;
	int rc;

	*body = NULL;
	if ((rc = streamio_read(in, h, sizeof(h), "libxl record", e)) != 0)
		return rc;
	memset(r, 0, sizeof(*r));
	r->type = load_le32(h);
	r->length = load_le32(h + 4);
	r->offset = off;
	if ((rc = libxl_rhdr_check(&in->lx, r->type, r->length, off, e)) != 0)
		return rc;
	padded = ((size_t)r->length + 7) & ~(size_t)7;
	if (padded > 0) {
		rc = streamio_read_alloc(in, padded, libxl_rec_name(r->type),
		    body, e);
		if (rc != 0)
			return rc;
		if (!bytes_zero(*body + r->length, padded - r->length))
			return srerr_set(e, SRERR_PADDING, off + 8 + r->length,
			    libxl_rec_name(r->type), "padding is not zero");
	}
	r->body = *body;
	return libxl_rec_decode(&in->lx, r, e);
}

/* Read the xl header and its optional data; keep the config. */
static int
streamio_read_xlhdr(struct streamio_in *in, struct srerr *e)
{
	uint8_t fixed[XLHDR_FIXED_SIZE], *opt = NULL;
	int rc;

	if ((rc = streamio_read(in, fixed, sizeof(fixed), "xl header", e)))
		return rc;
	if ((rc = xlhdr_decode_fixed(fixed, sizeof(fixed), &in->xl, e)) != 0)
		return rc;
	if (in->xl.optional_data_len == 0)
		return 0;
	/* Bounded by XLHDR_OPTDATA_MAX in xlhdr_decode_fixed(). */
	rc = streamio_read_alloc(in, in->xl.optional_data_len,
	    "xl optional data", &opt, e);
	if (rc == 0)
		rc = xlhdr_decode_optdata(&in->xl, opt,
		    in->xl.optional_data_len, XLHDR_FIXED_SIZE, e);
	if (rc == 0 && in->xl.config != NULL &&
	    (in->xl.mandatory_flags & XLHDR_MFLAG_JSON)) {
		in->config = strndup((const char *)in->xl.config,
		    in->xl.config_len);
		if (in->config == NULL)
			rc = srerr_set(e, SRERR_NOMEM, 0, "xl header",
			    "out of memory");
	}
	in->xl.config = NULL;	/* it pointed into opt */
	free(opt);
	return rc;
}

int
streamio_read_prefix(struct streamio_in *in, int fd, int timeout_ms,
    struct srerr *e)
{
	uint8_t h[LIBXL_HDR_SIZE], *body;
	struct libxl_hdr lh;
	struct libxl_rec r;
	int rc;

	memset(in, 0, sizeof(*in));
	in->fd = fd;
	in->timeout_ms = timeout_ms;
	libxl_state_init(&in->lx);
	if ((rc = streamio_read_xlhdr(in, e)) != 0)
		return rc;
	if ((rc = streamio_read(in, h, sizeof(h), "libxl header", e)) != 0)
		return rc;
	if ((rc = libxl_hdr_decode(h, sizeof(h), in->offset - sizeof(h), &lh,
	    e)) != 0)
		return rc;
	for (;;) {
		rc = streamio_read_record(in, &r, &body, e);
		free(body);
		if (rc != 0)
			return rc;
		if (r.type == LIBXL_REC_LIBXC_CONTEXT)
			return 0;
		if (r.type == LIBXL_REC_END)
			return srerr_set(e, SRERR_MISSING, r.offset,
			    "libxl stream", "END before any LIBXC_CONTEXT");
	}
}

/*
 * An emulator record is kept once per (type, emulator, index), all of
 * them together within one record's limit, and an EMULATOR_CONTEXT of
 * QEMU must hold a device-state file.
 */
static int
streamio_check_emu(const struct libxl_rec *r, const struct emu_recs *emu,
    struct srerr *e)
{
	struct qevm_info qi;
	uint64_t total = r->emu_len;
	unsigned i;

	for (i = 0; emu != NULL && i < emu->n; i++) {
		if (emu->rec[i].type == r->type &&
		    emu->rec[i].emulator == r->emu_id &&
		    emu->rec[i].index == r->emu_index)
			return srerr_set(e, SRERR_DUPLICATE, r->offset,
			    libxl_rec_name(r->type), "a second record for "
			    "emulator %u index %u", r->emu_id, r->emu_index);
		total += emu->rec[i].len;
	}
	if (total > LIBXL_REC_MAX)
		return srerr_set(e, SRERR_TOO_BIG, r->offset,
		    libxl_rec_name(r->type), "the emulator records add up "
		    "to more than %u bytes", LIBXL_REC_MAX);
	if (r->type != LIBXL_REC_EMULATOR_CONTEXT ||
	    r->emu_id != LIBXL_EMU_QEMU_UPSTREAM)
		return 0;
	return qevm_check(r->emu_data, r->emu_len,
	    r->offset + LIBXL_RHDR_SIZE + LIBXL_EMU_HDR_SIZE, &qi, e);
}

int
streamio_read_suffix(struct streamio_in *in, struct emu_recs *emu,
    struct srerr *e)
{
	struct libxl_rec r;
	uint8_t *body;
	int rc;

	for (;;) {
		rc = streamio_read_record(in, &r, &body, e);
		if (rc == 0 && r.type != LIBXL_REC_END &&
		    (r.type == LIBXL_REC_EMULATOR_CONTEXT ||
		    r.type == LIBXL_REC_EMULATOR_XENSTORE_DATA)) {
			in->emulator_records++;
			if ((rc = streamio_check_emu(&r, emu, e)) == 0 &&
			    emu != NULL && emu_recs_add(emu, r.type,
			    r.emu_id, r.emu_index, r.emu_data,
			    r.emu_len) != 0)
				rc = srerr_set(e, SRERR_NOMEM, r.offset,
				    libxl_rec_name(r.type), "too many "
				    "emulator records, or out of memory");
		}
		free(body);
		if (rc != 0)
			return rc;
		if (r.type == LIBXL_REC_END)
			return 0;
	}
}

static int
streamio_tail_read(void *data, struct emu_recs *emu)
{
	struct streamio_tail *t = data;
	char buf[300];

	if (t->done)
		return t->rc;
	t->done = 1;
	t->rc = streamio_read_suffix(t->in, emu, &t->e);
	if (t->rc != 0)
		log_warnx("the end of the stream is defective: %s",
		    srerr_format(&t->e, buf, sizeof(buf)));
	return t->rc;
}

void
streamio_tail_init(struct streamio_tail *t, struct streamio_in *in,
    struct restore_params *rp)
{
	memset(t, 0, sizeof(*t));
	srerr_clear(&t->e);
	t->in = in;
	if (rp->type != DOM_TYPE_PV)
		in->lx.dom_type = 2;	/* libxc's x86 HVM: PVH and HVM */
	rp->read_tail = streamio_tail_read;
	rp->tail_data = t;
}

int
streamio_tail_finish(struct streamio_tail *t, struct emu_recs *emu)
{
	return streamio_tail_read(t, emu);
}

void
streamio_in_clear(struct streamio_in *in)
{
	free(in->config);
	in->config = NULL;
}
