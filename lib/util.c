/*
 * util.c - parsing, time and fd helpers.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

int
util_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0')
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/*
 * Split "s" into a number and a unit suffix; the suffix is matched
 * against the binary units.  Fractions are not accepted: sizes of guests
 * and rates are whole numbers of bytes.
 */
static int
parse_scaled(const char *s, uint64_t default_unit, const char *tail,
    uint64_t *out)
{
	static const struct {
		const char	*name;
		uint64_t	 mult;
	} units[] = {
		{ "", 0 }, { "b", 1 },
		{ "k", KiB }, { "kb", KiB }, { "kib", KiB },
		{ "m", MiB }, { "mb", MiB }, { "mib", MiB },
		{ "g", GiB }, { "gb", GiB }, { "gib", GiB },
		{ "t", GiB * 1024 }, { "tb", GiB * 1024 },
		{ "tib", GiB * 1024 },
	};
	char suffix[8];
	unsigned long long v;
	uint64_t mult = 0;
	size_t i, n;
	char *end;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	n = strlen(end);
	if (tail != NULL && n >= strlen(tail) &&
	    strcasecmp(end + n - strlen(tail), tail) == 0)
		n -= strlen(tail);
	if (n >= sizeof(suffix))
		return -EINVAL;
	memcpy(suffix, end, n);
	suffix[n] = '\0';
	for (i = 0; i < ARRAY_SIZE(units); i++) {
		if (strcasecmp(suffix, units[i].name) == 0) {
			mult = units[i].mult ? units[i].mult : default_unit;
			break;
		}
	}
	if (i == ARRAY_SIZE(units))
		return -EINVAL;
	if (mult != 0 && v > UINT64_MAX / mult)
		return -ERANGE;
	*out = v * mult;
	return 0;
}

int
util_parse_size(const char *s, uint64_t default_unit, uint64_t *out)
{
	return parse_scaled(s, default_unit ? default_unit : 1, NULL, out);
}

int
util_parse_rate(const char *s, uint64_t *bytes_per_sec)
{
	return parse_scaled(s, 1, "/s", bytes_per_sec);
}

int
util_parse_bandwidth(const char *s, uint64_t *bytes_per_sec)
{
	return parse_scaled(s, MiB, "/s", bytes_per_sec);
}

int
util_parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "on", "yes", "true", "1" };
	static const char *const no[] = { "off", "no", "false", "0" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -EINVAL;
}

const char *
util_fmt_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const names[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	size_t i = 0;

	if (bytes < KiB) {
		snprintf(buf, len, "%" PRIu64 " B", bytes);
		return buf;
	}
	v /= 1024.0;
	while (v >= 1024.0 && i + 1 < ARRAY_SIZE(names)) {
		v /= 1024.0;
		i++;
	}
	snprintf(buf, len, "%.1f %s", v, names[i]);
	return buf;
}

uint64_t
util_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t
util_now_ms(void)
{
	return util_now_ns() / 1000000u;
}

ssize_t
util_read_full(int fd, void *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = read(fd, (char *)buf + done, len - done);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		done += (size_t)n;
	}
	return (ssize_t)done;
}

ssize_t
util_write_full(int fd, const void *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = write(fd, (const char *)buf + done, len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		done += (size_t)n;
	}
	return (ssize_t)done;
}

int
util_write_atomic(const char *path, const char *text, mode_t mode)
{
	char tmp[4200];
	size_t len = strlen(text);
	ssize_t w;
	int fd, rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd == -1)
		return -errno;
	if ((w = util_write_full(fd, text, len)) < 0)
		rc = (int)w;
	else if (fsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0)
		unlink(tmp);
	return rc;
}

int
util_remove_half_write(const char *path)
{
	char tmp[4200];

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	return unlink(tmp) == 0 ? 0 : -errno;
}

int
util_set_nonblock(int fd, int on)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0)
		return -errno;
	flags = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
	if (fcntl(fd, F_SETFL, flags) < 0)
		return -errno;
	return 0;
}

int
util_set_cloexec(int fd)
{
	int flags = fcntl(fd, F_GETFD);

	if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0)
		return -errno;
	return 0;
}

int
util_strlcpy(char *dst, const char *src, size_t len)
{
	size_t n = strlen(src);

	if (len == 0)
		return -ENAMETOOLONG;
	if (n >= len) {
		memcpy(dst, src, len - 1);
		dst[len - 1] = '\0';
		return -ENAMETOOLONG;
	}
	memcpy(dst, src, n + 1);
	return 0;
}

int
util_read_kv(const char *path,
    void (*fn)(const char *key, const char *value, void *arg), void *arg)
{
	char line[1024], *v;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		return -errno;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if ((v = strchr(line, '=')) == NULL)
			continue;
		*v++ = '\0';
		fn(line, v, arg);
	}
	fclose(f);
	return 0;
}

int
util_has_suffix(const char *s, const char *suffix)
{
	size_t len = strlen(s), n = strlen(suffix);

	return len > n && strcmp(s + len - n, suffix) == 0;
}

int
util_all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t w;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, b + i, 8);
		if (w != 0)
			return 0;
	}
	return 1;
}
