/*
 * reloc.c - relocation protocol frames: headers, and JSON payloads
 * checked field by field against a table per frame type.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "json.h"
#include "reloc.h"
#include "uuid.h"

#define SMALL_MAX	4096	/* every frame but RESERVE */

enum ftype { F_STR, F_U32, F_U64, F_I64, F_BOOL, F_UUID, F_TEXT };

struct field {
	const char	*key;
	enum ftype	 type;
	size_t		 off;
	size_t		 size;	/* F_STR: buffer size */
	int		 required;
	uint64_t	 min;	/* numbers: smallest value */
	uint64_t	 max;	/* numbers: largest value; F_TEXT: length */
};

#define FS(k, f, req)	{ k, F_STR, offsetof(struct reloc_msg, f), \
	sizeof(((struct reloc_msg *)0)->f), req, 0, 0 }
#define FN(k, t, f, req, mx) { k, t, offsetof(struct reloc_msg, f), 0, \
	req, 0, mx }
#define FR(k, t, f, req, mn, mx) { k, t, offsetof(struct reloc_msg, f), 0, \
	req, mn, mx }

static const struct field f_hello[] = {
	FR("version", F_U32, version, 1, 1, 65535),
	FS("software", software, 1),
	FS("host", host, 0),
	{ NULL }
};
static const struct field f_reserve[] = {
	FS("job", job, 1),
	FS("name", name, 1),
	FN("uuid", F_UUID, uuid, 0, 0),
	FS("type", domtype, 1),
	FR("memkb", F_U64, memkb, 1, 1, UINT64_C(1) << 40),
	FR("vcpus", F_U32, vcpus, 1, 1, 4096),
	FN("config", F_TEXT, config, 0, RELOC_PAYLOAD_MAX - SMALL_MAX),
	FN("disks", F_TEXT, disks, 0, RELOC_DISKS_MAX),
	{ NULL }
};
static const struct field f_accept[] = {
	FN("reservation", F_U64, reservation, 1, UINT64_MAX >> 1),
	FS("incoming", incoming, 1),
	{ NULL }
};
static const struct field f_reason_req[] = {
	FS("reason", reason, 1),
	{ NULL }
};
static const struct field f_deny[] = {
	FS("reason", reason, 1),
	FS("code", code, 0),
	{ NULL }
};
static const struct field f_reason_opt[] = {
	FS("reason", reason, 0),
	{ NULL }
};
static const struct field f_none[] = {
	{ NULL }
};
static const struct field f_received[] = {
	FN("domid", F_I64, domid, 1, 0x7fef),
	{ NULL }
};
static const struct field f_report[] = {
	FS("result", result, 1),
	FN("domid", F_I64, domid, 0, 0x7fef),
	FS("name", name, 0),
	{ NULL }
};
static const struct field f_query[] = {
	FS("name", name, 1),
	FN("uuid", F_UUID, uuid, 0, 0),
	{ NULL }
};
static const struct field f_state[] = {
	FN("found", F_BOOL, found, 1, 0),
	FS("state", state, 0),
	FS("name", name, 0),
	{ NULL }
};

static const struct field f_status[] = {
	FN("status", F_TEXT, status, 1, RELOC_PAYLOAD_MAX - SMALL_MAX),
	{ NULL }
};

static const struct {
	const char		*name;
	const struct field	*fields;
	uint32_t		 max;
} types[RELOC_TYPE_MAX + 1] = {
	[RELOC_HELLO] = { "HELLO", f_hello, SMALL_MAX },
	[RELOC_RESERVE] = { "RESERVE", f_reserve, RELOC_PAYLOAD_MAX },
	[RELOC_ACCEPT] = { "ACCEPT", f_accept, SMALL_MAX },
	[RELOC_DENY] = { "DENY", f_deny, SMALL_MAX },
	[RELOC_STREAM] = { "STREAM", f_none, SMALL_MAX },
	[RELOC_RECEIVED] = { "RECEIVED", f_received, SMALL_MAX },
	[RELOC_GO] = { "GO", f_none, SMALL_MAX },
	[RELOC_ABORT] = { "ABORT", f_reason_opt, SMALL_MAX },
	[RELOC_REPORT] = { "REPORT", f_report, SMALL_MAX },
	[RELOC_FAILED] = { "FAILED", f_reason_req, SMALL_MAX },
	[RELOC_DONE] = { "DONE", f_none, SMALL_MAX },
	[RELOC_QUERY] = { "QUERY", f_query, SMALL_MAX },
	[RELOC_STATE] = { "STATE", f_state, SMALL_MAX },
	[RELOC_STATUS_QUERY] = { "STATUS_QUERY", f_none, SMALL_MAX },
	[RELOC_STATUS] = { "STATUS", f_status, RELOC_PAYLOAD_MAX },
	[RELOC_DISKS] = { "DISKS", f_none, SMALL_MAX },
};

