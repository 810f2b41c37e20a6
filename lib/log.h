/*
 * log.h - logging for every part of xmig.
 *
 * Levels follow syslog.  In the foreground (the CLI, "xmigd -f") lines go
 * to stderr prefixed with the program name; a daemon logs to syslog, which
 * systemd hands to the journal.  The only global state in lib/ is here.
 *
 * Conventions used everywhere:
 *  - protocol/ never logs: decoders return an error with offset and reason.
 *  - lib/ logs once, where the reason is known, then returns a negative
 *    errno; callers above do not log the same failure again.
 *  - fatal()/fatalx() exist only for daemon/ and cli/, at start-up or for a
 *    broken invariant.
 */
#ifndef XMIG_LOG_H
#define XMIG_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LVL_ERR = 0,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

/*
 * Set up logging: "ident" is the program name (not copied: it must
 * outlive the program, a string literal or argv[0]); "foreground" selects
 * stderr, otherwise syslog(LOG_DAEMON).  Can be called again to switch.
 */
void	log_init(const char *ident, int foreground, enum log_level level);

/* Change or read the verbosity.  Messages above it are dropped. */
void	log_setlevel(enum log_level level);
enum log_level log_getlevel(void);

/*
 * Parse a level name ("error", "warning", "info", "debug").  Returns 0
 * and sets *level, or -EINVAL and leaves it alone.
 */
int	log_parse_level(const char *name, enum log_level *level);

/*
 * Prefix every following line with "prefix: " (e.g. a job id in a worker
 * process).  NULL removes it.  The string is copied.
 */
void	log_setprefix(const char *prefix);

/* The error variants append ": strerror(errno)" (saved before anything). */
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Log like log_warn/log_warnx, at error level, then exit(1). */
void	fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

/* The va_list form, for wrappers.  "err" is an errno to append or 0. */
void	log_vlog(enum log_level level, int err, const char *fmt, va_list ap)
	    __attribute__((format(printf, 3, 0)));

#endif /* XMIG_LOG_H */
