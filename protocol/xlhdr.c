/*
 * xlhdr.c - the xl save-file header.
 */
#include <errno.h>
#include <string.h>

#include "cursor.h"
#include "xlhdr.h"

_Static_assert(sizeof(XLHDR_MAGIC) - 1 == XLHDR_MAGIC_LEN,
    "xl magic is 32 bytes");
_Static_assert(XLHDR_MAGIC_LEN + 4 * 4 == XLHDR_FIXED_SIZE,
    "xl header is 48 bytes");

#define WHAT	"xl header"

int
xlhdr_decode_fixed(const uint8_t *buf, size_t len, struct xlhdr *h,
    struct srerr *e)
{
	struct cursor c;
	const uint8_t *magic;
	uint32_t order;

	memset(h, 0, sizeof(*h));
	cursor_init(&c, buf, len);
	magic = cursor_take(&c, XLHDR_MAGIC_LEN);
	if (magic == NULL)
		return srerr_set(e, SRERR_TRUNCATED, len, WHAT,
		    "file too short for an xl header (%zu of %u bytes)", len,
		    XLHDR_FIXED_SIZE);
	if (memcmp(magic, XLHDR_MAGIC, XLHDR_MAGIC_LEN) != 0)
		return srerr_set(e, SRERR_MAGIC, 0, WHAT,
		    "bad magic: not an xl save file or migration stream");
	order = cursor_le32(&c);
	h->mandatory_flags = cursor_le32(&c);
	h->optional_flags = cursor_le32(&c);
	h->optional_data_len = cursor_le32(&c);
	if (!cursor_ok(&c))
		return srerr_set(e, SRERR_TRUNCATED, len, WHAT,
		    "file too short for an xl header (%zu of %u bytes)", len,
		    XLHDR_FIXED_SIZE);
	if (order == 0x04030201U)
		return srerr_set(e, SRERR_ENDIAN, 32, WHAT,
		    "big-endian save file; only little-endian (x86) is "
		    "supported");
	if (order != XLHDR_BYTEORDER)
		return srerr_set(e, SRERR_ENDIAN, 32, WHAT,
		    "byte-order marker is 0x%08x, expected 0x%08x", order,
		    XLHDR_BYTEORDER);
	if (h->mandatory_flags & ~XLHDR_MFLAG_ALL)
		return srerr_set(e, SRERR_FLAGS, 36, WHAT,
		    "unknown mandatory flag(s) 0x%x; written by a newer "
		    "toolstack", h->mandatory_flags & ~XLHDR_MFLAG_ALL);
	if (!(h->mandatory_flags & XLHDR_MFLAG_STREAMV2))
		return srerr_set(e, SRERR_VERSION, 36, WHAT,
		    "legacy (pre-v2) stream; convert it with Xen's "
		    "convert-legacy-stream first");
	if (h->optional_data_len > XLHDR_OPTDATA_MAX)
		return srerr_set(e, SRERR_TOO_BIG, 44, WHAT,
		    "optional data length %u over the maximum %u",
		    h->optional_data_len, XLHDR_OPTDATA_MAX);
	return 0;
}

int
xlhdr_decode_optdata(struct xlhdr *h, const uint8_t *opt, size_t len,
    uint64_t base, struct srerr *e)
{
	struct cursor c;
	uint32_t clen;
	const uint8_t *cfg;

	h->config = NULL;
	h->config_len = 0;
	h->extra_len = 0;
	if (len != h->optional_data_len)
		return srerr_set(e, SRERR_TRUNCATED, base + len, WHAT,
		    "optional data truncated: %zu of %u bytes", len,
		    h->optional_data_len);
	if (len == 0) {
		if (h->mandatory_flags & XLHDR_MFLAG_JSON)
			return srerr_set(e, SRERR_MISSING, base, WHAT,
			    "JSON flag set but there is no configuration");
		return 0;
	}
	cursor_init(&c, opt, len);
	clen = cursor_le32(&c);
	if (!cursor_ok(&c))
		return srerr_set(e, SRERR_LENGTH, base, WHAT,
		    "optional data of %zu bytes is too short for the config "
		    "length", len);
	if ((cfg = cursor_take(&c, clen)) == NULL)
		return srerr_set(e, SRERR_LENGTH, base, WHAT,
		    "config length %u exceeds the %zu bytes of optional data "
		    "left", clen, len - 4);
	h->extra_len = (uint32_t)cursor_left(&c);
	if (clen == 0) {
		if (h->mandatory_flags & XLHDR_MFLAG_JSON)
			return srerr_set(e, SRERR_MISSING, base, WHAT,
			    "JSON flag set but the configuration is empty");
		return 0;
	}
	if (h->mandatory_flags & XLHDR_MFLAG_JSON) {
		if (cfg[clen - 1] != '\0')
			return srerr_set(e, SRERR_CONFIG, base + 4 + clen - 1,
			    WHAT, "JSON configuration is not NUL-terminated");
		if (memchr(cfg, '\0', clen - 1) != NULL)
			return srerr_set(e, SRERR_CONFIG, base + 4 +
			    (uint64_t)((const uint8_t *)memchr(cfg, '\0',
			    clen - 1) - cfg), WHAT,
			    "JSON configuration contains a NUL byte");
	}
	h->config = cfg;
	h->config_len = clen;
	return 0;
}

size_t
xlhdr_encoded_size(size_t config_len)
{
	return XLHDR_FIXED_SIZE + 4 + config_len;
}

int
xlhdr_encode(uint8_t *out, size_t cap, uint32_t optional_flags,
    const void *config, size_t config_len)
{
	uint32_t mflags = XLHDR_MFLAG_STREAMV2;
	size_t need;

	if (config == NULL)
		config_len = 0;
	if (config_len > XLHDR_OPTDATA_MAX - 4)
		return -EINVAL;
	need = xlhdr_encoded_size(config_len);
	if (cap < need)
		return -ENOSPC;
	if (config_len > 0)
		mflags |= XLHDR_MFLAG_JSON;
	memcpy(out, XLHDR_MAGIC, XLHDR_MAGIC_LEN);
	store_le32(out + 32, XLHDR_BYTEORDER);
	store_le32(out + 36, mflags);
	store_le32(out + 40, optional_flags);
	store_le32(out + 44, (uint32_t)(4 + config_len));
	store_le32(out + 48, (uint32_t)config_len);
	if (config_len > 0)
		memcpy(out + 52, config, config_len);
	return (int)need;
}
