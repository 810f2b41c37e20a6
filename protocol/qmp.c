/*
 * qmp.c - QMP messages (see qmp.h).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "qmp.h"

static int
qmp_bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EBADMSG;
}

/* Copy string member "key" of object v into buf; 0, or -1 if too long. */
static int
qmp_copy_str(yajl_val v, char *buf, size_t len)
{
	const char *s = YAJL_GET_STRING(v);

	if (s == NULL || strlen(s) >= len)
		return -1;
	memcpy(buf, s, strlen(s) + 1);
	return 0;
}

static yajl_val
qmp_member(yajl_val obj, const char *key)
{
	const char *path[] = { key, NULL };

	return yajl_tree_get(obj, path, yajl_t_any);
}

static int
qmp_int_member(yajl_val obj, const char *key)
{
	yajl_val v = qmp_member(obj, key);

	if (v == NULL || !YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < 0 ||
	    YAJL_GET_INTEGER(v) > 100000)
		return -1;
	return (int)YAJL_GET_INTEGER(v);
}

/* Which kind of message, from its one distinguishing member. */
static int
qmp_classify(struct qmp_msg *m, char *err, size_t errlen)
{
	yajl_val v, ver;

	if ((v = qmp_member(m->tree, "QMP")) != NULL) {
		if (!YAJL_IS_OBJECT(v))
			return qmp_bad(err, errlen, "\"QMP\" is not an object");
		m->kind = QMP_GREETING;
		m->value = v;
		if ((ver = qmp_member(v, "version")) != NULL &&
		    (ver = qmp_member(ver, "qemu")) != NULL &&
		    YAJL_IS_OBJECT(ver)) {
			m->qemu_major = qmp_int_member(ver, "major");
			m->qemu_minor = qmp_int_member(ver, "minor");
		}
		return 0;
	}
	if ((v = qmp_member(m->tree, "return")) != NULL) {
		m->kind = QMP_RETURN;
		m->value = v;
		return 0;
	}
	if ((v = qmp_member(m->tree, "error")) != NULL) {
		m->kind = QMP_ERROR;
		if (!YAJL_IS_OBJECT(v) ||
		    qmp_copy_str(qmp_member(v, "class"), m->name,
		    sizeof(m->name)) != 0 ||
		    qmp_copy_str(qmp_member(v, "desc"), m->desc,
		    sizeof(m->desc)) != 0)
			return qmp_bad(err, errlen, "an error without a class "
			    "and a description");
		return 0;
	}
	if ((v = qmp_member(m->tree, "event")) != NULL) {
		m->kind = QMP_EVENT;
		if (qmp_copy_str(v, m->name, sizeof(m->name)) != 0)
			return qmp_bad(err, errlen, "an event without a name");
		m->value = qmp_member(m->tree, "data");
		return 0;
	}
	if ((v = qmp_member(m->tree, "execute")) != NULL) {
		m->kind = QMP_COMMAND;
		if (qmp_copy_str(v, m->name, sizeof(m->name)) != 0)
			return qmp_bad(err, errlen, "a command without a name");
		m->value = qmp_member(m->tree, "arguments");
		if (m->value != NULL && !YAJL_IS_OBJECT(m->value))
			return qmp_bad(err, errlen, "arguments of %s are not "
			    "an object", m->name);
		return 0;
	}
	return qmp_bad(err, errlen, "neither a greeting, a return, an error, "
	    "an event nor a command");
}

int
qmp_decode(const char *line, size_t len, struct qmp_msg *m, char *err,
    size_t errlen)
{
	char *text, jerr[128];
	yajl_val id;
	int rc;

	memset(m, 0, sizeof(*m));
	m->id = -1;
	m->qemu_major = m->qemu_minor = -1;
	if (len > QMP_LINE_MAX) {
		qmp_bad(err, errlen, "a message of %zu bytes (at most %u)",
		    len, QMP_LINE_MAX);
		return -EMSGSIZE;
	}
	if (memchr(line, '\0', len) != NULL)
		return qmp_bad(err, errlen, "a NUL byte in a message");
	if ((text = malloc(len + 1)) == NULL)
		return -ENOMEM;
	memcpy(text, line, len);
	text[len] = '\0';
	m->tree = json_parse(text, jerr, sizeof(jerr));
	free(text);
	if (m->tree == NULL)
		return qmp_bad(err, errlen, "not JSON: %s", jerr);
	if (!YAJL_IS_OBJECT(m->tree)) {
		rc = qmp_bad(err, errlen, "not a JSON object");
		goto fail;
	}
	if ((rc = qmp_classify(m, err, errlen)) != 0)
		goto fail;
	if ((id = qmp_member(m->tree, "id")) != NULL && YAJL_IS_INTEGER(id) &&
	    YAJL_GET_INTEGER(id) >= 0)
		m->id = YAJL_GET_INTEGER(id);
	return 0;
fail:
	qmp_msg_clear(m);
	return rc;
}

