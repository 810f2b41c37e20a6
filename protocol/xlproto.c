/*
 * xlproto.c - xl's migration handshake messages and the configuration
 * facts its receiver needs.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "reloc.h"
#include "uuid.h"
#include "xlproto.h"

_Static_assert(XLPROTO_BANNER_LEN == 54, "xl's banner is 54 bytes");
_Static_assert(XLPROTO_READY_LEN == 34, "xl's ready message is 34 bytes");
_Static_assert(XLPROTO_GO_LEN == 44, "xl's go message is 44 bytes");
_Static_assert(XLPROTO_REPORT_LEN == 39, "xl's report message is 39 bytes");

static const struct {
	const char	*name;
	const char	*bytes;
	size_t		 len;
} msgs[] = {
	[XLPROTO_MSG_BANNER] = { "banner", XLPROTO_BANNER, XLPROTO_BANNER_LEN },
	[XLPROTO_MSG_READY] = { "ready message", XLPROTO_READY, XLPROTO_READY_LEN },
	[XLPROTO_MSG_GO] = { "go message", XLPROTO_GO, XLPROTO_GO_LEN },
	[XLPROTO_MSG_REPORT] = { "report message", XLPROTO_REPORT,
	    XLPROTO_REPORT_LEN },
};

const void *
xlproto_msg(enum xlproto_msg m, size_t *len)
{
	*len = msgs[m].len;
	return msgs[m].bytes;
}

const char *
xlproto_msg_name(enum xlproto_msg m)
{
	return msgs[m].name;
}

int
xlproto_msg_check(enum xlproto_msg m, const uint8_t *buf, size_t len)
{
	if (len < msgs[m].len)
		return -ENODATA;
	if (len != msgs[m].len || memcmp(buf, msgs[m].bytes, len) != 0)
		return -EPROTO;
	return 0;
}

static int
facts_fail(char *why, size_t whylen, const char *what)
{
	snprintf(why, whylen, "domain configuration: %s", what);
	return -EINVAL;
}

/* An integer at path within [lo, hi]: 1 found, 0 absent, -1 bad. */
static int
facts_int(yajl_val root, const char **path, long long lo, long long hi,
    long long *out)
{
	yajl_val v = yajl_tree_get(root, path, yajl_t_any);

	if (v == NULL)
		return 0;
	if (!YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < lo ||
	    YAJL_GET_INTEGER(v) > hi)
		return -1;
	*out = YAJL_GET_INTEGER(v);
	return 1;
}

int
xlproto_config_facts(const char *text, size_t len, struct xlproto_facts *f,
    char *why, size_t whylen)
{
	static const char *p_name[] = { "c_info", "name", NULL };
	static const char *p_uuid[] = { "c_info", "uuid", NULL };
	static const char *p_type[] = { "c_info", "type", NULL };
	static const char *p_mem[] = { "b_info", "max_memkb", NULL };
	static const char *p_vcpus[] = { "b_info", "max_vcpus", NULL };
	char err[128], *copy;
	const char *s;
	yajl_val root, v;
	long long n;
	int rc = -EINVAL;

	memset(f, 0, sizeof(*f));
	if (len > 0 && text[len - 1] == '\0')
		len--;
	if (len == 0)
		return facts_fail(why, whylen, "empty");
	if (memchr(text, '\0', len) != NULL)
		return facts_fail(why, whylen, "a NUL byte inside");
	if ((copy = malloc(len + 1)) == NULL)
		return facts_fail(why, whylen, "out of memory");
	memcpy(copy, text, len);
	copy[len] = '\0';
	root = json_parse(copy, err, sizeof(err));
	free(copy);
	if (root == NULL) {
		snprintf(why, whylen, "domain configuration: not JSON: %s",
		    err);
		return -EINVAL;
	}
	if (!YAJL_IS_OBJECT(root)) {
		facts_fail(why, whylen, "not a JSON object");
		goto out;
	}
	v = yajl_tree_get(root, p_name, yajl_t_string);
	if (v == NULL || (s = YAJL_GET_STRING(v)) == NULL || s[0] == '\0' ||
	    strlen(s) >= sizeof(f->name)) {
		facts_fail(why, whylen, "no c_info.name, or one too long");
		goto out;
	}
	memcpy(f->name, s, strlen(s) + 1);
	if ((v = yajl_tree_get(root, p_uuid, yajl_t_any)) != NULL) {
		if ((s = YAJL_GET_STRING(v)) == NULL || strlen(s) != 36 ||
		    uuid_parse(s, f->uuid) != 0) {
			facts_fail(why, whylen, "c_info.uuid is not a uuid");
			goto out;
		}
		f->has_uuid = 1;
	}
	v = yajl_tree_get(root, p_type, yajl_t_string);
	if (v == NULL || (s = YAJL_GET_STRING(v)) == NULL ||
	    (strcmp(s, "pv") != 0 && strcmp(s, "pvh") != 0 &&
	    strcmp(s, "hvm") != 0)) {
		facts_fail(why, whylen, "c_info.type is not pv, pvh or hvm");
		goto out;
	}
	memcpy(f->type, s, strlen(s) + 1);
	if (facts_int(root, p_mem, 1, 1LL << 40, &n) != 1) {
		facts_fail(why, whylen, "no b_info.max_memkb of 1 KiB to "
		    "1 PiB");
		goto out;
	}
	f->max_memkb = (uint64_t)n;
	f->vcpus = 1;
	switch (facts_int(root, p_vcpus, 1, XLPROTO_VCPUS_MAX, &n)) {
	case 1:
		f->vcpus = (unsigned)n;
		break;
	case -1:
		facts_fail(why, whylen, "b_info.max_vcpus out of range");
		goto out;
	}
	rc = 0;
out:
	yajl_tree_free(root);
	return rc;
}

void
xlproto_facts_reserve(const struct xlproto_facts *f, struct reloc_msg *m)
{
	_Static_assert(sizeof(m->name) >= sizeof(f->name), "names fit");
	_Static_assert(sizeof(m->domtype) >= sizeof(f->type), "types fit");

	memcpy(m->name, f->name, sizeof(f->name));
	memcpy(m->uuid, f->uuid, sizeof(m->uuid));
	m->has_uuid = f->has_uuid;
	memcpy(m->domtype, f->type, sizeof(f->type));
	m->memkb = f->max_memkb;
	m->vcpus = f->vcpus;
}
