/*
 * util.h - small helpers shared by every part of xmig: number and size
 * parsing for the command line and config files, monotonic time, and
 * full reads and writes on file descriptors.
 */
#ifndef XMIG_UTIL_H
#define XMIG_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define KiB		(UINT64_C(1) << 10)
#define MiB		(UINT64_C(1) << 20)
#define GiB		(UINT64_C(1) << 30)

/*
 * Parse a decimal unsigned integer in [min, max] with nothing after it.
 * Returns 0 and sets *out, or -EINVAL (not a number, trailing junk) or
 * -ERANGE (outside the bounds); *out is untouched on failure.
 */
int	util_parse_uint(const char *s, uint64_t min, uint64_t max,
	    uint64_t *out);

/*
 * Parse a byte size: a decimal number with an optional binary suffix
 * K, M, G or T (also KiB, MiB, ...; "B" alone means bytes), case
 * insensitive: "512M" is 536870912.  A bare number is "default_unit"
 * bytes each (1 for bytes, MiB where the contract counts in MiB).
 * Returns 0, -EINVAL or -ERANGE (overflow); *out untouched on failure.
 */
int	util_parse_size(const char *s, uint64_t default_unit, uint64_t *out);

/*
 * Parse a rate such as "50M/s", "1G/s", "0" or "100MB/s" into bytes per
 * second.  The "/s" is optional.  Same returns as util_parse_size().
 */
int	util_parse_rate(const char *s, uint64_t *bytes_per_sec);

/*
 * Parse a migration bandwidth: as util_parse_rate(), but a bare number is
 * in MiB/s ("100" is 100 MiB/s; "512K" and "1G/s" carry their unit).
 */
int	util_parse_bandwidth(const char *s, uint64_t *bytes_per_sec);

/*
 * Parse a boolean: on/off, yes/no, true/false, 1/0.  Returns 0 and sets
 * *out to 0 or 1, or -EINVAL.
 */
int	util_parse_bool(const char *s, int *out);

/*
 * Format "bytes" for people into buf ("512.0 MiB", "3.2 GiB", "900 B").
 * Returns buf.
 */
const char *util_fmt_size(uint64_t bytes, char *buf, size_t len);

/* Monotonic clock, in nanoseconds and in milliseconds. */
uint64_t util_now_ns(void);
uint64_t util_now_ms(void);

/*
 * Read or write exactly "len" bytes, retrying on EINTR and short
 * transfers.  util_read_full() returns the bytes read, which is less than
 * len only at end of file; util_write_full() returns len.  Both return a
 * negative errno on error (nothing is logged).
 */
ssize_t	util_read_full(int fd, void *buf, size_t len);
ssize_t	util_write_full(int fd, const void *buf, size_t len);

/*
 * Replace the file "path" with "text" so that a reader (or a process
 * killed half way) sees the old file or the new one, never a part: a
 * temporary file "path.tmp" (mode "mode"), written, synced, renamed over
 * it.  Returns 0 or a negative errno (nothing is logged; no temporary
 * file is left).
 */
int	util_write_atomic(const char *path, const char *text, mode_t mode);

/*
 * Remove what a util_write_atomic() of "path" killed before its rename
 * left (its "path.tmp"): 0 when there was one, or a negative errno.
 */
int	util_remove_half_write(const char *path);

/* Does "s" end in "suffix", with something before it? */
int	util_has_suffix(const char *s, const char *suffix);

/*
 * Read the "key=value" lines of the file "path" (as the state records
 * util_write_atomic() writes): "fn" is called with each line's key and
 * value (both NUL-terminated, valid during the call); lines without '='
 * are skipped.  Returns 0, or a negative errno when the file cannot be
 * opened (nothing is logged).
 */
int	util_read_kv(const char *path,
	    void (*fn)(const char *key, const char *value, void *arg),
	    void *arg);

/* Set O_NONBLOCK or FD_CLOEXEC on fd.  Return 0 or a negative errno. */
int	util_set_nonblock(int fd, int on);
int	util_set_cloexec(int fd);

/*
 * Copy src into dst of size len, always NUL-terminated.  Returns -ENAMETOOLONG
 * (and a truncated copy) when src did not fit, else 0.
 */
int	util_strlcpy(char *dst, const char *src, size_t len);

/* 1 if the n bytes at p (n a multiple of 8) are all zero, else 0. */
int	util_all_zero(const void *p, size_t n);

#endif /* XMIG_UTIL_H */
