/*
 * conf.c - xmigd.conf parser.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compress.h"
#include "conf.h"
#include "frame.h"
#include "log.h"
#include "util.h"

void
conf_defaults(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	c->relocation_port = XMIG_DEFAULT_PORT;
	c->compress = COMPRESS_AUTO;
	util_strlcpy(c->hosts_allow, XMIG_DEFAULT_HOSTS_ALLOW,
	    sizeof(c->hosts_allow));
	util_strlcpy(c->tls_cert, SYSCONFDIR "/xmig/tls/xmigd.crt",
	    sizeof(c->tls_cert));
	util_strlcpy(c->tls_key, SYSCONFDIR "/xmig/tls/xmigd.key",
	    sizeof(c->tls_key));
	util_strlcpy(c->tls_ca, SYSCONFDIR "/xmig/tls/ca.crt",
	    sizeof(c->tls_ca));
	c->max_incoming = 4;
	c->reservation_timeout = 60;
	c->suspend_timeout = 60;
	c->device_migrate_timeout = 60;
	util_strlcpy(c->device_migrate_dir, XMIG_DEFAULT_DEVICE_DIR,
	    sizeof(c->device_migrate_dir));
	c->backend = CONF_BACKEND_AUTO;
	util_strlcpy(c->sim_dir, XMIG_DEFAULT_SIM_DIR, sizeof(c->sim_dir));
	c->sim_memory = 8 * GiB;
	util_strlcpy(c->control_socket, XMIG_DEFAULT_CONTROL_SOCKET,
	    sizeof(c->control_socket));
	c->log_level = LOG_LVL_INFO;
}

int
conf_parse_backend(const char *name, enum conf_backend *out)
{
	if (strcmp(name, "xen") == 0)
		*out = CONF_BACKEND_XEN;
	else if (strcmp(name, "sim") == 0)
		*out = CONF_BACKEND_SIM;
	else if (strcmp(name, "auto") == 0)
		*out = CONF_BACKEND_AUTO;
	else
		return -EINVAL;
	return 0;
}

const char *
conf_backend_name(enum conf_backend b)
{
	switch (b) {
	case CONF_BACKEND_XEN:
		return "xen";
	case CONF_BACKEND_SIM:
		return "sim";
	default:
		return "auto";
	}
}

enum conf_type { T_STR, T_PATH, T_PORT, T_UINT, T_BOOL, T_SIZE, T_BACKEND,
    T_LOGLEVEL, T_DIRS, T_PATHS, T_CODEC };

struct conf_key {
	const char	*name;
	enum conf_type	 type;
	size_t		 off;
	size_t		 size;		/* strings: buffer size */
	uint64_t	 min, max;	/* numbers */
};

#define K(n, t, f, lo, hi) \
	{ n, t, offsetof(struct conf, f), sizeof(((struct conf *)0)->f), \
	    lo, hi }

static const struct conf_key conf_keys[] = {
	K("relocation-address", T_STR, relocation_address, 0, 0),
	K("relocation-port", T_PORT, relocation_port, 1, 65535),
	K("hosts-allow", T_STR, hosts_allow, 0, 0),
	K("tls", T_BOOL, tls, 0, 1),
	K("tls-cert", T_PATH, tls_cert, 0, 0),
	K("tls-key", T_PATH, tls_key, 0, 0),
	K("tls-ca", T_PATH, tls_ca, 0, 0),
	K("max-incoming", T_UINT, max_incoming, 1, 256),
	K("reservation-timeout", T_UINT, reservation_timeout, 1, 86400),
	K("suspend-timeout", T_UINT, suspend_timeout, 1, 3600),
	K("device-migrate-timeout", T_UINT, device_migrate_timeout, 1, 3600),
	K("device-migrate-dir", T_PATH, device_migrate_dir, 0, 0),
	K("backend", T_BACKEND, backend, 0, 0),
	K("sim-dir", T_PATH, sim_dir, 0, 0),
	K("sim-memory", T_SIZE, sim_memory, 16 * MiB, UINT64_C(1) << 50),
	K("control-socket", T_PATH, control_socket, 0, 0),
	K("log-level", T_LOGLEVEL, log_level, 0, 0),
	K("storage-dir", T_DIRS, storage_dir, 0, 0),
	K("shared-storage", T_PATHS, shared_storage, 0, 0),
	K("compress", T_CODEC, compress, 0, 0),
};

/* storage-dir: one more directory (the key may be repeated). */
static int
conf_add_dir(struct conf *c, const char *value, const char **why)
{
	if (value[0] != '/' || strstr(value, "/..") != NULL) {
		*why = "must be an absolute path without \"..\"";
		return -EINVAL;
	}
	if (c->nstorage_dir >= CONF_STORAGE_DIRS_MAX) {
		*why = "too many storage-dir lines";
		return -ERANGE;
	}
	if (util_strlcpy(c->storage_dir[c->nstorage_dir], value,
	    sizeof(c->storage_dir[0])) != 0) {
		*why = "value too long";
		return -ERANGE;
	}
	c->nstorage_dir++;
	return 0;
}

/* shared-storage: space-separated absolute path prefixes. */
static int
conf_paths_ok(const char *value, const char **why)
{
	const char *p = value;

	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if (*p != '\0' && *p != '/') {
			*why = "expected absolute paths, separated by spaces";
			return -EINVAL;
		}
		while (*p != '\0' && *p != ' ')
			p++;
	}
	return 0;
}

