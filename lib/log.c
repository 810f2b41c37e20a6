/*
 * log.c - stderr or syslog logging with levels.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

static const char	*log_ident = "xmig";
static int		 log_foreground = 1;
static enum log_level	 log_level = LOG_LVL_INFO;
static char		 log_prefix[64];

static const int syslog_prio[] = {
	[LOG_LVL_ERR] = LOG_ERR,
	[LOG_LVL_WARN] = LOG_WARNING,
	[LOG_LVL_INFO] = LOG_INFO,
	[LOG_LVL_DEBUG] = LOG_DEBUG,
};

static const char *const level_names[] = {
	[LOG_LVL_ERR] = "error",
	[LOG_LVL_WARN] = "warning",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
};

void
log_init(const char *ident, int foreground, enum log_level level)
{
	const char *slash;

	if (ident != NULL) {
		slash = strrchr(ident, '/');
		log_ident = slash != NULL ? slash + 1 : ident;
	}
	log_foreground = foreground;
	log_level = level;
	if (!foreground)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_setlevel(enum log_level level)
{
	log_level = level;
}

enum log_level
log_getlevel(void)
{
	return log_level;
}

int
log_parse_level(const char *name, enum log_level *level)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*level = (enum log_level)i;
			return 0;
		}
	}
	if (strcmp(name, "warn") == 0) {
		*level = LOG_LVL_WARN;
		return 0;
	}
	return -EINVAL;
}

void
log_setprefix(const char *prefix)
{
	if (prefix == NULL)
		log_prefix[0] = '\0';
	else
		snprintf(log_prefix, sizeof(log_prefix), "%s: ", prefix);
}

void
log_vlog(enum log_level level, int err, const char *fmt, va_list ap)
{
	char msg[1024];
	int saved = errno;

	if (level > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_foreground) {
		if (err != 0)
			fprintf(stderr, "%s: %s%s: %s\n", log_ident, log_prefix,
			    msg, strerror(err));
		else
			fprintf(stderr, "%s: %s%s\n", log_ident, log_prefix, msg);
		fflush(stderr);
	} else {
		if (err != 0)
			syslog(syslog_prio[level], "%s%s: %s", log_prefix, msg,
			    strerror(err));
		else
			syslog(syslog_prio[level], "%s%s", log_prefix, msg);
	}
	errno = saved;
}

#define LOG_BODY(level, err) do {		\
	va_list ap;				\
	va_start(ap, fmt);			\
	log_vlog((level), (err), fmt, ap);	\
	va_end(ap);				\
} while (0)

void
log_warn(const char *fmt, ...)
{
	int err = errno;

	LOG_BODY(LOG_LVL_WARN, err);
}

void
log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_WARN, 0);
}

void
log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_INFO, 0);
}

void
log_debug(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_DEBUG, 0);
}

void
fatal(const char *fmt, ...)
{
	int err = errno;

	LOG_BODY(LOG_LVL_ERR, err);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_ERR, 0);
	exit(1);
}
