/*
 * conf.h - the xmigd configuration (/etc/xmig/xmigd.conf).
 *
 * "key = value" lines, "#" starts a comment, blank lines ignored.  Every
 * key of the interface contract is known here with its default; an
 * unknown key or a bad value is an error naming file and line.  The parser
 * keeps going after an error so one run shows every mistake.  A reload
 * builds a new struct and the caller swaps it in only if it parsed.
 */
#ifndef XMIG_CONF_H
#define XMIG_CONF_H

#include <limits.h>
#include <stdint.h>

#define XMIG_DEFAULT_PORT		8002
#define XMIG_DEFAULT_CONF		SYSCONFDIR "/xmig/xmigd.conf"
#define XMIG_DEFAULT_CONTROL_SOCKET	"/run/xmig/xmigd.sock"
#define XMIG_DEFAULT_SIM_DIR		LOCALSTATEDIR "/lib/xmig/sim"
#define XMIG_DEFAULT_DEVICE_DIR		SYSCONFDIR "/xmig/device-migrate.d"
#define CONF_LINE_MAX			4096	/* longest line of a config file */
/* Whole-match expressions: loopback only until the admin says otherwise. */
#define XMIG_DEFAULT_HOSTS_ALLOW \
	"localhost localhost\\.localdomain 127\\.0\\.0\\.1 ::1"

#define CONF_STR_MAX	1024
#define CONF_STORAGE_DIRS_MAX	8

enum conf_backend {
	CONF_BACKEND_AUTO = 0,	/* xen on a Xen dom0, else sim */
	CONF_BACKEND_XEN,
	CONF_BACKEND_SIM,
};

struct conf {
	char		relocation_address[CONF_STR_MAX]; /* "" = all */
	unsigned	relocation_port;
	char		hosts_allow[CONF_STR_MAX];
	int		tls;
	char		tls_cert[PATH_MAX];
	char		tls_key[PATH_MAX];
	char		tls_ca[PATH_MAX];
	unsigned	max_incoming;
	unsigned	reservation_timeout;	/* seconds */
	unsigned	suspend_timeout;	/* seconds */
	unsigned	device_migrate_timeout;	/* seconds, per handler */
	char		device_migrate_dir[PATH_MAX];
	enum conf_backend backend;
	char		sim_dir[PATH_MAX];
	uint64_t	sim_memory;		/* bytes */
	char		control_socket[PATH_MAX];
	int		log_level;		/* enum log_level */
	/* Where incoming disks go (storage-dir, repeatable), in order */
	char		storage_dir[CONF_STORAGE_DIRS_MAX][PATH_MAX];
	unsigned	nstorage_dir;
	/* Path prefixes on storage every host sees: never copied */
	char		shared_storage[CONF_STR_MAX];
	/*
	 * enum frame_codec or COMPRESS_AUTO (the default): xmig's codec
	 * when --compress is not given;
	 * xmigd offers no compression with none (zero runs are still
	 * elided).
	 */
	int		compress;
};

/* Fill "c" with every default. */
void	conf_defaults(struct conf *c);

/*
 * Parse the file "path" into "c", which should hold the defaults (or
 * values from the command line to be overridden).  Each error is logged as
 * "path:line: reason".  Returns 0, or -EINVAL after logging every bad line
 * (c then holds a mix: discard it), or the negative errno of fopen().
 * A missing file with "missing_ok" set is not an error.
 */
int	conf_load(struct conf *c, const char *path, int missing_ok);

/*
 * Set one key from a string, as a config line would.  Returns 0, or
 * -ENOENT for an unknown key, or -EINVAL/-ERANGE for a bad value, with a
 * reason for people in "why" (static storage).
 */
int	conf_set(struct conf *c, const char *key, const char *value,
	    const char **why);

/* Parse a backend name ("xen", "sim", "auto"). 0 or -EINVAL. */
int	conf_parse_backend(const char *name, enum conf_backend *out);
/* The name of a backend value. */
const char *conf_backend_name(enum conf_backend b);

#endif /* XMIG_CONF_H */