const char *
reloc_type_name(uint32_t type)
{
	if (type == 0 || type > RELOC_TYPE_MAX)
		return "unknown";
	return types[type].name;
}

uint32_t
reloc_max_len(uint32_t type)
{
	if (type == 0 || type > RELOC_TYPE_MAX)
		return 0;
	return types[type].max;
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

void
reloc_hdr_encode(uint8_t buf[RELOC_HDR_LEN], enum reloc_type type,
    uint32_t len)
{
	put_be32(buf, (uint32_t)type);
	put_be32(buf + 4, len);
}

int
reloc_hdr_decode(const uint8_t buf[RELOC_HDR_LEN], struct reloc_hdr *h,
    const char **why)
{
	uint32_t type = get_be32(buf), len = get_be32(buf + 4);

	if (type == 0 || type > RELOC_TYPE_MAX) {
		*why = "unknown frame type";
		return -EPROTO;
	}
	if (len > types[type].max) {
		*why = "frame longer than its type allows";
		return -EPROTO;
	}
	h->type = (enum reloc_type)type;
	h->len = len;
	return 0;
}

void
reloc_msg_init(struct reloc_msg *m, enum reloc_type type)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->domid = -1;
}

void
reloc_msg_clear(struct reloc_msg *m)
{
	free(m->config);
	m->config = NULL;
	free(m->disks);
	m->disks = NULL;
	free(m->status);
	m->status = NULL;
}

/* ------------------------------------------------------------ encode */

static int
gen_str(yajl_gen g, const char *s)
{
	return yajl_gen_string(g, (const unsigned char *)s, strlen(s)) ==
	    yajl_gen_status_ok ? 0 : -1;
}

static int
gen_field(yajl_gen g, const struct reloc_msg *m, const struct field *f)
{
	const char *p = (const char *)m + f->off;
	char uuid[UUID_STR_LEN], num[32];
	const char *text;

	switch (f->type) {
	case F_STR:
		if (!f->required && p[0] == '\0')
			return 0;
		return gen_str(g, f->key) || gen_str(g, p);
	case F_TEXT:
		text = *(char *const *)(const void *)p;
		if (text == NULL)
			return 0;
		return gen_str(g, f->key) || gen_str(g, text);
	case F_UUID:
		if (!m->has_uuid)
			return 0;
		uuid_fmt((const uint8_t *)p, uuid);
		return gen_str(g, f->key) || gen_str(g, uuid);
	case F_BOOL:
		return gen_str(g, f->key) ||
		    yajl_gen_bool(g, *(const int *)(const void *)p) !=
		    yajl_gen_status_ok;
	case F_U32:
		snprintf(num, sizeof(num), "%u",
		    *(const unsigned *)(const void *)p);
		break;
	case F_U64:
		snprintf(num, sizeof(num), "%" PRIu64,
		    *(const uint64_t *)(const void *)p);
		break;
	case F_I64:
		if (!f->required && *(const int64_t *)(const void *)p < 0)
			return 0;
		snprintf(num, sizeof(num), "%" PRId64,
		    *(const int64_t *)(const void *)p);
		break;
	}
	return gen_str(g, f->key) ||
	    yajl_gen_number(g, num, strlen(num)) != yajl_gen_status_ok;
}

uint8_t *
reloc_encode(const struct reloc_msg *m, size_t *len, const char **why)
{
	const struct field *f;
	const unsigned char *body;
	size_t body_len;
	uint8_t *frame = NULL;
	yajl_gen g;

	if (m->type == 0 || m->type > RELOC_TYPE_MAX) {
		*why = "unknown frame type";
		return NULL;
	}
	if ((g = yajl_gen_alloc(NULL)) == NULL) {
		*why = "out of memory";
		return NULL;
	}
	if (yajl_gen_map_open(g) != yajl_gen_status_ok)
		goto fail;
	for (f = types[m->type].fields; f->key != NULL; f++)
		if (gen_field(g, m, f) != 0)
			goto fail;
	if (yajl_gen_map_close(g) != yajl_gen_status_ok ||
	    yajl_gen_get_buf(g, &body, &body_len) != yajl_gen_status_ok)
		goto fail;
	if (body_len > types[m->type].max) {
		*why = "payload larger than the frame type allows";
		goto out;
	}
	if ((frame = malloc(RELOC_HDR_LEN + body_len)) == NULL) {
		*why = "out of memory";
		goto out;
	}
	reloc_hdr_encode(frame, m->type, (uint32_t)body_len);
	memcpy(frame + RELOC_HDR_LEN, body, body_len);
	*len = RELOC_HDR_LEN + body_len;
	goto out;
fail:
	*why = "cannot encode the payload (invalid UTF-8?)";
out:
	yajl_gen_free(g);
	return frame;
}