void
qmp_msg_clear(struct qmp_msg *m)
{
	if (m->tree != NULL)
		yajl_tree_free(m->tree);
	m->tree = NULL;
	m->value = NULL;
}

/* Append to buf at *off; -ENOSPC once it no longer fits. */
static int
qmp_put(char *buf, size_t buflen, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= buflen)
		return -ENOSPC;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, buflen - *off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= buflen - *off)
		return -ENOSPC;
	*off += (size_t)n;
	return 0;
}

/* A plain text as a JSON string, quotes included. */
static int
qmp_put_string(char *buf, size_t buflen, size_t *off, const char *s)
{
	int rc = qmp_put(buf, buflen, off, "\"");

	for (; rc == 0 && *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			rc = qmp_put(buf, buflen, off, "\\%c", ch);
		else if (ch < 0x20)
			rc = qmp_put(buf, buflen, off, "\\u%04x", ch);
		else
			rc = qmp_put(buf, buflen, off, "%c", ch);
	}
	return rc != 0 ? rc : qmp_put(buf, buflen, off, "\"");
}

static int
qmp_ident_ok(const char *s)
{
	if (*s == '\0' || strlen(s) >= QMP_NAME_MAX)
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return 0;
	return 1;
}

/* The ", \"id\": N}\r\n" ending, or "}\r\n" without an id. */
static int
qmp_put_end(char *buf, size_t buflen, size_t *off, int64_t id)
{
	if (id >= 0 && qmp_put(buf, buflen, off, ", \"id\": %" PRId64, id))
		return -ENOSPC;
	if (qmp_put(buf, buflen, off, "}\r\n") != 0)
		return -ENOSPC;
	return (int)*off;
}

int
qmp_encode_command(char *buf, size_t buflen, const char *name,
    const char *args, int64_t id)
{
	size_t off = 0;

	if (!qmp_ident_ok(name))
		return -EINVAL;
	if (qmp_put(buf, buflen, &off, "{\"execute\": \"%s\"", name) != 0 ||
	    (args != NULL && qmp_put(buf, buflen, &off,
	    ", \"arguments\": %s", args) != 0))
		return -ENOSPC;
	return qmp_put_end(buf, buflen, &off, id);
}

int
qmp_encode_greeting(char *buf, size_t buflen, int major, int minor,
    int micro)
{
	size_t off = 0;

	if (qmp_put(buf, buflen, &off, "{\"QMP\": {\"version\": {\"qemu\": "
	    "{\"micro\": %d, \"minor\": %d, \"major\": %d}, \"package\": "
	    "\"\"}, \"capabilities\": []}", micro, minor, major) != 0)
		return -ENOSPC;
	return qmp_put_end(buf, buflen, &off, -1);
}

int
qmp_encode_return(char *buf, size_t buflen, const char *value, int64_t id)
{
	size_t off = 0;

	if (qmp_put(buf, buflen, &off, "{\"return\": %s",
	    value != NULL ? value : "{}") != 0)
		return -ENOSPC;
	return qmp_put_end(buf, buflen, &off, id);
}

int
qmp_encode_error(char *buf, size_t buflen, const char *cls,
    const char *desc, int64_t id)
{
	size_t off = 0;

	if (qmp_put(buf, buflen, &off, "{\"error\": {\"class\": ") != 0 ||
	    qmp_put_string(buf, buflen, &off, cls) != 0 ||
	    qmp_put(buf, buflen, &off, ", \"desc\": ") != 0 ||
	    qmp_put_string(buf, buflen, &off, desc) != 0 ||
	    qmp_put(buf, buflen, &off, "}") != 0)
		return -ENOSPC;
	return qmp_put_end(buf, buflen, &off, id);
}

int
qmp_encode_event(char *buf, size_t buflen, const char *name,
    const char *data)
{
	size_t off = 0;

	if (!qmp_ident_ok(name))
		return -EINVAL;
	if (qmp_put(buf, buflen, &off, "{\"event\": \"%s\"", name) != 0 ||
	    (data != NULL && qmp_put(buf, buflen, &off, ", \"data\": %s",
	    data) != 0) ||
	    qmp_put(buf, buflen, &off, ", \"timestamp\": {\"seconds\": 0, "
	    "\"microseconds\": 0}") != 0)
		return -ENOSPC;
	return qmp_put_end(buf, buflen, &off, -1);
}