static int
set_number(void *field, size_t size, uint64_t v)
{
	if (size == sizeof(uint64_t))
		*(uint64_t *)field = v;
	else if (size == sizeof(unsigned))
		*(unsigned *)field = (unsigned)v;
	else
		return -EINVAL;
	return 0;
}

int
conf_set(struct conf *c, const char *key, const char *value,
    const char **why)
{
	const struct conf_key *k = NULL;
	enum log_level lvl;
	enum conf_backend be;
	int codec;
	void *field;
	uint64_t v;
	size_t i;
	int b, rc;

	for (i = 0; i < ARRAY_SIZE(conf_keys); i++) {
		if (strcmp(conf_keys[i].name, key) == 0) {
			k = &conf_keys[i];
			break;
		}
	}
	if (k == NULL) {
		*why = "unknown key";
		return -ENOENT;
	}
	field = (char *)c + k->off;
	switch (k->type) {
	case T_DIRS:
		return conf_add_dir(c, value, why);
	case T_PATHS:
		if ((rc = conf_paths_ok(value, why)) != 0)
			return rc;
		if (util_strlcpy(field, value, k->size) != 0) {
			*why = "value too long";
			return -ERANGE;
		}
		return 0;
	case T_PATH:
		if (value[0] != '/') {
			*why = "must be an absolute path";
			return -EINVAL;
		}
		/* FALLTHROUGH */
	case T_STR:
		if (util_strlcpy(field, value, k->size) != 0) {
			*why = "value too long";
			return -ERANGE;
		}
		return 0;
	case T_PORT:
	case T_UINT:
		rc = util_parse_uint(value, k->min, k->max, &v);
		if (rc != 0) {
			*why = rc == -ERANGE ? "number out of range" :
			    "not a number";
			return rc;
		}
		return set_number(field, k->size, v);
	case T_SIZE:
		rc = util_parse_size(value, MiB, &v);
		if (rc == 0 && (v < k->min || v > k->max))
			rc = -ERANGE;
		if (rc != 0) {
			*why = rc == -ERANGE ? "size out of range" :
			    "not a size (e.g. 8192M, 16G)";
			return rc;
		}
		return set_number(field, k->size, v);
	case T_BOOL:
		if (util_parse_bool(value, &b) != 0) {
			*why = "expected on or off";
			return -EINVAL;
		}
		*(int *)field = b;
		return 0;
	case T_BACKEND:
		if (conf_parse_backend(value, &be) != 0) {
			*why = "expected xen, sim or auto";
			return -EINVAL;
		}
		*(enum conf_backend *)field = be;
		return 0;
	case T_CODEC:
		if (compress_parse(value, &codec) != 0) {
			*why = "expected auto, lz4, zstd or none (one this "
			    "build has)";
			return -EINVAL;
		}
		*(int *)field = codec;
		return 0;
	case T_LOGLEVEL:
		if (log_parse_level(value, &lvl) != 0) {
			*why = "expected error, warning, info or debug";
			return -EINVAL;
		}
		*(int *)field = (int)lvl;
		return 0;
	}
	*why = "internal error";
	return -EINVAL;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Parse one line; returns 0 or a negative errno after logging. */
static int
conf_line(struct conf *c, const char *path, unsigned lineno, char *line)
{
	const char *why;
	char *eq, *key, *value, *hash;
	int rc;

	if ((hash = strchr(line, '#')) != NULL)
		*hash = '\0';
	line = trim(line);
	if (*line == '\0')
		return 0;
	if ((eq = strchr(line, '=')) == NULL) {
		log_warnx("%s:%u: expected \"key = value\"", path, lineno);
		return -EINVAL;
	}
	*eq = '\0';
	key = trim(line);
	value = trim(eq + 1);
	if (*key == '\0') {
		log_warnx("%s:%u: missing key before \"=\"", path, lineno);
		return -EINVAL;
	}
	rc = conf_set(c, key, value, &why);
	if (rc != 0) {
		log_warnx("%s:%u: %s: %s%s%s", path, lineno, key, why,
		    rc == -ENOENT ? "" : ": ", rc == -ENOENT ? "" : value);
		return -EINVAL;
	}
	return 0;
}

int
conf_load(struct conf *c, const char *path, int missing_ok)
{
	char line[CONF_LINE_MAX];
	unsigned lineno = 0;
	size_t n;
	FILE *f;
	int rc = 0;

	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT && missing_ok)
			return 0;
		rc = -errno;
		log_warn("%s", path);
		return rc;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		n = strlen(line);
		if (n == sizeof(line) - 1 && line[n - 1] != '\n') {
			log_warnx("%s:%u: line too long", path, lineno);
			rc = -EINVAL;
			/* Skip the rest of the long line. */
			while (fgets(line, sizeof(line), f) != NULL) {
				n = strlen(line);
				if (n == 0 || line[n - 1] == '\n')
					break;
			}
			continue;
		}
		if (conf_line(c, path, lineno, line) != 0)
			rc = -EINVAL;
	}
	if (ferror(f)) {
		log_warn("%s: read error", path);
		rc = -EIO;
	}
	fclose(f);
	return rc;
}