/* ------------------------------------------------------------ decode */

static int
whyf(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -EPROTO;
}

static int
get_number(yajl_val v, const struct field *f, uint64_t *out, char *why,
    size_t whylen)
{
	if (!YAJL_IS_INTEGER(v))
		return whyf(why, whylen, "\"%s\" is not an integer", f->key);
	if (v->u.number.i < 0 || (uint64_t)v->u.number.i < f->min ||
	    (uint64_t)v->u.number.i > f->max)
		return whyf(why, whylen, "\"%s\" out of range", f->key);
	*out = (uint64_t)v->u.number.i;
	return 0;
}

static int
decode_field(yajl_val v, const struct field *f, struct reloc_msg *m,
    char *why, size_t whylen)
{
	char *p = (char *)m + f->off;
	const char *s;
	uint64_t n;
	size_t len;

	switch (f->type) {
	case F_STR:
	case F_TEXT:
	case F_UUID:
		if (!YAJL_IS_STRING(v))
			return whyf(why, whylen, "\"%s\" is not a string",
			    f->key);
		s = YAJL_GET_STRING(v);
		len = strlen(s);
		if (f->type == F_UUID) {
			if (uuid_parse(s, (uint8_t *)p) != 0)
				return whyf(why, whylen, "\"%s\" is not a "
				    "UUID", f->key);
			m->has_uuid = 1;
		} else if (f->type == F_TEXT) {
			if (len > f->max)
				return whyf(why, whylen, "\"%s\" too long",
				    f->key);
			if ((*(char **)(void *)p = strdup(s)) == NULL)
				return whyf(why, whylen, "out of memory");
		} else {
			if (len >= f->size)
				return whyf(why, whylen, "\"%s\" longer than "
				    "%zu bytes", f->key, f->size - 1);
			memcpy(p, s, len + 1);
		}
		return 0;
	case F_BOOL:
		if (!YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v))
			return whyf(why, whylen, "\"%s\" is not a boolean",
			    f->key);
		*(int *)(void *)p = YAJL_IS_TRUE(v);
		return 0;
	case F_U32:
		if (get_number(v, f, &n, why, whylen) != 0)
			return -EPROTO;
		*(unsigned *)(void *)p = (unsigned)n;
		return 0;
	case F_U64:
		if (get_number(v, f, &n, why, whylen) != 0)
			return -EPROTO;
		*(uint64_t *)(void *)p = n;
		return 0;
	case F_I64:
		if (get_number(v, f, &n, why, whylen) != 0)
			return -EPROTO;
		*(int64_t *)(void *)p = (int64_t)n;
		return 0;
	}
	return whyf(why, whylen, "internal error");
}

int
reloc_decode(const struct reloc_hdr *h, const uint8_t *payload,
    struct reloc_msg *m, char *why, size_t whylen)
{
	const char *path[2] = { NULL, NULL };
	const struct field *f;
	char errbuf[128], *text;
	yajl_val root, v;
	int rc = 0;

	reloc_msg_init(m, h->type);
	if (h->len > types[h->type].max)
		return whyf(why, whylen, "%s frame too long",
		    types[h->type].name);
	if (memchr(payload, '\0', h->len) != NULL)
		return whyf(why, whylen, "%s frame holds a NUL byte",
		    types[h->type].name);
	if ((text = malloc((size_t)h->len + 1)) == NULL)
		return whyf(why, whylen, "out of memory");
	memcpy(text, payload, h->len);
	text[h->len] = '\0';
	root = json_parse(text, errbuf, sizeof(errbuf));
	free(text);
	if (root == NULL) {
		return whyf(why, whylen, "%s frame is not JSON: %s",
		    types[h->type].name, errbuf);
	}
	if (!YAJL_IS_OBJECT(root)) {
		rc = whyf(why, whylen, "%s frame is not a JSON object",
		    types[h->type].name);
		goto out;
	}
	for (f = types[h->type].fields; f->key != NULL; f++) {
		path[0] = f->key;
		v = yajl_tree_get(root, path, yajl_t_any);
		if (v == NULL || YAJL_IS_NULL(v)) {
			if (f->required) {
				rc = whyf(why, whylen, "%s frame lacks \"%s\"",
				    types[h->type].name, f->key);
				goto out;
			}
			continue;
		}
		if ((rc = decode_field(v, f, m, why, whylen)) != 0)
			goto out;
	}
out:
	yajl_tree_free(root);
	if (rc != 0)
		reloc_msg_clear(m);
	return rc;
}
