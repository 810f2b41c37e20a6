/*
 * xlhdr.h - the xl save-file header (Xen's tools/xl/xl.h).
 *
 * Layout, 48 bytes then the optional data:
 *   char     magic[32]          "Xen saved domain, xl format\n \0 \r"
 *   uint32_t byteorder          0x01020304 in the domain's byte order
 *   uint32_t mandatory_flags    unknown bits: refuse the file
 *   uint32_t optional_flags     unknown bits: ignored (as xl does)
 *   uint32_t optional_data_len
 *   optional data: uint32_t config_len, then config_len bytes of domain
 *   configuration (JSON with its NUL when XLHDR_MFLAG_JSON is set); any
 *   bytes after it are skipped, as xl does.
 * Everything is little-endian: xmig reads and writes x86 streams only.
 */
#ifndef XMIG_XLHDR_H
#define XMIG_XLHDR_H

#include <stddef.h>
#include <stdint.h>

#include "srerr.h"

#define XLHDR_MAGIC		"Xen saved domain, xl format\n \0 \r"
#define XLHDR_MAGIC_LEN		32
#define XLHDR_FIXED_SIZE	48
#define XLHDR_BYTEORDER		0x01020304U

#define XLHDR_MFLAG_JSON	(1U << 0)	/* config is libxl JSON */
#define XLHDR_MFLAG_STREAMV2	(1U << 1)	/* a libxl v2 stream follows */
#define XLHDR_MFLAG_ALL		(XLHDR_MFLAG_JSON | XLHDR_MFLAG_STREAMV2)

/* A domain's JSON config is a few KiB; refuse anything absurd. */
#define XLHDR_OPTDATA_MAX	(16U << 20)

struct xlhdr {
	uint32_t	 mandatory_flags;
	uint32_t	 optional_flags;
	uint32_t	 optional_data_len;
	/* Filled by xlhdr_decode_optdata(); borrowed from its buffer. */
	const uint8_t	*config;	/* NULL when the file has none */
	uint32_t	 config_len;	/* bytes, including JSON's NUL */
	uint32_t	 extra_len;	/* optional data after the config */
};

/*
 * Decode the 48-byte fixed part from buf (len bytes, at file offset 0).
 * Checks the magic, the byte-order marker, unknown mandatory flags, that
 * the stream is v2 and optional_data_len against XLHDR_OPTDATA_MAX.
 * Returns 0 and fills h (config fields zeroed), or a negative errno with
 * the defect in e.
 */
int	xlhdr_decode_fixed(const uint8_t *buf, size_t len, struct xlhdr *h,
	    struct srerr *e);

/*
 * Decode the optional data (exactly h->optional_data_len bytes at opt,
 * which starts at file offset "base").  Sets h->config to a view into opt
 * (valid while opt is) and checks a JSON config is NUL-terminated with no
 * NUL inside.  Returns 0 or a negative errno with the defect in e.
 */
int	xlhdr_decode_optdata(struct xlhdr *h, const uint8_t *opt, size_t len,
	    uint64_t base, struct srerr *e);

/* Bytes xlhdr_encode() writes for a config of config_len bytes. */
size_t	xlhdr_encoded_size(size_t config_len);

/*
 * Write a header as xl does: STREAMV2, plus JSON when a config is given;
 * config is config_len bytes (for JSON include the NUL) or NULL/0 for
 * none.  Writes xlhdr_encoded_size(config_len) bytes into out (cap bytes).
 * Returns the number of bytes written, or -ENOSPC / -EINVAL (config over
 * the maximum).
 */
int	xlhdr_encode(uint8_t *out, size_t cap, uint32_t optional_flags,
	    const void *config, size_t config_len);

#endif /* XMIG_XLHDR_H */
