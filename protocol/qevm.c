/*
 * qevm.c - checks of QEMU's device-state file (see qevm.h).
 */
#include "config.h"

#include <string.h>

#include "cursor.h"
#include "qevm.h"

#define WHAT	"device model state"

/* An idstr or machine name: printable ASCII, as QEMU's all are. */
static int
qevm_name_ok(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return 0;
	return n > 0;
}

/* The configuration record after the type byte: be32 n, name[n]. */
static int
qevm_configuration(struct cursor *c, uint64_t base, struct qevm_info *info,
    struct srerr *e)
{
	uint64_t off = base + c->pos;
	const uint8_t *name;
	uint32_t n;

	n = cursor_be32(c);
	if (!cursor_ok(c))
		return srerr_set(e, SRERR_TRUNCATED, off, WHAT,
		    "the configuration record is cut short");
	if (n == 0 || n > QEVM_IDSTR_MAX)
		return srerr_set(e, SRERR_LENGTH, off, WHAT,
		    "machine name of %u bytes (1 to %u)", n, QEVM_IDSTR_MAX);
	if ((name = cursor_take(c, n)) == NULL)
		return srerr_set(e, SRERR_TRUNCATED, off + 4, WHAT,
		    "the machine name is cut short");
	if (!qevm_name_ok(name, n))
		return srerr_set(e, SRERR_VALUE, off + 4, WHAT,
		    "the machine name is not printable text");
	memcpy(info->machine, name, n);
	info->machine[n] = '\0';
	return 0;
}

/* A START or FULL section's header, after its type byte. */
static int
qevm_section(struct cursor *c, uint64_t base, struct qevm_info *info,
    struct srerr *e)
{
	uint64_t off = base + c->pos - 1;
	const uint8_t *id;
	uint8_t n;

	info->first_id = cursor_be32(c);
	n = cursor_u8(c);
	id = cursor_take(c, n);
	info->first_instance = cursor_be32(c);
	info->first_version = cursor_be32(c);
	if (!cursor_ok(c))
		return srerr_set(e, SRERR_TRUNCATED, off, WHAT,
		    "the first section's header is cut short");
	if (!qevm_name_ok(id, n))
		return srerr_set(e, SRERR_VALUE, off + 5, WHAT,
		    "the first section's name is empty or not printable "
		    "text");
	memcpy(info->first, id, n);
	info->first[n] = '\0';
	info->has_sections = 1;
	return 0;
}

int
qevm_check(const void *buf, size_t len, uint64_t base,
    struct qevm_info *info, struct srerr *e)
{
	struct cursor c;
	uint32_t magic, version;
	uint8_t type;
	int rc;

	memset(info, 0, sizeof(*info));
	cursor_init(&c, buf, len);
	magic = cursor_be32(&c);
	version = cursor_be32(&c);
	if (!cursor_ok(&c))
		return srerr_set(e, SRERR_TRUNCATED, base, WHAT,
		    "%zu bytes, shorter than its 8-byte header", len);
	if (magic != QEVM_MAGIC)
		return srerr_set(e, SRERR_MAGIC, base, WHAT,
		    "magic 0x%08x, not QEMU's \"QEVM\"", magic);
	if (version != QEVM_VERSION)
		return srerr_set(e, SRERR_VERSION, base + 4, WHAT,
		    "version %u%s; QEMU reads version %u", version,
		    version == QEVM_VERSION_OLD ? " (obsolete)" : "",
		    QEVM_VERSION);
	type = cursor_u8(&c);
	if (type == QEVM_SEC_CONFIGURATION) {
		if ((rc = qevm_configuration(&c, base, info, e)) != 0)
			return rc;
		type = cursor_u8(&c);
	}
	if (!cursor_ok(&c))
		return srerr_set(e, SRERR_TRUNCATED, base + len, WHAT,
		    "no sections and no end marker");
	if (type == QEVM_SEC_FULL || type == QEVM_SEC_START) {
		if ((rc = qevm_section(&c, base, info, e)) != 0)
			return rc;
	} else if (type != QEVM_SEC_EOF)
		return srerr_set(e, SRERR_TYPE, base + c.pos - 1, WHAT,
		    "section type 0x%02x where the first section or the end "
		    "belongs", type);
	else if (cursor_left(&c) != 0)
		return srerr_set(e, SRERR_TRAILING, base + c.pos, WHAT,
		    "%zu bytes after the end marker", cursor_left(&c));
	/* Device state has no length: the file must end with EOF. */
	if (((const uint8_t *)buf)[len - 1] != QEVM_SEC_EOF)
		return srerr_set(e, SRERR_TRUNCATED, base + len - 1, WHAT,
		    "the last byte is 0x%02x, not the end marker: the state "
		    "is cut short", ((const uint8_t *)buf)[len - 1]);
	if (info->has_sections && cursor_left(&c) == 0)
		return srerr_set(e, SRERR_TRUNCATED, base + len, WHAT,
		    "the first section has no state and no end marker");
	return 0;
}

void
qevm_put_header(uint8_t *p)
{
	store_be32(p, QEVM_MAGIC);
	store_be32(p + 4, QEVM_VERSION);
}

size_t
qevm_section_size(const char *idstr)
{
	return 1 + 4 + 1 + strlen(idstr) + 4 + 4;
}

void
qevm_put_section(uint8_t *p, uint32_t section_id, const char *idstr,
    uint32_t instance, uint32_t version)
{
	size_t n = strlen(idstr);

	p[0] = QEVM_SEC_FULL;
	store_be32(p + 1, section_id);
	p[5] = (uint8_t)n;
	memcpy(p + 6, idstr, n);
	store_be32(p + 6 + n, instance);
	store_be32(p + 10 + n, version);
}
